"""SEP-7 payment requests (`web+stellar:pay?...`): made and signed by Sozu, checked when scanned.

Sozu signs the requests it makes (a cuota to pay, "receive" QR codes) with its
URI_REQUEST_SIGNING_KEY (published in stellar.toml: the SEP-10 key, the payload's prefix keeps
the two uses apart) and sets `origin_domain` to its home domain. A scanned request that carries
an `origin_domain` must carry a valid signature by that domain's URI_REQUEST_SIGNING_KEY, read
from its stellar.toml; a changed amount, destination or memo breaks the signature and the
request is refused. The signature covers the URI exactly as received, up to `&signature=`.
"""

from __future__ import annotations

import base64
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qsl, quote, urlsplit

import requests
from django.conf import settings
from stellar_sdk import Asset, Keypair, MuxedAccount, StrKey
from stellar_sdk.exceptions import BadSignatureError
from stellar_sdk.memo import IdMemo, Memo, NoneMemo, TextMemo
from stellar_sdk.sep.stellar_uri import PayStellarUri

from sozu.stellar.amounts import AmountError, parse_amount_text
from sozu.wallet.errors import SozuError

PREFIX = "web+stellar:pay?"
SIGNED_PAYLOAD_PREFIX = b"\0" * 35 + b"\4" + b"stellar.sep.7 - URI Scheme"
MAX_TOML_BYTES = 100_000


@dataclass(frozen=True)
class PaymentRequest:
    destination: str
    amount: Decimal | None
    asset_code: str
    asset_issuer: str
    memo: str
    memo_type: str
    message: str
    origin_domain: str
    #: True when a signature by the origin domain's key was checked.
    verified: bool


def _signing_keypair() -> Keypair:
    from sozu.wallet.keys import service_keypair
    from sozu.wallet.models import ServiceKey

    return service_keypair(ServiceKey.Role.SEP10)


def uri_signing_public_key() -> str:
    return _signing_keypair().public_key


def payload(unsigned_uri: str) -> bytes:
    return SIGNED_PAYLOAD_PREFIX + unsigned_uri.encode()


def pay_uri(
    *,
    destination: str,
    amount: Decimal | None = None,
    asset: Asset | None = None,
    memo: str = "",
    message: str = "",
    sign: bool = True,
    network_passphrase: str | None = None,
) -> str:
    """A `web+stellar:pay` URI for USDC (or `asset`), signed by Sozu unless `sign=False`;
    `network_passphrase` names a network other than the public one (SEP-7)."""
    uri = PayStellarUri(
        destination=destination,
        amount=amount,
        asset=asset,
        memo=TextMemo(memo) if memo else None,
        message=message or None,
        network_passphrase=network_passphrase,
        origin_domain=settings.SOZU_HOME_DOMAIN if sign else None,
    ).to_uri()
    if not sign:
        return uri
    signature = base64.b64encode(_signing_keypair().sign(payload(uri))).decode()
    return uri + "&signature=" + quote(signature, safe="")


def _origin_key(domain: str) -> str:
    """The URI_REQUEST_SIGNING_KEY that `domain` publishes (Sozu's own without asking)."""
    if domain == settings.SOZU_HOME_DOMAIN:
        return uri_signing_public_key()
    from sozu.webhooks.transport import DeliveryRefused, checked_addresses

    host = domain.split(":")[0].lower()
    try:
        checked_addresses(host, 443, allow_loopback=False)  # no private or local addresses
        response = requests.get(
            f"https://{domain}/.well-known/stellar.toml",
            timeout=settings.SOZU_RATE_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
        raw = response.raw.read(MAX_TOML_BYTES + 1, decode_content=True)
    except (DeliveryRefused, requests.RequestException, OSError) as exc:
        raise SozuError("sep7_origin_unreachable", domain=domain) from exc
    if response.status_code != 200 or len(raw) > MAX_TOML_BYTES:
        raise SozuError("sep7_origin_unreachable", domain=domain)
    try:
        key = tomllib.loads(raw.decode("utf-8")).get("URI_REQUEST_SIGNING_KEY", "")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SozuError("sep7_origin_unreachable", domain=domain) from exc
    if not StrKey.is_valid_ed25519_public_key(str(key)):
        raise SozuError("sep7_origin_unreachable", domain=domain)
    return str(key)


def pay_request_check(uri: str) -> PaymentRequest:
    """Read a scanned `web+stellar:pay` URI; refuse it if anything in it was changed."""
    uri = (uri or "").strip()
    if not uri.startswith(PREFIX):
        raise SozuError("sep7_invalid")
    query = uri[len(PREFIX) :]
    params = dict(parse_qsl(query, keep_blank_values=True))
    signature = params.get("signature", "")
    origin = params.get("origin_domain", "")
    verified = False
    if origin or signature:
        if not (origin and signature) or "&signature=" not in uri:
            raise SozuError("sep7_signature_invalid")
        unsigned = uri[: uri.index("&signature=")]
        if urlsplit(f"https://{origin}").hostname is None:
            raise SozuError("sep7_signature_invalid")
        key = Keypair.from_public_key(_origin_key(origin))
        try:
            key.verify(payload(unsigned), base64.b64decode(signature, validate=True))
        except (BadSignatureError, ValueError) as exc:
            raise SozuError("sep7_signature_invalid") from exc
        verified = True
    passphrase = params.get("network_passphrase")
    if passphrase and passphrase != settings.NETWORK_PASSPHRASE:
        raise SozuError("sep7_other_network")
    destination = params.get("destination", "")
    try:
        if destination.startswith("M"):
            MuxedAccount.from_account(destination)
        elif not StrKey.is_valid_ed25519_public_key(destination):
            raise ValueError(destination)
    except Exception as exc:
        raise SozuError("invalid_address", address=destination[:60]) from exc
    amount: Decimal | None = None
    if params.get("amount"):
        try:
            amount = parse_amount_text(params["amount"])
        except AmountError as exc:
            raise SozuError("amount_invalid", value=params["amount"][:40]) from exc
    memo_type = params.get("memo_type", "MEMO_TEXT" if params.get("memo") else "")
    memo = params.get("memo", "")
    if memo_type not in ("", "MEMO_TEXT", "MEMO_ID"):
        raise SozuError("sep7_invalid")
    return PaymentRequest(
        destination=destination,
        amount=amount,
        asset_code=params.get("asset_code", "XLM" if not params.get("asset_issuer") else ""),
        asset_issuer=params.get("asset_issuer", ""),
        memo=memo,
        memo_type=memo_type,
        message=params.get("msg", ""),
        origin_domain=origin,
        verified=verified,
    )


__all__ = ["IdMemo", "Memo", "NoneMemo", "PaymentRequest", "pay_request_check", "pay_uri"]
