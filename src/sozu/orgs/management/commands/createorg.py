"""`sozu createorg SLUG --name NAME`: an organization with its wallet ready on the network."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser

from sozu.disbursements.services.checks import wallet_usdc_balance
from sozu.errors import SozuError
from sozu.orgs.management.base import SozuCommand, money, operator
from sozu.orgs.services import organization_create
from sozu.stellar import network
from sozu.stellar.amounts import AmountError, parse_amount_text
from sozu.stellar.transactions import is_local_network


def _amount(text: str) -> Decimal:
    """An amount to fund with (0 allowed), read like every other amount (parse_amount_text)."""
    try:
        return parse_amount_text(text)
    except AmountError as exc:
        raise SozuError(exc.code, value=text) from None


class Command(SozuCommand):
    help = (
        "Create an organization and its wallet: a new keypair (its secret stored encrypted), "
        "or the one in ORG_DISBURSEMENT_SECRET with --use-env-secret. On the local network "
        "the wallet is funded by the network; elsewhere fund it with XLM first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="short unique name, e.g. acme")
        parser.add_argument("--name", required=True, help="the organization's display name")
        parser.add_argument(
            "--use-env-secret",
            action="store_true",
            help="use the wallet whose secret is in ORG_DISBURSEMENT_SECRET",
        )
        parser.add_argument(
            "--fund-usdc",
            default="0",
            metavar="N",
            help="local network only: USDC the network gives the wallet (default 0)",
        )
        parser.add_argument(
            "--channels",
            type=int,
            default=12,
            metavar="N",
            help="channel accounts, i.e. transactions in flight at once (default 12)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fund_usdc = _amount(options["fund_usdc"])
        if options["channels"] < 0:
            raise SozuError("invalid_field", field="channels")
        # The organization is saved before its wallet is set up on the network: check that the
        # network answers first, so that the usual failure leaves nothing half made.
        network.client().latest_ledger()
        network.usdc_asset()
        org = organization_create(
            slug=options["slug"],
            name=options["name"],
            actor=operator(),
            use_env_secret=options["use_env_secret"],
            fund_usdc=fund_usdc,
            channels=options["channels"],
        )
        wallet = org.wallet_public_key
        balance = wallet_usdc_balance(org)
        asset = network.usdc_asset()
        self.say(f"Organization “{org.slug}” ({org.name}) created.")
        self.say(f"  wallet:   {wallet}")
        self.say(f"  channels: {org.channels.count()}")
        self.say(f"  USDC:     {money(balance)} (issuer {asset.issuer})")
        self.say(f"  network:  {settings.HORIZON_URL}")
        self.say("")
        self.say(f"Fund this address with USDC before paying out: {wallet}")
        if is_local_network(settings.NETWORK_PASSPHRASE):
            self.say(
                "  on the local network: sozu localnet fund "
                f"{wallet} --usdc 1000 --horizon {settings.HORIZON_URL}"
            )
        else:
            self.say(f"  send USDC issued by {asset.issuer} to it (the trustline is in place)")
