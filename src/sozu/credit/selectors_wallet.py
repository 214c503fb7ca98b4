"""Reading a beneficiary's own loans for her wallet: never anyone else's, never a draft."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, QuerySet

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan

L = Loan.Status
#: What she sees: loans approved for her onwards. Drafts, loans waiting for approval and
#: cancelled ones are the organization's work in progress, not hers yet.
WALLET_VISIBLE = (L.APPROVED, L.DISBURSING, L.ACTIVE, L.PAID_OFF, L.WRITTEN_OFF)


def wallet_loan_list(*, beneficiaries: Sequence[Beneficiary]) -> QuerySet[Loan]:
    """Her loans in every organization that linked her (one beneficiary record each)."""
    return (
        Loan.objects.filter(
            beneficiary__in=[b.pk for b in beneficiaries],
            organization_id=F("beneficiary__organization_id"),
            status__in=WALLET_VISIBLE,
        )
        .select_related("organization")
        .order_by("-created_at", "-id")
    )


def wallet_loan_get(*, beneficiaries: Sequence[Beneficiary], loan_id: int) -> Loan:
    """Her loan; anyone else's id (or a draft of hers) is not found, like a missing one."""
    loan = wallet_loan_list(beneficiaries=beneficiaries).filter(pk=loan_id).first()
    if loan is None:
        raise SozuError("not_found")
    return loan
