"""JSON API of the portfolio: the indicators (issue 12), with the organization's API key."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from sozu.core.api import caller_of, problems
from sozu.credit.errors_portfolio import PORTFOLIO_MESSAGES  # noqa: F401  (registers them)
from sozu.credit.forms_portfolio import default_period
from sozu.credit.portfolio import indicators
from sozu.errors import SozuError

router = Router(tags=["credit"])


class PeriodIn(Schema):
    date_from: dt.date | None = Field(
        None, alias="from", description="First day of the period (default: 11 months ago, day 1)."
    )
    date_to: dt.date | None = Field(None, alias="to", description="Last day (default: today).")


class FiguresOut(Schema):
    gross_portfolio: str
    active_loans: int
    active_borrowers: int
    overdue: str
    par: dict[str, str] = Field(description="PAR 1, 30 and 90 in percent of the gross portfolio.")
    at_risk: dict[str, str]
    disbursed: str
    disbursed_count: int
    due: str
    collected: str
    collection_rate: str | None = Field(description="Percent; null when nothing fell due.")
    written_off: str
    written_off_count: int
    average_balance: str
    average_disbursed: str


class ProductFigures(FiguresOut):
    product: str


class OfficerFigures(FiguresOut):
    officer: str


class GroupFigures(FiguresOut):
    group: str = Field(description="The solidarity group's name: its members' group loans.")


class AgingOut(Schema):
    bucket: str
    outstanding_capital: str
    loans: int


class MonthOut(Schema):
    month: str
    disbursed: str
    due: str
    collected: str


class IndicatorsOut(Schema):
    as_of: str
    stale_loans: int
    date_from: str = Field(alias="from")
    date_to: str = Field(alias="to")
    total: FiguresOut
    by_product: list[ProductFigures]
    by_officer: list[OfficerFigures]
    by_group: list[GroupFigures]
    aging: list[AgingOut]
    months: list[MonthOut]


@router.get(
    "/credit/indicators",
    response={200: IndicatorsOut, **problems(400)},
    by_alias=True,
    summary="Portfolio indicators",
)
def credit_indicators_api(request: HttpRequest, period: Query[PeriodIn]) -> dict[str, Any]:
    """Gross portfolio, active borrowers, disbursed, collection rate, PAR 1/30/90, write-offs
    and average loan, in total, by product, by loan officer and by solidarity group. Amounts
    are decimal strings."""
    organization = caller_of(request).organization
    today = timezone.localdate()
    start, end = default_period(today)
    start = period.date_from or start
    end = period.date_to or end
    if start > end:
        raise SozuError("portfolio_period_invalid")
    return indicators(
        organization_id=organization.pk, date_from=start, date_to=end, as_of=today
    ).as_dict()
