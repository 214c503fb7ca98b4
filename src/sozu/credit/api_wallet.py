"""The wallet's loan API (/api/v1/wallet/…): her loans, their schedule and next cuota, and a
SEP-7 payment request for a cuota. Authenticated as the beneficiary herself (wallet_auth),
never with an organization's API key; she sees only her own loans (anyone else's: 404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from sozu.core.api import ObjectId, problems
from sozu.credit.allocation import CuotaState, Position
from sozu.credit.models import Currency, Loan
from sozu.credit.payment_request import (
    loan_payment_destination,
    loan_payment_memo,
    loan_payment_request,
)
from sozu.credit.selectors import loan_position
from sozu.credit.selectors_wallet import wallet_loan_get, wallet_loan_list
from sozu.credit.wallet_auth import WalletToken, wallet_caller_of

router = Router(tags=["wallet"], auth=WalletToken())
CENT = Decimal("0.01")
Amount = Annotated[str, Field(examples=["512.34"], description="Decimal string, 2 decimals.")]


def amount(value: Decimal) -> str:
    return format(value.quantize(CENT), "f")


class CuotaOut(Schema):
    number: int
    due_date: str = Field(examples=["2026-05-04"])
    capital: Amount
    interest: Amount
    iva: Amount
    insurance: Amount
    late_interest: Amount = Field(description="Punitorios and their IVA accrued so far.")
    total: Amount = Field(description="The cuota as scheduled (without late interest).")
    paid: Amount
    owed: Amount = Field(description="Still owed on this cuota today.")
    status: Literal["paid", "pending", "overdue"]
    days_late: int
    paid_on: str | None = None


class LoanOut(Schema):
    id: int
    organization: str = Field(description="The organization that lent it.")
    reference: str = Field(examples=["SOZU-12"])
    status: str
    currency: Literal["USDC", "ARS"]
    amount: Amount
    cuotas: int
    frequency: str
    tna: str = Field(description="Nominal annual rate, percent.", examples=["60.00"])
    disbursed_on: str | None = None
    outstanding: Amount = Field(description="Everything still owed (late interest included).")
    outstanding_capital: Amount
    overdue: Amount
    credit: Amount = Field(description="Paid ahead, applied to the next cuotas (saldo a favor).")
    days_past_due: int
    next_cuota: CuotaOut | None = Field(None, description="The oldest cuota still owed.")
    payment_destination: str | None = Field(
        None, description="Her loan's muxed address (M…): USDC loans being repaid."
    )
    payment_memo: str | None = Field(None, description="The memo for the G… address instead.")


class LoanList(Schema):
    results: list[LoanOut]


class LoanDetail(LoanOut):
    schedule: list[CuotaOut]


class PaymentRequestOut(Schema):
    loan_id: int
    cuota: int
    due_date: str
    amount: Amount = Field(
        description="Pays this cuota and any older one still owed, less her credit, today."
    )
    asset_code: str
    asset_issuer: str
    destination: str = Field(description="The loan's muxed address (M…).")
    memo: str
    memo_type: Literal["text"]
    network_passphrase: str | None = Field(None, description="Absent on the public network.")
    uri: str = Field(description="SEP-7 web+stellar:pay URI with the fields above.")
    as_of: str


def cuota_out(c: CuotaState, as_of: Any) -> dict[str, Any]:
    late = c.late_interest + c.late_iva
    paid = sum(c.paid.values(), Decimal(0))
    status = "paid" if c.is_paid else ("overdue" if c.due.due_date < as_of else "pending")
    return {
        "number": c.due.number,
        "due_date": c.due.due_date.isoformat(),
        "capital": amount(c.due.capital),
        "interest": amount(c.due.interest),
        "iva": amount(c.due.iva),
        "insurance": amount(c.due.fees),
        "late_interest": amount(late),
        "total": amount(c.due.capital + c.due.interest + c.due.iva + c.due.fees),
        "paid": amount(paid),
        "owed": amount(c.outstanding),
        "status": status,
        "days_late": c.days_late(as_of),
        "paid_on": c.paid_on.isoformat() if c.is_paid and c.paid_on else None,
    }


def loan_out(loan: Loan, position: Position) -> dict[str, Any]:
    unpaid = [c for c in position.cuotas if not c.is_paid]
    payable = loan.status == Loan.Status.ACTIVE and loan.currency == Currency.USDC
    return {
        "id": loan.pk,
        "organization": loan.organization.name,
        "reference": loan.reference,
        "status": loan.status,
        "currency": loan.currency,
        "amount": amount(loan.amount),
        "cuotas": loan.cuotas,
        "frequency": loan.frequency,
        "tna": amount(loan.tna),
        "disbursed_on": loan.disbursed_on.isoformat() if loan.disbursed_on else None,
        "outstanding": amount(position.outstanding),
        "outstanding_capital": amount(position.outstanding_capital),
        "overdue": amount(position.overdue),
        "credit": amount(position.credit),
        "days_past_due": position.days_past_due,
        "next_cuota": cuota_out(unpaid[0], position.as_of) if unpaid else None,
        "payment_destination": loan_payment_destination(loan) if payable else None,
        "payment_memo": loan_payment_memo(loan) if payable else None,
    }


@router.get("/wallet/loans", response={200: LoanList, **problems()})
def wallet_loans_api(request: HttpRequest) -> dict[str, Any]:
    """Her loans, newest first, each with what she owes and her next cuota."""
    her = wallet_caller_of(request).beneficiaries
    today = timezone.localdate()
    loans = wallet_loan_list(beneficiaries=her)
    return {"results": [loan_out(loan, loan_position(loan=loan, as_of=today)) for loan in loans]}


@router.get("/wallet/loans/{loan_id}", response={200: LoanDetail, **problems(400, 404)})
def wallet_loan_api(request: HttpRequest, loan_id: ObjectId) -> dict[str, Any]:
    """One of her loans with its whole schedule, cuota by cuota, as it stands today."""
    loan = wallet_loan_get(beneficiaries=wallet_caller_of(request).beneficiaries, loan_id=loan_id)
    position = loan_position(loan=loan, as_of=timezone.localdate())
    return {
        **loan_out(loan, position),
        "schedule": [cuota_out(c, position.as_of) for c in position.cuotas],
    }


class PaymentRequestQuery(Schema):
    cuota: int | None = Field(
        None, ge=1, le=1000, description="The cuota to pay; the oldest one owed by default."
    )


@router.get(
    "/wallet/loans/{loan_id}/payment-request",
    # 404: no such loan of hers, or no such cuota; 409: nothing to pay (not active, paid,
    # or a loan in pesos, which is paid at the organization).
    response={200: PaymentRequestOut, **problems(400, 404, 409)},
)
def wallet_payment_request_api(
    request: HttpRequest, loan_id: ObjectId, query: Query[PaymentRequestQuery]
) -> dict[str, Any]:
    """A SEP-7 payment request to pay a cuota to the loan's muxed address, with its memo."""
    loan = wallet_loan_get(beneficiaries=wallet_caller_of(request).beneficiaries, loan_id=loan_id)
    found = loan_payment_request(loan=loan, as_of=timezone.localdate(), cuota=query.cuota)
    return {
        "loan_id": found.loan_id,
        "cuota": found.cuota,
        "due_date": found.due_date.isoformat(),
        "amount": amount(found.amount),
        "asset_code": found.asset_code,
        "asset_issuer": found.asset_issuer,
        "destination": found.destination,
        "memo": found.memo,
        "memo_type": "text",
        "network_passphrase": found.network_passphrase,
        "uri": found.uri,
        "as_of": found.as_of.isoformat(),
    }
