"""SEP-7 payment requests: Sozu's are signed; a changed one is refused before she signs."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from stellar_sdk import Asset, Keypair, MuxedAccount
from stellar_sdk.sep.stellar_uri import PayStellarUri

from sozu.errors import SozuError
from sozu.wallet.sep7 import pay_request_check, pay_uri, uri_signing_public_key

pytestmark = pytest.mark.django_db

HOME = "wallet.sozu.test"


@pytest.fixture(autouse=True)
def home(settings: Any) -> None:
    settings.SOZU_HOME_DOMAIN = HOME
    settings.ALLOWED_HOSTS = [HOME, "testserver"]
    settings.SOZU_MASTER_KEY = "test-master-key"


def usdc() -> Asset:
    return Asset("USDC", Keypair.random().public_key)


def test_a_sozu_request_is_verified_and_decoded() -> None:
    org = Keypair.random().public_key
    muxed = str(MuxedAccount(org, 1234).account_muxed)
    asset = usdc()
    uri = pay_uri(
        destination=muxed, amount=Decimal("25.40"), asset=asset, memo="SZ-7K2Q", message="Cuota 3"
    )
    found = pay_request_check(uri)
    assert found.verified and found.origin_domain == HOME
    assert found.destination == muxed and found.amount == Decimal("25.40")
    assert (found.asset_code, found.asset_issuer) == ("USDC", asset.issuer)
    assert (found.memo, found.message) == ("SZ-7K2Q", "Cuota 3")
    # The SDK reads it too (any Stellar wallet can).
    parsed = PayStellarUri.from_uri(uri)
    assert parsed.destination == muxed and parsed.origin_domain == HOME


@pytest.mark.parametrize(
    "change",
    [
        ("amount=25.40", "amount=2540"),
        ("memo=SZ-7K2Q", "memo=SZ-0000"),
        ("msg=Cuota%203", "msg=Cuota%204"),
    ],
)
def test_a_changed_request_is_refused(change: tuple[str, str]) -> None:
    uri = pay_uri(
        destination=Keypair.random().public_key,
        amount=Decimal("25.40"),
        asset=usdc(),
        memo="SZ-7K2Q",
        message="Cuota 3",
    )
    tampered = uri.replace(*change)
    assert tampered != uri
    with pytest.raises(SozuError) as exc:
        pay_request_check(tampered)
    assert exc.value.code == "sep7_signature_invalid"


def test_another_destination_with_our_signature_is_refused() -> None:
    uri = pay_uri(destination=Keypair.random().public_key, amount=Decimal("1"), asset=usdc())
    head, rest = uri.split("destination=", 1)
    tampered = head + "destination=" + Keypair.random().public_key + rest[56:]
    with pytest.raises(SozuError) as exc:
        pay_request_check(tampered)
    assert exc.value.code == "sep7_signature_invalid"


def test_signed_by_someone_else_or_half_signed_is_refused() -> None:
    forger = Keypair.random()
    uri = PayStellarUri(destination=Keypair.random().public_key, amount="5", origin_domain=HOME)
    uri.sign(forger)  # the right format, the wrong key
    with pytest.raises(SozuError) as exc:
        pay_request_check(uri.to_uri())
    assert exc.value.code == "sep7_signature_invalid"
    unsigned_with_origin = PayStellarUri(
        destination=Keypair.random().public_key, amount="5", origin_domain=HOME
    ).to_uri()
    with pytest.raises(SozuError):
        pay_request_check(unsigned_with_origin)


def test_an_origin_on_a_private_address_is_never_fetched() -> None:
    uri = PayStellarUri(destination=Keypair.random().public_key, origin_domain="127.0.0.1")
    uri.sign(Keypair.random())
    with pytest.raises(SozuError) as exc:
        pay_request_check(uri.to_uri())
    assert exc.value.code == "sep7_origin_unreachable"


def test_plain_requests_are_read_unverified_and_nonsense_refused() -> None:
    g = Keypair.random().public_key
    found = pay_request_check(f"web+stellar:pay?destination={g}&amount=3.5")
    assert not found.verified and found.amount == Decimal("3.5")
    for bad, code in [
        ("https://example.com", "sep7_invalid"),
        ("web+stellar:pay?destination=GNOPE", "invalid_address"),
        (f"web+stellar:pay?destination={g}&amount=1e5", "amount_invalid"),
        (f"web+stellar:pay?destination={g}&network_passphrase=Other", "sep7_other_network"),
    ]:
        with pytest.raises(SozuError) as exc:
            pay_request_check(bad)
        assert exc.value.code == code


def test_stellar_toml_publishes_the_uri_signing_key(settings: Any) -> None:
    settings.NETWORK_PASSPHRASE = "Sozu Local Network ; 2026"
    settings.USDC_ISSUER = Keypair.random().public_key
    toml = tomllib.loads(Client().get("/.well-known/stellar.toml", HTTP_HOST=HOME).content.decode())
    assert toml["URI_REQUEST_SIGNING_KEY"] == uri_signing_public_key()
