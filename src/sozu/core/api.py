"""The JSON API's machinery on django-ninja: API keys, problem+json errors, the /api/v1 URLs.

Every app's `api.py` holds a ninja `Router` of thin operations (validate input with a Schema,
call one service, shape the output with a Schema). This module mounts them under /api/v1 and
turns every refusal into RFC 9457 problem details with a stable `code` and a `detail` in the
request's language: SozuError, schema validation, a missing key, an unknown URL, a wrong method,
and any unexpected exception (a logged 500 with an error id, never Django's HTML page).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from http import HTTPStatus
from typing import Annotated, Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from sozu.core.api_input import parse_json_object
from sozu.core.ids import MAX_ID, parse_id
from sozu.errors import MESSAGES, SozuError, message_for
from sozu.orgs.models import Organization
from sozu.orgs.services import apikey_authenticate

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:sozu:problem:"
#: The order in which an Allow header lists methods.
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")

DESCRIPTION = """\
Pay USDC on Stellar to one address at a time or to many in a batch.

Amounts are decimal **strings** with ASCII digits, `.` for decimals and at most 7 decimals
(`"12.50"`); numbers with a fraction are refused with `amount_float` so that no amount is ever
rounded, and text that looks like a thousands separator (`"1.000"`) with
`amount_ambiguous_thousands`. Every error is `application/problem+json` with a stable `code`,
and a `detail` in the language asked for with `Accept-Language` (Spanish by default, English).
Problems about single lines list them in `errors`, each with its `line`.

`POST /payouts` needs an `Idempotency-Key` (unless the organization turned that off);
`POST /batches` accepts one. A retry with the same key and the same body gets the first answer
back and pays nothing twice.
"""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the API key's organization, and the actor string for the audit log."""

    organization: Organization
    actor: str


class ApiKey(HttpBearer):
    """`Authorization: Bearer <API key>`; the operation finds the Caller in `request.auth`."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        token = token.strip()
        # A key is printable ASCII; anything else (a NUL breaks PostgreSQL queries) is no key.
        key = apikey_authenticate(token) if token.isprintable() and token.isascii() else None
        if key is None:
            return None
        return Caller(organization=key.organization, actor=f"api:{key.prefix}")


def caller_of(request: HttpRequest) -> Caller:
    return cast(Caller, request.auth)  # type: ignore[attr-defined]  # set by ninja's auth


# --- problems ----------------------------------------------------------------------------


class LineProblem(Schema):
    line: int | None = Field(None, description="The line of the batch (1 for a single payout).")
    code: str
    message: str
    params: dict[str, str] | None = None


class Problem(Schema):
    """RFC 9457 problem details; `detail` is in the request's language."""

    type: str = Field(examples=["urn:sozu:problem:invalid_lines"])
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable; see the list in the API description.")
    errors: list[LineProblem] = Field(description="One entry per refused line, if any.")
    params: dict[str, str] | None = None
    error_id: str | None = Field(None, description="For a 500: quote it to support.")


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


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """The `response=` entries that document refusals (every operation can answer 401)."""
    return {status: Problem for status in sorted({HTTPStatus.UNAUTHORIZED, *statuses})}


def refuse(code: str, **params: Any) -> PydanticCustomError:
    """A schema validation error that carries one of our codes (see `refusal`)."""
    return PydanticCustomError(code, code, {k: str(v) for k, v in params.items()})


def field_name(loc: Iterable[object]) -> str:
    name = ""
    for part in loc:
        name += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(body)"


def line_entry(line: int, code: str, params: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"line": line, "code": code, "message": message_for(code, params)}
    if params:
        entry["params"] = {k: str(v) for k, v in params.items()}
    return entry


def refusal(errors: Iterable[Any], *, lines: str | None = None, single: bool = False) -> SozuError:
    """The SozuError for schema validation errors (pydantic's, with `loc` inside the body).

    Errors raised with `refuse(code)` keep their code; others become invalid_field naming the
    field. With `lines="lines"`, errors inside `lines[i]` are reported per line (line i + 1) as
    invalid_lines, like the service's own checks; with `single`, a payout's field errors are
    its line 1.
    """
    per_line: list[dict[str, Any]] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        code = error.get("type", "")
        params = dict(error.get("ctx") or {})
        ours = code in MESSAGES and code != "invalid_field"
        if ours and lines and len(loc) >= 3 and loc[0] == lines and isinstance(loc[1], int):
            per_line.append(line_entry(loc[1] + 1, code, params))
        elif ours and single and len(loc) == 1:
            per_line.append(line_entry(1, code, params))
        else:
            return SozuError("invalid_field", field=field_name(loc))
    if not per_line:
        return SozuError("invalid_field", field="(body)")
    if single:
        first = per_line[0]
        return SozuError(first["code"], errors=per_line, **first.get("params", {}))
    return SozuError("invalid_lines", errors=per_line, count=len(per_line))


def object_id_input(value: object) -> object:
    found = parse_id(value)
    if found is None:
        raise refuse("invalid_field")
    return found


