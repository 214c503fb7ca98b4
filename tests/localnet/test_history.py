"""A reconciler pages through an account's payments and transactions, newest or oldest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from stellar_sdk import Asset, Keypair, Server
from stellar_sdk.exceptions import BadRequestError

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import AMOUNT, builder, rejected, signed
from tests.localnet_process import LocalNet


def pay(net: LocalNet, server: Server, payer: Keypair, to: str, amount: str) -> dict[str, Any]:
    envelope = (
        builder(net, server.load_account(payer))
        .append_payment_op(to, Asset.native(), amount)
        .build()
    )
    return server.submit_transaction(signed(envelope, payer))


def all_pages(first: dict[str, Any], follow: Any) -> list[dict[str, Any]]:
    """Follow `next` links the way the SDK does until a page comes back empty."""
    records, page = [], first
    while page["_embedded"]["records"]:
        records.extend(page["_embedded"]["records"])
        page = follow()
    return records


def test_payments_for_an_account_page_in_order_with_cursors(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    hashes = [pay(localnet, server, bob, alice.public_key, str(n))["hash"] for n in range(1, 6)]

    pager = server.payments().for_account(alice.public_key).order(desc=False).limit(2)
    oldest_first = all_pages(pager.call(), pager.next)

    everything = server.payments().for_account(alice.public_key).limit(200).call()
    assert oldest_first == everything["_embedded"]["records"]
    tokens = [int(r["paging_token"]) for r in oldest_first]
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens)
    from_bob = [r for r in oldest_first if r["type"] == "payment" and r["from"] == bob.public_key]
    assert [r["amount"] for r in from_bob] == [f"{n}.0000000" for n in range(1, 6)]
    assert [r["transaction_hash"] for r in from_bob] == hashes
    assert oldest_first[0]["type"] == "create_account"  # how the account came to exist
    assert oldest_first[0]["account"] == alice.public_key

    newest_first = server.payments().for_account(alice.public_key).order(desc=True).limit(3).call()
    assert [r["amount"] for r in newest_first["_embedded"]["records"]] == [
        "5.0000000",
        "4.0000000",
        "3.0000000",
    ]

    after_second = from_bob[1]["paging_token"]
    resumed = server.payments().for_account(alice.public_key).cursor(after_second).limit(10).call()
    assert [r["amount"] for r in resumed["_embedded"]["records"]] == [
        "3.0000000",
        "4.0000000",
        "5.0000000",
    ]


def test_a_payment_record_has_the_fields_a_reconciler_reads(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    submitted = pay(localnet, server, bob, alice.public_key, "12.3456789")

    [payment] = server.payments().for_transaction(submitted["hash"]).call()["_embedded"]["records"]

    assert payment["type"] == "payment"
    assert payment["type_i"] == 1
    assert payment["transaction_successful"] is True
    assert payment["transaction_hash"] == submitted["hash"]
    assert payment["source_account"] == payment["from"] == bob.public_key
    assert payment["to"] == alice.public_key
    assert payment["asset_type"] == "native"
    assert payment["amount"] == "12.3456789"
    assert AMOUNT.match(payment["amount"])
    assert isinstance(payment["id"], str) and isinstance(payment["paging_token"], str)
    datetime.fromisoformat(payment["created_at"].replace("Z", "+00:00"))
    assert payment["_links"]["transaction"]["href"].endswith(f"/transactions/{submitted['hash']}")
    assert server.operations().operation(payment["id"]).call()["id"] == payment["id"]


def test_failed_transactions_are_listed_only_when_asked_for(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(xlm="50"), new_account()
    ok = pay(localnet, server, alice, bob.public_key, "1")
    too_much = signed(
        builder(localnet, server.load_account(alice))
        .append_payment_op(bob.public_key, Asset.native(), "1000")
        .build(),
        alice,
    )
    rejected(server, too_much)

    default = server.transactions().for_account(alice.public_key).limit(200).call()
    with_failed = (
        server.transactions().for_account(alice.public_key).include_failed(True).limit(200).call()
    )

    default_hashes = [r["hash"] for r in default["_embedded"]["records"]]
    assert ok["hash"] in default_hashes
    assert too_much.hash_hex() not in default_hashes
    failed = [r for r in with_failed["_embedded"]["records"] if r["hash"] == too_much.hash_hex()]
    assert [r["successful"] for r in failed] == [False]
    failed_payments = (
        server.payments().for_account(bob.public_key).include_failed(True).limit(200).call()
    )
    assert [
        r["transaction_successful"]
        for r in failed_payments["_embedded"]["records"]
        if r["transaction_hash"] == too_much.hash_hex()
    ] == [False]


def test_transactions_for_an_account_include_those_that_paid_it(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice, bob = new_account(), new_account()
    sent = pay(localnet, server, alice, bob.public_key, "2")
    received = pay(localnet, server, bob, alice.public_key, "1")

    for account in (alice, bob):
        page = (
            server.transactions().for_account(account.public_key).order(desc=True).limit(2).call()
        )
        assert [r["hash"] for r in page["_embedded"]["records"]] == [
            received["hash"],
            sent["hash"],
        ]
    older = server.transactions().for_account(alice.public_key).order(desc=True).limit(2)
    older.call()
    beyond = older.next()["_embedded"]["records"]
    assert all(r["hash"] not in (sent["hash"], received["hash"]) for r in beyond)


def test_pages_hold_at_most_200_records(server: Server, new_account: NewAccount) -> None:
    alice = new_account()

    assert server.payments().for_account(alice.public_key).limit(200).call()["_embedded"]
    with pytest.raises(BadRequestError) as caught:
        server.payments().for_account(alice.public_key).limit(201).call()

    assert caught.value.status == 400
