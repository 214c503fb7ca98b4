"""JSON endpoints with which an organization registers and removes its webhook endpoints."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import BeforeValidator, Field

from sozu.core.api import API_PREFIX, ObjectId, caller_of, problems, refuse
from sozu.errors import SozuError
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_rotate_secret,
)

MAX_BODY_BYTES = 4096
#: The longest URL the database keeps (PostgreSQL refuses a longer one with an error).
MAX_URL_LENGTH = WebhookEndpoint._meta.get_field("url").max_length or 500

router = Router(tags=["webhooks"])


def url_input(value: object) -> object:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_URL_LENGTH
        or not value.isprintable()  # a NUL cannot be stored by PostgreSQL
    ):
        raise refuse("invalid_field", field="url")
    return value


class WebhookIn(Schema):
    url: Annotated[
        str,
        BeforeValidator(url_input),
        Field(description="HTTPS URL that receives signed events.", max_length=MAX_URL_LENGTH),
    ]


class WebhookOut(Schema):
    id: int
    url: str
    active: bool
    created_at: str


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret, shown this once.")


class WebhookList(Schema):
    results: list[WebhookOut]


def endpoint_as_dict(ep: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": ep.pk,
        "url": ep.url,
        "active": ep.active,
        "created_at": ep.created_at.isoformat(),
    }


@router.get("/webhooks", response={200: WebhookList, **problems()})
def webhooks_list_api(request: HttpRequest) -> dict[str, Any]:
    organization = caller_of(request).organization
    endpoints = WebhookEndpoint.objects.filter(organization=organization).order_by("pk")
    return {"results": [endpoint_as_dict(e) for e in endpoints]}


@router.post(
    "/webhooks",
    # 409: the organization already has its maximum of active endpoints.
    response={201: WebhookCreated, **problems(400, 409, 413)},
)
def webhooks_create_api(
    request: HttpRequest, payload: WebhookIn, response: HttpResponse
) -> Status[Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_BODY_BYTES)
    caller = caller_of(request)
    ep, secret = webhook_endpoint_create(
        organization=caller.organization, url=payload.url, actor=caller.actor
    )
    response["Location"] = f"{API_PREFIX}/webhooks/{ep.pk}"
    # The signing secret is shown this once; only its encrypted form is kept.
    return Status(HTTPStatus.CREATED, {**endpoint_as_dict(ep), "secret": secret})


def _own_endpoint(request: HttpRequest, webhook_id: int) -> tuple[WebhookEndpoint, str]:
    """The caller's endpoint and actor; another organization's id answers 404 like a missing one."""
    caller = caller_of(request)
    ep = WebhookEndpoint.objects.filter(organization=caller.organization, pk=webhook_id).first()
    if ep is None:
        raise SozuError("not_found")
    return ep, caller.actor


@router.delete("/webhooks/{webhook_id}", response={200: WebhookOut, **problems(400, 404, 409)})
def webhook_detail_api(request: HttpRequest, webhook_id: ObjectId) -> dict[str, Any]:
    ep, actor = _own_endpoint(request, webhook_id)
    return endpoint_as_dict(webhook_endpoint_disable(endpoint=ep, actor=actor))


@router.post("/webhooks/{webhook_id}/enable", response={200: WebhookOut, **problems(400, 404, 409)})
def webhook_enable_api(request: HttpRequest, webhook_id: ObjectId) -> dict[str, Any]:
    """Turn a disabled endpoint back on (its URL is checked again)."""
    ep, actor = _own_endpoint(request, webhook_id)
    return endpoint_as_dict(webhook_endpoint_enable(endpoint=ep, actor=actor))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response={200: WebhookCreated, **problems(400, 404, 409)},
)
def webhook_rotate_secret_api(request: HttpRequest, webhook_id: ObjectId) -> dict[str, Any]:
    """A new signing secret, shown this once; the old one stops signing at once."""
    ep, actor = _own_endpoint(request, webhook_id)
    ep, secret = webhook_endpoint_rotate_secret(endpoint=ep, actor=actor)
    return {**endpoint_as_dict(ep), "secret": secret}
