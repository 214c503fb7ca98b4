"""What the API fuzzer (test_api_fuzz.py) found, one regression test each: the answer a caller
gets is the one the OpenAPI document promises for that operation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from tests.factories import OrganizationFactory

from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_create

pytestmark = pytest.mark.django_db


def document() -> dict[str, Any]:
    return dict(Client().get("/api/v1/openapi.json").json())


def documented(method: str, path: str, status: int) -> dict[str, Any]:
    """The document's answer for `status`; fails if the operation does not list it."""
    responses = document()["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    return dict(responses[str(status)])


def api(org: Organization) -> Client:
    _, token = apikey_create(organization=org, name="tests", actor="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_webhook_endpoint_cap_answers_a_documented_409(settings: SettingsWrapper) -> None:
    # Found: POST /webhooks answered 409 webhook_endpoints_limit, which it did not document.
    settings.SOZU_MASTER_KEY = "test"
    settings.SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG = 1
    client = api(OrganizationFactory.create())
    first = client.post(
        "/api/v1/webhooks", {"url": "https://a.example/h"}, content_type="application/json"
    )
    assert first.status_code == 201

    r = client.post(
        "/api/v1/webhooks", {"url": "https://b.example/h"}, content_type="application/json"
    )

    assert (r.status_code, r.json()["code"]) == (409, "webhook_endpoints_limit")
    assert r["Content-Type"] == "application/problem+json"
    answer = documented("POST", "/api/v1/webhooks", 409)
    assert set(answer["content"]) == {"application/problem+json"}


def test_a_payout_without_idempotency_key_is_a_documented_400() -> None:
    org = OrganizationFactory.create()
    assert org.require_idempotency_key  # the default

    r = api(org).post(
        "/api/v1/payouts",
        {"destination": "G" + "A" * 55, "amount": "1"},
        content_type="application/json",
    )

    assert (r.status_code, r.json()["code"]) == (400, "idempotency_key_required")
    answer = documented("POST", "/api/v1/payouts", 400)
    assert "idempotency_key_required" in answer["description"]
    assert set(answer["content"]) == {"application/problem+json"}
