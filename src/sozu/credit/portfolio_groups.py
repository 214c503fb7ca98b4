"""The portfolio by solidarity group: which group each loan was granted in, and the
indicators of each group's loans (the same definitions as the product and officer slices).

`PortfolioFlow` has no group column, so group loans are read loan by loan: a few plain
queries over the group loans only (`loan_id IN (group loans)`), summed per loan and added up
per group here. Joins to the group tables, or an anti-join over every repayment, cost seconds
on the benchmark; this adds about 0.15 s to the indicators with 4,000 group loans among
20,000 (docs/credit.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Sum

from sozu.credit.models import Cuota, GroupLoan, Loan, LoanState, Repayment
from sozu.credit.portfolio_slices import PAR_DAYS, Figures

L = Loan.Status


def group_names(*, organization_id: int) -> dict[int, str]:
    """Loan id → the name of the solidarity group it was granted in (group loans only)."""
    return dict(
        GroupLoan.objects.filter(group__organization_id=organization_id).values_list(
            "loan_id", "group__name"
        )
    )


def figures_by_group(
    *, organization_id: int, date_from: dt.date, date_to: dt.date, as_of: dt.date
) -> dict[str, Figures]:
    """Group name → the figures of its loans: stocks as of `as_of`, flows over the period."""
    names = group_names(organization_id=organization_id)
    if not names:
        return {}  # an organization that does not lend to groups pays one cheap query
    groups: dict[str, Figures] = defaultdict(Figures)
    borrowers: dict[str, set[int]] = defaultdict(set)
    ids = GroupLoan.objects.filter(group__organization_id=organization_id).values("loan_id")
    risk_from = {n: as_of - dt.timedelta(days=n if n > 1 else 0) for n in PAR_DAYS}
    states = LoanState.objects.filter(
        loan_id__in=ids, status__in=(L.ACTIVE, L.WRITTEN_OFF)
    ).values_list(
        "loan_id",
        "status",
        "beneficiary_id",
        "outstanding_capital",
        "overdue",
        "oldest_unpaid_due",
        "as_of",
    )
    for loan_id, status, person, capital, overdue, oldest, day in states:
        fig = groups[names[loan_id]]
        if status == L.WRITTEN_OFF:
            if date_from <= day <= date_to:
                fig.written_off += capital
                fig.written_off_count += 1
            continue
        fig.gross += capital
        fig.active_loans += 1
        borrowers[names[loan_id]].add(person)
        if oldest is not None and oldest < as_of:
            fig.overdue += overdue
        for n, limit in risk_from.items():
            if oldest is not None and oldest < limit:
                fig.at_risk[n] += capital
    for name, people in borrowers.items():
        groups[name].borrowers = len(people)
    scheduled = Loan.objects.filter(pk__in=ids, status__in=(L.ACTIVE, L.PAID_OFF, L.WRITTEN_OFF))
    for loan_id, amount in scheduled.filter(disbursed_on__range=(date_from, date_to)).values_list(
        "pk", "amount"
    ):
        fig = groups[names[loan_id]]
        fig.disbursed += amount
        fig.disbursed_count += 1
    due = (
        Cuota.objects.filter(
            loan_id__in=scheduled.values("pk"), due_date__range=(date_from, date_to)
        )
        .values("loan_id")
        .annotate(total=Sum("total"))
    )
    for row in due:
        groups[names[row["loan_id"]]].due += row["total"]
    # Collected: payments received in the period, less those reversed since (a reversal takes
    # the payment back from the payment's day, as in PortfolioFlow).
    paid = (
        Repayment.objects.filter(
            loan_id__in=ids, kind=Repayment.Kind.PAYMENT, received_on__range=(date_from, date_to)
        )
        .values("loan_id")
        .annotate(total=Sum("amount"))
    )
    for row in paid:
        groups[names[row["loan_id"]]].collected += row["total"]
    taken_back = (
        Repayment.objects.filter(
            loan_id__in=ids,
            kind=Repayment.Kind.REVERSAL,
            reverses__received_on__range=(date_from, date_to),
        )
        .values("loan_id")
        .annotate(total=Sum("amount"))
    )
    for row in taken_back:
        groups[names[row["loan_id"]]].collected -= row["total"]
    return dict(sorted(groups.items()))
