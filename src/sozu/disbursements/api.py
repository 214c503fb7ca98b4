"""The JSON API of the disbursement engine: ninja operations over the services.

Schemas type what comes in and goes out (the OpenAPI document is generated from them); the
checks of a line's content (address, amount, memo, limits) stay in the services, so JSON, CSV
and the command line share them and report refusals per line.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError

from sozu.core.api import (
    API_PREFIX,
    Caller,
    ObjectId,
    answer,
    caller_of,
    problem_body,
    problems,
    refusal,
    refuse,
)
from sozu.core.api_input import (
    MAX_PAGE_NUMBER,
    PAGE_NUMBER,
    canonical_json,
    declared_length,
    paginate,
    parse_json_object,
    read_body,
)
from sozu.core.ids import MAX_ID, parse_id
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
from sozu.disbursements.services.lines import MAX_FILE_BYTES, rows_from_csv
from sozu.disbursements.services.payouts import payout_create, payout_pay_now
from sozu.errors import SozuError, shown

log = logging.getLogger(__name__)

#: A single payout request is a handful of fields.
MAX_PAYOUT_BODY_BYTES = 64 * 1024
#: Room for the multipart envelope around a CSV file of MAX_FILE_BYTES.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
MAX_LINES_PAGE_SIZE = 1000
MAX_BATCHES_PAGE_SIZE = 100
MAX_IDEMPOTENCY_KEY_LENGTH = 255
MAX_BATCH_NAME_LENGTH = 200
#: An Idempotency-Key whose request died before creating anything is released after this.
DEFAULT_IDEMPOTENCY_STALE_SECONDS = 300.0
FINAL_PAYOUT_STATUSES = (Payout.Status.PAID, Payout.Status.FAILED, Payout.Status.CANCELLED)
#: Where a created resource lives, per idempotency scope (also rebuilt for replays).
LOCATIONS = {"payouts.create": "payouts", "batches.create": "batches"}

router = Router(tags=["disbursements"])


# --- input types: a refusal carries our code, the line's content is checked by the service ---


def amount_input(value: object) -> object:
    if isinstance(value, float):
        raise refuse("amount_float", value=shown(value))
    if isinstance(value, bool) or not isinstance(value, str | int | type(None)):
        raise refuse("amount_invalid", value=shown(value))
    return None if value is None else str(value)


def text_input(code: str, param: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise refuse(code, **{param: shown(value)} if param else {})
        return value

    return check


def beneficiary_id_input(value: object) -> object:
    if value is None or value == "":
        return None
    found = parse_id(value)
    if found is None:
        raise refuse("beneficiary_id_invalid", value=shown(value))
    return found


def page_input(value: object) -> object:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not PAGE_NUMBER.fullmatch(value):
        raise refuse("invalid_field")
    if not 1 <= int(value) <= MAX_PAGE_NUMBER:
        raise refuse("invalid_field")
    return int(value)


def status_input(value: object) -> object:
    return value or None


AMOUNT_DESCRIPTION = (
    "USDC as a decimal string: ASCII digits, '.' for decimals, at most 7 decimals. Whole "
    "JSON numbers are accepted; numbers with a fraction are refused (amount_float), and so is "
    "text that looks like a thousands separator such as 1.000 (amount_ambiguous_thousands)."
)
Amount = Annotated[
    str | None,
    BeforeValidator(amount_input),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]+(\.[0-9]{1,7})?$",
            "examples": ["12.50"],
            "description": AMOUNT_DESCRIPTION,
        }
    ),
]
Address = Annotated[
    str | None,
    BeforeValidator(text_input("invalid_address", "address")),
    Field(description="A Stellar address (G…) or a muxed address (M…)."),
]
Memo = Annotated[
    str | None,
    BeforeValidator(text_input("memo_not_text", "")),
    Field(description="Printable text, at most 28 bytes in UTF-8."),
]
BeneficiaryId = Annotated[
    int | None,
    BeforeValidator(beneficiary_id_input),
    Field(description=f"An approved beneficiary of the organization (1 to {MAX_ID})."),
]
PageNumber = Annotated[
    int | None,
    BeforeValidator(page_input),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER}),
]
BatchStatus = Annotated[
    str | None,
    BeforeValidator(status_input),
    WithJsonSchema({"type": "string", "enum": list[Any](Batch.Status.values)}),
]
LineStatus = Annotated[
    str | None,
    BeforeValidator(status_input),
    WithJsonSchema({"type": "string", "enum": list[Any](Payout.Status.values)}),
]


def page_query() -> Any:
    return Query(None, description="The page, from 1 (default 1).")


def page_size_query(most: int) -> Any:
    return Query(None, description=f"Items per page (default 100, at most {most}).")


def status_query(of: str) -> Any:
    return Query(None, description=f"Only {of} in this status.")


class LineIn(Schema):
    """One payment: exactly one of `destination` and `beneficiary_id`, and an amount."""

    destination: Address = None
    address: Address = Field(None, description="Same as destination.")
    beneficiary_id: BeneficiaryId = None
    amount: Amount = None
    memo: Memo = None


class PayoutIn(LineIn):
    """A single payout: one line, paid at once."""


class BatchIn(Schema):
    name: str = Field("", max_length=MAX_BATCH_NAME_LENGTH)
    lines: list[LineIn]


# --- output types -------------------------------------------------------------------------


class Out(Schema):
    # Fields the services add later still reach the caller (documented fields are the contract).
    model_config = ConfigDict(extra="allow")


class PayoutOut(Out):
    id: int
    batch_id: int | None
    line: int | None
    destination: str
    beneficiary_id: int | None
    amount: str = Field(examples=["12.5000000"])
    memo: str
    status: str = Field(json_schema_extra={"enum": list[Any](Payout.Status.values)})
    tx_hash: str | None = Field(description="The Stellar transaction that paid it.")
    outer_tx_hash: str | None = Field(
        default=None,
        description=(
            "The hash Horizon shows for the payment: the fee bump's when the transaction was "
            "fee-bumped, otherwise the same as tx_hash."
        ),
    )
    ledger: int | None
    failure_code: str | None
    failure_reason: str | None
    created_at: str | None
    paid_at: str | None


class PayoutAccepted(Out):
    """Queued: not paid yet; poll `href`."""

    id: int
    status: str
    href: str


class StatusTotal(Schema):
    count: int
    amount: str


class BatchStats(Out):
    lines: int
    total_amount: str
    paid_count: int
    paid_amount: str
    by_status: dict[str, StatusTotal] = Field(
        description="Per line status: how many lines and their total amount."
    )
    duration_seconds: float | None


class BatchOut(Out):
    id: int
    name: str
    status: str = Field(json_schema_extra={"enum": list[Any](Batch.Status.values)})
    pause_code: str | None
    pause_reason: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    stats: BatchStats


class BatchCreated(Out):
    """What a retry gets if the first request died right after creating the batch."""

    id: int
    status: str
    href: str


class Page(Schema):
    count: int
    page: int
    page_size: int
    next: str | None = Field(description="The URL of the next page, or null on the last.")
    previous: str | None


class BatchPage(Page):
    results: list[BatchOut]


class LinePage(Page):
    results: list[PayoutOut]


# --- idempotency --------------------------------------------------------------------------


@dataclass(frozen=True)
class Creating:
    """The Idempotency-Key record of the request that is creating something right now."""

    record_id: int
    scope: str


#: Set while a keyed request runs its service: what it creates is linked to the key at once.
creating: ContextVar[Creating | None] = ContextVar("sozu_idempotency_creating", default=None)


@contextmanager
def creating_for(record: IdempotencyRecord | None, scope: str) -> Iterator[None]:
    token = creating.set(Creating(record.pk, scope) if record else None)
    try:
        yield
    finally:
        creating.reset(token)


def link_to_key(scope: str, status: int, body: dict[str, Any]) -> None:
    """Store the answer for the running request's key in the transaction that created the
    object: a record without an answer then proves that nothing was created for it. If the
    record was released meanwhile (the request took longer than the timeout and a retry
    took over), the creation is refused and rolled back, so one key never makes two."""
    current = creating.get()
    if current is None or current.scope != scope:
        return
    linked = IdempotencyRecord.objects.filter(
        pk=current.record_id, response_status__isnull=True
    ).update(response_status=status, response_body=body)
    if not linked:
        raise SozuError("idempotency_in_progress")


@receiver(post_save, sender=Payout, dispatch_uid="sozu.api.payout_created")
def payout_created(sender: type[Payout], instance: Payout, created: bool, **kwargs: Any) -> None:
    if created:
        link_to_key("payouts.create", HTTPStatus.ACCEPTED, payout_accepted(instance))


@receiver(post_save, sender=Batch, dispatch_uid="sozu.api.batch_created")
def batch_created(sender: type[Batch], instance: Batch, created: bool, **kwargs: Any) -> None:
    if created:
        body = {"id": instance.pk, "status": instance.status, "href": batch_href(instance.pk)}
        link_to_key("batches.create", HTTPStatus.CREATED, body)


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


def stale_after() -> timedelta:
    seconds = getattr(settings, "SOZU_IDEMPOTENCY_STALE_SECONDS", DEFAULT_IDEMPOTENCY_STALE_SECONDS)
    return timedelta(seconds=float(seconds))


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    location: str | None = None
    replayed: bool = False


def idempotent(
    request: HttpRequest,
    caller: Caller,
    *,
    key: str | None,
    scope: str,
    canonical_body: bytes,
    run: Callable[[], tuple[int, dict[str, Any]]],
    key_required: bool = False,
) -> Answer:
    """Run `run` at most once per Idempotency-Key; a retry gets the first answer back.

    The record is inserted first (the unique constraint makes a concurrent duplicate fail),
    then the service runs. The transaction that creates the payout or batch also stores a
    first answer on the record (see `link_to_key`), so a retry after a crash finds the object
    instead of creating a twin, and a record still without an answer proves nothing was
    created: after `SOZU_IDEMPOTENCY_STALE_SECONDS` a retry releases it and runs again.
    A SozuError answer is stored too, except 5xx ones (nothing was done: retry).
    """
    if key is None:
        if key_required:
            raise SozuError("idempotency_key_required")
        status, body = run()
        return Answer(status, body, location_for(scope, status, body))
    # Printable text only: PostgreSQL cannot store a NUL, and a key is something people read.
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise SozuError("invalid_field", field="Idempotency-Key")
    fingerprint = request_fingerprint(request.method or "", request.path, canonical_body)
    record = None
    for _ in range(2):  # the second time, after releasing a stale record
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organization=caller.organization, scope=scope, key=key, request_hash=fingerprint
                )
            break
        except IntegrityError:
            replay = idempotent_replay(caller, scope=scope, key=key, fingerprint=fingerprint)
            if replay is not None:
                return replay
    if record is None:
        raise SozuError("idempotency_in_progress")

    def answered() -> bool:
        return IdempotencyRecord.objects.filter(
            pk=record.pk, response_status__isnull=False
        ).exists()

    try:
        with creating_for(record, scope):
            status, body = run()
    except SozuError as exc:
        if exc.status >= 500 and not answered():
            record.delete()
            raise
        status, body = exc.status, problem_body(exc)
    except BaseException:
        if not answered():
            record.delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body
    )
    return Answer(status, body, location_for(scope, status, body))


def idempotent_replay(caller: Caller, *, scope: str, key: str, fingerprint: str) -> Answer | None:
    """The stored answer; None when the record was stale and has just been released."""
    record = IdempotencyRecord.objects.filter(
        organization=caller.organization, scope=scope, key=key
    ).first()
    if record is None:
        # Deleted between our insert and this read: the first request failed unexpectedly.
        raise SozuError("idempotency_in_progress")
    if record.request_hash != fingerprint:
        raise SozuError("idempotency_conflict")
    if record.response_status is None or record.response_body is None:
        if record.created_at <= timezone.now() - stale_after():
            # Nothing was created for it (creation and answer are one transaction): release.
            released, _ = IdempotencyRecord.objects.filter(
                pk=record.pk, response_status__isnull=True
            ).delete()
            if released:
                log.warning(
                    "released a stale Idempotency-Key",
                    extra={"organization": caller.organization.pk, "scope": scope},
                )
                return None
            return idempotent_replay(caller, scope=scope, key=key, fingerprint=fingerprint)
        raise SozuError("idempotency_in_progress")
    status, body = record.response_status, record.response_body
    return Answer(status, body, location_for(scope, status, body), replayed=True)


def respond(answer_: Answer, response: HttpResponse) -> HttpResponseBase | Status[Any]:
    """A success through the operation's response schema; a stored refusal as problem+json."""
    if answer_.status >= 400:
        out = answer(answer_.status, answer_.body)
        if answer_.replayed:
            out["Idempotent-Replayed"] = "true"
        return out
    if answer_.location:
        response["Location"] = answer_.location
    if answer_.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(answer_.status, answer_.body)


