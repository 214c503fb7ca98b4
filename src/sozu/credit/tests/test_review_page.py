"""The Pagos a revisar page (Django test client): the list, assign and dismiss, who may act."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from stellar_sdk import Keypair

from sozu.beneficiaries.tests.web.helpers import signed_in, text
from sozu.credit.models import Loan, PaymentReview, Repayment
from sozu.credit.tests.onchain import active_loans
from sozu.orgs.models import Organization
from sozu.web.tests.helpers import org

pytestmark = pytest.mark.django_db
URL = "/creditos/a-revisar/"
ISSUER = Keypair.random().public_key


@pytest.fixture(autouse=True)
def usdc(settings) -> None:
    settings.USDC_ISSUER = ISSUER


def a_review(organization: Organization, **fields) -> PaymentReview:
    return PaymentReview.objects.create(
        organization=organization,
        operation_id=fields.pop("operation_id", "1234567890"),
        tx_hash="ab" * 32,
        source=Keypair.random().public_key,
        memo=fields.pop("memo", "cuota marzo"),
        memo_type="text",
        asset_code="USDC",
        asset_issuer=ISSUER,
        amount=Decimal("55.50"),
        received_at=timezone.now(),
        reason=PaymentReview.Reason.UNKNOWN_REFERENCE,
        **fields,
    )


def test_an_operator_assigns_a_payment_to_her_loan_by_its_reference() -> None:
    o = org()
    (loan,) = active_loans(o)
    review = a_review(o)
    client, _ = signed_in(o, "operator")

    page = text(client.get(URL))
    assert "Pagos a revisar" in page and "cuota marzo" in page and "55,50 USDC" in page
    response = client.post(
        f"{URL}{review.pk}/asignar/", {"loan": loan.payment_reference.lower()}, follow=True
    )

    assert "se registró como pago" in text(response)
    review.refresh_from_db()
    assert review.status == PaymentReview.Status.ASSIGNED
    assert Repayment.objects.get(loan=loan).operation_id == "1234567890"
    assert "cuota marzo" not in text(client.get(URL))
    assert "cuota marzo" in text(client.get(URL + "?estado=resueltos"))


def test_an_unknown_loan_is_refused_in_spanish_and_nothing_changes() -> None:
    o = org()
    review = a_review(o)
    client, _ = signed_in(o, "operator")

    response = client.post(f"{URL}{review.pk}/asignar/", {"loan": "SZ-99999X"}, follow=True)

    assert "Ningún préstamo de esta organización" in text(response)
    review.refresh_from_db()
    assert review.status == PaymentReview.Status.PENDING and not Repayment.objects.exists()


def test_dismissing_needs_a_reason() -> None:
    o = org()
    review = a_review(o)
    client, _ = signed_in(o, "operator")

    refused = client.post(f"{URL}{review.pk}/descartar/", {"note": ""}, follow=True)
    assert "Indicá por qué" in text(refused)
    client.post(f"{URL}{review.pk}/descartar/", {"note": "Recarga de la billetera"})

    review.refresh_from_db()
    assert (review.status, review.note) == ("dismissed", "Recarga de la billetera")


def test_a_viewer_sees_the_queue_but_cannot_act() -> None:
    o = org()
    (loan,) = active_loans(o)
    review = a_review(o)
    client, _ = signed_in(o, "viewer")

    page = text(client.get(URL))
    assert "cuota marzo" in page and "asignar/" not in page and "devolver/" not in page
    for action in ("asignar", "devolver", "descartar"):
        assert client.post(f"{URL}{review.pk}/{action}/", {"loan": str(loan.pk)}).status_code == 403
    review.refresh_from_db()
    assert review.status == PaymentReview.Status.PENDING
    assert Loan.objects.get(pk=loan.pk).repayments.count() == 0
