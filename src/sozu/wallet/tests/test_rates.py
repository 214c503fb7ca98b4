"""USDC→ARS quotes from CriptoYa and DolarApi, served here by a local fake server."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine

from sozu.wallet import rates
from sozu.wallet.models import RateQuote

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


class FakeProviders:
    """Answers /api/usdc/ars/1 (CriptoYa) and /v1/dolares/cripto (DolarApi) as configured."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str]] = {}
        self.hits: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.hits.append(self.path)
                status, body = fake.routes.get(self.path, (404, "{}"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def criptoya(self, bids: dict[str, str], *, at: dt.datetime = T0, status: int = 200) -> None:
        body = {
            name: {
                "ask": bid,
                "totalAsk": bid,
                "bid": bid,
                "totalBid": bid,
                "time": int(at.timestamp()),
            }
            for name, bid in bids.items()
        }
        # Raw JSON: numbers as written (no float round trip in the fake either).
        text = json.dumps(body)
        for bid in bids.values():
            text = text.replace(f'"{bid}"', bid)
        self.routes["/api/usdc/ars/1"] = (status, text)

    def dolarapi(self, compra: str, *, at: dt.datetime = T0, status: int = 200) -> None:
        body = (
            f'{{"moneda": "USD", "casa": "cripto", "compra": {compra}, "venta": 1500.5, '
            f'"fechaActualizacion": "{at.isoformat()}"}}'
        )
        self.routes["/v1/dolares/cripto"] = (status, body)


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeProviders]:
    providers = FakeProviders()
    settings.NETWORK_PASSPHRASE = "Test SDF Network ; September 2015"  # not the local network
    settings.SOZU_CRIPTOYA_URL = providers.url
    settings.SOZU_DOLARAPI_URL = providers.url
    yield providers
    providers.server.shutdown()


def test_criptoya_median_bid_is_shown_and_stored(fake: FakeProviders) -> None:
    fake.criptoya({"a": "1480.25", "b": "1490.10", "c": "9999.99"})  # one odd exchange
    with time_machine.travel(T0 + dt.timedelta(minutes=2), tick=False):
        quote = rates.rate_current()
    assert quote is not None
    assert quote.rate == Decimal("1490.10") and quote.source == "CriptoYa"
    assert quote.quoted_at == T0
    assert rates.usdc_in_ars(Decimal("12.5"), quote) == Decimal("18626.25")
    assert RateQuote.objects.get().rate == Decimal("1490.10")


def test_dolarapi_is_the_fallback_when_criptoya_fails(fake: FakeProviders) -> None:
    fake.criptoya({}, status=503)
    fake.dolarapi("1475.5")
    with time_machine.travel(T0, tick=False):
        quote = rates.rate_current()
    assert quote is not None and quote.source == "DolarApi" and quote.rate == Decimal("1475.5")


def test_nonsense_answers_are_not_prices(fake: FakeProviders) -> None:
    fake.criptoya({"a": "-3", "b": "0"})
    fake.routes["/v1/dolares/cripto"] = (200, '{"compra": "abc"}')
    with time_machine.travel(T0, tick=False):
        assert rates.rate_current() is None
    assert not RateQuote.objects.exists()


def test_a_quote_is_reused_then_refreshed_and_hidden_when_stale(
    fake: FakeProviders, settings: Any
) -> None:
    fake.criptoya({"a": "1480"})
    with time_machine.travel(T0, tick=False):
        assert rates.rate_current() is not None
    hits = len(fake.hits)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        assert rates.rate_current() is not None  # the stored quote, no new request
    assert len(fake.hits) == hits
    # Every provider goes down: the stored quote is shown until it is 30 minutes old.
    fake.routes.clear()
    with time_machine.travel(T0 + dt.timedelta(minutes=29), tick=False):
        quote = rates.rate_current()
        assert quote is not None and quote.rate == Decimal("1480")
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        assert rates.rate_current() is None


def test_an_old_price_from_the_provider_is_stale_at_once(fake: FakeProviders) -> None:
    fake.criptoya({"a": "1480"}, at=T0 - dt.timedelta(hours=2))
    fake.routes["/v1/dolares/cripto"] = (500, "{}")
    with time_machine.travel(T0, tick=False):
        assert rates.rate_current() is None


def test_the_local_network_uses_the_manual_rate(settings: Any) -> None:
    settings.NETWORK_PASSPHRASE = "Sozu Local Network ; 2026"
    settings.SOZU_MANUAL_USDC_ARS = "1450"
    settings.SOZU_CRIPTOYA_URL = "http://127.0.0.1:9"  # never asked
    quote = rates.rate_current()
    assert quote is not None and quote.source == "manual" and quote.rate == Decimal("1450")
