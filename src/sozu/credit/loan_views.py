"""The loan pages: list, products, preparing a loan, one loan and what staff do on it.

Thin views: each reads through web_selectors / selectors and changes state only by calling one
service (sozu.credit.services); permissions, the second factor and step-up come from
`org_member_required` with the action the view performs (sozu.orgs.permissions): approving a
loan and approving a write-off ask for a fresh second factor, as approving a batch does. A
refusal of a service becomes a Spanish message (next to its field on forms); POST, then
redirect, so that a reload never repeats an action.

A disbursing loan's page follows its payout: while the payout is on its way, htmx asks for the
page every few seconds and the view calls `loans_sync_disbursements` for the organization (it
only reads the payouts' status); once paid, the loan is active and the page reloads with its
schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sozu.audit.context import web_actor
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors import SozuError
from sozu.credit.loan_forms import LoanPrepareForm, ProductForm, ReasonForm, RepaymentForm
from sozu.credit.models import Loan, LoanProduct, Repayment
from sozu.credit.selectors import loan_position
from sozu.credit.services import (
    loan_approve,
    loan_cancel,
    loan_disburse,
    loan_prepare,
    loan_prepay,
    loan_product_create,
    loan_product_deactivate,
    loan_return,
    loan_submit,
    loan_write_off_approve,
    loan_write_off_request,
    loan_write_off_withdraw,
    loans_sync_disbursements,
    repayment_record,
    repayment_reverse,
)
from sozu.credit.services.loans import loan_terms_check
from sozu.credit.simulator import Frequency, Simulation, first_due_date, simulate
from sozu.credit.web_selectors import (
    loan_audit,
    loan_list_for_page,
    loan_positions,
    loan_repayments,
    loan_schedule_changes,
    next_due,
    schedule_lines,
)
from sozu.disbursements.views.common import paginate, query_without_page
from sozu.orgs.permissions import (
    Action,
    can,
    current_organization,
    get_for_org_or_404,
    org_member_required,
)

L = Loan.Status
#: How many approved beneficiaries the "new loan" form offers at once.
BENEFICIARY_CHOICES = 1000
PAGE_SIZE = 25

#: How each audited action of a loan reads on its page.
AUDIT_LABELS = {
    "loan.prepared": gettext_lazy("Prepared"),
    "loan.submitted": gettext_lazy("Sent for approval"),
    "loan.returned": gettext_lazy("Returned to whoever prepared it"),
    "loan.approved": gettext_lazy("Approved"),
    "loan.disbursing": gettext_lazy("Payout created"),
    "loan.payout_cancelled": gettext_lazy("Payout cancelled"),
    "loan.disbursed": gettext_lazy("Paid out: schedule started"),
    "loan.paid_off": gettext_lazy("Paid off"),
    "loan.reopened": gettext_lazy("Reopened"),
    "loan.cancelled": gettext_lazy("Cancelled"),
    "loan.write_off_requested": gettext_lazy("Write-off requested"),
    "loan.write_off_withdrawn": gettext_lazy("Write-off request withdrawn"),
    "loan.written_off": gettext_lazy("Written off"),
    "loan.prepaid": gettext_lazy("Credit applied as a prepayment"),
    "repayment.recorded": gettext_lazy("Repayment recorded"),
    "repayment.reversed": gettext_lazy("Repayment reversed"),
}


def today() -> dt.date:
    return timezone.localdate()


def _loan(request: HttpRequest, loan_id: int) -> Loan:
    return get_for_org_or_404(
        Loan.objects.select_related("beneficiary", "product", "payout"), request, pk=loan_id
    )


# --- the list ---------------------------------------------------------------------------------


@org_member_required(Action.VIEW)
@require_GET
def loan_list_page(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    status = request.GET.get("status", "")
    if status not in L.values:
        status = ""
    products = list(LoanProduct.objects.filter(organization=org).order_by("name", "id"))
    product_id = request.GET.get("product", "")
    product = next((p for p in products if str(p.pk) == product_id), None)
    search = request.GET.get("q", "").strip()[:100]
    page = paginate(
        request,
        loan_list_for_page(
            organization=org,
            status=status,
            product_id=product.pk if product else None,
            search=search,
        ),
        PAGE_SIZE,
    )
    day = today()
    positions = loan_positions(loans=page.object_list, as_of=day)
    rows = []
    for loan in page.object_list:
        position = positions.get(loan.pk)
        upcoming = next_due(position) if position else None
        rows.append(
            {
                "loan": loan,
                "next_due": upcoming.due.due_date if upcoming else None,
                "overdue": position.overdue if position else None,
                "days_past_due": position.days_past_due if position else None,
            }
        )
    template = "credit/loan_list.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(
        request,
        template,
        {
            "section": "credit",
            "credit_tab": "loans",
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": L.choices,
            "products": products,
            "product": product,
            "q": search,
            "query": query_without_page(request),
            "hx_target": "#results",
        },
    )


# --- products ---------------------------------------------------------------------------------


def _products_page(request: HttpRequest, form: ProductForm, status: int = 200) -> HttpResponse:
    org = current_organization(request)
    form.mark_invalid()
    return render(
        request,
        "credit/products.html",
        {
            "section": "credit",
            "credit_tab": "products",
            "products": LoanProduct.objects.filter(organization=org).order_by("-active", "name"),
            "form": form,
        },
        status=status,
    )


@org_member_required(Action.VIEW)
@require_http_methods(["GET", "POST"])
def product_list_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _products_page(request, ProductForm())
    if not can(request, Action.MANAGE_LOAN_PRODUCTS):
        raise PermissionDenied(_("Your role does not allow this action."))
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            product = loan_product_create(
                organization=current_organization(request),
                actor=web_actor(request),
                **form.service_data(),
            )
        except SozuError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Product “%(name)s” created.") % {"name": product.name})
            return redirect("credit:products")
    return _products_page(request, form, status=400)


@org_member_required(Action.MANAGE_LOAN_PRODUCTS)
@require_POST
def product_deactivate(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_for_org_or_404(LoanProduct, request, pk=product_id)
    loan_product_deactivate(product=product, actor=web_actor(request))
    messages.success(
        request,
        _("“%(name)s” is no longer offered; its loans keep their terms.") % {"name": product.name},
    )
    return redirect("credit:products")


# --- preparing a loan -------------------------------------------------------------------------


def _prepare_form(request: HttpRequest, data: Any = None, initial: Any = None) -> LoanPrepareForm:
    org = current_organization(request)
    beneficiaries = list(
        Beneficiary.objects.filter(organization=org, status=Beneficiary.Status.APPROVED)
        .order_by("full_name", "id")
        .values_list("pk", "full_name", "national_id")[:BENEFICIARY_CHOICES]
    )
    choices = [(pk, f"{name} ({dni})" if dni else name) for pk, name, dni in beneficiaries]
    wanted = (initial or {}).get("beneficiary") or (data or {}).get("beneficiary")
    if wanted and str(wanted).isdigit() and int(wanted) not in {c[0] for c in choices}:
        # Her page links here even when she is far down the list: offer her too.
        extra = Beneficiary.objects.filter(
            organization=org, status=Beneficiary.Status.APPROVED, pk=int(wanted)
        ).first()
        if extra is not None:
            choices.insert(0, (extra.pk, extra.full_name))
    return LoanPrepareForm(
        data,
        initial=initial,
        products=LoanProduct.objects.filter(organization=org, active=True).order_by("name"),
        beneficiaries=choices,
    )


def _preview(form: LoanPrepareForm) -> Simulation | None:
    """The schedule as if paid out today (from the first due date asked for, if any)."""
    product: LoanProduct = form.cleaned_data["product"]
    first = form.cleaned_data.get("first_due") or first_due_date(
        today(), Frequency(product.frequency)
    )
    try:
        terms = loan_terms_check(
            product=product, amount=form.cleaned_data["amount"], cuotas=form.cleaned_data["cuotas"]
        )
    except SozuError as error:
        form.add_service_error(error)
        return None
    return simulate(replace(terms, first_due=first, business_days=True))


@org_member_required(Action.PREPARE_LOAN)
@require_http_methods(["GET", "POST"])
def loan_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: the preview (schedule), or the loan prepared (and submitted)."""
    org = current_organization(request)
    simulation = None
    status = 200
    if request.method == "GET":
        form = _prepare_form(request, initial={"beneficiary": request.GET.get("beneficiary", "")})
    else:
        form = _prepare_form(request, request.POST)
        if form.is_valid():
            simulation = _preview(form)
        if simulation is not None and request.POST.get("action") in ("draft", "submit"):
            beneficiary = get_for_org_or_404(
                Beneficiary, request, pk=form.cleaned_data["beneficiary"]
            )
            actor = web_actor(request)
            try:
                loan = loan_prepare(
                    product=form.cleaned_data["product"],
                    beneficiary=beneficiary,
                    amount=form.cleaned_data["amount"],
                    cuotas=form.cleaned_data["cuotas"],
                    first_due=form.cleaned_data.get("first_due"),
                    actor=actor,
                )
            except SozuError as error:
                form.add_service_error(error)
                simulation = None
            else:
                if request.POST["action"] == "submit":
                    loan_submit(loan=loan, actor=actor)
                    messages.success(request, _("Loan prepared and sent for approval."))
                else:
                    messages.success(request, _("Loan saved as a draft."))
                return redirect("credit:loan_detail", loan_id=loan.pk)
        if form.errors:
            status = 400
    form.mark_invalid()
    product = (
        form.cleaned_data.get("product")
        if form.is_bound and hasattr(form, "cleaned_data")
        else None
    )
    return render(
        request,
        "credit/loan_new.html",
        {
            "section": "credit",
            "credit_tab": "loans",
            "form": form,
            "simulation": simulation,
            "currency": product.currency if product else "USDC",
            "has_products": LoanProduct.objects.filter(organization=org, active=True).exists(),
        },
        status=status,
    )


