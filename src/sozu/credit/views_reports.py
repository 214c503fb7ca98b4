"""The reports page (/creditos/reportes/) and its downloads: CSV, XLSX or PDF of the portfolio,
the repayments or the disbursements of a period, and one loan's account statement.

Every member may read them (Action.VIEW to see the page, Action.EXPORT, also every role, to
download); everything is the current organization's. Filters are GET forms: a bad date or
loan number answers 400 with the page and its Spanish message, another organization's loan
404. CSV streams line by line; XLSX streams from a temporary file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sozu.credit.models import Loan
from sozu.credit.reports.forms import RangeForm, ReportForm, StatementForm
from sozu.credit.reports.tables import (
    Report,
    disbursements_report,
    portfolio_report,
    repayments_report,
    statement_report,
)
from sozu.credit.reports.writers import (
    CONTENT_TYPES,
    pdf_max_rows,
    report_csv,
    report_pdf,
    report_xlsx,
)
from sozu.credit.views import today
from sozu.orgs.models import Organization
from sozu.orgs.permissions import Action, org_member_required


def _organization(request: HttpRequest) -> Organization:
    return request.membership.organization  # type: ignore[attr-defined]  # set by middleware


def _forms(request: HttpRequest, bound: str | None = None) -> dict[str, Any]:
    """The four forms of the page; `bound` is the one just submitted (with its errors)."""
    data = request.GET if bound else None
    day = today()
    return {
        "portfolio": ReportForm(data if bound == "portfolio" else None, auto_id="portfolio-%s"),
        "repayments": RangeForm(
            data if bound == "repayments" else None,
            today=day,
            auto_id="repayments-%s",
            initial={"start": day.replace(day=1), "end": day},
        ),
        "disbursements": RangeForm(
            data if bound == "disbursements" else None,
            today=day,
            auto_id="disbursements-%s",
            initial={"start": day.replace(day=1), "end": day},
        ),
        "statement": StatementForm(
            data if bound == "statement" else None,
            auto_id="statement-%s",
            initial={"loan": request.GET.get("loan", "")} if not bound else None,
        ),
    }


def _page(
    request: HttpRequest,
    forms: dict[str, Any],
    *,
    status: int = 200,
    problem: str = "",
    failed: str = "",
) -> HttpResponse:
    context = {
        "forms": forms,
        "section": "credit",
        "credit_tab": "reports",
        "problem": problem,
        "failed": failed,
        "pdf_max_rows": pdf_max_rows(),
    }
    return render(request, "credit/reports/reports.html", context, status=status)


@org_member_required(Action.VIEW)
def reports(request: HttpRequest) -> HttpResponse:
    return _page(request, _forms(request))


def _download(report: Report, kind: str) -> HttpResponse | StreamingHttpResponse | FileResponse:
    name = f"{report.slug}.{kind}"
    response: HttpResponse | StreamingHttpResponse | FileResponse
    if kind == "csv":
        response = StreamingHttpResponse(report_csv(report), content_type=CONTENT_TYPES["csv"])
    elif kind == "xlsx":
        response = FileResponse(report_xlsx(report), content_type=CONTENT_TYPES["xlsx"])
    else:
        response = HttpResponse(report_pdf(report), content_type=CONTENT_TYPES["pdf"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # names, documents and money of people
    return response


def _export(
    request: HttpRequest, kind: str, build: Callable[[dict[str, Any]], Report | HttpResponse]
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    forms = _forms(request, bound=kind)
    form = forms[kind]
    if not form.is_valid():
        return _page(request, forms, status=400, failed=kind)
    built = build(form.cleaned_data)
    if isinstance(built, HttpResponse):
        return built
    fmt = form.cleaned_data["format"]
    if fmt == "pdf" and built.row_count > pdf_max_rows():
        problem = _(
            "This report has %(rows)s rows; a PDF holds at most %(max)s. Download it as CSV or "
            "XLSX, or choose a shorter period."
        ) % {"rows": built.row_count, "max": pdf_max_rows()}
        return _page(request, forms, status=400, problem=problem, failed=kind)
    return _download(built, fmt)


@org_member_required(Action.EXPORT)
def portfolio(request: HttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    org = _organization(request)
    return _export(
        request, "portfolio", lambda data: portfolio_report(organization=org, as_of=today())
    )


@org_member_required(Action.EXPORT)
def repayments(request: HttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    org = _organization(request)
    return _export(
        request,
        "repayments",
        lambda data: repayments_report(organization=org, start=data["start"], end=data["end"]),
    )


@org_member_required(Action.EXPORT)
def disbursements(request: HttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    org = _organization(request)
    return _export(
        request,
        "disbursements",
        lambda data: disbursements_report(organization=org, start=data["start"], end=data["end"]),
    )


@org_member_required(Action.EXPORT)
def statement(request: HttpRequest) -> HttpResponse | StreamingHttpResponse | FileResponse:
    org = _organization(request)

    def build(data: dict[str, Any]) -> Report | HttpResponse:
        loan = (
            Loan.objects.select_related("beneficiary", "product", "payout", "organization")
            .filter(organization=org, pk=data["loan"])
            .first()
        )
        if loan is None:
            # Another organization's loan is not found, exactly like one that does not exist.
            forms = _forms(request, bound="statement")
            forms["statement"].is_valid()
            forms["statement"].add_error(
                "loan",
                _("There is no loan SOZU-%(id)s in this organization.") % {"id": data["loan"]},
            )
            return _page(request, forms, status=404, failed="statement")
        return statement_report(loan=loan, as_of=today())

    return _export(request, "statement", build)


__all__ = ["disbursements", "portfolio", "repayments", "reports", "statement"]