# --- payouts ------------------------------------------------------------------------------


def payout_href(payout_id: int) -> str:
    return f"{API_PREFIX}/payouts/{payout_id}"


def payout_wait_seconds() -> float:
    return float(getattr(settings, "SOZU_PAYOUT_WAIT_SECONDS", 20.0))


def payout_accepted(payout: Payout) -> dict[str, Any]:
    return {"id": payout.pk, "status": payout.status, "href": payout_href(payout.pk)}


def payout_create_and_pay(caller: Caller, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    # Creating the payout also stores a 202 for its Idempotency-Key (payout_created): a retry
    # with the same key finds it, never a twin.
    payout = payout_create(organization=caller.organization, data=data, actor=caller.actor)
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


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

IdempotencyKey = Annotated[
    str | None,
    Header(
        None,
        alias="Idempotency-Key",
        description=(
            "A unique text per request (up to 255 characters): a retry with the same key and "
            "body gets the first answer back and pays nothing twice."
        ),
    ),
]


@router.post(
    "/payouts",
    response={200: PayoutOut, 202: PayoutAccepted, **problems(400, 409, 413, 422, 503)},
    summary="Pay one address now",
    description=(
        "Creates a payout and pays it at once (200 with the transaction), or reports it queued "
        "(202) when it cannot be paid within a few seconds; the worker pays it then. Needs an "
        "Idempotency-Key unless the organization turned that off (idempotency_key_required)."
    ),
    openapi_extra={
        "responses": {
            "400": {
                "description": (
                    "Refused input; also no Idempotency-Key while the organization requires one "
                    "(code idempotency_key_required, the default)."
                ),
                "content": {"application/json": {"schema": PROBLEM_REF}},
            }
        }
    },
)
def payouts_create_api(
    request: HttpRequest,
    payload: PayoutIn,
    response: HttpResponse,
    idempotency_key: IdempotencyKey = None,
) -> HttpResponseBase | Status[Any]:
    caller = caller_of(request)
    if len(request.body) > MAX_PAYOUT_BODY_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_PAYOUT_BODY_BYTES)
    fields = payload.model_dump(exclude_unset=True)
    result = idempotent(
        request,
        caller,
        key=idempotency_key,
        key_required=caller.organization.require_idempotency_key,
        scope="payouts.create",
        canonical_body=canonical_json(json.loads(request.body)),
        run=lambda: payout_create_and_pay(caller, fields),
    )
    return respond(result, response)


