"""Renewal: whether a borrower may take her next credit, for how much, and her cycle history.

The rule is per product (RenewalRule; without one: never more than 7 days late, +20 %):
1. She has no loan in progress (draft, pending, approved, disbursing or active).
2. Her last paid-out loan is paid off: every cuota paid (a write-off never renews).
3. No cuota of that loan was ever more than `max_days_late` days late.
Then the suggested amount is the last amount times (1 + increase %), rounded to cents, capped at
the product's maximum. Each answer carries its reasons in Spanish, whichever way it goes.

`renewal_eligibility(beneficiary)` is the function other code calls; `renewal_eligibility_many`
answers for many borrowers of one organization with a few queries (the ranking page).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.allocation import Position
from sozu.credit.errors_borrowers import SozuError
from sozu.credit.models import Loan, LoanProduct
from sozu.credit.models_borrowers import RenewalRule
from sozu.credit.selectors_borrowers import DISBURSED, max_days_late, positions_for
from sozu.credit.simulator import _decimal
from sozu.formatting import format_ars, format_usdc

L = Loan.Status
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
DEFAULT_MAX_DAYS_LATE = 7
DEFAULT_INCREASE = Decimal("20")
IN_PROGRESS = (L.DRAFT, L.PENDING_APPROVAL, L.APPROVED, L.DISBURSING, L.ACTIVE)


@dataclass(frozen=True)
class Rule:
    max_days_late: int = DEFAULT_MAX_DAYS_LATE
    increase: Decimal = DEFAULT_INCREASE


def renewal_rule_set(
    *, product: LoanProduct, max_days_late: object, increase: object, actor: str
) -> RenewalRule:
    """Set a product's renewal rule (days late 0..365, increase 0..100 %)."""
    try:
        days = int(str(max_days_late).strip())
    except ValueError as exc:
        raise SozuError("renewal_rule_invalid", value=max_days_late) from exc
    pct = _decimal(increase, "renewal_rule_invalid")
    if not (0 <= days <= 365 and 0 <= pct <= HUNDRED):
        raise SozuError("renewal_rule_invalid", value=f"{max_days_late}, {increase}")
    with transaction.atomic():
        rule, _created = RenewalRule.objects.update_or_create(
            product=product,
            defaults={"max_days_late": days, "increase": pct, "updated_by": actor},
        )
        audit_record(
            organization_id=product.organization_id,
            entry=Entry(
                actor,
                "renewal.rule_set",
                "loan_product",
                product.pk,
                {"max_days_late": days, "increase": str(pct)},
            ),
        )
    return rule


def rules_for(product_ids: Iterable[int]) -> dict[int, Rule]:
    return {
        r.product_id: Rule(r.max_days_late, r.increase)
        for r in RenewalRule.objects.filter(product_id__in=set(product_ids))
    }


@dataclass
class Cycle:
    """One loan of her history (cycle 1 is her first paid-out loan)."""

    number: int
    loan: Loan
    max_days_late: int
    cuotas_paid: int
    cuotas_on_time: int
    outstanding: Decimal


@dataclass
class Eligibility:
    beneficiary_id: int
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    suggested_amount: Decimal | None = None
    product: LoanProduct | None = None
    last_loan: Loan | None = None
    cycles: list[Cycle] = field(default_factory=list)


def _money(value: Decimal, currency: str) -> str:
    return (
        format_ars(value, language="es") if currency == "ARS" else format_usdc(value, language="es")
    )


def cycles_of(loans: list[Loan], positions: dict[int, Position]) -> list[Cycle]:
    """Her paid-out loans in the order they were paid out, with how each went."""
    done = sorted(
        (x for x in loans if x.status in DISBURSED and x.pk in positions),
        key=lambda x: (x.disbursed_on or dt.date.min, x.pk),
    )
    out = []
    for number, loan in enumerate(done, start=1):
        position = positions[loan.pk]
        paid = [c for c in position.cuotas if c.is_paid]
        out.append(
            Cycle(
                number=number,
                loan=loan,
                max_days_late=max_days_late(position),
                cuotas_paid=len(paid),
                cuotas_on_time=sum(1 for c in paid if c.days_late(position.as_of) == 0),
                outstanding=position.outstanding,
            )
        )
    return out


