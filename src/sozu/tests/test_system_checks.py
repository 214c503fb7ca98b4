"""Every `sozu` command runs Django's system checks first: they must pass."""

from __future__ import annotations

from django.core.management import call_command


def test_the_system_checks_pass() -> None:
    call_command("check", fail_level="WARNING")
