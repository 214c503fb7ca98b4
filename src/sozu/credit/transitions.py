"""The state machine of a loan: every allowed transition, in one table."""

from __future__ import annotations

from sozu.credit.errors import SozuError
from sozu.credit.models import Loan

L = Loan.Status

#: (from, to) → the action's name (audited as "loan.<action>").
LOAN_TRANSITIONS: dict[tuple[str, str], str] = {
    (L.DRAFT, L.PENDING_APPROVAL): "submitted",
    (L.DRAFT, L.CANCELLED): "cancelled",
    # The approver may send it back to whoever prepared it.
    (L.PENDING_APPROVAL, L.DRAFT): "returned",
    (L.PENDING_APPROVAL, L.APPROVED): "approved",
    (L.PENDING_APPROVAL, L.CANCELLED): "cancelled",
    # Approval creates the payout; its creation moves the loan to disbursing.
    (L.APPROVED, L.DISBURSING): "disbursing",
    (L.APPROVED, L.CANCELLED): "cancelled",
    # Only a paid payout makes the loan active (the schedule starts that day).
    (L.DISBURSING, L.ACTIVE): "disbursed",
    # A cancelled payout leaves the approved loan waiting for a new one.
    (L.DISBURSING, L.APPROVED): "payout_cancelled",
    (L.ACTIVE, L.PAID_OFF): "paid_off",
    (L.ACTIVE, L.WRITTEN_OFF): "written_off",
    # A reversed repayment can reopen a loan that looked paid off.
    (L.PAID_OFF, L.ACTIVE): "reopened",
}

#: Loans that owe (or may soon owe) money.
OPEN_LOAN_STATUSES = frozenset({L.APPROVED, L.DISBURSING, L.ACTIVE})


def check_loan(loan: Loan, target: str) -> str:
    """The action name of moving to `target`, or SozuError if the table does not allow it."""
    action = LOAN_TRANSITIONS.get((loan.status, target))
    if action is None:
        # The states' labels (lazy), so the message reads in the language it is shown in.
        raise SozuError(
            "loan_invalid_transition", status=L(loan.status).label, target=L(target).label
        )
    return action
