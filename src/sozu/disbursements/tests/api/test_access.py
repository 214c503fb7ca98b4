"""Only an organization's own API keys reach its money; another's ids look like missing ones."""

from __future__ import annotations

import pytest
from django.test import Client

from sozu.disbursements.models import Batch
from sozu.disbursements.tests.api.helpers import new_org, post_json, row_counts
from sozu.orgs.services import apikey_create, apikey_revoke

pytestmark = pytest.mark.django_db(transaction=True)


def test_without_a_valid_key_nothing_is_answered_but_401(org, recipient):
    _, token = apikey_create(organization=org, name="old", actor="test")
    key = org.api_keys.get()
    apikey_revoke(key=key, actor="test")
    body = {"destination": recipient(), "amount": "1"}
    counts = row_counts()

    for authorization in (None, "Basic dXNlcjpwYXNz", "Bearer sozu_nope_nope", f"Bearer {token}"):
        client = Client(HTTP_AUTHORIZATION=authorization) if authorization else Client()
        for r in (
            client.get("/api/v1/batches"),
            post_json(client, "/api/v1/payouts", body),
            client.post("/api/v1/batches/1/execute"),
        ):
            assert r.status_code == 401, authorization
            assert r["Content-Type"] == "application/problem+json"
            assert r["WWW-Authenticate"] == 'Bearer realm="sozu"'
            assert r["Cache-Control"] == "no-store"
            assert r.json()["code"] == "unauthenticated"
    assert row_counts() == counts


def test_every_new_key_works(org):
    # Keys are random: enough of them that some have "_" inside their secret part.
    for _ in range(30):
        _, token = apikey_create(organization=org, name="ci", actor="test")
        r = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/batches")
        assert r.status_code == 200, token


def test_another_organizations_batch_and_payout_look_missing(
    org, api_client, client_for, recipient
):
    batch = post_json(
        api_client, "/api/v1/batches", {"lines": [{"destination": recipient(), "amount": "1"}]}
    ).json()
    payout = post_json(
        api_client,
        "/api/v1/payouts",
        {"destination": recipient(), "amount": "1"},
        **{"Idempotency-Key": "pago-ajeno"},
    )
    intruder = client_for(new_org(channels=0))
    missing = intruder.get("/api/v1/batches/999999").json()

    for r in (
        intruder.get(f"/api/v1/batches/{batch['id']}"),
        intruder.get(f"/api/v1/batches/{batch['id']}/lines"),
        intruder.get(f"/api/v1/batches/{batch['id']}/export.csv"),
        intruder.post(f"/api/v1/batches/{batch['id']}/execute"),
        intruder.post(f"/api/v1/batches/{batch['id']}/cancel"),
        intruder.get(f"/api/v1/payouts/{payout.json()['id']}"),
    ):
        assert r.status_code == 404
        assert r.json() == missing
    assert Batch.objects.get(pk=batch["id"]).status == "validated"
    assert intruder.get("/api/v1/batches").json()["count"] == 0


def test_the_api_needs_no_csrf_token(org):
    _, token = apikey_create(organization=org, name="server", actor="test")
    strict = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")

    r = post_json(strict, "/api/v1/batches", {"lines": []})

    assert r.status_code == 400
    assert r.json()["code"] == "empty_batch"


def test_a_wrong_method_is_refused_with_the_allowed_ones(api_client):
    r = api_client.delete("/api/v1/batches")

    assert r.status_code == 405
    assert r["Allow"] == "GET, POST"
    assert r.json()["code"] == "method_not_allowed"


def test_messages_follow_accept_language_spanish_by_default(api_client):
    spanish = post_json(api_client, "/api/v1/batches", {"lines": []})
    english = post_json(api_client, "/api/v1/batches", {"lines": []}, **{"Accept-Language": "en"})

    assert spanish["Content-Language"] == "es"
    assert english["Content-Language"] == "en"
    assert english.json()["detail"] == "The batch has no lines."
    assert spanish.json()["detail"] != english.json()["detail"]
    assert spanish.json()["code"] == english.json()["code"] == "empty_batch"
