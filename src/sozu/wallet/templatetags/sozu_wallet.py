"""Template helpers for the wallet's pieces of the dashboard (the invitation card)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from sozu.beneficiaries.models import Beneficiary
from sozu.wallet.models import Invitation, RecoveryRequest

register = template.Library()


@register.simple_tag
def wallet_invitation_for(beneficiary: Beneficiary) -> Invitation | None:
    """Her latest invitation that is still open, if any."""
    return (
        Invitation.objects.filter(
            beneficiary=beneficiary,
            redeemed_at=None,
            revoked_at=None,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


@register.simple_tag
def wallet_last_redeemed(beneficiary: Beneficiary) -> Invitation | None:
    return (
        Invitation.objects.filter(beneficiary=beneficiary)
        .exclude(redeemed_at=None)
        .order_by("-redeemed_at")
        .first()
    )


@register.simple_tag
def wallet_recovery_waiting(beneficiary: Beneficiary) -> RecoveryRequest | None:
    """A recovery she started and proved with her phone's code, waiting for staff."""
    return (
        RecoveryRequest.objects.filter(
            beneficiary=beneficiary, status=RecoveryRequest.Status.PENDING_STAFF
        )
        .order_by("-created_at")
        .first()
    )
