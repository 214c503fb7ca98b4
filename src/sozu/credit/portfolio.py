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
- write-offs = loans written off in the period and their outstanding capital then.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from sozu.credit.models import Cuota, Loan, LoanFollowUp, LoanState, Repayment
from sozu.credit.models_portfolio import BUCKETS
from sozu.credit.simulator import ZERO

L = Loan.Status
BUCKET_LABELS = {
    "1-30": _("1 to 30 days"),
    "31-60": _("31 to 60 days"),
    "61-90": _("61 to 90 days"),
    "90+": _("More than 90 days"),
}
PAR_DAYS = (1, 30, 90)
PERCENT = Decimal("0.01")


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
        loan__status=L.ACTIVE,
        oldest_unpaid_due__lt=as_of,
    )
    if f.bucket:
        qs = qs.filter(bucket_range(f.bucket, as_of))
    if f.product_id:
        qs = qs.filter(loan__product_id=f.product_id)
    if f.officer:
        qs = qs.filter(loan__prepared_by=f.officer)
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


#: The ArrearsRow attribute each of REPORT_FIELDS fills.
ROW_FIELDS = (
    "loan_id",
    "name",
    "national_id",
    "phone",
    "locality",
    "product",
    "officer",
    "currency",
    "amount",
    "disbursed_on",
    "outstanding_capital",
    "overdue",
    "late_interest",
    "oldest_unpaid_due",
    "last_repayment_on",
)


@dataclass(frozen=True)
class ArrearsRow:
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
    for values in qs.values_list(*REPORT_FIELDS).iterator(chunk_size=chunk_size):
        row = dict(zip(ROW_FIELDS, values, strict=True))
        days = (as_of - row["oldest_unpaid_due"]).days
        yield ArrearsRow(**row, days_late=days, bucket=bucket_of(days))


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
class Figures:
    """The indicators of one slice of the portfolio (all, a product, an officer)."""

    gross: Decimal = ZERO
    active_loans: int = 0
    borrowers: int = 0
    overdue: Decimal = ZERO
    at_risk: dict[int, Decimal] = field(default_factory=lambda: dict.fromkeys(PAR_DAYS, ZERO))
    disbursed: Decimal = ZERO
    disbursed_count: int = 0
    due: Decimal = ZERO
    collected: Decimal = ZERO
    written_off: Decimal = ZERO
    written_off_count: int = 0

    @property
    def par(self) -> dict[int, Decimal]:
        """PAR n in percent of the gross portfolio (2 decimals)."""
        return {
            n: (v * 100 / self.gross).quantize(PERCENT) if self.gross else ZERO
            for n, v in self.at_risk.items()
        }

    @property
    def collection_rate(self) -> Decimal | None:
        return (self.collected * 100 / self.due).quantize(PERCENT) if self.due else None

    @property
    def average_balance(self) -> Decimal:
        return (self.gross / self.active_loans).quantize(PERCENT) if self.active_loans else ZERO

    @property
    def average_disbursed(self) -> Decimal:
        if not self.disbursed_count:
            return ZERO
        return (self.disbursed / self.disbursed_count).quantize(PERCENT)

    def as_dict(self) -> dict[str, Any]:
        rate = self.collection_rate
        return {
            "gross_portfolio": str(self.gross),
            "active_loans": self.active_loans,
            "active_borrowers": self.borrowers,
            "overdue": str(self.overdue),
            "par": {str(n): str(v) for n, v in self.par.items()},
            "at_risk": {str(n): str(v) for n, v in self.at_risk.items()},
            "disbursed": str(self.disbursed),
            "disbursed_count": self.disbursed_count,
            "due": str(self.due),
            "collected": str(self.collected),
            "collection_rate": str(rate) if rate is not None else None,
            "written_off": str(self.written_off),
            "written_off_count": self.written_off_count,
            "average_balance": str(self.average_balance),
            "average_disbursed": str(self.average_disbursed),
        }


