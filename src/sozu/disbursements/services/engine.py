"""The payment engine: pack queued payouts into signed envelopes, submit, settle on evidence.

Every step follows one rule: write the intent (signed envelope, attempts) and commit, talk to
Horizon outside any database transaction, record the answer in a new short transaction. A
payout is paid exactly once because (1) the envelope is stored before it is submitted and only
ever resubmitted unchanged, (2) a payout has at most one live attempt (a database constraint),
and (3) a not-found envelope is treated as never paid only once the network's latest ledger
has passed the envelope's max ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
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
from sozu.disbursements.services.batches import batches_finalize, batches_pause_for
from sozu.disbursements.services.events import emit_payouts_status
from sozu.orgs.models import Organization
from sozu.orgs.services import signer_for
from sozu.stellar import network
from sozu.stellar.amounts import to_stroops
from sozu.stellar.horizon import TxOutcome
from sozu.stellar.results import Verdict, classify_op_code
from sozu.stellar.signers import Signer
from sozu.stellar.transactions import PaymentOp, build_fee_bump, build_payments

log = logging.getLogger(__name__)
P = Payout.Status
T = PaymentTransaction.Status

#: An envelope may be included only within this many ledgers after it is built.
LEDGERS_VALID = 10
LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 8
DESTINATION_CHECK_TTL = timedelta(minutes=10)
OPS_PER_TX = 100


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))


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


def payouts_check_destinations(*, organization: Organization, actor: str, limit: int = 1000) -> int:
    """Fail queued payouts whose destination cannot receive USDC; stamp the others checked."""
    from sozu.disbursements.services.checks import destination_problems

    stale = timezone.now() - DESTINATION_CHECK_TTL
    todo = list(
        Payout.objects.filter(eligible_payouts(organization))
        .filter(Q(destination_checked_at__isnull=True) | Q(destination_checked_at__lt=stale))
        .values_list("pk", "destination")[:limit]
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
) -> Packed | None:
    """Claim a free channel and up to 100 payouts, sign their envelope, store it; or None."""
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
            lease_until=now + LEASE,
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
        tx.lease_owner, tx.lease_until = worker, timezone.now() + LEASE
        tx.save(update_fields=["submit_count", "status", "lease_owner", "lease_until"])
    outcome = network.client().submit(tx.fee_bump_xdr or tx.envelope_xdr, tx.hash)
    settle(tx_id=tx_id, outcome=outcome, worker=worker)
    if outcome.tx_code == "tx_insufficient_fee" and not outcome.included:
        if fee_bump(tx_id=tx_id, fee_per_op=_effective_fee_per_op(tx) * 2):
            return submit(tx_id=tx_id, worker=worker)
    return outcome


def recheck(*, tx_id: int, worker: str) -> TxOutcome | None:
    """Settle an envelope whose outcome is unknown: found, expired, or submit it again."""
    tx = PaymentTransaction.objects.filter(pk=tx_id).first()
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
        discard(tx_id=tx_id, worker=worker, reason="expired")
        return None
    # Still pending and the network got more expensive: pay more for the same envelope.
    wanted = client.fee_stats()
    if wanted.capacity_usage >= 0.8 and wanted.p90 > _effective_fee_per_op(tx):
        fee_bump(tx_id=tx_id, fee_per_op=wanted.p90)
    return submit(tx_id=tx_id, worker=worker)


def _effective_fee_per_op(tx: PaymentTransaction) -> int:
    if tx.fee_bump_fee:
        return tx.fee_bump_fee // (tx.op_count + 1)
    return tx.fee // tx.op_count


def fee_bump(*, tx_id: int, fee_per_op: int) -> bool:
    """Wrap the stored envelope in a fee bump paid by its channel, up to the org's maximum.

    Stored before it is submitted. False when the org's maximum allows no higher fee.
    """
    tx = PaymentTransaction.objects.select_related("organization", "channel").get(pk=tx_id)
    fee_per_op = min(max(fee_per_op, 100), tx.organization.max_fee_per_op)
    if tx.status not in PaymentTransaction.UNSETTLED or fee_per_op <= _effective_fee_per_op(tx):
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


def settle(*, tx_id: int, outcome: TxOutcome, worker: str) -> None:
    """Record what the network said about an envelope, in one short transaction."""
    actor = f"worker:{worker}"
    affected_batches: set[int] = set()
    pause: dict[str, set[int]] = {}
    with transaction.atomic():
        tx = (
            PaymentTransaction.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(pk=tx_id)
            .first()
        )
        if tx is None or tx.status not in PaymentTransaction.UNSETTLED:
            return  # settled already (by us or another worker)
        attempts = list(tx.attempts.select_related("payout").filter(live=True).order_by("op_index"))
        now = timezone.now()
        if outcome.included:
            tx.status = T.SUCCEEDED if outcome.verdict is Verdict.PAID else T.FAILED
            tx.ledger, tx.tx_code, tx.op_codes = (
                outcome.ledger,
                outcome.tx_code or "",
                list(outcome.op_codes),
            )
            tx.settled_at, tx.lease_owner, tx.lease_until = now, "", None
            tx.save()
            # Included: the channel's sequence number is consumed either way.
            ChannelAccount.objects.filter(pk=tx.channel_id).update(
                next_sequence=tx.source_sequence + 1
            )
            finals = _apply_included(tx, attempts, outcome, now, actor, pause)
            emit_payouts_status(finals)
            affected_batches |= {a.payout.batch_id for a in attempts if a.payout.batch_id}
        elif outcome.tx_code == "tx_insufficient_fee" and _can_bump(tx):
            # Not included, nothing charged: the same envelope goes again with a higher fee.
            tx.last_error = "tx_insufficient_fee"
            tx.next_check_at = now + timedelta(seconds=5)  # if the bump never goes out
            tx.save(update_fields=["last_error", "next_check_at"])
        elif _definitely_not_included(tx, outcome):
            code = outcome.tx_code or "rejected"
            _release(tx, attempts, now, actor, code, discard_status=T.DISCARDED)
            if outcome.verdict is Verdict.PAUSE:
                pause.setdefault(code, set()).update(
                    a.payout.batch_id for a in attempts if a.payout.batch_id
                )
            affected_batches |= {a.payout.batch_id for a in attempts if a.payout.batch_id}
        else:
            # Unknown: keep the envelope; recheck later (lookup, then resubmit unchanged).
            delay = min(2 ** min(tx.submit_count, 5), 30)
            tx.outcome_ever_unknown = True
            tx.last_error = (outcome.tx_code or outcome.detail or str(outcome.http_status))[:200]
            tx.next_check_at = now + timedelta(seconds=delay)
            tx.save(update_fields=["outcome_ever_unknown", "last_error", "next_check_at"])
    log.info(
        "envelope outcome",
        extra={
            "tx_id": tx_id,
            "tx_hash": outcome.hash,
            "verdict": outcome.verdict.value,
            "included": outcome.included,
            "ledger": outcome.ledger,
            "tx_code": outcome.tx_code,
            "http_status": outcome.http_status,
            "worker": worker,
        },
    )
    if outcome.tx_code == "tx_bad_seq" and not outcome.included:
        channel_resync(tx_id=tx_id)
    for code, batch_ids in pause.items():
        batches_pause_for(batch_ids, code, actor)
    batches_finalize(affected_batches, actor)


def _can_bump(tx: PaymentTransaction) -> bool:
    return tx.organization.max_fee_per_op > _effective_fee_per_op(tx)


def _definitely_not_included(tx: PaymentTransaction, outcome: TxOutcome) -> bool:
    """A definitive rejection of the only submission ever made of this envelope."""
    return (
        outcome.verdict in (Verdict.RETRY, Verdict.PAUSE)
        and outcome.tx_code is not None
        and tx.submit_count == 1
        and not tx.outcome_ever_unknown
    )


def _apply_included(
    tx: PaymentTransaction,
    attempts: list[PaymentAttempt],
    outcome: TxOutcome,
    now: datetime,
    actor: str,
    pause: dict[str, set[int]],
) -> list[Payout]:
    paid, failed, released = [], [], []
    for a in attempts:
        code = outcome.op_codes[a.op_index] if a.op_index < len(outcome.op_codes) else ""
        if outcome.verdict is Verdict.PAID:
            paid.append(a)
        elif classify_op_code(code) is Verdict.LINE_FAILED:
            a.op_code = code
            failed.append(a)
        else:
            # op_success inside a failed transaction, or the org's own problem: not paid,
            # repack. The org's problems pause its batches.
            a.op_code = code
            released.append(a)
            if classify_op_code(code) is Verdict.PAUSE:
                if a.payout.batch_id:
                    pause.setdefault(code, set()).add(a.payout.batch_id)
                else:
                    failed.append(a)  # a single payout has no batch to pause: it fails
    released = [a for a in released if a not in failed]
    finals: list[Payout] = []
    entries = []
    if paid:
        ids = [a.payout_id for a in paid]
        PaymentAttempt.objects.filter(pk__in=[a.pk for a in paid]).update(
            live=False, outcome=PaymentAttempt.Outcome.PAID, op_code="op_success"
        )
        Payout.objects.filter(pk__in=ids).update(
            status=P.PAID, tx_hash=tx.hash, ledger=tx.ledger, paid_at=now, failure_code=""
        )
        for a in paid:
            p = a.payout
            p.status, p.tx_hash, p.ledger = P.PAID, tx.hash, tx.ledger
            finals.append(p)
        entries.append(
            Entry(
                actor,
                "payouts.paid",
                "transaction",
                tx.pk,
                {"payout_ids": ids, "ledger": tx.ledger},
                tx_hash=tx.hash,
            )
        )
    for a in failed:
        code = a.op_code or outcome.tx_code or "tx_failed"
        PaymentAttempt.objects.filter(pk=a.pk).update(
            live=False, outcome=PaymentAttempt.Outcome.FAILED, op_code=code
        )
        Payout.objects.filter(pk=a.payout_id).update(
            status=P.FAILED, failure_code=code, tx_hash=tx.hash
        )
        a.payout.status, a.payout.failure_code = P.FAILED, code
        finals.append(a.payout)
        entries.append(
            Entry(
                actor,
                "payouts.failed",
                "payout",
                a.payout_id,
                {"code": code, "ledger": tx.ledger},
                tx_hash=tx.hash,
            )
        )
    if released:
        _release_attempts(released, now)
        entries.append(
            Entry(
                actor,
                "payouts.released",
                "transaction",
                tx.pk,
                {"payout_ids": [a.payout_id for a in released], "reason": outcome.tx_code},
                tx_hash=tx.hash,
            )
        )
    audit_record_many(organization_id=tx.organization_id, entries=entries)
    return finals


def _release_attempts(attempts: list[PaymentAttempt], now: datetime) -> None:
    PaymentAttempt.objects.filter(pk__in=[a.pk for a in attempts]).update(
        live=False, outcome=PaymentAttempt.Outcome.RELEASED
    )
    for a in attempts:
        p = a.payout
        if p.attempts_count >= MAX_ATTEMPTS:
            Payout.objects.filter(pk=p.pk).update(status=P.FAILED, failure_code="too_many_retries")
        else:
            Payout.objects.filter(pk=p.pk).update(
                status=P.QUEUED, not_before=now + _backoff(p.attempts_count)
            )


def _release(
    tx: PaymentTransaction,
    attempts: list[PaymentAttempt],
    now: datetime,
    actor: str,
    code: str,
    discard_status: str,
) -> None:
    tx.status = discard_status
    tx.tx_code = code
    tx.settled_at, tx.lease_owner, tx.lease_until = now, "", None
    tx.save()
    _release_attempts(attempts, now)
    audit_record_many(
        organization_id=tx.organization_id,
        entries=[
            Entry(
                actor,
                "payouts.released",
                "transaction",
                tx.pk,
                {"payout_ids": [a.payout_id for a in attempts], "reason": code},
                tx_hash=tx.hash,
            )
        ],
    )


def discard(*, tx_id: int, worker: str, reason: str) -> None:
    """The envelope was proven never included (its max ledger passed): release its payouts."""
    with transaction.atomic():
        tx = PaymentTransaction.objects.select_for_update().filter(pk=tx_id).first()
        if tx is None or tx.status not in PaymentTransaction.UNSETTLED:
            return
        attempts = list(tx.attempts.select_related("payout").filter(live=True))
        _release(tx, attempts, timezone.now(), f"worker:{worker}", reason, T.DISCARDED)
    channel_resync(tx_id=tx_id)


def channel_resync(*, tx_id: int) -> None:
    """Read the channel's sequence from the network (after a bad_seq or an expiry)."""
    tx = PaymentTransaction.objects.select_related("channel").get(pk=tx_id)
    info = network.client().account(tx.channel.public_key)
    if info is None:
        return
    with transaction.atomic():
        # Only while no envelope of this channel is unsettled, else that one owns the sequence.
        busy = PaymentTransaction.objects.filter(
            channel_id=tx.channel_id, status__in=PaymentTransaction.UNSETTLED
        ).exists()
        if not busy:
            ChannelAccount.objects.filter(pk=tx.channel_id).update(next_sequence=info.sequence + 1)
