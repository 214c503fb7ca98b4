"""Settling envelopes on evidence from the network: paid, failed per line, or released.

Only evidence moves a payout out of flight: an included transaction (paid, or failed with
per-operation codes), a definitive rejection of the only submission ever made, or an envelope
proven never included because the network's latest ledger passed its max ledger.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from sozu.audit.services import Entry, audit_record_many
from sozu.disbursements.metrics import DISCARDED_BUT_INCLUDED
from sozu.disbursements.models import (
    Batch,
    ChannelAccount,
    PaymentAttempt,
    PaymentTransaction,
    Payout,
)
from sozu.disbursements.services.batches import CANCELLING, batches_finalize, batches_pause_for
from sozu.disbursements.services.events import emit_payouts_status
from sozu.stellar import network
from sozu.stellar.horizon import TxOutcome
from sozu.stellar.results import Verdict, classify_op_code

log = logging.getLogger(__name__)
P = Payout.Status
T = PaymentTransaction.Status
#: A payout released this many times without being paid fails (too_many_retries).
MAX_ATTEMPTS = 8
#: Releases that are the network's doing, not the line's: they do not count toward
#: MAX_ATTEMPTS (during a sustained fee surge envelopes expire again and again; the lines wait).
NOT_COUNTED = frozenset({"expired", "tx_too_late", "tx_insufficient_fee"})


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))


def effective_fee_per_op(tx: PaymentTransaction) -> int:
    if tx.fee_bump_fee:
        return tx.fee_bump_fee // (tx.op_count + 1)
    return tx.fee // tx.op_count


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
        if tx is not None and tx.status == T.DISCARDED and outcome.included:
            raise_discard_alarm(tx, outcome, worker)
            return
        if tx is None or tx.status not in PaymentTransaction.UNSETTLED:
            return  # settled already (by us or another worker)
        attempts = list(tx.attempts.select_related("payout").filter(live=True).order_by("op_index"))
        cancelling = _lock_batches(attempts)
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
            outer = outcome.outer_hash or tx.hash
            # Included: the channel's sequence number is consumed either way.
            ChannelAccount.objects.filter(pk=tx.channel_id).update(
                next_sequence=tx.source_sequence + 1
            )
            finals = _apply_included(tx, attempts, outcome, now, actor, pause, cancelling, outer)
            emit_payouts_status(finals)
            affected_batches |= {a.payout.batch_id for a in attempts if a.payout.batch_id}
        elif outcome.tx_code == "tx_insufficient_fee" and _can_bump(tx):
            # Not included, nothing charged: the same envelope goes again with a higher fee.
            tx.last_error = "tx_insufficient_fee"
            tx.next_check_at = now + timedelta(seconds=5)  # if the bump never goes out
            tx.save(update_fields=["last_error", "next_check_at"])
        elif _definitely_not_included(tx, outcome):
            code = _rejection_code(outcome)
            _release(tx, attempts, now, actor, code, cancelling)
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
    return tx.organization.max_fee_per_op > effective_fee_per_op(tx)


def _rejection_code(outcome: TxOutcome) -> str:
    """The code a rejection is known by: for a pre-check tx_failed, its operation's problem
    (op_bad_auth pauses the batch as op_bad_auth, which a person can act on)."""
    if outcome.tx_code == "tx_failed":
        for c in outcome.op_codes:
            if c != "op_success":
                return c
    return outcome.tx_code or "rejected"


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
    cancelling: set[int],
    outer: str,
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
            status=P.PAID,
            tx_hash=tx.hash,
            outer_tx_hash=outer,
            ledger=tx.ledger,
            paid_at=now,
            failure_code="",
        )
        for a in paid:
            p = a.payout
            p.status, p.tx_hash, p.outer_tx_hash, p.ledger = P.PAID, tx.hash, outer, tx.ledger
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
            status=P.FAILED, failure_code=code, tx_hash=tx.hash, outer_tx_hash=outer
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
        # Released because another line failed the transaction is not this line's failure.
        mine = [a for a in released if a.op_code != "op_success"]
        others = [a for a in released if a.op_code == "op_success"]
        finals += _release_attempts(mine, now, cancelling=cancelling, counts=True)
        finals += _release_attempts(others, now, cancelling=cancelling, counts=False)
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


def _lock_batches(attempts: list[PaymentAttempt]) -> set[int]:
    """Lock the batches of these payouts (before any payout row: the order batch_cancel uses)
    and return those being cancelled: what comes back unpaid from them is cancelled."""
    ids = sorted({a.payout.batch_id for a in attempts if a.payout.batch_id})
    if not ids:
        return set()
    rows = Batch.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {
        pk
        for pk, status, code in rows.values_list("pk", "status", "pause_code")
        if status == Batch.Status.PAUSED and code == CANCELLING
    }


def _release_attempts(
    attempts: list[PaymentAttempt], now: datetime, *, cancelling: set[int], counts: bool
) -> list[Payout]:
    """Unpaid payouts go back to the queue, or are cancelled (their batch is being cancelled),
    or fail after too many tries of their own. Returns the payouts that became final."""
    if not attempts:
        return []
    PaymentAttempt.objects.filter(pk__in=[a.pk for a in attempts]).update(
        live=False, outcome=PaymentAttempt.Outcome.RELEASED
    )
    finals: list[Payout] = []
    requeued: list[Payout] = []
    for a in attempts:
        p = a.payout
        if p.batch_id in cancelling:
            p.status, p.failure_code = P.CANCELLED, "cancelled_by_user"
            finals.append(p)
        elif counts and p.attempts_count >= MAX_ATTEMPTS:
            p.status, p.failure_code = P.FAILED, "too_many_retries"
            finals.append(p)
        else:
            requeued.append(p)
    for status, code in ((P.CANCELLED, "cancelled_by_user"), (P.FAILED, "too_many_retries")):
        ids = [p.pk for p in finals if p.status == status and p.failure_code == code]
        if ids:
            Payout.objects.filter(pk__in=ids).update(status=status, failure_code=code)
    for p in requeued:
        if counts:
            Payout.objects.filter(pk=p.pk).update(
                status=P.QUEUED, not_before=now + _backoff(p.attempts_count)
            )
        else:
            # Not the line's doing: the try it was packed with is given back.
            Payout.objects.filter(pk=p.pk).update(
                status=P.QUEUED,
                not_before=now + _backoff(1),
                attempts_count=Greatest(F("attempts_count") - 1, Value(0)),
            )
    return finals


def _release(
    tx: PaymentTransaction,
    attempts: list[PaymentAttempt],
    now: datetime,
    actor: str,
    code: str,
    cancelling: set[int],
) -> list[Payout]:
    tx.status = T.DISCARDED
    tx.tx_code = code
    tx.settled_at, tx.lease_owner, tx.lease_until = now, "", None
    tx.save()
    finals = _release_attempts(attempts, now, cancelling=cancelling, counts=code not in NOT_COUNTED)
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
    emit_payouts_status(finals)
    return finals


def discard(*, tx_id: int, worker: str, reason: str) -> None:
    """The envelope was proven never included (its max ledger passed): release its payouts."""
    with transaction.atomic():
        tx = PaymentTransaction.objects.select_for_update().filter(pk=tx_id).first()
        if tx is None or tx.status not in PaymentTransaction.UNSETTLED:
            return
        attempts = list(tx.attempts.select_related("payout").filter(live=True))
        cancelling = _lock_batches(attempts)
        _release(tx, attempts, timezone.now(), f"worker:{worker}", reason, cancelling)
    batches_finalize({a.payout.batch_id for a in attempts if a.payout.batch_id}, f"worker:{worker}")
    channel_resync(tx_id=tx_id)


def raise_discard_alarm(tx: PaymentTransaction, outcome: TxOutcome, worker: str) -> None:
    """An envelope recorded as never included is in a ledger after all: never ignored.

    Its lines were released and may have been paid again by a later envelope. Logged as an
    error, counted (sozu_discarded_envelope_included_total, and the database gauge of the
    same name), written in the audit chain and on the envelope; a person must reconcile."""
    if tx.included_after_discard_ledger is not None:
        return  # raised already
    payout_ids = list(tx.attempts.values_list("payout_id", flat=True))
    repaid = list(
        Payout.objects.filter(pk__in=payout_ids, status=P.PAID)
        .exclude(tx_hash=tx.hash)
        .values_list("pk", flat=True)
    )
    PaymentTransaction.objects.filter(pk=tx.pk).update(
        included_after_discard_ledger=outcome.ledger or 0, discard_verified=True
    )
    DISCARDED_BUT_INCLUDED.inc()
    log.error(
        "ALARM: a discarded envelope was included",
        extra={
            "event": "discarded_envelope_included",
            "tx_id": tx.pk,
            "tx_hash": tx.hash,
            "ledger": outcome.ledger,
            "verdict": outcome.verdict.value,
            "payout_ids": payout_ids,
            "paid_again_ids": repaid,
            "worker": worker,
        },
    )
    audit_record_many(
        organization_id=tx.organization_id,
        entries=[
            Entry(
                f"worker:{worker}",
                "transaction.included_after_discard",
                "transaction",
                tx.pk,
                {
                    "ledger": outcome.ledger,
                    "verdict": outcome.verdict.value,
                    "payout_ids": payout_ids,
                    "paid_again_ids": repaid,
                },
                tx_hash=tx.hash,
            )
        ],
    )


def discarded_verify(*, worker: str, older_than: timedelta, limit: int = 20) -> int:
    """Look up, once, envelopes discarded as expired a while ago: one found in a ledger raises
    the alarm. Returns how many were looked up."""
    now = timezone.now()
    todo = list(
        PaymentTransaction.objects.filter(
            status=T.DISCARDED,
            tx_code="expired",
            discard_verified=False,
            settled_at__lte=now - older_than,
            settled_at__gte=now - older_than - timedelta(days=1),
        ).order_by("settled_at")[:limit]
    )
    client = network.client()
    for tx in todo:
        found = client.transaction(tx.hash)  # network trouble: raised, verified next time
        if found is None and tx.fee_bump_hash:
            found = client.transaction(tx.fee_bump_hash)
        if found is not None and found.included:
            with transaction.atomic():
                raise_discard_alarm(tx, found, worker)
        else:
            PaymentTransaction.objects.filter(pk=tx.pk).update(discard_verified=True)
    return len(todo)


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
