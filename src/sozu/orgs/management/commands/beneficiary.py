"""`sozu beneficiary add|list`: the people an organization pays (emprendedoras)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import beneficiary_create
from sozu.formatting import format_phone
from sozu.orgs.management.base import SozuCommand, operator, organization_by_slug, table


class Command(SozuCommand):
    help = "Add and list an organization's beneficiaries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="an approved beneficiary with a Stellar address")
        add.add_argument(
            "--org",
            required=True,
            metavar="SLUG",
            help="the organization's slug (as in `sozu createorg SLUG`)",
        )
        add.add_argument("--name", required=True, help="full name")
        add.add_argument("--address", required=True, metavar="G…", help="Stellar address")
        add.add_argument("--email", default="", help="contact e-mail (in batch exports)")
        add.add_argument("--phone", default="", help="contact phone (in batch exports)")
        add.add_argument("--dni", default="", help="DNI / CUIT")
        listing = sub.add_parser("list", help="the organization's beneficiaries")
        listing.add_argument(
            "--org",
            required=True,
            metavar="SLUG",
            help="the organization's slug (as in `sozu createorg SLUG`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _add(self, options: dict[str, Any]) -> None:
        org = organization_by_slug(options["org"])
        b = beneficiary_create(
            organization_id=org.pk,
            full_name=options["name"],
            stellar_address=options["address"].strip(),
            actor=operator(),
            email=options["email"],
            phone=options["phone"],
            national_id=options["dni"],
        )
        self.say(f"Beneficiary {b.pk} “{b.full_name}” added to “{org.slug}” ({b.status}).")
        self.say(f"  pay by id in a batch CSV: beneficiary_id,amount → {b.pk},100.00")

    def _list(self, options: dict[str, Any]) -> None:
        org = organization_by_slug(options["org"])
        rows = [
            [
                b.pk,
                b.full_name,
                b.status,
                b.stellar_address,
                b.email or "—",
                format_phone(b.phone) or "—",
            ]
            for b in Beneficiary.objects.filter(organization=org).order_by("pk")
        ]
        if not rows:
            self.say(f"“{org.slug}” has no beneficiaries yet.")
            return
        self.say(table(["ID", "NAME", "STATUS", "ADDRESS", "EMAIL", "PHONE"], rows))
