"""The payment request for a cuota: which cuota, how much, and a SEP-7 URI signed by Sozu."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from stellar_sdk import Keypair, Network

from sozu.credit.errors import SozuError
from sozu.credit.payment_request import loan_payment_request
from sozu.credit.tests.reports_data import active_loan, pay
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db
PAID_ON = dt.date(2026, 3, 2)
EARLY = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def stellar(settings):
    settings.USDC_ISSUER = Keypair.random().public_key
    settings.NETWORK_PASSPHRASE = Network.TESTNET_NETWORK_PASSPHRASE
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
