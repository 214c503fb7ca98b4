"""Twilio's webhook for answers: a signed "BAJA" stops her reminders; unsigned is refused."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from sozu.credit.models_borrowers import ReminderOptOut
from sozu.credit.notify.twilio import twilio_signature
from sozu.credit.tests.borrowers.helpers import active_loan

pytestmark = pytest.mark.django_db
TOKEN = "token-de-prueba"


def post(client: Client, url: str, form: dict[str, str], token: str | None = TOKEN):
    full = f"http://testserver{url}"
    headers: dict[str, str] = {}
    if token is not None:
        headers["X-Twilio-Signature"] = twilio_signature(full, form, token)
    return client.post(url, form, headers=headers)


@override_settings(SOZU_TWILIO_AUTH_TOKEN=TOKEN)
def test_a_signed_baja_opts_her_out_and_answers_in_spanish() -> None:
    loan = active_loan()
    url = f"/creditos/recordatorios/respuesta/{loan.organization.slug}/"
    client = Client()
    form = {"From": "whatsapp:+5491112345678", "Body": "Baja", "MessageSid": "SM1"}
    hello = post(client, url, form | {"Body": "hola"})
    assert hello.status_code == 200 and hello.content == b"<Response/>"
    assert not ReminderOptOut.objects.exists()
    done = post(client, url, form)
    assert done.status_code == 200 and done["Content-Type"] == "text/xml"
    assert "no vas a recibir más avisos de pago" in done.content.decode()
    assert ReminderOptOut.objects.get().beneficiary == loan.beneficiary


@override_settings(SOZU_TWILIO_AUTH_TOKEN=TOKEN)
def test_unsigned_or_badly_signed_answers_are_refused() -> None:
    loan = active_loan()
    url = f"/creditos/recordatorios/respuesta/{loan.organization.slug}/"
    form = {"From": "+5491112345678", "Body": "BAJA"}
    assert post(Client(), url, form, token=None).status_code == 403
    assert post(Client(), url, form, token="otro").status_code == 403
    assert Client().get(url).status_code == 405
    assert post(Client(), "/creditos/recordatorios/respuesta/nadie/", form).status_code == 404
    assert not ReminderOptOut.objects.exists()


@override_settings(SOZU_TWILIO_AUTH_TOKEN="")
def test_without_twilio_configured_nothing_is_accepted() -> None:
    loan = active_loan()
    url = f"/creditos/recordatorios/respuesta/{loan.organization.slug}/"
    assert post(Client(), url, {"From": "+5491112345678", "Body": "BAJA"}).status_code == 403