@dataclass
class Indicators:
    as_of: dt.date
    date_from: dt.date
    date_to: dt.date
    total: Figures
    by_product: dict[str, Figures]
    by_officer: dict[str, Figures]
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
    [date_from, date_to] (disbursements, cuotas due, payments, write-offs). Each source is one
    query grouped by product and officer, added up here."""
    ind = Indicators(
        as_of=as_of,
        date_from=date_from,
        date_to=date_to,
        total=Figures(),
        by_product={},
        by_officer={},
        aging={key: (ZERO, 0) for key, _, _ in BUCKETS},
        months={},
        stale_loans=0,
    )
    states = LoanState.objects.filter(organization_id=organization_id, loan__status=L.ACTIVE)
    late = Q(oldest_unpaid_due__lt=as_of)
    at_risk = {
        n: Sum(
            "outstanding_capital",
            filter=Q(oldest_unpaid_due__lt=as_of - dt.timedelta(days=n if n > 1 else 0)),
        )
        for n in PAR_DAYS
    }
    stock = states.values("loan__product__name", "loan__prepared_by").annotate(
        gross=Sum("outstanding_capital"),
        loans=Count("pk"),
        overdue=Sum("overdue", filter=late),
        **{f"risk{n}": expr for n, expr in at_risk.items()},
    )
    for row in stock:
        for fig in _slices(ind, row["loan__product__name"], row["loan__prepared_by"]):
            fig.gross += row["gross"] or ZERO
            fig.active_loans += row["loans"]
            fig.overdue += row["overdue"] or ZERO
            for n in PAR_DAYS:
                fig.at_risk[n] += row[f"risk{n}"] or ZERO
    # Borrowers are not additive (one person, two loans): counted per slice.
    ind.total.borrowers = states.aggregate(n=Count("loan__beneficiary_id", distinct=True))["n"]
    for key, attr in (("loan__product__name", "by_product"), ("loan__prepared_by", "by_officer")):
        for row in states.values(key).annotate(n=Count("loan__beneficiary_id", distinct=True)):
            getattr(ind, attr).setdefault(row[key], Figures()).borrowers = row["n"]
    for key, _low, _high in BUCKETS:
        cond = bucket_range(key, as_of)
        agg = states.filter(cond).aggregate(c=Sum("outstanding_capital"), n=Count("pk"))
        ind.aging[key] = (agg["c"] or ZERO, agg["n"])
    ind.stale_loans = states.filter(next_change_on__lte=as_of).count()

    def month(m: Any) -> list[Decimal]:
        return ind.months.setdefault(_month(m), [ZERO, ZERO, ZERO])

    period = (date_from, date_to)
    loans = Loan.objects.filter(organization_id=organization_id)
    disbursed = (
        loans.filter(disbursed_on__range=period, status__in=(L.ACTIVE, L.PAID_OFF, L.WRITTEN_OFF))
        .values("product__name", "prepared_by", m=TruncMonth("disbursed_on"))
        .annotate(total=Sum("amount"), n=Count("pk"))
    )
    for row in disbursed:
        for fig in _slices(ind, row["product__name"], row["prepared_by"]):
            fig.disbursed += row["total"]
            fig.disbursed_count += row["n"]
        month(row["m"])[0] += row["total"]
    due = (
        Cuota.objects.filter(
            loan__organization_id=organization_id,
            loan__status__in=(L.ACTIVE, L.PAID_OFF, L.WRITTEN_OFF),
            due_date__range=period,
        )
        .values("loan__product__name", "loan__prepared_by", m=TruncMonth("due_date"))
        .annotate(total=Sum("total"))
    )
    for row in due:
        for fig in _slices(ind, row["loan__product__name"], row["loan__prepared_by"]):
            fig.due += row["total"]
        month(row["m"])[1] += row["total"]
    collected = (
        Repayment.objects.filter(
            organization_id=organization_id,
            kind=Repayment.Kind.PAYMENT,
            reversal__isnull=True,
            received_on__range=period,
        )
        .values("loan__product__name", "loan__prepared_by", m=TruncMonth("received_on"))
        .annotate(total=Sum("amount"))
    )
    for row in collected:
        for fig in _slices(ind, row["loan__product__name"], row["loan__prepared_by"]):
            fig.collected += row["total"]
        month(row["m"])[2] += row["total"]
    written = (
        loans.filter(
            status=L.WRITTEN_OFF,
            status_changed_at__date__range=period,
        )
        .values("product__name", "prepared_by")
        .annotate(total=Sum("state__outstanding_capital"), n=Count("pk"))
    )
    for row in written:
        for fig in _slices(ind, row["product__name"], row["prepared_by"]):
            fig.written_off += row["total"] or ZERO
            fig.written_off_count += row["n"]
    ind.months = dict(sorted(ind.months.items()))
    ind.by_product = dict(sorted(ind.by_product.items()))
    ind.by_officer = dict(sorted(ind.by_officer.items()))
    return ind
