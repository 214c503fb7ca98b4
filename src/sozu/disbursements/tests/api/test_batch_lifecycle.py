"""An NGO executes, pauses, resumes, cancels and retries a batch, and exports what was paid."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from stellar_sdk.operation import ChangeTrust, Payment

from sozu.beneficiaries.services import beneficiary_create
from sozu.disbursements.tests.api.helpers import post_json, transaction_on_network, usdc_balance
from sozu.disbursements.worker import Worker

pytestmark = pytest.mark.django_db(transaction=True)


def create_batch(client, *pairs: tuple[str, str], **extra) -> dict:
    lines = [{"destination": d, "amount": a, "memo": "marzo"} for d, a in pairs]
    r = post_json(client, "/api/v1/batches", {"name": "Marzo", "lines": lines, **extra})
    assert r.status_code == 201, r.content
    return r.json()


def act(client, batch_id: int, action: str):
    return client.post(f"/api/v1/batches/{batch_id}/{action}")


def run_worker() -> None:
    Worker("test", threads=4).run(until_idle=True)


def test_an_executed_batch_pays_every_line_with_its_transaction(api_client, recipient, localnet):
    dests = [recipient() for _ in range(3)]
    before = {d: usdc_balance(localnet, d) for d in dests}
    batch = create_batch(api_client, (dests[0], "10"), (dests[1], "20.5"), (dests[2], "0.0000001"))

    started = act(api_client, batch["id"], "execute")
    assert started.status_code == 202
    assert started.json()["status"] == "executing"
    run_worker()

    done = api_client.get(f"/api/v1/batches/{batch['id']}").json()
    assert done["status"] == "completed"
    assert done["stats"]["paid_count"] == 3
    assert done["stats"]["paid_amount"] == "30.5000001"
    lines = api_client.get(f"/api/v1/batches/{batch['id']}/lines").json()["results"]
    assert [x["status"] for x in lines] == ["paid"] * 3
    for line in lines:
        assert transaction_on_network(localnet, line["tx_hash"])["successful"] is True
    assert usdc_balance(localnet, dests[1]) - before[dests[1]] == Decimal("20.5")
    assert usdc_balance(localnet, dests[2]) - before[dests[2]] == Decimal("0.0000001")


def test_lines_are_paginated_and_filtered_by_status(api_client, recipient):
    dests = [recipient() for _ in range(5)]
    batch = create_batch(api_client, *[(d, "1") for d in dests])
    url = f"/api/v1/batches/{batch['id']}/lines"

    first = api_client.get(url, {"page_size": 2}).json()
    last = api_client.get(url, {"page_size": 2, "page": 3}).json()
    capped = api_client.get(url, {"page_size": 100000}).json()
    validated = api_client.get(url, {"status": "validated"}).json()
    paid = api_client.get(url, {"status": "paid"}).json()
    bad = api_client.get(url, {"status": "pagado"})

    assert (first["count"], [x["line"] for x in first["results"]]) == (5, [1, 2])
    assert first["next"] == f"{url}?page_size=2&page=2"
    assert first["previous"] is None
    assert ([x["line"] for x in last["results"]], last["next"]) == ([5], None)
    assert capped["page_size"] == 1000
    assert (validated["count"], paid["count"]) == (5, 0)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_field")


def test_the_batch_list_shows_the_newest_first(api_client, recipient):
    older = create_batch(api_client, (recipient(), "1"))
    newer = create_batch(api_client, (recipient(), "2"))

    page = api_client.get("/api/v1/batches", {"page_size": 1}).json()
    executing = api_client.get("/api/v1/batches", {"status": "executing"}).json()

    assert page["count"] == 2
    assert [b["id"] for b in page["results"]] == [newer["id"]]
    assert page["next"] is not None
    assert executing["count"] == 0
    assert older["id"] != newer["id"]


def test_pause_resume_and_cancel_follow_the_batch_state_machine(api_client, recipient, localnet):
    dest = recipient()
    before = usdc_balance(localnet, dest)
    batch = create_batch(api_client, (dest, "5"))
    bid = batch["id"]

    too_early = act(api_client, bid, "pause")
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "invalid_transition"
    assert act(api_client, bid, "execute").status_code == 202
    paused = act(api_client, bid, "pause")
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert paused.json()["pause_code"] == "paused_by_user"
    run_worker()  # a paused batch is not paid
    assert api_client.get(f"/api/v1/batches/{bid}").json()["stats"]["paid_count"] == 0
    resumed = act(api_client, bid, "resume")
    assert (resumed.status_code, resumed.json()["status"]) == (200, "executing")
    cancelled = act(api_client, bid, "cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")

    run_worker()
    for action in ("execute", "resume", "pause", "cancel", "retry"):
        refused = act(api_client, bid, action)
        assert refused.status_code == 409, action
        assert refused.json()["code"] == "invalid_transition"
    lines = api_client.get(f"/api/v1/batches/{bid}/lines").json()["results"]
    assert [(x["status"], x["failure_code"]) for x in lines] == [("cancelled", "cancelled_by_user")]
    assert usdc_balance(localnet, dest) == before


def close_trustline(net, kp: Keypair) -> None:
    """The emprendedora gives back her USDC and closes her trustline (her own transaction)."""
    server = Server(net.url)
    usdc = Asset(net.usdc_code, net.usdc_issuer)
    balance = str(usdc_balance(net, kp.public_key))
    tx = (
        TransactionBuilder(server.load_account(kp.public_key), net.passphrase, base_fee=100)
        .append_operation(Payment(net.usdc_issuer, usdc, balance))
        .append_operation(ChangeTrust(usdc, limit="0"))
        .set_timeout(60)
        .build()
    )
    tx.sign(kp)
    server.submit_transaction(tx)


def test_a_line_that_failed_is_paid_when_retried(api_client, localnet):
    kp = Keypair.random()
    localnet.fund(kp.public_key, xlm="10", usdc="1")
    batch = create_batch(api_client, (kp.public_key, "7"))
    close_trustline(localnet, kp)

    act(api_client, batch["id"], "execute")
    run_worker()

    failed = api_client.get(f"/api/v1/batches/{batch['id']}", headers={"Accept-Language": "en"})
    assert failed.json()["status"] == "failed"
    line = api_client.get(
        f"/api/v1/batches/{batch['id']}/lines", headers={"Accept-Language": "en"}
    ).json()["results"][0]
    assert line["status"] == "failed"
    assert line["failure_code"] in ("destination_no_trustline", "op_no_trust")
    assert line["failure_reason"] == "The destination has no USDC trustline."

    localnet.fund(kp.public_key, xlm="0", usdc="0.5")  # she opens it again
    retried = act(api_client, batch["id"], "retry")
    assert (retried.status_code, retried.json()["status"]) == (200, "executing")
    run_worker()

    done = api_client.get(f"/api/v1/batches/{batch['id']}").json()
    assert done["status"] == "completed"
    assert usdc_balance(localnet, kp.public_key) == Decimal("7.5")


def test_the_export_lists_each_line_with_the_beneficiary_contact(org, api_client, recipient):
    ana = beneficiary_create(
        organization_id=org.pk,
        full_name="Ana Quispe",
        stellar_address=recipient(),
        actor="test",
        email="ana@example.org",
        phone="+54 9 387 555 0101",
        national_id="30111222",
    )
    other = recipient()
    r = post_json(
        api_client,
        "/api/v1/batches",
        {
            "lines": [
                {"beneficiary_id": ana.pk, "amount": "100", "memo": "credito 1"},
                {"destination": other, "amount": "50"},
            ]
        },
    )
    bid = r.json()["id"]
    act(api_client, bid, "execute")
    run_worker()

    export = api_client.get(f"/api/v1/batches/{bid}/export.csv")

    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"] == f'attachment; filename="batch-{bid}.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [(x["line"], x["full_name"], x["status"]) for x in rows] == [
        ("1", "Ana Quispe", "paid"),
        ("2", "", "paid"),
    ]
    assert rows[0]["email"] == "ana@example.org"
    assert rows[0]["phone"] == "+5493875550101"  # stored in E.164
    assert rows[0]["national_id"] == "30111222"
    assert rows[0]["amount"] == "100.0000000"
    assert rows[0]["destination"] == ana.stellar_address
    assert rows[1]["destination"] == other
    assert all(len(x["tx_hash"]) == 64 for x in rows)
