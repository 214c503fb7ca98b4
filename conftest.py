"""Fixtures shared by every test: a real local network process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from stellar_sdk import Keypair
from tests.localnet_process import LocalNet, free_port

#: `SOZU_TEST_CLOCK_SHIFT_DAYS=400 pytest` runs the suite with this process's clock that many
#: days ahead (time-machine, ticking): a test that hard-codes today's date instead of freezing
#: or injecting the clock passes today and fails under the shift (.ci/run does this).
CLOCK_SHIFT_DAYS = int(os.environ.get("SOZU_TEST_CLOCK_SHIFT_DAYS") or 0)


def pytest_configure(config: pytest.Config) -> None:
    if CLOCK_SHIFT_DAYS:
        shifted = datetime.now(UTC) + timedelta(days=CLOCK_SHIFT_DAYS)
        traveller = time_machine.travel(shifted, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not CLOCK_SHIFT_DAYS:
        return
    # A `sozu worker` or `sozu start` subprocess reads the real clock while this process writes
    # times from the shifted one: what one calls due, the other calls future.
    skip = pytest.mark.skip(reason="its subprocess does not share the shifted clock")
    for item in items:
        if "real_clock" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str | None:
    if CLOCK_SHIFT_DAYS:
        return f"clock shifted {CLOCK_SHIFT_DAYS} days ahead: {datetime.now(UTC).isoformat()}"
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sozu reliability (tests/reliability, -m slow)")
    group.addoption(
        "--fault-gets",
        action="store_true",
        help="also inject 429/503 into Horizon reads (GET /, accounts, lookups, fee stats)",
    )
    group.addoption(
        "--reliability-lines",
        type=int,
        default=None,
        metavar="N",
        help="lines per reliability batch (default 1000; fewer for a quick run)",
    )


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Sign-in rate limits, used TOTP codes and cached figures live in the cache (files under
    var/cache): each test starts with an empty one, whatever an earlier test or run left there
    (a run under the shifted clock writes entries that would outlive the next run)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the site's language (Spanish), whatever an earlier request or test
    activated in this thread (a request in English must not leak into the next test)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNet]:
    """One local network for the whole session (fast ledgers: 0.2 s)."""
    data: Path = tmp_path_factory.mktemp("localnet")
    net = LocalNet(data_dir=data, port=free_port()).start()
    yield net
    net.stop()


@pytest.fixture
def fresh_localnet(tmp_path: Path) -> Iterator[LocalNet]:
    """A local network of its own, for tests that restart it or inject faults."""
    net = LocalNet(data_dir=tmp_path / "net", port=free_port())
    net.data_dir.mkdir()
    yield net
    net.stop()


@pytest.fixture
def net_settings(localnet: LocalNet, settings: Any) -> Iterator[LocalNet]:
    """Django settings pointed at the session's local network (what an operator would set)."""
    yield from use_network(localnet, settings)


@pytest.fixture
def worker(net_settings: LocalNet) -> Iterator[Any]:
    """`sozu worker` in a thread beside the live site (browser tests): it pays what is queued;
    stopped after the test."""
    import threading

    from django.db import connection

    from sozu.disbursements.worker import Worker

    w = Worker("browser-test", threads=2, poll_seconds=0.1)

    def run() -> None:
        try:
            w.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield w
    w.stop_event.set()
    thread.join(timeout=60)


@pytest.fixture
def own_net_settings(fresh_localnet: LocalNet, settings: Any) -> Iterator[LocalNet]:
    """A started network of the test's own, in the settings: its faults touch no other test."""
    yield from use_network(fresh_localnet.start(), settings)


def use_network(net: LocalNet, settings: Any) -> Iterator[LocalNet]:
    from sozu.stellar import network

    settings.HORIZON_URL = net.url
    settings.NETWORK_PASSPHRASE = net.passphrase
    settings.USDC_ISSUER = net.usdc_issuer
    settings.SOZU_MASTER_KEY = "test-master-key"
    network.reset_caches()
    yield net
    network.reset_caches()


@pytest.fixture
def make_org(net_settings: LocalNet) -> Callable[..., Any]:
    """Organizations with a funded wallet, a USDC trustline and channel accounts."""
    from sozu.orgs.services import organization_create

    def make(slug: str | None = None, usdc: str = "10000", channels: int = 3, **limits: Any) -> Any:
        org = organization_create(
            slug=slug or f"org-{uuid.uuid4().hex[:8]}",
            name="Asociación Civil de Prueba",
            actor="test",
            fund_usdc=Decimal(usdc),
            channels=channels,
        )
        for field, value in limits.items():
            setattr(org, field, value)
        if limits:
            org.save()
        return org

    return make


@pytest.fixture
def make_recipient(localnet: LocalNet) -> Callable[..., str]:
    """A new account on the local network with a USDC trustline (ready to be paid)."""

    def make(*, trustline: bool = True) -> str:
        kp = Keypair.random()
        localnet.fund(kp.public_key, xlm="10", usdc="1" if trustline else "0")
        return str(kp.public_key)

    return make
