"""The API fuzzed from its own OpenAPI document (schemathesis): every operation of
/api/v1/openapi.json gets generated requests, valid and invalid, with a real API key of a real
organization (funded wallet on the local network), and every answer must be no 5xx, a documented
status code, the documented content type and a body that matches the documented schema.

Deterministic: a fixed number of examples per operation, derandomized, no example database.
Some generated requests are pointed at the organization's own objects (a batch, a payout, a
webhook endpoint) and at a recipient that can really be paid, so that success answers are
checked against the document too, not only refusals.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sozu.disbursements.models import Payout
from sozu.disbursements.services.batches import batch_create
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_create
from sozu.webhooks.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Examples per operation and generation mode (valid and invalid requests): enough to reach
#: every documented refusal, few enough for the normal suite.
EXAMPLES = int(os.environ.get("SOZU_FUZZ_EXAMPLES") or 25)  # more for a deeper run by hand
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same requests on every run
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing request is reported
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The project's WSGI application, keeping the test's database connection between
    requests (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def funded_org(make_org: Callable[..., Organization], make_recipient: Callable[..., str]) -> Any:
    """An organization with USDC, a batch, a paid payout and a webhook endpoint of its own."""
    org = make_org(usdc="1000", channels=2)
    recipient = make_recipient()
    batch = batch_create(
        organization=org,
        rows=[(1, {"destination": recipient, "amount": "1"})],
        actor="test",
        name="Lote del fuzzer",
    )
    payout = Payout.objects.create(
        organization=org,
        destination=recipient,
        amount=Decimal("2"),
        status=Payout.Status.PAID,
        created_by="test",
    )
    endpoint, _ = webhook_endpoint_create(
        organization=org, url="https://hooks.example.org/sozu", actor="test"
    )
    _, token = apikey_create(organization=org, name="fuzzer", actor="test")
    return {
        "org": org,
        "token": token,
        "recipient": recipient,
        "ids": {"batch_id": [batch.pk], "payout_id": [payout.pk], "webhook_id": [endpoint.pk]},
    }


def aim(case: Any, data: st.DataObject, own: dict[str, Any]) -> None:
    """Point some requests at the organization's own objects, at a recipient that can be paid
    and at a webhook URL that is accepted, so that successes are checked too."""
    for name in list(case.path_parameters or {}):
        ids = own["ids"].get(name)
        if ids and data.draw(st.booleans(), label=f"own {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(ids))
    route = (case.operation.method.upper(), case.operation.path)
    if case.media_type != "application/json" or not data.draw(st.booleans(), label="valid"):
        return
    number = data.draw(st.integers(min_value=1, max_value=10**6), label="number")
    if route == ("POST", "/api/v1/payouts"):
        case.body = {
            "destination": own["recipient"],
            "amount": data.draw(st.sampled_from(["0.5", "1", "1.2500000"])),
            "memo": f"cuota {number}",
        }
        case.headers = {**(case.headers or {}), "Idempotency-Key": f"fuzz-{number}"}
    elif route == ("POST", "/api/v1/batches"):
        case.body = {
            "name": f"Lote {number}",
            "lines": [{"destination": own["recipient"], "amount": str(number % 7 + 1)}],
        }
    elif route == ("POST", "/api/v1/webhooks"):
        # Up to the organization's cap of active endpoints (then a documented 409).
        case.body = {"url": f"https://hooks.example.org/sozu/{number}"}


def fuzz_operation(
    operation: Any, mode: GenerationMode, own: dict[str, Any], answers: set[int]
) -> None:
    headers = {"Authorization": f"Bearer {own['token']}"}

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        if mode is GenerationMode.POSITIVE:
            aim(case, data, own)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        answers.add(response.status_code)

    run()


def test_every_operation_answers_as_documented(wsgi_app, funded_org, settings):
    # A small cap of webhook endpoints, so that the fuzzer reaches it (a 409).
    settings.SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG = 2
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    failures: list[str] = []
    answers: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # every operation of the document loads
        operation = result.ok()
        answered = answers.setdefault(operation.label, set())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_operation(operation, mode, funded_org, answered)
            # Every operation is fuzzed and every failure reported (FailureGroup is no Exception).
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(answers) == 18  # every operation of the document (16 paths)
    # The requests got past the key and the input checks: each operation did its work (a 2xx)
    # or refused a state change of a real object (409), not only 400/401/404.
    reached = {
        label for label, answered in answers.items() if any(s < 300 or s == 409 for s in answered)
    }
    assert reached == set(answers), sorted(set(answers) - reached)
    assert 409 in answers["POST /api/v1/webhooks"]  # the cap of endpoints
    assert 200 in answers["POST /api/v1/payouts"]  # paid on the local network
