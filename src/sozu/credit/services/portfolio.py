"""Keeping the portfolio's derived state (LoanState) equal to the allocation, and the follow-up log.

The append-only repayments stay the truth. `loan_state_refresh` recomputes one loan's row with
`allocation.allocate` (the same function as `loan_position`) and is called at the end of every
service that changes what a loan owes, inside its transaction: repayment_record,
repayment_reverse, loan_mark_disbursed and loan_write_off. `loan_states_refresh` is the daily
job (`sozu credit refresh`): it recomputes the rows whose `next_change_on` has come (a cuota
fell due, late interest accrued another day), a few hundred loans per query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.credit.allocation import CuotaDue, Payment, Position, allocate
from sozu.credit.errors import SozuError
from sozu.credit.errors_portfolio import PORTFOLIO_MESSAGES  # noqa: F401  (registers them)
from sozu.credit.models import Cuota, Loan, LoanFollowUp, LoanState, Repayment
from sozu.credit.simulator import CENT, ZERO, _decimal, parse_date

L = Loan.Status
#: Loans whose state is kept: those with a schedule.
WITH_SCHEDULE = (L.ACTIVE, L.PAID_OFF, L.WRITTEN_OFF)
#: Fields of LoanState written by a refresh.
STATE_FIELDS = (
    "organization_id",
    "as_of",
    "outstanding_capital",
    "outstanding",
    "overdue",
    "late_interest",
    "credit",
    "oldest_unpaid_due",
    "days_past_due",
    "paid_off",
    "paid_total",
    "last_repayment_on",
    "next_change_on",
)


def state_fields(
    *, position: Position, payments: Sequence[Payment], organization_id: int
) -> dict[str, Any]:
    """The LoanState columns for a loan's position (pure: the benchmark builder uses it too)."""
    as_of = position.as_of
    unpaid = [c for c in position.cuotas if not c.is_paid]
    oldest = min((c.due.due_date for c in unpaid), default=None)
    counted = [p for p in payments if p.received_on <= as_of]
    if oldest is None:
        next_change = None
    elif oldest <= as_of:
        next_change = as_of + dt.timedelta(days=1)  # days late (and late interest) grow daily
    else:
        next_change = oldest  # nothing changes until the next cuota falls due
    return {
        "organization_id": organization_id,
        "as_of": as_of,
        "outstanding_capital": position.outstanding_capital,
        "outstanding": position.outstanding,
        "overdue": position.overdue,
        "late_interest": sum(
            (c.owed("late_interest") + c.owed("late_iva") for c in position.cuotas), ZERO
        ),
        "credit": position.credit,
        "oldest_unpaid_due": oldest,
        "days_past_due": position.days_past_due,
        "paid_off": position.paid_off,
        "paid_total": sum((p.amount for p in counted), ZERO),
        "last_repayment_on": max((p.received_on for p in counted), default=None),
        "next_change_on": next_change,
    }


def _as_of_for(loan: Loan, today: dt.date) -> dt.date:
    """A written-off loan is frozen on the day it was written off."""
    if loan.status == L.WRITTEN_OFF and loan.status_changed_at is not None:
        return min(today, timezone.localdate(loan.status_changed_at))
    return today


def _compute(
    loan: Loan, cuotas: list[CuotaDue], payments: list[Payment], as_of: dt.date
) -> dict[str, Any]:
    position = allocate(
        cuotas=cuotas,
        payments=payments,
        as_of=as_of,
        late_tna=loan.late_tna,
        iva=loan.iva,
        grace_days=loan.grace_days,
    )
    fields = state_fields(
        position=position, payments=payments, organization_id=loan.organization_id
    )
    if loan.status != L.ACTIVE:
        fields["next_change_on"] = None  # paid off or written off: nothing changes by itself
    return fields


def _load(loan_ids: Iterable[int]) -> tuple[dict[int, list[CuotaDue]], dict[int, list[Payment]]]:
    ids = list(loan_ids)
    cuotas: dict[int, list[CuotaDue]] = defaultdict(list)
    rows = Cuota.objects.filter(loan_id__in=ids).order_by("loan_id", "number")
    for loan_id, number, due, capital, interest, iva, fees in rows.values_list(
        "loan_id", "number", "due_date", "capital", "interest", "iva", "fees"
    ):
        cuotas[loan_id].append(CuotaDue(number, due, capital, interest, iva, fees))
    payments: dict[int, list[Payment]] = defaultdict(list)
    paid = Repayment.objects.filter(
        loan_id__in=ids, kind=Repayment.Kind.PAYMENT, reversal__isnull=True
    ).order_by("loan_id", "received_on", "id")
    for loan_id, pk, day, amount in paid.values_list("loan_id", "pk", "received_on", "amount"):
        payments[loan_id].append(Payment(ref=pk, received_on=day, amount=amount))
    return cuotas, payments


