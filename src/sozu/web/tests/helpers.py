"""Staff members and second factors for the dashboard's tests (no network needed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
import uuid
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from stellar_sdk import Keypair

from sozu.orgs.models import Membership, Organization
from sozu.orgs.services import staff_membership_create

PASSWORD = "una-clave-larga-de-prueba-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str, *, at: float | None = None, step: int = 30) -> str:
    """RFC 6238 TOTP (SHA-1, 6 digits), computed here from the secret as an app would."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    if at is None:
        # A code read in the last seconds of its window can be stale by the time the
        # server checks it (no tolerance is configured): wait for the next window.
        left = step - time.time() % step
        if left < 4:
            time.sleep(left + 0.2)
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def org(slug: str | None = None, **fields: Any) -> Organization:
    """An organization row with a wallet address (not on any network)."""
    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    return Organization.objects.create(
        slug=slug,
        name=fields.pop("name", f"Asociación {slug}"),
        wallet_public_key=Keypair.random().public_key,
        ready=True,
        **fields,
    )


def staff(
    organization: Organization,
    role: str,
    *,
    email: str | None = None,
    totp_secret: str | None = None,
) -> Membership:
    email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.org"
    membership, _ = staff_membership_create(
        organization=organization, email=email, role=role, actor="test", password=PASSWORD
    )
    if totp_secret:
        TOTP.activate(membership.user, totp_secret)
    return membership


def has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
