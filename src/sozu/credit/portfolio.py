"""Reading the portfolio (issue 12): mora (arrears, aging buckets, follow-ups) and indicators.

Everything here reads `LoanState` (the derived per-loan state kept by services/portfolio.py)
and a few aggregates over cuotas and repayments; nothing replays the allocation per loan, so
the numbers of 100,000 loans come from a handful of SQL queries.

Conventions (also in docs/credit.md):
- days past due = as_of - the due date of the oldest cuota not fully paid (0 if it is not due);
  a loan is in arrears from 1 day.
- buckets: 1-30, 31-60, 61-90 and more than 90 days past due.
- PAR n = outstanding capital of active loans more than n days past due ÷ the gross portfolio;
  PAR 1 counts every loan at least one day late.
- gross portfolio = outstanding capital of active loans (written-off ones are out).
- collection rate = payments received in the period (not reversed) ÷ cuotas due in the period.
- write-offs = loans written off in the period and their outstanding capital then (a
  written-off loan's state is frozen on the day it was written off: its `as_of`).
- by group: the loans granted to a solidarity group's members (GroupLoan), every cycle; a loan
  of no group is in no group's figures (the product and officer breakdowns cover every loan).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from sozu.credit.models import (
    Loan,
    LoanFollowUp,
    LoanProduct,
    LoanState,
    PortfolioFlow,
    Repayment,
)
from sozu.credit.models_portfolio import BUCKETS
from sozu.credit.portfolio_groups import figures_by_group, group_names
from sozu.credit.portfolio_slices import PAR_DAYS, Figures
from sozu.credit.simulator import ZERO

L = Loan.Status
BUCKET_LABELS = {
    "1-30": _("1 to 30 days"),
    "31-60": _("31 to 60 days"),
    "61-90": _("61 to 90 days"),
    "90+": _("More than 90 days"),
}


def bucket_of(days: int) -> str:
    """The aging bucket of a number of days past due ('' when not late)."""
    for key, low, high in BUCKETS:
        if days >= low and (high is None or days <= high):
            return key
    return ""


def bucket_range(key: str, as_of: dt.date) -> Q:
    """The oldest-unpaid-due-date condition of a bucket (an index range, no computation)."""
    for name, low, high in BUCKETS:
        if name == key:
            cond = Q(oldest_unpaid_due__lte=as_of - dt.timedelta(days=low))
            if high is not None:
                cond &= Q(oldest_unpaid_due__gte=as_of - dt.timedelta(days=high))
            return cond
    raise ValueError(key)


@dataclass(frozen=True)
class ArrearsFilter:
    bucket: str = ""
    product_id: int | None = None
    officer: str = ""


def arrears_queryset(
    *, organization_id: int, as_of: dt.date, filters: ArrearsFilter | None = None
) -> QuerySet[LoanState]:
    """Active loans of the organization at least one day late, the latest first."""
    f = filters or ArrearsFilter()
    qs = LoanState.objects.filter(
        organization_id=organization_id,
        status=L.ACTIVE,
        oldest_unpaid_due__lt=as_of,
    )
    if f.bucket:
        qs = qs.filter(bucket_range(f.bucket, as_of))
    if f.product_id:
        qs = qs.filter(product_id=f.product_id)
    if f.officer:
        qs = qs.filter(officer=f.officer)
    return qs.order_by("oldest_unpaid_due", "loan_id")


#: The columns of the arrears report, in order (values_list names).
REPORT_FIELDS = (
    "loan_id",
    "loan__beneficiary__full_name",
    "loan__beneficiary__national_id",
    "loan__beneficiary__phone",
    "loan__beneficiary__locality",
    "loan__product__name",
    "loan__prepared_by",
    "loan__currency",
    "loan__amount",
    "loan__disbursed_on",
    "outstanding_capital",
    "overdue",
    "late_interest",
    "oldest_unpaid_due",
    "last_repayment_on",
)


MONEY_FIELDS = frozenset({"loan__amount", "outstanding_capital", "overdue", "late_interest"})


@dataclass(slots=True)
class ArrearsRow:
    """One loan of the arrears report, in REPORT_FIELDS order, then its group, days late and
    bucket."""

    loan_id: int
    name: str
    national_id: str
    phone: str
    locality: str
    product: str
    officer: str
    currency: str
    amount: Decimal
    disbursed_on: dt.date | None
    outstanding_capital: Decimal
    overdue: Decimal
    late_interest: Decimal
    oldest_unpaid_due: dt.date
    last_repayment_on: dt.date | None
    #: Her solidarity group's name ('' when the loan was not granted to a group).
    group: str
    days_late: int
    bucket: str


def arrears_rows(
    *,
    organization_id: int,
    as_of: dt.date,
    filters: ArrearsFilter | None = None,
    chunk_size: int = 5000,
) -> Iterator[ArrearsRow]:
    """Every loan in arrears as a flat row, streamed from a server-side cursor."""
    qs = arrears_queryset(organization_id=organization_id, as_of=as_of, filters=filters)
    # Money columns are read as their stored stroops (no per-value field converter): a
    # Decimal is made from the integer directly, exact and several times faster.
    raw = {
        f"raw_{i}": ExpressionWrapper(F(name), output_field=BigIntegerField())
        for i, name in enumerate(REPORT_FIELDS)
        if name in MONEY_FIELDS
    }
    names = [f"raw_{i}" if name in MONEY_FIELDS else name for i, name in enumerate(REPORT_FIELDS)]
    money = [i for i, name in enumerate(REPORT_FIELDS) if name in MONEY_FIELDS]
    due_index = REPORT_FIELDS.index("oldest_unpaid_due")
    # Group loans are few: their groups are read once instead of joined to every row.
    groups = group_names(organization_id=organization_id)
    for values in qs.annotate(**raw).values_list(*names).iterator(chunk_size=chunk_size):
        row = list(values)
        for i in money:
            row[i] = Decimal(row[i]).scaleb(-7)
        days = (as_of - row[due_index]).days
        group = groups.get(row[0], "")
        yield ArrearsRow(*row, group, days, bucket_of(days))  # type: ignore[call-arg]


def officers(*, organization_id: int) -> list[str]:
    """Who prepared the organization's loans (the loan officers), for the filters."""
    return sorted(
        Loan.objects.filter(organization_id=organization_id)
        .values_list("prepared_by", flat=True)
        .distinct()
    )