@router.get("/payouts/{payout_id}", response={200: PayoutOut, **problems(400, 404)})
def payout_detail_api(request: HttpRequest, payout_id: ObjectId) -> dict[str, Any]:
    payout = payout_get(organization=caller_of(request).organization, payout_id=payout_id)
    return payout_as_dict(payout)


# --- batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchInput:
    name: str
    rows: list[tuple[int, dict[str, Any]]]
    canonical_body: bytes


def batch_input(request: HttpRequest, query_name: str) -> BatchInput:
    """The batch's name and lines from JSON, a CSV body, or a multipart CSV upload."""
    content_type = request.content_type or ""
    if content_type == "application/json":
        data = parse_json_object(read_body(request, max_bytes=MAX_FILE_BYTES))
        try:
            given = BatchIn.model_validate(data)
        except PydanticValidationError as exc:
            raise refusal(exc.errors(include_url=False), lines="lines") from None
        name = given.name
        rows = [(i, line.model_dump(exclude_unset=True)) for i, line in enumerate(given.lines, 1)]
        canonical = b"json\n" + canonical_json(data)
    elif content_type == "text/csv":
        raw = read_body(request, max_bytes=MAX_FILE_BYTES)
        name = query_name
        rows = list(rows_from_csv(raw))
        canonical = b"csv\n" + canonical_json(name) + b"\n" + raw
    elif content_type == "multipart/form-data":
        raw, name = multipart_csv(request)
        rows = list(rows_from_csv(raw))
        # The multipart boundary changes between retries; the name and file are the request.
        canonical = b"csv\n" + canonical_json(name) + b"\n" + raw
    else:
        raise SozuError("unsupported_media_type")
    if len(name) > MAX_BATCH_NAME_LENGTH or not name.strip().isprintable():
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


