"""Signing in, organization choice, permissions, step-up and isolation, through the test client."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from sozu.audit.models import AuditEvent
from sozu.audit.services import Entry, audit_record
from sozu.orgs.models import Organization
from sozu.web.tests.helpers import PASSWORD, TOTP_SECRET, org, staff, totp_code

pytestmark = pytest.mark.django_db

DASHBOARD_PAGES = ["web:home", "orgs:wallet", "audit:events", "orgs:settings", "audit:verify"]


def sign_in(client: Client, email: str, *, totp_secret: str | None = None) -> None:
    """The real sign-in: email + password, then the authenticator code when there is one."""
    r = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert r.status_code == 302, r.content[:500]
    if totp_secret:
        assert r["Location"] == reverse("mfa_authenticate")
        r = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret)})
        assert r.status_code == 302, r.content[:500]
    assert r["Location"] == reverse("web:home")


def test_root_sends_anonymous_visitors_to_sign_in() -> None:
    client = Client()
    r = client.get("/", follow=True)
    assert r.redirect_chain[-1][0].startswith(reverse("account_login"))
    page = r.content.decode()
    assert "Ingresar" in page and "¿Olvidaste tu contraseña?" in page
    assert "Registrarse" not in page and "signup" not in page  # no public sign-up
    assert client.get("/cuenta/signup/").status_code in (403, 404, 200)  # closed page at most
    assert "cerrado" in client.get("/cuenta/signup/").content.decode().lower()


def test_every_page_has_csp_and_frame_headers() -> None:
    m = staff(org(), "viewer")
    client = Client()
    for response in (client.get(reverse("account_login")), client.get("/api/v1/openapi.json")):
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response["X-Frame-Options"] == "DENY"
    client.force_login(m.user)
    r = client.get(reverse("web:home"))
    assert r.status_code == 200
    assert "Content-Security-Policy" in r
    assert "<script>" not in r.content.decode()  # every script is a static file


def test_password_and_totp_sign_in_lands_on_the_only_organization() -> None:
    o = org(name="Asociación Manos Unidas")
    m = staff(o, "approver", totp_secret=TOTP_SECRET)
    client = Client()
    sign_in(client, m.user.email, totp_secret=TOTP_SECRET)
    r = client.get(reverse("web:home"))
    assert r.status_code == 200
    assert "Asociación Manos Unidas" in r.content.decode()


def test_a_wrong_totp_code_does_not_sign_in() -> None:
    m = staff(org(), "approver", totp_secret=TOTP_SECRET)
    client = Client()
    r = client.post(reverse("account_login"), {"login": m.user.email, "password": PASSWORD})
    assert r["Location"] == reverse("mfa_authenticate")
    wrong = f"{(int(totp_code(TOTP_SECRET)) + 1) % 1_000_000:06d}"
    r = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert r.status_code == 200  # the form again, with its error
    r = client.get(reverse("web:home"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("account_login"))


def test_failed_sign_ins_are_rate_limited() -> None:
    m = staff(org(), "viewer")
    client = Client()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": m.user.email, "password": "wrong"})
    r = client.post(reverse("account_login"), {"login": m.user.email, "password": PASSWORD})
    assert r.status_code in (200, 429)  # refused even with the right password
    assert client.get(reverse("web:home")).status_code == 302


def test_a_member_of_two_organizations_chooses_one() -> None:
    a, b = org(name="Org Alfa"), org(name="Org Beta")
    m = staff(a, "viewer")
    staff(b, "operator", email=m.user.email)
    m.user.refresh_from_db()
    client = Client()
    client.force_login(m.user)
    r = client.get(reverse("web:home"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("orgs:switch"))
    page = client.get(reverse("orgs:switch")).content.decode()
    assert "Org Alfa" in page and "Org Beta" in page
    r = client.post(reverse("orgs:switch"), {"organization": b.pk})
    assert r["Location"] == reverse("web:home")
    assert "Org Beta" in client.get(reverse("web:home")).content.decode()


def test_switching_to_an_organization_one_is_not_a_member_of_answers_404() -> None:
    mine, other = org(), org()
    m = staff(mine, "owner")
    client = Client()
    client.force_login(m.user)
    assert client.post(reverse("orgs:switch"), {"organization": other.pk}).status_code == 404
    assert client.post(reverse("orgs:switch"), {"organization": 999999}).status_code == 404


def test_pages_show_only_the_current_organizations_data() -> None:
    mine, other = org(), org()
    audit_record(organization_id=other.pk, entry=Entry("user:9", "secret.thing", "batch", 4242))
    m = staff(mine, "viewer")
    client = Client()
    client.force_login(m.user)
    for name in DASHBOARD_PAGES:
        r = client.get(reverse(name))
        assert r.status_code == 200, name
        body = r.content.decode()
        assert other.wallet_public_key not in body, name
        assert other.name not in body and "secret.thing" not in body, name
    export = client.get(reverse("audit:export")).getvalue().decode()
    assert "secret.thing" not in export
    assert "member.added" in export  # its own events are there


def test_viewer_cannot_change_settings_and_gets_403() -> None:
    o = org()
    m = staff(o, "viewer", totp_secret=TOTP_SECRET)
    client = Client()
    sign_in(client, m.user.email, totp_secret=TOTP_SECRET)
    r = client.post(reverse("orgs:settings-2fa"), {"require_2fa": "on"})
    assert r.status_code == 403
    o.refresh_from_db()
    assert o.require_2fa is False


def test_owner_changes_a_setting_with_a_fresh_second_factor_and_it_is_audited() -> None:
    o = org()
    m = staff(o, "owner", totp_secret=TOTP_SECRET)
    client = Client(HTTP_USER_AGENT="Firefox de prueba", REMOTE_ADDR="203.0.113.7")
    sign_in(client, m.user.email, totp_secret=TOTP_SECRET)
    r = client.post(reverse("orgs:settings-2fa"), {"require_2fa": "on"})
    assert r.status_code == 302 and r["Location"] == reverse("orgs:settings")
    o.refresh_from_db()
    assert o.require_2fa is True
    ev = AuditEvent.objects.get(organization=o, action="organization.require_2fa_changed")
    assert ev.actor == f"user:{m.user.pk}:{m.user.email}"
    assert ev.data["ip"] == "203.0.113.7" and ev.data["user_agent"] == "Firefox de prueba"


def test_step_up_asks_for_the_second_factor_again_after_five_minutes() -> None:
    o = org()
    m = staff(o, "owner", totp_secret=TOTP_SECRET)
    client = Client()
    start = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        sign_in(client, m.user.email, totp_secret=TOTP_SECRET)
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        r = client.post(reverse("orgs:settings-2fa"), {"require_2fa": "on"})
        assert r.status_code == 302
        assert r["Location"].startswith(reverse("mfa_reauthenticate"))
        o.refresh_from_db()
        assert o.require_2fa is False  # nothing changed yet
        # Confirming with the authenticator replays the kept request.
        r = client.post(r["Location"], {"code": totp_code(TOTP_SECRET)})
        assert r.status_code == 302
    o.refresh_from_db()
    assert o.require_2fa is True


def test_an_organization_requiring_2fa_sends_members_without_it_to_set_it_up() -> None:
    o = org(require_2fa=True)
    m = staff(o, "operator")
    client = Client()
    client.force_login(m.user)
    r = client.get(reverse("web:home"))
    assert r.status_code == 302 and r["Location"] == reverse("mfa_index")
    assert client.get(reverse("mfa_index")).status_code == 200


def test_idle_sessions_expire_after_thirty_minutes() -> None:
    m = staff(org(), "viewer")
    client = Client()
    start = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(m.user)
        assert client.get(reverse("web:home")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=25), tick=False):
        assert client.get(reverse("web:home")).status_code == 200  # activity extends it
    with time_machine.travel(start + dt.timedelta(minutes=56), tick=False):
        r = client.get(reverse("web:home"))
        assert r.status_code == 302 and r["Location"].startswith(reverse("account_login"))


def test_no_page_shows_a_secret_seed() -> None:
    o: Organization = org()
    m = staff(o, "owner")
    client = Client()
    client.force_login(m.user)
    for name in DASHBOARD_PAGES:
        body = client.get(reverse(name)).content.decode()
        assert "secret" not in body.lower() or "secret" in "clave secreta"  # no seed shown
        assert not any(word.startswith("S") and len(word) == 56 for word in body.split())


def test_sign_in_and_out_are_audited_with_ip_and_browser() -> None:
    o = org()
    m = staff(o, "approver", totp_secret=TOTP_SECRET)
    client = Client(HTTP_USER_AGENT="Chrome en el celu", REMOTE_ADDR="198.51.100.4")
    sign_in(client, m.user.email, totp_secret=TOTP_SECRET)
    client.post(reverse("account_logout"))
    signed_in = AuditEvent.objects.get(organization=o, action="staff.signed_in")
    assert signed_in.data["ip"] == "198.51.100.4"
    assert signed_in.data["user_agent"] == "Chrome en el celu"
    assert "totp" in signed_in.data["methods"] and "password" in signed_in.data["methods"]
    assert AuditEvent.objects.filter(organization=o, action="staff.signed_out").count() == 1
    page = client.get(reverse("account_login"))
    assert page.status_code == 200


def test_password_reset_by_email_sets_a_new_password() -> None:
    from django.core import mail

    m = staff(org(), "operator")
    client = Client()
    r = client.post(reverse("account_reset_password"), {"email": m.user.email})
    assert r.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [m.user.email]
    link = next(w for w in message.body.split() if "/cuenta/password/reset/key/" in w)
    path = link.split("testserver", 1)[-1]
    r = client.get(path, follow=True)
    form_url = r.redirect_chain[-1][0] if r.redirect_chain else path
    new = "otra-clave-nueva-y-larga-2026"
    r = client.post(form_url, {"password1": new, "password2": new})
    assert r.status_code == 302
    m.user.refresh_from_db()
    assert m.user.check_password(new)


def test_pages_speak_english_when_the_browser_asks_for_it() -> None:
    m = staff(org(), "viewer")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(m.user)
    body = client.get(reverse("web:home")).content.decode()
    assert "Paid this week" in body and "Pagado esta semana" not in body
    body = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(reverse("account_login")).content.decode()
    assert "¿Olvidaste tu contraseña?" in body


def test_the_header_switches_to_another_organization_of_the_member() -> None:
    a, b = org(name="Org Alfa"), org(name="Org Beta")
    m = staff(a, "viewer")
    staff(b, "owner", email=m.user.email)
    m.user.refresh_from_db()
    client = Client()
    client.force_login(m.user)
    client.post(reverse("orgs:switch"), {"organization": a.pk})
    header = client.get(reverse("web:home")).content.decode().split("</header>")[0]
    assert "Cambiar a:" in header and "Org Beta" in header
    client.post(reverse("orgs:switch"), {"organization": b.pk})
    assert "Titular" in client.get(reverse("web:home")).content.decode()


def test_audit_filters_export_and_verification() -> None:
    o = org()
    m = staff(o, "viewer")
    audit_record(
        organization_id=o.pk,
        entry=Entry("user:1:x@y.z", "batch.approved", "batch", 7, {"note": "=HYPERLINK(1)"}),
    )
    audit_record(organization_id=o.pk, entry=Entry("cli:root", "payout.created", "payout", 9))
    client = Client()
    client.force_login(m.user)
    body = client.get(reverse("audit:events"), {"action": "batch.approved"}).content.decode()
    assert "batch.approved" in body and "payout.created" not in body.split("<tbody>")[1]
    # Each event in words (the code under it, for filters and the CSV); the filter says both.
    assert "Lote aprobado" in body.split("<tbody>")[1] and "lote 7" in body
    assert ">Lote aprobado (batch.approved)</option>" in body
    body = client.get(reverse("audit:events"), {"object_id": "9"}).content.decode()
    assert "payout.created" in body.split("<tbody>")[1] and "Pago creado" in body
    audit_record(organization_id=o.pk, entry=Entry("cli:root", "thing.done", "thing", 3))
    body = client.get(reverse("audit:events")).content.decode()
    assert '<span class="ev-label">thing.done</span>' in body  # an unknown code, as it is
    export = client.get(reverse("audit:export"), {"action": "batch.approved"})
    assert export["Content-Type"].startswith("text/csv")
    text = export.getvalue().decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("seq,created_at,actor,action")
    assert len(lines) == 2 and "batch.approved" in lines[1]
    # The chain: intact, then broken once an event is changed; htmx gets the fragment only.
    fragment = client.get(reverse("audit:verify"), HTTP_HX_REQUEST="true").content.decode()
    assert "íntegra" in fragment and "<html" not in fragment
    AuditEvent.objects.filter(organization=o, action="payout.created").update(object_id="10")
    page = client.get(reverse("audit:verify")).content.decode()
    assert "<html" in page and "está rota en el evento #" in page


def test_a_viewer_sees_the_settings_without_the_form() -> None:
    o = org()
    viewer = staff(o, "viewer")
    owner = staff(o, "owner")
    client = Client()
    client.force_login(viewer.user)
    body = client.get(reverse("orgs:settings")).content.decode()
    assert owner.user.email in body and viewer.user.email in body
    assert reverse("orgs:settings-2fa") not in body
    # No command line in the page: who can add people, and where.
    assert "createstaff" not in body
    assert "Solo una persona titular puede sumar gente al equipo" in body
    client.force_login(owner.user)
    body = client.get(reverse("orgs:settings")).content.decode()
    assert reverse("orgs:settings-2fa") in body
    assert f'invitalas desde <a href="{reverse("config:members")}">Equipo</a>' in body


def test_the_admin_signs_in_through_the_staff_sign_in() -> None:
    from django.contrib.auth import get_user_model

    r = Client().get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"].startswith(reverse("account_login"))
    get_user_model().objects.create_superuser(
        username="admin", email="admin@localhost", password=PASSWORD
    )
    client = Client()
    r = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": "admin@localhost", "password": PASSWORD},
    )
    assert r["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
