"""Who is calling the wallet's loan API: a beneficiary (the emprendedora), never a staff member.

Authentication is pluggable: `SOZU_WALLET_AUTHENTICATORS` lists classes (dotted paths) that
turn a bearer token into the beneficiaries it speaks for, tried in order:

- `Sep10Authenticator` (the wallet): the SEP-10 JWT of her Stellar account (sozu.wallet.sep10).
  She is every approved beneficiary whose address is that account, one per organization that
  linked her (an invitation binds the address); an account no organization linked yet is
  signed in and has no loans.
- `SignedTokenAuthenticator`: a short-lived token signed with the project's SECRET_KEY
  (django.core.signing, its own salt), bound to one beneficiary of one organization, issued by
  staff with `sozu.credit.services.wallet.wallet_token_issue` (support, or a wallet that is not
  Sozu's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer
from stellar_sdk import MuxedAccount

from sozu.beneficiaries.models import Beneficiary
from sozu.errors import MESSAGES, SozuError
from sozu.wallet import errors as _wallet_errors  # noqa: F401  # registers wallet_unauthenticated
from sozu.wallet import sep10

MESSAGES.update(
    {
        "wallet_token_expired": (
            _("Your wallet session expired: sign in again."),
            401,
        ),
    }
)

#: The salt that keeps these signatures apart from every other use of SECRET_KEY.
TOKEN_SALT = "sozu.credit.wallet-token"  # noqa: S105  # a namespace, not a secret
TOKEN_VERSION = 1
DEFAULT_TTL_SECONDS = 3600


def token_ttl_seconds() -> int:
    return int(getattr(settings, "SOZU_WALLET_TOKEN_TTL_SECONDS", DEFAULT_TTL_SECONDS))


@dataclass(frozen=True)
class WalletCaller:
    """Who is calling: her beneficiary records (one per organization that linked her; none
    for a wallet no organization linked yet)."""

    beneficiaries: tuple[Beneficiary, ...]


class WalletAuthenticator(Protocol):
    """Turns a bearer token into her beneficiary records, None when the token is not of this
    kind (or names nobody); raises SozuError (401) for a token of this kind that is no longer
    good (e.g. expired)."""

    def beneficiaries_for(self, token: str) -> Sequence[Beneficiary] | None: ...


def sign_wallet_token(beneficiary: Beneficiary) -> str:
    payload = {"v": TOKEN_VERSION, "b": beneficiary.pk, "o": beneficiary.organization_id}
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


class SignedTokenAuthenticator:
    """Tokens from `wallet_token_issue`: signed, expiring, bound to one beneficiary."""

    def beneficiaries_for(self, token: str) -> Sequence[Beneficiary] | None:
        try:
            payload = signing.loads(token, salt=TOKEN_SALT, max_age=token_ttl_seconds())
        except signing.SignatureExpired:
            raise SozuError("wallet_token_expired") from None
        except signing.BadSignature:
            return None
        if not isinstance(payload, dict) or payload.get("v") != TOKEN_VERSION:
            return None
        beneficiary_id, organization_id = payload.get("b"), payload.get("o")
        if not isinstance(beneficiary_id, int) or not isinstance(organization_id, int):
            return None
        found = Beneficiary.objects.filter(
            pk=beneficiary_id, organization_id=organization_id
        ).first()
        # A beneficiary turned inactive (or never approved) has no wallet session any more.
        if found is None or found.status != Beneficiary.Status.APPROVED:
            return None
        return [found]


class Sep10Authenticator:
    """The wallet's SEP-10 token: every approved beneficiary whose address is her account."""

    def beneficiaries_for(self, token: str) -> Sequence[Beneficiary] | None:
        if token.count(".") != 2:  # not a JWT
            return None
        try:
            account = sep10.token_account(token)
        except sep10.Sep10Expired:
            raise SozuError("wallet_token_expired") from None
        except sep10.Sep10Error:
            return None
        base = MuxedAccount.from_account(account).account_id
        return list(
            Beneficiary.objects.filter(stellar_address=base, status=Beneficiary.Status.APPROVED)
            .select_related("organization")
            .order_by("organization_id")
        )


def authenticators() -> list[WalletAuthenticator]:
    paths = getattr(
        settings,
        "SOZU_WALLET_AUTHENTICATORS",
        [
            "sozu.credit.wallet_auth.Sep10Authenticator",
            "sozu.credit.wallet_auth.SignedTokenAuthenticator",
        ],
    )
    return [cast(WalletAuthenticator, import_string(path)()) for path in paths]


class WalletToken(HttpBearer):
    """`Authorization: Bearer <wallet token>`; the operation finds the WalletCaller in
    `request.auth`. Any refusal is a 401 problem with its own code."""

    def __call__(self, request: HttpRequest) -> Any:
        value = request.headers.get(self.header) or ""
        scheme, _sep, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SozuError("wallet_unauthenticated")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> WalletCaller:
        # A token is printable ASCII; anything else (a NUL breaks PostgreSQL) is none.
        if token.isprintable() and token.isascii() and len(token) < 2000:
            for authenticator in authenticators():
                found = authenticator.beneficiaries_for(token)
                if found is not None:
                    return WalletCaller(tuple(found))
        raise SozuError("wallet_unauthenticated")


def wallet_caller_of(request: HttpRequest) -> WalletCaller:
    return cast(WalletCaller, request.auth)  # type: ignore[attr-defined]  # set by ninja's auth
