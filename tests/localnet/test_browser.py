"""A wallet page on another origin, in a real Chromium, uses the JavaScript SDK against the network.

The page (tests/localnet/browser/) and the SDK's browser bundle (from npm, at test time) are
served by a tiny static server on its own port, so every call to the network is cross-origin:
the SDK's X-Client-Name/X-Client-Version headers make Chromium preflight, and any missing CORS
header, wrong content type or SSE framing shows up as a failure or a console error here.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder

from tests.localnet.conftest import NewAccount
from tests.localnet.js_deps import BROWSER_BUNDLE, installed_sdk
from tests.localnet_process import LocalNet

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it, `playwright install` can't
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_DIR = Path(__file__).with_name("browser")
TIMEOUT_MS = 15_000  # every Playwright wait; the page bounds its own awaits too

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing (apt-get install chromium; CI installs it)",
    ),
    pytest.mark.skipif(
        shutil.which("npm") is None, reason="npm is needed to fetch the SDK's browser bundle"
    ),
]


class StaticSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, tuple[Path, str]]) -> None:
        self.files = files
        super().__init__(("127.0.0.1", 0), StaticFile)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class StaticFile(BaseHTTPRequestHandler):
    server: StaticSite

    def do_GET(self) -> None:
        found = self.server.files.get(self.path.split("?", 1)[0])
        if found is None:
            self.send_error(404)
            return
        path, content_type = found
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wallet_site() -> Iterator[StaticSite]:
    """The wallet page and the SDK bundle on 127.0.0.1:<free port>, an origin of their own."""
    installed_sdk()
    js = "text/javascript; charset=utf-8"
    site = StaticSite(
        {
            "/": (PAGE_DIR / "index.html", "text/html; charset=utf-8"),
            "/wallet.js": (PAGE_DIR / "wallet.js", js),
            "/stellar-sdk.min.js": (BROWSER_BUNDLE, js),
        }
    )
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield site
    site.shutdown()
    site.server_close()
    thread.join(5)


def pay_from_python(net: LocalNet, payer: Keypair, destination: str, amount: str) -> str:
    """A payment made by another client, which the page's open stream has to deliver."""
    usdc = Asset(net.usdc_code, net.usdc_issuer)
    with Server(net.url) as server:
        tx = (
            TransactionBuilder(server.load_account(payer.public_key), net.passphrase, 100)
            .append_payment_op(destination, usdc, amount)
            .set_timeout(60)
            .build()
        )
        tx.sign(payer)
        return str(server.submit_transaction(tx)["hash"])


