"""Linking her wallet to her NGO: a one-time invitation, never an address copied by hand.

Staff create an invitation on her beneficiary page; the code (in a link, or typed) is shown
once and only its SHA-256 is kept. Opening it in her wallet (signed in with SEP-10) binds her
account to her beneficiary record through the beneficiaries' own service (the same
duplicate-address check as any edit), then asks the network whether she can receive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.wallet.errors import SozuError
from sozu.wallet.models import Invitation

#: Crockford's base32 without I, L, O, U: nothing to confuse when read aloud or typed.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12  # 60 bits, expiring, one use, rate limited by the API


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    #: Shown once: "ABCD-EFGH-JKMN".
    code: str


def _normalize(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def code_hash(code: str) -> str:
    return hashlib.sha256(_normalize(code).encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def invitation_create(
    *, beneficiary: Beneficiary, actor: str, now: dt.datetime | None = None
) -> IssuedInvitation:
    """A new invitation for her; any open one is revoked (a resend replaces it)."""
    now = now or timezone.now()
    if beneficiary.status not in (Beneficiary.Status.APPLIED, Beneficiary.Status.APPROVED):
        raise SozuError("invitation_not_allowed")
    code = _new_code()
    with transaction.atomic():
        Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
        open_ones = Invitation.objects.filter(
            beneficiary=beneficiary, redeemed_at=None, revoked_at=None, expires_at__gt=now
        )
        for old in open_ones:
            old.revoked_at, old.revoked_by = now, actor
            old.save(update_fields=["revoked_at", "revoked_by"])
        invitation = Invitation.objects.create(
            organization_id=beneficiary.organization_id,
            beneficiary=beneficiary,
            code_hash=code_hash(code),
            hint=_normalize(code)[-4:],
            created_by=actor,
            expires_at=now + dt.timedelta(hours=settings.SOZU_WALLET_INVITATION_HOURS),
        )
        audit_record(
            organization_id=beneficiary.organization_id,
            entry=Entry(
                actor,
                "wallet.invitation_created",
                "beneficiary",
                beneficiary.pk,
                {"invitation": invitation.pk, "hint": invitation.hint, "replaced": len(open_ones)},
            ),
        )
    return IssuedInvitation(invitation, code)


def invitation_revoke(
    *, invitation: Invitation, actor: str, now: dt.datetime | None = None
) -> Invitation:
    now = now or timezone.now()
    with transaction.atomic():
        inv = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if inv.state(now) != "open":
            return inv
        inv.revoked_at, inv.revoked_by = now, actor
        inv.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            organization_id=inv.organization_id,
            entry=Entry(
                actor,
                "wallet.invitation_revoked",
                "beneficiary",
                inv.beneficiary_id,
                {"invitation": inv.pk, "hint": inv.hint},
            ),
        )
    return inv


def invitation_redeem(*, account: str, code: str, now: dt.datetime | None = None) -> Invitation:
    """Bind `account` (proven by SEP-10) to the invited beneficiary; once."""
    from sozu.beneficiaries.services import beneficiary_update
    from sozu.beneficiaries.services.readiness import beneficiary_refresh_readiness

    now = now or timezone.now()
    actor = f"wallet:{account}"
    with transaction.atomic():
        inv = (
            Invitation.objects.select_for_update()
            .select_related("beneficiary", "organization")
            .filter(code_hash=code_hash(code))
            .first()
        )
        if inv is None:
            raise SozuError("invitation_invalid")
        state = inv.state(now)
        if state == "redeemed":
            if inv.redeemed_account == account:
                return inv  # the same wallet opening the link again: already linked
            raise SozuError("invitation_used")
        if state != "open":
            raise SozuError(f"invitation_{state}")
        beneficiary_update(
            beneficiary=inv.beneficiary,
            data={"stellar_address": account},
            actor=actor,
            context={"via": "wallet_invitation", "invitation": inv.pk},
        )
        inv.redeemed_at, inv.redeemed_account = now, account
        inv.save(update_fields=["redeemed_at", "redeemed_account"])
        audit_record(
            organization_id=inv.organization_id,
            entry=Entry(
                actor,
                "wallet.invitation_redeemed",
                "beneficiary",
                inv.beneficiary_id,
                {"invitation": inv.pk, "address": account},
            ),
        )
    try:  # outside the transaction: the network is asked, the answer stored
        beneficiary_refresh_readiness(
            beneficiary=Beneficiary.objects.get(pk=inv.beneficiary_id), actor=actor
        )
    except SozuError:
        pass  # network down: staff can refresh it later; the link itself is done
    return inv
