"""Network-owned accounts: genesis, their keys in DIR, and the transactions they sign."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from stellar_sdk import Account as SdkAccount
from stellar_sdk import Asset, Keypair, TransactionBuilder

from sozu.localnet.state import Account, LedgerState, TrustLine

TOTAL_COINS = 100_000_000_000 * 10_000_000  # 100 billion XLM, in stroops
ISSUER_START_BALANCE = 10_000 * 10_000_000
FRIENDBOT_AMOUNT = "10000"
USDC_CODE = "USDC"


class BadAmount(ValueError):
    """An amount that is not a non-negative number with at most 7 decimals."""


def to_stroops(text: str | int | float) -> int:
    """Parse an amount given in XLM/USDC units into integer stroops."""
    try:
        d = Decimal(str(text))
    except InvalidOperation as exc:
        raise BadAmount(f"not a number: {text!r}") from exc
    stroops = d * 10_000_000
    if stroops != stroops.to_integral_value() or stroops < 0 or stroops >= 2**63:
        raise BadAmount(f"amount out of range or more than 7 decimals: {text!r}")
    return int(stroops)


def stroops_text(v: int) -> str:
    q, r = divmod(v, 10_000_000)
    return f"{q}.{r:07d}"


@dataclass(frozen=True)
class NetworkKeys:
    root: Keypair
    issuer: Keypair

    @classmethod
    def load_or_create(cls, data_dir: Path) -> NetworkKeys:
        path = data_dir / "keys.json"
        if path.exists():
            d = json.loads(path.read_text())
            return cls(Keypair.from_secret(d["root"]), Keypair.from_secret(d["usdc_issuer"]))
        keys = cls(Keypair.random(), Keypair.random())
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"root": keys.root.secret, "usdc_issuer": keys.issuer.secret}, f)
        tmp.replace(path)
        return keys


def genesis(state: LedgerState, keys: NetworkKeys, close_time: int) -> None:
    """Ledger 1: the root account holds every lumen but the USDC issuer's."""
    state.ledger_seq, state.close_time = 1, close_time
    state.create(Account(keys.root.public_key, TOTAL_COINS - ISSUER_START_BALANCE, seq_num=1 << 32))
    state.create(Account(keys.issuer.public_key, ISSUER_START_BALANCE, seq_num=1 << 32))


@dataclass
class FundRequest:
    """A loopback request to create/fund an account, answered once its ledger closes."""

    address: str
    xlm: int
    usdc: int
    friendbot: bool = False


def build_root_tx(
    state: LedgerState, keys: NetworkKeys, passphrase: str, req: FundRequest, seq_offset: int
) -> str | None:
    """The lumen part of a funding: create the account or pay it, signed by root."""
    root = state.get(keys.root.public_key)
    assert root is not None
    exists = state.get(req.address) is not None
    if exists and not req.friendbot and req.xlm == 0:
        return None
    src = SdkAccount(keys.root.public_key, root.seq_num + seq_offset)
    b = TransactionBuilder(src, passphrase, base_fee=100).add_time_bounds(0, 0)
    if req.friendbot or not exists:
        b.append_create_account_op(req.address, stroops_text(req.xlm))
    else:
        b.append_payment_op(req.address, Asset.native(), stroops_text(req.xlm))
    te = b.build()
    te.sign(keys.root)
    return te.to_xdr()


def insert_trustline(state: LedgerState, address: str, issuer: str) -> None:
    """The network cannot sign for the account, so it writes the USDC trustline directly."""
    acc = state.get(address)
    if acc is None or (USDC_CODE, issuer) in acc.trustlines:
        return
    acc = state.edit(address)
    assert acc is not None
    acc.trustlines[(USDC_CODE, issuer)] = TrustLine(
        USDC_CODE, issuer, flags=1, last_modified_ledger=state.ledger_seq
    )
    acc.num_subentries += 1


def build_issuer_tx(
    state: LedgerState, keys: NetworkKeys, passphrase: str, req: FundRequest, seq_offset: int
) -> str:
    issuer = state.get(keys.issuer.public_key)
    assert issuer is not None
    src = SdkAccount(keys.issuer.public_key, issuer.seq_num + seq_offset)
    b = TransactionBuilder(src, passphrase, base_fee=100).add_time_bounds(0, 0)
    b.append_payment_op(
        req.address, Asset(USDC_CODE, keys.issuer.public_key), stroops_text(req.usdc)
    )
    te = b.build()
    te.sign(keys.issuer)
    return te.to_xdr()
