"""Helpers for repayments on the local network: active loans and payers that pay them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from stellar_sdk import Asset, Keypair, Server, TransactionBuilder

from sozu.credit.models import Loan, LoanProduct
from sozu.credit.services import loan_mark_disbursed
from sozu.credit.tests.factories import LoanProductFactory, draft_loan
from sozu.orgs.models import Organization


def active_loans(organization: Organization, count: int = 1, **kwargs: Any) -> list[Loan]:
    """Loans of the organization paid out now (active, with their schedule)."""
    product: LoanProduct = LoanProductFactory.create(organization=organization, **kwargs)
    loans = []
    for _ in range(count):
        loan = draft_loan(product=product, amount="1000", cuotas=6)
        Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.DISBURSING)
        loans.append(loan_mark_disbursed(loan=loan, paid_at=timezone.now(), actor="worker:test"))
    return loans


@dataclass(frozen=True)
class Transfer:
    destination: str
    amount: Decimal
    memo: str = ""
    asset: Asset | None = None


@dataclass
class Payer:
    """An account on the local network that pays USDC, up to 100 payments per transaction."""

    horizon: str
    passphrase: str
    usdc: Asset
    keypair: Keypair

    @classmethod
    def funded(cls, net: Any, usdc: str = "100000") -> Payer:
        kp = Keypair.random()
        net.fund(kp.public_key, xlm="1000", usdc=usdc)
        return cls(net.url, net.passphrase, Asset(net.usdc_code, net.usdc_issuer), kp)

    def pay(self, transfers: Sequence[Transfer]) -> str:
        """One transaction: every transfer (a memo, if any, must be the same for all)."""
        server = Server(self.horizon)
        account = server.load_account(self.keypair.public_key)
        builder = TransactionBuilder(account, self.passphrase, base_fee=100).set_timeout(60)
        memos = {t.memo for t in transfers}
        assert len(memos) == 1, "one memo per transaction"
        memo = memos.pop()
        if memo:
            builder.add_text_memo(memo)
        for t in transfers:
            builder.append_payment_op(t.destination, t.asset or self.usdc, str(t.amount))
        envelope = builder.build()
        envelope.sign(self.keypair)
        return str(server.submit_transaction(envelope)["hash"])
