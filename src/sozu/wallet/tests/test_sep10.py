"""SEP-10 against the local network: a wallet signs the challenge and gets a token, once.

Before the account exists its master key answers; after, the signers and the medium threshold
on the network decide, as for a wallet with recovery signers (device 20, two recovery signers
10 each, thresholds 20).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from django.test import Client
from stellar_sdk import Keypair, Server, TransactionBuilder, TransactionEnvelope
from stellar_sdk.sep.stellar_web_authentication import read_challenge_transaction

from sozu.wallet import sep10
from sozu.wallet.keys import service_keypair
from sozu.wallet.models import Sep10Challenge, ServiceKey

pytestmark = pytest.mark.django_db

HOME = "wallet.sozu.test"


@pytest.fixture
def sep10_settings(net_settings: Any, settings: Any) -> Any:
    settings.SOZU_HOME_DOMAIN = HOME
    settings.SOZU_WEB_AUTH_DOMAIN = ""
    settings.ALLOWED_HOSTS = [HOME, "testserver", "localhost"]
    return net_settings


def challenge_for(client: Client, account: str, **params: str) -> str:
    response = client.get("/auth", {"account": account, **params}, HTTP_HOST=HOME)
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["network_passphrase"] == sep10_passphrase()
    return str(body["transaction"])


def sep10_passphrase() -> str:
    from django.conf import settings

    return str(settings.NETWORK_PASSPHRASE)


def signed(xdr: str, *keys: Keypair) -> str:
    envelope = TransactionEnvelope.from_xdr(xdr, sep10_passphrase())
    for key in keys:
        envelope.sign(key)
    return envelope.to_xdr()


def answer(client: Client, xdr: str, *, as_json: bool = True) -> Any:
    if as_json:
        return client.post(
            "/auth", {"transaction": xdr}, content_type="application/json", HTTP_HOST=HOME
        )
    return client.post("/auth", {"transaction": xdr}, HTTP_HOST=HOME)


def test_a_new_wallet_signs_with_its_key_and_the_token_names_its_account(
    sep10_settings: Any,
) -> None:
    client = Client()
    wallet = Keypair.random()  # not on the network yet: its master key answers
    xdr = challenge_for(client, wallet.public_key)
    server_key = service_keypair(ServiceKey.Role.SEP10).public_key
    challenge = read_challenge_transaction(xdr, server_key, HOME, HOME, sep10_passphrase())
    assert challenge.client_account_id == wallet.public_key

    response = answer(client, signed(xdr, wallet))
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert sep10.token_account(token) == wallet.public_key
    assert Sep10Challenge.objects.filter(account=wallet.public_key).count() == 1


def test_an_answer_works_once_and_a_stranger_cannot_answer(sep10_settings: Any) -> None:
    client = Client()
    wallet = Keypair.random()
    xdr = challenge_for(client, wallet.public_key)
    good = signed(xdr, wallet)
    assert answer(client, good, as_json=False).status_code == 200  # form-encoded works too
    replay = answer(client, good)
    assert replay.status_code == 400
    assert "ya se usó" in replay.json()["error"]

    other = challenge_for(client, wallet.public_key)
    stranger = answer(client, signed(other, Keypair.random()))
    assert stranger.status_code == 400
    assert "no es válido" in stranger.json()["error"]
    assert Sep10Challenge.objects.count() == 1


def test_bad_requests_get_a_clear_error(sep10_settings: Any) -> None:
    client = Client()
    for params in ({"account": "GNOPE"}, {"account": ""}):
        response = client.get("/auth", params, HTTP_HOST=HOME)
        assert response.status_code == 400
        assert "no es una dirección de Stellar válida" in response.json()["error"]
    wrong_home = client.get(
        "/auth",
        {"account": Keypair.random().public_key, "home_domain": "evil.test"},
        HTTP_HOST=HOME,
    )
    assert wrong_home.status_code == 400 and HOME in wrong_home.json()["error"]
    assert answer(client, "AAAA not xdr").status_code == 400
    assert (
        client.post("/auth", b"{", content_type="application/json", HTTP_HOST=HOME).status_code
        == 400
    )


def test_errors_in_english_for_an_english_client(sep10_settings: Any) -> None:
    response = Client().get(
        "/auth", {"account": "GNOPE"}, HTTP_HOST=HOME, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "not a valid Stellar address" in response.json()["error"]


def test_a_challenge_signed_by_another_server_is_refused(sep10_settings: Any) -> None:
    from stellar_sdk.sep.stellar_web_authentication import build_challenge_transaction

    wallet = Keypair.random()
    forged = build_challenge_transaction(
        Keypair.random().secret, wallet.public_key, HOME, HOME, sep10_passphrase(), 300
    )
    response = answer(Client(), signed(forged, wallet))
    assert response.status_code == 400


def test_tokens_expire(sep10_settings: Any, settings: Any) -> None:
    wallet = Keypair.random()
    client = Client()
    token = answer(client, signed(challenge_for(client, wallet.public_key), wallet)).json()["token"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.SOZU_SEP10_TOKEN_SECONDS + 1)
    with pytest.raises(sep10.Sep10Error) as exc:
        sep10.token_account(token, now=later)
    assert exc.value.status == 401
    with pytest.raises(sep10.Sep10Error):
        sep10.token_account(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])


def _with_recovery_signers(net: Any) -> tuple[Keypair, Keypair, Keypair, Keypair]:
    """An account whose master key is off: device 20, two recovery signers 10, thresholds 20."""
    from stellar_sdk import Signer

    account, device, rec1, rec2 = (Keypair.random() for _ in range(4))
    net.fund(account.public_key, xlm="10", usdc="0")
    server = Server(net.url)
    source = server.load_account(account.public_key)
    tx = (
        TransactionBuilder(source, net.passphrase, base_fee=100)
        .append_set_options_op(signer=Signer.ed25519_public_key(device.public_key, 20))
        .append_set_options_op(signer=Signer.ed25519_public_key(rec1.public_key, 10))
        .append_set_options_op(signer=Signer.ed25519_public_key(rec2.public_key, 10))
        .append_set_options_op(
            master_weight=0, low_threshold=20, med_threshold=20, high_threshold=20
        )
        .set_timeout(60)
        .build()
    )
    tx.sign(account)
    server.submit_transaction(tx)
    return account, device, rec1, rec2


def test_an_account_with_recovery_signers_authenticates_with_its_device_key(
    sep10_settings: Any,
) -> None:
    account, device, rec1, rec2 = _with_recovery_signers(sep10_settings)
    client = Client()

    by_device = answer(client, signed(challenge_for(client, account.public_key), device))
    assert by_device.status_code == 200, by_device.content
    assert sep10.token_account(by_device.json()["token"]) == account.public_key

    # One recovery signer alone (10 < 20) is not enough; Sozu alone can never sign her in.
    alone = answer(client, signed(challenge_for(client, account.public_key), rec1))
    assert alone.status_code == 400
    # Her old master key was switched off: it cannot answer any more.
    master = answer(client, signed(challenge_for(client, account.public_key), account))
    assert master.status_code == 400
    # Both recovery signers together reach the threshold (the recovery path).
    both = answer(client, signed(challenge_for(client, account.public_key), rec1, rec2))
    assert both.status_code == 200, both.content


def test_stellar_toml_publishes_the_signing_key_and_usdc(sep10_settings: Any) -> None:
    response = Client().get("/.well-known/stellar.toml", HTTP_HOST=HOME)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    toml = tomllib.loads(response.content.decode())
    server = service_keypair(ServiceKey.Role.SEP10)
    assert toml["SIGNING_KEY"] == server.public_key
    assert toml["NETWORK_PASSPHRASE"] == sep10_passphrase()
    assert toml["WEB_AUTH_ENDPOINT"] == f"http://{HOME}/auth"
    assert toml["CURRENCIES"][0]["code"] == "USDC"
    assert toml["CURRENCIES"][0]["issuer"] == sep10_settings.usdc_issuer
    assert server.secret not in response.content.decode()
    # The service key is stored encrypted, never in clear.
    row = ServiceKey.objects.get(role=ServiceKey.Role.SEP10)
    assert server.secret not in row.ciphertext
