"""SEP-10 web authentication: the wallet proves it controls a Stellar account, gets a JWT.

The challenge is built and checked with stellar_sdk's SEP-10 helpers. Before the account
exists only its master key can answer; once it exists, the signers and the medium threshold on
the network decide (a wallet whose device key is one of several recovery signers signs with
that key alone). Every answered challenge is recorded by hash, so an answer works once. The
token is a short-lived HS256 JWT whose key is derived from the master key with HKDF: nothing
to configure, and rotating the master key logs every wallet out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stellar_sdk import MuxedAccount, StrKey
from stellar_sdk.exceptions import SdkError
from stellar_sdk.sep.ed25519_public_key_signer import Ed25519PublicKeySigner
from stellar_sdk.sep.exceptions import InvalidSep10ChallengeError
from stellar_sdk.sep.stellar_web_authentication import (
    build_challenge_transaction,
    read_challenge_transaction,
    verify_challenge_transaction_signed_by_client_master_key,
    verify_challenge_transaction_threshold,
)

from sozu.orgs.masterkey import master_key
from sozu.stellar.network import client
from sozu.wallet.models import Sep10Challenge, ServiceKey

ALGORITHM = "HS256"


class Sep10Error(Exception):
    """A refused request; `message` is safe to show (SEP-10 answers {"error": message})."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Sep10Expired(Sep10Error):
    """A token that was good and has expired: sign in again."""


@dataclass(frozen=True)
class Token:
    jwt: str
    account: str
    expires_at: dt.datetime


def home_domain() -> str:
    return str(settings.SOZU_HOME_DOMAIN)


def web_auth_domain() -> str:
    return str(settings.SOZU_WEB_AUTH_DOMAIN or settings.SOZU_HOME_DOMAIN)


def signing_public_key() -> str:
    from sozu.wallet.keys import service_public_key

    return service_public_key(ServiceKey.Role.SEP10)


def _jwt_key() -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"sozu/sep10/v1", info=b"sozu sep10 jwt"
    ).derive(master_key().encode())


def _valid_account(account: str) -> str:
    account = (account or "").strip()
    valid = StrKey.is_valid_ed25519_public_key(account)
    if account.startswith("M"):
        try:
            MuxedAccount.from_account(account)
            valid = True
        except (SdkError, ValueError):
            valid = False
    if not valid:
        raise Sep10Error(_("The account is not a valid Stellar address (G… or M…)."))
    return account


def challenge_build(*, account: str, requested_home_domain: str | None = None) -> str:
    """A challenge transaction (base64 XDR) for `account`, signed by Sozu's SEP-10 key."""
    from sozu.wallet.keys import service_keypair

    account = _valid_account(account)
    if requested_home_domain and requested_home_domain != home_domain():
        raise Sep10Error(
            _("This server only authenticates for %(domain)s.") % {"domain": home_domain()}
        )
    server = service_keypair(ServiceKey.Role.SEP10)
    return build_challenge_transaction(
        server_secret=server.secret,
        client_account_id=account,
        home_domain=home_domain(),
        web_auth_domain=web_auth_domain(),
        network_passphrase=settings.NETWORK_PASSPHRASE,
        timeout=settings.SOZU_SEP10_CHALLENGE_SECONDS,
    )


def _signed_enough(challenge_xdr: str, g_account: str) -> None:
    """Raises InvalidSep10ChallengeError unless the account's signers answered."""
    common: dict[str, Any] = {
        "challenge_transaction": challenge_xdr,
        "server_account_id": signing_public_key(),
        "home_domains": home_domain(),
        "web_auth_domain": web_auth_domain(),
        "network_passphrase": settings.NETWORK_PASSPHRASE,
    }
    info = client().account(g_account)
    if info is None:
        verify_challenge_transaction_signed_by_client_master_key(**common)
        return
    signers = [Ed25519PublicKeySigner(key, weight) for key, weight in info.signers if weight > 0]
    verify_challenge_transaction_threshold(
        **common, threshold=max(info.thresholds[1], 1), signers=signers
    )


def token_issue(*, challenge_xdr: str, now: dt.datetime | None = None) -> Token:
    """Check an answered challenge and issue the JWT; the same answer is refused next time."""
    now = now or timezone.now()
    try:
        challenge = read_challenge_transaction(
            challenge_transaction=challenge_xdr,
            server_account_id=signing_public_key(),
            home_domains=home_domain(),
            web_auth_domain=web_auth_domain(),
            network_passphrase=settings.NETWORK_PASSPHRASE,
        )
        account = challenge.client_account_id
        g_account = MuxedAccount.from_account(account).account_id
        _signed_enough(challenge_xdr, g_account)
    except InvalidSep10ChallengeError as exc:
        raise Sep10Error(_("The challenge is not valid: %(reason)s") % {"reason": exc}) from exc
    except (SdkError, ValueError, TypeError) as exc:  # not a transaction envelope at all
        raise Sep10Error(_("The transaction is not a readable challenge.")) from exc
    tx = challenge.transaction.transaction
    tx_hash = challenge.transaction.hash_hex()
    bounds = tx.preconditions.time_bounds if tx.preconditions else None
    max_time = bounds.max_time if bounds and bounds.max_time else int(now.timestamp()) + 900
    try:
        with transaction.atomic():
            Sep10Challenge.objects.create(
                tx_hash=tx_hash,
                account=account,
                used_at=now,
                expires_at=dt.datetime.fromtimestamp(max_time, tz=dt.UTC),
            )
    except IntegrityError as exc:
        raise Sep10Error(_("This challenge was already used: ask for a new one.")) from exc
    expires = now + dt.timedelta(seconds=settings.SOZU_SEP10_TOKEN_SECONDS)
    claims = {
        "iss": f"https://{web_auth_domain()}/auth",
        "sub": account,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": tx_hash,
        "home_domain": home_domain(),
    }
    return Token(jwt.encode(claims, _jwt_key(), algorithm=ALGORITHM), account, expires)


def token_account(token: str, *, now: dt.datetime | None = None) -> str:
    """The account a valid token was issued to; Sep10Error(401) otherwise."""
    moment = now or timezone.now()
    try:
        claims = jwt.decode(
            token,
            _jwt_key(),
            algorithms=[ALGORITHM],
            issuer=f"https://{web_auth_domain()}/auth",
            options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False},
        )
    except jwt.InvalidTokenError as exc:
        raise Sep10Error(_("The token is not valid."), status=401) from exc
    if int(claims["exp"]) <= int(moment.timestamp()):
        raise Sep10Expired(_("The token has expired: sign in again."), status=401)
    return str(claims["sub"])


def challenges_prune(*, now: dt.datetime | None = None) -> int:
    """Forget answered challenges whose time bounds have passed (they cannot be replayed)."""
    deleted, _rows = Sep10Challenge.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
