"""Properties every schedule keeps, for every system and frequency (Hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sozu.credit.errors import SozuError
from sozu.credit.simulator import LoanTerms, Simulation
from sozu.credit.simulator import simulate as simulate_terms


def simulate(t: LoanTerms) -> Simulation:
    """The simulation, or no example when the fee leaves her nothing (refused, as it must be)."""
    try:
        return simulate_terms(t)
    except SozuError as exc:
        assert exc.code == "credit_fee_invalid"
        fee = (t.amount * t.origination_fee / 100).quantize(Decimal("0.01"))
        assert fee > 0 and t.amount - fee <= t.amount * Decimal("0.9")
        assume(False)
        raise


terms = st.builds(
    LoanTerms.parse,
    amount=st.integers(min_value=1, max_value=10**11).map(lambda c: Decimal(c) / 100),
    cuotas=st.integers(min_value=1, max_value=120),
    frequency=st.sampled_from(["weekly", "biweekly", "monthly"]),
    tna=st.integers(min_value=0, max_value=50000).map(lambda bp: Decimal(bp) / 100),
    system=st.sampled_from(["french", "german", "flat"]),
    iva=st.sampled_from(["21", "10.5", "0"]),
    first_due=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2035, 12, 31)),
    origination_fee=st.sampled_from(["0", "1.5", "5", "80"]),
    insurance=st.sampled_from(["0", "0.25"]),
    business_days=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(terms)
def test_capital_sums_to_the_amount_and_the_balance_never_goes_negative(t: LoanTerms) -> None:
    result = simulate(t)
    rows = result.rows

    assert len(rows) == t.cuotas
    assert sum(r.capital for r in rows) == t.amount
    assert all(r.capital >= 0 and r.interest >= 0 and r.iva >= 0 for r in rows)
    assert all(r.balance >= 0 for r in rows)
    assert rows[-1].balance == 0
    balances = [t.amount] + [r.balance for r in rows]
    assert all(a - r.capital == b for a, b, r in zip(balances, balances[1:], rows, strict=False))
    assert all(r.total == r.capital + r.interest + r.iva + r.fees for r in rows)
    # Every amount is in cents.
    assert all(r.total == r.total.quantize(Decimal("0.01")) for r in rows)
    # Due dates only move forward, and never before the nominal date.
    assert all(a.due_date < b.due_date for a, b in itertools.pairwise(rows))
    assert all(r.due_date >= r.nominal_date for r in rows)
    assert result.cft_effective >= result.cft_effective_without_iva >= 0


payments = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400),  # days after the first due date - 30
        st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100),
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(terms, payments, st.sampled_from(["0", "73", "120"]), st.integers(0, 10))
def test_allocation_accounts_for_every_cent_and_never_owes_less_than_nothing(
    t: LoanTerms, paid: list[tuple[int, Decimal]], late_tna: str, grace: int
) -> None:
    from sozu.credit.allocation import CuotaDue, Payment, allocate

    rows = simulate(t).rows
    dues = [CuotaDue(r.number, r.due_date, r.capital, r.interest, r.iva, r.fees) for r in rows]
    start = t.first_due - dt.timedelta(days=30)
    made = [Payment(i, start + dt.timedelta(days=d), amount) for i, (d, amount) in enumerate(paid)]
    as_of = start + dt.timedelta(days=401)

    position = allocate(
        cuotas=dues,
        payments=made,
        as_of=as_of,
        late_tna=Decimal(late_tna),
        iva=t.iva,
        grace_days=grace,
    )

    assert sum(a.amount for a in position.allocations) + position.credit == sum(
        p.amount for p in made
    )
    assert all(a.amount > 0 for a in position.allocations)
    assert position.credit >= 0
    for cuota in position.cuotas:
        assert all(cuota.owed(c) >= 0 for c in ("late_interest", "interest", "iva", "capital"))
    assert position.outstanding_capital >= 0
    # Credit is left over only when nothing due is unpaid.
    if position.credit > 0:
        assert all(c.is_paid for c in position.cuotas if c.due.due_date <= as_of)
