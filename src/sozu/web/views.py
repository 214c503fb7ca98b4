"""The dashboard's home (Inicio) and the site root."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from sozu.orgs.permissions import Action, current_organization, org_member_required
from sozu.web.selectors import home_summary


def root(request: HttpRequest) -> HttpResponse:
    """`/`: the dashboard (the sign-in page first when nobody is signed in)."""
    return redirect("web:home")


@org_member_required(Action.VIEW)
def home(request: HttpRequest) -> HttpResponse:
    summary = home_summary(current_organization(request))
    chart_data = {**summary.chart, "label": _("USDC paid")}
    return render(
        request,
        "web/home.html",
        {"summary": summary, "chart_data": chart_data, "section": "home"},
    )
