"""A payment request for a cuota: where to pay (the loan's muxed address), how much, in which
asset and with which memo, as a SEP-7 ``web+stellar:pay`` URI any Stellar wallet can open.

The loan's muxed address is the organization's wallet (G…) with the loan's id as muxed id
(M…): a payment to it lands in the org wallet and says which loan it is for. The memo is the
loan's payment reference (``SZ-0000RF``, check-digited: see references.py), for wallets that
cannot pay to an M… address (paid to the G… address with that memo). The on-chain follower
matches either. (``SOZU-12`` is the loan's number on receipts and on the payout's memo; the
follower does not read it.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from stellar_sdk import MuxedAccount, Network, TextMemo
from stellar_sdk.sep.stellar_uri import PayStellarUri

from sozu.credit.allocation import CuotaState
from sozu.credit.errors import SozuError
from sozu.credit.models import Currency, Loan
from sozu.credit.selectors import loan_position
from sozu.credit.simulator import CENT
from sozu.errors import MESSAGES
from sozu.stellar.network import usdc_asset

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
    return str(
        MuxedAccount(loan.organization.wallet_public_key, account_muxed_id=loan.pk).account_muxed
    )


def loan_payment_memo(loan: Loan) -> str:
    """The memo that names the loan when she pays to the org wallet's G… address: its payment
    reference (SZ-…), the one the follower matches."""
    return loan.payment_reference


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

    @property
    def uri(self) -> str:
        return str(
            PayStellarUri(
                destination=self.destination,
                amount=format(self.amount, "f"),
                asset=usdc_asset(),
                memo=TextMemo(self.memo),
                network_passphrase=self.network_passphrase,
            ).to_uri()
        )


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
    public = settings.NETWORK_PASSPHRASE == Network.PUBLIC_NETWORK_PASSPHRASE
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
        # SEP-7: only given when it is not the public network.
        network_passphrase=None if public else settings.NETWORK_PASSPHRASE,
    )
