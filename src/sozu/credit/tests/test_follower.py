"""Repayments on chain: paid to the loan's muxed address or with its memo, applied once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from stellar_sdk import Asset, MuxedAccount
from stellar_sdk.sep.stellar_uri import PayStellarUri

from sozu.audit.models import AuditEvent
from sozu.credit.follower import Follower
from sozu.credit.models import Loan, PaymentFollower, PaymentReview, Repayment
from sozu.credit.payment_request import loan_payment_instructions
from sozu.credit.services.follower import follow_page, payments_apply
from sozu.credit.tests.onchain import Payer, Transfer, active_loans

pytestmark = pytest.mark.django_db
R = PaymentReview.Reason


def follow(name: str = "f-test") -> Follower:
    follower = Follower(name, poll_seconds=0)
    follower.run(until_idle=True)
    return follower


def payer_reviews(payer: Payer) -> list[PaymentReview]:
    return list(PaymentReview.objects.filter(source=payer.keypair.public_key).order_by("id"))


def test_the_instructions_name_the_loan_by_muxed_address_and_memo(make_org) -> None:
    org = make_org()
    (loan,) = active_loans(org)

    found = loan_payment_instructions(loan=loan, amount=Decimal("171.25"))

    muxed = MuxedAccount.from_account(found.muxed_address)
    assert (muxed.account_id, muxed.account_muxed_id) == (org.wallet_public_key, loan.pk)
    assert found.memo == loan.payment_reference and found.memo.startswith("SZ-")
    uri = PayStellarUri.from_uri(found.uri)
    assert uri.destination == found.muxed_address
    assert (uri.amount, uri.memo, uri.memo_type) == ("171.25", found.memo, "MEMO_TEXT")
    assert (uri.asset_code, uri.asset_issuer) == (found.asset_code, found.asset_issuer)


def test_paid_to_the_muxed_address_and_with_the_memo_each_is_applied_once(
    make_org, localnet
) -> None:
    org = make_org()
    by_address, by_memo = active_loans(org, 2)
    payer = Payer.funded(localnet)
    address = loan_payment_instructions(loan=by_address).muxed_address
    payer.pay([Transfer(address, Decimal("100.50"))])
    tx_memo = payer.pay([Transfer(org.wallet_public_key, Decimal("80"), by_memo.payment_reference)])

    first = follow()
    follow()  # a restart reads from the stored cursor: nothing twice

    assert first.applied == 2
    a = Repayment.objects.get(loan=by_address)
    b = Repayment.objects.get(loan=by_memo)
    assert (a.amount, a.method) == (Decimal("100.50"), Repayment.Method.STELLAR)
    assert (b.amount, b.reference) == (Decimal("80"), tx_memo)
    assert a.operation_id and b.operation_id and a.operation_id != b.operation_id
    assert Repayment.objects.filter(organization=org).count() == 2
    assert AuditEvent.objects.filter(action="repayment.recorded").count() == 2
    assert payer_reviews(payer) == []
    row = PaymentFollower.objects.get(organization=org)
    assert row.cursor and row.applied == 2


def test_a_page_read_again_after_the_cursor_moved_changes_nothing(make_org, localnet) -> None:
    org = make_org()
    (loan,) = active_loans(org)
    payer = Payer.funded(localnet)
    payer.pay([Transfer(org.wallet_public_key, Decimal("10"), loan.payment_reference)])
    follow()
    from sozu.stellar import network

    # What a follower killed after reading, but before applying, would bring back: the same
    # payments, read from where the cursor was.
    again = network.client().payments_after(org.wallet_public_key, cursor="")
    result = payments_apply(
        organization=org, after="", payments=again, usdc=network.usdc_asset(), actor="worker:x"
    )

    assert result.stale and result.applied == 0
    assert Repayment.objects.filter(loan=loan).count() == 1


def test_payments_that_name_no_active_loan_wait_for_review(make_org, localnet) -> None:
    org = make_org()
    active, closed = active_loans(org, 2)
    Loan.objects.filter(pk=closed.pk).update(status=Loan.Status.WRITTEN_OFF)
    (other_org_loan,) = active_loans(make_org())
    payer = Payer.funded(localnet)
    wallet = org.wallet_public_key
    payer.pay([Transfer(wallet, Decimal("5"))])  # no memo, plain address
    payer.pay([Transfer(wallet, Decimal("6"), "cuota de marzo")])
    payer.pay([Transfer(wallet, Decimal("7"), other_org_loan.payment_reference)])
    payer.pay([Transfer(str(MuxedAccount(wallet, 999_999_999).account_muxed), Decimal("8"))])
    payer.pay([Transfer(wallet, Decimal("9"), closed.payment_reference)])
    payer.pay([Transfer(wallet, Decimal("10"), active.payment_reference, Asset.native())])
    payer.pay([Transfer(wallet, Decimal("11.005"), active.payment_reference)])

    follow()

    found = [(r.reason, r.amount, r.loan_id) for r in payer_reviews(payer)]
    assert found == [
        (R.NO_REFERENCE, Decimal("5"), None),
        (R.UNKNOWN_REFERENCE, Decimal("6"), None),
        (R.UNKNOWN_REFERENCE, Decimal("7"), None),
        (R.UNKNOWN_MUXED_ID, Decimal("8"), None),
        (R.LOAN_NOT_ACTIVE, Decimal("9"), closed.pk),
        (R.WRONG_ASSET, Decimal("10"), active.pk),
        (R.AMOUNT_PRECISION, Decimal("11.005"), active.pk),
    ]
    assert not Repayment.objects.filter(organization=org).exists()
    assert {r.status for r in payer_reviews(payer)} == {PaymentReview.Status.PENDING}
    assert AuditEvent.objects.filter(action="payment_review.queued").count() >= 7
    follow()  # a restart queues nothing twice
    assert len(payer_reviews(payer)) == 7


def test_the_follower_skips_the_wallets_own_payouts(make_org, make_recipient) -> None:
    from sozu.disbursements.services.payouts import payout_create, payout_pay_now

    org = make_org()
    active_loans(org)
    payout = payout_create(
        organization=org, data={"destination": make_recipient(), "amount": "3"}, actor="test"
    )
    assert payout_pay_now(payout=payout, worker="w-test").status == "paid"

    follow()

    # Only the network's funding of the wallet (no memo) is there to review; the payout is not.
    reviews = PaymentReview.objects.filter(organization=org)
    assert [r.reason for r in reviews] == [R.NO_REFERENCE]
    assert reviews[0].amount == Decimal("10000")


def test_a_follower_holding_the_lease_keeps_others_out(make_org) -> None:
    org = make_org()
    active_loans(org)
    assert not follow_page(organization=org, worker="f1").stale

    second = follow_page(organization=org, worker="f2")

    assert second.stale and second.read == 0
    assert PaymentFollower.objects.get(organization=org).lease_owner == "f1"
