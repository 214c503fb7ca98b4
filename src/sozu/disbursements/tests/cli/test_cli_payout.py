"""`sozu payout`: one payment now, answered with the transaction the network confirms."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from stellar_sdk import Keypair, Server
from tests.localnet_process import LocalNet

from sozu.disbursements.models import Payout
from sozu.errors import message_for
from sozu.orgs.models import Organization
from sozu.orgs.tests.cli_helpers import run_sozu

pytestmark = pytest.mark.django_db(transaction=True)


def test_payout_prints_a_transaction_hash_the_network_confirms(
    org: Organization, recipient: Callable[[], str], localnet: LocalNet
) -> None:
    destination = recipient()
    before = localnet.usdc_balance(destination)

    ran = run_sozu("payout", destination, "12.34", "--org", org.slug, "--memo", "cuota 3")

    assert ran.code == 0, ran.err
    tx_hash = ran.out.strip()
    tx = Server(localnet.url).transactions().transaction(tx_hash).call()
    assert tx["successful"] is True
    assert tx["memo"] == "cuota 3"
    assert localnet.usdc_balance(destination) - before == Decimal("12.34")
    payout = Payout.objects.get()
    assert (payout.status, payout.tx_hash, payout.ledger) == (
        Payout.Status.PAID,
        tx_hash,
        tx["ledger"],
    )
    assert payout.created_by.startswith("cli:")


def test_payout_to_an_account_without_usdc_trustline_is_refused(
    org: Organization, localnet: LocalNet
) -> None:
    destination = Keypair.random().public_key
    localnet.fund(destination, xlm="10", usdc="0")

    ran = run_sozu("payout", destination, "5", "--org", org.slug)

    assert ran.code == 1
    assert ran.err.strip() == message_for("destination_no_trustline")
    assert not Payout.objects.exists()


def test_payout_of_zero_is_refused(org: Organization, recipient: Callable[[], str]) -> None:
    ran = run_sozu("payout", recipient(), "0", "--org", org.slug)

    assert ran.code == 1
    assert ran.err.strip() == message_for("amount_not_positive", {"value": "0"})
    assert not Payout.objects.exists()


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("\u0661\u0662", "amount_invalid"),  # Arabic-Indic 12: read by Decimal, not by us
        ("1e21", "amount_invalid"),  # was decimal.InvalidOperation, a traceback
        ("1.000", "amount_ambiguous_thousands"),
    ],
)
def test_payout_reads_amounts_like_the_api_and_csv(
    org: Organization, recipient: Callable[[], str], amount: str, code: str
) -> None:
    ran = run_sozu("payout", recipient(), amount, "--org", org.slug)

    assert ran.code == 1
    assert ran.err.strip() == message_for(code, {"value": amount})
    assert not Payout.objects.exists()
