"""Allocation: late interest, then interest with its IVA, then capital; oldest cuota first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sozu.credit.allocation import CuotaDue, Payment, allocate

D = Decimal


def cuota(number: int, due: dt.date, capital="1000", interest="100", iva="21", fees="0"):
    return CuotaDue(number, due, D(capital), D(interest), D(iva), D(fees))


SCHEDULE = [
    cuota(1, dt.date(2026, 3, 10)),
    cuota(2, dt.date(2026, 4, 10)),
    cuota(3, dt.date(2026, 5, 11)),
]


def pay(ref, day, amount):
    return Payment(ref, day, D(amount))


def parts(position, number):
    return {k: v for k, v in position.cuotas[number - 1].paid.items() if v}


def test_a_partial_payment_covers_interest_and_its_iva_before_capital() -> None:
    position = allocate(
        cuotas=SCHEDULE, payments=[pay(1, dt.date(2026, 3, 10), "500")], as_of=dt.date(2026, 3, 10)
    )
    assert parts(position, 1) == {"interest": D(100), "iva": D(21), "capital": D(379)}
    assert [(a.component, a.amount) for a in position.allocations] == [
        ("interest", D(100)),
        ("iva", D(21)),
        ("capital", D(379)),
    ]
    assert position.cuotas[0].owed("capital") == D(621)
    assert position.credit == 0


def test_the_oldest_cuota_is_paid_first_and_late_interest_before_anything() -> None:
    # Cuota 1 is 31 days late when she pays on 2026-04-10: punitorios at 73 % a year on its
    # 1000 of capital is 0.2 % a day → 62.00 for 31 days, plus 21 % IVA (13.02).
    payments = [pay(1, dt.date(2026, 4, 10), "1300")]
    position = allocate(
        cuotas=SCHEDULE, payments=payments, as_of=dt.date(2026, 4, 10), late_tna=D(73), iva=D(21)
    )
    first = position.cuotas[0]
    assert first.late_interest == D("62.00")
    assert first.late_iva == D("13.02")
    assert first.is_paid and first.paid_on == dt.date(2026, 4, 10)
    assert first.days_late(position.as_of) == 31
    assert [(a.cuota, a.component, a.amount) for a in position.allocations] == [
        (1, "late_interest", D("62.00")),
        (1, "late_iva", D("13.02")),
        (1, "interest", D(100)),
        (1, "iva", D(21)),
        (1, "capital", D(1000)),
        # The 103.98 left goes to cuota 2, due that same day: interest, then its IVA.
        (2, "interest", D(100)),
        (2, "iva", D("3.98")),
    ]
    assert position.cuotas[1].owed("capital") == D(1000)
    assert position.credit == 0


def test_no_late_interest_within_the_grace_days_and_from_the_due_date_after_them() -> None:
    on_time = allocate(
        cuotas=SCHEDULE[:1],
        payments=[pay(1, dt.date(2026, 3, 13), "1121")],
        as_of=dt.date(2026, 3, 13),
        late_tna=D(73),
        grace_days=3,
    )
    assert on_time.cuotas[0].late_interest == 0 and on_time.paid_off
    late = allocate(
        cuotas=SCHEDULE[:1],
        payments=[],
        as_of=dt.date(2026, 3, 14),
        late_tna=D(73),
        grace_days=3,
    )
    assert late.cuotas[0].late_interest == D("8.00")  # 4 days x 2.00, counted from the due date
    assert late.days_past_due == 4
    assert late.overdue == D("1129.00")


def test_an_early_payment_is_kept_as_credit_and_pays_the_cuota_on_its_due_date() -> None:
    early = [pay(1, dt.date(2026, 3, 5), "1121")]
    before = allocate(cuotas=SCHEDULE, payments=early, as_of=dt.date(2026, 3, 6))
    assert before.credit == D(1121)
    assert before.allocations == []
    on_due = allocate(cuotas=SCHEDULE, payments=early, as_of=dt.date(2026, 3, 10))
    assert on_due.credit == 0
    assert on_due.cuotas[0].is_paid and on_due.cuotas[0].paid_on == dt.date(2026, 3, 10)
    assert on_due.days_past_due == 0


def test_an_overpayment_is_kept_as_her_credit() -> None:
    position = allocate(
        cuotas=SCHEDULE[:1],
        payments=[pay(1, dt.date(2026, 3, 10), "1200")],
        as_of=dt.date(2026, 3, 20),
    )
    assert position.paid_off
    assert position.credit == D(79)


def test_paying_everything_owed_at_once_pays_the_loan_off() -> None:
    position = allocate(
        cuotas=SCHEDULE, payments=[pay(1, dt.date(2026, 3, 10), "3363")], as_of=dt.date(2026, 3, 10)
    )
    assert position.paid_off and position.credit == 0
    assert position.outstanding == 0


def test_payments_after_the_date_asked_about_do_not_count() -> None:
    position = allocate(
        cuotas=SCHEDULE, payments=[pay(1, dt.date(2026, 3, 11), "1121")], as_of=dt.date(2026, 3, 10)
    )
    assert position.allocations == [] and not position.cuotas[0].is_paid
