"""An NGO registers a webhook through the API and receives signed events of its payouts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sozu.disbursements.tests.engine.helpers import run_worker
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import webhook_deliver_due
from sozu.webhooks.signing import webhook_signature_verify
from sozu.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    r = Receiver().start()
    yield r
    r.stop()


def _register(api_client, url: str):
    return api_client.post(
        "/api/v1/webhooks", json.dumps({"url": url}), content_type="application/json"
    )


def test_registered_endpoint_receives_a_signed_paid_event(api_client, recipient, receiver):
    r = _register(api_client, receiver.url)
    assert r.status_code == 201
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    assert api_client.get("/api/v1/webhooks").json()["results"][0]["url"] == receiver.url
    assert "secret" not in api_client.get("/api/v1/webhooks").json()["results"][0]

    payout = api_client.post(
        "/api/v1/payouts",
        json.dumps({"destination": recipient(), "amount": "3"}),
        content_type="application/json",
        headers={"Idempotency-Key": "pago-webhook"},
    ).json()
    run_worker()
    webhook_deliver_due()

    events = [json.loads(x.body) for x in receiver.requests]
    paid = [e for e in events if e["type"] == "payout.paid"]
    assert len(paid) == 1
    assert paid[0]["data"]["payout_id"] == payout["id"]
    assert paid[0]["data"]["tx_hash"] == payout["tx_hash"]
    delivery = next(x for x in receiver.requests if json.loads(x.body)["type"] == "payout.paid")
    assert webhook_signature_verify(secret, delivery.headers["Sozu-Signature"], delivery.body)


def test_plain_http_to_another_host_is_refused(api_client):
    r = _register(api_client, "http://example.org/hooks")
    assert r.status_code == 400
    assert r.json()["code"] == "webhook_url_invalid"
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_is_disabled_once_and_other_orgs_cannot_touch_it(
    api_client, receiver, client_for, make_org
):
    ep_id = _register(api_client, receiver.url).json()["id"]
    other = client_for(make_org(channels=0))
    assert other.delete(f"/api/v1/webhooks/{ep_id}").status_code == 404
    assert other.get("/api/v1/webhooks").json()["results"] == []

    r = api_client.delete(f"/api/v1/webhooks/{ep_id}")
    assert (r.status_code, r.json()["active"]) == (200, False)
    again = api_client.delete(f"/api/v1/webhooks/{ep_id}")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
