"""Lotes: list, create (CSV upload with a preview, or picking beneficiaries), follow and act.

Every action calls the same service as the API (batch_create, the maker-checker services,
batch_execute, pause, resume, cancel, retry); permissions, 2FA and step-up come from
`org_member_required` with the action the view performs (sozu.orgs.permissions).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sozu.audit.context import web_actor
from sozu.disbursements.models import Batch, BatchApproval, Payout
from sozu.disbursements.selectors import batch_export_csv
from sozu.disbursements.services.approvals import (
    batch_approve,
    batch_check_approved,
    batch_is_approved,
    batch_submit_for_approval,
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
from sozu.disbursements.services.preview import BatchPreview, batch_preview, rows_as_csv
from sozu.disbursements.views.common import act, paginate, query_without_page
from sozu.disbursements.views.reasons import with_reasons
from sozu.disbursements.web_selectors import (
    approved_beneficiaries,
    batch_is_live,
    batch_lines_for_page,
    batch_list_for_page,
    batch_progress,
)
from sozu.errors import SozuError
from sozu.orgs.permissions import (
    Action,
    current_organization,
    get_for_org_or_404,
    org_member_required,
)

TEMPLATE_DETAIL = "disbursements/batch_detail.html"
TEMPLATE_LINES = "disbursements/_batch_lines.html"
TEMPLATE_NEW = "disbursements/batch_new.html"
#: How many beneficiaries the picking form lists at once (search narrows it).
PICK_PAGE_SIZE = 500
MAX_NAME_LENGTH = 200


@org_member_required(Action.VIEW)
@require_GET
def batch_list_page(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    status = request.GET.get("status", "")
    if status not in Batch.Status.values:
        status = ""
    page = paginate(request, batch_list_for_page(organization=org, status=status))
    return render(
        request,
        "disbursements/batch_list.html",
        {
            "section": "batches",
            "page": page,
            "status": status,
            "statuses": Batch.Status.choices,
            "query": query_without_page(request),
        },
    )


# --- creating a batch: upload → preview → confirm ------------------------------------------


def _render_new(
    request: HttpRequest,
    *,
    name: str = "",
    csv_text: str = "",
    preview: BatchPreview | None = None,
    error: str = "",
    status: int = 200,
    from_pick: bool = False,
) -> HttpResponse:
    return render(
        request,
        TEMPLATE_NEW,
        {
            "section": "batches",
            "from_pick": from_pick,
            "name": name,
            "csv_text": csv_text,
            "preview": preview,
            "error": error,
            "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        },
        status=status,
    )


def _uploaded_text(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        return str(request.POST.get("csv_text", ""))
    if (upload.size or 0) > MAX_FILE_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_FILE_BYTES)
    data = upload.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SozuError("csv_malformed", reason=_("the file is not UTF-8 text")) from None


def _preview_response(
    request: HttpRequest, *, name: str, csv_text: str, from_pick: bool = False
) -> HttpResponse:
    """Check every row and show it; nothing is saved."""
    org = current_organization(request)
    try:
        rows = rows_from_csv(csv_text.encode())
        preview = batch_preview(organization=org, rows=rows)
    except SozuError as exc:
        return _render_new(
            request,
            name=name,
            csv_text=csv_text,
            error=exc.message,
            status=400,
            from_pick=from_pick,
        )
    return _render_new(
        request,
        name=name,
        csv_text=csv_text,
        preview=preview,
        status=200 if preview.ok else 400,
        from_pick=from_pick,
    )


@org_member_required(Action.PREPARE_BATCH)
@require_http_methods(["GET", "POST"])
def batch_new(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST: the preview, or (confirm) the batch created."""
    if request.method == "GET":
        return _render_new(request)
    name = str(request.POST.get("name", "")).strip()[:MAX_NAME_LENGTH]
    try:
        csv_text = _uploaded_text(request)
    except SozuError as exc:
        return _render_new(request, name=name, error=exc.message, status=400)
    from_pick = "from_pick" in request.POST
    if "confirm" not in request.POST:
        return _preview_response(request, name=name, csv_text=csv_text, from_pick=from_pick)
    org = current_organization(request)
    try:
        # The same call as POST /api/v1/batches: every check runs again on the confirmed text.
        batch = batch_create(
            organization=org,
            rows=rows_from_csv(csv_text.encode()),
            actor=web_actor(request),
            name=name,
        )
    except SozuError:
        return _preview_response(request, name=name, csv_text=csv_text, from_pick=from_pick)
    if from_pick:  # the ticks became this batch: the next one starts from none
        request.session.pop(PICK_DRAFT, None)
    return redirect("batches:detail", batch_id=batch.pk)