#: Ids in paths: whole numbers with ASCII digits that fit in the id column (else 400).
ObjectId = Annotated[
    int,
    BeforeValidator(object_id_input),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


class JsonObjectParser(Parser):
    """Request bodies are JSON objects; number literals with a fraction stay floats, so that an
    amount sent as a number is refused (amount_float), never rounded."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return parse_json_object(request.body)


def request_refusal(request: HttpRequest, exc: ValidationError) -> SozuError:
    """A refused parameter: the header, query or path one named, the body's by field."""
    body = []
    for error in exc.errors:
        source, *rest = error.get("loc", ("body",))
        if source != "body":
            name = rest[-1] if rest else source
            return SozuError("invalid_field", field=name)
        if error.get("type") == "missing" and len(rest) <= 1:
            return SozuError("invalid_json")  # no body at all
        body.append({**error, "loc": tuple(rest[1:])})  # rest[0] is the parameter's name
    # Only a single payout's body carries line checks: its problems are its line 1.
    return refusal(body, single=True)


def internal_error(request: HttpRequest, exc: Exception) -> JsonResponse:
    """Logged with an id the caller can quote; the problem says nothing of the inside."""
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "unexpected error in %s %s (error %s)",
        request.method,
        request.path,
        error_id,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"error_id": error_id},
    )
    error = SozuError("internal_error", error_id=error_id)
    response = answer(error.status, {**problem_body(error), "error_id": error_id})
    return response


def http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    if isinstance(exc.__cause__, SozuError):  # raised by our parser
        return error_response(exc.__cause__)
    if isinstance(exc.__cause__, RequestDataTooBig):
        return too_big(request, exc.__cause__)
    if exc.status_code == HTTPStatus.BAD_REQUEST:
        return error_response(SozuError("invalid_json"))
    if exc.status_code == HTTPStatus.NOT_FOUND:
        return error_response(SozuError("not_found"))
    return internal_error(request, exc)


def too_big(request: HttpRequest, exc: Exception) -> JsonResponse:
    return error_response(
        SozuError("file_too_large", max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    )


def build_api() -> NinjaAPI:
    from sozu.credit.api_portfolio import router as credit_portfolio
    from sozu.credit.api_wallet import router as credit_wallet
    from sozu.disbursements.api import router as disbursements
    from sozu.webhooks.api import router as webhooks

    api = NinjaAPI(
        title="Sozu disbursements API",
        version="1",
        description=DESCRIPTION,
        auth=ApiKey(),
        parser=JsonObjectParser(),
        openapi_url=None,  # served by openapi_api, at the same URL as before
        docs_url=None,
        urls_namespace="api-v1",
        servers=[],
    )
    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        SozuError: lambda request, exc: error_response(exc),
        AuthenticationError: lambda request, exc: error_response(SozuError("unauthenticated")),
        ValidationError: lambda request, exc: error_response(request_refusal(request, exc)),
        HttpError: http_error,
        Http404: lambda request, exc: error_response(SozuError("not_found")),
        RequestDataTooBig: too_big,
        Exception: internal_error,  # anything else: a logged 500 problem with an error id
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
    api.add_router("/", disbursements)
    api.add_router("/", webhooks)
    api.add_router("/", credit_portfolio)  # portfolio (F): credit indicators
    api.add_router("/", credit_wallet)  # the wallet's loans (beneficiary tokens, not API keys)
    return api


# --- URLs ---------------------------------------------------------------------------------


def allowed_methods(view: object) -> tuple[str, ...]:
    """The HTTP methods an API view accepts."""
    return tuple(getattr(view, "allowed_methods", ()))


def api_view(
    view: Callable[..., HttpResponseBase], methods: Iterable[str], *, public: bool = False
) -> Callable[..., HttpResponseBase]:
    """What every /api/v1 route adds to ninja's view: a problem+json 405 with Allow, and
    `Cache-Control: no-store` on everything that needs a key (money and contact details)."""
    allowed = tuple(m for m in METHOD_ORDER if m in set(methods))

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            response = error_response(SozuError("method_not_allowed", method=request.method))
            response["Allow"] = ", ".join(allowed)
        if not public:
            response["Cache-Control"] = "no-store"
        return response

    wrapper.allowed_methods = allowed  # type: ignore[attr-defined]  # read by allowed_methods
    return csrf_exempt(wrapper)


def v1_urlpatterns() -> list[URLPattern]:
    """One route per API path, under /api/v1/ (the document at /api/v1/openapi.json).

    Ninja's own `api.urls` would add a root view and one route per operation; the API is
    mounted path by path instead so that each route carries the methods it accepts.
    """
    api = build_api()
    patterns = [path("api/v1/openapi.json", openapi_view(api), name="openapi")]
    for bound in api._get_bound_routers():
        for route, path_view in bound.path_operations.items():
            full = "/".join(part.strip("/") for part in (bound.prefix, route) if part.strip("/"))
            methods = {m for op in path_view.operations for m in op.methods}
            name = path_view.operations[0].view_func.__name__
            django_route = "api/v1/" + full.replace("{", "<").replace("}", ">")
            patterns.append(path(django_route, api_view(path_view.get_view(), methods), name=name))
    return patterns


def problems_as_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Refusals are served as application/problem+json: say so in the document."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for status, answer_ in operation.get("responses", {}).items():
                content = answer_.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    answer_["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
    return document


def openapi_view(api: NinjaAPI) -> Callable[..., HttpResponseBase]:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponseBase:
        if request.method != "GET":
            response = error_response(SozuError("method_not_allowed", method=request.method))
            response["Allow"] = "GET"
            return response
        document = problems_as_problem_json(dict(api.get_openapi_schema(path_prefix="api/v1")))
        return JsonResponse(document, json_dumps_params={"ensure_ascii": False})

    view.allowed_methods = ("GET",)  # type: ignore[attr-defined]
    return view


@csrf_exempt
def not_found_api(request: HttpRequest) -> HttpResponseBase:
    """Unknown API URLs answer like every other API error (problem+json), not with HTML."""
    return error_response(SozuError("not_found"))


__all__ = [
    "API_PREFIX",
    "ApiKey",
    "Caller",
    "ObjectId",
    "Problem",
    "Router",
    "answer",
    "caller_of",
    "error_response",
    "problem_body",
    "problems",
    "refusal",
    "refuse",
    "v1_urlpatterns",
]
