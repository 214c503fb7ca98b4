"""What a Stellar client does by hand: build and sign, read balances, decode results, poll."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from stellar_sdk import (
    Account,
    Asset,
    FeeBumpTransactionEnvelope,
    Keypair,
    Server,
    TransactionBuilder,
    TransactionEnvelope,
)
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.exceptions import BadRequestError, NotFoundError

from tests.localnet_process import LocalNet

BASE_FEE = 100  # stroops per operation
FEE = Decimal("0.0000100")  # one operation at the base fee, in XLM
BASE_RESERVE = Decimal("0.5")
AMOUNT = re.compile(r"^-?\d+\.\d{7}$")  # Horizon amounts: always exactly 7 decimals
HASH = re.compile(r"^[0-9a-f]{64}$")

T = TypeVar("T")
Envelope = TypeVar("Envelope", TransactionEnvelope, FeeBumpTransactionEnvelope)


def usdc(net: LocalNet) -> Asset:
    return Asset(net.usdc_code, net.usdc_issuer)


def builder(
    net: LocalNet, source: Account, *, base_fee: int = BASE_FEE, timeout: int | None = 300
) -> TransactionBuilder:
    """A builder for the local network; `timeout=None` leaves the time bounds to the test."""
    b = TransactionBuilder(source, network_passphrase=net.passphrase, base_fee=base_fee)
    if timeout is not None:
        b.set_timeout(timeout)
    return b


def signed(envelope: Envelope, *keypairs: Keypair) -> Envelope:
    for kp in keypairs:
        envelope.sign(kp)
    return envelope


def account_record(server: Server, account_id: str) -> dict[str, Any]:
    return server.accounts().account_id(account_id).call()


def sequence(server: Server, account_id: str) -> int:
    return int(account_record(server, account_id)["sequence"])


def balance(server: Server, account_id: str, asset: Asset | None = None) -> Decimal | None:
    """The balance of `asset` (XLM by default), or None when the account has no such line."""
    for line in account_record(server, account_id)["balances"]:
        if asset is None or asset.is_native():
            if line["asset_type"] == "native":
                return Decimal(line["balance"])
        elif line.get("asset_code") == asset.code and line.get("asset_issuer") == asset.issuer:
            return Decimal(line["balance"])
    return None


def xlm(server: Server, account_id: str) -> Decimal:
    value = balance(server, account_id)
    assert value is not None
    return value


def rejected(server: Server, envelope: TransactionEnvelope | FeeBumpTransactionEnvelope) -> Any:
    """Submit expecting Horizon to refuse it; returns the client's BadRequestError."""
    with pytest.raises(BadRequestError) as caught:
        server.submit_transaction(envelope, skip_memo_required_check=True)
    return caught.value


def result_codes(err: Any) -> tuple[str, list[str]]:
    """`extras.result_codes` as (transaction code, operation codes); operations may be absent."""
    assert err.extras is not None, f"no extras in Horizon's problem: {err.message}"
    codes = err.extras["result_codes"]
    return codes["transaction"], list(codes.get("operations") or [])


def decode_result(result_xdr: str) -> stellar_xdr.TransactionResult:
    return stellar_xdr.TransactionResult.from_xdr(result_xdr)


def tx_code(result_xdr: str) -> stellar_xdr.TransactionResultCode:
    return decode_result(result_xdr).result.code


def wait_for(check: Callable[[], T | None], *, timeout: float = 15.0, every: float = 0.1) -> T:
    """Poll until `check` returns something truthy, as a client waiting on ledgers does."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def find_transaction(server: Server, tx_hash: str) -> dict[str, Any] | None:
    try:
        return server.transactions().transaction(tx_hash).call()
    except NotFoundError:
        return None


def wait_for_transaction(server: Server, tx_hash: str, timeout: float = 15.0) -> dict[str, Any]:
    return wait_for(lambda: find_transaction(server, tx_hash), timeout=timeout)


def latest_ledger(server: Server) -> int:
    return int(server.root().call()["history_latest_ledger"])


def wait_ledgers(server: Server, count: int, timeout: float = 15.0) -> int:
    """Wait until `count` more ledgers have closed; returns the new latest ledger."""
    target = latest_ledger(server) + count
    return wait_for(lambda: (n := latest_ledger(server)) >= target and n, timeout=timeout)


def op_results(result_xdr: str) -> list[stellar_xdr.OperationResult]:
    """The per-operation results of a tx_success / tx_failed TransactionResult."""
    results = decode_result(result_xdr).result.results
    assert results is not None, "this TransactionResult carries no operation results"
    return results


def inner_code(op: stellar_xdr.OperationResult) -> Any:
    """The operation-specific code (PaymentResultCode, ChangeTrustResultCode, ...)."""
    assert op.code == stellar_xdr.OperationResultCode.opINNER, op.code
    assert op.tr is not None
    for name, value in vars(op.tr).items():
        if name != "type" and value is not None:
            return value.code
    raise AssertionError("operation result without an inner result")
