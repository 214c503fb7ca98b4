"""The wallet's loan API: she reads her own loans only, with a staff-issued signed token, and
gets a SEP-7 payment request (muxed address, amount, USDC, memo) for a cuota."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from django.test import Client
from stellar_sdk import Keypair, MuxedAccount, Network, TextMemo
from stellar_sdk.sep.stellar_uri import PayStellarUri
from tests.factories import BeneficiaryFactory

from sozu.audit.models import AuditEvent
from sozu.credit.errors import SozuError
from sozu.credit.models import Loan
from sozu.credit.payment_request import loan_payment_destination
from sozu.credit.selectors import loan_position
from sozu.credit.services.wallet import wallet_token_issue
from sozu.credit.tests.factories import draft_loan
from sozu.credit.tests.reports_data import NOW, TODAY, active_loan, credit_book, pay
from sozu.orgs.models import Organization
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db

LOANS = "/api/v1/wallet/loans"
ISSUER = Keypair.random().public_key


@pytest.fixture(autouse=True)
def stellar(settings):
    settings.USDC_ISSUER = ISSUER
    settings.NETWORK_PASSPHRASE = Network.TESTNET_NETWORK_PASSPHRASE
    from sozu.stellar import network

    network.reset_caches()
    yield
    network.reset_caches()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def organization() -> Organization:
    return org(name="Asociación Manos Unidas")


@pytest.fixture
def book(organization):
    return credit_book(organization)


def wallet(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="es-AR")


@pytest.fixture
def ana(book, clock) -> Client:
    return wallet(wallet_token_issue(beneficiary=book.usdc.beneficiary, actor="user:1"))


def test_she_reads_her_loans_with_what_she_owes_and_her_next_cuota(ana, book) -> None:
    r = ana.get(LOANS)
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    (loan,) = r.json()["results"]  # Rosa's loan is not hers
    position = loan_position(loan=book.usdc, as_of=TODAY)
    second = book.usdc.schedule.get(number=2)
    assert loan["id"] == book.usdc.pk and loan["reference"] == book.usdc.reference
    assert (loan["status"], loan["currency"], loan["amount"]) == ("active", "USDC", "1000.00")
    assert Decimal(loan["outstanding_capital"]) == position.outstanding_capital
    assert Decimal(loan["credit"]) == Decimal("10.00")  # the 10 USDC paid ahead
    assert loan["next_cuota"]["number"] == 2
    assert loan["next_cuota"]["due_date"] == second.due_date.isoformat()
    assert loan["next_cuota"]["status"] == "pending"
    assert Decimal(loan["next_cuota"]["owed"]) == second.total
    assert loan["payment_destination"] == loan_payment_destination(book.usdc)
    assert loan["payment_memo"] == book.usdc.payment_reference


def test_her_loan_has_its_schedule_cuota_by_cuota(ana, book) -> None:
    r = ana.get(f"{LOANS}/{book.usdc.pk}")
    assert r.status_code == 200
    schedule = r.json()["schedule"]
    first, second = book.usdc.schedule.order_by("number")
    assert [c["number"] for c in schedule] == [1, 2]
    assert schedule[0]["status"] == "paid" and schedule[0]["owed"] == "0.00"
    assert schedule[0]["paid_on"] == first.due_date.isoformat()
    assert Decimal(schedule[0]["paid"]) == first.total
    assert Decimal(schedule[1]["total"]) == second.total
    assert Decimal(schedule[1]["capital"]) == second.capital


def test_another_beneficiarys_loan_is_not_found(ana, book, organization) -> None:
    for url in (f"{LOANS}/{book.ars.pk}", f"{LOANS}/{book.ars.pk}/payment-request"):
        r = ana.get(url)
        assert r.status_code == 404
        assert r["Content-Type"] == "application/problem+json"
        assert r.json()["code"] == "not_found"
    # Nor a loan of another organization, nor a draft of her own.
    other = credit_book(org(name="Otra"))
    assert ana.get(f"{LOANS}/{other.usdc.pk}").status_code == 404
    draft = draft_loan(product=book.usdc.product)
    Loan.objects.filter(pk=draft.pk).update(beneficiary=book.usdc.beneficiary)
    assert ana.get(f"{LOANS}/{draft.pk}").status_code == 404
    assert [x["id"] for x in ana.get(LOANS).json()["results"]] == [book.usdc.pk]


def test_a_payment_request_for_her_next_cuota_is_a_sep7_uri(ana, book) -> None:
    r = ana.get(f"{LOANS}/{book.usdc.pk}/payment-request")
    assert r.status_code == 200
    body = r.json()
    second = book.usdc.schedule.get(number=2)
    expected = second.total - Decimal("10")  # her 10 USDC of credit pays part of it
    muxed = str(MuxedAccount(book.usdc.organization.wallet_public_key, book.usdc.pk).account_muxed)
    assert muxed.startswith("M")
    assert body["destination"] == muxed == loan_payment_destination(book.usdc)
    assert Decimal(body["amount"]) == expected and body["cuota"] == 2
    assert (body["asset_code"], body["asset_issuer"]) == ("USDC", ISSUER)
    assert (body["memo"], body["memo_type"]) == (book.usdc.payment_reference, "text")
    assert body["as_of"] == TODAY.isoformat()

    uri = PayStellarUri.from_uri(body["uri"])
    assert uri.destination == muxed
    assert uri.amount == format(expected.quantize(Decimal("0.01")), "f")
    assert (uri.asset_code, uri.asset_issuer) == ("USDC", ISSUER)
    assert (uri.memo, uri.memo_type) == (book.usdc.payment_reference, "MEMO_TEXT")
    assert uri.network_passphrase == Network.TESTNET_NETWORK_PASSPHRASE
    assert TextMemo(str(uri.memo)).memo_text.decode().startswith("SZ-")
    # Exactly these fields, nothing else (no callback or message), signed by Sozu.
    fields = dict(parse_qsl(urlsplit(body["uri"]).query))
    assert urlsplit(body["uri"]).scheme == "web+stellar" and body["uri"].startswith(
        "web+stellar:pay?"
    )
    assert set(fields) == {
        "destination",
        "amount",
        "asset_code",
        "asset_issuer",
        "memo",
        "memo_type",
        "network_passphrase",
        "origin_domain",
        "signature",
    }
    # The muxed address is the org wallet with the loan's id.
    decoded = MuxedAccount.from_account(muxed)
    assert decoded.account_id == book.usdc.organization.wallet_public_key
    assert decoded.account_muxed_id == book.usdc.pk


def test_on_the_public_network_the_uri_has_no_passphrase(ana, book, settings) -> None:
    settings.NETWORK_PASSPHRASE = Network.PUBLIC_NETWORK_PASSPHRASE
    body = ana.get(f"{LOANS}/{book.usdc.pk}/payment-request").json()
    assert body["network_passphrase"] is None
    assert "network_passphrase" not in dict(parse_qsl(urlsplit(body["uri"]).query))


def test_a_late_cuota_asks_for_its_late_interest_too(organization, clock) -> None:
    loan = active_loan(organization, cuotas=3, paid_on=dt.date(2026, 1, 5))
    her = wallet(wallet_token_issue(beneficiary=loan.beneficiary))
    first = loan.schedule.get(number=1)
    body = her.get(f"{LOANS}/{loan.pk}/payment-request", {"cuota": 2}).json()
    position = loan_position(loan=loan, as_of=TODAY)
    owed_1_2 = position.cuotas[0].outstanding + position.cuotas[1].outstanding
    assert position.cuotas[0].late_interest > 0  # months late
    assert Decimal(body["amount"]) == owed_1_2 and body["cuota"] == 2
    detail = her.get(f"{LOANS}/{loan.pk}").json()
    assert detail["schedule"][0]["status"] == "overdue"
    assert detail["days_past_due"] == (TODAY - first.due_date).days

    # Paid in full, cuota 1 cannot be asked for again.
    pay(loan, position.cuotas[0].outstanding, TODAY)
    r = her.get(f"{LOANS}/{loan.pk}/payment-request", {"cuota": 1})
    assert r.status_code == 409 and r.json()["code"] == "cuota_already_paid"
    assert r.json()["detail"] == "La cuota 1 ya está paga (o la cubre su saldo a favor)."
    r = her.get(f"{LOANS}/{loan.pk}/payment-request", {"cuota": 9})
    assert r.status_code == 404 and r.json()["code"] == "cuota_not_found"
    for bad in ("0", "dos", "1.5"):
        r = her.get(f"{LOANS}/{loan.pk}/payment-request", {"cuota": bad})
        assert r.status_code == 400 and r.json()["code"] == "invalid_field"


def test_a_loan_in_pesos_is_paid_at_the_organization(book, clock) -> None:
    rosa = wallet(wallet_token_issue(beneficiary=book.ars.beneficiary))
    loan = rosa.get(LOANS).json()["results"][0]
    assert loan["currency"] == "ARS" and loan["payment_destination"] is None
    r = rosa.get(f"{LOANS}/{book.ars.pk}/payment-request")
    assert r.status_code == 409 and r.json()["code"] == "loan_payment_in_pesos"


# --- the token ---------------------------------------------------------------------------------


def test_without_a_valid_token_nothing_is_read(book, clock) -> None:
    for client in (
        Client(),
        wallet("not-a-token"),
        wallet("a\x00b"),
        Client(HTTP_AUTHORIZATION="Basic abc"),
    ):
        r = client.get(LOANS)
        assert r.status_code == 401
        assert r["Content-Type"] == "application/problem+json"
        assert r.json()["code"] == "wallet_unauthenticated"
    # An organization's API key is no wallet token.
    from sozu.orgs.services import apikey_create

    _, key = apikey_create(organization=book.usdc.organization, name="k", actor="test")
    assert wallet(key).get(LOANS).status_code == 401


def test_the_token_expires(book, settings) -> None:
    settings.SOZU_WALLET_TOKEN_TTL_SECONDS = 600
    with time_machine.travel(NOW, tick=False):
        token = wallet_token_issue(beneficiary=book.usdc.beneficiary, actor="user:1")
    with time_machine.travel(NOW + dt.timedelta(seconds=599), tick=False):
        assert wallet(token).get(LOANS).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(seconds=601), tick=False):
        r = wallet(token).get(LOANS)
        assert r.status_code == 401 and r.json()["code"] == "wallet_token_expired"
        assert r.json()["detail"] == "Tu sesión de la billetera venció: ingresá de nuevo."


def test_a_token_is_bound_to_her_and_audited(book, clock) -> None:
    her = book.usdc.beneficiary
    token = wallet_token_issue(beneficiary=her, actor="user:7")
    event = AuditEvent.objects.get(action="wallet_token.issued")
    assert (event.actor, event.object_id) == ("user:7", str(her.pk))
    assert token not in str(event.data)
    # Signed for another purpose (another salt), the same payload is refused.
    from django.core import signing

    forged = signing.dumps({"v": 1, "b": her.pk, "o": her.organization_id}, compress=False)
    assert wallet(forged).get(LOANS).status_code == 401
    # Turned inactive, she has no session any more.
    her.status = "inactive"
    her.save(update_fields=["status"])
    assert wallet(token).get(LOANS).status_code == 401


def test_only_an_approved_beneficiary_gets_a_token(organization) -> None:
    applied = BeneficiaryFactory.create(organization=organization, status="applied")
    with pytest.raises(SozuError) as refused:
        wallet_token_issue(beneficiary=applied)
    assert refused.value.code == "credit_beneficiary_not_approved"
    assert not AuditEvent.objects.filter(action="wallet_token.issued").exists()
