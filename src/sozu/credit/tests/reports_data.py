"""A small credit book for the reports' and the wallet API's tests (no network needed).

Built through the services, on a frozen clock: loans paid out (their payout rows paid with a
transaction hash), repayments in cash, by transfer and on chain, and a reversal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import time_machine
from tests.factories import BeneficiaryFactory

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.models import Loan, Repayment
from sozu.credit.services import (
    loan_mark_disbursed,
    loan_prepare,
    repayment_record,
    repayment_reverse,
)
from sozu.credit.services.loans import ExchangeRate
from sozu.credit.tests.factories import LoanProductFactory
from sozu.disbursements.models import Payout
from sozu.orgs.models import Organization

BA = dt.timezone(dt.timedelta(hours=-3))
TODAY = dt.date(2026, 4, 20)
NOW = dt.datetime(2026, 4, 20, 12, 0, tzinfo=BA)
PAYOUT_HASH = "ab" * 32
CHAIN_HASH = "cd" * 32
RATE_AT = dt.datetime(2026, 3, 10, 9, 30, tzinfo=BA)


def at(day: dt.date, hour: int = 12) -> time_machine.travel:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=BA), tick=False)


def active_loan(
    organization: Organization,
    *,
    product_kwargs: dict | None = None,
    amount: str = "1000",
    cuotas: int = 2,
    paid_on: dt.date = dt.date(2026, 3, 2),
    full_name: str = "Ana Quispe",
    national_id: str = "27333444",
    beneficiary: Beneficiary | None = None,
    rate: ExchangeRate | None = None,
) -> Loan:
    """A loan paid out on `paid_on` (its payout paid with a hash), now active."""
    product = LoanProductFactory.create(organization=organization, **(product_kwargs or {}))
    her = beneficiary or BeneficiaryFactory.create(
        organization=organization, full_name=full_name, national_id=national_id
    )
    with at(paid_on, 9):
        loan = loan_prepare(
            product=product, beneficiary=her, amount=amount, cuotas=cuotas, actor="user:1"
        )
        payout = Payout.objects.create(
            organization=organization,
            beneficiary=her,
            destination=her.stellar_address,
            amount=Decimal(amount) if rate is None else Decimal(amount) / rate.rate,
            memo=loan.reference,
            status=Payout.Status.PAID,
            tx_hash=PAYOUT_HASH,
            paid_at=dt.datetime.combine(paid_on, dt.time(11), tzinfo=BA),
            created_by="user:2",
        )
        fields: dict = {"status": Loan.Status.DISBURSING, "payout": payout}
        fields["payout_amount"] = payout.amount.quantize(Decimal("0.0000001"))
        if rate is not None:
            fields.update(
                exchange_rate=rate.rate,
                exchange_rate_source=rate.source,
                exchange_rate_at=rate.quoted_at,
            )
        Loan.objects.filter(pk=loan.pk).update(**fields)
        return loan_mark_disbursed(loan=loan, paid_at=payout.paid_at, actor="worker:1")  # type: ignore[arg-type]


def pay(
    loan: Loan,
    amount: Decimal | str,
    day: dt.date,
    *,
    method: str = "cash",
    reference: str = "R-1",
    rate: ExchangeRate | None = None,
) -> Repayment:
    with at(day, 15):
        return repayment_record(
            loan=loan,
            amount=amount,
            received_on=day,
            method=method,
            reference=reference,
            actor="user:3",
            exchange_rate=rate,
        )


@dataclass
class Book:
    usdc: Loan
    ars: Loan
    cash: Repayment
    chain: Repayment
    wrong: Repayment
    reversal: Repayment
    ars_payment: Repayment


ARS_RATE = ExchangeRate(Decimal("1200"), "CriptoYa USDC/ARS compra", RATE_AT)


def credit_book(organization: Organization) -> Book:
    """Two active loans and five repayment rows (one reversed), as of TODAY.

    - SOZU-a: 1000 USDC, 2 monthly French cuotas, paid out 2026-03-02 (Ana Quispe): cuota 1
      paid in cash on its due date, 10 USDC on chain, 50 by transfer then reversed.
    - SOZU-b: $ 120.000 ARS, 3 cuotas, paid out 2026-03-10 at 1200 ARS/USDC (Rosa Mamani): a
      cash payment of $ 20.000 on 2026-04-10.
    """
    usdc = active_loan(organization)
    ars = active_loan(
        organization,
        product_kwargs={
            "currency": "ARS",
            "min_amount": Decimal("10000"),
            "max_amount": Decimal("500000"),
        },
        amount="120000",
        cuotas=3,
        paid_on=dt.date(2026, 3, 10),
        full_name="Rosa Mamani",
        national_id="30555666",
        rate=ARS_RATE,
    )
    first = usdc.schedule.get(number=1)
    cash = pay(usdc, first.total, first.due_date, reference="REC-0001")
    chain = pay(usdc, "10", dt.date(2026, 4, 6), method="stellar", reference=CHAIN_HASH)
    Repayment.objects.filter(pk=chain.pk).update(operation_id="987654321")
    chain.refresh_from_db()
    wrong = pay(usdc, "50", dt.date(2026, 4, 7), method="transfer", reference="TRF-77")
    with at(dt.date(2026, 4, 8), 10):
        reversal = repayment_reverse(repayment=wrong, actor="user:3", reason="cargado dos veces")
    ars_payment = pay(ars, "20000", dt.date(2026, 4, 10), reference="REC-0002")
    return Book(usdc, ars, cash, chain, wrong, reversal, ars_payment)
