"""Staff see everything in the admin, change only an organization's limits (audited)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from stellar_sdk import Keypair

from sozu.audit.models import AuditEvent
from sozu.orgs.models import Organization

pytestmark = pytest.mark.django_db

LISTS = [
    "orgs/organization",
    "orgs/apikey",
    "disbursements/batch",
    "disbursements/payout",
    "disbursements/paymenttransaction",
    "disbursements/channelaccount",
    "audit/auditevent",
    "beneficiaries/beneficiary",
    "webhooks/webhookendpoint",
    "webhooks/webhookdelivery",
]


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_superuser("admin", "a@example.org", "pw-123456")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def org() -> Organization:
    return Organization.objects.create(
        slug="ong", name="ONG", wallet_public_key=Keypair.random().public_key, ready=True
    )


def test_every_list_opens_and_money_cannot_be_edited_by_hand(staff, org):
    for path in LISTS:
        assert staff.get(f"/admin/{path}/").status_code == 200, path
    assert staff.get("/admin/disbursements/payout/add/").status_code == 403
    assert staff.get("/admin/audit/auditevent/add/").status_code == 403
    assert staff.get("/admin/orgs/organization/add/").status_code == 403


def test_changing_a_limit_is_audited_with_before_and_after(staff, org):
    form = {
        "name": "ONG del Norte",
        "max_payout_amount": "5000",
        "max_batch_total": "10000000",
        "max_lines_per_batch": "20000",
        "daily_cap": "20000000",
        "max_fee_per_op": "10000",
        "max_in_flight": "12",
    }
    r = staff.post(f"/admin/orgs/organization/{org.pk}/change/", form)
    assert r.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.max_payout_amount) == ("ONG del Norte", Decimal("5000"))
    event = AuditEvent.objects.get(organization=org, action="organization.limits_changed")
    assert event.data["max_payout_amount"] == ["1000000.0000000", "5000"]
    assert event.actor.startswith("user:")
