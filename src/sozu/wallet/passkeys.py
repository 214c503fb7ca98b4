"""Passkeys of the wallet (issue 13): sign-up and sign-in with WebAuthn, checked by py_webauthn.

The wallet holder has no email and no password: a random handle is her WebAuthn user id.
Challenges are kept on the server (one use, expiring) and also bound to the browser's session.
Tier A keeps a key blob the server cannot open (ciphertext, IV and HKDF salt: the PRF output and
the key made from it never leave her phone); tier B keeps nothing here but the passkey.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from sozu.audit.services import Entry, audit_record
from sozu.wallet.models import WalletCredential, WalletKeyBlob, WalletUser, WebAuthnChallenge

#: Both ceremonies ask for the same user verification (the PRF output depends on it).
USER_VERIFICATION = UserVerificationRequirement.REQUIRED
RP_NAME = "Sozu"
#: Sizes of the key blob's parts as the browser makes them (base64url lengths are checked).
IV_BYTES = 12
SALT_BYTES = 32
#: The secret seed is 32 bytes; AES-GCM adds a 16-byte tag (some room for a versioned payload).
MAX_CIPHERTEXT_BYTES = 256

MESSAGES: dict[str, tuple[Any, int]] = {
    "challenge_invalid": (_("The sign-in request expired or was already used: try again."), 400),
    "passkey_refused": (_("The passkey could not be verified: try again."), 400),
    "passkey_unknown": (_("This passkey is not registered in Sozu."), 400),
    "body_invalid": (_("The request is not valid."), 400),
    "wallet_signed_out": (_("Sign in to your wallet with your passkey."), 401),
    "tier_not_eligible": (
        _("This passkey is not synced to a backup: the key stays on this phone."),
        409,
    ),
    "keyblob_missing": (_("This passkey has no saved key in Sozu."), 404),
    "account_mismatch": (_("The token belongs to another account."), 409),
    "too_many_attempts": (_("Too many attempts from this connection: wait a few minutes."), 429),
}

#: Ceremonies started per client address in a window (sign-up and sign-in need no account,
#: so a flood of them is limited before it reaches the database).
RATE_WINDOW_SECONDS = 600


def rate_limit(*, purpose: str, client: str, limit: int) -> None:
    """Counts a ceremony started by `client` (its IP address); refuses past `limit` a window."""
    from django.core.cache import cache

    key = f"wallet-passkey:{purpose}:{client}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    if count > limit:
        raise PasskeyError("too_many_attempts")


class PasskeyError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    @property
    def status(self) -> int:
        return int(MESSAGES[self.code][1])

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code][0])


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the RP id (a domain) and the origins allowed to answer."""

    rp_id: str
    origin: str


def relying_party(*, host: str, origin: str) -> RelyingParty:
    """The configured RP id (`SOZU_WEBAUTHN_RP_ID`) or, by default, the request's host name."""
    rp_id = settings.SOZU_WEBAUTHN_RP_ID or host.rsplit(":", 1)[0].strip("[]")
    return RelyingParty(rp_id=rp_id, origin=origin)


def _challenge_store(
    *, purpose: str, challenge: bytes, user_handle: str = "", now: dt.datetime
) -> str:
    encoded = bytes_to_base64url(challenge)
    WebAuthnChallenge.objects.create(
        challenge=encoded,
        purpose=purpose,
        user_handle=user_handle,
        expires_at=now + dt.timedelta(seconds=settings.SOZU_WEBAUTHN_CHALLENGE_SECONDS),
    )
    return encoded


