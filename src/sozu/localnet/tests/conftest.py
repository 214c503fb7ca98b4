"""An in-process network (no HTTP) for unit tests of the ledger rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from stellar_sdk import Account as SdkAccount
from stellar_sdk import (
    Asset,
    FeeBumpTransactionEnvelope,
    Keypair,
    TransactionBuilder,
    TransactionEnvelope,
)

from sozu.localnet.closer import close_ledger
from sozu.localnet.envelope import Envelope, decode
from sozu.localnet.funding import FundRequest, to_stroops
from sozu.localnet.network import Config, Network, Status
from sozu.localnet.results import TxResult

AnyEnvelope = TransactionEnvelope | FeeBumpTransactionEnvelope


@dataclass
class Ledger:
    """Drive a Network directly: fund, build, submit, close."""

    net: Network
    loop: asyncio.AbstractEventLoop

    @property
    def usdc(self) -> Asset:
        return Asset("USDC", self.net.keys.issuer.public_key)

    def fund(self, xlm: str = "100", usdc: str = "0") -> Keypair:
        kp = Keypair.random()
        req = FundRequest(kp.public_key, to_stroops(xlm), to_stroops(usdc))

        async def go() -> None:
            fut = self.net.request_funding(req)
            close_ledger(self.net)
            assert all(o.record and o.record["successful"] for o in fut.result())

        self.loop.run_until_complete(go())
        return kp

    def builder(self, kp: Keypair, base_fee: int = 100) -> TransactionBuilder:
        acc = self.net.state.get(kp.public_key)
        assert acc is not None
        src = SdkAccount(kp.public_key, acc.seq_num)
        return TransactionBuilder(src, self.net.config.passphrase, base_fee).add_time_bounds(0, 0)

    def envelope(self, te: AnyEnvelope) -> Envelope:
        return decode(te.to_xdr(), self.net.config.passphrase)

    def submit(
        self, te: TransactionEnvelope | FeeBumpTransactionEnvelope
    ) -> tuple[Status, TxResult | None, Envelope]:
        env = self.envelope(te)
        status, err = self.net.submit(env)
        return status, err, env

    def include(self, te: AnyEnvelope) -> dict:
        """Submit, close, and return the stored transaction record."""
        status, err, env = self.submit(te)
        assert status is Status.PENDING, err and err.result_codes()
        close_ledger(self.net)
        found = self.net.store.tx_by_hash(env.hash_hex)
        assert found is not None
        return found[0]

    def xlm(self, kp: Keypair) -> int:
        acc = self.net.state.get(kp.public_key)
        assert acc is not None
        return acc.balance

    def seq(self, kp: Keypair) -> int:
        acc = self.net.state.get(kp.public_key)
        assert acc is not None
        return acc.seq_num


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    net = Network(Config(data_dir=tmp_path, max_ops_per_ledger=1000))
    yield Ledger(net, loop)
    net.store.close()
    asyncio.set_event_loop(None)
    loop.close()
