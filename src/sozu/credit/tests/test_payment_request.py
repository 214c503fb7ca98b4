"""The payment request for a cuota: which cuota, how much, and a SEP-7 URI signed by Sozu that
the wallet's SEP-7 check accepts, and refuses once anything in it is changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from stellar_sdk import Keypair, Network

from sozu.credit.errors import SozuError
from sozu.credit.payment_request import (
    loan_payment_destination,
    loan_payment_instructions,
    loan_payment_request,
)
from sozu.credit.tests.reports_data import active_loan, pay
from sozu.wallet.sep7 import pay_request_check
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 3, 2)
EARLY = dt.date(2026, 3, 10)


HOME = "wallet.sozu.test"
ISSUER = Keypair.random().public_key


@pytest.fixture(autouse=True)
def stellar(settings):
    settings.USDC_ISSUER = ISSUER
    settings.NETWORK_PASSPHRASE = Network.TESTNET_NETWORK_PASSPHRASE
    settings.SOZU_HOME_DOMAIN = HOME
    settings.SOZU_MASTER_KEY = "test-master-key"
    from sozu.stellar import network

    network.reset_caches()
    yield
    network.reset_caches()


def test_once_she_paid_the_next_cuota_ahead_the_request_is_for_the_one_after() -> None:
    loan = active_loan(org(name="Manos Unidas"), cuotas=3, paid_on=PAID_ON)
    first, second = loan.schedule.order_by("number")[:2]
    pay(loan, first.total, EARLY)  # before it falls due: her credit until then

    found = loan_payment_request(loan=loan, as_of=EARLY)

    assert (found.cuota, found.amount, found.due_date) == (2, second.total, second.due_date)
    with pytest.raises(SozuError) as refused:
        loan_payment_request(loan=loan, as_of=EARLY, cuota=1)
    assert refused.value.code == "cuota_already_paid"
    # Part of cuota 2 paid ahead too: the request asks for what is left of it.
    pay(loan, Decimal("50"), EARLY, reference="R-2")
    found = loan_payment_request(loan=loan, as_of=EARLY)
    assert (found.cuota, found.amount) == (2, second.total - Decimal("50"))


def test_the_request_is_signed_by_sozu_and_the_wallets_check_accepts_it() -> None:
    loan = active_loan(org(name="Manos Unidas"), cuotas=3, paid_on=PAID_ON)
    first = loan.schedule.get(number=1)

    found = loan_payment_request(loan=loan, as_of=EARLY)
    checked = pay_request_check(found.uri)

    assert checked.verified and checked.origin_domain == HOME
    assert checked.destination == found.destination == loan_payment_destination(loan)
    assert checked.destination.startswith("M")
    assert (checked.amount, checked.memo) == (first.total, loan.payment_reference)
    assert (checked.asset_code, checked.asset_issuer) == ("USDC", ISSUER)
    # The staff page's instructions carry the same signed request for any amount.
    shown = pay_request_check(loan_payment_instructions(loan=loan).uri)
    assert shown.verified and (shown.destination, shown.amount) == (found.destination, None)


@pytest.mark.parametrize("part", ["amount", "memo", "destination"])
def test_a_changed_request_is_refused_by_the_wallet(part: str) -> None:
    loan = active_loan(org(name="Manos Unidas"), cuotas=3, paid_on=PAID_ON)
    other = active_loan(loan.organization, cuotas=3, paid_on=PAID_ON, national_id="20111222")
    found = loan_payment_request(loan=loan, as_of=EARLY)
    change = {
        "amount": (f"amount={found.amount}", "amount=1.00"),
        "memo": (f"memo={found.memo}", f"memo={other.payment_reference}"),
        "destination": (found.destination, loan_payment_destination(other)),
    }[part]
    tampered = found.uri.replace(*change)
    assert tampered != found.uri

    with pytest.raises(SozuError) as refused:
        pay_request_check(tampered)

    assert refused.value.code == "sep7_signature_invalid"
