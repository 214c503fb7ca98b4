"""Integrators read /api/v1/openapi.json: a valid OpenAPI 3.1 document of every endpoint."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern
from openapi_spec_validator import validate

from sozu.disbursements import urls
from sozu.disbursements.api import allowed_methods

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document() -> dict:
    r = Client().get("/api/v1/openapi.json")  # public: no key needed to read the contract
    assert r.status_code == 200
    assert r["Content-Type"] == "application/json"
    return r.json()


def api_routes() -> dict[str, URLPattern]:
    """OpenAPI path → URL pattern, for every route of the API."""
    routes = {}
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = "/" + str(pattern.pattern)
        if route.startswith("/api/v1/"):
            routes[re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)] = pattern
    return routes


@pytest.mark.django_db
def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1")


@pytest.mark.django_db
def test_every_endpoint_and_method_is_described(document):
    routes = api_routes()

    assert set(document["paths"]) == set(routes)
    for path, pattern in routes.items():
        described = {m.upper() for m in document["paths"][path] if m in HTTP_METHODS}
        assert described == set(allowed_methods(pattern.callback)), path


@pytest.mark.django_db
def test_keys_idempotency_and_problems_are_documented(document):
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    for path in ("/api/v1/payouts", "/api/v1/batches"):
        op = document["paths"][path]["post"]
        params = [p["$ref"] for p in op["parameters"]]
        assert "#/components/parameters/IdempotencyKey" in params
        assert {"400", "401", "409", "422"} <= set(op["responses"])
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem["required"])
    for path, item in document["paths"].items():
        for method, op in item.items():
            if path != "/api/v1/openapi.json":
                assert "401" in op["responses"], (method, path)
