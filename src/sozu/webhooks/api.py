"""JSON endpoints with which an organization registers and removes its webhook endpoints."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from sozu.disbursements.api import Caller, answer, endpoint
from sozu.disbursements.api_input import parse_json_object, read_body
from sozu.errors import SozuError
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_rotate_secret,
)

MAX_BODY_BYTES = 4096


def endpoint_as_dict(ep: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": ep.pk,
        "url": ep.url,
        "active": ep.active,
        "created_at": ep.created_at.isoformat(),
    }


@endpoint("GET", "POST")
def webhooks_api(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    if request.method == "GET":
        endpoints = WebhookEndpoint.objects.filter(organization=caller.organization).order_by("pk")
        return answer(HTTPStatus.OK, {"results": [endpoint_as_dict(e) for e in endpoints]})
    data = parse_json_object(read_body(request, max_bytes=MAX_BODY_BYTES))
    url = data.get("url")
    if not isinstance(url, str) or not url:
        raise SozuError("invalid_field", field="url")
    ep, secret = webhook_endpoint_create(
        organization=caller.organization, url=url, actor=caller.actor
    )
    # The signing secret is shown this once; only its encrypted form is kept.
    return answer(
        HTTPStatus.CREATED,
        {**endpoint_as_dict(ep), "secret": secret},
        location=f"/api/v1/webhooks/{ep.pk}",
    )


def _own_endpoint(caller: Caller, webhook_id: int) -> WebhookEndpoint:
    """The caller's endpoint; another organization's id answers 404 like a missing one."""
    ep = WebhookEndpoint.objects.filter(organization=caller.organization, pk=webhook_id).first()
    if ep is None:
        raise SozuError("not_found")
    return ep


@endpoint("DELETE")
def webhook_detail_api(request: HttpRequest, caller: Caller, webhook_id: int) -> HttpResponseBase:
    ep = webhook_endpoint_disable(endpoint=_own_endpoint(caller, webhook_id), actor=caller.actor)
    return answer(HTTPStatus.OK, endpoint_as_dict(ep))


@endpoint("POST")
def webhook_enable_api(request: HttpRequest, caller: Caller, webhook_id: int) -> HttpResponseBase:
    ep = webhook_endpoint_enable(endpoint=_own_endpoint(caller, webhook_id), actor=caller.actor)
    return answer(HTTPStatus.OK, endpoint_as_dict(ep))


@endpoint("POST")
def webhook_rotate_secret_api(
    request: HttpRequest, caller: Caller, webhook_id: int
) -> HttpResponseBase:
    ep, secret = webhook_endpoint_rotate_secret(
        endpoint=_own_endpoint(caller, webhook_id), actor=caller.actor
    )
    # The new signing secret is shown this once, like at creation.
    return answer(HTTPStatus.OK, {**endpoint_as_dict(ep), "secret": secret})


#: Routes of this module that the API's URL configuration does not include yet
#: (`sozu.disbursements.urls` adds them: `urlpatterns += webhooks_api.pending_urlpatterns`).
pending_urlpatterns: list[URLPattern] = [
    path("api/v1/webhooks/<int:webhook_id>/enable", webhook_enable_api, name="webhook-enable"),
    path(
        "api/v1/webhooks/<int:webhook_id>/rotate-secret",
        webhook_rotate_secret_api,
        name="webhook-rotate-secret",
    ),
]
