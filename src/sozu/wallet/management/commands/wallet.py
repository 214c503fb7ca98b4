"""`sozu wallet prune`: forget spent wallet challenges and mark expired invitations."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from sozu.orgs.management.base import SozuCommand, operator
from sozu.wallet.services.housekeeping import wallet_prune


class Command(SozuCommand):
    help = "Housekeeping of the recipients' wallet (the worker also runs it periodically)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser(
            "prune",
            help=(
                "delete expired WebAuthn challenges and expired SEP-10 answers; mark "
                "invitations that expired unused (audited)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = wallet_prune(actor=operator())
        self.say(
            f"WebAuthn challenges deleted: {result.webauthn_challenges}; "
            f"SEP-10 challenges deleted: {result.sep10_challenges}; "
            f"invitations marked expired: {result.invitations_expired}"
        )
