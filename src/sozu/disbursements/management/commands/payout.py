"""`sozu payout ADDRESS AMOUNT --org SLUG`: pay one destination now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser

from sozu.disbursements.models import Payout
from sozu.disbursements.services.payouts import payout_create, payout_pay_now
from sozu.errors import message_for
from sozu.orgs.management.base import (
    SozuCommand,
    money,
    operator,
    organization_by_slug,
    process_name,
    quiet_logs,
)

P = Payout.Status


class Command(SozuCommand):
    help = (
        "Pay one destination now: prints the transaction hash once the network includes it, "
        "or the payout id to follow when it is still on its way. Exit status 1 if it failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("address", metavar="ADDRESS", help="G… or M… address")
        parser.add_argument("amount", metavar="AMOUNT", help="USDC, e.g. 150.00")
        parser.add_argument(
            "--org",
            required=True,
            metavar="SLUG",
            help="the organization's slug (as in `sozu createorg SLUG`)",
        )
        parser.add_argument("--memo", default="", help="text memo, up to 28 bytes")
        parser.add_argument(
            "--wait",
            type=float,
            default=30.0,
            metavar="SECONDS",
            help="how long to wait for the network's answer (default 30)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = organization_by_slug(options["org"])
        data = {"destination": options["address"].strip(), "amount": options["amount"]}
        if options["memo"]:
            data["memo"] = options["memo"]
        payout = payout_create(organization=org, data=data, actor=operator())
        self.note(
            f"Payout {payout.pk} of “{org.slug}”: {money(payout.amount)} USDC → "
            f"{payout.destination}"
        )
        try:
            with quiet_logs(options["verbosity"]):
                payout = payout_pay_now(
                    payout=payout, worker=process_name("cli"), wait_seconds=options["wait"]
                )
        except Exception as exc:
            # The payout is saved and queued: a worker pays it. Reporting a failure here would
            # invite running the command again, and that would pay twice.
            self.note(f"Could not submit it now ({type(exc).__name__}).")
            payout.refresh_from_db()
        if payout.status == P.PAID:
            self.note(f"Paid in ledger {payout.ledger}. Transaction:")
            self.say(payout.tx_hash)
            self.note(f"  {settings.HORIZON_URL}/transactions/{payout.tx_hash}")
            return
        if payout.status == P.FAILED:
            self.fail(f"Payout {payout.pk} failed: {message_for(payout.failure_code)}")
        self.say(f"Payout {payout.pk} is {payout.status.replace('_', ' ')}.")
        self.note(
            "The network has not answered yet; a running `sozu worker` settles it. "
            f"Its state is kept: payout {payout.pk} (GET /api/v1/payouts/{payout.pk})."
        )
