"""Reading solidarity groups: members, loans by cycle, arrears and portfolio at risk (PAR)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models import Loan
from sozu.credit.models_borrowers import GroupLoan, SolidarityGroup
from sozu.credit.selectors_borrowers import positions_for

ZERO = Decimal("0")
#: PAR counts loans with a cuota more than this many days late.
PAR_DAYS = 30


def group_list(*, organization_id: int) -> QuerySet[SolidarityGroup]:
    return SolidarityGroup.objects.filter(organization_id=organization_id).select_related(
        "coordinator"
    )


def group_get(*, organization_id: int, group_id: int) -> SolidarityGroup:
    group = group_list(organization_id=organization_id).filter(pk=group_id).first()
    if group is None:
        raise SozuError("not_found")
    return group


@dataclass
class MemberArrears:
    beneficiary_id: int
    name: str
    loan: Loan
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    days_past_due: int = 0


@dataclass
class GroupArrears:
    """A group's current cycle as of a day: what is owed, what is late and PAR."""

    as_of: dt.date
    cycle: int
    members: list[MemberArrears] = field(default_factory=list)
    outstanding_capital: Decimal = ZERO
    at_risk_capital: Decimal = ZERO

    @property
    def overdue(self) -> Decimal:
        return sum((m.overdue for m in self.members), ZERO)

    @property
    def outstanding(self) -> Decimal:
        return sum((m.outstanding for m in self.members), ZERO)

    @property
    def members_late(self) -> int:
        return sum(1 for m in self.members if m.days_past_due > 0)

    @property
    def par(self) -> Decimal:
        """Capital of loans more than 30 days late / all capital outstanding (a fraction)."""
        if not self.outstanding_capital:
            return ZERO
        return (self.at_risk_capital / self.outstanding_capital).quantize(Decimal("0.0001"))


def group_arrears(*, group: SolidarityGroup, as_of: dt.date) -> GroupArrears:
    links = list(
        GroupLoan.objects.filter(group=group, cycle=group.cycle).select_related(
            "loan", "loan__beneficiary"
        )
    )
    loans = [link.loan for link in links]
    positions = positions_for(
        [loan for loan in loans if loan.status in (Loan.Status.ACTIVE, Loan.Status.PAID_OFF)],
        as_of,
    )
    result = GroupArrears(as_of=as_of, cycle=group.cycle)
    for loan in loans:
        row = MemberArrears(loan.beneficiary_id, loan.beneficiary.full_name, loan)
        position = positions.get(loan.pk)
        if position is not None:
            row.outstanding = position.outstanding
            row.overdue = position.overdue
            row.days_past_due = position.days_past_due
            capital = position.outstanding_capital
            result.outstanding_capital += capital
            if position.days_past_due > PAR_DAYS:
                result.at_risk_capital += capital
        result.members.append(row)
    return result


def group_cycles(*, group: SolidarityGroup) -> dict[int, list[Loan]]:
    """Every cycle's loans, newest cycle first."""
    cycles: dict[int, list[Loan]] = {}
    for link in (
        GroupLoan.objects.filter(group=group)
        .select_related("loan", "loan__beneficiary")
        .order_by("-cycle", "loan__beneficiary__full_name")
    ):
        cycles.setdefault(link.cycle, []).append(link.loan)
    return cycles
