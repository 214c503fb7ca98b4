"""Beneficiary operations (the dashboard issue adds the application and approval flow)."""

from __future__ import annotations

from stellar_sdk import StrKey

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.errors import SozuError


def beneficiary_create(
    *,
    organization_id: int,
    full_name: str,
    stellar_address: str,
    actor: str,
    email: str = "",
    phone: str = "",
    national_id: str = "",
    status: str = Beneficiary.Status.APPROVED,
) -> Beneficiary:
    if not StrKey.is_valid_ed25519_public_key(stellar_address):
        raise SozuError("invalid_address", address=stellar_address)
    if Beneficiary.objects.filter(
        organization_id=organization_id, stellar_address=stellar_address
    ).exists():
        raise SozuError("beneficiary_exists", address=stellar_address)
    b = Beneficiary.objects.create(
        organization_id=organization_id,
        full_name=full_name,
        stellar_address=stellar_address,
        email=email,
        phone=phone,
        national_id=national_id,
        status=status,
    )
    audit_record(
        organization_id=organization_id,
        entry=Entry(
            actor, "beneficiary.created", "beneficiary", b.pk, {"address": stellar_address}
        ),
    )
    return b
