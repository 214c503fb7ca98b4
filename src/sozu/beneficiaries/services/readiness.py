"""Whether a beneficiary can receive USDC now, as the network says (refreshed on demand)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from stellar_sdk import MuxedAccount

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.models import Beneficiary
from sozu.errors import SozuError
from sozu.stellar import network


def readiness_problem(address: str) -> str | None:
    """A failure code (destination_not_found, destination_no_trustline,
    destination_not_authorized), or None when the address can receive USDC.

    Network errors raise SozuError("network_unavailable"): never read as "not ready".
    """
    account = MuxedAccount.from_account(address).account_id if address.startswith("M") else address
    asset = network.usdc_asset()
    try:
        info = network.client().account(account)
    except Exception as exc:
        raise SozuError("network_unavailable", detail=type(exc).__name__) from None
    if info is None:
        return "destination_not_found"
    if asset.issuer == info.account_id:
        return None
    line = info.trustline(asset.code, asset.issuer or "")
    if line is None:
        return "destination_no_trustline"
    if not line.authorized:
        return "destination_not_authorized"
    return None


def beneficiary_refresh_readiness(*, beneficiary: Beneficiary, actor: str) -> Beneficiary:
    """Ask the network (outside any transaction), then store the answer and its time.

    A change of readiness is audited; a check that confirms what was known is not.
    """
    address = beneficiary.stellar_address
    problem = readiness_problem(address)
    now = timezone.now()
    with transaction.atomic():
        b = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
        if b.stellar_address != address:
            return b  # her address changed meanwhile: this answer is about the old one
        before = b.ready_to_receive
        b.ready_to_receive = problem is None
        b.readiness_code = problem or ""
        b.readiness_checked_at = now
        b.save(update_fields=["ready_to_receive", "readiness_code", "readiness_checked_at"])
        if before != b.ready_to_receive:
            audit_record(
                organization_id=b.organization_id,
                entry=Entry(
                    actor,
                    "beneficiary.readiness_changed",
                    "beneficiary",
                    b.pk,
                    {"ready": b.ready_to_receive, "code": b.readiness_code},
                ),
            )
    return b
