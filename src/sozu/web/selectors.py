"""Reads for the dashboard's pages (Inicio, Billetera): database figures and network balances.

Database reads run a fixed number of queries whatever the number of rows. Balances come from
the network through sozu.stellar only; when it does not answer, the figure is None and the page
says so instead of failing.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sozu.disbursements.models import Batch, ChannelAccount, Payout
from sozu.disbursements.services.checks import reserved_amount
from sozu.errors import message_for
from sozu.orgs.models import Organization
from sozu.stellar import network
from sozu.stellar.horizon import AccountPayment

#: A channel account below this many XLM cannot pay fees for long: the Inicio page warns.
CHANNEL_LOW_XLM = Decimal("2")
CHART_DAYS = 90
RUNNING_STATUSES = (Batch.Status.EXECUTING, Batch.Status.PAUSED)
#: How many scheduled batches the Inicio page looks ahead when it checks the wallet covers them.
SCHEDULED_BATCHES = 50


#: Why a batch is paused, in words for staff (the engine stores only the code).
PAUSE_REASONS = {
    "org_underfunded": _(
        "The organization's wallet does not have enough USDC for the remaining lines: fund "
        "it and resume the batch."
    ),
    "paused_by_user": _("Someone on the team paused it."),
    "cancelling": _("It is being cancelled."),
}


def pause_reason(code: str) -> str:
    """The reason a batch is paused, readable without the figures of the moment."""
    if not code:
        return ""
    if code in PAUSE_REASONS:
        return str(PAUSE_REASONS[code])
    text = message_for(code)
    if "%(" in text or text == code:
        return str(_("Paused by the payment engine (%(code)s).") % {"code": code})
    return text


@dataclass(frozen=True)
class AccountBalances:
    public_key: str
    exists: bool
    xlm: Decimal | None
    usdc: Decimal | None


@dataclass(frozen=True)
class RunningBatch:
    batch: Batch
    paid: int
    failed: int
    in_flight: int
    lines: int

    @property
    def done_percent(self) -> int:
        return int(100 * (self.paid + self.failed) / self.lines) if self.lines else 0


@dataclass(frozen=True)
class ScheduledShortfall:
    """A scheduled batch that the wallet cannot pay when its turn comes."""

    batch: Batch
    #: What must leave the wallet up to this batch: payouts in flight, the batches scheduled
    #: before it and this one.
    needed: Decimal
    #: The wallet's USDC.
    usdc: Decimal
    #: Scheduled batches after this one (also short, since they come later).
    later: int

    @property
    def shortfall(self) -> Decimal:
        return self.needed - self.usdc


def scheduled_shortfall(
    organization: Organization, *, usdc: Decimal, reserved: Decimal
) -> ScheduledShortfall | None:
    """The first scheduled batch not yet executed that `usdc` (less `reserved`) cannot cover.

    Batches are taken in the order the worker executes them (date, then id); each needs its own
    total plus the totals of the ones before it. None when every scheduled batch is covered.
    """
    scheduled = list(
        Batch.objects.filter(
            organization=organization,
            status=Batch.Status.VALIDATED,
            submitted_at__isnull=False,
            scheduled_for__isnull=False,
        ).order_by("scheduled_for", "pk")[:SCHEDULED_BATCHES]
    )
    needed = reserved
    for i, batch in enumerate(scheduled):
        needed += batch.total_amount
        if needed > usdc:
            return ScheduledShortfall(batch, needed, usdc, len(scheduled) - i - 1)
    return None


@dataclass
class HomeSummary:
    wallet: AccountBalances | None
    network_error: str
    in_flight: Decimal
    paid_week: Decimal
    paid_month: Decimal
    failed_30d: int
    settled_30d: int
    running: list[RunningBatch]
    #: (batch, why it is paused, in the user's language)
    paused: list[tuple[Batch, str]]
    low_channels: list[AccountBalances]
    chart: dict[str, Any] = field(default_factory=dict)
    #: The first scheduled batch the wallet cannot pay (None: all covered, or balance unknown).
    shortfall: ScheduledShortfall | None = None

    @property
    def failure_rate(self) -> Decimal | None:
        if not self.settled_30d:
            return None
        return Decimal(self.failed_30d) / Decimal(self.settled_30d)


def account_balances(public_key: str) -> AccountBalances:
    """XLM and USDC of one account, read from the network (raises on network failure)."""
    info = network.client().account(public_key)
    if info is None:
        return AccountBalances(public_key, False, None, None)
    asset = network.usdc_asset()
    line = info.trustline(asset.code, asset.issuer or "")
    return AccountBalances(
        public_key, True, info.native_balance, line.balance if line is not None else None
    )


def balances_of(public_keys: list[str]) -> list[AccountBalances]:
    """Balances of several accounts, asked in parallel (one Horizon request each), in order."""
    if len(public_keys) <= 1:
        return [account_balances(k) for k in public_keys]
    with ThreadPoolExecutor(max_workers=min(8, len(public_keys))) as pool:
        return list(pool.map(account_balances, public_keys))


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


#: How long the totals of the days before today are reused. Those days are final: a payout's
#: paid_at is the moment it settled (never a past time) and a paid payout stays paid.
PAST_DAYS_CACHE_SECONDS = 3600


def _paid_between(
    organization: Organization, *, first: dt.date, last: dt.date, tz: dt.tzinfo
) -> dict[dt.date, Decimal]:
    """USDC paid per local day from `first` to `last` (included); days without any left out."""
    rows = (
        Payout.objects.filter(
            organization=organization,
            status=Payout.Status.PAID,
            paid_at__gte=_local_midnight(first, tz),
            paid_at__lt=_local_midnight(last + dt.timedelta(days=1), tz),
        )
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {r["day"]: Decimal(r["total"] or 0) for r in rows}


def paid_by_day(
    organization: Organization, *, today: dt.date, tz: dt.tzinfo, days: int = CHART_DAYS
) -> dict[dt.date, Decimal]:
    """USDC paid per local day over the last `days` days (today included, zeros left out).

    The days before today are read once and cached for a few minutes: a page load reads only
    today's payouts, whatever the organization's history.
    """
    first = today - dt.timedelta(days=days - 1)
    key = f"home:paid-days:{organization.pk}:{first.isoformat()}:{today.isoformat()}:{tz}"
    past: dict[dt.date, Decimal] | None = cache.get(key)
    if past is None:
        past = _paid_between(organization, first=first, last=today - dt.timedelta(days=1), tz=tz)
        cache.set(key, past, PAST_DAYS_CACHE_SECONDS)
    # Today is one bucket: a plain sum over the (organization, status, paid_at) index, no
    # per-row conversion to a local date.
    today_total = Payout.objects.filter(
        organization=organization,
        status=Payout.Status.PAID,
        paid_at__gte=_local_midnight(today, tz),
        paid_at__lt=_local_midnight(today + dt.timedelta(days=1), tz),
    ).aggregate(total=Sum("amount"))["total"]
    return {**past, today: Decimal(today_total or 0)} if today_total else dict(past)


def paid_per_day(
    totals: dict[dt.date, Decimal], *, today: dt.date, days: int = CHART_DAYS
) -> dict[str, Any]:
    """The chart's data: one label and value per day, zeros kept."""
    first = today - dt.timedelta(days=days - 1)
    labels, values = [], []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        labels.append(day.strftime("%d/%m"))
        # JSON for the chart only: two decimals as text, never a float computed here.
        values.append(str(totals.get(day, Decimal(0)).quantize(Decimal("0.01"))))
    return {"labels": labels, "values": values}


