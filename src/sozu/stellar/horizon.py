"""The one client through which Sozu talks to Horizon (the local network, testnet or pubnet)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stellar_sdk import Server, xdr
from stellar_sdk.client.requests_client import RequestsClient
from stellar_sdk.exceptions import (
    BadRequestError,
    BadResponseError,
    BaseHorizonError,
    ConnectionError,
    NotFoundError,
    raise_request_exception,
)

from sozu.stellar import metrics
from sozu.stellar.results import Verdict, classify_op_code, classify_tx_code

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trustline:
    balance: Decimal
    limit: Decimal
    authorized: bool


@dataclass(frozen=True)
class AccountInfo:
    account_id: str
    sequence: int
    native_balance: Decimal
    trustlines: dict[tuple[str, str], Trustline] = field(default_factory=dict)
    #: (public key, weight) of every ed25519 signer, the master key included.
    signers: tuple[tuple[str, int], ...] = ()
    #: (low, medium, high) thresholds.
    thresholds: tuple[int, int, int] = (0, 0, 0)
    #: The account's data entries, values base64 as Horizon gives them (SEP-29 reads one).
    data: dict[str, str] = field(default_factory=dict)

    @property
    def memo_required(self) -> bool:
        """SEP-29: the account refuses payments without a memo."""
        return self.data.get("config.memo_required") == "MQ=="

    def trustline(self, code: str, issuer: str) -> Trustline | None:
        return self.trustlines.get((code, issuer))


@dataclass(frozen=True)
class AccountPayment:
    """A payment to or from an account, as Horizon lists it (for display, newest first)."""

    id: str
    created_at: str
    kind: str  # payment, create_account, path_payment_strict_send, ...
    source: str
    destination: str
    amount: Decimal
    asset_code: str  # "XLM" for the native asset
    tx_hash: str
    successful: bool


@dataclass(frozen=True)
class FeeStats:
    last_ledger_base_fee: int
    p50: int
    p70: int
    p90: int
    capacity_usage: Decimal


@dataclass(frozen=True)
class TxOutcome:
    """What the network says about one envelope.

    `verdict` is PAID (included, successful), a failure class, or UNKNOWN (no answer that
    proves anything: timeouts, 5xx, connection errors, 429).
    """

    verdict: Verdict
    hash: str
    ledger: int | None = None
    included: bool = False
    tx_code: str | None = None
    op_codes: tuple[str, ...] = ()
    http_status: int | None = None
    detail: str = ""
    #: The hash the ledger knows the payment by: the fee bump's (outer) hash when the envelope
    #: was included inside a fee bump, else the envelope's own hash. Only when included.
    outer_hash: str | None = None


def _snake(name: str) -> str:
    return name.lower()


def _op_code_name(op_result: xdr.OperationResult) -> str:
    """Horizon's op code name (`op_no_trust`) from an XDR operation result."""
    outer = op_result.code.name  # opINNER, opBAD_AUTH, opNO_ACCOUNT, ...
    if outer != "opINNER":
        if outer == "opNO_ACCOUNT":
            return "op_no_source_account"
        return "op_" + _snake(outer[2:])
    tr = op_result.tr
    assert tr is not None
    for attr in ("payment_result", "create_account_result", "change_trust_result"):
        inner = getattr(tr, attr, None)
        if inner is not None:
            name: str = inner.code.name  # PAYMENT_NO_TRUST / CREATE_ACCOUNT_LOW_RESERVE
            if name.endswith("_SUCCESS"):
                return "op_success"
            prefix = {
                "payment_result": "PAYMENT_",
                "create_account_result": "CREATE_ACCOUNT_",
                "change_trust_result": "CHANGE_TRUST_",
            }[attr]
            return "op_" + _snake(name.removeprefix(prefix))
    return "op_unknown"


def decode_result_xdr(result_xdr: str) -> tuple[str, tuple[str, ...]]:
    """(transaction code, operation codes) from a TransactionResult, looking inside fee bumps."""
    result = xdr.TransactionResult.from_xdr(result_xdr).result
    code = result.code.name  # txSUCCESS, txFAILED, txFEE_BUMP_INNER_FAILED, ...
    results = result.results
    if result.inner_result_pair is not None:
        inner = result.inner_result_pair.result.result
        code = inner.code.name
        results = inner.results
    tx_code = "tx_" + _snake(code[2:])
    ops = tuple(_op_code_name(r) for r in (results or []))
    return tx_code, ops


def verdict_for(tx_code: str, op_codes: tuple[str, ...]) -> Verdict:
    if tx_code != "tx_failed":
        return classify_tx_code(tx_code)
    verdicts = {classify_op_code(c) for c in op_codes if c not in ("op_success",)}
    if Verdict.PAUSE in verdicts:
        return Verdict.PAUSE
    return Verdict.LINE_FAILED


class NetworkTrouble(Exception):
    """Horizon answered something no read can use (the caller retries later)."""


#: What a caller of a read should expect and retry later: Horizon errors, lost connections.
READ_ERRORS: tuple[type[Exception], ...] = (BaseHorizonError, ConnectionError, NetworkTrouble)


