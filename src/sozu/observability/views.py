"""`/metrics` in Prometheus text format, behind a bearer token except on local defaults."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

import sozu.stellar.metrics  # noqa: F401  (registers the Horizon metrics in REGISTRY)
from sozu.observability.collectors import sozu_registry

_REGISTRY = sozu_registry()


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Database counts (correct across processes) plus this process's Horizon metrics."""
    token = settings.SOZU_METRICS_TOKEN
    if token and not _authorized(request, token):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not token and not settings.SOZU_METRICS_OPEN:
        # Production without a token: counts and balances are not for anyone who asks.
        return HttpResponse(
            "Set SOZU_METRICS_TOKEN to scrape /metrics (or SOZU_METRICS_OPEN=1).\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    body = generate_latest(REGISTRY) + generate_latest(_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