#: The session key of the picking form's draft: the ticked rows and their amounts, kept while
#: the person pages or searches (one draft per session, for the organization it was made in).
PICK_DRAFT = "batch_pick_draft"
#: A draft keeps at most this many ticked rows (a batch cannot have more lines anyway).
PICK_DRAFT_MAX = 10_000


def _pick_draft(request: HttpRequest) -> dict[str, Any]:
    org = current_organization(request)
    draft = request.session.get(PICK_DRAFT)
    if isinstance(draft, dict) and draft.get("org") == org.pk:
        return draft
    return {"org": org.pk, "picked": {}, "name": "", "default_amount": "", "memo": ""}


def _pick_draft_save(request: HttpRequest) -> dict[str, Any]:
    """Merge the posted page into the draft: rows shown and not ticked leave it."""
    draft = _pick_draft(request)
    picked: dict[str, str] = dict(draft["picked"])
    ticked = [i for i in request.POST.getlist("pick") if i.isdigit()]
    for raw_id in request.POST.getlist("shown"):
        if raw_id.isdigit() and raw_id not in ticked:
            picked.pop(raw_id, None)
    for raw_id in ticked:
        if raw_id in picked or len(picked) < PICK_DRAFT_MAX:
            picked[raw_id] = str(request.POST.get(f"amount_{raw_id}", "")).strip()[:40]
    draft = {
        "org": draft["org"],
        "picked": picked,
        "name": str(request.POST.get("name", "")).strip()[:MAX_NAME_LENGTH],
        "default_amount": str(request.POST.get("default_amount", "")).strip()[:40],
        "memo": str(request.POST.get("memo", "")).strip()[:40],
    }
    request.session[PICK_DRAFT] = draft
    return draft


def _pick_url(search: str, page: str = "") -> str:
    query = {k: v for k, v in (("q", search), ("page", page)) if v}
    return reverse("batches:pick") + (f"?{urlencode(query)}" if query else "")


@org_member_required(Action.PREPARE_BATCH)
@require_http_methods(["GET", "POST"])
def batch_pick(request: HttpRequest) -> HttpResponse:
    """Build a batch from approved beneficiaries: tick, type amounts, then the same preview.

    The form is one POST form: paging, searching and checking the batch all post it, so the
    ticks and amounts of the page are kept in the session's draft before moving on (no JS
    needed); the draft is dropped once the batch is created.
    """
    search = str(request.GET.get("q", "")).strip()[:100]
    if request.method == "GET":
        return _render_pick(request, search=search)
    if "clear" in request.POST:
        request.session.pop(PICK_DRAFT, None)
        return redirect(_pick_url(search))
    draft = _pick_draft_save(request)
    if "search" in request.POST:
        new_search = str(request.POST.get("q", "")).strip()[:100]
        return redirect(_pick_url("" if request.POST["search"] == "clear" else new_search))
    goto = str(request.POST.get("goto", ""))
    if goto.isdigit():
        return redirect(_pick_url(search, goto))
    picked = [
        {
            "beneficiary_id": raw_id,
            "amount": amount or draft["default_amount"],
            "memo": draft["memo"],
        }
        for raw_id, amount in draft["picked"].items()
    ]
    if not picked:
        return _render_pick(
            request, search=search, error=_("Tick at least one beneficiary."), status=400
        )
    return _preview_response(
        request, name=draft["name"], csv_text=rows_as_csv(picked), from_pick=True
    )


def _render_pick(
    request: HttpRequest, *, search: str, error: str = "", status: int = 200
) -> HttpResponse:
    org = current_organization(request)
    draft = _pick_draft(request)
    page = paginate(
        request, approved_beneficiaries(organization=org, search=search), PICK_PAGE_SIZE
    )
    rows = list(page.object_list)
    for b in rows:
        b.picked = str(b.pk) in draft["picked"]
        b.pick_amount = draft["picked"].get(str(b.pk), "")
    page.object_list = rows
    return render(
        request,
        "disbursements/batch_pick.html",
        {
            "section": "batches",
            "page": page,
            "search": search,
            "error": error,
            "query": query_without_page(request),
            "draft": draft,
            "picked_count": len(draft["picked"]),
        },
        status=status,
    )


# --- one batch -----------------------------------------------------------------------------


def _batch(request: HttpRequest, batch_id: int) -> Batch:
    return get_for_org_or_404(Batch, request, pk=batch_id)


def _lines_context(request: HttpRequest, batch: Batch) -> dict[str, Any]:
    status = request.GET.get("status", "")
    if status not in Payout.Status.values:
        status = ""
    progress = batch_progress(batch=batch)
    # Every line: the progress has just counted them.
    known = progress.lines if not status else None
    page = paginate(request, batch_lines_for_page(batch=batch, status=status), count=known)
    with_reasons(page.object_list)
    return {
        "batch": batch,
        "progress": progress,
        "page": page,
        "status": status,
        "statuses": Payout.Status.choices,
        "query": query_without_page(request),
    }