# --- follow-ups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseState:
    follow_up: LoanFollowUp
    paid: Decimal
    #: "kept" (paid the amount), "broken" (the date passed without it), "pending".
    status: str


def promise_state(
    *, promise: LoanFollowUp, payments: list[tuple[dt.date, Decimal]], today: dt.date
) -> PromiseState:
    """Whether a promise to pay was kept: what she paid from the day of the promise to the day
    promised reaches the amount promised."""
    start = promise.created_at.date()
    assert promise.promised_on is not None and promise.promised_amount is not None
    paid = sum((amount for day, amount in payments if start <= day <= promise.promised_on), ZERO)
    if paid >= promise.promised_amount:
        status = "kept"
    elif promise.promised_on < today:
        status = "broken"
    else:
        status = "pending"
    return PromiseState(follow_up=promise, paid=paid, status=status)


@dataclass
class FollowUpSummary:
    last: LoanFollowUp | None = None
    promise: PromiseState | None = None
    count: int = 0


def _payments_by_loan(loan_ids: list[int]) -> dict[int, list[tuple[dt.date, Decimal]]]:
    found: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    rows = Repayment.objects.filter(
        loan_id__in=loan_ids, kind=Repayment.Kind.PAYMENT, reversal__isnull=True
    ).values_list("loan_id", "received_on", "amount")
    for loan_id, day, amount in rows:
        found[loan_id].append((day, amount))
    return found


