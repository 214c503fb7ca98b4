"""The review queue: staff assign a payment to a loan, return it, or say it is no repayment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stellar_sdk import Asset

from sozu.audit.models import AuditEvent
from sozu.credit.errors import SozuError
from sozu.credit.follower import Follower
from sozu.credit.models import PaymentReview, Repayment
from sozu.credit.selectors import loan_find
from sozu.credit.services.review import (
    payment_review_assign,
    payment_review_dismiss,
    payment_review_return,
)
from sozu.credit.tests.onchain import Payer, Transfer, active_loans
from sozu.disbursements.services.payouts import payout_pay_now

pytestmark = pytest.mark.django_db
S = PaymentReview.Status


def queued(org, localnet, transfer_of) -> tuple[PaymentReview, Payer]:
    payer = Payer.funded(localnet, usdc="500")
    payer.pay([transfer_of(org.wallet_public_key)])
    Follower("f-review", poll_seconds=0).run(until_idle=True)
    return PaymentReview.objects.get(source=payer.keypair.public_key), payer


def test_staff_assign_a_payment_without_memo_to_her_loan(make_org, localnet) -> None:
    org = make_org()
    (loan,) = active_loans(org)
    review, _ = queued(org, localnet, lambda w: Transfer(w, Decimal("120")))

    repayment = payment_review_assign(
        review=review,
        loan=loan_find(organization_id=org.pk, text=loan.payment_reference),
        actor="user:7",
    )

    review.refresh_from_db()
    assert (review.status, review.loan_id, review.repayment_id) == (
        S.ASSIGNED,
        loan.pk,
        repayment.pk,
    )
    assert (repayment.amount, repayment.method) == (Decimal("120"), Repayment.Method.STELLAR)
    assert repayment.operation_id == review.operation_id
    assert AuditEvent.objects.filter(action="payment_review.assigned", actor="user:7").count() == 1
    with pytest.raises(SozuError) as refused:
        payment_review_assign(review=review, loan=loan, actor="user:7")
    assert refused.value.code == "review_not_pending"
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_a_loan_of_another_organization_is_not_found(make_org, localnet) -> None:
    org = make_org()
    active_loans(org)  # only organizations that lend are followed
    (theirs,) = active_loans(make_org())
    review, _ = queued(org, localnet, lambda w: Transfer(w, Decimal("5")))

    with pytest.raises(SozuError) as refused:
        loan_find(organization_id=org.pk, text=theirs.payment_reference)
    assert refused.value.code == "review_loan_not_found"
    with pytest.raises(SozuError) as refused:
        payment_review_assign(review=review, loan=theirs, actor="user:7")
    assert refused.value.code == "not_found"
    review.refresh_from_db()
    assert review.status == S.PENDING and not Repayment.objects.exists()


def test_returning_a_payment_pays_it_back_through_the_engine(make_org, localnet) -> None:
    org = make_org()
    active_loans(org)
    review, payer = queued(org, localnet, lambda w: Transfer(w, Decimal("42.50"), "no se"))
    before = localnet.usdc_balance(payer.keypair.public_key)

    payout = payment_review_return(review=review, actor="user:7", note="She did not owe it")
    assert payout_pay_now(payout=payout, worker="w-test").status == "paid"

    review.refresh_from_db()
    assert (review.status, review.refund_payout_id) == (S.RETURNED, payout.pk)
    assert (payout.destination, payout.amount) == (payer.keypair.public_key, Decimal("42.50"))
    assert localnet.usdc_balance(payer.keypair.public_key) == before + Decimal("42.50")
    assert AuditEvent.objects.filter(action="payment_review.returned").count() == 1
    with pytest.raises(SozuError) as refused:
        payment_review_return(review=review, actor="user:7")
    assert refused.value.code == "review_not_pending"
    # Our own refund is an outgoing payment: the follower does not queue it.
    Follower("f-review", poll_seconds=0).run(until_idle=True)
    assert PaymentReview.objects.filter(source=payer.keypair.public_key).count() == 1


def test_lumens_cannot_be_assigned_or_returned_only_dismissed(make_org, localnet) -> None:
    org = make_org()
    (loan,) = active_loans(org)
    review, _ = queued(
        org, localnet, lambda w: Transfer(w, Decimal("3"), loan.payment_reference, Asset.native())
    )

    for attempt in (
        lambda: payment_review_assign(review=review, loan=loan, actor="user:7"),
        lambda: payment_review_return(review=review, actor="user:7"),
    ):
        with pytest.raises(SozuError) as refused:
            attempt()
        assert refused.value.code == "review_not_usdc"
    with pytest.raises(SozuError) as refused:
        payment_review_dismiss(review=review, actor="user:7", note="  ")
    assert refused.value.code == "review_note_missing"

    payment_review_dismiss(review=review, actor="user:7", note="Lumens for fees")

    review.refresh_from_db()
    assert (review.status, review.note) == (S.DISMISSED, "Lumens for fees")
    assert not Repayment.objects.exists()
