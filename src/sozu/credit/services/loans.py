"""Granting a loan: prepare, submit, approve (maker-checker), disburse through the engine.

The rules, each enforced here:
1. Every status change goes through the table in transitions.py, on the locked row, and
   writes its audit event in the same database transaction.
2. Whoever prepared a loan never approves it.
3. Approval creates the disbursement payout with the engine's own `payout_create` (every
   check of a single payout applies: limits, daily cap, funds, her account). The loan is linked
   to it and moves to disbursing inside the transaction that creates the payout, so there is
   never a payout without its loan nor a disbursing loan without its payout. No network call
   happens inside a transaction of ours.
4. The loan becomes active only when its payout is paid (`loans_sync_disbursements` reads the
   payouts' status; the engine is not touched); the schedule is computed then, starting on the
   day it was paid, with due dates on business days.
5. ARS loans record the exchange rate used for the payout (value, source, time); USDC loans
   never carry one. There is no silent conversion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors import SozuError
from sozu.credit.models import Cuota, Currency, Loan, LoanProduct
from sozu.credit.services.portfolio import portfolio_loan_changed
from sozu.credit.simulator import (
    Frequency,
    LoanTerms,
    Simulation,
    first_due_date,
    parse_date,
    simulate,
)
from sozu.credit.transitions import check_loan
from sozu.disbursements.models import Payout
from sozu.disbursements.services.payouts import payout_create

L = Loan.Status
STROOP = Decimal("0.0000001")


@dataclass(frozen=True)
class ExchangeRate:
    """ARS per USDC, where it came from and when it was quoted."""

    rate: Decimal
    source: str
    quoted_at: dt.datetime


def loan_locked(loan_id: int) -> Loan:
    return Loan.objects.select_for_update().get(pk=loan_id)


def loan_transition(
    loan: Loan, target: str, actor: str, data: dict[str, Any] | None = None, **fields: Any
) -> Loan:
    """Move a locked loan to `target` (checked against the table) and audit it."""
    action = check_loan(loan, target)
    before = loan.status
    loan.status = target
    loan.status_changed_at = timezone.now()
    for name, value in fields.items():
        setattr(loan, name, value)
    loan.save(update_fields=["status", "status_changed_at", *fields])
    audit_record(
        organization_id=loan.organization_id,
        entry=Entry(
            actor,
            f"loan.{action}",
            "loan",
            loan.pk,
            {"from": before, "to": target, **(data or {})},
        ),
    )
    return loan


def loan_terms(loan: Loan, first_due: dt.date, day_of_month: int | None = None) -> LoanTerms:
    """The simulator's terms of this loan, with due dates moved to business days."""
    return LoanTerms.parse(
        amount=loan.amount,
        cuotas=loan.cuotas,
        frequency=loan.frequency,
        tna=loan.tna,
        system=loan.system,
        iva=loan.iva,
        first_due=first_due,
        origination_fee=loan.origination_fee,
        insurance=loan.insurance,
        business_days=True,
        day_of_month=day_of_month,
    )


#: How far ahead the first due date asked for may be (days after the day it is prepared).
MAX_FIRST_DUE_DAYS = 120


