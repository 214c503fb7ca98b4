"""Passkey endpoints without a browser: challenges, the wallet session, the tier-A key blob.

The real ceremonies (a virtual authenticator in Chromium) are in test_browser_wallet.py; here
the refusals: a challenge answers once and expires, a key blob is ciphertext of the expected
shape for a synced passkey only, a wallet session is not a staff sign-in.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from typing import Any

import pytest
from django.test import Client

from sozu.audit.models import AuditEvent
from sozu.wallet import passkeys
from sozu.wallet.models import (
    WalletCredential,
    WalletKeyBlob,
    WalletUser,
    WebAuthnChallenge,
)
from sozu.wallet.web import SESSION_CREDENTIAL, SESSION_USER

pytestmark = pytest.mark.django_db
RP = passkeys.RelyingParty(rp_id="localhost", origin="http://localhost")
NOW = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signed_in(*, backup_eligible: bool = True) -> tuple[Client, WalletCredential]:
    user = WalletUser.objects.create(handle=b64(os.urandom(32)))
    credential = WalletCredential.objects.create(
        user=user,
        credential_id=b64(os.urandom(32)),
        public_key=b"cose",
        backup_eligible=backup_eligible,
    )
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session[SESSION_USER] = user.pk
    session[SESSION_CREDENTIAL] = credential.pk
    session.save()
    client.get("/wallet/entrar/")  # the page sets the CSRF cookie
    return client, credential


def put(client: Client, path: str, body: Any) -> Any:
    return client.put(
        path,
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        HTTP_ACCEPT_LANGUAGE="es",
    )


def blob_body(**over: str) -> dict[str, str]:
    body = {
        "ciphertext": b64(os.urandom(48)),
        "iv": b64(os.urandom(12)),
        "salt": b64(os.urandom(32)),
    }
    body.update(over)
    return body


def test_registration_options_ask_for_a_resident_passkey_with_user_verification() -> None:
    options, challenge = passkeys.registration_begin(rp=RP, now=NOW)
    assert '"residentKey": "required"' in options
    assert '"userVerification": "required"' in options
    row = WebAuthnChallenge.objects.get(challenge=challenge)
    assert row.purpose == "register"
    assert row.expires_at == NOW + dt.timedelta(seconds=300)
    assert len(base64.urlsafe_b64decode(row.user_handle + "==")) == 32


def test_a_challenge_is_spent_even_by_a_refused_answer_and_never_works_twice() -> None:
    _options, challenge = passkeys.authentication_begin(rp=RP, now=NOW)
    bogus = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}
    with pytest.raises(passkeys.PasskeyError) as first:
        passkeys.authentication_finish(rp=RP, challenge=challenge, credential=bogus, now=NOW)
    assert first.value.code == "passkey_unknown"
    with pytest.raises(passkeys.PasskeyError) as second:
        passkeys.authentication_finish(rp=RP, challenge=challenge, credential=bogus, now=NOW)
    assert second.value.code == "challenge_invalid"


def test_an_expired_challenge_is_refused() -> None:
    _options, challenge = passkeys.registration_begin(rp=RP, now=NOW)
    later = NOW + dt.timedelta(seconds=301)
    with pytest.raises(passkeys.PasskeyError) as refused:
        passkeys.registration_finish(rp=RP, challenge=challenge, credential={"id": "x"}, now=later)
    assert refused.value.code == "challenge_invalid"
    assert not WalletUser.objects.exists()
    assert passkeys.challenges_prune(now=later) == 1


def test_a_forged_attestation_is_refused_and_nothing_is_created() -> None:
    _options, challenge = passkeys.registration_begin(rp=RP, now=NOW)
    forged = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": b64(b"{}"), "attestationObject": b64(b"\xa0")},
    }
    with pytest.raises(passkeys.PasskeyError) as refused:
        passkeys.registration_finish(rp=RP, challenge=challenge, credential=forged, now=NOW)
    assert refused.value.code == "passkey_refused"
    assert not WalletUser.objects.exists() and not WalletCredential.objects.exists()


def test_finish_without_the_sessions_challenge_is_refused_in_spanish() -> None:
    client = Client()
    response = client.post(
        "/wallet/api/passkeys/login/finish",
        {"credential": {"id": "AAAA"}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "challenge_invalid"
    assert response.json()["detail"] == "El pedido de ingreso venció o ya se usó: probá de nuevo."


def test_begin_answers_options_and_keeps_the_challenge_in_the_session() -> None:
    client = Client()
    response = client.post(
        "/wallet/api/passkeys/register/begin", {}, content_type="application/json"
    )
    assert response.status_code == 200
    options = response.json()["options"]
    assert options["rp"]["id"] == "testserver"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert client.session["wallet_register_challenge"] == options["challenge"]


def test_keyblob_needs_the_wallet_session() -> None:
    response = Client().get("/wallet/api/keyblob", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 401
    assert response.json()["code"] == "wallet_signed_out"


def test_tier_a_keeps_only_ciphertext_iv_and_salt_and_reads_them_back() -> None:
    client, credential = signed_in()
    body = blob_body()
    response = put(client, "/wallet/api/keyblob", body)
    assert response.status_code == 200, response.content
    credential.refresh_from_db()
    assert credential.prf_tier == "A"
    blob = WalletKeyBlob.objects.get(credential=credential)
    assert (blob.ciphertext, blob.iv, blob.salt) == (body["ciphertext"], body["iv"], body["salt"])
    assert client.get("/wallet/api/keyblob").json() == body
    assert AuditEvent.objects.filter(action="wallet.keyblob_stored").count() == 1


@pytest.mark.parametrize(
    "over",
    [
        {"iv": b64(os.urandom(16))},
        {"salt": b64(os.urandom(8))},
        {"ciphertext": b64(os.urandom(16))},
        {"ciphertext": b64(os.urandom(400))},
        {"ciphertext": "not base64 !"},
        {"iv": ""},
    ],
)
def test_a_keyblob_of_the_wrong_shape_is_refused(over: dict[str, str]) -> None:
    client, credential = signed_in()
    response = put(client, "/wallet/api/keyblob", blob_body(**over))
    assert response.status_code == 400
    assert response.json()["detail"] == "El pedido no es válido."
    assert not WalletKeyBlob.objects.exists()
    credential.refresh_from_db()
    assert credential.prf_tier == ""


def test_a_passkey_that_is_not_backup_eligible_cannot_be_tier_a() -> None:
    client, _credential = signed_in(backup_eligible=False)
    response = put(client, "/wallet/api/keyblob", blob_body())
    assert response.status_code == 409
    assert response.json()["code"] == "tier_not_eligible"
    assert not WalletKeyBlob.objects.exists()


def test_tier_b_drops_any_blob_and_the_session_is_not_a_staff_sign_in() -> None:
    client, _credential = signed_in()
    put(client, "/wallet/api/keyblob", blob_body())
    response = client.post(
        "/wallet/api/passkeys/tier-device",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 200
    assert response.json()["prf_tier"] == "B"
    assert not WalletKeyBlob.objects.exists()
    assert "_auth_user_id" not in client.session
    assert client.get("/inicio/").status_code == 302  # the dashboard still asks staff to sign in


def test_writes_need_the_csrf_token() -> None:
    client, _credential = signed_in()
    response = client.put("/wallet/api/keyblob", blob_body(), content_type="application/json")
    assert response.status_code == 403
    assert not WalletKeyBlob.objects.exists()


def test_binding_an_account_needs_a_sep10_token_of_that_account() -> None:
    client, credential = signed_in()
    response = client.put(
        "/wallet/api/passkeys/account",
        {},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        HTTP_AUTHORIZATION="Bearer not-a-token",
    )
    assert response.status_code == 401
    credential.user.refresh_from_db()
    assert credential.user.account == ""


def test_logout_ends_the_wallet_session() -> None:
    client, _credential = signed_in()
    assert client.get("/wallet/api/passkeys/me").status_code == 200
    client.post("/wallet/api/passkeys/logout", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert client.get("/wallet/api/passkeys/me").status_code == 401


def test_pages_carry_horizon_in_connect_src_and_no_inline_script(settings: Any) -> None:
    settings.HORIZON_URL = "http://127.0.0.1:8123"
    settings.SOZU_PUBLIC_HORIZON_URL = ""
    response = Client().get("/wallet/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:8123" in policy
    assert "script-src 'self';" in policy
    html = response.content.decode()
    assert 'id="wallet-config" type="application/json">' in html
    assert "<script>" not in html


def test_ceremonies_started_from_one_address_are_limited(settings: Any) -> None:
    settings.SOZU_WEBAUTHN_BEGIN_LIMIT = 3
    client = Client()
    url = "/wallet/api/passkeys/register/begin"
    codes = [
        client.post(url, {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es")
        for _ in range(4)
    ]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert codes[-1].json()["detail"] == (
        "Demasiados intentos desde esta conexión: esperá unos minutos."
    )
    assert WebAuthnChallenge.objects.count() == 3
