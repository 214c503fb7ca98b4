"""Credit data for tests that need no network: products and loans (built through services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from tests.factories import BeneficiaryFactory, OrganizationFactory

from sozu.credit.models import Loan, LoanProduct
from sozu.credit.services import loan_prepare


class LoanProductFactory(factory.django.DjangoModelFactory[LoanProduct]):
    class Meta:
        model = LoanProduct

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Microcrédito {n}")
    currency = "USDC"
    min_amount = Decimal("50")
    max_amount = Decimal("2000")
    min_cuotas = 2
    max_cuotas = 24
    frequency = "monthly"
    system = "french"
    tna = Decimal("60")
    iva = Decimal("21")
    origination_fee = Decimal("0")
    insurance = Decimal("0")
    late_tna = Decimal("73")
    grace_days = 3
    created_by = "user:1"


def draft_loan(*, product: LoanProduct | None = None, **kwargs: Any) -> Loan:
    """A draft loan prepared by user:1 for a new approved beneficiary of the product's org."""
    product = product or LoanProductFactory.create()
    assert product is not None
    beneficiary = BeneficiaryFactory.create(organization=product.organization)
    return loan_prepare(
        product=product,
        beneficiary=beneficiary,
        amount=kwargs.pop("amount", "1000"),
        cuotas=kwargs.pop("cuotas", 6),
        actor=kwargs.pop("actor", "user:1"),
    )
