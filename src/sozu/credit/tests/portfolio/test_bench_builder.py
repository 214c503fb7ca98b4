"""The benchmark's bulk builder at a tiny size: exact counts, and its bulk-built states equal a
recomputation loan by loan (so the benchmark measures real data)."""

from __future__ import annotations

import pytest
from benchmarks.credit import AS_OF, build, measure, verify_sample

from sozu.credit.models import Loan, LoanState, Repayment

pytestmark = pytest.mark.django_db


def test_the_builder_makes_exact_counts_and_true_states() -> None:
    built = build(loans=60, repayments=1000, templates=30)
    org_id = built["organization_id"]
    assert Loan.objects.filter(organization_id=org_id).count() == 60
    assert Repayment.objects.filter(organization_id=org_id).count() == 1000
    assert LoanState.objects.filter(organization_id=org_id).count() == 60
    assert verify_sample(organization_id=org_id, size=60) > 0
    figures = measure("indicators", org_id, AS_OF)
    assert figures["active_loans"] == Loan.objects.filter(status="active").count()
    csv_run = measure("csv", org_id, AS_OF)
    assert (
        csv_run["rows"]
        == LoanState.objects.filter(loan__status="active", oldest_unpaid_due__lt=AS_OF).count()
    )