def inline_schema(model: type[Schema]) -> dict[str, Any]:
    """A model's JSON schema with its definitions inlined (for a hand-listed request body)."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return dict(resolve(schema))


BATCH_BODY = {
    "required": True,
    "description": (
        "JSON with `lines`, a CSV file as the body (`text/csv`, name in `?name=`), or a "
        "multipart form with the CSV in `file`. CSV columns: `destination` (or `address`, "
        "or `beneficiary_id`), `amount`, `memo`; header names are unique ignoring case; "
        "amounts use '.' for decimals and no thousands separator."
    ),
    "content": {
        "application/json": {"schema": inline_schema(BatchIn)},
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "contentMediaType": "text/csv"},
                    "name": {"type": "string", "maxLength": MAX_BATCH_NAME_LENGTH},
                },
                "required": ["file"],
            }
        },
    },
}


@router.get("/batches", response={200: BatchPage, **problems(400)})
def batches_list_api(
    request: HttpRequest,
    status: BatchStatus = status_query("batches"),
    page: PageNumber = page_query(),
    page_size: PageNumber = page_size_query(MAX_BATCHES_PAGE_SIZE),
) -> dict[str, Any]:
    """The organization's batches, newest first."""
    if status is not None and status not in Batch.Status.values:
        raise SozuError("invalid_field", field="status")
    qs = batch_list(organization=caller_of(request).organization, status=status)
    return paginate(
        request,
        qs,
        batch_as_dict,
        page=page,
        page_size=page_size,
        max_page_size=MAX_BATCHES_PAGE_SIZE,
    )