def home_summary(organization: Organization, *, now: dt.datetime | None = None) -> HomeSummary:
    """Everything the Inicio page shows, for one organization."""
    now = now or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(now, tz).date()
    week_start = today - dt.timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    since_30d = now - dt.timedelta(days=30)
    # The week and the month are inside the chart's 90 days: the same per-day totals.
    by_day = paid_by_day(organization, today=today, tz=tz)
    settled = Payout.objects.filter(organization=organization, updated_at__gte=since_30d).aggregate(
        failed=Count("id", filter=Q(status=Payout.Status.FAILED)),
        settled=Count("id", filter=Q(status__in=[Payout.Status.FAILED, Payout.Status.PAID])),
    )
    running_batches = list(
        Batch.objects.filter(organization=organization, status__in=RUNNING_STATUSES).order_by(
            "-created_at"
        )[:20]
    )
    counts: dict[int, dict[str, int]] = {b.pk: {} for b in running_batches}
    for row in (
        Payout.objects.filter(batch__in=running_batches)
        .values("batch_id", "status")
        .annotate(n=Count("id"))
    ):
        counts[row["batch_id"]][row["status"]] = row["n"]
    running = [
        RunningBatch(
            batch=b,
            paid=counts[b.pk].get(Payout.Status.PAID, 0),
            failed=counts[b.pk].get(Payout.Status.FAILED, 0),
            in_flight=counts[b.pk].get(Payout.Status.IN_FLIGHT, 0),
            lines=b.line_count,
        )
        for b in running_batches
    ]
    wallet: AccountBalances | None = None
    low_channels: list[AccountBalances] = []
    network_error = ""
    channel_keys = list(
        ChannelAccount.objects.filter(organization=organization, disabled=False)
        .order_by("pk")
        .values_list("public_key", flat=True)
    )
    try:
        wallet, *channels = balances_of([organization.wallet_public_key, *channel_keys])
        low_channels = [c for c in channels if c.xlm is None or c.xlm < CHANNEL_LOW_XLM]
    except Exception as exc:  # the network is down or unreachable: the page still shows
        network_error = type(exc).__name__
    in_flight = reserved_amount(organization)
    shortfall = None
    if wallet is not None:  # balance known (an account without USDC has none to spend)
        shortfall = scheduled_shortfall(
            organization, usdc=wallet.usdc or Decimal(0), reserved=in_flight
        )
    return HomeSummary(
        wallet=wallet,
        network_error=network_error,
        in_flight=in_flight,
        paid_week=sum((v for d, v in by_day.items() if d >= week_start), Decimal(0)),
        paid_month=sum((v for d, v in by_day.items() if d >= month_start), Decimal(0)),
        failed_30d=settled["failed"],
        settled_30d=settled["settled"],
        running=running,
        paused=[
            (r.batch, pause_reason(r.batch.pause_code))
            for r in running
            if r.batch.status == Batch.Status.PAUSED
        ],
        low_channels=low_channels,
        chart=paid_per_day(by_day, today=today),
        shortfall=shortfall,
    )


@dataclass(frozen=True)
class WalletPage:
    wallet: AccountBalances | None
    channels: list[AccountBalances]
    payments: list[AccountPayment]
    network_error: str


def wallet_page(organization: Organization) -> WalletPage:
    """The organization's wallet and channels with their balances, and recent payments."""
    keys = list(
        ChannelAccount.objects.filter(organization=organization, disabled=False)
        .order_by("pk")
        .values_list("public_key", flat=True)
    )
    try:
        wallet, *channels = balances_of([organization.wallet_public_key, *keys])
        payments = network.client().recent_payments(organization.wallet_public_key, limit=15)
    except Exception as exc:  # shown as "the network did not answer"
        return WalletPage(
            None, [AccountBalances(k, False, None, None) for k in keys], [], type(exc).__name__
        )
    return WalletPage(wallet, channels, payments, "")