def follow_up_summaries(*, loan_ids: list[int], today: dt.date) -> dict[int, FollowUpSummary]:
    """For a page of loans: the last follow-up, the latest promise and whether it was kept."""
    summaries: dict[int, FollowUpSummary] = defaultdict(FollowUpSummary)
    promises: dict[int, LoanFollowUp] = {}
    for f in LoanFollowUp.objects.filter(loan_id__in=loan_ids).order_by("-created_at", "-id"):
        s = summaries[f.loan_id]
        s.count += 1
        s.last = s.last or f
        if f.kind == LoanFollowUp.Kind.PROMISE and f.loan_id not in promises:
            promises[f.loan_id] = f
    payments = _payments_by_loan(list(promises))
    for loan_id, promise in promises.items():
        summaries[loan_id].promise = promise_state(
            promise=promise, payments=payments[loan_id], today=today
        )
    return dict(summaries)


def loan_follow_ups(
    *, loan: Loan, today: dt.date
) -> list[tuple[LoanFollowUp, PromiseState | None]]:
    """A loan's follow-up log, newest first, each promise with whether it was kept."""
    payments = _payments_by_loan([loan.pk])[loan.pk]
    return [
        (
            f,
            promise_state(promise=f, payments=payments, today=today)
            if f.kind == LoanFollowUp.Kind.PROMISE
            else None,
        )
        for f in LoanFollowUp.objects.filter(loan=loan).order_by("-created_at", "-id")
    ]


# --- indicators ------------------------------------------------------------------------------


@dataclass
class Indicators:
    as_of: dt.date
    date_from: dt.date
    date_to: dt.date
    total: Figures
    by_product: dict[str, Figures]
    by_officer: dict[str, Figures]
    #: Solidarity group (its name) → the figures of its members' group loans.
    by_group: dict[str, Figures]
    #: Outstanding capital and loans per aging bucket (active loans).
    aging: dict[str, tuple[Decimal, int]]
    #: Month (first day) → (disbursed, due, collected), over the period.
    months: dict[dt.date, list[Decimal]]
    #: Active loans whose state waits for the daily refresh (`sozu credit refresh`).
    stale_loans: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "stale_loans": self.stale_loans,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "total": self.total.as_dict(),
            "by_product": [{"product": k, **v.as_dict()} for k, v in self.by_product.items()],
            "by_officer": [{"officer": k, **v.as_dict()} for k, v in self.by_officer.items()],
            "by_group": [{"group": k, **v.as_dict()} for k, v in self.by_group.items()],
            "aging": [
                {"bucket": k, "outstanding_capital": str(v[0]), "loans": v[1]}
                for k, v in self.aging.items()
            ],
            "months": [
                {
                    "month": m.isoformat(),
                    "disbursed": str(v[0]),
                    "due": str(v[1]),
                    "collected": str(v[2]),
                }
                for m, v in self.months.items()
            ],
        }


def _slices(ind: Indicators, product: str, officer: str) -> tuple[Figures, Figures, Figures]:
    return (
        ind.total,
        ind.by_product.setdefault(product, Figures()),
        ind.by_officer.setdefault(officer, Figures()),
    )