def _challenge_use(*, challenge: str, purpose: str, now: dt.datetime) -> WebAuthnChallenge:
    """Marks the challenge used (once, before it expires) or raises challenge_invalid."""
    used = WebAuthnChallenge.objects.filter(
        challenge=challenge, purpose=purpose, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if used != 1:
        raise PasskeyError("challenge_invalid")
    return WebAuthnChallenge.objects.get(challenge=challenge)


def challenges_prune(*, now: dt.datetime | None = None) -> int:
    deleted, _rows = WebAuthnChallenge.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def _parse(credential: Any) -> dict[str, Any]:
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        raise PasskeyError("body_invalid")
    return credential


def registration_begin(*, rp: RelyingParty, now: dt.datetime | None = None) -> tuple[str, str]:
    """Options for navigator.credentials.create() (JSON) and the challenge to keep in session."""
    now = now or timezone.now()
    handle = secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_id=handle,
        user_name=f"Sozu {bytes_to_base64url(handle)[:6]}",
        user_display_name="Mi billetera Sozu",
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=USER_VERIFICATION,
        ),
        timeout=settings.SOZU_WEBAUTHN_CHALLENGE_SECONDS * 1000,
    )
    challenge = _challenge_store(
        purpose=WebAuthnChallenge.Purpose.REGISTER,
        challenge=options.challenge,
        user_handle=bytes_to_base64url(handle),
        now=now,
    )
    return options_to_json(options), challenge


def registration_finish(
    *, rp: RelyingParty, challenge: str, credential: Any, now: dt.datetime | None = None
) -> WalletCredential:
    """Verifies the new passkey and makes the wallet holder and her credential."""
    now = now or timezone.now()
    credential = _parse(credential)
    # Spent before it is checked, in its own transaction: a refused answer uses it up too.
    row = _challenge_use(challenge=challenge, purpose=WebAuthnChallenge.Purpose.REGISTER, now=now)
    with transaction.atomic():
        try:
            verified = verify_registration_response(
                credential=json.dumps(credential),
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=rp.rp_id,
                expected_origin=rp.origin,
                require_user_verification=True,
            )
        except (InvalidRegistrationResponse, InvalidJSONStructure, ValueError, KeyError) as exc:
            raise PasskeyError("passkey_refused") from exc
        credential_id = bytes_to_base64url(verified.credential_id)
        if WalletCredential.objects.filter(credential_id=credential_id).exists():
            raise PasskeyError("passkey_refused")
        user = WalletUser.objects.create(handle=row.user_handle)
        response = credential.get("response") or {}
        transports = [t for t in response.get("transports") or [] if isinstance(t, str)][:8]
        made = WalletCredential.objects.create(
            user=user,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=transports,
            backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
            backup_state=verified.credential_backed_up,
            last_used_at=now,
        )
        audit_record(
            organization_id=None,
            entry=Entry(
                f"wallet:{user.handle[:10]}",
                "wallet.passkey_registered",
                "wallet_credential",
                made.pk,
                {"backup_eligible": made.backup_eligible, "backup_state": made.backup_state},
            ),
        )
    return made


def authentication_begin(
    *, rp: RelyingParty, credential_ids: list[str] | None = None, now: dt.datetime | None = None
) -> tuple[str, str]:
    """Options for navigator.credentials.get(); with no ids the browser offers her passkeys."""
    now = now or timezone.now()
    allow = []
    for cid in credential_ids or []:
        try:
            allow.append(PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)))
        except (ValueError, TypeError) as exc:
            raise PasskeyError("body_invalid") from exc
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        allow_credentials=allow or None,
        user_verification=USER_VERIFICATION,
        timeout=settings.SOZU_WEBAUTHN_CHALLENGE_SECONDS * 1000,
    )
    challenge = _challenge_store(
        purpose=WebAuthnChallenge.Purpose.LOGIN, challenge=options.challenge, now=now
    )
    return options_to_json(options), challenge


