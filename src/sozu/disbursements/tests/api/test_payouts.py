"""An NGO pays one emprendedora through the API and gets the Stellar transaction back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder
from stellar_sdk.operation import ChangeTrust

from sozu.disbursements.models import Payout
from sozu.disbursements.tests.api.helpers import (
    new_org,
    post_json,
    row_counts,
    transaction_on_network,
    usdc_balance,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payout_is_paid_at_once_and_the_network_confirms_it(api_client, recipient, localnet):
    dest = recipient()
    before = usdc_balance(localnet, dest)

    r = post_json(
        api_client,
        "/api/v1/payouts",
        {"destination": dest, "amount": "12.50"},
        **{"Idempotency-Key": "pago-1250"},
    )

    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "paid"
    assert body["amount"] == "12.5000000"
    assert body["destination"] == dest
    tx = transaction_on_network(localnet, body["tx_hash"])
    assert tx["successful"] is True
    assert tx["ledger"] == body["ledger"]
    assert usdc_balance(localnet, dest) - before == Decimal("12.50")
    # The payout can be read back; the audit names the API key that paid.
    again = api_client.get(f"/api/v1/payouts/{body['id']}")
    assert again.status_code == 200
    assert again.json() == body
    assert Payout.objects.get(pk=body["id"]).created_by.startswith("api:")


def test_a_retry_with_the_same_idempotency_key_pays_once(api_client, recipient, localnet):
    dest = recipient()
    before = usdc_balance(localnet, dest)
    body = {"destination": dest, "amount": "3", "memo": "cuota 1"}

    first = post_json(api_client, "/api/v1/payouts", body, **{"Idempotency-Key": "pago-001"})
    # The client lost the answer and sends the same request again (keys reordered).
    retry = post_json(
        api_client,
        "/api/v1/payouts",
        {"memo": "cuota 1", "amount": "3", "destination": dest},
        **{"Idempotency-Key": "pago-001"},
    )

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Payout.objects.filter(destination=dest).count() == 1
    assert usdc_balance(localnet, dest) - before == Decimal("3")


def test_the_same_key_with_another_body_is_refused(api_client, recipient, localnet):
    dest = recipient()
    key = {"Idempotency-Key": "pago-002"}
    post_json(api_client, "/api/v1/payouts", {"destination": dest, "amount": "1"}, **key)
    counts = row_counts()

    r = post_json(api_client, "/api/v1/payouts", {"destination": dest, "amount": "100"}, **key)

    assert r.status_code == 422
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "idempotency_conflict"
    assert row_counts() == counts
    assert usdc_balance(localnet, dest) == Decimal("2")  # 1 from funding, 1 paid once


def test_an_idempotency_key_is_per_organization(org, api_client, client_for, recipient):
    other = client_for(new_org(channels=1))
    key = {"Idempotency-Key": "same-key"}

    mine = post_json(
        api_client, "/api/v1/payouts", {"destination": recipient(), "amount": "1"}, **key
    )
    theirs = post_json(other, "/api/v1/payouts", {"destination": recipient(), "amount": "2"}, **key)

    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["id"] != theirs.json()["id"]


def test_an_amount_sent_as_a_number_with_decimals_is_refused(api_client, recipient):
    counts = row_counts()

    r = api_client.post(
        "/api/v1/payouts",
        data=b'{"destination": "%s", "amount": 12.50}' % recipient().encode(),
        content_type="application/json",
        headers={"Accept-Language": "en", "Idempotency-Key": "pago-float"},
    )

    assert r.status_code == 400
    problem = r.json()
    assert problem["code"] == "amount_float"
    assert problem["detail"] == "Amounts must be sent as strings, not floating-point numbers."
    assert problem["errors"][0]["code"] == "amount_float"
    assert row_counts() == counts


def test_bad_json_and_bad_addresses_save_nothing(org, api_client):
    # Without keys, so that not even an idempotency record is kept.
    org.require_idempotency_key = False
    org.save(update_fields=["require_idempotency_key"])
    counts = row_counts()

    bad_json = api_client.post("/api/v1/payouts", data=b"{amount:", content_type="application/json")
    bad_address = post_json(api_client, "/api/v1/payouts", {"destination": "GABC", "amount": "1"})
    not_an_object = post_json(api_client, "/api/v1/payouts", ["GABC", "1"])

    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "invalid_json")
    assert (bad_address.status_code, bad_address.json()["code"]) == (400, "invalid_address")
    assert bad_address.json()["detail"] == (
        "La dirección “GABC” no es una dirección Stellar válida (G… o M…)."
    )
    assert bad_address.json()["errors"] == [
        {
            "line": 1,
            "code": "invalid_address",
            "message": bad_address.json()["detail"],
            "params": {"address": "GABC"},
        }
    ]
    assert not_an_object.json()["code"] == "invalid_field"
    assert row_counts() == counts


def test_a_destination_without_a_usdc_trustline_is_refused_before_paying(api_client, localnet):
    bare = Keypair.random().public_key
    localnet.fund(bare, xlm="10", usdc="0")

    r = post_json(
        api_client,
        "/api/v1/payouts",
        {"destination": bare, "amount": "1"},
        **{"Idempotency-Key": "sin-trustline"},
    )

    assert r.status_code == 400
    assert r.json()["code"] == "destination_no_trustline"
    assert Payout.objects.count() == 0


def test_when_no_channel_is_free_the_payout_is_accepted_and_can_be_polled(
    net_settings, client_for, recipient, settings
):
    settings.SOZU_PAYOUT_WAIT_SECONDS = 0.5
    busy = new_org(channels=0)  # every channel busy: nothing can be packed right now
    client = client_for(busy)

    r = post_json(
        client,
        "/api/v1/payouts",
        {"destination": recipient(), "amount": "1"},
        **{"Idempotency-Key": "sin-canal"},
    )

    assert r.status_code == 202
    body = r.json()
    assert body == {"id": body["id"], "status": "queued", "href": f"/api/v1/payouts/{body['id']}"}
    assert r["Location"] == body["href"]
    polled = client.get(body["href"])
    assert polled.status_code == 200
    assert polled.json()["status"] == "queued"
    assert polled.json()["tx_hash"] is None


def test_a_payout_the_network_refuses_is_answered_failed_with_a_reason(api_client, localnet):
    kp = Keypair.random()
    localnet.fund(kp.public_key, xlm="10", usdc="1")
    # Her trustline is full: it allows 1 USDC and she already holds it.
    server = Server(localnet.url)
    usdc = Asset(localnet.usdc_code, localnet.usdc_issuer)
    tx = (
        TransactionBuilder(server.load_account(kp.public_key), localnet.passphrase, base_fee=100)
        .append_operation(ChangeTrust(usdc, limit="1"))
        .set_timeout(60)
        .build()
    )
    tx.sign(kp)
    server.submit_transaction(tx)

    r = post_json(
        api_client,
        "/api/v1/payouts",
        {"destination": kp.public_key, "amount": "5"},
        **{"Accept-Language": "en", "Idempotency-Key": "linea-llena"},
    )

    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["failure_code"]) == ("failed", "op_line_full")
    assert body["failure_reason"] == "The destination's USDC trustline limit would be exceeded."
    assert usdc_balance(localnet, kp.public_key) == Decimal("1")
