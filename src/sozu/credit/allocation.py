"""Repayment allocation: what each payment paid, cuota by cuota, as a pure function.

The rules (the same for manual and on-chain repayments; balances are always recomputed from
the append-only repayments through this function, never stored and edited):

1. Oldest cuota first. Within a cuota: late interest (punitorios) and its IVA, then interest
   and its IVA, then insurance, then capital.
2. A payment pays only cuotas already due on its date; what is left is kept as her credit
   (saldo a favor) and applied on each following due date, so paying a few days early pays the
   next cuota on time. If the credit covers everything still owed, it pays the loan off.
3. Late interest accrues day by day on a cuota's unpaid capital once it is more than
   `grace_days` late (then from the due date itself), at `late_tna` percent a year over 365
   days, plus IVA at the loan's rate; amounts round to cents half-up at each payment date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sozu.credit.simulator import HUNDRED, ZERO, cents

#: The order in which a payment covers the parts of one cuota.
COMPONENTS = ("late_interest", "late_iva", "interest", "iva", "fees", "capital")


@dataclass(frozen=True)
class CuotaDue:
    """One row of the schedule as owed: what the simulator computed."""

    number: int
    due_date: dt.date
    capital: Decimal
    interest: Decimal
    iva: Decimal
    fees: Decimal


@dataclass(frozen=True)
class Payment:
    """A repayment received (`ref` identifies it, e.g. the Repayment row's id)."""

    ref: int | str
    received_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    payment: int | str
    cuota: int
    component: str
    amount: Decimal


@dataclass
class CuotaState:
    """A cuota as it stands: owed (with accrued late interest) and paid, per component."""

    due: CuotaDue
    late_interest: Decimal = ZERO
    late_iva: Decimal = ZERO
    paid: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(COMPONENTS, ZERO))
    paid_on: dt.date | None = None
    #: The last date up to which late interest was accrued.
    accrued_to: dt.date | None = None

    def owed(self, component: str) -> Decimal:
        total = {
            "late_interest": self.late_interest,
            "late_iva": self.late_iva,
            "interest": self.due.interest,
            "iva": self.due.iva,
            "fees": self.due.fees,
            "capital": self.due.capital,
        }[component]
        return total - self.paid[component]

    @property
    def outstanding(self) -> Decimal:
        return sum((self.owed(c) for c in COMPONENTS), ZERO)

    @property
    def is_paid(self) -> bool:
        return self.outstanding == 0

    def days_late(self, as_of: dt.date) -> int:
        until = self.paid_on if self.paid_on is not None else as_of
        return max(0, (until - self.due.due_date).days)


@dataclass
class Position:
    """A loan's account after its payments, as of a date."""

    as_of: dt.date
    cuotas: list[CuotaState]
    allocations: list[Allocation]
    credit: Decimal

    @property
    def outstanding(self) -> Decimal:
        return sum((c.outstanding for c in self.cuotas), ZERO)

    @property
    def outstanding_capital(self) -> Decimal:
        return sum((c.owed("capital") for c in self.cuotas), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((c.outstanding for c in self.cuotas if c.due.due_date < self.as_of), ZERO)

    @property
    def days_past_due(self) -> int:
        """Days since the oldest unpaid cuota fell due (0 when nothing is overdue)."""
        late = [c.days_late(self.as_of) for c in self.cuotas if not c.is_paid]
        return max(late, default=0)

    @property
    def paid_off(self) -> bool:
        return all(c.is_paid for c in self.cuotas)


def _accrue(
    cuotas: list[CuotaState], day: dt.date, late_rate: Decimal, iva: Decimal, grace: int
) -> None:
    for c in cuotas:
        unpaid = c.owed("capital")
        late_days = (day - c.due.due_date).days
        if unpaid <= 0 or late_days <= grace:
            continue
        start = c.accrued_to or c.due.due_date
        days = (day - start).days
        if days <= 0:
            continue
        extra = cents(unpaid * late_rate * days / 365)
        c.late_interest += extra
        c.late_iva += cents(extra * iva)
        c.accrued_to = day


def _apply(
    cuotas: list[CuotaState],
    credit: Decimal,
    day: dt.date,
    ref: int | str,
    out: list[Allocation],
    *,
    everything: bool = False,
) -> Decimal:
    for c in cuotas:
        if credit <= 0:
            break
        if c.is_paid or (c.due.due_date > day and not everything):
            continue
        for component in COMPONENTS:
            take = min(credit, c.owed(component))
            if take > 0:
                c.paid[component] += take
                credit -= take
                out.append(Allocation(ref, c.due.number, component, take))
        if c.is_paid and c.paid_on is None:
            c.paid_on = day
    return credit


def allocate(
    *,
    cuotas: Sequence[CuotaDue],
    payments: Sequence[Payment],
    as_of: dt.date,
    late_tna: Decimal = ZERO,
    iva: Decimal = ZERO,
    grace_days: int = 0,
) -> Position:
    """Apply `payments` (those received on or before `as_of`) to the schedule.

    Rates are in percent (late_tna 90 means 90 % a year; iva 21). Deterministic: payments on
    one day apply in the order given.
    """
    late_rate = late_tna / HUNDRED
    iva_rate = iva / HUNDRED
    states = [CuotaState(due=c) for c in sorted(cuotas, key=lambda c: c.number)]
    # (date, 0 = a cuota falls due, 1 = a payment, order given)
    events: list[tuple[dt.date, int, int, Payment | None]] = [
        (c.due_date, 0, 0, None) for c in cuotas if c.due_date <= as_of
    ]
    events += [(p.received_on, 1, i, p) for i, p in enumerate(payments) if p.received_on <= as_of]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    credit = ZERO
    allocations: list[Allocation] = []
    last_ref: int | str = ""
    for day, _, _, payment in events:
        _accrue(states, day, late_rate, iva_rate, grace_days)
        if payment is not None:
            credit += payment.amount
            last_ref = payment.ref
        if credit > 0:
            credit = _apply(states, credit, day, last_ref, allocations)
            remaining = sum((s.outstanding for s in states), ZERO)
            if payment is not None and remaining and credit >= remaining:
                credit = _apply(states, credit, day, last_ref, allocations, everything=True)
    _accrue(states, as_of, late_rate, iva_rate, grace_days)
    return Position(as_of=as_of, cuotas=states, allocations=allocations, credit=credit)
