"""Reading a beneficiary's own loans for her wallet: never anyone else's, never a draft."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan, Repayment
from sozu.credit.selectors import loan_position

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


@dataclass(frozen=True)
class WalletRepayment:
    """One of her on-chain repayments, to label her history: which loan and cuotas it paid."""

    tx_hash: str
    organization: str
    loan_reference: str
    cuotas: tuple[int, ...]
    amount: Decimal
    received_on: dt.date


def wallet_repayments(*, account: str, limit: int = 200) -> list[WalletRepayment]:
    """Her on-chain repayments (newest first) to the loans of every record linked to her
    account, each with the cuotas it was allocated to (oldest cuota first, as allocated)."""
    rows = list(
        Repayment.objects.filter(
            loan__beneficiary__stellar_address=account,
            method=Repayment.Method.STELLAR,
            kind=Repayment.Kind.PAYMENT,
        )
        .select_related("loan", "organization")
        .order_by("-received_on", "-id")[:limit]
    )
    cuotas: dict[int, list[int]] = {}
    for loan in {r.loan_id: r.loan for r in rows}.values():
        for allocation in loan_position(loan=loan).allocations:
            found = cuotas.setdefault(int(allocation.payment), [])
            if allocation.amount > 0 and allocation.cuota not in found:
                found.append(allocation.cuota)
    return [
        WalletRepayment(
            tx_hash=r.reference,
            organization=r.organization.name,
            loan_reference=r.loan.reference,
            cuotas=tuple(sorted(cuotas.get(r.pk, []))),
            amount=r.amount,
            received_on=r.received_on,
        )
        for r in rows
    ]