# --- one loan ---------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    loan: Loan,
    *,
    repayment_form: RepaymentForm | None = None,
    write_off_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    day = today()
    position = loan_position(loan=loan, as_of=day) if loan.schedule.exists() else None
    repayment_form = repayment_form or RepaymentForm(initial={"received_on": day.isoformat()})
    repayment_form.mark_invalid()
    write_off_form = write_off_form or ReasonForm(auto_id="id_wo_%s")
    write_off_form.mark_invalid()
    audit = [(ev, str(AUDIT_LABELS.get(ev.action, ev.action))) for ev in loan_audit(loan=loan)]
    timeline = [(ev, label) for ev, label in audit if ev.object_type == "loan"]
    me = web_actor(request)
    context: dict[str, Any] = {
        "section": "credit",
        "credit_tab": "loans",
        "loan": loan,
        "currency": loan.currency,
        "position": position,
        "lines": schedule_lines(loan=loan, position=position),
        "upcoming": next_due(position) if position else None,
        "repayments": loan_repayments(loan=loan),
        "changes": loan_schedule_changes(loan=loan),
        "audit": audit,
        "timeline": timeline,
        "repayment_form": repayment_form,
        "write_off_form": write_off_form,
        "prepared_by_me": loan.prepared_by == me,
        "write_off_by_me": loan.write_off_requested_by == me,
        "following": loan.status == L.DISBURSING,
        "today": day,
    }
    template = "credit/loan_detail.html"
    if getattr(request, "htmx", False) and request.method == "GET":
        template += "#disbursal"
    return render(request, template, context, status=status)


