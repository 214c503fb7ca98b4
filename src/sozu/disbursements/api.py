"""The JSON API of the disbursement engine: thin function views over the services."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from sozu.disbursements.api_input import (
    canonical_json,
    choice,
    declared_length,
    paginate,
    parse_json_object,
    read_body,
)
from sozu.disbursements.api_schema import openapi_document
from sozu.disbursements.models import Batch, IdempotencyRecord, Payout
from sozu.disbursements.selectors import (
    batch_as_dict,
    batch_export_csv,
    batch_get,
    batch_lines,
    batch_list,
    payout_as_dict,
    payout_get,
)
from sozu.disbursements.services.batches import (
    batch_cancel,
    batch_create,
    batch_execute,
    batch_pause,
    batch_resume,
    batch_retry_failed,
)
from sozu.disbursements.services.lines import MAX_FILE_BYTES, rows_from_csv, rows_from_json
from sozu.disbursements.services.payouts import payout_create, payout_pay_now
from sozu.errors import SozuError
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_authenticate

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:sozu:problem:"
#: A single payout request is a handful of fields.
MAX_PAYOUT_BODY_BYTES = 64 * 1024
#: Room for the multipart envelope around a CSV file of MAX_FILE_BYTES.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
MAX_LINES_PAGE_SIZE = 1000
MAX_BATCHES_PAGE_SIZE = 100
MAX_IDEMPOTENCY_KEY_LENGTH = 255
MAX_BATCH_NAME_LENGTH = 200
PAYOUT_FIELDS = ("destination", "address", "beneficiary_id", "amount", "memo")
FINAL_PAYOUT_STATUSES = (Payout.Status.PAID, Payout.Status.FAILED, Payout.Status.CANCELLED)
#: Where a created resource lives, per idempotency scope (also rebuilt for replays).
LOCATIONS = {"payouts.create": "payouts", "batches.create": "batches"}

View = Callable[..., HttpResponseBase]
#: Stores an answer for the request's Idempotency-Key before the request is over.
Remember = Callable[[int, dict[str, Any]], None]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the API key's organization, and the actor string for the audit log."""

    organization: Organization
    actor: str


# --- the one error handler --------------------------------------------------------------


def problem_body(exc: SozuError) -> dict[str, Any]:
    """RFC 9457 problem details for a SozuError (detail in the request's language)."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{exc.code}",
        "title": exc.code.replace("_", " ").capitalize(),
        "status": exc.status,
        "detail": exc.message,
        "code": exc.code,
        "errors": exc.errors,
    }
    if exc.params:
        body["params"] = {k: str(v) for k, v in exc.params.items()}
    return body


def answer(status: int, body: dict[str, Any], *, location: str | None = None) -> JsonResponse:
    """A JSON answer; errors (status >= 400) are application/problem+json."""
    response = JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE if status >= 400 else "application/json",
        json_dumps_params={"ensure_ascii": False},
    )
    if location:
        response["Location"] = location
    if status == HTTPStatus.UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="sozu"'
    return response


def error_response(exc: SozuError) -> JsonResponse:
    return answer(exc.status, problem_body(exc))


def endpoint(*methods: str, public: bool = False) -> Callable[[View], View]:
    """Method check, API key authentication and the SozuError handler around a view.

    Authenticated views receive a `Caller` after the request. CSRF does not apply: the API
    authenticates with keys in a header, never with cookies.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in methods:
                    raise SozuError("method_not_allowed", method=request.method)
                if public:
                    response = view(request, **kwargs)
                else:
                    response = view(request, authenticate(request), **kwargs)
            except SozuError as exc:
                response = error_response(exc)
                if exc.code == "method_not_allowed":
                    response["Allow"] = ", ".join(methods)
            if not public:
                response["Cache-Control"] = "no-store"  # money and contact details
            return response

        wrapper.allowed_methods = methods  # type: ignore[attr-defined]  # read by allowed_methods
        return csrf_exempt(wrapper)

    return decorate


def allowed_methods(view: object) -> tuple[str, ...]:
    """The HTTP methods an API view accepts."""
    return tuple(getattr(view, "allowed_methods", ()))


def authenticate(request: HttpRequest) -> Caller:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise SozuError("unauthenticated")
    key = apikey_authenticate(token.strip())
    if key is None:
        raise SozuError("unauthenticated")
    return Caller(organization=key.organization, actor=f"api:{key.prefix}")


# --- idempotency ------------------------------------------------------------------------


