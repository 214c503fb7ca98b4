"""The worker: packs, submits and settles payments from state in the database.

Several workers (also on several machines sharing PostgreSQL) cooperate through row locks
(`skip_locked`) and leases on envelopes; the worker keeps nothing critical in memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import close_old_connections, connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from sozu.disbursements.metrics import WORKER_ERRORS
from sozu.disbursements.models import PaymentAttempt, PaymentTransaction, Payout
from sozu.disbursements.services import engine, settlement
from sozu.orgs.models import Organization
from sozu.stellar import network
from sozu.stellar.horizon import READ_ERRORS, TxOutcome
from sozu.stellar.results import Verdict
from sozu.webhooks.tasks import webhooks_deliver_soon, webhooks_stop

log = logging.getLogger(__name__)
#: After a failed step, the worker waits 1 s, then 2, 4 … up to 30 s, until a step works.
TROUBLE_BACKOFF_SECONDS = 1.0
TROUBLE_BACKOFF_MAX = 30.0
#: An envelope whose task failed is rechecked after this pause.
RECHECK_AFTER_ERROR = timedelta(seconds=2)
#: Envelopes discarded as expired are looked up once more this long after (every so often).
DISCARD_VERIFY_AFTER = timedelta(minutes=2)
DISCARD_VERIFY_EVERY = 30.0


@dataclass
class FeePolicy:
    """Per-operation fee: follow fee_stats when the network is busy, never above the org max."""

    refresh_seconds: float = 5.0
    _fee: int = 100
    _at: float = 0.0
    surge_factor: int = 1

    def per_op(self, org: Organization) -> int:
        if time.monotonic() - self._at > self.refresh_seconds:
            try:
                stats = network.client().fee_stats()
                busy = stats.capacity_usage >= 0.8
                self._fee = max(stats.last_ledger_base_fee, stats.p70 if busy else 0, 100)
                if not busy:
                    self.calm()  # the surge is over: fees come back down
            except Exception:  # keep the last known fee if fee_stats is unavailable
                log.warning("fee_stats unavailable; keeping %s stroops", self._fee)
            self._at = time.monotonic()
        return min(self._fee * self.surge_factor, org.max_fee_per_op)

    def refused(self) -> None:
        """The network refused our fee (tx_insufficient_fee): offer more next time."""
        self.surge_factor = min(self.surge_factor * 2, 64)

    def calm(self) -> None:
        """Our fee was enough (an envelope was included) or the network is quiet: step down."""
        self.surge_factor = max(1, self.surge_factor // 2)


@dataclass
class Concurrency:
    """Additive increase, multiplicative decrease of envelopes in flight per organization."""

    limits: dict[int, int] = field(default_factory=dict)

    def limit(self, org: Organization) -> int:
        return self.limits.setdefault(org.pk, org.max_in_flight)

    def observe(self, org_id: int, maximum: int, outcome: TxOutcome | None) -> None:
        current = self.limits.get(org_id, maximum)
        if outcome is not None and outcome.verdict is Verdict.UNKNOWN:
            self.limits[org_id] = max(1, current // 2)  # the network pushes back
        else:
            self.limits[org_id] = min(maximum, current + 1)


class Worker:
    def __init__(
        self,
        name: str,
        *,
        threads: int = 16,
        poll_seconds: float = 0.1,
        only_batch: int | None = None,
    ) -> None:
        self.name = name
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"sozu-{name}")
        self.poll_seconds = poll_seconds
        self.signers = engine.SignerCache()
        self.fees = FeePolicy()
        self.concurrency = Concurrency()
        self.inflight: dict[int, tuple[Future[TxOutcome | None], int, int]] = {}
        self.stop_event = threading.Event()
        self.only_batch = only_batch
        self._latest: tuple[float, int] = (0.0, 0)
        self._rechecked_at = 0.0
        self._verified_at = time.monotonic()
        self.threads = threads

    # --- lifecycle ---------------------------------------------------------------------
    def adopt_own_leases(self) -> int:
        """After a restart, envelopes this worker held are rechecked at once."""
        return PaymentTransaction.objects.filter(
            lease_owner=self.name, status__in=PaymentTransaction.UNSETTLED
        ).update(next_check_at=timezone.now(), outcome_ever_unknown=True)

    def run(self, *, until_idle: bool = False, on_tick: Callable[[], None] | None = None) -> None:
        """Work until stop_event is set (a signal), or until idle when asked.

        No error ends the loop: a Horizon that answers 429/503 or drops the connection, or a
        database that went away, is logged and retried after a growing pause."""
        self.adopt_own_leases()
        failures = 0
        try:
            while not self.stop_event.is_set():
                try:
                    busy = self.tick()
                    failures = 0
                except Exception as exc:
                    failures += 1
                    self._trouble(exc, failures)
                    continue
                if on_tick:
                    on_tick()
                if until_idle and not busy and not self.inflight and not self._pending_work():
                    break
                if not busy:
                    self._idle()
        finally:
            self.drain()

    def _trouble(self, exc: Exception, failures: int) -> None:
        """Log a failed step and wait (1, 2, 4 … up to 30 s, or until a signal)."""
        pause = min(TROUBLE_BACKOFF_SECONDS * 2 ** (failures - 1), TROUBLE_BACKOFF_MAX)
        WORKER_ERRORS.labels(kind="network" if isinstance(exc, READ_ERRORS) else "other").inc()
        extra = {"worker": self.name, "error": type(exc).__name__, "retry_in": pause}
        if isinstance(exc, READ_ERRORS):
            log.warning("network trouble; retrying", extra=extra)
        else:
            log.exception("worker step failed; retrying", extra=extra)
            close_old_connections()
            if not connection.in_atomic_block:
                connection.close()  # a broken connection is opened again on the next step
        self.stop_event.wait(pause)

    def _idle(self) -> None:
        """Sleep until an envelope settles (then refill at once) or the poll interval passes."""
        futures = [fut for fut, _, _ in self.inflight.values()]
        if futures:
            wait(futures, timeout=self.poll_seconds * 5, return_when=FIRST_COMPLETED)
        else:
            self.stop_event.wait(self.poll_seconds)

    def drain(self) -> None:
        webhooks_stop(self.pool)  # never waits for a webhook receiver
        for fut, _, _ in list(self.inflight.values()):
            try:
                fut.result(timeout=120)
            except Exception:
                log.exception("envelope task failed while draining")
        self.inflight.clear()
        self.pool.shutdown(wait=True)

    # --- one step ------------------------------------------------------------------------
    def tick(self) -> bool:
        webhooks_deliver_soon(self.pool)  # at most once a second, in the background
        self._reap()
        busy = False
        if time.monotonic() - self._rechecked_at >= self.poll_seconds * 5:
            busy |= self._recheck_due()
            self._rechecked_at = time.monotonic()
        if time.monotonic() - self._verified_at >= DISCARD_VERIFY_EVERY:
            self._verified_at = time.monotonic()
            settlement.discarded_verify(worker=self.name, older_than=DISCARD_VERIFY_AFTER)
        if len(self.inflight) >= self.threads:
            return busy  # every thread is busy: nothing can be packed now
        trouble: Exception | None = None
        for org in self._orgs_with_work():
            try:
                busy |= self._fill(org)
            except Exception as exc:  # one organization's trouble does not stop the others
                trouble = trouble or exc
        if trouble is not None:
            raise trouble
        return busy

    def latest_ledger(self) -> int:
        at, value = self._latest
        if time.monotonic() - at > 0.5:
            value = network.client().latest_ledger()
            self._latest = (time.monotonic(), value)
        return value

    def _reap(self) -> None:
        for tx_id, (fut, org_id, maximum) in list(self.inflight.items()):
            if not fut.done():
                continue
            del self.inflight[tx_id]
            try:
                outcome = fut.result()
            except Exception as exc:
                if isinstance(exc, READ_ERRORS):
                    log.warning(
                        "network trouble while settling an envelope; rechecking it later",
                        extra={"tx_id": tx_id, "error": type(exc).__name__},
                    )
                else:
                    log.exception("envelope task failed", extra={"tx_id": tx_id})
                # The envelope stays unsettled and is rechecked after a pause (not at once:
                # a network that just failed is not asked again in a tight loop).
                PaymentTransaction.objects.filter(
                    pk=tx_id, status__in=PaymentTransaction.UNSETTLED
                ).update(
                    next_check_at=timezone.now() + RECHECK_AFTER_ERROR,
                    outcome_ever_unknown=True,
                )
                outcome = None
            self.concurrency.observe(org_id, maximum, outcome)
            if outcome is not None and outcome.tx_code == "tx_insufficient_fee":
                self.fees.refused()
            elif outcome is not None and outcome.included:
                self.fees.calm()

    def _run(self, fn: Callable[..., TxOutcome | None], tx_id: int, org: Organization) -> None:
        def task() -> TxOutcome | None:
            try:
                return fn(tx_id=tx_id, worker=self.name)
            finally:
                connection.close()  # threads are reused; never keep a broken connection

        self.inflight[tx_id] = (self.pool.submit(task), org.pk, org.max_in_flight)

    def _recheck_due(self) -> bool:
        now = timezone.now()
        due = (
            self._transactions()
            .filter(status__in=PaymentTransaction.UNSETTLED)
            .filter(Q(lease_owner=self.name) | Q(lease_owner="") | Q(lease_until__lt=now))
            .filter(Q(next_check_at__lte=now) | Q(lease_until__lt=now))
            .exclude(pk__in=list(self.inflight))
            .select_related("organization")
            .order_by("next_check_at")[:50]
        )
        busy = False
        for tx in due:
            claimed = PaymentTransaction.objects.filter(
                Q(lease_owner=self.name) | Q(lease_owner="") | Q(lease_until__lt=now),
                pk=tx.pk,
                status__in=PaymentTransaction.UNSETTLED,
            ).update(
                lease_owner=self.name,
                lease_until=now + engine.lease(),
                next_check_at=now + engine.lease(),
            )
            if claimed:
                self._run(engine.recheck, tx.pk, tx.organization)
                busy = True
        return busy

    def _orgs_with_work(self) -> list[Organization]:
        qs = Payout.objects.filter(status=Payout.Status.QUEUED)
        if self.only_batch is not None:
            qs = qs.filter(batch_id=self.only_batch)
        org_ids = set(qs.values_list("organization_id", flat=True).distinct())
        return list(Organization.objects.filter(pk__in=org_ids))

    def _transactions(self) -> QuerySet[PaymentTransaction]:
        """The envelopes this worker may touch: all, or those paying lines of its batch."""
        txs = PaymentTransaction.objects.all()
        if self.only_batch is not None:
            mine = PaymentAttempt.objects.filter(payout__batch_id=self.only_batch)
            txs = txs.filter(pk__in=mine.values("transaction_id"))
        return txs

    def _pending_work(self) -> bool:
        txs = self._transactions().filter(status__in=PaymentTransaction.UNSETTLED)
        queued = Payout.objects.filter(status=Payout.Status.QUEUED)
        if self.only_batch is not None:
            queued = queued.filter(batch_id=self.only_batch)
        return (
            txs.exists()
            or queued.filter(Q(batch__isnull=True) | Q(batch__status="executing")).exists()
        )

    def _fill(self, org: Organization) -> bool:
        mine = sum(1 for _, o, _ in self.inflight.values() if o == org.pk)
        if mine >= self.concurrency.limit(org):
            return False
        engine.payouts_check_destinations(
            organization=org, actor=f"worker:{self.name}", batch_id=self.only_batch
        )
        busy = False
        latest = self.latest_ledger()
        fee = self.fees.per_op(org)
        while mine < self.concurrency.limit(org):
            packed = engine.pack_transaction(
                organization=org,
                worker=self.name,
                latest_ledger=latest,
                fee_per_op=fee,
                signers=self.signers,
                batch_id=self.only_batch,
            )
            if packed is None:
                break
            self._run(engine.submit, packed.tx_id, org)
            mine += 1
            busy = True
        return busy


def close_db() -> None:
    close_old_connections()