def loan_state_refresh(*, loan: Loan, as_of: dt.date | None = None) -> LoanState | None:
    """Recompute one loan's state (call it inside the transaction that changed the loan).

    A loan without a schedule (not yet paid out, cancelled) has no state: its row is removed.
    """
    if loan.status not in WITH_SCHEDULE:
        LoanState.objects.filter(loan_id=loan.pk).delete()
        return None
    cuotas, payments = _load([loan.pk])
    day = _as_of_for(loan, as_of or timezone.localdate())
    fields = _compute(loan, cuotas[loan.pk], payments[loan.pk], day)
    state, _ = LoanState.objects.update_or_create(loan_id=loan.pk, defaults=fields)
    return state


def loan_states_refresh(
    *,
    as_of: dt.date | None = None,
    organization_id: int | None = None,
    everything: bool = False,
    loan_ids: Iterable[int] | None = None,
    chunk: int = 500,
) -> int:
    """The daily job: recompute the states whose figures changed with the date.

    Without `everything`, only active loans whose `next_change_on` has come (or that have no
    state yet); with it, every loan with a schedule (a full rebuild). `loan_ids` limits it to
    those loans. Returns how many rows were written.
    """
    day = as_of or timezone.localdate()
    loans = Loan.objects.filter(status__in=WITH_SCHEDULE)
    if organization_id is not None:
        loans = loans.filter(organization_id=organization_id)
    if loan_ids is not None:
        loans = loans.filter(pk__in=list(loan_ids))
    if not everything:
        loans = loans.filter(status=L.ACTIVE).filter(
            Q(state__isnull=True) | Q(state__next_change_on__lte=day)
        )
    ids = list(loans.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            # Lock the loans so that a repayment recorded meanwhile is not overwritten.
            batch = list(Loan.objects.select_for_update().filter(pk__in=part).order_by("pk"))
            cuotas, payments = _load(part)
            rows = [
                LoanState(
                    loan_id=loan.pk,
                    **_compute(loan, cuotas[loan.pk], payments[loan.pk], _as_of_for(loan, day)),
                )
                for loan in batch
                if loan.status in WITH_SCHEDULE
            ]
            LoanState.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["loan"],
                update_fields=[*STATE_FIELDS, "refreshed_at"],
            )
            written += len(rows)
    return written


# --- follow-up log ---------------------------------------------------------------------------


def loan_follow_up_record(
    *,
    loan: Loan,
    kind: str,
    note: str,
    actor: str,
    promised_on: Any = None,
    promised_amount: Any = None,
) -> LoanFollowUp:
    """Log a call, visit, message or promise to pay about a loan (a promise needs a date and
    an amount)."""
    if kind not in LoanFollowUp.Kind.values:
        raise SozuError("invalid_field", field="kind")
    note = (note or "").strip()
    day: dt.date | None = None
    amount: Decimal | None = None
    if kind == LoanFollowUp.Kind.PROMISE:
        if not promised_on:
            raise SozuError("follow_up_promise_date_missing")
        day = parse_date(promised_on)
        amount = _decimal(promised_amount, "follow_up_promise_amount_invalid")
        if amount <= 0 or amount != amount.quantize(CENT):
            raise SozuError("follow_up_promise_amount_invalid", value=promised_amount)
    elif not note:
        raise SozuError("follow_up_note_missing")
    if loan.status not in WITH_SCHEDULE:
        raise SozuError("follow_up_loan_not_disbursed")
    with transaction.atomic():
        follow_up = LoanFollowUp.objects.create(
            organization_id=loan.organization_id,
            loan=loan,
            kind=kind,
            note=note,
            promised_on=day,
            promised_amount=amount,
            created_by=actor,
        )
        audit_record(
            organization_id=loan.organization_id,
            entry=Entry(
                actor,
                "loan.follow_up",
                "loan",
                loan.pk,
                {
                    "kind": kind,
                    "note": note,
                    "promised_on": day.isoformat() if day else None,
                    "promised_amount": str(amount) if amount is not None else None,
                },
            ),
        )
    return follow_up


__all__ = [
    "loan_follow_up_record",
    "loan_state_refresh",
    "loan_states_refresh",
    "state_fields",
]