def _decide(
    beneficiary_id: int,
    loans: list[Loan],
    positions: dict[int, Position],
    rules: dict[int, Rule],
) -> Eligibility:
    cycles = cycles_of(loans, positions)
    result = Eligibility(beneficiary_id=beneficiary_id, eligible=False, cycles=cycles)
    reasons = result.reasons
    if not cycles:
        reasons.append(_("She has not had a loan paid out yet."))
        return result
    last = cycles[-1]
    loan = last.loan
    result.last_loan, result.product = loan, loan.product
    rule = rules.get(loan.product_id, Rule())
    ok = True
    for other in loans:
        if other.status in IN_PROGRESS:
            ok = False
            reasons.append(
                _("Her loan %(reference)s is still %(status)s.")
                % {"reference": other.reference, "status": L(other.status).label.lower()}
            )
    if loan.status == L.WRITTEN_OFF:
        ok = False
        reasons.append(_("Her last loan was written off."))
    elif loan.status == L.PAID_OFF:
        reasons.append(
            _("Every cuota of her last loan (%(reference)s) is paid.")
            % {"reference": loan.reference}
        )
    if last.max_days_late > rule.max_days_late:
        ok = False
        reasons.append(
            _("A cuota of her last loan was %(days)s days late; the product allows %(max)s.")
            % {"days": last.max_days_late, "max": rule.max_days_late}
        )
    elif loan.status == L.PAID_OFF:
        reasons.append(
            _("No cuota was more than %(max)s days late (the most: %(days)s).")
            % {"days": last.max_days_late, "max": rule.max_days_late}
        )
    if not ok:
        return result
    suggested = (loan.amount * (1 + rule.increase / HUNDRED)).quantize(CENT, ROUND_HALF_UP)
    capped = suggested > loan.product.max_amount
    amount = min(suggested, loan.product.max_amount).quantize(CENT)
    result.eligible, result.suggested_amount = True, amount
    params = {
        "last": _money(loan.amount, loan.currency),
        "pct": f"{rule.increase.normalize():f}".replace(".", ","),
        "amount": _money(amount, loan.currency),
    }
    if capped:
        reasons.append(
            _("Suggested: %(last)s + %(pct)s %% capped at the product's maximum, %(amount)s.")
            % params
        )
    else:
        reasons.append(_("Suggested: %(last)s + %(pct)s %% = %(amount)s.") % params)
    return result


def renewal_eligibility_many(
    *, organization_id: int, beneficiary_ids: Iterable[int] | None = None, as_of: dt.date
) -> dict[int, Eligibility]:
    """Eligibility of each of the organization's borrowers (or of the ones given)."""
    loans_qs = Loan.objects.filter(organization_id=organization_id).select_related("product")
    if beneficiary_ids is not None:
        loans_qs = loans_qs.filter(beneficiary_id__in=list(beneficiary_ids))
    loans = list(loans_qs.exclude(status=L.CANCELLED))
    positions = positions_for([x for x in loans if x.status in DISBURSED], as_of)
    rules = rules_for(x.product_id for x in loans)
    by_person: dict[int, list[Loan]] = defaultdict(list)
    for loan in loans:
        by_person[loan.beneficiary_id].append(loan)
    with translation.override("es"):
        return {
            pk: _decide(pk, person_loans, positions, rules)
            for pk, person_loans in by_person.items()
        }


def renewal_eligibility(beneficiary: Beneficiary, *, as_of: dt.date | None = None) -> Eligibility:
    """Whether she may renew now, why, and for how much; with her cycle history."""
    day = as_of or timezone.localdate()
    found = renewal_eligibility_many(
        organization_id=beneficiary.organization_id, beneficiary_ids=[beneficiary.pk], as_of=day
    )
    if beneficiary.pk in found:
        return found[beneficiary.pk]
    with translation.override("es"):
        return Eligibility(
            beneficiary_id=beneficiary.pk,
            eligible=False,
            reasons=[_("She has not had a loan paid out yet.")],
        )
