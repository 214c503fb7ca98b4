"""The running network: ledger state, the transaction queue and submissions waiting on it."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from stellar_sdk import xdr as X

from sozu.localnet.envelope import Envelope
from sozu.localnet.funding import FundRequest, NetworkKeys, genesis
from sozu.localnet.header import seal
from sozu.localnet.render import toid
from sozu.localnet.results import TxResult
from sozu.localnet.state import BASE_FEE, BASE_RESERVE, PROTOCOL_VERSION, LedgerState
from sozu.localnet.store import LedgerWrite, Store
from sozu.localnet.validate import check_submission

Json = dict[str, Any]
T = X.TransactionResultCode


class Status(Enum):
    PENDING = "PENDING"
    DUPLICATE = "DUPLICATE"
    TRY_AGAIN_LATER = "TRY_AGAIN_LATER"
    ERROR = "ERROR"


@dataclass
class Outcome:
    """What happened to a submission: in a ledger (record) or refused (error)."""

    record: Json | None = None
    error: TxResult | None = None


@dataclass
class Queued:
    env: Envelope
    waiters: list[asyncio.Future[Outcome]] = field(default_factory=list)


@dataclass
class Config:
    data_dir: Path
    passphrase: str = "Sozu Local Network ; 2026"  # noqa: S105 - a network name
    close_seconds: float = 1.0
    max_ops_per_ledger: int = 1000
    host: str = "127.0.0.1"
    port: int = 8000


class Network:
    def __init__(self, config: Config) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.keys = NetworkKeys.load_or_create(config.data_dir)
        self.store = Store(config.data_dir / "ledger.sqlite3")
        self.state = LedgerState()
        self.queue: dict[str, Queued] = {}  # outer hash hex -> queued tx, in arrival order
        self.by_source: dict[str, str] = {}  # source account -> hash of its queued tx
        self.fees_queued: dict[str, int] = {}  # fee source -> total fee bid of its queued txs
        self.funding: list[tuple[FundRequest, asyncio.Future[list[Outcome]]]] = []
        self.closed = asyncio.Event()  # replaced at every close; streams wait on it
        #: Event streams opened since start (their cursor resolved): tests wait on it.
        self.streams_opened = 0
        self.on_close: list[Callable[[Json], None]] = []
        self.last_surge_fee = BASE_FEE
        # Per ledger, (fee charged, fee bid) per operation of each tx: /fee_stats's sample.
        self.recent_fees: deque[list[tuple[int, int]]] = deque(maxlen=5)
        meta = self.store.meta()
        header = self.store.last_header()
        if header is None:
            self._genesis()
        else:
            if meta.get("passphrase") and meta["passphrase"] != config.passphrase:
                config.passphrase = meta["passphrase"]  # a data dir belongs to one network
            self.header = header
            self.state.accounts = self.store.load_accounts()
        self.state.ledger_seq = self.header["sequence"]

    def _genesis(self) -> None:
        now = int(time.time())
        genesis(self.state, self.keys, now)
        self.header = {
            "sequence": 1,
            "prev_hash": "0" * 64,
            "close_time": now,
            "successful_transaction_count": 0,
            "failed_transaction_count": 0,
            "operation_count": 0,
            "tx_set_operation_count": 0,
            "total_coins": sum(a.balance for a in self.state.accounts.values()),
            "fee_pool": 0,
            "base_fee": BASE_FEE,
            "base_reserve": BASE_RESERVE,
            "max_tx_set_size": self.config.max_ops_per_ledger,
            "protocol_version": PROTOCOL_VERSION,
        }
        seal(self.header, [], [])
        write = LedgerWrite(
            header=self.header,
            accounts=list(self.state.accounts.values()),
            meta={"passphrase": self.config.passphrase},
        )
        self.state.dirty.clear()
        self.store.write_ledger(write)

    # -- reading ---------------------------------------------------------------------------------

    @property
    def latest(self) -> int:
        return int(self.header["sequence"])

    def cursor_now(self) -> int:
        """A cursor just before anything the next ledger will hold."""
        return toid(self.latest + 1) - 1

    def info(self, horizon_url: str) -> Json:
        return {
            "horizon_url": horizon_url,
            "network_passphrase": self.config.passphrase,
            "usdc_code": "USDC",
            "usdc_issuer": self.keys.issuer.public_key,
            "root_account": self.keys.root.public_key,
            "friendbot_url": horizon_url + "/friendbot",
            "close_seconds": self.config.close_seconds,
            "max_ops_per_ledger": self.config.max_ops_per_ledger,
            "data_dir": str(self.config.data_dir),
        }

    # -- submitting ------------------------------------------------------------------------------

    def pending_fee(self, fee_source: str) -> int:
        return self.fees_queued.get(fee_source, 0)

    def submit(self, env: Envelope) -> tuple[Status, TxResult | None]:
        """Try to add to the queue, with core's answers (one queued tx per source account)."""
        # Like core, only the queue knows duplicates: an applied tx is just a used sequence.
        if env.hash_hex in self.queue:
            return Status.DUPLICATE, None
        replaced: Envelope | None = None
        current = self.by_source.get(env.source)
        if current is not None:
            queued = self.queue[current].env
            if env.seq < queued.seq:
                return Status.ERROR, TxResult(T.txBAD_SEQ.value, 0)
            if not env.fee_bump or env.seq != queued.seq:
                return Status.TRY_AGAIN_LATER, None
            # Core's replace-by-fee: a fee bump of the queued tx must bid 10x its fee rate.
            needed = -(-10 * queued.fee * env.op_count // queued.op_count)
            if env.fee < needed:
                return Status.ERROR, TxResult(T.txINSUFFICIENT_FEE.value, needed)
            replaced = queued
        pending = self.pending_fee(env.fee_source)
        if replaced is not None and replaced.fee_source == env.fee_source:
            pending -= replaced.fee
        err = check_submission(
            self.state,
            env,
            ledger_seq=self.latest + 1,
            close_time=int(time.time()),
            pending_fee=pending,
        )
        if err is not None:
            return Status.ERROR, err
        if replaced is not None:
            # Whoever waits on the replaced hash waits in vain, then times out, as on Horizon.
            self.drop(replaced.hash_hex)
        self.queue[env.hash_hex] = Queued(env)
        self.by_source[env.source] = env.hash_hex
        self.fees_queued[env.fee_source] = self.fees_queued.get(env.fee_source, 0) + env.fee
        return Status.PENDING, None

    def wait_for(self, tx_hash: str) -> asyncio.Future[Outcome] | None:
        """A future for the outcome of a queued transaction (None if it is not queued)."""
        q = self.queue.get(tx_hash)
        if q is None:
            return None
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        q.waiters.append(fut)
        return fut

    def drop(self, tx_hash: str) -> None:
        q = self.queue.pop(tx_hash, None)
        if q is not None:
            self.by_source.pop(q.env.source, None)
            left = self.fees_queued.pop(q.env.fee_source, 0) - q.env.fee
            if left > 0:
                self.fees_queued[q.env.fee_source] = left

    def request_funding(self, req: FundRequest) -> asyncio.Future[list[Outcome]]:
        fut: asyncio.Future[list[Outcome]] = asyncio.get_running_loop().create_future()
        self.funding.append((req, fut))
        return fut

    # -- closing ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Close a ledger every close_seconds, forever."""
        from sozu.localnet.closer import close_ledger  # closer imports this module

        loop = asyncio.get_running_loop()
        next_at = loop.time() + self.config.close_seconds
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at = max(next_at + self.config.close_seconds, loop.time())
            try:
                close_ledger(self)
            except Exception:
                # A half-applied ledger must not be served or extended: die, and let the
                # supervisor restart from the last ledger persisted.
                logging.getLogger("sozu.localnet").exception("ledger close failed")
                os._exit(70)
            event, self.closed = self.closed, asyncio.Event()
            event.set()