def request_fingerprint(method: str, path: str, canonical_body: bytes) -> str:
    """SHA-256 of the canonical request: a retry must repeat method, path and body."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical_body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def location_for(scope: str, status: int, body: dict[str, Any]) -> str | None:
    if status in (HTTPStatus.CREATED, HTTPStatus.ACCEPTED) and "id" in body:
        return f"{API_PREFIX}/{LOCATIONS[scope]}/{body['id']}"
    return None


def idempotent(
    request: HttpRequest,
    caller: Caller,
    *,
    scope: str,
    canonical_body: bytes,
    run: Callable[[Remember], tuple[int, dict[str, Any]]],
) -> HttpResponseBase:
    """Run `run` at most once per Idempotency-Key; a retry gets the first answer back.

    The record is inserted first (the unique constraint makes a concurrent duplicate fail),
    then the service runs, then its answer is stored. A SozuError answer is stored too, except
    5xx ones (nothing was done: the client should retry). `run` calls `remember(status, body)`
    as soon as something exists (a payout is created before it is paid): if the request dies
    after that, a retry gets that answer instead of creating the object again. Only when
    nothing was remembered does an unexpected exception delete the record for a clean retry.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = run(lambda status, body: None)
        return answer(status, body, location=location_for(scope, status, body))
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise SozuError("invalid_field", field="Idempotency-Key")
    fingerprint = request_fingerprint(request.method or "", request.path, canonical_body)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organization=caller.organization, scope=scope, key=key, request_hash=fingerprint
            )
    except IntegrityError:
        return idempotent_replay(caller, scope=scope, key=key, fingerprint=fingerprint)
    remembered: list[bool] = []

    def remember(status: int, body: dict[str, Any]) -> None:
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            response_status=status, response_body=body
        )
        remembered.append(True)

    try:
        status, body = run(remember)
    except SozuError as exc:
        if exc.status >= 500 and not remembered:
            record.delete()
            raise
        status, body = exc.status, problem_body(exc)
    except BaseException:
        if not remembered:
            record.delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body
    )
    return answer(status, body, location=location_for(scope, status, body))


def idempotent_replay(
    caller: Caller, *, scope: str, key: str, fingerprint: str
) -> HttpResponseBase:
    record = IdempotencyRecord.objects.filter(
        organization=caller.organization, scope=scope, key=key
    ).first()
    if record is None:
        # Deleted between our insert and this read: the first request failed unexpectedly.
        raise SozuError("idempotency_in_progress")
    if record.request_hash != fingerprint:
        raise SozuError("idempotency_conflict")
    if record.response_status is None or record.response_body is None:
        raise SozuError("idempotency_in_progress")
    status, body = record.response_status, record.response_body
    response = answer(status, body, location=location_for(scope, status, body))
    response["Idempotent-Replayed"] = "true"
    return response


# --- payouts ----------------------------------------------------------------------------


def payout_href(payout_id: int) -> str:
    return f"{API_PREFIX}/payouts/{payout_id}"


def payout_wait_seconds() -> float:
    return float(getattr(settings, "SOZU_PAYOUT_WAIT_SECONDS", 20.0))


def payout_accepted(payout: Payout) -> dict[str, Any]:
    return {"id": payout.pk, "status": payout.status, "href": payout_href(payout.pk)}


def payout_create_and_pay(
    caller: Caller, data: dict[str, Any], remember: Remember
) -> tuple[int, dict[str, Any]]:
    payout = payout_create(organization=caller.organization, data=data, actor=caller.actor)
    # From here on the payout exists: a retry with the same key must find it, never a twin.
    remember(HTTPStatus.ACCEPTED, payout_accepted(payout))
    try:
        payout = payout_pay_now(payout=payout, worker="api", wait_seconds=payout_wait_seconds())
    except Exception:
        # The payout exists and is queued, so the worker will pay it. An error answer here
        # would invite a retry with a new key, and that would pay twice.
        log.exception("paying at once failed; the worker will pay", extra={"payout": payout.pk})
        payout.refresh_from_db()
    if payout.status in FINAL_PAYOUT_STATUSES:
        return HTTPStatus.OK, payout_as_dict(payout)
    return HTTPStatus.ACCEPTED, payout_accepted(payout)


