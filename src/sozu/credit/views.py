"""The credit pages: the simulator (any member may use it; read-only, nothing is saved).

The form is a GET form: a simulation is a link that can be shared or reloaded, and its CSV and
PDF exports are the same query string on their own URLs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from sozu.credit.exports import simulation_csv
from sozu.credit.forms import SimulatorForm, default_first_due
from sozu.credit.pdf import simulation_pdf
from sozu.orgs.permissions import Action, org_member_required


def today() -> dt.date:
    """The local date the first due date defaults from (tests move the clock)."""
    return timezone.localtime(timezone.now(), ZoneInfo(settings.TIME_ZONE)).date()


def _form(request: HttpRequest) -> SimulatorForm:
    if "amount" in request.GET:
        return SimulatorForm(request.GET)
    frequency = request.GET.get("frequency", "monthly")
    return SimulatorForm(initial={"first_due": default_first_due(today(), frequency).isoformat()})


def _chart_data(form: SimulatorForm) -> dict[str, Any]:
    rows = form.simulation.rows
    return {
        "labels": [str(r.number) for r in rows],
        "capital": [str(r.capital) for r in rows],
        "interest": [str(r.interest + r.iva) for r in rows],
        "fees": [str(r.fees) for r in rows],
        "balance": [str(r.balance) for r in rows],
        "text": {
            "capital": _("Capital"),
            "interest": _("Interest + IVA"),
            "fees": _("Insurance"),
            "balance": _("Remaining balance"),
        },
    }


@org_member_required(Action.VIEW)
def simulator(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"form": form, "section": "credit", "credit_tab": "simulator"}
    if form.is_bound and form.is_valid():
        query = QueryDict(mutable=True)
        for key in form.fields:
            if key in request.GET:
                query[key] = request.GET[key]
        context.update(
            simulation=form.simulation,
            currency=form.cleaned_data["currency"],
            chart_data=_chart_data(form),
            export_query=query.urlencode(),
        )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "credit/simulator.html", context, status=status)


def _export(request: HttpRequest, kind: str) -> HttpResponse:
    form = SimulatorForm(request.GET)
    if not form.is_valid():
        # Back to the page, which shows each field's error.
        return render(
            request,
            "credit/simulator.html",
            {"form": form, "section": "credit", "credit_tab": "simulator"},
            status=400,
        )
    sim = form.simulation
    name = f"simulacion-{sim.terms.amount}-{sim.terms.cuotas}-cuotas"
    if kind == "csv":
        response = HttpResponse(simulation_csv(sim), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        body = simulation_pdf(sim, currency=form.cleaned_data["currency"])
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@org_member_required(Action.EXPORT)
def simulator_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@org_member_required(Action.EXPORT)
def simulator_pdf(request: HttpRequest) -> HttpResponse:
    return _export(request, "pdf")
