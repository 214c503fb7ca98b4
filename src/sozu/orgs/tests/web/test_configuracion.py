"""Configuración: only owners, every change audited and behind step-up; secrets shown once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from sozu.audit.models import AuditEvent
from sozu.disbursements.tests.web.helpers import signed_in, text
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import ApiKey, Membership, Organization
from sozu.orgs.services import apikey_authenticate
from sozu.web.tests.helpers import org, staff
from sozu.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

PAGES = ["config:members", "config:policy", "config:apikeys", "config:webhooks"]
CHANGES = [
    ("config:member-invite", {"email": "nueva@example.org", "role": "viewer"}),
    ("config:policy-save", {"batch_approvals_required": "2"}),
    ("config:apikey-create", {"name": "x"}),
    ("config:webhook-create", {"url": "https://93.184.216.34/hook"}),
]


@pytest.fixture(autouse=True)
def master_key(settings):
    settings.SOZU_MASTER_KEY = "test-master-key"


@pytest.mark.parametrize("role", ["operator", "approver", "viewer"])
def test_other_roles_can_neither_see_nor_change_the_settings(role):
    o = org()
    client, _ = signed_in(o, role)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
    for name, data in CHANGES:
        assert client.post(reverse(name), data).status_code == 403, name
    assert Membership.objects.filter(organization=o).count() == 1
    assert not ApiKey.objects.filter(organization=o).exists()
    assert not WebhookEndpoint.objects.filter(organization=o).exists()
    o.refresh_from_db()
    assert o.batch_approvals_required == 1


def test_changes_ask_for_the_second_factor_when_it_is_not_fresh():
    o = org()
    owner = staff(o, "owner", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(owner.user)  # signed in, but no second factor given in this session
    assert client.get(reverse("config:members")).status_code == 200
    r = client.post(reverse("config:member-invite"), {"email": "a@example.org", "role": "viewer"})
    assert r.status_code == 302 and r["Location"].startswith(reverse("mfa_reauthenticate"))
    assert Membership.objects.filter(organization=o).count() == 1


def test_owner_invites_changes_a_role_and_removes_a_member_and_keeps_an_owner():
    o = org()
    client, owner = signed_in(o, "owner")
    r = client.post(
        reverse("config:member-invite"), {"email": "Lucia@Example.org", "role": "operator"}
    )
    assert r.status_code == 302
    lucia = Membership.objects.get(organization=o, user__email="lucia@example.org")
    assert lucia.role == "operator"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lucia@example.org"]
    link = re.search(r"https?://\S+", str(mail.outbox[0].body))
    assert link and "/cuenta/password/reset/key/" in link.group(0)

    client.post(reverse("config:member-role", args=[lucia.pk]), {"role": "approver"})
    lucia.refresh_from_db()
    assert lucia.role == "approver"
    # The only owner cannot step down or leave.
    r = client.post(reverse("config:member-role", args=[owner.pk]), {"role": "viewer"}, follow=True)
    assert "La organización tiene que conservar al menos un propietario" in text(r)
    r = client.post(reverse("config:member-remove", args=[owner.pk]), follow=True)
    owner.refresh_from_db()
    assert owner.role == "owner"
    client.post(reverse("config:member-remove", args=[lucia.pk]))
    assert not Membership.objects.filter(pk=lucia.pk).exists()
    actions = list(
        AuditEvent.objects.filter(organization=o, object_type="membership")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == ["member.added", "member.role_changed", "member.removed"]


def test_owner_sets_approvals_step_up_threshold_and_limits_through_the_audited_service():
    o = org()
    client, _ = signed_in(o, "owner")
    data = {
        "batch_approvals_required": "2",
        "step_up_payout_threshold": "500",
        "max_payout_amount": "1000",
        "max_batch_total": "50000",
        "max_lines_per_batch": "3000",
        "daily_cap": "80000",
    }
    r = client.post(reverse("config:policy-save"), data)
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.batch_approvals_required == 2
    assert o.step_up_payout_threshold == Decimal("500")
    assert (o.max_payout_amount, o.max_lines_per_batch) == (Decimal("1000"), 3000)
    event = AuditEvent.objects.get(organization=o, action="organization.limits_changed")
    assert event.data["batch_approvals_required"] == ["1", "2"]
    r = client.post(reverse("config:policy-save"), {**data, "batch_approvals_required": "0"})
    assert r.status_code == 400
    o.refresh_from_db()
    assert o.batch_approvals_required == 2


def test_an_api_key_is_shown_once_and_works_until_revoked():
    o = org()
    client, _ = signed_in(o, "owner")
    r = client.post(reverse("config:apikey-create"), {"name": "contabilidad"})
    assert r.status_code == 201 and r["Cache-Control"] == "no-store"
    found = re.search(r"sozu_[0-9a-f]{8}_[\w-]+", text(r))
    assert found is not None
    token = found.group(0)
    assert apikey_authenticate(token) is not None
    assert token not in text(client.get(reverse("config:apikeys")))  # never again
    key = ApiKey.objects.get(organization=o)
    client.post(reverse("config:apikey-revoke", args=[key.pk]))
    assert apikey_authenticate(token) is None


def test_a_webhook_is_registered_with_its_secret_shown_once_and_disabled():
    o = org()
    client, _ = signed_in(o, "owner")
    r = client.post(reverse("config:webhook-create"), {"url": "http://intranet/hook"})
    assert r.status_code == 400
    assert "HTTPS" in text(r)
    r = client.post(reverse("config:webhook-create"), {"url": "https://93.184.216.34/hook"})
    assert r.status_code == 201
    endpoint = WebhookEndpoint.objects.get(organization=o)
    assert "whsec" in text(r) or 'id="new-secret"' in text(r)
    client.post(reverse("config:webhook-disable", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active is False


def test_another_organizations_member_key_and_webhook_answer_404():
    mine, other = org(), org()
    client, _ = signed_in(mine, "owner")
    theirs = staff(other, "viewer")
    key = ApiKey.objects.create(organization=other, prefix="abcd1234", key_hash="x")
    hook = WebhookEndpoint.objects.create(
        organization=other, url="https://e.org/h", secret_ciphertext="x"
    )
    assert (
        client.post(reverse("config:member-role", args=[theirs.pk]), {"role": "owner"}).status_code
        == 404
    )
    assert client.post(reverse("config:member-remove", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("config:apikey-revoke", args=[key.pk])).status_code == 404
    assert client.post(reverse("config:webhook-disable", args=[hook.pk])).status_code == 404
    assert client.post(reverse("config:webhook-enable", args=[hook.pk])).status_code == 404
    assert client.post(reverse("config:webhook-rotate", args=[hook.pk])).status_code == 404
    theirs.refresh_from_db()
    key.refresh_from_db()
    hook.refresh_from_db()
    assert theirs.role == "viewer" and key.revoked_at is None and hook.active
    assert hook.secret_ciphertext == "x"


def _disabled_endpoint(o: Organization) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organization=o,
        url="https://93.184.216.34/hook",
        secret_ciphertext=master_box().encrypt("whsec_old"),
        active=False,
    )


def test_a_disabled_webhook_is_enabled_again_and_its_secret_rotated_shown_once():
    o = org()
    hook = _disabled_endpoint(o)
    client, owner = signed_in(o, "owner")
    page = text(client.get(reverse("config:webhooks")))
    assert reverse("config:webhook-enable", args=[hook.pk]) in page
    assert reverse("config:webhook-disable", args=[hook.pk]) not in page
    assert reverse("config:webhook-rotate", args=[hook.pk]) in page

    r = client.post(reverse("config:webhook-enable", args=[hook.pk]), follow=True)
    hook.refresh_from_db()
    assert hook.active is True
    assert "El endpoint vuelve a recibir eventos" in text(r)
    assert reverse("config:webhook-disable", args=[hook.pk]) in text(r)
    # Enabling it twice is refused in Spanish, nothing changes.
    r = client.post(reverse("config:webhook-enable", args=[hook.pk]), follow=True)
    assert r.status_code == 200 and 'class="message error"' in text(r)

    r = client.post(reverse("config:webhook-rotate", args=[hook.pk]))
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    hook.refresh_from_db()
    secret = master_box().decrypt(hook.secret_ciphertext)
    assert secret != "whsec_old"
    body = text(r)
    assert 'id="new-secret"' in body and secret in body
    assert "Nuevo secreto de firma para https://93.184.216.34/hook" in body
    # Shown once: the page never shows it again.
    assert secret not in text(client.get(reverse("config:webhooks")))
    actions = list(
        AuditEvent.objects.filter(organization_id=o.pk, object_type="webhook_endpoint")
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("webhook_endpoint.enabled", f"user:{owner.user_id}:{owner.user.email}"),
        ("webhook_endpoint.secret_rotated", f"user:{owner.user_id}:{owner.user.email}"),
    ]
    assert secret not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_enable_and_rotate_ask_for_the_second_factor_and_only_owners_may():
    o = org()
    hook = _disabled_endpoint(o)
    owner = staff(o, "owner", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(owner.user)  # no second factor given in this session
    for name in ("config:webhook-enable", "config:webhook-rotate"):
        r = client.post(reverse(name, args=[hook.pk]))
        assert r.status_code == 302 and r["Location"].startswith(reverse("mfa_reauthenticate"))
    for role in ("operator", "approver", "viewer"):
        other, _ = signed_in(o, role)
        for name in ("config:webhook-enable", "config:webhook-rotate"):
            assert other.post(reverse(name, args=[hook.pk])).status_code == 403
    hook.refresh_from_db()
    assert hook.active is False and master_box().decrypt(hook.secret_ciphertext) == "whsec_old"


def test_an_owner_without_a_second_factor_is_shown_where_to_set_it_up():
    o = org()
    client = Client()
    client.force_login(staff(o, "owner").user)  # password only
    r = client.post(reverse("config:webhook-create"), {"url": "https://93.184.216.34/hook"})
    assert r.status_code == 403
    body = text(r)
    assert "Esta acción requiere la verificación en dos pasos." in body
    assert f'href="{reverse("mfa_index")}">Configurar la verificación en dos pasos</a>' in body
    assert not WebhookEndpoint.objects.filter(organization=o).exists()
    # Someone with a second factor is not sent there: the reason is another one.
    operator, _ = signed_in(o, "operator")
    assert "Configurar la verificación" not in text(operator.get(reverse("config:webhooks")))