def _month(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def indicators(
    *,
    organization_id: int,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date,
) -> Indicators:
    """The portfolio's indicators: stocks as of `as_of` (from LoanState), flows over the period
    [date_from, date_to] (from PortfolioFlow: disbursements, cuotas due, payments) and
    write-offs. Each source is one query grouped by product and officer, added up here; no
    query joins the loans, cuotas or repayments."""
    ind = Indicators(
        as_of=as_of,
        date_from=date_from,
        date_to=date_to,
        total=Figures(),
        by_product={},
        by_officer={},
        by_group={},
        aging={key: (ZERO, 0) for key, _, _ in BUCKETS},
        months={},
        stale_loans=0,
    )
    names = dict(
        LoanProduct.objects.filter(organization_id=organization_id).values_list("pk", "name")
    )
    states = LoanState.objects.filter(organization_id=organization_id, status=L.ACTIVE)
    late = Q(oldest_unpaid_due__lt=as_of)
    at_risk = {
        n: Sum(
            "outstanding_capital",
            filter=Q(oldest_unpaid_due__lt=as_of - dt.timedelta(days=n if n > 1 else 0)),
        )
        for n in PAR_DAYS
    }
    stock = states.values("product_id", "officer").annotate(
        gross=Sum("outstanding_capital"),
        loans=Count("pk"),
        overdue=Sum("overdue", filter=late),
        **{f"risk{n}": expr for n, expr in at_risk.items()},
    )
    for row in stock:
        for fig in _slices(ind, names.get(row["product_id"], ""), row["officer"]):
            fig.gross += row["gross"] or ZERO
            fig.active_loans += row["loans"]
            fig.overdue += row["overdue"] or ZERO
            for n in PAR_DAYS:
                fig.at_risk[n] += row[f"risk{n}"] or ZERO
    # Borrowers are not additive (one person, two loans): counted per slice.
    ind.total.borrowers = states.aggregate(n=Count("beneficiary_id", distinct=True))["n"]
    for row in states.values("product_id").annotate(n=Count("beneficiary_id", distinct=True)):
        ind.by_product.setdefault(names.get(row["product_id"], ""), Figures()).borrowers = row["n"]
    for row in states.values("officer").annotate(n=Count("beneficiary_id", distinct=True)):
        ind.by_officer.setdefault(row["officer"], Figures()).borrowers = row["n"]
    aging = states.aggregate(
        **{
            f"c{i}": Sum("outstanding_capital", filter=bucket_range(key, as_of))
            for i, (key, _l, _h) in enumerate(BUCKETS)
        },
        **{
            f"n{i}": Count("pk", filter=bucket_range(key, as_of))
            for i, (key, _l, _h) in enumerate(BUCKETS)
        },
        stale=Count("pk", filter=Q(next_change_on__lte=as_of)),
    )
    for i, (key, _l, _h) in enumerate(BUCKETS):
        ind.aging[key] = (aging[f"c{i}"] or ZERO, aging[f"n{i}"])
    ind.stale_loans = aging["stale"]

    flows = (
        PortfolioFlow.objects.filter(
            organization_id=organization_id, day__range=(date_from, date_to)
        )
        .values("product_id", "officer", m=TruncMonth("day"))
        .annotate(
            disbursed=Sum("disbursed"),
            n=Sum("disbursed_count"),
            due=Sum("due"),
            collected=Sum("collected"),
        )
    )
    for row in flows:
        for fig in _slices(ind, names.get(row["product_id"], ""), row["officer"]):
            fig.disbursed += row["disbursed"]
            fig.disbursed_count += row["n"]
            fig.due += row["due"]
            fig.collected += row["collected"]
        month = ind.months.setdefault(_month(row["m"]), [ZERO, ZERO, ZERO])
        month[0] += row["disbursed"]
        month[1] += row["due"]
        month[2] += row["collected"]
    written = (
        LoanState.objects.filter(
            organization_id=organization_id,
            status=L.WRITTEN_OFF,
            as_of__range=(date_from, date_to),
        )
        .values("product_id", "officer")
        .annotate(total=Sum("outstanding_capital"), n=Count("pk"))
    )
    for row in written:
        for fig in _slices(ind, names.get(row["product_id"], ""), row["officer"]):
            fig.written_off += row["total"] or ZERO
            fig.written_off_count += row["n"]
    ind.months = dict(sorted(ind.months.items()))
    ind.by_product = dict(sorted(ind.by_product.items()))
    ind.by_officer = dict(sorted(ind.by_officer.items()))
    ind.by_group = figures_by_group(
        organization_id=organization_id, date_from=date_from, date_to=date_to, as_of=as_of
    )
    return ind
