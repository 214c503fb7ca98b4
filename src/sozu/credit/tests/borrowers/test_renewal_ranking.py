"""Renewal eligibility with reasons and cycle history; the ranking of borrowers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.ranking import borrower_ranking
from sozu.credit.services import loan_prepare, loan_write_off
from sozu.credit.services.renewal import renewal_eligibility, renewal_rule_set
from sozu.credit.tests.borrowers.helpers import active_loan, at, cuotas, pay, pay_all
from sozu.credit.tests.factories import LoanProductFactory

pytestmark = pytest.mark.django_db
LATER = dt.date(2026, 12, 1)


@pytest.fixture
def product():
    return LoanProductFactory.create(max_amount=Decimal("1500"))


def test_a_clean_cycle_makes_her_eligible_for_twenty_percent_more(product) -> None:
    loan = active_loan(product=product, amount="1000")
    beneficiary = loan.beneficiary
    not_yet = renewal_eligibility(beneficiary, as_of=cuotas(loan)[0].due_date)
    assert not not_yet.eligible
    assert not_yet.reasons == [f"Su préstamo SOZU-{loan.pk} todavía está activo."]

    pay_all(loan)
    result = renewal_eligibility(beneficiary, as_of=LATER)
    assert result.eligible and result.suggested_amount == Decimal("1200.00")
    assert result.reasons == [
        f"Todas las cuotas de su último préstamo (SOZU-{loan.pk}) están pagas.",
        "Ninguna cuota tuvo más de 7 días de atraso (el máximo: 0).",
        "Sugerido: 1.000,00 USDC + 20 % = 1.200,00 USDC.",
    ]
    assert [(c.number, c.loan.pk, c.cuotas_on_time) for c in result.cycles] == [(1, loan.pk, 2)]


def test_the_suggestion_is_capped_at_the_product_maximum_and_history_is_in_order(product) -> None:
    first = active_loan(product=product, amount="1000")
    pay_all(first)
    second = active_loan(
        product=product, beneficiary=first.beneficiary, amount="1300", paid_out=dt.date(2026, 6, 1)
    )
    pay_all(second, days_late=2)
    result = renewal_eligibility(first.beneficiary, as_of=LATER)
    assert result.eligible and result.suggested_amount == Decimal("1500.00")  # 1560 capped
    assert result.reasons[-1] == (
        "Sugerido: 1.300,00 USDC + 20 % tope en el máximo del producto, 1.500,00 USDC."
    )
    assert [(c.number, c.loan.pk, c.max_days_late) for c in result.cycles] == [
        (1, first.pk, 0),
        (2, second.pk, 2),
    ]


def test_too_late_once_a_write_off_or_a_loan_in_progress_block_renewal(product) -> None:
    late = active_loan(product=product)
    pay_all(late, days_late=10)
    result = renewal_eligibility(late.beneficiary, as_of=LATER)
    assert not result.eligible and result.suggested_amount is None
    assert "Una cuota de su último préstamo tuvo 10 días de atraso; el producto permite 7." in (
        result.reasons
    )
    # A product allowing 10 days late renews her.
    renewal_rule_set(product=product, max_days_late="10", increase="10", actor="user:1")
    assert AuditEvent.objects.filter(action="renewal.rule_set").count() == 1
    ok = renewal_eligibility(late.beneficiary, as_of=LATER)
    assert ok.eligible and ok.suggested_amount == Decimal("1100.00")
    # A new loan being prepared: not eligible until it is done.
    with time_machine.travel(at(LATER), tick=False):
        loan_prepare(
            product=product, beneficiary=late.beneficiary, amount="500", cuotas=2, actor="user:1"
        )
    blocked = renewal_eligibility(late.beneficiary, as_of=LATER)
    assert not blocked.eligible and "todavía está borrador" in blocked.reasons[0]

    written = active_loan(product=product)
    with time_machine.travel(at(LATER), tick=False):
        loan_write_off(loan=written, actor="user:2", reason="incobrable")
    assert (
        "Su último préstamo fue pasado a pérdida."
        in renewal_eligibility(written.beneficiary, as_of=LATER).reasons
    )
    nobody = BeneficiaryFactory.create(organization=product.organization)
    assert renewal_eligibility(nobody, as_of=LATER).reasons == [
        "Todavía no tuvo ningún préstamo desembolsado."
    ]
    for bad in (("-1", "20"), ("7", "150"), ("x", "1")):
        with pytest.raises(SozuError) as err:
            renewal_rule_set(product=product, max_days_late=bad[0], increase=bad[1], actor="u")
        assert err.value.code == "renewal_rule_invalid"


def test_borrowers_are_ranked_by_how_they_repay(product) -> None:
    punctual = active_loan(product=product)
    pay_all(punctual)
    again = active_loan(
        product=product, beneficiary=punctual.beneficiary, paid_out=dt.date(2026, 6, 1)
    )
    pay_all(again)
    single = active_loan(product=product)
    pay_all(single)
    slow = active_loan(product=product)
    pay_all(slow, days_late=4)
    missing = active_loan(product=product)  # pays nothing
    half = active_loan(product=product)
    first = cuotas(half)[0]
    pay(half, first.total, first.due_date)  # on time once, then nothing
    fresh = active_loan(product=product, paid_out=dt.date(2026, 11, 20))  # nothing due yet

    ranking = borrower_ranking(organization_id=product.organization_id, as_of=LATER)
    order = [s.beneficiary.pk for s in ranking]
    assert order == [
        punctual.beneficiary_id,  # 4/4 on time, 2 cycles
        single.beneficiary_id,  # 2/2 on time, 1 cycle
        half.beneficiary_id,  # 1/1 paid on time, but one cuota very late now
        slow.beneficiary_id,  # 0/2 on time
        missing.beneficiary_id,  # nothing paid
        fresh.beneficiary_id,  # nothing due yet
    ]
    top = ranking[0]
    assert (top.rank, top.on_time_ratio, top.cycles_completed) == (1, Decimal("1"), 2)
    assert top.reasons == [
        "4 de 4 cuotas pagadas se pagaron a tiempo.",
        "Atraso promedio: 0,0 días por cuota vencida.",
        "2 ciclos completados.",
    ]
    assert top.renewal is not None and top.renewal.eligible
    slow_score = ranking[3]
    assert slow_score.average_days_late == Decimal("4.0")
    assert "0 de 2 cuotas pagadas se pagaron a tiempo." in slow_score.reasons
    late_now = ranking[4]
    assert late_now.reasons[0] == "Todavía no pagó ninguna cuota."
    assert any(r.startswith("Hoy tiene ") and "días de atraso" in r for r in late_now.reasons)
    assert ranking[-1].reasons == ["Todavía no vence ninguna cuota."]
    # Another organization sees none of them.
    other = LoanProductFactory.create()
    assert borrower_ranking(organization_id=other.organization_id, as_of=LATER) == []
