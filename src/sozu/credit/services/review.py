"""The review queue: incoming payments the follower could not apply, resolved by staff.

Each item ends in exactly one way, on its locked row, with its audit event in the same
transaction: assigned to a loan (the repayment is recorded with the payment's operation id,
so the unique constraint still allows it only once), returned to whoever paid (a refund
payout through the disbursement engine's single-payout service, created in the same
transaction as the item's change), or dismissed as not a repayment (e.g. a top-up of the
wallet), with a note.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.credit.errors import SozuError
from sozu.credit.models import Currency, Loan, PaymentReview, Repayment
from sozu.credit.services.loans import ExchangeRate
from sozu.credit.services.repayments import repayment_record
from sozu.disbursements.models import Payout
from sozu.disbursements.services.payouts import payout_create
from sozu.stellar import network
from sozu.stellar.horizon import READ_ERRORS

S = PaymentReview.Status
CENT = Decimal("0.01")
#: Asking the local network for its USDC issuer (when none is configured) may fail.
LOOKUP_ERRORS: tuple[type[Exception], ...] = (network.NetworkError, *READ_ERRORS)


def _locked_pending(review: PaymentReview) -> PaymentReview:
    locked = PaymentReview.objects.select_for_update().get(pk=review.pk)
    if locked.status != S.PENDING:
        raise SozuError("review_not_pending", status=S(locked.status).label)
    return locked


def _resolve(locked: PaymentReview, status: str, actor: str, data: dict[str, object]) -> None:
    locked.status = status
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.save()
    audit_record(
        organization_id=locked.organization_id,
        entry=Entry(
            actor,
            f"payment_review.{status}",
            "payment_review",
            locked.pk,
            {"operation_id": locked.operation_id, "amount": str(locked.amount), **data},
            tx_hash=locked.tx_hash,
        ),
    )


def _check_usdc(review: PaymentReview) -> None:
    try:
        usdc = network.usdc_asset()
    except LOOKUP_ERRORS as exc:
        raise SozuError("network_unavailable", detail=type(exc).__name__) from exc
    if (review.asset_code, review.asset_issuer) != (usdc.code, usdc.issuer):
        raise SozuError("review_not_usdc", asset=review.asset_code)


def payment_review_assign(
    *,
    review: PaymentReview,
    loan: Loan,
    actor: str,
    exchange_rate: ExchangeRate | None = None,
) -> Repayment:
    """Record the payment as a repayment of `loan` (of the same organization)."""
    if loan.organization_id != review.organization_id:
        raise SozuError("not_found")
    _check_usdc(review)
    amount = review.amount
    if loan.currency == Currency.ARS:
        if exchange_rate is None:
            raise SozuError("loan_exchange_rate_missing")
        # USDC received, owed in ARS: converted at the rate given, which is recorded.
        amount = (review.amount * exchange_rate.rate).quantize(CENT, rounding=ROUND_HALF_UP)
    try:
        with transaction.atomic():
            locked = _locked_pending(review)
            repayment = repayment_record(
                loan=loan,
                amount=amount,
                received_on=timezone.localdate(locked.received_at),
                method=Repayment.Method.STELLAR,
                reference=locked.tx_hash,
                actor=actor,
                exchange_rate=exchange_rate,
                operation_id=locked.operation_id,
            )
            locked.loan = loan
            locked.repayment = repayment
            _resolve(locked, S.ASSIGNED, actor, {"loan": loan.pk, "repayment": repayment.pk})
    except IntegrityError:
        raise SozuError("review_already_applied") from None
    return repayment


def payment_review_return(*, review: PaymentReview, actor: str, note: str = "") -> Payout:
    """Send the payment back to whoever paid it: a refund payout the engine pays once."""
    _check_usdc(review)
    current = PaymentReview.objects.get(pk=review.pk)
    if current.status != S.PENDING:
        raise SozuError("review_not_pending", status=S(current.status).label)

    def link(payout: Payout) -> None:
        # Inside payout_create's transaction: the refund exists only with its item returned.
        locked = _locked_pending(current)
        locked.refund_payout = payout
        locked.note = (note or "").strip()
        _resolve(locked, S.RETURNED, actor, {"payout": payout.pk, "destination": locked.source})

    payout = payout_create(
        organization=current.organization,
        data={
            "destination": current.source,
            "amount": str(current.amount),
            "memo": f"DEV {current.operation_id}"[:28],
        },
        actor=actor,
        on_created=link,
    )
    return payout


def payment_review_dismiss(*, review: PaymentReview, actor: str, note: str) -> PaymentReview:
    """Not a repayment (e.g. the organization topping up its wallet): kept, with a note why."""
    note = (note or "").strip()
    if not note:
        raise SozuError("review_note_missing")
    with transaction.atomic():
        locked = _locked_pending(review)
        locked.note = note
        _resolve(locked, S.DISMISSED, actor, {"note": note})
    return locked


__all__ = ["payment_review_assign", "payment_review_dismiss", "payment_review_return"]
