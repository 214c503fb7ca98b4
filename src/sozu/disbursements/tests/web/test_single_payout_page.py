"""Pago individual: the form's key makes a resubmit, a reload or a double click pay once."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from tests.factories import BeneficiaryFactory

from sozu.disbursements.models import Payout
from sozu.disbursements.tests.api.helpers import transaction_on_network, usdc_balance
from sozu.disbursements.tests.web.helpers import signed_in, text
from sozu.web.tests.helpers import staff

pytestmark = pytest.mark.django_db(transaction=True)


def form_key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def test_submitting_the_same_form_twice_pays_once_on_chain(org, recipient, net_settings):
    ana = BeneficiaryFactory.create(
        organization=org, full_name="Ana Quispe", stellar_address=recipient()
    )
    client, _ = signed_in(org, "operator")
    before = usdc_balance(net_settings, ana.stellar_address)
    url = reverse("payouts:new", args=[ana.pk])
    key = form_key(text(client.get(url)))
    data = {"amount": "12,5", "memo": "credito 1", "idempotency_key": key}

    first = client.post(url, data)
    again = client.post(url, data)  # the reload / the second click
    payout = Payout.objects.get(organization=org)
    detail = reverse("payouts:detail", args=[payout.pk])
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == detail
    assert payout.amount == Decimal("12.5") and payout.beneficiary_id == ana.pk

    for _ in range(50):
        payout.refresh_from_db()
        if payout.status == "paid":
            break
        time.sleep(0.2)
    assert payout.status == "paid"
    assert usdc_balance(net_settings, ana.stellar_address) - before == Decimal("12.5")
    assert transaction_on_network(net_settings, payout.tx_hash)["successful"] is True
    page = text(client.get(detail))
    assert "Pagado" in page and payout.tx_hash in page
    assert f"{net_settings.url}/transactions/{payout.tx_hash}" in page

    # A new form is a new payment.
    key2 = form_key(text(client.get(url)))
    assert key2 != key
    client.post(url, {**data, "idempotency_key": key2})
    assert Payout.objects.filter(organization=org).count() == 2


def test_a_bad_amount_is_explained_and_nothing_is_created(org, recipient):
    ana = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    client, _ = signed_in(org, "approver")
    url = reverse("payouts:new", args=[ana.pk])
    key = form_key(text(client.get(url)))
    r = client.post(url, {"amount": "-3", "memo": "", "idempotency_key": key})
    assert r.status_code == 400
    assert "El monto debe ser mayor que cero." in text(r)
    assert form_key(text(r)) == key  # fixing and resending keeps the same key
    assert not Payout.objects.exists()


def test_a_viewer_cannot_pay(org, recipient):
    ana = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    client, _ = signed_in(org, "viewer")
    url = reverse("payouts:new", args=[ana.pk])
    assert client.get(url).status_code == 403
    r = client.post(url, {"amount": "1", "memo": "", "idempotency_key": "k" * 32})
    assert r.status_code == 403
    assert not Payout.objects.exists()


def test_above_the_threshold_a_payout_asks_for_the_second_factor_again(org, recipient):
    org.step_up_payout_threshold = Decimal("100")
    org.save()
    ana = BeneficiaryFactory.create(organization=org, stellar_address=recipient())
    member = staff(org, "approver", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(member.user)  # no second factor given in this session
    url = reverse("payouts:new", args=[ana.pk])
    key = form_key(text(client.get(url)))
    r = client.post(url, {"amount": "150", "memo": "", "idempotency_key": key})
    assert r.status_code == 302 and r["Location"].startswith(reverse("mfa_reauthenticate"))
    assert not Payout.objects.exists()
