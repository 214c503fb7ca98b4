"""The wallet's loan API with the wallet's own sign-in: a SEP-10 token of her Stellar account
(challenge answered with her key on the local network), no staff-issued token.

She is every approved beneficiary whose address is her account: her loans in each
organization that linked her, nobody else's; a wallet no organization linked yet is signed in
and has no loans.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from stellar_sdk import Keypair, TransactionEnvelope
from tests.factories import BeneficiaryFactory

from sozu.beneficiaries.models import Beneficiary
from sozu.credit.payment_request import loan_payment_destination
from sozu.credit.tests.reports_data import NOW, active_loan, credit_book
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db

HOME = "wallet.sozu.test"
LOANS = "/api/v1/wallet/loans"


@pytest.fixture
def sep10_net(net_settings: Any, settings: Any) -> Any:
    settings.SOZU_HOME_DOMAIN = HOME
    settings.SOZU_WEB_AUTH_DOMAIN = ""
    settings.ALLOWED_HOSTS = [HOME, "testserver", "localhost"]
    with time_machine.travel(NOW, tick=False):
        yield net_settings


def sign_in(key: Keypair) -> str:
    """What the wallet does: ask /auth for a challenge, sign it with her key, answer it."""
    from django.conf import settings

    client = Client()
    challenge = client.get("/auth", {"account": key.public_key}, HTTP_HOST=HOME)
    assert challenge.status_code == 200, challenge.content
    envelope = TransactionEnvelope.from_xdr(
        challenge.json()["transaction"], settings.NETWORK_PASSPHRASE
    )
    envelope.sign(key)
    answered = client.post(
        "/auth", {"transaction": envelope.to_xdr()}, content_type="application/json", HTTP_HOST=HOME
    )
    assert answered.status_code == 200, answered.content
    return str(answered.json()["token"])


def as_wallet(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="es-AR")


def test_her_wallet_reads_her_loans_in_every_organization_that_linked_her(sep10_net) -> None:
    key = Keypair.random()
    manos = org(name="Asociación Manos Unidas")
    book = credit_book(manos)  # Ana's USDC loan and Rosa's loan in pesos
    Beneficiary.objects.filter(pk=book.usdc.beneficiary_id).update(stellar_address=key.public_key)
    # A second NGO linked the same wallet to its own record of her.
    semilla = org(name="Fundación Semilla")
    there = BeneficiaryFactory.create(
        organization=semilla, full_name="Ana Quispe", stellar_address=key.public_key
    )
    other_loan = active_loan(semilla, beneficiary=there, amount="300", paid_on=dt.date(2026, 4, 1))

    her = as_wallet(sign_in(key))
    r = her.get(LOANS)
    assert r.status_code == 200, r.content
    loans = {loan["id"]: loan for loan in r.json()["results"]}
    assert set(loans) == {book.usdc.pk, other_loan.pk}  # Rosa's loan is not hers
    assert loans[book.usdc.pk]["organization"] == "Asociación Manos Unidas"
    assert loans[other_loan.pk]["organization"] == "Fundación Semilla"
    assert loans[other_loan.pk]["amount"] == "300.00"

    # Her loan's detail and the payment request for its next cuota, to the loan's M… address.
    detail = her.get(f"{LOANS}/{book.usdc.pk}")
    assert detail.status_code == 200 and len(detail.json()["schedule"]) == 2
    request = her.get(f"{LOANS}/{book.usdc.pk}/payment-request")
    assert request.status_code == 200, request.content
    assert request.json()["destination"] == loan_payment_destination(book.usdc)
    assert Decimal(request.json()["amount"]) > 0
    # Rosa's loan answers as if it did not exist.
    assert her.get(f"{LOANS}/{book.ars.pk}").status_code == 404


def test_a_wallet_no_organization_linked_is_signed_in_with_no_loans(sep10_net) -> None:
    book = credit_book(org(name="Asociación Manos Unidas"))
    stranger = as_wallet(sign_in(Keypair.random()))
    r = stranger.get(LOANS)
    assert r.status_code == 200 and r.json() == {"results": []}
    assert stranger.get(f"{LOANS}/{book.usdc.pk}").status_code == 404


def test_a_record_no_longer_approved_shows_nothing(sep10_net) -> None:
    key = Keypair.random()
    book = credit_book(org(name="Asociación Manos Unidas"))
    Beneficiary.objects.filter(pk=book.usdc.beneficiary_id).update(
        stellar_address=key.public_key, status=Beneficiary.Status.INACTIVE
    )
    assert as_wallet(sign_in(key)).get(LOANS).json() == {"results": []}


def test_expired_and_forged_tokens_are_refused_with_their_reason(sep10_net, settings) -> None:
    key = Keypair.random()
    token = sign_in(key)
    header, payload, signature = token.split(".")
    forged = as_wallet(f"{header}.{payload}.{signature[::-1]}").get(LOANS)
    assert forged.status_code == 401
    assert forged["Content-Type"].startswith("application/problem+json")
    assert forged.json()["code"] == "wallet_unauthenticated"
    assert forged.json()["detail"] == "Volvé a ingresar a tu billetera."

    later = NOW + dt.timedelta(seconds=settings.SOZU_SEP10_TOKEN_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        expired = as_wallet(token).get(LOANS)
    assert expired.status_code == 401 and expired.json()["code"] == "wallet_token_expired"
    assert expired.json()["detail"] == "Tu sesión de la billetera venció: ingresá de nuevo."
