"""Wallet sessions issued by staff, until the wallet signs in with SEP-10 (next issue)."""

from __future__ import annotations

from django.db import transaction

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.credit.errors import SozuError
from sozu.credit.wallet_auth import sign_wallet_token, token_ttl_seconds


def wallet_token_issue(*, beneficiary: Beneficiary, actor: str = "system") -> str:
    """A signed token with which her wallet reads her loans for SOZU_WALLET_TOKEN_TTL_SECONDS.

    Only an approved beneficiary gets one. The token itself is never stored nor logged; the
    audit log records that one was issued, to whom and by whom.
    """
    if beneficiary.status != Beneficiary.Status.APPROVED:
        raise SozuError(
            "credit_beneficiary_not_approved",
            name=beneficiary.full_name,
            status=Beneficiary.Status(beneficiary.status).label,
        )
    with transaction.atomic():
        audit_record(
            organization_id=beneficiary.organization_id,
            entry=Entry(
                actor,
                "wallet_token.issued",
                "beneficiary",
                beneficiary.pk,
                {"ttl_seconds": token_ttl_seconds()},
            ),
        )
    return sign_wallet_token(beneficiary)