def _detail_context(request: HttpRequest, batch: Batch) -> dict[str, Any]:
    approvals = list(
        BatchApproval.objects.filter(batch=batch, voided_at__isnull=True).order_by("created_at")
    )
    actor = web_actor(request)
    return {
        "section": "batches",
        "live": batch_is_live(batch),
        **_lines_context(request, batch),
        "approvals": approvals,
        "approved": batch_is_approved(batch),
        "is_preparer": actor in (batch.created_by, batch.prepared_by),
        "approved_by_me": any(a.approver == actor for a in approvals),
        "pause_reason": SozuError(batch.pause_code).message if batch.pause_code else "",
        "now": timezone.localtime(),
    }


@org_member_required(Action.VIEW)
@require_GET
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The batch page; htmx polls its #live fragment while the batch is paying.

    The lines' pager and status filters ask (hx-target="#lines") for the lines alone; without
    JS they are plain links to the whole page.
    """
    batch = _batch(request, batch_id)
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.history_restore_request:  # htmx rebuilding a page it has not cached
        htmx = None
    if htmx and htmx.target == "lines":
        return render(request, TEMPLATE_LINES, _lines_context(request, batch))
    if htmx:  # the poll: the #live fragment alone (and, once settled, the stale message cleared)
        return render(
            request, f"{TEMPLATE_DETAIL}#live", {**_detail_context(request, batch), "polled": True}
        )
    return render(request, TEMPLATE_DETAIL, _detail_context(request, batch))


@org_member_required(Action.EXPORT)
@require_GET
def batch_export(request: HttpRequest, batch_id: int) -> StreamingHttpResponse:
    batch = _batch(request, batch_id)
    response = StreamingHttpResponse(
        batch_export_csv(batch=batch), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="lote-{batch.pk}.csv"'
    return response


def _scheduled_for(raw: str) -> datetime | None:
    """A datetime-local value in the organization's time zone, or None when left empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        naive = datetime.fromisoformat(raw)
    except ValueError:
        raise SozuError("invalid_field", field=_("scheduled date")) from None
    when = timezone.make_aware(naive) if timezone.is_naive(naive) else naive
    if when <= timezone.now():
        raise SozuError("invalid_field", field=_("scheduled date (it has passed)"))
    return when


@org_member_required(Action.PREPARE_BATCH)
@require_POST
def batch_submit(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    org = current_organization(request)

    def run() -> None:
        batch_submit_for_approval(
            organization=org,
            batch_id=batch.pk,
            actor=web_actor(request),
            scheduled_for=_scheduled_for(str(request.POST.get("scheduled_for", ""))),
        )

    return act(request, run, done=_("Sent for approval."), back="batches:detail", batch_id=batch.pk)


@org_member_required(Action.APPROVE_BATCH)
@require_POST
def batch_approve_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    org = current_organization(request)
    return act(
        request,
        lambda: batch_approve(organization=org, batch_id=batch.pk, actor=web_actor(request)),
        done=_("Batch approved."),
        back="batches:detail",
        batch_id=batch.pk,
    )


@org_member_required(Action.EXECUTE_BATCH)
@require_POST
def batch_execute_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    org = current_organization(request)

    def run() -> None:
        batch_check_approved(batch)  # maker-checker first: nothing moves without approvals
        batch_execute(organization=org, batch_id=batch.pk, actor=web_actor(request))

    return act(
        request,
        run,
        done=_("Batch executing: the lines are being paid."),
        back="batches:detail",
        batch_id=batch.pk,
    )


def _transition(service: Any, action: Action, done: Any) -> Any:
    """A POST view that runs one state change of a batch (pause, resume, cancel, retry)."""

    @org_member_required(action)
    @require_POST
    def view(request: HttpRequest, batch_id: int) -> HttpResponse:
        batch = _batch(request, batch_id)
        org = current_organization(request)
        return act(
            request,
            lambda: service(organization=org, batch_id=batch.pk, actor=web_actor(request)),
            done=str(done),
            back="batches:detail",
            batch_id=batch.pk,
        )

    view.__name__ = view.__qualname__ = f"{service.__name__}_view"
    return view


batch_pause_view = _transition(batch_pause, Action.PAUSE_BATCH, gettext_lazy("Batch paused."))
batch_resume_view = _transition(batch_resume, Action.EXECUTE_BATCH, gettext_lazy("Batch resumed."))
batch_cancel_view = _transition(
    batch_cancel,
    Action.CANCEL_BATCH,
    gettext_lazy("Batch cancelled: lines not yet in flight will not be paid."),
)
batch_retry_view = _transition(
    batch_retry_failed, Action.EXECUTE_BATCH, gettext_lazy("The failed lines are queued again.")
)
