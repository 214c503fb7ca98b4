"""The state machine of a beneficiary's application: every allowed transition, in one table."""

from __future__ import annotations

from sozu.beneficiaries.models import Beneficiary
from sozu.errors import SozuError

S = Beneficiary.Status

#: (from, to) → the action's name (audited as "beneficiary.<action>").
BENEFICIARY_TRANSITIONS: dict[tuple[str, str], str] = {
    (S.APPLIED, S.APPROVED): "approved",
    (S.APPLIED, S.REJECTED): "rejected",
    # A rejected applicant may apply again: her DNI stays unique, so the same row reopens.
    (S.REJECTED, S.APPLIED): "reopened",
    (S.APPROVED, S.INACTIVE): "deactivated",
    (S.INACTIVE, S.APPROVED): "reactivated",
}

#: Only approved beneficiaries can be paid.
PAYABLE_STATUSES = frozenset({S.APPROVED})


def check_beneficiary(beneficiary: Beneficiary, target: str) -> str:
    """The action name of moving to `target`, or SozuError if the table does not allow it."""
    action = BENEFICIARY_TRANSITIONS.get((beneficiary.status, target))
    if action is None:
        raise SozuError("beneficiary_invalid_transition", status=beneficiary.status, target=target)
    return action
