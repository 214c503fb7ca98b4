"""`sozu createstaff` and `sozu audit verify` on the command line."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from sozu.audit.models import AuditEvent
from sozu.orgs.models import Membership
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db


def test_createstaff_makes_an_account_that_signs_in_with_its_role(
    capsys: pytest.CaptureFixture[str],
) -> None:
    o = org(slug="manos")
    call_command(
        "createstaff",
        "Ana@Example.org",
        "--org",
        "manos",
        "--role",
        "approver",
        "--password",
        "una-clave-bastante-larga",
    )
    out = capsys.readouterr().out
    assert "ana@example.org" in out and "approver" in out
    m = Membership.objects.get(organization=o, user__email="ana@example.org")
    assert m.role == "approver"
    assert authenticate(username="ana@example.org", password="una-clave-bastante-larga") == m.user
    assert AuditEvent.objects.filter(organization=o, action="member.added").count() == 1
    # Again with another role: the same account, the role changes, and that is audited too.
    call_command("createstaff", "ana@example.org", "--org", "manos", "--role", "viewer")
    m.refresh_from_db()
    assert m.role == "viewer"
    assert AuditEvent.objects.filter(organization=o, action="member.role_changed").count() == 1


def test_createstaff_refuses_an_unknown_organization_and_a_weak_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    org(slug="manos")
    with pytest.raises(SystemExit):
        call_command("createstaff", "a@example.org", "--org", "nope", "--role", "viewer")
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        call_command(
            "createstaff",
            "a@example.org",
            "--org",
            "manos",
            "--role",
            "viewer",
            "--password",
            "123",
        )
    assert "contraseña" in capsys.readouterr().err.lower()
    assert not Membership.objects.exists()


def test_audit_verify_reports_intact_and_broken_chains(capsys: pytest.CaptureFixture[str]) -> None:
    o = org(slug="manos")
    call_command("createstaff", "a@example.org", "--org", "manos", "--role", "viewer")
    call_command("createstaff", "b@example.org", "--org", "manos", "--role", "owner")
    capsys.readouterr()
    call_command("audit", "verify", "--org", "manos")
    assert "manos: intact (2 events)" in capsys.readouterr().out
    AuditEvent.objects.filter(organization=o, seq=1).update(actor="someone else")
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    assert "manos: BROKEN at event #1" in capsys.readouterr().out
