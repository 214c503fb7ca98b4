"""Repayments: append-only rows; what a loan owes is recomputed from them every time.

A correction is never an edit: `repayment_reverse` appends a reversal row pointing at the
payment it cancels (one reversal per payment, a database constraint). After each new row the
loan's position is recomputed (allocation.allocate) and the loan moves to paid off, or back to
active, in the same transaction, with its audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.credit.errors import SozuError
from sozu.credit.models import Currency, Loan, Repayment
from sozu.credit.selectors import loan_position
from sozu.credit.services.loans import ExchangeRate, loan_locked, loan_transition
from sozu.credit.services.portfolio import portfolio_loan_changed
from sozu.credit.simulator import CENT, _decimal, parse_date

L = Loan.Status


def _settle_status(loan: Loan, actor: str, as_of: dt.date) -> None:
    position = loan_position(loan=loan, as_of=max(as_of, timezone.localdate()))
    if loan.status == L.ACTIVE and position.paid_off:
        loan_transition(loan, L.PAID_OFF, actor, {"credit": str(position.credit)})
    elif loan.status == L.PAID_OFF and not position.paid_off:
        loan_transition(loan, L.ACTIVE, actor, {"outstanding": str(position.outstanding)})


def repayment_record(
    *,
    loan: Loan,
    amount: Any,
    received_on: Any,
    method: str,
    reference: str,
    actor: str,
    exchange_rate: ExchangeRate | None = None,
    operation_id: str = "",
) -> Repayment:
    """Record money she paid (cash, transfer or on chain) on an active loan.

    On-chain repayments carry Horizon's `operation_id`: a second row for the same operation
    of the same organization is refused by the database (IntegrityError), never recorded.
    """
    value = _decimal(amount, "repayment_amount_invalid")
    if value <= 0 or value != value.quantize(CENT):
        raise SozuError("repayment_amount_invalid", value=amount)
    if method not in Repayment.Method.values:
        raise SozuError("invalid_field", field="method")
    reference = (reference or "").strip()
    if not reference:
        raise SozuError("repayment_reference_missing")
    day = parse_date(received_on)
    if day > timezone.localdate():
        raise SozuError("repayment_in_future")
    with transaction.atomic():
        locked = loan_locked(loan.pk)
        if locked.status != L.ACTIVE:
            raise SozuError("repayment_loan_not_active", status=L(locked.status).label)
        rate_fields: dict[str, Any] = {}
        if (
            locked.currency == Currency.ARS
            and method == Repayment.Method.STELLAR
            and exchange_rate is None
        ):
            # USDC received for a loan in ARS: the conversion is recorded, never implied.
            raise SozuError("loan_exchange_rate_missing")
        if locked.currency == Currency.ARS and exchange_rate is not None:
            rate_fields = {
                "exchange_rate": exchange_rate.rate,
                "exchange_rate_source": exchange_rate.source,
                "exchange_rate_at": exchange_rate.quoted_at,
            }
        repayment = Repayment.objects.create(
            organization_id=locked.organization_id,
            loan=locked,
            amount=value,
            received_on=day,
            method=method,
            reference=reference,
            operation_id=operation_id,
            created_by=actor,
            **rate_fields,
        )
        audit_record(
            organization_id=locked.organization_id,
            entry=Entry(
                actor,
                "repayment.recorded",
                "repayment",
                repayment.pk,
                {
                    "loan": locked.pk,
                    "amount": str(value),
                    "received_on": day.isoformat(),
                    "method": method,
                    "reference": reference,
                    **({"operation_id": operation_id} if operation_id else {}),
                },
            ),
        )
        _settle_status(locked, actor, day)
        portfolio_loan_changed(loan=locked, repayment=repayment)  # portfolio (F)
    return repayment


def repayment_reverse(*, repayment: Repayment, actor: str, reason: str) -> Repayment:
    """Cancel a recorded payment with a new reversal row (the original stays as it was)."""
    reason = (reason or "").strip()
    if not reason:
        raise SozuError("repayment_reversal_reason_missing")
    if repayment.kind != Repayment.Kind.PAYMENT:
        raise SozuError("repayment_already_reversed")
    try:
        with transaction.atomic():
            locked = loan_locked(repayment.loan_id)
            reversal = Repayment.objects.create(
                organization_id=repayment.organization_id,
                loan=locked,
                kind=Repayment.Kind.REVERSAL,
                amount=repayment.amount,
                received_on=timezone.localdate(),
                method=repayment.method,
                reference=repayment.reference,
                reverses=repayment,
                reason=reason,
                created_by=actor,
            )
            audit_record(
                organization_id=repayment.organization_id,
                entry=Entry(
                    actor,
                    "repayment.reversed",
                    "repayment",
                    repayment.pk,
                    {"loan": locked.pk, "reversal": reversal.pk, "reason": reason},
                ),
            )
            _settle_status(locked, actor, reversal.received_on)
            portfolio_loan_changed(loan=locked, reversed_payment=repayment)  # portfolio (F)
    except IntegrityError:
        raise SozuError("repayment_already_reversed") from None
    return reversal


__all__ = ["repayment_record", "repayment_reverse"]
