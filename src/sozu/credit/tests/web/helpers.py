"""Loans for the page tests, built through the services (no network: the payout is faked by
moving the loan to disbursing, then `loan_mark_disbursed` as the sync would)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.factories import BeneficiaryFactory

from sozu.credit.models import Loan, LoanProduct
from sozu.credit.services import loan_mark_disbursed, loan_prepare
from sozu.credit.tests.factories import LoanProductFactory
from sozu.orgs.models import Organization

BA = dt.timezone(dt.timedelta(hours=-3))
L = Loan.Status


def active_loan(
    organization: Organization,
    *,
    product: LoanProduct | None = None,
    name: str = "Ana Quispe",
    national_id: str = "30111222",
    amount: str = "1000",
    cuotas: int = 6,
    paid_at: dt.datetime | None = None,
    **extra: Any,
) -> Loan:
    product = product or LoanProductFactory.create(organization=organization)
    beneficiary = BeneficiaryFactory.create(
        organization=organization, full_name=name, national_id=national_id
    )
    loan = loan_prepare(
        product=product, beneficiary=beneficiary, amount=amount, cuotas=cuotas, actor="user:1"
    )
    Loan.objects.filter(pk=loan.pk).update(status=L.DISBURSING)
    return loan_mark_disbursed(
        loan=loan, paid_at=paid_at or dt.datetime(2026, 3, 2, 11, tzinfo=BA), actor="worker:1"
    )
