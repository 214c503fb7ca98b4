"""The review queue page (Créditos → Pagos a revisar): incoming payments that named no loan.

Operators assign one to a loan (by its SZ- reference or number), return it to whoever paid
(a refund payout; moving money asks for a second factor) or mark it as not a repayment.
Every action is a POST that calls one service and comes back to the page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sozu.audit.context import web_actor
from sozu.credit.errors import SozuError
from sozu.credit.models import PaymentReview
from sozu.credit.selectors import (
    loan_find,
    payment_follower_state,
    payment_review_list,
)
from sozu.credit.services.loans import ExchangeRate
from sozu.credit.services.review import (
    payment_review_assign,
    payment_review_dismiss,
    payment_review_return,
)
from sozu.orgs.permissions import (
    Action,
    can,
    current_organization,
    get_for_org_or_404,
    org_member_required,
)

S = PaymentReview.Status


@org_member_required(Action.VIEW)
def review_list(request: HttpRequest) -> HttpResponse:
    org_id = current_organization(request).pk
    showing = request.GET.get("estado", "")
    resolved = showing == "resueltos"
    reviews = payment_review_list(organization_id=org_id, status="" if resolved else S.PENDING)
    if resolved:
        reviews = [r for r in reviews if r.status != S.PENDING]
    context: dict[str, Any] = {
        "section": "credit",
        "credit_tab": "review",
        "reviews": reviews,
        "resolved": resolved,
        "follower": payment_follower_state(organization_id=org_id),
        "can_assign": can(request, Action.ASSIGN_PAYMENT),
        "can_return": can(request, Action.RETURN_PAYMENT),
    }
    return render(request, "credit/review.html", context)


def _rate(request: HttpRequest) -> ExchangeRate | None:
    text = request.POST.get("exchange_rate", "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise SozuError("loan_exchange_rate_invalid") from None
    source = request.POST.get("rate_source", "").strip()
    if not source:
        raise SozuError("loan_exchange_rate_missing")
    return ExchangeRate(rate=value, source=source, quoted_at=timezone.now())


@org_member_required(Action.ASSIGN_PAYMENT)
@require_POST
def review_assign(request: HttpRequest, review_id: int) -> HttpResponse:
    org_id = current_organization(request).pk
    review = get_for_org_or_404(PaymentReview, request, pk=review_id)
    try:
        loan = loan_find(organization_id=org_id, text=request.POST.get("loan", ""))
        payment_review_assign(
            review=review, loan=loan, actor=web_actor(request), exchange_rate=_rate(request)
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The payment was recorded as a repayment of %(name)s's loan %(ref)s.")
            % {"name": loan.beneficiary.full_name, "ref": loan.payment_reference},
        )
    return redirect("credit:review")


@org_member_required(Action.RETURN_PAYMENT)
@require_POST
def review_return(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_for_org_or_404(PaymentReview, request, pk=review_id)
    try:
        payment_review_return(
            review=review, actor=web_actor(request), note=request.POST.get("note", "")
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The payment will be sent back to whoever paid it."))
    return redirect("credit:review")


@org_member_required(Action.ASSIGN_PAYMENT)
@require_POST
def review_dismiss(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_for_org_or_404(PaymentReview, request, pk=review_id)
    try:
        payment_review_dismiss(
            review=review, actor=web_actor(request), note=request.POST.get("note", "")
        )
    except SozuError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The payment was marked as not a repayment."))
    return redirect("credit:review")
