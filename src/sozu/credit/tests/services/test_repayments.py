"""Repayments: append-only rows, allocation recomputed from them, corrections as reversals."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine

from sozu.audit.models import AuditEvent
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan, Repayment
from sozu.credit.selectors import loan_position
from sozu.credit.services import loan_mark_disbursed, repayment_record, repayment_reverse
from sozu.credit.tests.factories import draft_loan

pytestmark = pytest.mark.django_db
L = Loan.Status
BA = dt.timezone(dt.timedelta(hours=-3))
PAID_OUT = dt.datetime(2026, 3, 2, 11, 0, tzinfo=BA)


@pytest.fixture
def loan() -> Loan:
    """1000 USDC in 2 monthly French cuotas at TNA 60 %, IVA 21 %, punitorios 73 %, 3 days grace."""
    with time_machine.travel(PAID_OUT, tick=False):
        loan = draft_loan(amount="1000", cuotas=2)
        Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING)
        return loan_mark_disbursed(loan=loan, paid_at=PAID_OUT, actor="worker:1")


def cuotas(loan: Loan):
    return list(loan.schedule.order_by("number"))


def pay(loan: Loan, amount, day: dt.date, reference: str = "R-1") -> Repayment:
    with time_machine.travel(dt.datetime.combine(day, dt.time(15), tzinfo=BA), tick=False):
        return repayment_record(
            loan=loan,
            amount=amount,
            received_on=day,
            method="cash",
            reference=reference,
            actor="user:3",
        )


def test_paying_every_cuota_on_its_due_date_pays_the_loan_off(loan) -> None:
    first, second = cuotas(loan)
    pay(loan, first.total, first.due_date, "R-1")
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE
    pay(loan, second.total, second.due_date, "R-2")

    loan.refresh_from_db()
    assert loan.status == L.PAID_OFF
    position = loan_position(loan=loan, as_of=second.due_date)
    assert position.paid_off and position.credit == 0 and position.days_past_due == 0
    assert [c.paid_on for c in position.cuotas] == [first.due_date, second.due_date]
    assert AuditEvent.objects.filter(action="repayment.recorded").count() == 2
    assert AuditEvent.objects.filter(action="loan.paid_off", object_id=str(loan.pk)).count() == 1


def test_a_late_cuota_pays_its_late_interest_first(loan) -> None:
    first, _ = cuotas(loan)
    late_day = first.due_date + dt.timedelta(days=10)  # past the 3 days of grace
    pay(loan, first.total, late_day)

    position = loan_position(loan=loan, as_of=late_day)
    # Punitorios: 73 % a year over 365 days on the cuota's capital, for all 10 days, + IVA 21 %.
    late = (first.capital * Decimal("0.73") * 10 / 365).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    late_iva = (late * Decimal("0.21")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cuota = position.cuotas[0]
    assert (cuota.late_interest, cuota.late_iva) == (late, late_iva)
    assert cuota.paid["late_interest"] == late and cuota.paid["late_iva"] == late_iva
    assert cuota.paid["interest"] == first.interest and cuota.paid["iva"] == first.iva
    # The late interest came first, so the capital is short by exactly that much.
    assert cuota.owed("capital") == late + late_iva
    assert not cuota.is_paid
    assert position.days_past_due == 10


def test_a_correction_is_a_reversal_that_reopens_the_loan(loan) -> None:
    first, second = cuotas(loan)
    pay(loan, first.total, first.due_date, "R-1")
    wrong = pay(loan, second.total, second.due_date, "R-2")
    loan.refresh_from_db()
    assert loan.status == L.PAID_OFF

    with time_machine.travel(dt.datetime.combine(second.due_date, dt.time(18), tzinfo=BA)):
        reversal = repayment_reverse(repayment=wrong, actor="user:4", reason="Cheque rechazado")
        with pytest.raises(SozuError) as exc:
            repayment_reverse(repayment=wrong, actor="user:4", reason="otra vez")
    assert exc.value.code == "repayment_already_reversed"

    wrong.refresh_from_db()
    assert (wrong.kind, wrong.amount) == (Repayment.Kind.PAYMENT, second.total)  # never edited
    assert (reversal.kind, reversal.reverses_id, reversal.amount) == (
        Repayment.Kind.REVERSAL,
        wrong.pk,
        second.total,
    )
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE
    position = loan_position(loan=loan, as_of=second.due_date)
    assert position.cuotas[0].is_paid and not position.cuotas[1].is_paid
    assert Repayment.objects.filter(loan=loan).count() == 3
    assert AuditEvent.objects.filter(action="loan.reopened").count() == 1


@pytest.mark.parametrize(
    ("amount", "reference", "day_offset", "code"),
    [
        ("0", "R-1", 0, "repayment_amount_invalid"),
        ("10.001", "R-1", 0, "repayment_amount_invalid"),
        (10.5, "R-1", 0, "repayment_amount_invalid"),
        ("100", "  ", 0, "repayment_reference_missing"),
        ("100", "R-1", 1, "repayment_in_future"),  # received tomorrow
    ],
)
def test_bad_repayments_are_refused_and_nothing_is_recorded(
    loan, amount, reference, day_offset, code
) -> None:
    today = dt.date(2026, 3, 20)
    with time_machine.travel(dt.datetime(2026, 3, 20, 12, tzinfo=BA), tick=False):
        with pytest.raises(SozuError) as exc:
            repayment_record(
                loan=loan,
                amount=amount,
                received_on=today + dt.timedelta(days=day_offset),
                method="transfer",
                reference=reference,
                actor="user:3",
            )
    assert exc.value.code == code
    assert not Repayment.objects.exists()
    assert not AuditEvent.objects.filter(action="repayment.recorded").exists()


def test_no_repayment_on_a_loan_that_is_not_active() -> None:
    loan = draft_loan()
    with time_machine.travel(PAID_OUT, tick=False), pytest.raises(SozuError) as exc:
        repayment_record(
            loan=loan,
            amount="10",
            received_on=PAID_OUT.date(),
            method="cash",
            reference="R-9",
            actor="user:3",
        )
    assert exc.value.code == "repayment_loan_not_active"
    assert not Repayment.objects.exists()


def test_usdc_received_for_an_ars_loan_records_the_exchange_rate_used() -> None:
    from django.utils import timezone

    from sozu.credit.services import ExchangeRate
    from sozu.credit.tests.factories import LoanProductFactory

    product = LoanProductFactory.create(currency="ARS", max_amount=Decimal("900000"))
    with time_machine.travel(PAID_OUT, tick=False):
        loan = draft_loan(product=product, amount="300000", cuotas=3)
        Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING)
        loan_mark_disbursed(loan=loan, paid_at=PAID_OUT, actor="worker:1")
        with pytest.raises(SozuError) as exc:
            repayment_record(
                loan=loan,
                amount="10000",
                received_on=PAID_OUT.date(),
                method="stellar",
                reference="tx-1",
                actor="worker:1",
            )
        assert exc.value.code == "loan_exchange_rate_missing"
        assert not Repayment.objects.exists()
        rate = ExchangeRate(Decimal("1250.50"), "CriptoYA USDC/ARS bid", timezone.now())
        repayment = repayment_record(
            loan=loan,
            amount="10000",
            received_on=PAID_OUT.date(),
            method="stellar",
            reference="tx-1",
            actor="worker:1",
            exchange_rate=rate,
        )
    repayment.refresh_from_db()
    assert (repayment.exchange_rate, repayment.exchange_rate_source) == (
        Decimal("1250.50"),
        "CriptoYA USDC/ARS bid",
    )
    assert repayment.exchange_rate_at == PAID_OUT
