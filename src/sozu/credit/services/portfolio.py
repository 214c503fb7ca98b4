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
from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.credit.allocation import CuotaDue, Payment, Position, allocate
from sozu.credit.errors import SozuError
from sozu.credit.errors_portfolio import PORTFOLIO_MESSAGES  # noqa: F401  (registers them)
from sozu.credit.models import Cuota, Loan, LoanFollowUp, LoanState, PortfolioFlow, Repayment
from sozu.credit.simulator import CENT, ZERO, _decimal, parse_date
from sozu.fields import MoneyField

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
#: Copied from the loan (LoanState field name, Loan attribute).
COPIED_FIELDS = (
    ("status", "status"),
    ("product_id", "product_id"),
    ("officer", "prepared_by"),
    ("beneficiary_id", "beneficiary_id"),
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
    for name, attr in COPIED_FIELDS:
        fields[name] = getattr(loan, attr)
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
                update_fields=[
                    *STATE_FIELDS,
                    *(name.removesuffix("_id") for name, _attr in COPIED_FIELDS),
                    "refreshed_at",
                ],
            )
            written += len(rows)
    return written


# --- daily flows (PortfolioFlow) ---------------------------------------------------------------


def _flow_add(loan: Loan, day: dt.date, **amounts: Any) -> None:
    """Add to (or take from) one day's flows of the loan's product and officer."""
    keys = {
        "organization_id": loan.organization_id,
        "day": day,
        "product_id": loan.product_id,
        "officer": loan.prepared_by,
    }
    PortfolioFlow.objects.bulk_create([PortfolioFlow(**keys)], ignore_conflicts=True)
    changes = {
        name: F(name)
        + Value(value, output_field=IntegerField() if name == "disbursed_count" else MoneyField())
        for name, value in amounts.items()
    }
    PortfolioFlow.objects.filter(**keys).update(**changes)


def portfolio_loan_changed(
    *,
    loan: Loan,
    disbursed: bool = False,
    repayment: Repayment | None = None,
    reversed_payment: Repayment | None = None,
) -> None:
    """The hook at the end of the credit services (inside their transaction): the loan's
    state is recomputed and the day's flows get the event (a disbursement, a payment, a
    reversal of a payment)."""
    if disbursed and loan.disbursed_on is not None:
        _flow_add(loan, loan.disbursed_on, disbursed=loan.amount, disbursed_count=1)
        for due_date, total in loan.schedule.values_list("due_date", "total"):
            _flow_add(loan, due_date, due=total)
    if repayment is not None:
        _flow_add(loan, repayment.received_on, collected=repayment.amount)
    if reversed_payment is not None:
        _flow_add(loan, reversed_payment.received_on, collected=-reversed_payment.amount)
    loan_state_refresh(loan=loan)


def portfolio_flows_compute(
    *, organization_id: int | None = None
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The flows recomputed from loans, cuotas and repayments: (org, day, product, officer) →
    disbursed, disbursed_count, due, collected."""
    zero = Decimal(0)
    flows: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"disbursed": zero, "disbursed_count": 0, "due": zero, "collected": zero}
    )
    loans = Loan.objects.filter(disbursed_on__isnull=False, status__in=WITH_SCHEDULE)
    cuotas = Cuota.objects.filter(loan__status__in=WITH_SCHEDULE)
    paid = Repayment.objects.filter(kind=Repayment.Kind.PAYMENT, reversal__isnull=True)
    if organization_id is not None:
        loans = loans.filter(organization_id=organization_id)
        cuotas = cuotas.filter(loan__organization_id=organization_id)
        paid = paid.filter(organization_id=organization_id)
    for row in loans.values(
        "organization_id", "disbursed_on", "product_id", "prepared_by"
    ).annotate(total=Sum("amount"), n=Count("pk")):
        key = (row["organization_id"], row["disbursed_on"], row["product_id"], row["prepared_by"])
        flows[key]["disbursed"] += row["total"]
        flows[key]["disbursed_count"] += row["n"]
    for row in cuotas.values(
        "loan__organization_id", "due_date", "loan__product_id", "loan__prepared_by"
    ).annotate(total=Sum("total")):
        key = (
            row["loan__organization_id"],
            row["due_date"],
            row["loan__product_id"],
            row["loan__prepared_by"],
        )
        flows[key]["due"] += row["total"]
    for row in paid.values(
        "organization_id", "received_on", "loan__product_id", "loan__prepared_by"
    ).annotate(total=Sum("amount")):
        key = (
            row["organization_id"],
            row["received_on"],
            row["loan__product_id"],
            row["loan__prepared_by"],
        )
        flows[key]["collected"] += row["total"]
    return dict(flows)


def portfolio_flows_rebuild(*, organization_id: int | None = None) -> int:
    """Recompute the daily flows from scratch (`sozu credit refresh --all`)."""
    flows = portfolio_flows_compute(organization_id=organization_id)
    with transaction.atomic():
        existing = PortfolioFlow.objects.all()
        if organization_id is not None:
            existing = existing.filter(organization_id=organization_id)
        existing.delete()
        PortfolioFlow.objects.bulk_create(
            (
                PortfolioFlow(
                    organization_id=org, day=day, product_id=product, officer=officer, **values
                )
                for (org, day, product, officer), values in flows.items()
            ),
            batch_size=2000,
        )
    return len(flows)


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
    "portfolio_flows_compute",
    "portfolio_flows_rebuild",
    "portfolio_loan_changed",
    "state_fields",
]
