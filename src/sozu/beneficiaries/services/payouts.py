"""A single payout to one beneficiary from the dashboard, exactly once per idempotency key.

The form carries a key made when it was rendered; a double click, a reload or a resubmit
sends the same key again. The rules:
1. The key is recorded (IdempotencyRecord, unique per organization, scope and key) before
   anything else: of two requests with one key, only one gets past the insert.
2. The answer (the payout's id) is written in the same transaction that creates the payout
   (payout_create's `on_created`): a record with an answer always has its payout, and a
   payout created this way always has its record's answer.
3. If creating fails, the record is removed only while it has no answer, so a retry with the
   same key can try again, and it never removes the key of a payout that exists.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from django.db import IntegrityError, transaction

from sozu.beneficiaries.models import Beneficiary
from sozu.disbursements.models import IdempotencyRecord, Payout
from sozu.disbursements.services.payouts import payout_create
from sozu.errors import SozuError
from sozu.stellar.amounts import AmountError, parse_amount

SCOPE = "dashboard.beneficiary_payout"
MAX_KEY_LENGTH = 255


def _fingerprint(beneficiary_id: int, amount: Decimal, memo: str) -> str:
    canonical = json.dumps([beneficiary_id, str(amount), memo], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(organization_id: int, key: str, fingerprint: str) -> Payout:
    record = IdempotencyRecord.objects.filter(
        organization_id=organization_id, scope=SCOPE, key=key
    ).first()
    if record is None:
        raise SozuError("idempotency_in_progress")  # the first request is failing right now
    if record.request_hash != fingerprint:
        raise SozuError("idempotency_conflict")
    body = record.response_body
    if not isinstance(body, dict) or "id" not in body:
        raise SozuError("idempotency_in_progress")
    return Payout.objects.get(organization_id=organization_id, pk=body["id"])


def beneficiary_payout_create(
    *,
    beneficiary: Beneficiary,
    amount: Decimal | str,
    memo: str,
    idempotency_key: str,
    actor: str,
) -> Payout:
    """A queued payout to her address (the worker, or payout_pay_now, pays it).

    The same key again returns the same payout (never a second one); with another amount or
    memo it is refused (idempotency_conflict); while the first request is still running,
    idempotency_in_progress. Only approved beneficiaries are paid; every check of a single
    payout applies (limits, daily cap, funds, her account on the network).
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise SozuError("invalid_field", field="idempotency_key")
    if isinstance(amount, float):
        raise SozuError("amount_float")
    try:
        value = parse_amount(str(amount))
    except AmountError as exc:
        raise SozuError(exc.code, value=exc.value) from None
    memo = (memo or "").strip()
    org_id = beneficiary.organization_id
    fingerprint = _fingerprint(beneficiary.pk, value, memo)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organization_id=org_id, scope=SCOPE, key=key, request_hash=fingerprint
            )
    except IntegrityError:
        return _replay(org_id, key, fingerprint)

    def remember(payout: Payout) -> None:
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            response_status=201, response_body={"id": payout.pk}
        )

    try:
        current = Beneficiary.objects.select_related("organization").get(
            pk=beneficiary.pk, organization_id=org_id
        )
        if current.status != Beneficiary.Status.APPROVED:
            raise SozuError("beneficiary_not_approved", beneficiary_id=current.pk)
        return payout_create(
            organization=current.organization,
            data={"beneficiary_id": current.pk, "amount": str(value), "memo": memo},
            actor=actor,
            on_created=remember,
        )
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()
        raise
