"""USDC→ARS quotes for showing a balance in pesos ("dólar cripto compra"), never for paying.

Providers answer the price at which one USDC is bought for pesos (the bid): CriptoYa first
(the median of the exchanges' bid with fees, so one odd exchange cannot move it), DolarApi's
"cripto" quote as the fallback, and on the local network a manual rate from the settings.
The last quote is kept in the database so every process shows the same one; a quote older than
`SOZU_RATE_STALE_MINUTES` (30) is not shown at all: the wallet then shows USDC only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import statistics
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from sozu.stellar.transactions import is_local_network
from sozu.wallet.models import RateQuote

log = logging.getLogger(__name__)

#: Sanity bounds: a quote outside them is a provider's mistake, not a price.
MIN_RATE = Decimal("1")
MAX_RATE = Decimal("10000000")


class RateUnavailable(Exception):
    """No usable quote: the network, an HTTP status, or an answer that makes no sense."""


@dataclass(frozen=True)
class Quote:
    rate: Decimal
    source: str
    quoted_at: dt.datetime
    fetched_at: dt.datetime

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - min(self.quoted_at, self.fetched_at)

    def is_stale(self, now: dt.datetime) -> bool:
        return self.age(now) > dt.timedelta(minutes=settings.SOZU_RATE_STALE_MINUTES)


class RateProvider:
    """Contract: `fetch(now)` returns a Quote or raises RateUnavailable; it never guesses."""

    name = "provider"

    def fetch(self, now: dt.datetime) -> Quote:  # pragma: no cover - interface
        raise NotImplementedError


def _get_json(url: str) -> Any:
    try:
        response = requests.get(url, timeout=settings.SOZU_RATE_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise RateUnavailable(f"{url}: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise RateUnavailable(f"{url}: HTTP {response.status_code}")
    try:
        return json.loads(response.text, parse_float=Decimal, parse_int=Decimal)
    except ValueError as exc:
        raise RateUnavailable(f"{url}: not JSON") from exc


def _rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise RateUnavailable(f"not a number: {value!r}") from exc
    if not rate.is_finite() or not MIN_RATE <= rate <= MAX_RATE:
        raise RateUnavailable(f"out of range: {value!r}")
    return rate.quantize(Decimal("0.0000001"))


class CriptoYa(RateProvider):
    """GET {base}/api/usdc/ars/1: {exchange: {"totalBid": …, "time": unix seconds, …}, …}."""

    name = "CriptoYa"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def fetch(self, now: dt.datetime) -> Quote:
        data = _get_json(f"{self.base_url}/api/usdc/ars/1")
        if not isinstance(data, dict):
            raise RateUnavailable("CriptoYa: unexpected shape")
        bids, times = [], []
        for quote in data.values():
            if not isinstance(quote, dict) or "totalBid" not in quote:
                continue
            try:
                bids.append(_rate(quote["totalBid"]))
            except RateUnavailable:
                continue
            if "time" in quote:
                try:
                    times.append(dt.datetime.fromtimestamp(int(quote["time"]), tz=dt.UTC))
                except (ValueError, TypeError, OverflowError):
                    pass
        if not bids:
            raise RateUnavailable("CriptoYa: no exchange quoted a bid")
        rate = Decimal(statistics.median(bids)).quantize(Decimal("0.0000001"))
        quoted = min(max(times), now) if times else now
        return Quote(rate, self.name, quoted, now)


class DolarApi(RateProvider):
    """GET {base}/v1/dolares/cripto: {"compra": …, "venta": …, "fechaActualizacion": ISO 8601}."""

    name = "DolarApi"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def fetch(self, now: dt.datetime) -> Quote:
        data = _get_json(f"{self.base_url}/v1/dolares/cripto")
        if not isinstance(data, dict) or "compra" not in data:
            raise RateUnavailable("DolarApi: no 'compra'")
        rate = _rate(data["compra"])
        quoted = now
        try:
            quoted = dt.datetime.fromisoformat(
                str(data["fechaActualizacion"]).replace("Z", "+00:00")
            )
            if quoted.tzinfo is None:
                quoted = quoted.replace(tzinfo=dt.UTC)
        except (KeyError, ValueError):
            pass
        return Quote(rate, self.name, min(quoted, now), now)


class ManualRate(RateProvider):
    """A fixed rate from the settings (the local network has no market)."""

    name = "manual"

    def __init__(self, rate: str) -> None:
        self.rate = rate

    def fetch(self, now: dt.datetime) -> Quote:
        return Quote(_rate(self.rate), self.name, now, now)


def providers() -> list[RateProvider]:
    """In order of preference. A manual rate (SOZU_MANUAL_USDC_ARS) is used only on the local
    network, where it is the only source; on testnet or pubnet the market providers are used."""
    if is_local_network(settings.NETWORK_PASSPHRASE) and settings.SOZU_MANUAL_USDC_ARS:
        return [ManualRate(settings.SOZU_MANUAL_USDC_ARS)]
    found: list[RateProvider] = []
    if settings.SOZU_CRIPTOYA_URL:
        found.append(CriptoYa(settings.SOZU_CRIPTOYA_URL))
    if settings.SOZU_DOLARAPI_URL:
        found.append(DolarApi(settings.SOZU_DOLARAPI_URL))
    return found


def _from_row(row: RateQuote) -> Quote:
    return Quote(row.rate, row.source, row.quoted_at, row.fetched_at)


def rate_refresh(*, now: dt.datetime | None = None) -> Quote | None:
    """Ask the providers in order; store and return the first good quote (None if none)."""
    now = now or timezone.now()
    for provider in providers():
        try:
            quote = provider.fetch(now)
        except RateUnavailable as exc:
            log.warning("rate provider failed", extra={"provider": provider.name, "why": str(exc)})
            continue
        RateQuote.objects.create(
            source=quote.source, rate=quote.rate, quoted_at=quote.quoted_at, fetched_at=now
        )
        return quote
    return None


def rate_current(*, now: dt.datetime | None = None) -> Quote | None:
    """The quote to show now: the stored one if fresh enough, else a new one; None if there is
    no quote younger than the stale limit (the wallet then shows USDC only)."""
    now = now or timezone.now()
    row = RateQuote.objects.first()
    last = _from_row(row) if row is not None else None
    refresh_after = dt.timedelta(seconds=settings.SOZU_RATE_REFRESH_SECONDS)
    if last is None or now - last.fetched_at >= refresh_after:
        last = rate_refresh(now=now) or last
    if last is None or last.is_stale(now):
        return None
    return last


def usdc_in_ars(amount: Decimal, quote: Quote) -> Decimal:
    """Pesos for an amount of USDC at the quote, rounded to cents (display only)."""
    return (amount * quote.rate).quantize(Decimal("0.01"))
