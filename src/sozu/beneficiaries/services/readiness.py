"""Whether a beneficiary can receive USDC now, as the network says (refreshed on demand)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import transaction
from django.db.models import F
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


def beneficiary_refresh_readiness(
    *, beneficiary: Beneficiary, actor: str, context: Mapping[str, Any] | None = None
) -> Beneficiary:
    """Ask the network (outside any transaction), then store the answer and its time.

    A change of readiness is audited; a check that confirms what was known is not.
    """
    address = beneficiary.stellar_address
    return _store(beneficiary.pk, address, readiness_problem(address), actor, context)


def _store(
    beneficiary_id: int,
    address: str,
    problem: str | None,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> Beneficiary:
    now = timezone.now()
    with transaction.atomic():
        b = Beneficiary.objects.select_for_update().get(pk=beneficiary_id)
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
                    {"ready": b.ready_to_receive, "code": b.readiness_code, **(context or {})},
                ),
            )
    return b


def beneficiaries_refresh_readiness(
    *,
    organization_id: int,
    actor: str,
    beneficiary_ids: Iterable[int] | None = None,
    limit: int = 500,
    workers: int = 8,
    context: Mapping[str, Any] | None = None,
) -> int:
    """Refresh several at once (the list's "refresh" button): those given, or the
    organization's approved ones checked longest ago, at most `limit`; how many were refreshed.

    The network is asked in parallel (reads only); the answers are then stored one short
    transaction each. One that the network did not answer keeps its last answer.
    """
    qs = Beneficiary.objects.filter(organization_id=organization_id)
    if beneficiary_ids is not None:
        qs = qs.filter(pk__in=list(beneficiary_ids))
    else:
        qs = qs.filter(status=Beneficiary.Status.APPROVED)
    rows = list(
        qs.order_by(F("readiness_checked_at").asc(nulls_first=True), "pk").values_list(
            "pk", "stellar_address"
        )[:limit]
    )
    if not rows:
        return 0

    def ask(address: str) -> str | SozuError | None:
        try:
            return readiness_problem(address)
        except SozuError as exc:
            return exc

    addresses = sorted({a for _, a in rows})
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(addresses)))) as pool:
        answers = dict(zip(addresses, pool.map(ask, addresses), strict=True))
    refreshed = 0
    for pk, address in rows:
        answer = answers[address]
        if isinstance(answer, SozuError):
            continue
        _store(pk, address, answer, actor, context)
        refreshed += 1
    return refreshed
