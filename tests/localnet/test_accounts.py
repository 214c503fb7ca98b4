"""A wallet loads accounts and reads balances, signers, thresholds, flags and data."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from stellar_sdk import Asset, Keypair, Server, Signer
from stellar_sdk.exceptions import NotFoundError
from stellar_sdk.operation.set_options import AuthorizationFlag
from stellar_sdk.sep.exceptions import AccountRequiresMemoError

from tests.localnet.conftest import NewAccount
from tests.localnet.helpers import AMOUNT, account_record, builder, signed
from tests.localnet_process import LocalNet


def test_load_account_gives_the_sequence_as_a_string(
    server: Server, new_account: NewAccount
) -> None:
    alice = new_account()

    account = server.load_account(alice.public_key)

    raw = account.raw_data
    assert raw is not None
    assert isinstance(raw["sequence"], str)
    assert account.sequence == int(raw["sequence"]) > 0


def test_a_new_account_record_has_every_field_a_wallet_reads(
    server: Server, new_account: NewAccount
) -> None:
    alice = new_account(xlm="100")

    record = account_record(server, alice.public_key)

    assert record["id"] == record["account_id"] == alice.public_key
    assert record["paging_token"] == alice.public_key
    assert isinstance(record["last_modified_ledger"], int)
    assert record["subentry_count"] == 0
    assert record["num_sponsoring"] == 0
    assert record["num_sponsored"] == 0
    assert "sponsor" not in record
    assert record["data"] == {}
    assert record["thresholds"] == {"low_threshold": 0, "med_threshold": 0, "high_threshold": 0}
    assert record["flags"] == {
        "auth_required": False,
        "auth_revocable": False,
        "auth_immutable": False,
        "auth_clawback_enabled": False,
    }
    [master] = record["signers"]
    assert master["key"] == alice.public_key
    assert master["weight"] == 1
    assert master["type"] == "ed25519_public_key"
    [native] = record["balances"]
    assert native["asset_type"] == "native"
    assert native["balance"] == "100.0000000"
    assert native["buying_liabilities"] == "0.0000000"
    assert native["selling_liabilities"] == "0.0000000"
    assert "limit" not in native
    for link in ("self", "transactions", "operations", "payments", "effects", "data"):
        assert record["_links"][link]["href"].startswith("http"), link


def test_a_usdc_holder_sees_a_formatted_trustline(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    bob = new_account(xlm="10", usdc="25.5")

    record = account_record(server, bob.public_key)

    assert record["subentry_count"] == 1
    [line] = [b for b in record["balances"] if b["asset_type"] != "native"]
    assert line["asset_type"] == "credit_alphanum4"
    assert line["asset_code"] == localnet.usdc_code
    assert line["asset_issuer"] == localnet.usdc_issuer
    assert line["balance"] == "25.5000000"
    for key in ("limit", "buying_liabilities", "selling_liabilities"):
        assert AMOUNT.match(line[key]), key
    assert line["is_authorized"] is True
    assert line["is_authorized_to_maintain_liabilities"] is True
    for b in record["balances"]:
        assert AMOUNT.match(b["balance"])


def test_set_options_shows_up_as_signers_thresholds_and_flags(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    issuer, cosigner = new_account(), Keypair.random()
    source = server.load_account(issuer.public_key)
    envelope = (
        builder(localnet, source)
        .append_ed25519_public_key_signer(cosigner.public_key, weight=2)
        .append_set_options_op(
            master_weight=3,
            low_threshold=1,
            med_threshold=2,
            high_threshold=3,
            set_flags=AuthorizationFlag.AUTHORIZATION_REQUIRED
            | AuthorizationFlag.AUTHORIZATION_REVOCABLE,
            home_domain="sozu.example",
        )
        .build()
    )
    server.submit_transaction(signed(envelope, issuer))

    record = account_record(server, issuer.public_key)

    assert record["thresholds"] == {"low_threshold": 1, "med_threshold": 2, "high_threshold": 3}
    assert record["flags"]["auth_required"] is True
    assert record["flags"]["auth_revocable"] is True
    assert record["flags"]["auth_immutable"] is False
    assert record["home_domain"] == "sozu.example"
    assert record["subentry_count"] == 1  # the extra signer
    signers = {s["key"]: (s["weight"], s["type"]) for s in record["signers"]}
    assert signers == {
        issuer.public_key: (3, "ed25519_public_key"),
        cosigner.public_key: (2, "ed25519_public_key"),
    }

    # Weight 0 removes the signer again; it needs the high threshold (master 3 alone).
    source = server.load_account(issuer.public_key)
    removal = builder(localnet, source).append_set_options_op(
        signer=Signer.ed25519_public_key(cosigner.public_key, 0)
    )
    server.submit_transaction(signed(removal.build(), issuer))
    record = account_record(server, issuer.public_key)
    assert [s["key"] for s in record["signers"]] == [issuer.public_key]
    assert record["subentry_count"] == 0


def test_data_entries_are_base64_and_counted_as_subentries(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    alice = new_account()
    source = server.load_account(alice.public_key)
    envelope = builder(localnet, source).append_manage_data_op("sozu.greeting", b"hola").build()
    server.submit_transaction(signed(envelope, alice))

    record = account_record(server, alice.public_key)

    assert record["data"] == {"sozu.greeting": base64.b64encode(b"hola").decode()}
    assert record["subentry_count"] == 1
    assert server.data(alice.public_key, "sozu.greeting").call() == {"value": "aG9sYQ=="}


def test_a_memo_required_destination_stops_a_memoless_payment_in_the_client(
    localnet: LocalNet, server: Server, new_account: NewAccount
) -> None:
    exchange, payer = new_account(), new_account()
    source = server.load_account(exchange.public_key)
    sep29 = builder(localnet, source).append_manage_data_op("config.memo_required", b"1").build()
    server.submit_transaction(signed(sep29, exchange))
    payer_account = server.load_account(payer.public_key)

    memoless = builder(localnet, payer_account).append_payment_op(
        exchange.public_key, Asset.native(), "1"
    )
    with pytest.raises(AccountRequiresMemoError):
        server.submit_transaction(signed(memoless.build(), payer))

    payer_account = server.load_account(payer.public_key)
    with_memo = (
        builder(localnet, payer_account)
        .add_text_memo("deposit 42")
        .append_payment_op(exchange.public_key, Asset.native(), "1")
    )
    record = server.submit_transaction(signed(with_memo.build(), payer))
    assert record["successful"] is True
    assert record["memo_type"] == "text"
    assert record["memo"] == "deposit 42"


def test_an_unknown_account_is_a_404_problem(localnet: LocalNet, server: Server) -> None:
    nobody = Keypair.random().public_key

    with pytest.raises(NotFoundError) as caught:
        server.load_account(nobody)

    assert caught.value.status == 404
    assert caught.value.type is not None and caught.value.type.endswith("not_found")
    raw = requests.get(f"{localnet.url}/accounts/{nobody}", timeout=10)
    assert raw.status_code == 404
    assert raw.headers["Content-Type"].startswith("application/problem+json")
    body = json.loads(raw.text)
    assert body["status"] == 404
    assert {"type", "title", "status", "detail"} <= body.keys()
