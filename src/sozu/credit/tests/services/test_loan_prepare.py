"""Preparing a loan: only from an active product of her organization, within its ranges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tests.factories import BeneficiaryFactory, OrganizationFactory

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan, LoanProduct
from sozu.credit.selectors import loan_get
from sozu.credit.services import loan_prepare, loan_product_create
from sozu.credit.tests.factories import LoanProductFactory

pytestmark = pytest.mark.django_db


def test_a_draft_loan_copies_the_products_terms_and_is_audited() -> None:
    product = LoanProductFactory.create(tna=Decimal("48"), grace_days=5)
    ana = BeneficiaryFactory.create(organization=product.organization)

    loan = loan_prepare(product=product, beneficiary=ana, amount="1500", cuotas=12, actor="user:7")

    assert (loan.status, loan.amount, loan.cuotas, loan.currency) == (
        Loan.Status.DRAFT,
        Decimal("1500"),
        12,
        "USDC",
    )
    assert (loan.tna, loan.grace_days, loan.prepared_by) == (Decimal("48"), 5, "user:7")
    product.tna = Decimal("99")
    product.save()
    loan.refresh_from_db()
    assert loan.tna == Decimal("48")  # a later change of the product never changes the loan
    event = AuditEvent.objects.get(action="loan.prepared")
    assert event.object_id == str(loan.pk) and event.data["amount"] == "1500"


@pytest.mark.parametrize(
    ("amount", "cuotas", "code"),
    [
        ("49.99", 6, "credit_amount_out_of_range"),
        ("2000.01", 6, "credit_amount_out_of_range"),
        ("1000", 1, "credit_cuotas_out_of_range"),
        ("1000", 25, "credit_cuotas_out_of_range"),
        ("1000.001", 6, "credit_amount_invalid"),
    ],
)
def test_amounts_and_terms_outside_the_product_are_refused(amount, cuotas, code) -> None:
    product = LoanProductFactory.create()
    ana = BeneficiaryFactory.create(organization=product.organization)
    with pytest.raises(SozuError) as exc:
        loan_prepare(product=product, beneficiary=ana, amount=amount, cuotas=cuotas, actor="u")
    assert exc.value.code == code
    assert not Loan.objects.exists()


def test_only_approved_beneficiaries_of_the_same_organization_get_a_loan() -> None:
    product = LoanProductFactory.create()
    applicant = BeneficiaryFactory.create(
        organization=product.organization, status=Beneficiary.Status.APPLIED
    )
    stranger = BeneficiaryFactory.create(organization=OrganizationFactory.create())
    with pytest.raises(SozuError) as exc:
        loan_prepare(product=product, beneficiary=applicant, amount="100", cuotas=6, actor="u")
    assert exc.value.code == "credit_beneficiary_not_approved"
    with pytest.raises(SozuError) as exc:
        loan_prepare(product=product, beneficiary=stranger, amount="100", cuotas=6, actor="u")
    assert exc.value.code == "credit_product_other_org"
    assert not Loan.objects.exists()


def test_another_organizations_loan_is_not_found() -> None:
    product = LoanProductFactory.create()
    ana = BeneficiaryFactory.create(organization=product.organization)
    loan = loan_prepare(product=product, beneficiary=ana, amount="100", cuotas=6, actor="u")
    with pytest.raises(SozuError) as exc:
        loan_get(organization_id=OrganizationFactory.create().pk, loan_id=loan.pk)
    assert exc.value.code == "not_found" and exc.value.status == 404
    assert loan_get(organization_id=product.organization_id, loan_id=loan.pk) == loan


def test_a_product_is_checked_with_the_simulators_rules() -> None:
    org = OrganizationFactory.create()
    common: dict[str, Any] = {
        "organization": org,
        "min_amount": "50",
        "max_amount": "2000",
        "min_cuotas": 2,
        "max_cuotas": 24,
        "frequency": "weekly",
        "system": "flat",
        "actor": "user:1",
    }
    product = loan_product_create(name="Semanal", tna="90", iva="10.5", late_tna="120", **common)
    assert (product.frequency, product.iva, product.late_tna) == (
        "weekly",
        Decimal("10.5"),
        Decimal("120"),
    )
    with pytest.raises(SozuError) as exc:
        loan_product_create(name="Otro", tna="90", iva="19", **common)
    assert exc.value.code == "credit_iva_invalid"
    with pytest.raises(SozuError) as exc:
        loan_product_create(name="Fina", tna="90.00001", iva="21", **common)
    assert (exc.value.code, exc.value.params) == ("invalid_field", {"field": "tna"})
    with pytest.raises(SozuError) as exc:
        loan_product_create(name="Semanal", tna="90", iva="21", **common)
    assert exc.value.code == "invalid_field"  # the name is taken
    assert LoanProduct.objects.filter(organization=org).count() == 1
