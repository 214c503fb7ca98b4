"""`sozu wallet prune`: the wallet's rows that have served their time.

- WebAuthn challenges past `expires_at` (`passkeys.challenges_prune`; answered or not, an
  expired one is refused anyway);
- SEP-10 answers past their time bounds (`sep10.challenges_prune`): while a challenge is still
  valid its row is what refuses a replay, so an unexpired row is never deleted;
- invitations past `expires_at` that nobody opened or cancelled are marked `expired_at`, with an
  audit event on their organization's chain ("wallet.invitation_expired"), once each.

Run by the worker every `PRUNE_SECONDS` and by hand (`sozu wallet prune`); safe to run
concurrently: each invitation is marked under its row lock and re-checked there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.wallet import passkeys, sep10
from sozu.wallet.models import Invitation


@dataclass(frozen=True)
class PruneResult:
    webauthn_challenges: int
    sep10_challenges: int
    invitations_expired: int


def _invitation_mark_expired(*, invitation_id: int, actor: str, now: dt.datetime) -> bool:
    with transaction.atomic():
        inv = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if inv is None or inv.expired_at is not None or inv.state(now) != "expired":
            return False  # redeemed or revoked meanwhile, or marked by another run
        inv.expired_at = now
        inv.save(update_fields=["expired_at"])
        audit_record(
            organization_id=inv.organization_id,
            entry=Entry(
                actor,
                "wallet.invitation_expired",
                "beneficiary",
                inv.beneficiary_id,
                {"invitation": inv.pk, "hint": inv.hint},
            ),
        )
    return True


def wallet_prune(*, actor: str, now: dt.datetime | None = None) -> PruneResult:
    """Delete expired WebAuthn and SEP-10 challenges; mark invitations that expired unused."""
    now = now or timezone.now()
    webauthn = passkeys.challenges_prune(now=now)
    sep10_deleted = sep10.challenges_prune(now=now)
    due = Invitation.objects.filter(
        redeemed_at=None, revoked_at=None, expired_at=None, expires_at__lte=now
    ).values_list("pk", flat=True)
    expired = sum(
        _invitation_mark_expired(invitation_id=pk, actor=actor, now=now) for pk in list(due)
    )
    return PruneResult(
        webauthn_challenges=webauthn, sep10_challenges=sep10_deleted, invitations_expired=expired
    )
