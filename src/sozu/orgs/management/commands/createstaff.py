"""`sozu createstaff EMAIL --org SLUG --role ROLE [--password …]`: a staff member of an org."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandParser

from sozu.orgs.management.base import SozuCommand, operator, organization_by_slug
from sozu.orgs.models import Membership
from sozu.orgs.services import staff_membership_create


class Command(SozuCommand):
    help = (
        "Create a staff account for the dashboard (or change an existing member's role) in an "
        "organization. Without --password the person sets one with “forgot password”. "
        "SOZU_STAFF_PASSWORD is read when --password is '-'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the person's email: it is their sign-in name")
        parser.add_argument(
            "--org", required=True, metavar="SLUG", help="the organization they join (its slug)"
        )
        parser.add_argument(
            "--role", required=True, choices=Membership.Role.values, help="what they may do"
        )
        parser.add_argument(
            "--password",
            default=None,
            help="initial password ('-' reads SOZU_STAFF_PASSWORD, so it stays out of ps)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = organization_by_slug(options["org"])
        password = options["password"]
        if password == "-":  # noqa: S105 - the "read it from the environment" marker
            password = os.environ.get("SOZU_STAFF_PASSWORD") or None
        membership, created = staff_membership_create(
            organization=org,
            email=options["email"],
            role=options["role"],
            password=password,
            actor=operator(),
        )
        who = membership.user.email
        if created:
            self.say(f"Staff account {who} created: {membership.role} of “{org.slug}”.")
        else:
            self.say(f"{who} is now {membership.role} of “{org.slug}”.")
        if password is None and not membership.user.has_usable_password():
            self.note("No password set: they choose one with “¿Olvidaste tu contraseña?”.")