def is_transient(exc: Exception) -> bool:
    """Rate limits, server errors and lost connections: asking again later may work."""
    if isinstance(exc, ConnectionError):
        return True
    if isinstance(exc, BaseHorizonError):
        return exc.status == 429 or exc.status >= 500
    return False


class HorizonClient:
    """Synchronous Horizon access with no hidden retries: every outcome reaches the caller."""

    def __init__(
        self,
        url: str,
        passphrase: str,
        *,
        timeout: int = 35,
        pool_size: int = 32,
        read_tries: int = 3,
        read_backoff: float = 0.2,
    ):
        self.read_tries = max(1, read_tries)
        self.read_backoff = read_backoff
        self.url = url.rstrip("/")
        self.passphrase = passphrase
        self._client = RequestsClient(
            num_retries=0, pool_size=pool_size, request_timeout=timeout, post_timeout=timeout
        )
        self.server = Server(self.url, client=self._client)

    # --- reads -----------------------------------------------------------------------
    def _timed(self, call: str, fetch: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """Run a GET, retrying 429, 5xx and connection errors with backoff (reads change
        nothing, so asking again is always safe); None for a 404 (it is an answer)."""
        for attempt in range(self.read_tries):
            try:
                return self._timed_once(call, fetch)
            except (BaseHorizonError, ConnectionError) as exc:
                if not is_transient(exc) or attempt == self.read_tries - 1:
                    raise
                time.sleep(self.read_backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _timed_once(self, call: str, fetch: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        started = time.perf_counter()
        status = "200"
        try:
            return fetch()
        except NotFoundError:
            status = "404"
            return None
        except BaseHorizonError as exc:
            status = str(exc.status)
            raise
        except ConnectionError:
            status = "connection"
            raise
        finally:
            metrics.observe_horizon(
                call, time.perf_counter() - started, "200" if status == "404" else status
            )

    def root(self) -> dict[str, Any]:
        return dict(self._timed("root", lambda: self.server.root().call()) or {})

    def latest_ledger(self) -> int:
        return int(self.root()["history_latest_ledger"])

    def account(self, address: str) -> AccountInfo | None:
        data = self._timed("account", lambda: self.server.accounts().account_id(address).call())
        if data is None:
            return None
        lines: dict[tuple[str, str], Trustline] = {}
        native = Decimal(0)
        for b in data["balances"]:
            if b["asset_type"] == "native":
                native = Decimal(b["balance"])
            elif "asset_code" in b:
                lines[(b["asset_code"], b["asset_issuer"])] = Trustline(
                    balance=Decimal(b["balance"]),
                    limit=Decimal(b["limit"]),
                    authorized=bool(b.get("is_authorized", True)),
                )
        return AccountInfo(
            account_id=data["account_id"],
            sequence=int(data["sequence"]),
            native_balance=native,
            trustlines=lines,
            signers=tuple(
                (str(sg["key"]), int(sg["weight"]))
                for sg in data.get("signers", [])
                if sg.get("type", "ed25519_public_key") == "ed25519_public_key"
            ),
            thresholds=(
                int(data.get("thresholds", {}).get("low_threshold", 0)),
                int(data.get("thresholds", {}).get("med_threshold", 0)),
                int(data.get("thresholds", {}).get("high_threshold", 0)),
            ),
            data={str(k): str(v) for k, v in (data.get("data") or {}).items()},
        )

    def recent_payments(self, address: str, *, limit: int = 10) -> list[AccountPayment]:
        """The account's latest payments (newest first); empty if the account does not exist."""
        data = self._timed(
            "account_payments",
            lambda: (
                self.server.payments()
                .for_account(address)
                .order(desc=True)
                .limit(limit)
                .include_failed(True)
                .call()
            ),
        )
        if data is None:
            return []
        payments = []
        for r in data.get("_embedded", {}).get("records", []):
            native = r.get("asset_type") == "native" or r.get("type") == "create_account"
            payments.append(
                AccountPayment(
                    id=str(r.get("id", "")),
                    created_at=str(r.get("created_at", "")),
                    kind=str(r.get("type", "")),
                    source=str(r.get("from") or r.get("funder") or r.get("source_account", "")),
                    destination=str(r.get("to") or r.get("account") or ""),
                    amount=Decimal(str(r.get("amount") or r.get("starting_balance") or "0")),
                    asset_code="XLM" if native else str(r.get("asset_code", "")),
                    tx_hash=str(r.get("transaction_hash", "")),
                    successful=bool(r.get("transaction_successful", True)),
                )
            )
        return payments

    def fee_stats(self) -> FeeStats:
        data = self._timed("fee_stats", lambda: self.server.fee_stats().call())
        if data is None:
            raise NetworkTrouble("fee_stats answered 404")
        charged = data["fee_charged"]
        return FeeStats(
            last_ledger_base_fee=int(data["last_ledger_base_fee"]),
            p50=int(charged["p50"]),
            p70=int(charged["p70"]),
            p90=int(charged["p90"]),
            capacity_usage=Decimal(str(data.get("ledger_capacity_usage", "0"))),
        )

    def transaction(self, tx_hash: str) -> TxOutcome | None:
        """The included transaction with this hash, or None if Horizon has not seen it."""
        data = self._timed(
            "transaction", lambda: self.server.transactions().transaction(tx_hash).call()
        )
        if data is None:
            return None
        return self._included(tx_hash, data)

    # --- submission --------------------------------------------------------------------
    def submit(self, envelope_xdr: str, tx_hash: str) -> TxOutcome:
        """POST /transactions and classify the answer; never raises for network trouble."""
        started = time.perf_counter()
        try:
            # The SDK's submit_transaction decodes the whole envelope again just to read it
            # (milliseconds for 100 operations); we built it, so post it through the SDK's
            # client and let the SDK turn the answer into its exceptions.
            resp = self._client.post(url=f"{self.url}/transactions", data={"tx": envelope_xdr})
            raise_request_exception(resp)
            data = resp.json()
        except BadRequestError as exc:
            metrics.observe_horizon("submit", time.perf_counter() - started, str(exc.status))
            outcome = self._problem(tx_hash, exc)
            if outcome.tx_code == "tx_failed":
                return self._failed_where(outcome)
            return outcome
        except (BadResponseError, BaseHorizonError) as exc:
            metrics.observe_horizon("submit", time.perf_counter() - started, str(exc.status))
            return TxOutcome(
                Verdict.UNKNOWN,
                tx_hash,
                http_status=exc.status,
                detail=str(exc.title or exc.status),
            )
        except ConnectionError as exc:
            metrics.observe_horizon("submit", time.perf_counter() - started, "connection")
            return TxOutcome(Verdict.UNKNOWN, tx_hash, detail=f"connection error: {exc}")
        metrics.observe_horizon("submit", time.perf_counter() - started, "200")
        return self._included(tx_hash, data)

    def _failed_where(self, outcome: TxOutcome) -> TxOutcome:
        """A 400 tx_failed means included-and-failed, or refused at the pre-check (e.g.
        op_bad_auth after the signers changed: never in a ledger, the sequence not consumed).
        Only a ledger says which: the hash is looked up; found, its record is the answer."""
        try:
            found = self.transaction(outcome.hash)
        except READ_ERRORS as exc:
            return TxOutcome(
                Verdict.UNKNOWN,
                outcome.hash,
                http_status=outcome.http_status,
                detail=f"tx_failed, then the lookup failed: {type(exc).__name__}",
            )
        if found is not None:
            return found
        # Refused before any ledger: nothing was paid and nothing consumed; the lines go back
        # (the organization's problems pause its batches).
        pre_check = {classify_op_code(c) for c in outcome.op_codes}
        verdict = Verdict.PAUSE if Verdict.PAUSE in pre_check else Verdict.RETRY
        return TxOutcome(
            verdict,
            outcome.hash,
            included=False,
            tx_code=outcome.tx_code,
            op_codes=outcome.op_codes,
            http_status=outcome.http_status,
            detail="refused at submission (pre-check)",
        )

    def _included(self, tx_hash: str, data: dict[str, Any]) -> TxOutcome:
        tx_code, op_codes = decode_result_xdr(data["result_xdr"])
        successful = bool(data.get("successful"))
        verdict = Verdict.PAID if successful else verdict_for(tx_code, op_codes)
        bump = data.get("fee_bump_transaction") or {}
        return TxOutcome(
            verdict,
            tx_hash,
            ledger=int(data["ledger"]),
            included=True,
            tx_code=tx_code,
            op_codes=op_codes,
            http_status=200,
            outer_hash=str(bump.get("hash") or data.get("hash") or tx_hash),
        )

    def _problem(self, tx_hash: str, exc: BadRequestError) -> TxOutcome:
        status = exc.status
        extras = exc.extras or {}
        codes = extras.get("result_codes") or {}
        if status == 429 or not codes:
            # Rate limited, or a 4xx without result codes: nothing proves it was not included.
            return TxOutcome(
                Verdict.UNKNOWN, tx_hash, http_status=status, detail=str(exc.title or status)
            )
        tx_code = str(codes.get("transaction", ""))
        inner = codes.get("inner_transaction")
        op_codes = tuple(codes.get("operations") or ())
        if tx_code.startswith("tx_fee_bump_inner") and isinstance(inner, str):
            tx_code = inner
        if tx_code == "tx_failed":
            # Either included in a ledger with a failing operation (fee and sequence consumed),
            # or refused by the pre-check at submission (nothing consumed): see _failed_where.
            return TxOutcome(
                verdict_for(tx_code, op_codes),
                tx_hash,
                included=False,
                tx_code=tx_code,
                op_codes=op_codes,
                http_status=status,
            )
        return TxOutcome(
            classify_tx_code(tx_code),
            tx_hash,
            included=False,
            tx_code=tx_code,
            op_codes=op_codes,
            http_status=status,
        )