def test_a_browser_wallet_on_another_origin_pays_streams_and_sees_failures(
    localnet: LocalNet, new_account: NewAccount, wallet_site: StaticSite, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    payer = new_account(xlm="100", usdc="100")
    destination = new_account(xlm="10", usdc="1")
    console: list[tuple[str, str]] = []
    page_errors: list[str] = []
    to_network: list[dict[str, Any]] = []
    from_network: list[dict[str, Any]] = []
    preflights: list[dict[str, Any]] = []

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on(
                "request",
                lambda r: (
                    r.url.startswith(localnet.url)
                    and to_network.append({"method": r.method, "url": r.url, "headers": r.headers})
                ),
            )
            page.on(
                "response",
                lambda r: (
                    r.url.startswith(localnet.url)
                    and from_network.append(
                        {"url": r.url, "status": r.status, "headers": r.headers}
                    )
                ),
            )
            # Playwright hides CORS preflights; Chromium's DevTools protocol reports them.
            devtools = page.context.new_cdp_session(page)
            devtools.send("Network.enable")
            devtools.on(
                "Network.responseReceived",
                lambda e: (
                    e.get("type") == "Preflight"
                    and preflights.append(
                        {
                            "url": e["response"]["url"],
                            "status": e["response"]["status"],
                            "headers": {k.lower(): v for k, v in e["response"]["headers"].items()},
                        }
                    )
                ),
            )
            page.goto(wallet_site.origin + "/", wait_until="load")
            assert page.evaluate("typeof window.wallet") == "object", console
            try:
                first = page.evaluate(
                    "cfg => wallet.payAndFail(cfg)",
                    {
                        "horizonUrl": localnet.url,
                        "passphrase": localnet.passphrase,
                        "payerSecret": payer.secret,  # a throwaway test key
                        "destination": destination.public_key,
                        "usdcCode": localnet.usdc_code,
                        "usdcIssuer": localnet.usdc_issuer,
                    },
                )
                # The stream is live once its response headers arrive: "now" is fixed by then.
                with page.expect_response(
                    lambda r: (
                        "/payments" in r.url
                        and r.headers.get("content-type", "").startswith("text/event-stream")
                    )
                ):
                    page.evaluate("() => wallet.openStream()")
                live = pay_from_python(localnet, payer, destination.public_key, "2")
                page.wait_for_function("hash => wallet.received(hash)", arg=live)
                streamed = page.evaluate("() => wallet.streamSummary()")
            finally:
                page.screenshot(path=str(tmp_path / "wallet.png"))  # for debugging; not kept
                # Shown by pytest when the test fails: CORS refusals are only ever logged here.
                print("browser console:", *console, *page_errors, sep="\n")
        finally:
            browser.close()

    assert first["origin"] != localnet.url  # really another origin
    assert first["load"]["id"] == payer.public_key
    assert first["load"]["sequenceType"] == "string"
    assert first["load"]["usdc"] == "100.0000000"
    assert first["payment"]["successful"] is True
    assert first["destinationUsdc"] == "6.0000000"
    failure = first["failure"]
    assert failure is not None, "a payment of 1,000,000 USDC was accepted"
    assert failure["status"] == 400
    assert failure["resultCodes"] == {"transaction": "tx_failed", "operations": ["op_underfunded"]}
    assert failure["badResponseError"] is True, failure
    assert failure["transactionFailedError"] is True, failure

    [record] = [r for r in streamed["records"] if r["transactionHash"] == live]
    assert record == {
        "type": "payment",
        "from": payer.public_key,
        "to": destination.public_key,
        "amount": "2.0000000",
        "assetCode": localnet.usdc_code,
        "transactionHash": live,
        "hasTransactionLink": True,
    }
    assert first["payment"]["hash"] not in {r["transactionHash"] for r in streamed["records"]}
    assert streamed["errors"] == []

    # The SDK sent its client headers cross-origin; Chromium preflighted them and was let through.
    submits = [r for r in to_network if r["method"] == "POST" and "/transactions" in r["url"]]
    assert len(submits) == 2
    assert all(r["headers"].get("x-client-name") == "js-stellar-sdk" for r in submits)
    assert any(f"/accounts/{destination.public_key}" in r["url"] for r in to_network)  # SEP-29
    assert {p["url"] for p in preflights} >= {
        f"{localnet.url}/transactions",
        f"{localnet.url}/accounts/{payer.public_key}",
        f"{localnet.url}/accounts/{destination.public_key}",
    }, preflights
    for preflight in preflights:
        assert preflight["status"] in (200, 204), preflight
        assert preflight["headers"].get("access-control-allow-origin") == "*", preflight
        allowed = preflight["headers"].get("access-control-allow-headers", "").lower()
        assert {"x-client-name", "x-client-version"} <= {h.strip() for h in allowed.split(",")}
    assert from_network, "no response from the network reached the page"
    for answer in from_network:
        assert answer["headers"].get("access-control-allow-origin") == "*", answer["url"]

    assert page_errors == []
    blocked = [t for _, t in console if "cors" in t.lower() or "access-control" in t.lower()]
    assert blocked == []
    # The only console error is Chromium logging the refused (400) underfunded submission.
    errors = [t for kind, t in console if kind == "error"]
    assert all("status of 400" in t for t in errors), errors
