"""A client discovers the network: root document, fee stats, ledgers and ledger paging."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime

import pytest
from stellar_sdk import Server
from stellar_sdk import xdr as stellar_xdr
from stellar_sdk.exceptions import NotFoundError

from tests.localnet.helpers import AMOUNT, HASH, latest_ledger, wait_for
from tests.localnet_process import LocalNet

DEFAULT_PASSPHRASE = "Sozu Local Network ; 2026"
PERCENTILES = ("p10", "p20", "p30", "p40", "p50", "p60", "p70", "p80", "p90", "p95", "p99")


def test_root_names_the_network_and_its_ledgers(localnet: LocalNet, server: Server) -> None:
    root = server.root().call()

    assert root["network_passphrase"] == localnet.passphrase == DEFAULT_PASSPHRASE
    assert isinstance(root["history_latest_ledger"], int)
    assert isinstance(root["core_latest_ledger"], int)
    assert root["core_latest_ledger"] >= root["history_latest_ledger"] >= 1
    assert isinstance(root["current_protocol_version"], int)
    assert isinstance(root["horizon_version"], str)
    assert isinstance(root["core_version"], str)
    assert root["_links"]["self"]["href"].startswith("http")


def test_latest_ledger_advances_while_nobody_submits(server: Server) -> None:
    first = latest_ledger(server)

    later = wait_for(lambda: (n := latest_ledger(server)) > first + 2 and n, timeout=10)

    assert later > first + 2


def test_fee_stats_are_strings_a_client_can_parse(server: Server) -> None:
    stats = server.fee_stats().call()

    for key in ("last_ledger", "last_ledger_base_fee", "ledger_capacity_usage"):
        assert isinstance(stats[key], str), key
    assert int(stats["last_ledger"]) >= 1
    assert int(stats["last_ledger_base_fee"]) == 100
    assert 0.0 <= float(stats["ledger_capacity_usage"]) <= 1.0
    for distribution in ("fee_charged", "max_fee"):
        fees = stats[distribution]
        for key in ("max", "min", "mode", *PERCENTILES):
            assert isinstance(fees[key], str), f"{distribution}.{key}"
            assert int(fees[key]) >= 0
        assert int(fees["min"]) <= int(fees["p50"]) <= int(fees["max"])


def test_client_reads_the_base_fee_from_the_latest_ledger(server: Server) -> None:
    assert server.fetch_base_fee() == 100


def test_a_ledger_is_a_hash_chained_header(server: Server) -> None:
    seq = wait_for(lambda: (n := latest_ledger(server)) >= 3 and n)

    ledger = server.ledgers().ledger(seq).call()
    previous = server.ledgers().ledger(seq - 1).call()

    assert ledger["sequence"] == seq
    assert HASH.match(ledger["hash"])
    assert ledger["id"] == ledger["hash"]
    assert isinstance(ledger["paging_token"], str)
    assert ledger["prev_hash"] == previous["hash"]
    assert datetime.fromisoformat(ledger["closed_at"].replace("Z", "+00:00")) >= (
        datetime.fromisoformat(previous["closed_at"].replace("Z", "+00:00"))
    )
    assert ledger["base_fee_in_stroops"] == 100
    assert ledger["base_reserve_in_stroops"] == 5_000_000
    assert AMOUNT.match(ledger["total_coins"])
    assert AMOUNT.match(ledger["fee_pool"])
    for key in ("successful_transaction_count", "operation_count", "protocol_version"):
        assert isinstance(ledger[key], int), key
    assert isinstance(ledger["max_tx_set_size"], int)
    # The ledger hash is the SHA-256 of its XDR header, which links to the previous one.
    header_bytes = base64.b64decode(ledger["header_xdr"])
    header = stellar_xdr.LedgerHeader.from_xdr_bytes(header_bytes)
    assert header.ledger_seq.uint32 == seq
    assert hashlib.sha256(header_bytes).hexdigest() == ledger["hash"]
    assert header.previous_ledger_hash.hash.hex() == previous["hash"]


def test_ledgers_page_forward_and_backward(server: Server) -> None:
    wait_for(lambda: latest_ledger(server) >= 8)
    builder = server.ledgers().order(desc=False).limit(3)
    first_page = builder.call()
    first = [r["sequence"] for r in first_page["_embedded"]["records"]]
    second = [r["sequence"] for r in builder.next()["_embedded"]["records"]]

    assert len(first) == 3
    assert first == list(range(first[0], first[0] + 3))
    assert second == list(range(first[-1] + 1, first[-1] + 4))
    assert first_page["_links"]["next"]["href"].startswith("http")

    newest = server.ledgers().order(desc=True).limit(4).call()["_embedded"]["records"]
    seqs = [r["sequence"] for r in newest]
    assert seqs == sorted(seqs, reverse=True)
    assert seqs == list(range(seqs[0], seqs[0] - 4, -1))

    after = newest[-1]["paging_token"]
    resumed = server.ledgers().cursor(after).order(desc=False).limit(2).call()
    assert [r["sequence"] for r in resumed["_embedded"]["records"]] == [seqs[-1] + 1, seqs[-1] + 2]


def test_an_unknown_ledger_is_a_404_problem(server: Server) -> None:
    with pytest.raises(NotFoundError) as caught:
        server.ledgers().ledger(latest_ledger(server) + 1_000_000).call()

    assert caught.value.status == 404
    assert json.loads(caught.value.message)["status"] == 404
