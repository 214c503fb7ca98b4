"""`sozu credit refresh`: the daily job, and --all rebuilding states and flows."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from sozu.credit.models import LoanState, PortfolioFlow

from .helpers import active_loan

pytestmark = pytest.mark.django_db
START = dt.date(2026, 2, 2)


def run(*args: str) -> str:
    out = StringIO()
    call_command("credit", "refresh", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_refresh_recomputes_late_loans_and_all_rebuilds_flows() -> None:
    loan = active_loan(paid_on=START, amount="1000", cuotas=3)
    first = loan.schedule.order_by("number")[0]
    day = first.due_date + dt.timedelta(days=12)
    assert "1 préstamo(s) recalculados" in run("--as-of", day.isoformat())
    state = LoanState.objects.get(loan=loan)
    assert state.as_of == day and state.days_past_due == 12
    assert "0 préstamo(s) recalculados" in run("--as-of", day.isoformat())
    flows_before = sorted(PortfolioFlow.objects.values_list("day", "due", "disbursed"))
    PortfolioFlow.objects.all().delete()
    output = run("--all", "--as-of", day.isoformat(), "--org", loan.organization.slug)
    assert "fila(s) de flujos diarios reconstruidas" in output
    assert sorted(PortfolioFlow.objects.values_list("day", "due", "disbursed")) == flows_before


def test_an_unknown_organization_is_refused() -> None:
    with pytest.raises(Exception, match="no-existe"):
        run("--org", "no-existe")