def _first_due(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    day = parse_date(value)
    today = timezone.localdate()
    if not today < day <= today + dt.timedelta(days=MAX_FIRST_DUE_DAYS):
        raise SozuError("loan_first_due_invalid", days=MAX_FIRST_DUE_DAYS)
    return day


def _plain(value: Decimal) -> str:
    """50, 1500.5: no exponent (Decimal("50").normalize() would read 5E+1)."""
    return format(value.normalize(), "f")


def loan_terms_check(*, product: LoanProduct, amount: Any, cuotas: Any) -> LoanTerms:
    """The product's terms for this amount and number of cuotas, or the refusal."""
    terms = LoanTerms.parse(
        amount=amount,
        cuotas=cuotas,
        frequency=product.frequency,
        tna=product.tna,
        system=product.system,
        iva=product.iva,
        first_due=timezone.localdate(),
        origination_fee=product.origination_fee,
        insurance=product.insurance,
    )
    if not product.min_amount <= terms.amount <= product.max_amount:
        raise SozuError(
            "credit_amount_out_of_range",
            min=_plain(product.min_amount),
            max=_plain(product.max_amount),
            value=terms.amount,
        )
    if not product.min_cuotas <= terms.cuotas <= product.max_cuotas:
        raise SozuError(
            "credit_cuotas_out_of_range",
            min=product.min_cuotas,
            max=product.max_cuotas,
            value=terms.cuotas,
        )
    return terms


def loan_prepare(
    *,
    product: LoanProduct,
    beneficiary: Beneficiary,
    amount: Any,
    cuotas: Any,
    actor: str,
    first_due: Any = None,
) -> Loan:
    """A draft loan for an approved beneficiary, with a copy of the product's terms.

    `first_due` (optional) is the first due date asked for; if the loan is paid out on or
    after it, the schedule starts one period after the payment instead.
    """
    if product.organization_id != beneficiary.organization_id:
        raise SozuError("credit_product_other_org")
    if not product.active:
        raise SozuError("credit_product_inactive", name=product.name)
    if beneficiary.status != Beneficiary.Status.APPROVED:
        raise SozuError(
            "credit_beneficiary_not_approved",
            name=beneficiary.full_name,
            status=Beneficiary.Status(beneficiary.status).label,
        )
    terms = loan_terms_check(product=product, amount=amount, cuotas=cuotas)
    first = _first_due(first_due)
    with transaction.atomic():
        loan = Loan.objects.create(
            organization_id=product.organization_id,
            beneficiary=beneficiary,
            product=product,
            amount=terms.amount,
            cuotas=terms.cuotas,
            currency=product.currency,
            frequency=product.frequency,
            system=product.system,
            tna=product.tna,
            iva=product.iva,
            origination_fee=product.origination_fee,
            insurance=product.insurance,
            late_tna=product.late_tna,
            grace_days=product.grace_days,
            prepayment=product.prepayment,
            first_due=first,
            prepared_by=actor,
            status_changed_at=timezone.now(),
        )
        audit_record(
            organization_id=loan.organization_id,
            entry=Entry(
                actor,
                "loan.prepared",
                "loan",
                loan.pk,
                {
                    "beneficiary": beneficiary.pk,
                    "product": product.pk,
                    "amount": str(terms.amount),
                    "currency": product.currency,
                    "cuotas": terms.cuotas,
                    **({"first_due": first.isoformat()} if first else {}),
                },
            ),
        )
    return loan


def loan_submit(*, loan: Loan, actor: str) -> Loan:
    """Draft → pending approval (by whoever prepared it or a colleague)."""
    with transaction.atomic():
        return loan_transition(loan_locked(loan.pk), L.PENDING_APPROVAL, actor)


def loan_return(*, loan: Loan, actor: str, reason: str = "") -> Loan:
    """Pending approval → draft: the approver sends it back."""
    with transaction.atomic():
        return loan_transition(loan_locked(loan.pk), L.DRAFT, actor, {"reason": reason})


def loan_cancel(*, loan: Loan, actor: str, reason: str = "") -> Loan:
    with transaction.atomic():
        return loan_transition(loan_locked(loan.pk), L.CANCELLED, actor, {"reason": reason})


def loan_approve(*, loan: Loan, actor: str, exchange_rate: ExchangeRate | None = None) -> Loan:
    """Approve (never by who prepared it), then create its payout (`loan_disburse`).

    The approval is committed first: if the payout cannot be created (e.g. the wallet lacks
    funds), the loan stays approved with the refusal raised, and `loan_disburse` tries again.
    """
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        if actor == locked.prepared_by:
            raise SozuError("loan_approver_is_preparer")
        check_loan(locked, L.APPROVED)
        fields = _exchange_fields(locked, exchange_rate)
        loan_transition(
            locked,
            L.APPROVED,
            actor,
            {k: str(v) for k, v in fields.items()},
            approved_by=actor,
            approved_at=timezone.now(),
            **fields,
        )
    return loan_disburse(loan=locked, actor=actor)


def _exchange_fields(loan: Loan, rate: ExchangeRate | None) -> dict[str, Any]:
    if loan.currency == Currency.USDC:
        return {}
    if rate is None or not rate.source.strip() or rate.quoted_at is None:
        raise SozuError("loan_exchange_rate_missing")
    if isinstance(rate.rate, float) or not isinstance(rate.rate, Decimal) or rate.rate <= 0:
        raise SozuError("loan_exchange_rate_invalid")
    return {
        "exchange_rate": rate.rate,
        "exchange_rate_source": rate.source.strip(),
        "exchange_rate_at": rate.quoted_at,
    }


def payout_amount_for(loan: Loan) -> Decimal:
    """USDC to send: the amount less the origination fee and its IVA, in USDC (rounded down)."""
    sim = simulate(loan_terms(loan, timezone.localdate()))
    net = sim.net_disbursed
    if loan.currency == Currency.ARS:
        assert loan.exchange_rate is not None  # approval requires it
        net = net / loan.exchange_rate
    return net.quantize(STROOP, rounding=ROUND_DOWN)


def loan_disburse(*, loan: Loan, actor: str) -> Loan:
    """Create the approved loan's payout through the engine; the loan moves to disbursing."""
    current = Loan.objects.select_related("organization").get(pk=loan.pk)
    check_loan(current, L.DISBURSING)
    amount = payout_amount_for(current)

    def link(payout: Payout) -> None:
        # Inside payout_create's transaction: the payout exists only with its loan linked.
        locked = loan_locked(current.pk)
        if locked.payout_id is not None:
            raise SozuError(
                "loan_invalid_transition",
                status=L(locked.status).label,
                target=L.DISBURSING.label,
            )
        loan_transition(
            locked,
            L.DISBURSING,
            actor,
            {"payout": payout.pk, "payout_amount": str(amount)},
            payout=payout,
            payout_amount=amount,
        )

    payout_create(
        organization=current.organization,
        data={
            "beneficiary_id": current.beneficiary_id,
            "amount": str(amount),
            "memo": current.reference,
        },
        actor=actor,
        on_created=link,
    )
    current.refresh_from_db()
    return current


def loan_schedule_for(loan: Loan, disbursed_on: dt.date) -> Simulation:
    """The schedule a loan gets when paid out on `disbursed_on` (from the date asked for, if
    it is still ahead; else one period after the payment)."""
    if loan.first_due is not None and loan.first_due > disbursed_on:
        return simulate(loan_terms(loan, loan.first_due, day_of_month=loan.first_due.day))
    first = first_due_date(disbursed_on, Frequency(loan.frequency))
    return simulate(loan_terms(loan, first, day_of_month=disbursed_on.day))


def loan_mark_disbursed(*, loan: Loan, paid_at: dt.datetime, actor: str) -> Loan:
    """Disbursing → active: store the schedule, starting on the day the payout was paid."""
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        check_loan(locked, L.ACTIVE)
        day = timezone.localdate(paid_at)
        sim = loan_schedule_for(locked, day)
        Cuota.objects.bulk_create(
            Cuota(
                loan=locked,
                number=row.number,
                due_date=row.due_date,
                nominal_date=row.nominal_date,
                capital=row.capital,
                interest=row.interest,
                iva=row.iva,
                fees=row.fees,
                total=row.total,
                balance=row.balance,
            )
            for row in sim.rows
        )
        active = loan_transition(
            locked,
            L.ACTIVE,
            actor,
            {"disbursed_on": day.isoformat(), "cuotas": len(sim.rows)},
            disbursed_on=day,
        )
        portfolio_loan_changed(loan=active, disbursed=True)  # portfolio (F)
        return active


def loans_sync_disbursements(
    *, actor: str = "worker:credit", organization_id: int | None = None
) -> int:
    """Follow the payouts of disbursing loans: paid → active, cancelled → approved again.

    Reads the payouts' status only (the engine is not changed). Safe to call often and from
    several workers: each loan is re-checked on its locked row. Returns the loans moved.
    """
    loans = Loan.objects.filter(status=L.DISBURSING, payout__isnull=False)
    if organization_id is not None:
        loans = loans.filter(organization_id=organization_id)
    moved = 0
    for loan_id, status, paid_at in loans.values_list("pk", "payout__status", "payout__paid_at"):
        try:
            if status == Payout.Status.PAID:
                loan_mark_disbursed(
                    loan=Loan(pk=loan_id), paid_at=paid_at or timezone.now(), actor=actor
                )
                moved += 1
            elif status == Payout.Status.CANCELLED:
                with transaction.atomic():
                    locked = loan_locked(loan_id)
                    old = locked.payout_id
                    loan_transition(
                        locked, L.APPROVED, actor, {"payout": old}, payout=None, payout_amount=None
                    )
                moved += 1
        except SozuError:
            continue  # another worker moved it first
    return moved


def loan_write_off(*, loan: Loan, actor: str, reason: str) -> Loan:
    if not (reason or "").strip():
        raise SozuError("invalid_field", field="reason")
    with transaction.atomic():
        written_off = loan_transition(
            loan_locked(loan.pk), L.WRITTEN_OFF, actor, {"reason": reason.strip()}
        )
        portfolio_loan_changed(loan=written_off)  # portfolio (F): frozen as of today
        return written_off


def loan_write_off_request(*, loan: Loan, actor: str, reason: str) -> Loan:
    """Ask to write an active loan off; another person approves it (`loan_write_off_approve`)."""
    reason = (reason or "").strip()
    if not reason:
        raise SozuError("loan_write_off_reason_missing")
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        check_loan(locked, L.WRITTEN_OFF)
        if locked.write_off_requested_by:
            raise SozuError("loan_write_off_already_requested")
        locked.write_off_requested_by = actor
        locked.write_off_requested_at = timezone.now()
        locked.write_off_reason = reason
        locked.save(
            update_fields=["write_off_requested_by", "write_off_requested_at", "write_off_reason"]
        )
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(actor, "loan.write_off_requested", "loan", locked.pk, {"reason": reason}),
        )
    return locked


