"""The worker sends fewer envelopes while the network pushes back, and never overpays fees."""

from __future__ import annotations

import pytest

from sozu.disbursements.worker import Concurrency, FeePolicy
from sozu.stellar.horizon import TxOutcome
from sozu.stellar.results import Verdict

pytestmark = pytest.mark.django_db(transaction=True)


def _outcome(verdict: Verdict, status: int | None = None) -> TxOutcome:
    return TxOutcome(verdict, "h" * 64, http_status=status)


def test_pushback_halves_envelopes_in_flight_and_success_grows_them_back(make_org):
    org = make_org(channels=0, max_in_flight=12)
    c = Concurrency()
    assert c.limit(org) == 12
    c.observe(org.pk, 12, _outcome(Verdict.UNKNOWN, 429))
    c.observe(org.pk, 12, _outcome(Verdict.UNKNOWN, 503))
    assert c.limit(org) == 3
    for _ in range(3):
        c.observe(org.pk, 12, _outcome(Verdict.PAID, 200))
    assert c.limit(org) == 6
    for _ in range(20):
        c.observe(org.pk, 12, _outcome(Verdict.PAID, 200))
    assert c.limit(org) == 12  # never above the organization's maximum
    for _ in range(10):
        c.observe(org.pk, 12, _outcome(Verdict.UNKNOWN, 504))
    assert c.limit(org) == 1  # never below one


def test_fees_follow_the_network_and_stop_at_the_organizations_maximum(make_org):
    org = make_org(channels=0, max_fee_per_op=1000)
    fees = FeePolicy()
    assert fees.per_op(org) == 100  # a quiet network charges its base fee
    fees.surge_factor = 64  # the network kept refusing our fee
    assert fees.per_op(org) == 1000


def test_the_surge_factor_comes_back_down_when_fees_fall(make_org):
    org = make_org(channels=0, max_fee_per_op=100_000)
    fees = FeePolicy(refresh_seconds=0)
    for _ in range(6):
        fees.refused()  # the network kept refusing our fee during a surge
    assert fees.surge_factor == 64
    fees.calm()  # an envelope got in at that fee
    assert fees.surge_factor == 32
    # The surge is over: the network's fee stats show a quiet ledger again.
    offers = [fees.per_op(org) for _ in range(6)]
    assert offers[-1] == 100
    assert offers == sorted(offers, reverse=True)