@endpoint("POST")
def payouts_api(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    """POST: create a single payout and pay it now (200), or report it queued (202)."""
    data = parse_json_object(read_body(request, max_bytes=MAX_PAYOUT_BODY_BYTES))
    fields = {k: data[k] for k in PAYOUT_FIELDS if k in data}
    return idempotent(
        request,
        caller,
        scope="payouts.create",
        canonical_body=canonical_json(data),
        run=lambda remember: payout_create_and_pay(caller, fields, remember),
    )


@endpoint("GET")
def payout_detail_api(request: HttpRequest, caller: Caller, payout_id: int) -> HttpResponseBase:
    payout = payout_get(organization=caller.organization, payout_id=payout_id)
    return answer(HTTPStatus.OK, payout_as_dict(payout))


# --- batches ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchInput:
    name: str
    rows: list[tuple[int, dict[str, Any]]]
    canonical_body: bytes


def batch_input(request: HttpRequest) -> BatchInput:
    """The batch's name and lines from JSON, a CSV body, or a multipart CSV upload."""
    content_type = request.content_type or ""
    if content_type == "application/json":
        data = parse_json_object(read_body(request, max_bytes=MAX_FILE_BYTES))
        name = data.get("name", "")
        rows = rows_from_json(data.get("lines"))
        canonical = b"json\n" + canonical_json(data)
    elif content_type == "text/csv":
        raw = read_body(request, max_bytes=MAX_FILE_BYTES)
        name = request.GET.get("name", "")
        rows = list(rows_from_csv(raw))
        canonical = b"csv\n" + canonical_json(name) + b"\n" + raw
    elif content_type == "multipart/form-data":
        raw, name = multipart_csv(request)
        rows = list(rows_from_csv(raw))
        # The multipart boundary changes between retries; the name and file are the request.
        canonical = b"csv\n" + canonical_json(name) + b"\n" + raw
    else:
        raise SozuError("unsupported_media_type")
    if not isinstance(name, str) or len(name) > MAX_BATCH_NAME_LENGTH:
        raise SozuError("invalid_field", field="name")
    return BatchInput(name=name.strip(), rows=rows, canonical_body=canonical)


def multipart_csv(request: HttpRequest) -> tuple[bytes, str]:
    if declared_length(request) > MAX_FILE_BYTES + MULTIPART_OVERHEAD_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_FILE_BYTES)
    try:
        upload = request.FILES.get("file")
        name = request.POST.get("name", "")
    except MultiPartParserError:
        raise SozuError("csv_malformed", reason="malformed multipart body") from None
    if upload is None:
        raise SozuError("invalid_field", field="file")
    if (upload.size or 0) > MAX_FILE_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_FILE_BYTES)
    return upload.read(), name


def batch_href(batch_id: int) -> str:
    return f"{API_PREFIX}/batches/{batch_id}"


@endpoint("GET", "POST")
def batches_api(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    """GET: the organization's batches (paginated). POST: create a batch (201)."""
    if request.method == "GET":
        status = choice(request, "status", Batch.Status.values)
        qs = batch_list(organization=caller.organization, status=status)
        page = paginate(request, qs, batch_as_dict, max_page_size=MAX_BATCHES_PAGE_SIZE)
        return answer(HTTPStatus.OK, page)
    given = batch_input(request)

    def run(remember: Remember) -> tuple[int, dict[str, Any]]:
        batch = batch_create(
            organization=caller.organization, rows=given.rows, actor=caller.actor, name=given.name
        )
        return HTTPStatus.CREATED, batch_as_dict(batch)

    return idempotent(
        request, caller, scope="batches.create", canonical_body=given.canonical_body, run=run
    )


@endpoint("GET")
def batch_detail_api(request: HttpRequest, caller: Caller, batch_id: int) -> HttpResponseBase:
    batch = batch_get(organization=caller.organization, batch_id=batch_id)
    return answer(HTTPStatus.OK, batch_as_dict(batch))


@endpoint("GET")
def batch_lines_api(request: HttpRequest, caller: Caller, batch_id: int) -> HttpResponseBase:
    batch = batch_get(organization=caller.organization, batch_id=batch_id)
    status = choice(request, "status", Payout.Status.values)
    page = paginate(
        request,
        batch_lines(batch=batch, status=status),
        payout_as_dict,
        max_page_size=MAX_LINES_PAGE_SIZE,
    )
    return answer(HTTPStatus.OK, page)


@endpoint("GET")
def batch_export_api(request: HttpRequest, caller: Caller, batch_id: int) -> HttpResponseBase:
    """The lines with beneficiary contact details, streamed as CSV (for reconciliation)."""
    batch = batch_get(organization=caller.organization, batch_id=batch_id)
    response = StreamingHttpResponse(
        batch_export_csv(batch=batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.csv"'
    return response


BatchAction = Callable[..., Batch]


def batch_action_api(service: BatchAction, status: int) -> View:
    """A view that runs one state transition of a batch and answers with the batch."""

    @endpoint("POST")
    def view(request: HttpRequest, caller: Caller, batch_id: int) -> HttpResponseBase:
        batch = service(organization=caller.organization, batch_id=batch_id, actor=caller.actor)
        return answer(status, batch_as_dict(batch))

    view.__name__ = view.__qualname__ = f"{service.__name__}_api"
    return view


batch_execute_api = batch_action_api(batch_execute, HTTPStatus.ACCEPTED)
batch_pause_api = batch_action_api(batch_pause, HTTPStatus.OK)
batch_resume_api = batch_action_api(batch_resume, HTTPStatus.OK)
batch_cancel_api = batch_action_api(batch_cancel, HTTPStatus.OK)
batch_retry_api = batch_action_api(batch_retry_failed, HTTPStatus.OK)


# --- the API's own description ----------------------------------------------------------


@endpoint("GET", public=True)
def openapi_api(request: HttpRequest) -> HttpResponseBase:
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def not_found_api(request: HttpRequest) -> HttpResponseBase:
    """Unknown API URLs answer like every other API error (problem+json), not with HTML."""
    return error_response(SozuError("not_found"))
