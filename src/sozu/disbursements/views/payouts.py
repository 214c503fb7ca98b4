"""Pagos: every payout with filters, one payout with its transaction, and a single payout.

A single payout calls `beneficiary_payout_create` (the same checks as the API's payout, one
payout per idempotency key) and then `payout_pay_now`, as POST /api/v1/payouts does. The form
carries a key made when it was rendered: a double click, a reload or a resubmit sends that
same key and finds the payout made the first time.
"""

from __future__ import annotations

import logging
import time
import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from sozu.audit.context import web_actor
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services.payouts import beneficiary_payout_create
from sozu.disbursements.models import Payout
from sozu.disbursements.services.payouts import payout_pay_now
from sozu.disbursements.views.common import paginate, query_without_page
from sozu.disbursements.views.reasons import failure_reason, with_reasons
from sozu.disbursements.web_selectors import (
    PayoutFilters,
    payout_attempts,
    payout_for_page,
    payout_list,
)
from sozu.errors import SozuError
from sozu.orgs.permissions import (
    Action,
    current_organization,
    get_for_org_or_404,
    org_member_required,
    step_up_response,
)

log = logging.getLogger(__name__)

#: Payouts whose page polls its status fragment.
OPEN = (Payout.Status.QUEUED, Payout.Status.IN_FLIGHT, Payout.Status.VALIDATED)
#: How long the form waits for the ledger before showing the payout as in flight.
WEB_PAYOUT_WAIT_SECONDS = 8.0
#: How many times (0.25 s apart) a resubmitted form waits for the first request's payout.
IN_PROGRESS_WAITS = 40


#: "Todos": estados and tipos are masculine (the shared "All" reads "Todas", for beneficiarias).
ALL = pgettext_lazy("filter, masculine", "All")


class PayoutFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", ALL), *Payout.Status.choices]
    )
    q = forms.CharField(label=_("Beneficiary or address"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", ALL), ("single", _("Single payouts")), ("batch", _("Batch lines"))],
    )
    batch = forms.IntegerField(label=_("Batch #"), required=False, min_value=1)
    beneficiary = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> PayoutFilters:
        if not self.is_valid():
            return PayoutFilters()
        d = self.cleaned_data
        return PayoutFilters(
            status=d["status"] or "",
            search=d["q"].strip(),
            kind=d["kind"] or "",
            batch_id=d["batch"],
            beneficiary_id=d["beneficiary"],
            date_from=d["since"],
            date_to=d["until"],
        )


@org_member_required(Action.VIEW)
@require_GET
def payout_list_page(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    form = PayoutFilterForm(request.GET or None)
    filters = form.filters() if request.GET else PayoutFilters()
    page = paginate(request, payout_list(organization=org, filters=filters))
    with_reasons(page.object_list)
    beneficiary = None
    if filters.beneficiary_id:
        beneficiary = Beneficiary.objects.filter(
            organization=org, pk=filters.beneficiary_id
        ).first()
    template = "disbursements/payout_list.html"
    if getattr(request, "htmx", False):
        template += "#results"  # the filter form swaps only the results
    return render(
        request,
        template,
        {
            "section": "payouts",
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "beneficiary": beneficiary,
        },
    )


@org_member_required(Action.VIEW)
@require_GET
def payout_detail(request: HttpRequest, payout_id: int) -> HttpResponse:
    """The payout and the transactions that carried it; htmx polls #payout-status while open."""
    org = current_organization(request)
    payout = payout_for_page(organization=org, payout_id=payout_id)
    if payout is None:
        raise Http404  # another organization's payout, exactly like one that does not exist
    context = {
        "section": "payouts",
        "payout": payout,
        "reason": failure_reason(payout.failure_code),
        "attempts": payout_attempts(payout=payout),
        "open": payout.status in OPEN,
    }
    template = "disbursements/payout_detail.html"
    if getattr(request, "htmx", False):
        template += "#payout-status"
    return render(request, template, context)


class SinglePayoutForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount (USDC)"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    memo = forms.CharField(label=_("Memo (optional)"), required=False, max_length=28)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _threshold_needs_step_up(request: HttpRequest, amount: str) -> HttpResponse | None:
    """A single payout above the organization's threshold asks for a fresh second factor."""
    org = current_organization(request)
    threshold = org.step_up_payout_threshold
    if threshold is None:
        return None
    try:
        value = Decimal(amount)
    except ArithmeticError:
        return None  # the service explains what is wrong with the amount
    if value <= threshold:
        return None
    return step_up_response(request)


@org_member_required(Action.SEND_PAYOUT)
@require_http_methods(["GET", "POST"])
def payout_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    beneficiary = get_for_org_or_404(Beneficiary, request, pk=beneficiary_id)
    if request.method == "GET":
        form = SinglePayoutForm(initial={"idempotency_key": uuid.uuid4().hex})
        return _render_new(request, beneficiary, form)
    form = SinglePayoutForm(request.POST)
    if not form.is_valid():
        return _render_new(request, beneficiary, form, status=400)
    d = form.cleaned_data
    response = _threshold_needs_step_up(request, d["amount"])
    if response is not None:
        return response
    try:
        payout = _create_once(request, beneficiary, d)
    except SozuError as exc:
        form.add_error(None, exc.message)
        return _render_new(request, beneficiary, form, status=exc.status)
    if payout.status == Payout.Status.QUEUED and payout.attempts_count == 0:
        wait = min(WEB_PAYOUT_WAIT_SECONDS, float(settings.SOZU_PAYOUT_WAIT_SECONDS))
        try:
            payout_pay_now(payout=payout, worker="web", wait_seconds=wait)
        except Exception:
            # The payout exists and is queued: the worker pays it. Never ask to pay again.
            log.exception("paying at once failed; the worker will pay", extra={"payout": payout.pk})
    return redirect("payouts:detail", payout_id=payout.pk)


def _create_once(request: HttpRequest, beneficiary: Beneficiary, d: dict[str, str]) -> Payout:
    """The payout of this form's key: made now, or found when the form was already sent.

    The second request of a double click can arrive while the first is still creating the
    payout; it waits for that answer (a few seconds at most) instead of showing an error.
    """
    for _attempt in range(IN_PROGRESS_WAITS):
        try:
            return beneficiary_payout_create(
                beneficiary=beneficiary,
                amount=d["amount"].strip().replace(",", "."),
                memo=d["memo"],
                idempotency_key=d["idempotency_key"],
                actor=web_actor(request),
            )
        except SozuError as exc:
            if exc.code != "idempotency_in_progress":
                raise
            time.sleep(0.25)
    raise SozuError("idempotency_in_progress")


def _render_new(
    request: HttpRequest, beneficiary: Beneficiary, form: SinglePayoutForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "disbursements/payout_new.html",
        {"section": "payouts", "beneficiary": beneficiary, "form": form},
        status=status,
    )
