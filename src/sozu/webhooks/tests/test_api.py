"""An NGO re-enables a webhook endpoint and rotates its secret through the API."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.audit.models import AuditEvent
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_create
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import webhook_deliver_due, webhook_event_emit
from sozu.webhooks.signing import webhook_signature_verify
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.django_db


def _client(org: Organization, language: str = "es") -> Client:
    _, token = apikey_create(organization=org, name="tests", actor="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language)


def _register(api: Client, url: str) -> int:
    r = api.post("/api/v1/webhooks", {"url": url}, content_type="application/json")
    assert r.status_code == 201
    return int(r.json()["id"])


def test_a_disabled_endpoint_is_enabled_again(org: Organization, receiver: Receiver) -> None:
    api = _client(org)
    ep_id = _register(api, receiver.url)
    api.delete(f"/api/v1/webhooks/{ep_id}")

    r = api.post(f"/api/v1/webhooks/{ep_id}/enable")

    assert r.status_code == 200
    assert r.json()["active"] is True and r.json()["id"] == ep_id
    assert "secret" not in r.json()
    again = api.post(f"/api/v1/webhooks/{ep_id}/enable")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert api.get("/api/v1/webhooks").json()["results"][0]["active"] is True


def test_the_rotated_secret_is_shown_once_and_signs_from_then_on(
    org: Organization, receiver: Receiver
) -> None:
    api = _client(org)
    created = api.post("/api/v1/webhooks", {"url": receiver.url}, content_type="application/json")
    ep_id, old = created.json()["id"], created.json()["secret"]

    r = api.post(f"/api/v1/webhooks/{ep_id}/rotate-secret")

    assert r.status_code == 200
    new = r.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert "secret" not in api.get("/api/v1/webhooks").json()["results"][0]
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    webhook_deliver_due()
    [request] = receiver.requests
    assert webhook_signature_verify(new, request.headers["Sozu-Signature"], request.body)
    assert not webhook_signature_verify(old, request.headers["Sozu-Signature"], request.body)


def test_another_organizations_endpoint_answers_404_and_is_untouched(org: Organization) -> None:
    ep_id = _register(_client(org), "https://ong.example.org/h")
    other = _client(OrganizationFactory.create())
    before = WebhookEndpoint.objects.get(pk=ep_id).secret_ciphertext

    for action in ("enable", "rotate-secret"):
        r = other.post(f"/api/v1/webhooks/{ep_id}/{action}")
        assert (r.status_code, r.json()["code"]) == (404, "not_found")

    assert WebhookEndpoint.objects.get(pk=ep_id).secret_ciphertext == before
    assert not AuditEvent.objects.filter(action="webhook_endpoint.secret_rotated").exists()


def test_other_methods_are_refused(org: Organization) -> None:
    api = _client(org)
    ep_id = _register(api, "https://ong.example.org/h")

    r = api.get(f"/api/v1/webhooks/{ep_id}/rotate-secret")

    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")
    assert r["Allow"] == "POST"


def test_the_endpoint_cap_is_a_clear_409_in_the_callers_language(
    org: Organization, settings: SettingsWrapper
) -> None:
    settings.SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG = 1
    api = _client(org, language="en")
    _register(api, "https://a.example/h")

    r = api.post(
        "/api/v1/webhooks", {"url": "https://b.example/h"}, content_type="application/json"
    )

    assert r.status_code == 409
    assert r.json()["code"] == "webhook_endpoints_limit"
    assert r.json()["detail"] == (
        "The maximum of active webhook endpoints per organization (1) was reached."
    )
    assert WebhookEndpoint.objects.filter(organization=org).count() == 1