@router.post(
    "/batches",
    # BatchCreated: the replay for a request that died right after creating the batch.
    response={201: BatchOut | BatchCreated, **problems(400, 409, 413, 415, 422)},
    summary="Create a batch",
    description="Every line is validated first: all valid (201), or nothing saved (400).",
    openapi_extra={"requestBody": BATCH_BODY},
)
def batches_create_api(
    request: HttpRequest,
    response: HttpResponse,
    idempotency_key: IdempotencyKey = None,
    name: str | None = Query(None, description="The batch's name, for a text/csv body."),
) -> HttpResponseBase | Status[Any]:
    caller = caller_of(request)
    given = batch_input(request, name or "")

    def run() -> tuple[int, dict[str, Any]]:
        batch = batch_create(
            organization=caller.organization, rows=given.rows, actor=caller.actor, name=given.name
        )
        return HTTPStatus.CREATED, batch_as_dict(batch)

    result = idempotent(
        request,
        caller,
        key=idempotency_key,
        scope="batches.create",
        canonical_body=given.canonical_body,
        run=run,
    )
    return respond(result, response)


@router.get("/batches/{batch_id}", response={200: BatchOut, **problems(400, 404)})
def batch_detail_api(request: HttpRequest, batch_id: ObjectId) -> dict[str, Any]:
    return batch_as_dict(batch_get(organization=caller_of(request).organization, batch_id=batch_id))


@router.get("/batches/{batch_id}/lines", response={200: LinePage, **problems(400, 404)})
def batch_lines_api(
    request: HttpRequest,
    batch_id: ObjectId,
    status: LineStatus = status_query("lines"),
    page: PageNumber = page_query(),
    page_size: PageNumber = page_size_query(MAX_LINES_PAGE_SIZE),
) -> dict[str, Any]:
    batch = batch_get(organization=caller_of(request).organization, batch_id=batch_id)
    if status is not None and status not in Payout.Status.values:
        raise SozuError("invalid_field", field="status")
    return paginate(
        request,
        batch_lines(batch=batch, status=status),
        payout_as_dict,
        page=page,
        page_size=page_size,
        max_page_size=MAX_LINES_PAGE_SIZE,
    )


@router.get(
    "/batches/{batch_id}/export.csv",
    response={200: None, **problems(400, 404)},
    summary="The lines with beneficiary contact details, as CSV (for reconciliation)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "CSV, one row per line",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def batch_export_api(request: HttpRequest, batch_id: ObjectId) -> HttpResponseBase:
    batch = batch_get(organization=caller_of(request).organization, batch_id=batch_id)
    response = StreamingHttpResponse(
        batch_export_csv(batch=batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.csv"'
    return response


BatchAction = Callable[..., Batch]


def batch_action_api(service: BatchAction, status: int, action: str, summary: str) -> None:
    """An operation that runs one state transition of a batch and answers with the batch."""

    def view(request: HttpRequest, batch_id: ObjectId) -> Status[Any]:
        caller = caller_of(request)
        batch = service(organization=caller.organization, batch_id=batch_id, actor=caller.actor)
        return Status(status, batch_as_dict(batch))

    view.__name__ = view.__qualname__ = f"{service.__name__}_api"
    router.post(
        f"/batches/{{batch_id}}/{action}",
        response={status: BatchOut, **problems(400, 404, 409)},
        summary=summary,
    )(view)


batch_action_api(batch_execute, HTTPStatus.ACCEPTED, "execute", "Pay every line (in the worker)")
batch_action_api(batch_pause, HTTPStatus.OK, "pause", "Stop packing new transactions")
batch_action_api(batch_resume, HTTPStatus.OK, "resume", "Go on paying a paused batch")
batch_action_api(batch_cancel, HTTPStatus.OK, "cancel", "Cancel every line not yet sent")
batch_action_api(batch_retry_failed, HTTPStatus.OK, "retry", "Queue the failed lines again")
