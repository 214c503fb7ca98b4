"""Beneficiarias pages: list, application form, detail with status actions, CSV import.

Views are thin: they read through the selectors, change state only through the services, and
declare their action to `org_member_required` (the permission table in sozu.orgs.permissions).
Every page works without JavaScript; htmx only swaps the list's results, one field row of the
form, and the readiness box.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from sozu.audit.context import web_actor, web_context
from sozu.beneficiaries.forms import ApplicationForm, FilterForm, ImportForm
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.selectors import (
    beneficiary_attachment_get,
    beneficiary_detail,
    beneficiary_get,
    beneficiary_list,
)
from sozu.beneficiaries.services import (
    APPLICATION_FIELDS,
    MAX_IMPORT_BYTES,
    CheckedFile,
    attachment_check,
    beneficiaries_refresh_readiness,
    beneficiary_apply,
    beneficiary_approve,
    beneficiary_attachment_add,
    beneficiary_attachment_remove,
    beneficiary_deactivate,
    beneficiary_import_confirm,
    beneficiary_import_preview,
    beneficiary_reactivate,
    beneficiary_refresh_readiness,
    beneficiary_reject,
    beneficiary_reopen,
    beneficiary_update,
)
from sozu.beneficiaries.services.applications import application_clean, duplicate_errors
from sozu.errors import SozuError, message_for
from sozu.formatting import format_phone
from sozu.orgs.permissions import Action, can, current_organization, org_member_required

PER_PAGE = 50
#: How many "Verificar todas" asks the network about at once (the oldest checks first).
CHECK_ALL_LIMIT = 200
S = Beneficiary.Status


def _maybe_reverse(name: str, *args: Any) -> str:
    """The URL of a page another part of the dashboard provides, or "" until it exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _get(request: HttpRequest, beneficiary_id: int) -> Beneficiary:
    try:
        return beneficiary_get(
            organization=current_organization(request), beneficiary_id=beneficiary_id
        )
    except SozuError:
        raise Http404 from None


def readiness_text(b: Beneficiary) -> str:
    """Why she cannot receive, in the user's language ("" when ready or never checked)."""
    return message_for(b.readiness_code) if b.readiness_code else ""


# --- list -----------------------------------------------------------------------------------


