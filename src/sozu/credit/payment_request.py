"""A payment request for a cuota: where to pay (the loan's muxed address), how much, in which
asset and with which memo, as a SEP-7 ``web+stellar:pay`` URI any Stellar wallet can open.

The loan's muxed address is the organization's wallet (G…) with the loan's id as muxed id
(M…): a payment to it lands in the org wallet and says which loan it is for. The memo is the
loan's payment reference (``SZ-0000RF``, check-digited: see references.py), for wallets that
cannot pay to an M… address (paid to the G… address with that memo). The on-chain follower
matches either. (``SOZU-12`` is the loan's number on receipts and on the payout's memo; the
follower does not read it.)

This module is the one place that says how a loan is paid: `loan_payment_destination`,
`loan_payment_memo` and `loan_payment_uri` serve the staff pages (`loan_payment_instructions`),
the wallet API (`loan_payment_request`) and the tests that pay on the local network. The URI is
signed by Sozu exactly as the wallet signs its own requests (`sozu.wallet.sep7.pay_uri`:
`origin_domain` and a signature by the URI_REQUEST_SIGNING_KEY), so that a wallet scanning it
(`sep7.pay_request_check`) can tell that nobody changed the amount, destination or memo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stellar_sdk import Network

from sozu.credit.allocation import CuotaState
from sozu.credit.errors import SozuError
from sozu.credit.models import Currency, Loan
from sozu.credit.references import loan_muxed_address
from sozu.credit.selectors import loan_position
from sozu.credit.simulator import CENT
from sozu.errors import MESSAGES
from sozu.stellar.network import usdc_asset
from sozu.wallet.sep7 import pay_uri

MESSAGES.update(
    {
        "loan_not_payable": (_("This loan is %(status)s: it has no cuota to pay."), 409),
        "loan_payment_in_pesos": (
            _(
                "This loan is in pesos: pay it at the organization (cash or bank transfer). "
                "Payment requests are for loans in USDC."
            ),
            409,
        ),
        "cuota_not_found": (_("Loan %(loan)s has no cuota %(number)s."), 404),
        "cuota_already_paid": (
            _("Cuota %(number)s is already paid (or covered by her credit)."),
            409,
        ),
    }
)


def loan_payment_destination(loan: Loan) -> str:
    """The loan's muxed address: the org wallet (G…) with the loan's id as muxed id (M…)."""
    return loan_muxed_address(loan.organization.wallet_public_key, loan.pk)


def loan_payment_memo(loan: Loan) -> str:
    """The memo that names the loan when she pays to the org wallet's G… address: its payment
    reference (SZ-…), the one the follower matches."""
    return loan.payment_reference


def sep7_network_passphrase() -> str | None:
    """SEP-7 names the network only when it is not the public one."""
    public = settings.NETWORK_PASSPHRASE == Network.PUBLIC_NETWORK_PASSPHRASE
    return None if public else str(settings.NETWORK_PASSPHRASE)


def loan_payment_uri(*, loan: Loan, amount: Decimal | None = None) -> str:
    """A `web+stellar:pay` URI for `amount` USDC (any amount when None) to the loan's muxed
    address with its memo, signed by Sozu."""
    return pay_uri(
        destination=loan_payment_destination(loan),
        amount=amount.quantize(CENT) if amount is not None else None,
        asset=usdc_asset(),
        memo=loan_payment_memo(loan),
        network_passphrase=sep7_network_passphrase(),
    )


@dataclass(frozen=True)
class PaymentInstructions:
    """How she pays this loan from any Stellar wallet: either the muxed address, or the
    organization's wallet with the memo; `uri` is a signed SEP-7 request carrying both."""

    muxed_address: str
    wallet: str
    memo: str
    asset_code: str
    asset_issuer: str
    amount: Decimal | None
    uri: str


def loan_payment_instructions(*, loan: Loan, amount: Decimal | None = None) -> PaymentInstructions:
    """The loan's muxed address, its memo reference and a signed `web+stellar:pay` URI for
    `amount` USDC, or any amount when None (for pages that show how to pay a loan)."""
    usdc = usdc_asset()
    return PaymentInstructions(
        muxed_address=loan_payment_destination(loan),
        wallet=loan.organization.wallet_public_key,
        memo=loan_payment_memo(loan),
        asset_code=usdc.code,
        asset_issuer=usdc.issuer or "",
        amount=amount,
        uri=loan_payment_uri(loan=loan, amount=amount),
    )


@dataclass(frozen=True)
class PaymentRequest:
    loan_id: int
    cuota: int
    due_date: dt.date
    #: What pays this cuota and every older one still owed, net of her credit, as of `as_of`.
    amount: Decimal
    asset_code: str
    asset_issuer: str
    destination: str
    memo: str
    as_of: dt.date
    network_passphrase: str | None
    #: The SEP-7 request, signed by Sozu (`loan_payment_uri`).
    uri: str


def _oldest_not_covered(unpaid: list[CuotaState], credit: Decimal) -> int:
    """The oldest cuota her credit (paid ahead, applied when cuotas fall due) does not cover:
    a cuota paid ahead is not due yet, so it is still unpaid, but there is nothing to ask."""
    owed = Decimal(0)
    for c in unpaid:
        owed += c.outstanding
        if owed > credit:
            return c.due.number
    return unpaid[-1].due.number  # all covered: refused below as already paid


def loan_payment_request(*, loan: Loan, as_of: dt.date, cuota: int | None = None) -> PaymentRequest:
    """The request to pay cuota `cuota` of a USDC loan (by default the oldest one owed that her
    credit does not already cover).

    Repayments pay the oldest cuota first, so the amount also covers any older cuota still
    owed (with its late interest as of `as_of`); her credit (saldo a favor) is subtracted.
    """
    if loan.status != Loan.Status.ACTIVE:
        raise SozuError("loan_not_payable", status=Loan.Status(loan.status).label)
    if loan.currency != Currency.USDC:
        raise SozuError("loan_payment_in_pesos")
    position = loan_position(loan=loan, as_of=as_of)
    unpaid = [c for c in position.cuotas if not c.is_paid]
    if cuota is None:
        if not unpaid:
            raise SozuError("loan_not_payable", status=Loan.Status.PAID_OFF.label)
        cuota = _oldest_not_covered(unpaid, position.credit)
    target = next((c for c in position.cuotas if c.due.number == cuota), None)
    if target is None:
        raise SozuError("cuota_not_found", loan=loan.reference, number=cuota)
    amount = sum((c.outstanding for c in unpaid if c.due.number <= cuota), Decimal(0))
    amount = (amount - position.credit).quantize(CENT)
    if target.is_paid or amount <= 0:
        raise SozuError("cuota_already_paid", number=cuota)
    asset = usdc_asset()
    return PaymentRequest(
        loan_id=loan.pk,
        cuota=cuota,
        due_date=target.due.due_date,
        amount=amount,
        asset_code=asset.code,
        asset_issuer=str(asset.issuer),
        destination=loan_payment_destination(loan),
        memo=loan_payment_memo(loan),
        as_of=as_of,
        network_passphrase=sep7_network_passphrase(),
        uri=loan_payment_uri(loan=loan, amount=amount),
    )
