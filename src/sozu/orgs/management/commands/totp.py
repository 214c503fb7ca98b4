"""`sozu totp EMAIL`: the current sign-in code of a DEMO staff account (local network only)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import CommandParser

from sozu.launch.demo import STAFF_FILE
from sozu.orgs.management.base import SozuCommand


class Command(SozuCommand):
    help = (
        "Print the current authenticator code of a demo staff account made by `sozu start` "
        "(from VAR_DIR/demo-staff.json), for a machine without an authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="a demo staff account printed by `sozu start`")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.VAR_DIR) / STAFF_FILE
        people = json.loads(path.read_text()) if path.exists() else []
        person = next((p for p in people if p["email"] == options["email"].lower()), None)
        if person is None or not person.get("totp_secret"):
            self.fail(f"{options['email']} is not a demo account with an authenticator ({path}).")
        counter = int(time.time()) // mfa_settings.TOTP_PERIOD
        self.say(format_hotp_value(hotp_value(person["totp_secret"], counter)))
