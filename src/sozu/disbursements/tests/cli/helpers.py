"""Batch files and recipients whose trustline the test controls, for the CLI tests."""

from __future__ import annotations

from pathlib import Path

from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from tests.localnet_process import LocalNet


def csv_file(folder: Path, rows: list[str], *, name: str = "marzo.csv", header: str = "") -> Path:
    path = folder / name
    path.write_text((header or "destination,amount,memo") + "\n" + "\n".join(rows) + "\n")
    return path


def set_trustline(net: LocalNet, holder: Keypair, *, limit: str | None) -> None:
    """The recipient opens (limit None: the maximum) or closes (limit "0") its USDC line."""
    server = Server(net.url)
    account = server.load_account(holder.public_key)
    usdc = Asset(net.usdc_code, net.usdc_issuer)
    tx = (
        TransactionBuilder(account, net.passphrase, base_fee=100)
        .append_change_trust_op(usdc, limit=limit)
        .set_timeout(30)
        .build()
    )
    tx.sign(holder)
    server.submit_transaction(tx)


def recipient_with_empty_trustline(net: LocalNet) -> Keypair:
    """A recipient holding 0 USDC, so that it can close its trustline later."""
    holder = Keypair.random()
    net.fund(holder.public_key, xlm="10", usdc="0")
    set_trustline(net, holder, limit=None)
    return holder
