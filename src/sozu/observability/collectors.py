"""Prometheus collectors that read the database, and Horizon with a cache, at scrape time.

Counts come from the database when Prometheus scrapes, so they are right whichever process
serves `/metrics` and however many workers run. Horizon latency and errors
(`sozu.stellar.metrics`) are per process and live in prometheus_client's default registry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Sum
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from sozu.disbursements.models import Batch, PaymentTransaction, Payout
from sozu.orgs.models import Organization
from sozu.stellar import network
from sozu.stellar.horizon import HorizonClient
from sozu.webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)

FINISHED_BATCH = (
    Batch.Status.COMPLETED,
    Batch.Status.PARTIALLY_PAID,
    Batch.Status.FAILED,
    Batch.Status.CANCELLED,
)
#: Upper bounds (seconds) of the batch duration histogram: from seconds to a day.
BATCH_DURATION_BUCKETS = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)


class DatabaseCollector(Collector):
    """Payouts, batches and webhook deliveries by organization and status; batch durations.

    The counts are read at most once per `ttl` seconds (SOZU_METRICS_CACHE_SECONDS, 15 by
    default) and shared by every scrape in between, concurrent ones included: however often
    /metrics is asked, the database runs these queries once per `ttl`.
    """

    def __init__(
        self, *, ttl: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._read_at = float("-inf")

    @property
    def ttl(self) -> float:
        return float(settings.SOZU_METRICS_CACHE_SECONDS) if self._ttl is None else self._ttl

    def reset(self) -> None:
        with self._lock:
            self._families = []
            self._read_at = float("-inf")

    def collect(self) -> Iterator[Metric]:
        with self._lock:  # one scrape reads, the others wait for its answer
            if self._clock() - self._read_at >= self.ttl:
                self._families = self._read()
                self._read_at = self._clock()
            families = self._families
        yield from families

    def _read(self) -> list[Metric]:
        try:
            families = list(self._all_families())
        except DatabaseError:
            log.warning("metrics: the database did not answer")
            families = []
        up = GaugeMetricFamily(
            "sozu_metrics_database_up", "Whether the database answered this scrape"
        )
        up.add_metric([], 1 if families else 0)
        return [*families, up]

    def _all_families(self) -> Iterator[Metric]:
        orgs = dict(Organization.objects.values_list("pk", "slug"))
        yield from self._payouts(orgs)
        yield self._by_status(
            "sozu_batches",
            "Batches by organization and status",
            orgs,
            [s.value for s in Batch.Status],
            Batch.objects.values_list("organization_id", "status").annotate(n=Count("id")),
        )
        yield self._batch_durations(orgs)
        yield self._by_status(
            "sozu_webhook_deliveries",
            "Webhook deliveries by organization and status",
            orgs,
            [s.value for s in WebhookDelivery.Status],
            WebhookDelivery.objects.values_list("endpoint__organization_id", "status").annotate(
                n=Count("id")
            ),
        )

        alarms = GaugeMetricFamily(
            "sozu_discarded_envelopes_included",
            "ALARM: envelopes recorded as never included that the network shows in a ledger",
            labels=["organization"],
        )
        for org_id, n in (
            PaymentTransaction.objects.filter(included_after_discard_ledger__isnull=False)
            .values_list("organization_id")
            .annotate(n=Count("id"))
        ):
            alarms.add_metric([orgs.get(org_id, str(org_id))], n)
        yield alarms

    def _payouts(self, orgs: dict[int, str]) -> Iterator[Metric]:
        rows = (
            Payout.objects.values_list("organization_id", "status")
            .annotate(n=Count("id"), total=Sum("amount"))
            .order_by()
        )
        found = {(org, status): (n, total) for org, status, n, total in rows}
        count = GaugeMetricFamily(
            "sozu_payouts", "Payouts by organization and status", labels=["organization", "status"]
        )
        amount = GaugeMetricFamily(
            "sozu_payouts_amount_usdc",
            "Sum of payout amounts (USDC) by organization and status",
            labels=["organization", "status"],
        )
        for org_id, slug in orgs.items():
            for status in Payout.Status:
                n, total = found.get((org_id, status.value), (0, Decimal(0)))
                count.add_metric([slug, status.value], n)
                # Decimal as it is: the exposition writes the sample's number at the very edge.
                amount.add_metric([slug, status.value], total)
        yield count
        yield amount

    @staticmethod
    def _by_status(
        name: str,
        documentation: str,
        orgs: dict[int, str],
        statuses: list[str],
        rows: Iterable[tuple[int, str, int]],
    ) -> Metric:
        found = {(org, status): n for org, status, n in rows}
        family = GaugeMetricFamily(name, documentation, labels=["organization", "status"])
        for org_id, slug in orgs.items():
            for status in statuses:
                family.add_metric([slug, status], found.get((org_id, status), 0))
        return family

    @staticmethod
    def _batch_durations(orgs: dict[int, str]) -> Metric:
        """From started_at to finished_at of every finished batch (only grows, like a counter)."""
        durations: dict[int, list[float]] = {org_id: [] for org_id in orgs}
        rows = Batch.objects.filter(
            status__in=FINISHED_BATCH, started_at__isnull=False, finished_at__isnull=False
        ).values_list("organization_id", "started_at", "finished_at")
        for org_id, started, finished in rows.iterator():
            if started is not None and finished is not None:
                durations.setdefault(org_id, []).append((finished - started).total_seconds())
        family = HistogramMetricFamily(
            "sozu_batch_duration_seconds",
            "Time from a batch's start to its end, for finished batches",
            labels=["organization"],
        )
        for org_id, slug in orgs.items():
            values = durations[org_id]
            buckets = [
                (floatToGoString(bound), sum(1 for v in values if v <= bound))
                for bound in BATCH_DURATION_BUCKETS
            ]
            buckets.append(("+Inf", len(values)))
            family.add_metric([slug], buckets, sum(values))
        return family


@dataclass(frozen=True)
class _Balance:
    usdc: Decimal
    xlm: Decimal
    read_at: float  # unix time


class WalletBalanceCollector(Collector):
    """Each organization wallet's USDC and XLM balance, read from Horizon at most every `ttl`.

    A scrape never fails because of Horizon: the last balance read is kept, and
    `sozu_org_wallet_balance_read_timestamp_seconds` tells how old it is. After a failed read
    Horizon is not asked again for this scrape nor, for that wallet, until `ttl` has passed.
    """

    def __init__(
        self,
        *,
        ttl: float = 30.0,
        timeout: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._balances: dict[str, _Balance] = {}
        self._asked_at: dict[str, float] = {}
        self._client: HorizonClient | None = None
        self._wallets: list[tuple[str, str]] = []
        self._wallets_at = float("-inf")

    def reset(self) -> None:
        with self._lock:
            self._balances.clear()
            self._asked_at.clear()
            self._client = None
            self._wallets_at = float("-inf")

    def _wallet_list(self) -> list[tuple[str, str]]:
        """The organizations' wallets, read from the database as seldom as the counts are."""
        with self._lock:
            if self._clock() - self._wallets_at >= float(settings.SOZU_METRICS_CACHE_SECONDS):
                self._wallets = list(Organization.objects.values_list("slug", "wallet_public_key"))
                self._wallets_at = self._clock()
            return self._wallets

    def collect(self) -> Iterator[Metric]:
        try:
            wallets = self._wallet_list()
        except DatabaseError:
            return
        self._refresh([key for _, key in wallets])
        usdc = GaugeMetricFamily(
            "sozu_org_wallet_usdc_balance",
            "USDC balance of the organization wallet (last read from Horizon)",
            labels=["organization"],
        )
        xlm = GaugeMetricFamily(
            "sozu_org_wallet_xlm_balance",
            "XLM balance of the organization wallet (last read from Horizon)",
            labels=["organization"],
        )
        read_at = GaugeMetricFamily(
            "sozu_org_wallet_balance_read_timestamp_seconds",
            "When the wallet balance was last read from Horizon (unix time)",
            labels=["organization"],
        )
        for slug, key in wallets:
            balance = self._balances.get(key)
            if balance is None:
                continue  # never read: no sample rather than a false zero
            # Decimal, never float: prometheus_client renders the number when it writes the page.
            usdc.add_metric([slug], balance.usdc)  # type: ignore[arg-type]
            xlm.add_metric([slug], balance.xlm)  # type: ignore[arg-type]
            read_at.add_metric([slug], balance.read_at)
        yield usdc
        yield xlm
        yield read_at

    def _horizon(self) -> HorizonClient:
        if self._client is None or self._client.url != settings.HORIZON_URL.rstrip("/"):
            self._client = HorizonClient(
                settings.HORIZON_URL, settings.NETWORK_PASSPHRASE, timeout=self.timeout, pool_size=2
            )
        return self._client

    def _refresh(self, keys: list[str]) -> None:
        with self._lock:
            now = self._clock()
            stale = [k for k in keys if now - self._asked_at.get(k, float("-inf")) >= self.ttl]
            for key in stale:
                self._asked_at[key] = now
            for key in stale:
                try:
                    asset = network.usdc_asset()
                    info = self._horizon().account(key)
                except Exception as exc:  # Horizon down or slow: keep what we had
                    log.warning(
                        "metrics: wallet balances not read from Horizon",
                        extra={"error": type(exc).__name__},
                    )
                    return
                line = info.trustline(asset.code, asset.issuer or "") if info else None
                self._balances[key] = _Balance(
                    usdc=line.balance if line else Decimal(0),
                    xlm=info.native_balance if info else Decimal(0),
                    read_at=time.time(),
                )


def sozu_registry() -> CollectorRegistry:
    """A registry of the collectors above (prometheus_client's default one holds the rest)."""
    registry = CollectorRegistry()
    registry.register(DATABASE_COUNTS)
    registry.register(WALLET_BALANCES)
    return registry


DATABASE_COUNTS = DatabaseCollector()
WALLET_BALANCES = WalletBalanceCollector()
