"""What the batch and payout pages share: how a refusal is shown, and pagination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from sozu.errors import SozuError

PAGE_SIZE = 50


def paginate(
    request: HttpRequest, qs: QuerySet[Any], size: int = PAGE_SIZE, *, count: int | None = None
) -> Page[Any]:
    """One count query and one page query, whatever the number of rows.

    `count`: the number of rows when the caller already knows it (no count query then).
    """
    paginator = Paginator(qs, size)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def act(
    request: HttpRequest,
    action: Callable[[], object],
    *,
    done: str,
    back: str,
    **back_kwargs: Any,
) -> HttpResponse:
    """Run one service call; its refusal becomes a message in the person's language.

    POST, then redirect (to the same page either way): a reload never repeats the action.
    """
    try:
        action()
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back, **back_kwargs)