def loan_write_off_withdraw(*, loan: Loan, actor: str) -> Loan:
    """Drop a pending write-off request (whoever asked, or an approver who refuses it)."""
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        if not locked.write_off_requested_by or locked.status != L.ACTIVE:
            raise SozuError("loan_write_off_not_requested")
        before = locked.write_off_requested_by
        locked.write_off_requested_by = ""
        locked.write_off_requested_at = None
        locked.write_off_reason = ""
        locked.save(
            update_fields=["write_off_requested_by", "write_off_requested_at", "write_off_reason"]
        )
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor, "loan.write_off_withdrawn", "loan", locked.pk, {"requested_by": before}
            ),
        )
    return locked


def loan_write_off_approve(*, loan: Loan, actor: str) -> Loan:
    """Write off a loan whose write-off someone else asked for (maker-checker)."""
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        if not locked.write_off_requested_by:
            raise SozuError("loan_write_off_not_requested")
        if actor == locked.write_off_requested_by:
            raise SozuError("loan_write_off_same_person")
        written_off = loan_transition(
            locked,
            L.WRITTEN_OFF,
            actor,
            {"reason": locked.write_off_reason, "requested_by": locked.write_off_requested_by},
        )
        portfolio_loan_changed(loan=written_off)  # portfolio (F): frozen as of today
        return written_off
