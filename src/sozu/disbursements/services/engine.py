"""The payment engine: pack queued payouts into signed envelopes, submit, settle on evidence.

Every step follows one rule: write the intent (signed envelope, attempts) and commit, talk to
Horizon outside any database transaction, record the answer in a new short transaction. A
payout is paid exactly once because (1) the envelope is stored before it is submitted and only
ever resubmitted unchanged, (2) a payout has at most one live attempt (a database constraint),
and (3) a not-found envelope is treated as never paid only once the network's latest ledger
has passed the envelope's max ledger and the channel account's sequence on the network is still
below the envelope's (two witnesses: a load-balanced Horizon may answer from lagging nodes).
A discarded envelope later found in a ledger raises an alarm (settlement.raise_discard_alarm).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from sozu.audit.services import Entry, audit_record_many
from sozu.disbursements.models import (
    Batch,
    ChannelAccount,
    PaymentAttempt,
    PaymentTransaction,
    Payout,
)
from sozu.disbursements.services.batches import batches_finalize
from sozu.disbursements.services.events import emit_payouts_status
from sozu.disbursements.services.settlement import (
    discard,
    effective_fee_per_op,
    settle,
)
from sozu.orgs.models import Organization
from sozu.orgs.services import signer_for
from sozu.stellar import network
from sozu.stellar.amounts import to_stroops
from sozu.stellar.horizon import TxOutcome
from sozu.stellar.signers import Signer
from sozu.stellar.transactions import PaymentOp, build_fee_bump, build_payments

log = logging.getLogger(__name__)
P = Payout.Status
T = PaymentTransaction.Status

#: An envelope may be included only within this many ledgers after it is built.
LEDGERS_VALID = 10
#: A lease outlives the longest request made under it by this margin.
LEASE_MARGIN = timedelta(seconds=30)
DESTINATION_CHECK_TTL = timedelta(minutes=10)
#: An envelope not found while its channel's sequence is consumed is looked up again after this.
NOT_FOUND_BUT_CONSUMED_RECHECK = timedelta(seconds=5)
OPS_PER_TX = 100


def lease() -> timedelta:
    """How long an envelope stays with the worker that took it: longer than a submission can
    take (HORIZON_TIMEOUT_SECONDS), so no other worker takes it over while it is being sent."""
    return timedelta(seconds=settings.HORIZON_TIMEOUT_SECONDS) + LEASE_MARGIN


@dataclass(frozen=True)
class Packed:
    tx_id: int
    hash: str
    envelope_xdr: str
    payout_count: int


class SignerCache:
    """Decrypting a secret per transaction is wasteful; keep signers for this process."""

    def __init__(self) -> None:
        self._signers: dict[str, Signer] = {}

    def get(self, public_key: str) -> Signer:
        signer = self._signers.get(public_key)
        if signer is None:
            signer = self._signers[public_key] = signer_for(public_key)
        return signer


def eligible_payouts(organization: Organization) -> Q:
    """Queued payouts the engine may pack now: single payouts and lines of executing batches."""
    now = timezone.now()
    return (
        Q(organization=organization, status=P.QUEUED)
        & (Q(batch__isnull=True) | Q(batch__status=Batch.Status.EXECUTING))
        & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    )


def payouts_check_destinations(
    *, organization: Organization, actor: str, limit: int = 1000, batch_id: int | None = None
) -> int:
    """Fail queued payouts whose destination cannot receive USDC; stamp the others checked."""
    from sozu.disbursements.services.checks import destination_problems

    stale = timezone.now() - DESTINATION_CHECK_TTL
    qs = Payout.objects.filter(eligible_payouts(organization))
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    todo = list(
        qs.filter(
            Q(destination_checked_at__isnull=True) | Q(destination_checked_at__lt=stale)
        ).values_list("pk", "destination")[:limit]
    )
    if not todo:
        return 0
    problems = destination_problems(d for _, d in todo)  # Horizon, outside any transaction
    now = timezone.now()
    failed: list[Payout] = []
    with transaction.atomic():
        ok_ids = [pk for pk, d in todo if d not in problems]
        Payout.objects.filter(pk__in=ok_ids, status=P.QUEUED).update(destination_checked_at=now)
        for code in set(problems.values()):
            ids = [pk for pk, d in todo if problems.get(d) == code]
            rows = list(Payout.objects.select_for_update().filter(pk__in=ids, status=P.QUEUED))
            Payout.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=P.FAILED, failure_code=code
            )
            for r in rows:
                r.status, r.failure_code = P.FAILED, code
            failed.extend(rows)
            if rows:
                audit_record_many(
                    organization_id=organization.pk,
                    entries=[
                        Entry(
                            actor,
                            "payouts.failed",
                            "payout",
                            rows[0].pk,
                            {"payout_ids": [r.pk for r in rows], "code": code},
                        )
                    ],
                )
        emit_payouts_status(failed)
    batches_finalize({p.batch_id for p in failed if p.batch_id}, actor)
    return len(todo)


def pack_transaction(
    *,
    organization: Organization,
    worker: str,
    latest_ledger: int,
    fee_per_op: int,
    signers: SignerCache,
    payout_ids: Sequence[int] | None = None,
    batch_id: int | None = None,
) -> Packed | None:
    """Claim a free channel and up to 100 payouts (only of `batch_id` when given), sign their
    envelope, store it; or None."""
    try:
        return _pack(
            organization=organization,
            worker=worker,
            latest_ledger=latest_ledger,
            fee_per_op=fee_per_op,
            signers=signers,
            payout_ids=payout_ids,
            batch_id=batch_id,
        )
    except IntegrityError:
        # Another worker took the same channel or payouts between our read and our write:
        # the constraints refused the second envelope; nothing was stored, try again later.
        log.info("packing lost a race to another worker", extra={"worker": worker})
        return None


def _pack(
    *,
    organization: Organization,
    worker: str,
    latest_ledger: int,
    fee_per_op: int,
    signers: SignerCache,
    payout_ids: Sequence[int] | None,
    batch_id: int | None,
) -> Packed | None:
    asset = network.usdc_asset()
    org_signer = signers.get(organization.wallet_public_key)
    now = timezone.now()
    fresh = now - DESTINATION_CHECK_TTL
    with transaction.atomic():
        channel = (
            ChannelAccount.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, disabled=False)
            .exclude(transactions__status__in=PaymentTransaction.UNSETTLED)
            .order_by("pk")
            .first()
        )
        if channel is None:
            return None
        base = Payout.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            eligible_payouts(organization), destination_checked_at__gte=fresh
        )
        if payout_ids is not None:
            base = base.filter(pk__in=payout_ids)
        if batch_id is not None:
            base = base.filter(batch_id=batch_id)
        first = base.order_by("pk").first()
        if first is None:
            return None
        # One memo per transaction: only payouts with the same memo share an envelope.
        payouts = list(base.filter(memo=first.memo).order_by("pk")[:OPS_PER_TX])
        envelope = build_payments(
            passphrase=network.client().passphrase,
            channel_public_key=channel.public_key,
            sequence=channel.next_sequence,
            org_public_key=organization.wallet_public_key,
            asset=asset,
            payments=[PaymentOp(p.destination, to_stroops(p.amount)) for p in payouts],
            memo=first.memo,
            fee_per_op=fee_per_op,
            max_ledger=latest_ledger + LEDGERS_VALID,
            max_time=int(now.timestamp()) + 300,
            signers=[signers.get(channel.public_key), org_signer],
        )
        tx = PaymentTransaction.objects.create(
            organization=organization,
            channel=channel,
            hash=envelope.hash,
            envelope_xdr=envelope.xdr,
            source_sequence=envelope.sequence,
            max_ledger=envelope.max_ledger,
            max_time=envelope.max_time,
            fee=envelope.fee,
            op_count=len(payouts),
            memo=first.memo,
            lease_owner=worker,
            lease_until=now + lease(),
        )
        PaymentAttempt.objects.bulk_create(
            PaymentAttempt(payout=p, transaction=tx, op_index=i) for i, p in enumerate(payouts)
        )
        ids = [p.pk for p in payouts]
        Payout.objects.filter(pk__in=ids).update(
            status=P.IN_FLIGHT, attempts_count=F("attempts_count") + 1
        )
        audit_record_many(
            organization_id=organization.pk,
            entries=[
                Entry(
                    f"worker:{worker}",
                    "payouts.in_flight",
                    "transaction",
                    tx.pk,
                    {
                        "payout_ids": ids,
                        "sequence": envelope.sequence,
                        "max_ledger": envelope.max_ledger,
                    },
                    tx_hash=envelope.hash,
                )
            ],
        )
    return Packed(tx.pk, envelope.hash, envelope.xdr, len(payouts))


def submit(*, tx_id: int, worker: str) -> TxOutcome | None:
    """Submit the stored envelope (unchanged) and settle on the answer."""
    with transaction.atomic():
        tx = (
            PaymentTransaction.objects.select_for_update()
            .filter(pk=tx_id, status__in=PaymentTransaction.UNSETTLED)
            .first()
        )
        if tx is None:
            return None
        # Counted before the request leaves: after a crash, a later rejection is never
        # mistaken for the answer to the only submission.
        tx.submit_count += 1
        tx.status = T.SUBMITTED
        tx.lease_owner, tx.lease_until = worker, timezone.now() + lease()
        tx.save(update_fields=["submit_count", "status", "lease_owner", "lease_until"])
    outcome = network.client().submit(tx.fee_bump_xdr or tx.envelope_xdr, tx.hash)
    settle(tx_id=tx_id, outcome=outcome, worker=worker)
    if outcome.tx_code == "tx_insufficient_fee" and not outcome.included:
        if fee_bump(tx_id=tx_id, fee_per_op=effective_fee_per_op(tx) * 2):
            return submit(tx_id=tx_id, worker=worker)
    return outcome


def recheck(*, tx_id: int, worker: str) -> TxOutcome | None:
    """Settle an envelope whose outcome is unknown: found, expired, or submit it again."""
    tx = PaymentTransaction.objects.select_related("channel").filter(pk=tx_id).first()
    if tx is None or tx.status not in PaymentTransaction.UNSETTLED:
        return None
    client = network.client()
    # The latest ledger is read BEFORE the lookup: if the envelope is not found and that
    # ledger is past max_ledger, it was never included and never will be.
    latest = client.latest_ledger()
    found = client.transaction(tx.hash)
    if found is not None:
        settle(tx_id=tx_id, outcome=found, worker=worker)
        return found
    if latest > tx.max_ledger:
        # Behind a load balancer, "latest ledger" and "not found" may come from nodes at
        # different points. The channel's sequence is the second witness: while it is below
        # the envelope's, the envelope is not in any ledger (and, its max ledger passed,
        # never will be). At or past it, something with that sequence was included: ask again.
        channel = client.account(tx.channel.public_key)
        if channel is not None and channel.sequence < tx.source_sequence:
            discard(tx_id=tx_id, worker=worker, reason="expired")
            return None
        log.warning(
            "envelope not found but its channel's sequence is consumed; looking it up again",
            extra={
                "tx_id": tx_id,
                "tx_hash": tx.hash,
                "source_sequence": tx.source_sequence,
                "channel_sequence": channel.sequence if channel else None,
                "worker": worker,
            },
        )
        PaymentTransaction.objects.filter(pk=tx_id, status__in=PaymentTransaction.UNSETTLED).update(
            outcome_ever_unknown=True,
            last_error="not found, channel sequence consumed",
            next_check_at=timezone.now() + NOT_FOUND_BUT_CONSUMED_RECHECK,
        )
        return None
    # Still pending and the network got more expensive: pay more for the same envelope.
    wanted = client.fee_stats()
    if wanted.capacity_usage >= 0.8 and wanted.p90 > effective_fee_per_op(tx):
        fee_bump(tx_id=tx_id, fee_per_op=wanted.p90)
    return submit(tx_id=tx_id, worker=worker)


def fee_bump(*, tx_id: int, fee_per_op: int) -> bool:
    """Wrap the stored envelope in a fee bump paid by its channel, up to the org's maximum.

    Stored before it is submitted. False when the org's maximum allows no higher fee.
    """
    tx = PaymentTransaction.objects.select_related("organization", "channel").get(pk=tx_id)
    fee_per_op = min(max(fee_per_op, 100), tx.organization.max_fee_per_op)
    if tx.status not in PaymentTransaction.UNSETTLED or fee_per_op <= effective_fee_per_op(tx):
        return False
    bump = build_fee_bump(
        passphrase=network.client().passphrase,
        inner_xdr=tx.envelope_xdr,
        fee_source=signer_for(tx.channel.public_key),
        fee_per_op=fee_per_op,
    )
    with transaction.atomic():
        updated = PaymentTransaction.objects.filter(
            pk=tx_id, status__in=PaymentTransaction.UNSETTLED
        ).update(fee_bump_xdr=bump.xdr, fee_bump_hash=bump.hash, fee_bump_fee=bump.fee)
        if updated:
            audit_record_many(
                organization_id=tx.organization_id,
                entries=[
                    Entry(
                        "engine",
                        "transaction.fee_bumped",
                        "transaction",
                        tx.pk,
                        {"fee_per_op": fee_per_op, "fee_bump_hash": bump.hash},
                        tx_hash=tx.hash,
                    )
                ],
            )
    return bool(updated)
