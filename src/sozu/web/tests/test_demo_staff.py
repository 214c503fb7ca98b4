"""The demo staff that `sozu start` prints: they can sign in with what is printed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from sozu.launch.demo import demo_staff_ensure
from sozu.orgs.models import Membership
from sozu.web.tests.helpers import org, totp_code

pytestmark = pytest.mark.django_db


def test_demo_staff_sign_in_with_the_printed_password_and_totp_secret(
    tmp_path: Path, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    o = org(slug="demo")
    people = demo_staff_ensure(organization=o, var_dir=tmp_path, actor="test")
    assert [(p.email, p.role) for p in people] == [
        ("owner@demo.sozu.local", "owner"),
        ("operator@demo.sozu.local", "operator"),
        ("approver@demo.sozu.local", "approver"),
    ]
    assert stat.S_IMODE((tmp_path / "demo-staff.json").stat().st_mode) == 0o600
    approver = people[2]
    # The owner too: every change in Configuración asks for a second factor (step-up).
    assert approver.totp_secret and people[0].totp_secret and not people[1].totp_secret
    assert approver.otpauth_uri().startswith("otpauth://totp/Sozu:")

    client = Client()
    r = client.post(
        reverse("account_login"), {"login": approver.email, "password": approver.password}
    )
    assert r["Location"] == reverse("mfa_authenticate")
    r = client.post(reverse("mfa_authenticate"), {"code": totp_code(approver.totp_secret)})
    assert r["Location"] == reverse("web:home")

    # A second start finds them and changes nothing: same passwords, same secret.
    again = demo_staff_ensure(organization=o, var_dir=tmp_path, actor="test")
    assert again == people
    assert Membership.objects.filter(organization=o).count() == 3

    # `sozu totp` prints the current code for a newcomer without an authenticator app.
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    call_command("totp", approver.email)
    assert capsys.readouterr().out.strip() == totp_code(approver.totp_secret)
