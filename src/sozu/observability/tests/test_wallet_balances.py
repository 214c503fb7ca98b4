"""The operator sees each organization's wallet balance, read from the network with a cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from tests.localnet_process import LocalNet

from sozu.observability.collectors import WALLET_BALANCES
from sozu.observability.tests.helpers import sample, scrape
from sozu.stellar import network
from sozu.webhooks.tests.receiver import unreachable_url


@pytest.fixture(autouse=True)
def fresh_balances() -> Iterator[None]:
    WALLET_BALANCES.reset()
    yield
    WALLET_BALANCES.reset()


@pytest.mark.django_db
def test_the_wallet_balance_is_read_from_the_network_and_cached(
    client: Client, make_org: Callable[..., Any], net_settings: LocalNet
) -> None:
    org = make_org(slug="ong-litoral", usdc="1500.25", channels=0)

    first = scrape(client)
    net_settings.fund(org.wallet_public_key, xlm="0", usdc="100")
    cached = scrape(client)  # within 30 s: Horizon is not asked again

    assert sample(first, "sozu_org_wallet_usdc_balance", organization="ong-litoral") == 1500.25
    xlm = sample(first, "sozu_org_wallet_xlm_balance", organization="ong-litoral")
    assert xlm is not None and xlm > 0  # it pays the network fees
    assert sample(cached, "sozu_org_wallet_usdc_balance", organization="ong-litoral") == 1500.25

    WALLET_BALANCES.ttl = 0
    try:
        fresh = scrape(client)
    finally:
        WALLET_BALANCES.ttl = 30.0

    assert sample(fresh, "sozu_org_wallet_usdc_balance", organization="ong-litoral") == 1600.25


@pytest.mark.django_db
def test_the_last_balance_is_kept_when_horizon_goes_down(
    client: Client,
    make_org: Callable[..., Any],
    net_settings: LocalNet,
    settings: SettingsWrapper,
) -> None:
    make_org(slug="ong-cuyo", usdc="320", channels=0)
    before = scrape(client)
    settings.HORIZON_URL = unreachable_url().removesuffix("/hooks")
    network.reset_caches()
    WALLET_BALANCES.ttl = 0
    try:
        during = scrape(client)
    finally:
        WALLET_BALANCES.ttl = 30.0

    assert sample(before, "sozu_org_wallet_usdc_balance", organization="ong-cuyo") == 320
    assert sample(during, "sozu_org_wallet_usdc_balance", organization="ong-cuyo") == 320
    read_before = sample(
        before, "sozu_org_wallet_balance_read_timestamp_seconds", organization="ong-cuyo"
    )
    read_during = sample(
        during, "sozu_org_wallet_balance_read_timestamp_seconds", organization="ong-cuyo"
    )
    assert read_before == read_during  # the age of the number tells the operator it is stale