@org_member_required(Action.VIEW)
@require_GET
def loan_detail_page(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan(request, loan_id)
    if loan.status == L.DISBURSING:
        # Follow the payout (reads its status; the engine is not touched).
        loans_sync_disbursements(organization_id=loan.organization_id, actor="worker:credit")
        loan = _loan(request, loan_id)
        if getattr(request, "htmx", False) and loan.status != L.DISBURSING:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
    return _detail(request, loan)


def _act(request: HttpRequest, loan_id: int, call: Any, done: str) -> HttpResponse:
    loan = _loan(request, loan_id)
    try:
        call(loan)
    except SozuError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("credit:loan_detail", loan_id=loan_id)


@org_member_required(Action.PREPARE_LOAN)
@require_POST
def loan_submit_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    actor = web_actor(request)
    return _act(
        request, loan_id, lambda loan: loan_submit(loan=loan, actor=actor), _("Sent for approval.")
    )


@org_member_required(Action.PREPARE_LOAN)
@require_POST
def loan_cancel_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    actor = web_actor(request)
    reason = request.POST.get("reason", "")[:1000]
    return _act(
        request,
        loan_id,
        lambda loan: loan_cancel(loan=loan, actor=actor, reason=reason),
        _("Loan cancelled."),
    )


@org_member_required(Action.APPROVE_LOAN)
@require_POST
def loan_return_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    actor = web_actor(request)
    reason = request.POST.get("reason", "")[:1000]
    return _act(
        request,
        loan_id,
        lambda loan: loan_return(loan=loan, actor=actor, reason=reason),
        _("Returned to whoever prepared it."),
    )


@org_member_required(Action.APPROVE_LOAN)
@require_POST
def loan_approve_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    """Approve (never whoever prepared it); the payout is created through the engine."""
    actor = web_actor(request)

    def approve(loan: Loan) -> None:
        if loan.status == L.APPROVED:  # approved before, its payout could not be created then
            loan_disburse(loan=loan, actor=actor)
        else:
            loan_approve(loan=loan, actor=actor)

    return _act(request, loan_id, approve, _("Loan approved: the payout is on its way."))


@org_member_required(Action.RECORD_REPAYMENT)
@require_POST
def repayment_new(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan(request, loan_id)
    form = RepaymentForm(request.POST)
    if form.is_valid():
        try:
            repayment_record(
                loan=loan,
                amount=form.cleaned_data["amount"],
                received_on=form.cleaned_data["received_on"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                actor=web_actor(request),
            )
        except SozuError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Repayment recorded."))
            return redirect("credit:loan_detail", loan_id=loan.pk)
    return _detail(request, loan, repayment_form=form, status=400)


@org_member_required(Action.REVERSE_REPAYMENT)
@require_POST
def repayment_reverse_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan(request, loan_id)
    raw = request.POST.get("repayment", "")
    repayment = (
        Repayment.objects.filter(organization=loan.organization, loan=loan, pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if repayment is None:
        raise Http404
    reason = request.POST.get("reason", "")[:1000]
    actor = web_actor(request)
    return _act(
        request,
        loan_id,
        lambda _loan: repayment_reverse(repayment=repayment, actor=actor, reason=reason),
        _("Repayment reversed: a reversal entry was added."),
    )


@org_member_required(Action.RECORD_REPAYMENT)
@require_POST
def loan_prepay_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    actor = web_actor(request)
    return _act(
        request,
        loan_id,
        lambda loan: loan_prepay(loan=loan, actor=actor),
        _("Her credit was applied as a prepayment; the remaining cuotas were re-scheduled."),
    )


@org_member_required(Action.REQUEST_WRITE_OFF)
@require_POST
def write_off_request_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan(request, loan_id)
    form = ReasonForm(request.POST, auto_id="id_wo_%s")
    if form.is_valid():
        try:
            loan_write_off_request(
                loan=loan, actor=web_actor(request), reason=form.cleaned_data["reason"]
            )
        except SozuError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Write-off requested: another approver must approve it."))
            return redirect("credit:loan_detail", loan_id=loan.pk)
    return _detail(request, loan, write_off_form=form, status=400)


@org_member_required(Action.WRITE_OFF)
@require_POST
def write_off_approve_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    actor = web_actor(request)
    return _act(
        request,
        loan_id,
        lambda loan: loan_write_off_approve(loan=loan, actor=actor),
        _("Loan written off."),
    )


@org_member_required(Action.REQUEST_WRITE_OFF)
@require_POST
def write_off_withdraw_view(request: HttpRequest, loan_id: int) -> HttpResponse:
    actor = web_actor(request)
    return _act(
        request,
        loan_id,
        lambda loan: loan_write_off_withdraw(loan=loan, actor=actor),
        _("Write-off request withdrawn."),
    )