@org_member_required(Action.VIEW)
@require_GET
def beneficiary_list_page(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    form = FilterForm(request.GET)
    form.is_valid()
    f = form.cleaned_data  # the valid filters; an invalid one is left out
    try:
        page_no = int(request.GET.get("page", "1"))
    except ValueError:
        page_no = 1
    page = beneficiary_list(
        organization=org,
        search=f.get("q", ""),
        status=f.get("status") or None,
        ready={"si": True, "no": False}.get(f.get("ready", "")),
        page=page_no,
        per_page=PER_PAGE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    htmx = getattr(request, "htmx", False)
    return render(
        request,
        "beneficiaries/_results.html" if htmx else "beneficiaries/list.html",
        {
            "section": "beneficiaries",
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(f.values()),
        },
    )


# --- the application form -------------------------------------------------------------------


def _posted(request: HttpRequest) -> dict[str, str]:
    return {k: str(request.POST.get(k, "")) for k in APPLICATION_FIELDS if k in request.POST}


def _field_row(
    request: HttpRequest, form: ApplicationForm, field: str, beneficiary: Beneficiary | None
) -> HttpResponse:
    """One field row re-rendered with its own problems (htmx, while typing); saves nothing."""
    if field not in APPLICATION_FIELDS:
        raise Http404
    data = _posted(request)
    if beneficiary is not None:
        data = {**{k: getattr(beneficiary, k) for k in APPLICATION_FIELDS}, **data}
    cleaned, errors = application_clean(
        data, require_national_id=beneficiary is None or bool(beneficiary.national_id)
    )
    if not errors:
        errors = duplicate_errors(
            organization_id=current_organization(request).pk,
            cleaned=cleaned,
            exclude_pk=beneficiary.pk if beneficiary else None,
        )
    form.is_valid()
    for e in errors:
        if e.field == field:
            form.add_error(field, e.message)
    return render(request, "beneficiaries/_field.html", {"field": form[field], "validate": True})


def _render_form(
    request: HttpRequest,
    form: ApplicationForm,
    beneficiary: Beneficiary | None = None,
    status: int = 200,
) -> HttpResponse:
    action = (
        reverse("beneficiaries:edit", args=[beneficiary.pk])
        if beneficiary
        else reverse("beneficiaries:new")
    )
    return render(
        request,
        "beneficiaries/form.html",
        {"section": "beneficiaries", "form": form, "beneficiary": beneficiary, "action": action},
        status=status,
    )


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_http_methods(["GET", "POST"])
def beneficiary_new(request: HttpRequest) -> HttpResponse:
    """A new application (status applied). Every problem is shown under its field; a bad
    attachment refuses the whole application, so nothing is saved half-way."""
    if request.method == "GET":
        return _render_form(request, ApplicationForm())
    form = ApplicationForm(request.POST, request.FILES)
    if (field := request.GET.get("validate")) and getattr(request, "htmx", False):
        return _field_row(request, form, field, None)
    form.is_valid()
    files: list[CheckedFile] = []
    for upload in request.FILES.getlist("attachments"):
        try:
            files.append(attachment_check(name=upload.name or "", content=upload))
        except SozuError as exc:
            form.add_error("attachments", exc.message)
    org = current_organization(request)
    actor, ctx = web_actor(request), web_context(request)
    if "attachments" in form.errors:
        # Show the fields' problems too, in one go.
        cleaned, errors = application_clean(_posted(request))
        if not errors:
            errors = duplicate_errors(organization_id=org.pk, cleaned=cleaned)
        form.add_service_errors(e.as_dict() for e in errors)
        return _render_form(request, form, status=400)
    try:
        b = beneficiary_apply(
            organization_id=org.pk, data=_posted(request), actor=actor, context=ctx
        )
    except SozuError as exc:
        form.add_service_errors(exc.errors or [{"field": None, "message": exc.message}])
        return _render_form(request, form, status=400)
    for checked in files:
        beneficiary_attachment_add(
            beneficiary=b, name=checked.name, content=checked, actor=actor, context=ctx
        )
    messages.success(request, _("Application of %(name)s saved.") % {"name": b.full_name})
    return redirect("beneficiaries:detail", beneficiary_id=b.pk)


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_http_methods(["GET", "POST"])
def beneficiary_edit(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    b = _get(request, beneficiary_id)
    if request.method == "GET":
        initial = {k: getattr(b, k) for k in APPLICATION_FIELDS}
        initial["phone"] = format_phone(b.phone)  # as people write it; read back the same
        return _render_form(request, ApplicationForm(initial=initial, with_attachments=False), b)
    form = ApplicationForm(request.POST, with_attachments=False)
    if (field := request.GET.get("validate")) and getattr(request, "htmx", False):
        return _field_row(request, form, field, b)
    form.is_valid()
    try:
        beneficiary_update(
            beneficiary=b,
            data=_posted(request),
            actor=web_actor(request),
            context=web_context(request),
        )
    except SozuError as exc:
        form.add_service_errors(exc.errors or [{"field": None, "message": exc.message}])
        return _render_form(request, form, b, status=400)
    messages.success(request, _("Changes saved."))
    return redirect("beneficiaries:detail", beneficiary_id=b.pk)


# --- detail ---------------------------------------------------------------------------------

#: Audit actions about a beneficiary, as the detail page names them.
AUDIT_LABELS = {
    "beneficiary.created": gettext_lazy("Registered"),
    "beneficiary.updated": gettext_lazy("Details changed"),
    "beneficiary.approved": gettext_lazy("Approved"),
    "beneficiary.rejected": gettext_lazy("Rejected"),
    "beneficiary.reopened": gettext_lazy("Application reopened"),
    "beneficiary.deactivated": gettext_lazy("Deactivated"),
    "beneficiary.reactivated": gettext_lazy("Reactivated"),
    "beneficiary.attachment_added": gettext_lazy("Attachment added"),
    "beneficiary.attachment_removed": gettext_lazy("Attachment removed"),
}


def _audit_label(action: str, data: dict[str, Any]) -> str:
    if action == "beneficiary.readiness_changed":
        ready = data.get("ready")
        return _("Network check: ready to receive") if ready else _("Network check: cannot receive")
    return str(AUDIT_LABELS.get(action, action))


@org_member_required(Action.VIEW)
@require_GET
def beneficiary_detail_page(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    try:
        detail = beneficiary_detail(
            organization=current_organization(request), beneficiary_id=beneficiary_id
        )
    except SozuError:
        raise Http404 from None
    b = detail.beneficiary
    payout_url = _maybe_reverse("payouts:detail", 0)
    payouts = [
        (p, payout_url.replace("/0/", f"/{p.pk}/") if payout_url else "") for p in detail.payouts
    ]
    audit = [(ev, _audit_label(ev.action, ev.data or {})) for ev in detail.audit]
    # The single payout form belongs to the Pagos pages (payouts:new); until it exists, the
    # payouts list; without either, no button.
    pay_url = _maybe_reverse("payouts:new", b.pk) or _maybe_reverse("payouts:list")
    return render(
        request,
        "beneficiaries/detail.html",
        {
            "section": "beneficiaries",
            "b": b,
            "detail": detail,
            "payouts": payouts,
            "audit": audit,
            "readiness_reason": readiness_text(b),
            "pay_url": pay_url if b.status == S.APPROVED else "",
            # The credit pages' form, for an approved beneficiary (when that app is installed).
            "loan_url": (
                f"{_maybe_reverse('credit:loan_new')}?beneficiary={b.pk}"
                if b.status == S.APPROVED and _maybe_reverse("credit:loan_new")
                else ""
            ),
            "can_manage": can(request, Action.MANAGE_BENEFICIARIES),
            "can_review": can(request, Action.REVIEW_BENEFICIARY),
            "can_pay": can(request, Action.SEND_PAYOUT),
        },
    )


# --- status actions (POST, then back to her page) --------------------------------------------


def _act(request: HttpRequest, beneficiary_id: int, call: Any, done: str) -> HttpResponse:
    b = _get(request, beneficiary_id)
    try:
        b = call(b)
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": b.full_name})
    return redirect("beneficiaries:detail", beneficiary_id=beneficiary_id)


@org_member_required(Action.REVIEW_BENEFICIARY)
@require_POST
def beneficiary_approve_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    actor, ctx = web_actor(request), web_context(request)
    return _act(
        request,
        beneficiary_id,
        lambda b: beneficiary_approve(beneficiary=b, actor=actor, context=ctx),
        _("%(name)s was approved."),
    )


@org_member_required(Action.REVIEW_BENEFICIARY)
@require_POST
def beneficiary_reject_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    actor, ctx = web_actor(request), web_context(request)
    reason = str(request.POST.get("reason", ""))[:1000]
    return _act(
        request,
        beneficiary_id,
        lambda b: beneficiary_reject(beneficiary=b, reason=reason, actor=actor, context=ctx),
        _("The application of %(name)s was rejected."),
    )


@org_member_required(Action.REVIEW_BENEFICIARY)
@require_POST
def beneficiary_reactivate_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    actor, ctx = web_actor(request), web_context(request)
    return _act(
        request,
        beneficiary_id,
        lambda b: beneficiary_reactivate(beneficiary=b, actor=actor, context=ctx),
        _("%(name)s is active again."),
    )


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_POST
def beneficiary_deactivate_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    actor, ctx = web_actor(request), web_context(request)
    reason = str(request.POST.get("reason", ""))[:1000]
    return _act(
        request,
        beneficiary_id,
        lambda b: beneficiary_deactivate(beneficiary=b, reason=reason, actor=actor, context=ctx),
        _("%(name)s was deactivated: she will not be paid."),
    )


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_POST
def beneficiary_reopen_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    actor, ctx = web_actor(request), web_context(request)
    return _act(
        request,
        beneficiary_id,
        lambda b: beneficiary_reopen(beneficiary=b, actor=actor, context=ctx),
        _("The application of %(name)s is open again."),
    )


@org_member_required(Action.REVIEW_BENEFICIARY)
@require_POST
def beneficiary_check_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    """ "Verificar ahora": ask the network whether she can receive USDC and store the answer."""
    b = _get(request, beneficiary_id)
    error = ""
    try:
        b = beneficiary_refresh_readiness(
            beneficiary=b, actor=web_actor(request), context=web_context(request)
        )
    except SozuError as exc:
        error = exc.message
    if getattr(request, "htmx", False):
        return render(
            request,
            "beneficiaries/_readiness.html",
            {
                "b": b,
                "readiness_reason": readiness_text(b),
                "check_error": error,
                "can_review": True,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("beneficiaries:detail", beneficiary_id=b.pk)


@org_member_required(Action.REVIEW_BENEFICIARY)
@require_POST
def beneficiaries_check_view(request: HttpRequest) -> HttpResponse:
    """Verificar todas: the approved ones checked longest ago, asked in parallel."""
    org = current_organization(request)
    n = beneficiaries_refresh_readiness(
        organization_id=org.pk,
        actor=web_actor(request),
        limit=CHECK_ALL_LIMIT,
        context=web_context(request),
    )
    messages.success(
        request,
        ngettext(
            "%(n)s approved beneficiary checked on the network.",
            "%(n)s approved beneficiaries checked on the network.",
            n,
        )
        % {"n": n},
    )
    return redirect(reverse("beneficiaries:list") + "?" + str(request.POST.get("query", ""))[:500])


# --- attachments ----------------------------------------------------------------------------


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_POST
def attachment_add_view(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    b = _get(request, beneficiary_id)
    uploads = request.FILES.getlist("file")
    if not uploads:
        messages.error(request, _("Choose a file to attach."))
    try:
        checked = [attachment_check(name=u.name or "", content=u) for u in uploads]
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        for c in checked:
            beneficiary_attachment_add(
                beneficiary=b,
                name=c.name,
                content=c,
                actor=web_actor(request),
                context=web_context(request),
            )
        if checked:
            messages.success(request, _("Attachment saved."))
    return redirect("beneficiaries:detail", beneficiary_id=b.pk)


@org_member_required(Action.VIEW)
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        att = beneficiary_attachment_get(
            organization=current_organization(request), attachment_id=attachment_id
        )
    except SozuError:
        raise Http404 from None
    response = FileResponse(
        att.file.open("rb"),
        as_attachment=request.GET.get("ver") != "1",
        filename=att.original_name,
        content_type=att.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_POST
def attachment_remove_view(request: HttpRequest, attachment_id: int) -> HttpResponse:
    try:
        att = beneficiary_attachment_get(
            organization=current_organization(request), attachment_id=attachment_id
        )
    except SozuError:
        raise Http404 from None
    beneficiary_attachment_remove(
        attachment=att, actor=web_actor(request), context=web_context(request)
    )
    messages.success(request, _("Attachment removed."))
    url = reverse("beneficiaries:detail", args=[att.beneficiary_id])
    if getattr(request, "htmx", False):  # asked "are you sure?" first (hx-confirm)
        return HttpResponseClientRedirect(url)
    return redirect(url)


# --- CSV import: upload → row-by-row preview (nothing saved) → confirm -----------------------


def _render_import(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    return render(
        request,
        "beneficiaries/import.html",
        {
            "section": "beneficiaries",
            "form": ImportForm(),
            "max_mb": MAX_IMPORT_BYTES // (1024 * 1024),
            **context,
        },
        status=status,
    )


@org_member_required(Action.MANAGE_BENEFICIARIES)
@require_http_methods(["GET", "POST"])
def beneficiary_import(request: HttpRequest) -> HttpResponse:
    """The file (or its text, fixed on the preview page) travels with each POST: the preview
    and the confirm read the same bytes, and the confirm saves only if the preview's
    fingerprint still holds."""
    if request.method == "GET":
        return _render_import(request)
    org = current_organization(request)
    upload = request.FILES.get("file")
    if upload is not None:
        data = upload.read(MAX_IMPORT_BYTES + 1)
    else:
        data = str(request.POST.get("csv_text", "")).replace("\r\n", "\n").encode()
    if not data.strip():
        return _render_import(request, 400, error=_("Choose a CSV file."))
    try:
        preview = beneficiary_import_preview(organization=org, data=data)
    except SozuError as exc:
        return _render_import(request, 400, error=exc.message)
    csv_text = data.decode("utf-8-sig")
    if "confirm" in request.POST:
        try:
            created = beneficiary_import_confirm(
                organization=org,
                data=data,
                fingerprint=str(request.POST.get("fingerprint", "")),
                actor=web_actor(request),
                context=web_context(request),
            )
        except SozuError as exc:
            return _render_import(
                request, 409, error=exc.message, preview=preview, csv_text=csv_text
            )
        messages.success(
            request,
            _("%(n)s applications imported; they are waiting for approval.") % {"n": len(created)},
        )
        return redirect(f"{reverse('beneficiaries:list')}?status={S.APPLIED}")
    return _render_import(request, preview=preview, csv_text=csv_text)
