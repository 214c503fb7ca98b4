"""A credit from start to end on the local network, the way staff and the borrower live it.

An operator prepares a loan for Ana from a product, an approver approves it (never the one who
prepared it), the engine pays the disbursement on the network, and the schedule starts on the
day it was paid. Ana pays cuota 1 from her own account to her loan's muxed address (M…) and
cuota 2 to the organization's G… address with her loan's memo reference; the follower applies
each once. Cuota 3 she pays twelve days late at the office: until then the loan shows the days
past due, its aging bucket and the late interest growing day by day, and her payment covers
that late interest first. She pays the rest, the loan is paid off, and she may renew.

The schedule's dates depend on the day the payout was really paid (the network's clock); every
later day is counted from those dates, and the clock is moved (time_machine) only for what staff
record after today. The amounts are worked out by hand below, independently of the code:
1000 USDC, 6 monthly French cuotas at 60 % TNA (5 % a month), IVA 21 % on interest:
cuota = 1000 * 0.05 / (1 - 1.05 ** -6) = 197.02 of capital and interest, plus IVA on interest.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from stellar_sdk import Asset, Keypair, MuxedAccount

from sozu.beneficiaries.services import beneficiary_create
from sozu.credit.errors import SozuError
from sozu.credit.follower import Follower
from sozu.credit.models import Loan, PaymentReview, Repayment
from sozu.credit.payment_request import loan_payment_instructions, loan_payment_request
from sozu.credit.portfolio import arrears_rows
from sozu.credit.selectors import loan_position
from sozu.credit.services import (
    loan_approve,
    loan_prepare,
    loan_product_create,
    loan_submit,
    loans_sync_disbursements,
    repayment_record,
)
from sozu.credit.services.portfolio import loan_states_refresh
from sozu.credit.services.renewal import renewal_eligibility, renewal_rule_set
from sozu.credit.simulator import Frequency, first_due_date, next_business_day
from sozu.credit.tests.onchain import Payer, Transfer
from sozu.disbursements.models import Payout
from sozu.disbursements.services.payouts import payout_pay_now
from sozu.disbursements.tests.api.helpers import transaction_on_network, usdc_balance

pytestmark = pytest.mark.django_db(transaction=True)
L = Loan.Status
CENT = Decimal("0.01")
BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
OPERATOR, APPROVER = "user:operator", "user:approver"

#: (capital, interest, IVA, total) of each cuota, worked out by hand (see the docstring).
SCHEDULE = [
    (Decimal("147.02"), Decimal("50.00"), Decimal("10.50"), Decimal("207.52")),
    (Decimal("154.37"), Decimal("42.65"), Decimal("8.96"), Decimal("205.98")),
    (Decimal("162.09"), Decimal("34.93"), Decimal("7.34"), Decimal("204.36")),
    (Decimal("170.19"), Decimal("26.83"), Decimal("5.63"), Decimal("202.65")),
    (Decimal("178.70"), Decimal("18.32"), Decimal("3.85"), Decimal("200.87")),
    (Decimal("187.63"), Decimal("9.38"), Decimal("1.97"), Decimal("198.98")),
]
DAYS_LATE = 12  # cuota 3: more than the 3 days of grace, fewer than the 15 renewal allows


def follow() -> Follower:
    follower = Follower("f-e2e", poll_seconds=0)
    follower.run(until_idle=True)
    return follower


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=BUENOS_AIRES)


def late_interest(capital: Decimal, days: int) -> Decimal:
    """73 % a year over 365 days is 0.2 % a day of the unpaid capital, from the due date."""
    return (capital * Decimal("0.002") * days).quantize(CENT, ROUND_HALF_UP)


def test_a_loan_granted_paid_out_repaid_on_chain_and_late_then_renewed(make_org, localnet) -> None:
    org = make_org(usdc="5000", channels=1)
    ana_keys = Keypair.random()
    localnet.fund(ana_keys.public_key, xlm="10", usdc="1")
    ana = beneficiary_create(
        organization_id=org.pk,
        full_name="Ana Quispe",
        stellar_address=ana_keys.public_key,
        national_id="30111222",
        actor=OPERATOR,
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
        actor=OPERATOR,
    )
    renewal_rule_set(product=product, max_days_late=15, increase="20", actor=APPROVER)

    # --- Granting: the operator prepares, the approver approves (maker-checker) --------------
    loan = loan_prepare(product=product, beneficiary=ana, amount="1000", cuotas=6, actor=OPERATOR)
    loan = loan_submit(loan=loan, actor=OPERATOR)
    with pytest.raises(SozuError) as refused:
        loan_approve(loan=loan, actor=OPERATOR)
    assert refused.value.code == "loan_approver_is_preparer"
    loan.refresh_from_db()
    assert (loan.status, loan.payout_id) == (L.PENDING_APPROVAL, None)
    assert not Payout.objects.filter(organization=org).exists()

    loan = loan_approve(loan=loan, actor=APPROVER)
    assert (loan.status, loan.approved_by) == (L.DISBURSING, APPROVER)

    # --- Disbursement: the engine pays her on the network ------------------------------------
    assert loan.payout is not None
    payout = payout_pay_now(payout=loan.payout, worker="w-e2e", wait_seconds=30)
    assert payout.status == Payout.Status.PAID
    # 1000 less the 2 % origination fee and its 21 % IVA (20 + 4.20).
    assert payout.amount == Decimal("975.80")
    on_network = transaction_on_network(localnet, payout.tx_hash)
    assert on_network["successful"] is True
    assert on_network["memo"] == f"SOZU-{loan.pk}"  # the payout's memo: the loan's number
    assert usdc_balance(localnet, ana_keys.public_key) == Decimal("976.80")  # 1 + 975.80

    assert loans_sync_disbursements() == 1
    loan.refresh_from_db()
    assert payout.paid_at is not None
    paid_on = payout.paid_at.astimezone(BUENOS_AIRES).date()
    assert (loan.status, loan.disbursed_on) == (L.ACTIVE, paid_on)
    schedule = list(loan.schedule.order_by("number"))
    assert [(c.capital, c.interest, c.iva, c.total) for c in schedule] == SCHEDULE
    # The schedule starts on the day the payout was paid: cuota 1 one month later, moved to
    # the next business day if that is a weekend or an Argentine holiday.
    first = first_due_date(paid_on, Frequency.MONTHLY)
    assert (schedule[0].nominal_date, schedule[0].due_date) == (first, next_business_day(first))
    due = [c.due_date for c in schedule]

    # --- Cuotas 1 and 2 on chain, from her own account ---------------------------------------
    ana_pays = Payer(
        localnet.url,
        localnet.passphrase,
        Asset(localnet.usdc_code, localnet.usdc_issuer),
        ana_keys,
    )
    how = loan_payment_instructions(loan=loan)
    muxed = MuxedAccount.from_account(how.muxed_address)
    assert (muxed.account_id, muxed.account_muxed_id) == (org.wallet_public_key, loan.pk)
    assert how.memo == loan.payment_reference != loan.reference
    request = loan_payment_request(loan=loan, as_of=paid_on)
    assert (request.cuota, request.amount) == (1, Decimal("207.52"))
    assert (request.destination, request.memo) == (how.muxed_address, how.memo)

    tx_1 = ana_pays.pay([Transfer(how.muxed_address, request.amount)])
    assert follow().applied == 1

    # Her wallet cannot pay an M… address: the G… address with the memo of the request.
    request = loan_payment_request(loan=loan, as_of=paid_on)
    assert (request.cuota, request.amount) == (2, Decimal("205.98"))  # cuota 1 is her credit
    tx_2 = ana_pays.pay([Transfer(org.wallet_public_key, request.amount, request.memo)])
    assert follow().applied == 1
    assert follow().applied == 0  # a restart reads from its cursor: nothing twice
    on_chain = list(Repayment.objects.filter(loan=loan).order_by("id"))
    assert [(r.amount, r.method, r.reference) for r in on_chain] == [
        (Decimal("207.52"), Repayment.Method.STELLAR, tx_1),
        (Decimal("205.98"), Repayment.Method.STELLAR, tx_2),
    ]
    assert not PaymentReview.objects.filter(source=ana_keys.public_key).exists()
    assert usdc_balance(localnet, ana_keys.public_key) == Decimal("976.80") - Decimal("413.50")
    # Paid ahead: each payment is her credit until its cuota falls due, then pays it on time.
    after_2 = loan_position(loan=loan, as_of=due[1])
    assert [c.is_paid for c in after_2.cuotas] == [True, True, False, False, False, False]
    assert [c.days_late(due[1]) for c in after_2.cuotas[:2]] == [0, 0]
    assert (after_2.days_past_due, after_2.credit) == (0, Decimal(0))

    # --- Cuota 3 falls due and is not paid: mora, day by day ----------------------------------
    capital_3 = SCHEDULE[2][0]
    for days in range(DAYS_LATE + 1):
        position = loan_position(loan=loan, as_of=due[2] + dt.timedelta(days=days))
        cuota_3 = position.cuotas[2]
        # Within the 3 days of grace nothing accrues; after them, from the due date itself.
        expected = late_interest(capital_3, days) if days > 3 else Decimal(0)
        assert position.days_past_due == days
        assert cuota_3.late_interest == expected, days
        assert cuota_3.late_iva == (expected * Decimal("0.21")).quantize(CENT, ROUND_HALF_UP)
    late_day = due[2] + dt.timedelta(days=DAYS_LATE)
    assert (cuota_3.late_interest, cuota_3.late_iva) == (Decimal("3.89"), Decimal("0.82"))
    assert cuota_3.outstanding == Decimal("209.07")  # 204.36 + 3.89 + 0.82

    # What staff see in the arrears list that morning (the daily refresh ran).
    loan_states_refresh(as_of=late_day, organization_id=org.pk)
    (row,) = arrears_rows(organization_id=org.pk, as_of=late_day)
    assert (row.loan_id, row.name, row.days_late, row.bucket) == (loan.pk, "Ana Quispe", 12, "1-30")
    assert (row.overdue, row.late_interest) == (Decimal("209.07"), Decimal("4.71"))

    # --- She pays cuota 3 at the office, twelve days late ------------------------------------
    with time_machine.travel(noon(late_day), tick=False):
        late = repayment_record(
            loan=loan,
            amount="209.07",
            received_on=late_day,
            method=Repayment.Method.TRANSFER,
            reference="TRF-0003",
            actor=OPERATOR,
        )
    position = loan_position(loan=loan, as_of=late_day)
    paid_by_late = [
        (a.cuota, a.component, a.amount) for a in position.allocations if a.payment == late.pk
    ]
    assert paid_by_late == [
        (3, "late_interest", Decimal("3.89")),
        (3, "late_iva", Decimal("0.82")),
        (3, "interest", Decimal("34.93")),
        (3, "iva", Decimal("7.34")),
        (3, "capital", Decimal("162.09")),
    ]
    assert position.cuotas[2].is_paid and position.days_past_due == 0
    loan.refresh_from_db()
    assert loan.status == L.ACTIVE
    assert list(arrears_rows(organization_id=org.pk, as_of=late_day)) == []

    # --- She pays the rest on cuota 4's due date: the loan is paid off -----------------------
    rest = sum((total for *_, total in SCHEDULE[3:]), Decimal(0))
    assert rest == Decimal("602.50")
    with time_machine.travel(noon(due[3]), tick=False):
        repayment_record(
            loan=loan,
            amount=rest,
            received_on=due[3],
            method=Repayment.Method.TRANSFER,
            reference="TRF-0004",
            actor=OPERATOR,
        )
    loan.refresh_from_db()
    final = loan_position(loan=loan, as_of=due[3])
    assert loan.status == L.PAID_OFF
    assert (final.paid_off, final.outstanding, final.credit) == (True, Decimal(0), Decimal(0))
    paid = Repayment.objects.filter(loan=loan).values_list("amount", flat=True)
    assert sum(paid, Decimal(0)) == Decimal("1225.07")  # 207.52 + 205.98 + 209.07 + 602.50

    # --- Renewal: twelve days late at most, the product allows fifteen: +20 % ----------------
    renewal = renewal_eligibility(ana, as_of=due[3])
    assert renewal.eligible is True
    assert renewal.suggested_amount == Decimal("1200.00")
    assert [(c.number, c.cuotas_paid, c.max_days_late) for c in renewal.cycles] == [(1, 6, 12)]
    assert renewal.reasons == [
        f"Todas las cuotas de su último préstamo (SOZU-{loan.pk}) están pagas.",
        "Ninguna cuota tuvo más de 15 días de atraso (el máximo: 12).",
        "Sugerido: 1.000,00 USDC + 20 % = 1.200,00 USDC.",
    ]
