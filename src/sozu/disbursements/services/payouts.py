"""Single payouts: validated like a batch line, paid at once when a channel is free."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.disbursements.models import PaymentTransaction, Payout
from sozu.disbursements.services import checks, engine
from sozu.disbursements.services.lines import validate_lines
from sozu.errors import SozuError, message_for
from sozu.orgs.models import Organization

P = Payout.Status


def payout_create(
    *,
    organization: Organization,
    data: dict[str, Any],
    actor: str,
    on_created: Callable[[Payout], None] | None = None,
) -> Payout:
    """A queued single payout, after the same checks as a batch line and the funds check.

    `on_created` runs inside the transaction that creates the payout: what it writes (e.g.
    the answer to an idempotency key) is committed together with the payout, or not at all.
    """
    try:
        (spec,) = validate_lines(organization_id=organization.pk, rows=[(1, data)], max_lines=1)
    except SozuError as exc:
        if exc.code == "invalid_lines" and exc.errors:
            first = exc.errors[0]
            raise SozuError(first["code"], errors=exc.errors, **first.get("params", {})) from None
        raise
    checks.check_limits(organization, [spec])
    checks.check_daily_cap(organization, spec.amount)
    checks.check_funds(organization, spec.amount)
    problem = checks.destination_problems([spec.destination]).get(spec.destination)
    if problem:
        raise SozuError(
            problem, errors=[{"line": 1, "code": problem, "message": message_for(problem)}]
        )
    now = timezone.now()
    with transaction.atomic():
        payout = Payout.objects.create(
            organization=organization,
            destination=spec.destination,
            amount=spec.amount,
            memo=spec.memo,
            beneficiary_id=spec.beneficiary_id,
            status=P.QUEUED,
            queued_at=now,
            destination_checked_at=now,
            created_by=actor,
        )
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "payout.created",
                "payout",
                payout.pk,
                {"destination": spec.destination, "amount": str(spec.amount)},
            ),
        )
        if on_created is not None:
            on_created(payout)
    return payout


def payout_pay_now(*, payout: Payout, worker: str, wait_seconds: float = 30.0) -> Payout:
    """Pack and submit this payout now if a channel is free; else the worker will.

    Returns the payout as it stands after the network answered or `wait_seconds` passed.
    """
    packed = engine.pack_transaction(
        organization=payout.organization,
        worker=worker,
        latest_ledger=engine.network.client().latest_ledger(),
        fee_per_op=min(
            max(100, engine.network.client().fee_stats().last_ledger_base_fee),
            payout.organization.max_fee_per_op,
        ),
        signers=engine.SignerCache(),
        payout_ids=[payout.pk],
    )
    if packed is not None:
        engine.submit(tx_id=packed.tx_id, worker=worker)
        # If the outcome is still unknown, let any worker settle it at once, not after the lease.
        PaymentTransaction.objects.filter(
            pk=packed.tx_id, lease_owner=worker, status__in=PaymentTransaction.UNSETTLED
        ).update(lease_owner="", lease_until=None)
    deadline = time.monotonic() + wait_seconds
    payout.refresh_from_db()
    while payout.status in (P.QUEUED, P.IN_FLIGHT) and time.monotonic() < deadline:
        time.sleep(0.2)
        payout.refresh_from_db()
    return payout
