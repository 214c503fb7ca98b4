"""Every role and every action of the Lotes, Pagos and Configuración pages, from the one table."""

from __future__ import annotations

import pytest
from django.urls import reverse
from tests.factories import BeneficiaryFactory

from sozu.disbursements.services.batches import batch_create
from sozu.disbursements.tests.web.helpers import signed_in
from sozu.orgs.permissions import PERMISSIONS, Action

pytestmark = pytest.mark.django_db(transaction=True)

BATCH_POSTS = {
    "submit": Action.PREPARE_BATCH,
    "approve": Action.APPROVE_BATCH,
    "execute": Action.EXECUTE_BATCH,
    "pause": Action.PAUSE_BATCH,
    "resume": Action.EXECUTE_BATCH,
    "retry": Action.EXECUTE_BATCH,
    "cancel": Action.CANCEL_BATCH,
}
OWNER_PAGES = ["config:members", "config:policy", "config:apikeys", "config:webhooks"]


@pytest.mark.parametrize("role", ["owner", "operator", "approver", "viewer"])
def test_each_role_gets_exactly_what_the_table_allows(role, org, recipient):
    client, _ = signed_in(org, role)
    ben = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    batch = batch_create(
        organization=org, rows=[(2, {"destination": recipient(), "amount": "1"})], actor="test"
    )
    seen = {}
    for name in ("batches:list", "payouts:list"):
        seen[name] = client.get(reverse(name)).status_code != 403
        assert seen[name], name  # every role reads
    seen["batches:new"] = client.get(reverse("batches:new")).status_code != 403
    seen["batches:pick"] = client.get(reverse("batches:pick")).status_code != 403
    assert (
        seen["batches:new"] == seen["batches:pick"] == (role in PERMISSIONS[Action.PREPARE_BATCH])
    )
    allowed = client.get(reverse("payouts:new", args=[ben.pk])).status_code != 403
    assert allowed == (role in PERMISSIONS[Action.SEND_PAYOUT]), "payouts:new"
    for action, needed in BATCH_POSTS.items():
        r = client.post(reverse(f"batches:{action}", args=[batch.pk]))
        assert (r.status_code != 403) == (role in PERMISSIONS[needed]), (role, action)
    for name in OWNER_PAGES:
        assert (client.get(reverse(name)).status_code == 200) == (role == "owner"), name
