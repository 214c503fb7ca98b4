"""Borrowers ranked by how they repay, each with her reasons in Spanish.

For every beneficiary with a paid-out loan, over all her cuotas already due (as of a day):
- on-time ratio: cuotas paid on or before their due date / cuotas paid;
- average days late: over every cuota due, paid (days it was late) or not (days late so far);
- cycles completed: her loans paid off.
Order: higher on-time ratio, then fewer average days late, then more cycles completed, then
fewer days past due today, then name. Borrowers with no cuota due yet come last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.models import Loan
from sozu.credit.selectors_borrowers import DISBURSED, positions_for
from sozu.credit.services.renewal import Eligibility, renewal_eligibility_many

ONE_DECIMAL = Decimal("0.1")


@dataclass
class BorrowerScore:
    beneficiary: Beneficiary
    cuotas_due: int = 0
    cuotas_paid: int = 0
    cuotas_on_time: int = 0
    days_late_total: int = 0
    cycles_completed: int = 0
    loans: int = 0
    written_off: int = 0
    days_past_due: int = 0
    rank: int = 0
    reasons: list[str] = field(default_factory=list)
    renewal: Eligibility | None = None

    @property
    def on_time_ratio(self) -> Decimal | None:
        if not self.cuotas_paid:
            return None
        return (Decimal(self.cuotas_on_time) / self.cuotas_paid).quantize(Decimal("0.0001"))

    @property
    def average_days_late(self) -> Decimal:
        if not self.cuotas_due:
            return Decimal(0)
        return (Decimal(self.days_late_total) / self.cuotas_due).quantize(
            ONE_DECIMAL, ROUND_HALF_UP
        )

    def sort_key(self) -> tuple[object, ...]:
        ratio = self.on_time_ratio
        return (
            self.cuotas_due == 0,
            -(ratio if ratio is not None else Decimal(-1)),
            self.written_off,
            self.average_days_late,
            -self.cycles_completed,
            self.days_past_due,
            self.beneficiary.full_name,
            self.beneficiary.pk,
        )


def _reasons(s: BorrowerScore) -> list[str]:
    out = []
    if not s.cuotas_due:
        return [_("No cuota is due yet.")]
    if s.cuotas_paid:
        out.append(
            ngettext(
                "%(on_time)s of %(paid)s paid cuota was paid on time.",
                "%(on_time)s of %(paid)s paid cuotas were paid on time.",
                s.cuotas_paid,
            )
            % {"on_time": s.cuotas_on_time, "paid": s.cuotas_paid}
        )
    else:
        out.append(_("She has not paid any cuota yet."))
    days = f"{s.average_days_late:f}".replace(".", ",")
    out.append(_("Average delay: %(days)s days per cuota due.") % {"days": days})
    out.append(
        ngettext("%(count)s cycle completed.", "%(count)s cycles completed.", s.cycles_completed)
        % {"count": s.cycles_completed}
    )
    if s.days_past_due:
        out.append(
            ngettext(
                "Today she is %(days)s day late.",
                "Today she is %(days)s days late.",
                s.days_past_due,
            )
            % {"days": s.days_past_due}
        )
    if s.written_off:
        out.append(
            ngettext("%(count)s loan written off.", "%(count)s loans written off.", s.written_off)
            % {"count": s.written_off}
        )
    return out


def borrower_ranking(*, organization_id: int, as_of: dt.date) -> list[BorrowerScore]:
    """Every borrower of the organization with a paid-out loan, best payer first."""
    loans = list(
        Loan.objects.filter(organization_id=organization_id, status__in=DISBURSED).select_related(
            "beneficiary"
        )
    )
    positions = positions_for(loans, as_of)
    scores: dict[int, BorrowerScore] = {}
    for loan in loans:
        s = scores.get(loan.beneficiary_id)
        if s is None:
            s = scores[loan.beneficiary_id] = BorrowerScore(beneficiary=loan.beneficiary)
        s.loans += 1
        s.cycles_completed += loan.status == Loan.Status.PAID_OFF
        s.written_off += loan.status == Loan.Status.WRITTEN_OFF
        position = positions.get(loan.pk)
        if position is None:
            continue
        s.days_past_due = max(s.days_past_due, position.days_past_due)
        for c in position.cuotas:
            if c.due.due_date > as_of:
                continue  # not due yet (even if paid ahead): counted once it falls due
            s.cuotas_due += 1
            late = c.days_late(as_of)
            s.days_late_total += late
            if c.is_paid:
                s.cuotas_paid += 1
                s.cuotas_on_time += late == 0
    ranked = sorted(scores.values(), key=BorrowerScore.sort_key)
    renewals = renewal_eligibility_many(
        organization_id=organization_id, beneficiary_ids=list(scores), as_of=as_of
    )
    with translation.override("es"):
        for rank, s in enumerate(ranked, start=1):
            s.rank = rank
            s.reasons = _reasons(s)
            s.renewal = renewals.get(s.beneficiary.pk)
    return ranked


__all__ = ["BorrowerScore", "borrower_ranking"]