def authentication_finish(
    *, rp: RelyingParty, challenge: str, credential: Any, now: dt.datetime | None = None
) -> WalletCredential:
    """Verifies an assertion against the stored public key; updates the counter and flags."""
    now = now or timezone.now()
    credential = _parse(credential)
    _challenge_use(challenge=challenge, purpose=WebAuthnChallenge.Purpose.LOGIN, now=now)
    with transaction.atomic():
        stored = (
            WalletCredential.objects.select_for_update()
            .select_related("user")
            .filter(credential_id=credential["id"])
            .first()
        )
        if stored is None:
            raise PasskeyError("passkey_unknown")
        try:
            verified = verify_authentication_response(
                credential=json.dumps(credential),
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=rp.rp_id,
                expected_origin=rp.origin,
                credential_public_key=bytes(stored.public_key),
                credential_current_sign_count=stored.sign_count,
                require_user_verification=True,
            )
        except (InvalidAuthenticationResponse, InvalidJSONStructure, ValueError, KeyError) as exc:
            raise PasskeyError("passkey_refused") from exc
        stored.sign_count = verified.new_sign_count
        stored.backup_state = verified.credential_backed_up
        stored.last_used_at = now
        stored.save(update_fields=["sign_count", "backup_state", "last_used_at"])
    return stored


def _b64(value: Any, *, exact: int | None = None, maximum: int | None = None) -> str:
    if not isinstance(value, str) or not value:
        raise PasskeyError("body_invalid")
    try:
        raw = base64url_to_bytes(value)
    except (ValueError, TypeError) as exc:
        raise PasskeyError("body_invalid") from exc
    if (exact is not None and len(raw) != exact) or (maximum is not None and len(raw) > maximum):
        raise PasskeyError("body_invalid")
    return bytes_to_base64url(raw)


def keyblob_store(*, credential: WalletCredential, body: Any) -> WalletKeyBlob:
    """Tier A: keeps her encrypted key for this passkey; refused if the passkey is not synced."""
    if not isinstance(body, dict):
        raise PasskeyError("body_invalid")
    ciphertext = _b64(body.get("ciphertext"), maximum=MAX_CIPHERTEXT_BYTES)
    iv = _b64(body.get("iv"), exact=IV_BYTES)
    salt = _b64(body.get("salt"), exact=SALT_BYTES)
    if len(base64url_to_bytes(ciphertext)) <= 16:  # the GCM tag alone: nothing encrypted
        raise PasskeyError("body_invalid")
    with transaction.atomic():
        credential = WalletCredential.objects.select_for_update().get(pk=credential.pk)
        if not credential.backup_eligible:
            raise PasskeyError("tier_not_eligible")
        blob, _created = WalletKeyBlob.objects.update_or_create(
            credential=credential, defaults={"ciphertext": ciphertext, "iv": iv, "salt": salt}
        )
        credential.prf_tier = WalletCredential.Tier.A
        credential.save(update_fields=["prf_tier"])
        audit_record(
            organization_id=None,
            entry=Entry(
                f"wallet:{credential.user.handle[:10]}",
                "wallet.keyblob_stored",
                "wallet_credential",
                credential.pk,
            ),
        )
    return blob


def keyblob_get(*, credential: WalletCredential) -> WalletKeyBlob:
    blob = WalletKeyBlob.objects.filter(credential=credential).first()
    if blob is None:
        raise PasskeyError("keyblob_missing")
    return blob


def tier_device_only(*, credential: WalletCredential) -> WalletCredential:
    """Tier B: her key stays on the device; any stored blob of this passkey is dropped."""
    with transaction.atomic():
        WalletKeyBlob.objects.filter(credential=credential).delete()
        credential.prf_tier = WalletCredential.Tier.B
        credential.save(update_fields=["prf_tier"])
        audit_record(
            organization_id=None,
            entry=Entry(
                f"wallet:{credential.user.handle[:10]}",
                "wallet.tier_device",
                "wallet_credential",
                credential.pk,
            ),
        )
    return credential


def account_bind(*, user: WalletUser, account: str) -> WalletUser:
    """Records her Stellar address (proved with a SEP-10 token by the caller)."""
    if user.account == account:
        return user
    if user.account:
        raise PasskeyError("account_mismatch")
    with transaction.atomic():
        user.account = account
        user.save(update_fields=["account"])
        audit_record(
            organization_id=None,
            entry=Entry(
                f"wallet:{user.handle[:10]}",
                "wallet.account_bound",
                "wallet_user",
                user.pk,
                {"account": account},
            ),
        )
    return user
