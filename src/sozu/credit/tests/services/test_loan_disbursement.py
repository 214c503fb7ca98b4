"""Granting on the local network: approval pays her through the engine; payment starts the loan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.services import beneficiary_create
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan
from sozu.credit.services import (
    loan_approve,
    loan_disburse,
    loan_prepare,
    loan_product_create,
    loan_submit,
    loans_sync_disbursements,
)
from sozu.credit.simulator import Frequency, first_due_date, next_business_day
from sozu.disbursements.models import Payout
from sozu.disbursements.services.payouts import payout_pay_now
from sozu.disbursements.tests.api.helpers import usdc_balance

pytestmark = pytest.mark.django_db(transaction=True)
L = Loan.Status


def prepared_loan(make_org, make_recipient, *, usdc: str = "5000") -> Loan:
    org = make_org(usdc=usdc, channels=1)
    ana = beneficiary_create(
        organization_id=org.pk,
        full_name="Ana Quispe",
        stellar_address=make_recipient(),
        national_id="30111222",
        actor="user:1",
    )
    product = loan_product_create(
        organization=org,
        name="Microcrédito mensual",
        min_amount="100",
        max_amount="3000",
        min_cuotas=3,
        max_cuotas=12,
        frequency="monthly",
        system="french",
        tna="60",
        iva="21",
        origination_fee="2",
        late_tna="73",
        grace_days=3,
        actor="user:1",
    )
    loan = loan_prepare(product=product, beneficiary=ana, amount="1000", cuotas=6, actor="user:1")
    return loan_submit(loan=loan, actor="user:1")


def test_approval_creates_the_payout_and_its_payment_starts_the_schedule(
    make_org, make_recipient, net_settings
) -> None:
    loan = prepared_loan(make_org, make_recipient)

    loan = loan_approve(loan=loan, actor="user:2")

    assert loan.status == L.DISBURSING
    assert loan.approved_by == "user:2"
    assert loan.payout is not None
    payout = loan.payout
    # She receives the amount less the 2 % fee and its 21 % IVA: 1000 - 20 - 4.20.
    assert payout.amount == Decimal("975.80") == loan.payout_amount
    assert (payout.beneficiary_id, payout.memo) == (loan.beneficiary_id, f"SOZU-{loan.pk}")
    assert payout.status == Payout.Status.QUEUED
    assert not loan.schedule.exists()

    payout = payout_pay_now(payout=payout, worker="test-worker", wait_seconds=30)
    assert payout.status == Payout.Status.PAID
    assert usdc_balance(net_settings, payout.destination) == Decimal("976.80")  # 1 + 975.80

    assert loans_sync_disbursements() == 1
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE
    paid_on = timezone.localdate(payout.paid_at)
    assert loan.disbursed_on == paid_on
    schedule = list(loan.schedule.order_by("number"))
    assert len(schedule) == 6
    expected_first = first_due_date(paid_on, Frequency.MONTHLY)
    assert schedule[0].nominal_date == expected_first
    assert schedule[0].due_date == next_business_day(expected_first)
    assert sum(c.capital for c in schedule) == Decimal("1000")
    actions = list(
        AuditEvent.objects.filter(object_type="loan", object_id=str(loan.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "loan.prepared",
        "loan.submitted",
        "loan.approved",
        "loan.disbursing",
        "loan.disbursed",
    ]


def test_an_underfunded_wallet_leaves_the_loan_approved_without_a_payout(
    make_org, make_recipient
) -> None:
    loan = prepared_loan(make_org, make_recipient, usdc="100")

    with pytest.raises(SozuError) as exc:
        loan_approve(loan=loan, actor="user:2")

    assert exc.value.code == "org_underfunded"
    loan.refresh_from_db()
    assert (loan.status, loan.payout_id) == (L.APPROVED, None)
    assert not Payout.objects.exists()
    assert not AuditEvent.objects.filter(action="loan.disbursing").exists()
    # Trying again is allowed and refused the same way while the wallet is short.
    with pytest.raises(SozuError):
        loan_disburse(loan=loan, actor="user:2")
    assert not Payout.objects.exists()
