"""Reading API requests: body size limits, JSON objects, and pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from sozu.errors import SozuError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_NUMBER = 1_000_000_000
PAGE_NUMBER = re.compile(r"[0-9]{1,10}")


def declared_length(request: HttpRequest) -> int:
    """The Content-Length the client announced (0 if absent or not a number)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def read_body(request: HttpRequest, *, max_bytes: int) -> bytes:
    """The raw body, refused with file_too_large past `max_bytes` (checked before reading)."""
    if declared_length(request) > max_bytes:
        raise SozuError("file_too_large", max_bytes=max_bytes)
    # request.body would apply DATA_UPLOAD_MAX_MEMORY_SIZE; this endpoint has its own limit.
    data = request.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SozuError("file_too_large", max_bytes=max_bytes)
    return data


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in the body. Number literals with a fraction or exponent stay floats,
    so that an amount sent as a number is refused (amount_float), never rounded."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise SozuError("invalid_json") from None
    if not isinstance(data, dict):
        raise SozuError("invalid_field", field="(body)")
    return data


def canonical_json(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def paginate(
    request: HttpRequest,
    qs: QuerySet[Any],
    shape: Callable[[Any], dict[str, Any]],
    *,
    page: int | None,
    page_size: int | None,
    max_page_size: int,
) -> dict[str, Any]:
    """One page of `qs`; `next` and `previous` keep the request's other query parameters."""
    page = page or 1
    size = min(page_size or DEFAULT_PAGE_SIZE, max_page_size)
    count = qs.count()
    start = (page - 1) * size

    def link(to: int) -> str:
        query = request.GET.copy()
        query["page"], query["page_size"] = str(to), str(size)
        return f"{request.path}?{query.urlencode()}"

    return {
        "count": count,
        "page": page,
        "page_size": size,
        "next": link(page + 1) if start + size < count else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": [shape(item) for item in qs[start : start + size]],
    }
