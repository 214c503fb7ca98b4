"""The repayment follower: the organization wallet's incoming payments, applied exactly once.

The rules that make every on-chain payment count once, across restarts, kills and several
followers (each function below serves one of them):

1. Horizon is read outside any database transaction. A page of payments is applied in chunks,
   each in ONE transaction that first locks the organization's PaymentFollower row and checks
   that its cursor is still where the chunk starts; if another follower moved it meanwhile,
   the rest of the page is dropped and read again from the new cursor.
2. The cursor moves to the chunk's last paging token in that same transaction: the repayments
   and review items of a chunk commit together with the cursor after them, or not at all. A
   follower killed at any moment leaves both or neither.
3. A payment becomes at most one Repayment and at most one PaymentReview: unique constraints
   on (organization, operation_id) refuse a second one even if rules 1 and 2 were broken.
4. Whatever is not a payment into the wallet (its own payouts, account creation) is skipped,
   and the cursor moves past it. A payment that names no active loan of the organization (no
   or unknown memo or muxed id, another asset, a loan not active) goes to the review queue.

The lease on the row only saves work (two followers do not read the same pages); correctness
rests on rules 1 to 3.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from stellar_sdk import Asset

from sozu.audit.services import Entry, audit_record
from sozu.credit.errors import SozuError
from sozu.credit.models import Currency, Loan, PaymentFollower, PaymentReview, Repayment
from sozu.credit.references import loan_id_from_reference
from sozu.credit.services.repayments import repayment_record
from sozu.orgs.models import Organization
from sozu.stellar import network
from sozu.stellar.horizon import IncomingPayment

log = logging.getLogger(__name__)
R = PaymentReview.Reason
PAYMENT_KINDS = frozenset({"payment", "path_payment_strict_receive", "path_payment_strict_send"})
LEASE = timedelta(seconds=30)
PAGE_SIZE = 200
#: Payments committed per transaction (with the cursor after them).
CHUNK = 25
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PageResult:
    """What one pass over one page did."""

    read: int = 0
    applied: int = 0
    queued: int = 0
    skipped: int = 0
    #: Another follower had moved the cursor: nothing was applied.
    stale: bool = False

    @property
    def caught_up(self) -> bool:
        return not self.stale and self.read < PAGE_SIZE


def follower_organizations() -> list[Organization]:
    """Organizations whose wallet is followed: those that lend (or were followed before)."""
    return list(
        Organization.objects.filter(
            Q(pk__in=Loan.objects.values("organization_id"))
            | Q(pk__in=PaymentFollower.objects.values("organization_id"))
        ).order_by("pk")
    )


def follower_claim(*, organization_id: int, worker: str) -> PaymentFollower | None:
    """Take (or renew) the lease on the organization's follower; None if another holds it."""
    now = timezone.now()
    try:
        PaymentFollower.objects.get_or_create(organization_id=organization_id)
    except IntegrityError:  # another follower created it at the same moment
        pass
    with transaction.atomic():
        row = (
            PaymentFollower.objects.select_for_update(skip_locked=True)
            .filter(organization_id=organization_id)
            .filter(
                Q(lease_owner=worker)
                | Q(lease_owner="")
                | Q(lease_until__isnull=True)
                | Q(lease_until__lt=now)
            )
            .first()
        )
        if row is None:
            return None
        row.lease_owner, row.lease_until = worker, now + LEASE
        row.save(update_fields=["lease_owner", "lease_until", "updated_at"])
        return row


def follower_release(*, organization_id: int, worker: str) -> None:
    """Give the lease back (a follower that stops cleanly; a killed one's lease expires)."""
    PaymentFollower.objects.filter(organization_id=organization_id, lease_owner=worker).update(
        lease_owner="", lease_until=None
    )


def follow_page(*, organization: Organization, worker: str, limit: int = PAGE_SIZE) -> PageResult:
    """Read the next page after the stored cursor and apply it (rules 1 and 2)."""
    row = follower_claim(organization_id=organization.pk, worker=worker)
    if row is None:
        return PageResult(stale=True)
    payments = network.client().payments_after(
        organization.wallet_public_key, cursor=row.cursor, limit=limit
    )
    if not payments:
        return PageResult()
    return payments_apply(
        organization=organization,
        after=row.cursor,
        payments=payments,
        usdc=network.usdc_asset(),
        actor=f"worker:{worker}",
    )


def payments_apply(
    *,
    organization: Organization,
    after: str,
    payments: Sequence[IncomingPayment],
    usdc: Asset,
    actor: str,
) -> PageResult:
    """Apply payments read after the cursor `after`, and move the cursor past them.

    A page is committed in chunks of CHUNK payments, each chunk in one transaction with the
    cursor after it (rules 1 and 2 hold per chunk): a follower killed mid-page loses at most
    one chunk's work, and the row lock is held briefly."""
    applied = queued = skipped = 0
    expected = after
    for start in range(0, len(payments), CHUNK):
        chunk = payments[start : start + CHUNK]
        with transaction.atomic():
            row = PaymentFollower.objects.select_for_update().get(organization=organization)
            if row.cursor != expected:
                return PageResult(read=len(payments), applied=applied, queued=queued, stale=True)
            loans = _loans_named(organization, chunk)
            chunk_applied = chunk_queued = 0
            for payment in chunk:
                outcome = _apply_one(organization, payment, usdc, loans, actor)
                chunk_applied += outcome == "applied"
                chunk_queued += outcome == "queued"
                skipped += outcome == "skipped"
            row.cursor = expected = chunk[-1].paging_token
            row.applied += chunk_applied
            row.queued += chunk_queued
            row.save(update_fields=["cursor", "applied", "queued", "updated_at"])
        applied += chunk_applied
        queued += chunk_queued
    return PageResult(read=len(payments), applied=applied, queued=queued, skipped=skipped)


