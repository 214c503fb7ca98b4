"""Fixtures for the compliance suite: a client of each kind and freshly funded accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import pytest_asyncio
from stellar_sdk import Keypair, Server, ServerAsync
from stellar_sdk.client.aiohttp_client import AiohttpClient
from stellar_sdk.exceptions import NotFoundError

from tests.localnet.helpers import wait_for
from tests.localnet_process import LocalNet

NewAccount = Callable[..., Keypair]


@pytest.fixture
def server(localnet: LocalNet) -> Iterator[Server]:
    """The stock synchronous client (requests), pointed at the shared network."""
    with Server(localnet.url) as client:
        yield client


@pytest_asyncio.fixture
async def async_server(localnet: LocalNet) -> AsyncIterator[ServerAsync]:
    """The stock asynchronous client (aiohttp), pointed at the shared network."""
    async with ServerAsync(localnet.url, AiohttpClient()) as client:
        yield client


def account_maker(net: LocalNet) -> NewAccount:
    def new_account(xlm: str = "100", usdc: str = "0") -> Keypair:
        """A fresh random account, created and funded through the network's funding endpoint."""
        keypair = Keypair.random()
        net.fund(keypair.public_key, xlm=xlm, usdc=usdc)
        with Server(net.url) as client:

            def visible() -> bool:
                try:
                    client.accounts().account_id(keypair.public_key).call()
                except NotFoundError:
                    return False
                return True

            wait_for(visible)
        return keypair

    return new_account


@pytest.fixture
def new_account(localnet: LocalNet) -> NewAccount:
    return account_maker(localnet)
