"""The portfolio pages (issue 12): the arrears list (mora) with its follow-up log and report,
and the indicators page. Every page reads the current organization only; another
organization's loan answers 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sozu.audit.context import web_actor
from sozu.credit.errors import SozuError
from sozu.credit.exports_portfolio import arrears_csv, arrears_pdf, arrears_xlsx
from sozu.credit.forms_portfolio import ArrearsFilterForm, FollowUpForm, PeriodForm, default_period
from sozu.credit.models import Loan, LoanState
from sozu.credit.portfolio import (
    BUCKET_LABELS,
    ArrearsFilter,
    arrears_queryset,
    arrears_rows,
    bucket_of,
    bucket_range,
    follow_up_summaries,
    indicators,
    loan_follow_ups,
    officers,
)
from sozu.credit.selectors import loan_get, loan_product_list
from sozu.credit.services.portfolio import loan_follow_up_record
from sozu.credit.views import today
from sozu.orgs.permissions import Action, can, current_organization, org_member_required
from sozu.web.templatetags.sozu_web import actor_label

PER_PAGE = 50


def _filter_form(request: HttpRequest, organization_id: int) -> ArrearsFilterForm:
    return ArrearsFilterForm(
        request.GET,
        products=list(loan_product_list(organization_id=organization_id, active_only=False)),
        officers=officers(organization_id=organization_id),
    )


def _query(request: HttpRequest, *keys: str) -> str:
    query = QueryDict(mutable=True)
    for key in keys:
        if request.GET.get(key):
            query[key] = request.GET[key]
    return query.urlencode()


@org_member_required(Action.VIEW)
def arrears(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    as_of = today()
    form = _filter_form(request, organization.pk)
    filters = form.filters()
    qs = arrears_queryset(organization_id=organization.pk, as_of=as_of, filters=filters)
    paginator = Paginator(
        qs.select_related("loan__beneficiary", "loan__product"),
        PER_PAGE,
        allow_empty_first_page=True,
    )
    try:
        page_no = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_no = 1
    page = paginator.get_page(page_no)
    states: list[LoanState] = list(page.object_list)
    summaries = follow_up_summaries(loan_ids=[s.loan_id for s in states], today=as_of)
    rows = []
    for state in states:
        assert state.oldest_unpaid_due is not None
        days = (as_of - state.oldest_unpaid_due).days
        rows.append(
            {
                "state": state,
                "loan": state.loan,
                "days": days,
                "bucket": bucket_of(days),
                "follow_up": summaries.get(state.loan_id),
            }
        )
    whole = arrears_queryset(organization_id=organization.pk, as_of=as_of)
    totals = whole.aggregate(
        **{key: Count("pk", filter=bucket_range(key, as_of)) for key in BUCKET_LABELS}
    )
    query = _query(request, "bucket", "product", "officer")
    context: dict[str, Any] = {
        "section": "credit",
        "credit_tab": "arrears",
        "form": form,
        "rows": rows,
        "page": page,
        "query": query,
        "as_of": as_of,
        "bucket_totals": [(k, BUCKET_LABELS[k], totals[k]) for k in BUCKET_LABELS],
        "bucket_labels": BUCKET_LABELS,
        "can_follow_up": can(request, Action.FOLLOW_UP_LOAN),
    }
    return render(request, "credit/portfolio/arrears.html", context)


@org_member_required(Action.EXPORT)
def arrears_export(request: HttpRequest, kind: str) -> HttpResponse | StreamingHttpResponse:
    organization = current_organization(request)
    as_of = today()
    filters: ArrearsFilter = _filter_form(request, organization.pk).filters()
    rows = arrears_rows(organization_id=organization.pk, as_of=as_of, filters=filters)
    name = f"mora-{organization.slug}-{as_of.isoformat()}"
    if kind == "csv":
        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            arrears_csv(rows), content_type="text/csv; charset=utf-8"
        )
    elif kind == "xlsx":
        response = FileResponse(
            arrears_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif kind == "pdf":
        title = _("Arrears of %(org)s") % {"org": organization.name}
        response = HttpResponse(
            arrears_pdf(rows, title=title, as_of=as_of), content_type="application/pdf"
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@org_member_required(Action.VIEW)
def loan_follow_up(request: HttpRequest, loan_id: int) -> HttpResponse:
    organization = current_organization(request)
    try:
        loan: Loan = loan_get(organization_id=organization.pk, loan_id=loan_id)
    except SozuError:
        raise Http404 from None
    allowed = can(request, Action.FOLLOW_UP_LOAN)
    form = FollowUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                loan_follow_up_record(
                    loan=loan,
                    kind=data["kind"],
                    note=data["note"],
                    promised_on=data.get("promised_on"),
                    promised_amount=data.get("promised_amount") or None,
                    actor=web_actor(request),
                )
            except SozuError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("credit:loan_follow_up", loan_id=loan.pk)
        status = 400
    as_of = today()
    state = LoanState.objects.filter(loan=loan).first()
    days = 0
    if state is not None and state.oldest_unpaid_due is not None:
        days = max(0, (as_of - state.oldest_unpaid_due).days)
    context = {
        "section": "credit",
        "credit_tab": "arrears",
        "loan": loan,
        "state": state,
        "days": days,
        "bucket": BUCKET_LABELS.get(bucket_of(days), ""),
        "officer": actor_label(loan.prepared_by),
        "log": loan_follow_ups(loan=loan, today=as_of),
        "form": form,
        "can_follow_up": allowed,
        "as_of": as_of,
    }
    return render(request, "credit/portfolio/follow_up.html", context, status=status)


def _chart(ind: Any) -> dict[str, Any]:
    months = list(ind.months.items())
    return {
        "months": {
            "labels": [m.strftime("%m/%Y") for m, _v in months],
            "series": [
                {"label": _("Disbursed"), "values": [str(v[0]) for _m, v in months]},
                {"label": _("Due"), "values": [str(v[1]) for _m, v in months]},
                {"label": _("Collected"), "values": [str(v[2]) for _m, v in months]},
            ],
        },
        "aging": {
            "labels": [str(BUCKET_LABELS[k]) for k in ind.aging],
            "series": [
                {
                    "label": _("Outstanding capital"),
                    "values": [str(v[0]) for v in ind.aging.values()],
                }
            ],
        },
        "products": {
            "labels": list(ind.by_product),
            "series": [
                {
                    "label": _("Gross portfolio"),
                    "values": [str(f.gross) for f in ind.by_product.values()],
                }
            ],
        },
    }


@org_member_required(Action.VIEW)
def indicators_page(request: HttpRequest) -> HttpResponse:
    organization = current_organization(request)
    as_of = today()
    start, end = default_period(as_of)
    bound = "date_from" in request.GET or "date_to" in request.GET
    form = PeriodForm(
        request.GET if bound else None,
        initial={"date_from": start, "date_to": end},
    )
    status = 200
    if bound:
        if form.is_valid():
            start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        else:
            status = 400
    ind = indicators(organization_id=organization.pk, date_from=start, date_to=end, as_of=as_of)
    context = {
        "section": "credit",
        "credit_tab": "indicators",
        "form": form,
        "ind": ind,
        "by_officer": [(actor_label(k), v) for k, v in ind.by_officer.items()],
        "chart_data": _chart(ind),
        "as_of": as_of,
        "period": (start, end),
    }
    return render(request, "credit/portfolio/indicators.html", context, status=status)