def _named_ids(payment: IncomingPayment) -> tuple[int | None, int | None]:
    """(loan id from the muxed id, loan id from the memo), each None when absent or invalid."""
    muxed = int(payment.to_muxed_id) if payment.to_muxed_id.isdigit() else None
    memo = loan_id_from_reference(payment.memo) if payment.memo_type == "text" else None
    return muxed, memo


def _loans_named(
    organization: Organization, payments: Sequence[IncomingPayment]
) -> dict[int, Loan]:
    ids = {i for p in payments for i in _named_ids(p) if i is not None and i < 2**63}
    return Loan.objects.filter(organization=organization, pk__in=ids).in_bulk()


def _is_incoming(organization: Organization, payment: IncomingPayment) -> bool:
    wallet = organization.wallet_public_key
    return payment.kind in PAYMENT_KINDS and payment.to == wallet and payment.source != wallet


def _apply_one(
    organization: Organization,
    payment: IncomingPayment,
    usdc: Asset,
    loans: dict[int, Loan],
    actor: str,
) -> str:
    """ "applied", "queued" or "skipped" (rule 4)."""
    if not _is_incoming(organization, payment):
        return "skipped"
    muxed_id, memo_id = _named_ids(payment)
    by_muxed = loans.get(muxed_id) if muxed_id is not None else None
    by_memo = loans.get(memo_id) if memo_id is not None else None
    loan = by_muxed or by_memo
    if (payment.asset_code, payment.asset_issuer) != (usdc.code, usdc.issuer):
        return _queue(organization, payment, R.WRONG_ASSET, loan, actor)
    if by_muxed is not None and by_memo is not None and by_muxed.pk != by_memo.pk:
        return _queue(organization, payment, R.AMBIGUOUS, None, actor)
    if loan is None:
        if payment.to_muxed_id:
            return _queue(organization, payment, R.UNKNOWN_MUXED_ID, None, actor)
        if payment.memo:
            return _queue(organization, payment, R.UNKNOWN_REFERENCE, None, actor)
        return _queue(organization, payment, R.NO_REFERENCE, None, actor)
    if payment.amount != payment.amount.quantize(CENT):
        return _queue(organization, payment, R.AMOUNT_PRECISION, loan, actor)
    if loan.currency != Currency.USDC:
        return _queue(organization, payment, R.EXCHANGE_RATE_NEEDED, loan, actor)
    if loan.status != Loan.Status.ACTIVE:
        return _queue(organization, payment, R.LOAN_NOT_ACTIVE, loan, actor)
    try:
        with transaction.atomic():  # a savepoint: a refusal undoes only this payment
            repayment_record(
                loan=loan,
                amount=payment.amount.quantize(CENT),
                received_on=timezone.localdate(payment.created_at),
                method=Repayment.Method.STELLAR,
                reference=payment.tx_hash,
                actor=actor,
                operation_id=payment.id,
            )
    except SozuError as exc:
        reason = R.LOAN_NOT_ACTIVE if exc.code == "repayment_loan_not_active" else R.REFUSED
        return _queue(organization, payment, reason, loan, actor, detail=exc.code)
    except IntegrityError:
        # Rule 3: this operation was already recorded (the cursor was behind it).
        log.warning("operation already recorded", extra={"operation_id": payment.id})
        return "skipped"
    return "applied"


def _queue(
    organization: Organization,
    payment: IncomingPayment,
    reason: str,
    loan: Loan | None,
    actor: str,
    *,
    detail: str = "",
) -> str:
    try:
        with transaction.atomic():
            review = PaymentReview.objects.create(
                organization=organization,
                operation_id=payment.id,
                tx_hash=payment.tx_hash,
                source=payment.source,
                to_muxed_id=payment.to_muxed_id,
                memo=payment.memo[:64],
                memo_type=payment.memo_type,
                asset_code=payment.asset_code,
                asset_issuer=payment.asset_issuer,
                amount=payment.amount,
                received_at=payment.created_at,
                reason=reason,
                detail=detail,
                loan=loan,
            )
            audit_record(
                organization_id=organization.pk,
                entry=Entry(
                    actor,
                    "payment_review.queued",
                    "payment_review",
                    review.pk,
                    {
                        "operation_id": payment.id,
                        "amount": str(payment.amount),
                        "asset": payment.asset_code,
                        "reason": reason,
                        **({"loan": loan.pk} if loan is not None else {}),
                    },
                    tx_hash=payment.tx_hash,
                ),
            )
    except IntegrityError:
        log.warning("operation already queued for review", extra={"operation_id": payment.id})
        return "skipped"
    return "queued"


__all__ = [
    "PageResult",
    "follow_page",
    "follower_claim",
    "follower_organizations",
    "follower_release",
    "payments_apply",
]
