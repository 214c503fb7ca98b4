"""Cancel is final: lines not yet paid are never paid afterwards, whatever the network does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sozu.disbursements.models import Batch, PaymentTransaction, Payout
from sozu.disbursements.services import engine
from sozu.disbursements.services.batches import (
    batch_cancel,
    batch_create,
    batch_execute,
    batch_resume,
    batch_retry_failed,
)
from sozu.disbursements.tests.engine.helpers import create_and_execute, lines, pack_now, run_worker
from sozu.errors import SozuError
from sozu.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)
B = Batch.Status
P = Payout.Status


def _listening(org: Any) -> None:
    """An endpoint of the organization, so its webhook events are recorded as deliveries."""
    WebhookEndpoint.objects.create(
        organization=org, url="https://127.0.0.1:9/hook", secret_ciphertext="x"
    )


def _events(org: Any, event_type: str) -> list[int]:
    return sorted(
        d.payload["data"]["payout_id"]
        for d in WebhookDelivery.objects.filter(endpoint__organization=org, event_type=event_type)
    )


def _refused(call: Any, org: Any, batch: Batch) -> str:
    with pytest.raises(SozuError) as exc:
        call(organization=org, batch_id=batch.pk, actor="test")
    return exc.value.code


def test_lines_released_from_flight_after_a_cancel_are_cancelled_never_paid(
    make_org, make_recipient, localnet
):
    org = make_org(channels=1)
    _listening(org)
    dests = [make_recipient() for _ in range(3)]
    before = {d: localnet.usdc_balance(d) for d in dests}
    batch = create_and_execute(org, lines(*((d, "2") for d in dests)))
    # Our copy of the channel's sequence is wrong: the network will refuse the envelope
    # (tx_bad_seq) and its lines come back unpaid, after the user cancelled.
    org.channels.update(next_sequence=1)
    packed = pack_now(org)
    assert set(batch.lines.values_list("status", flat=True)) == {P.IN_FLIGHT}

    batch_cancel(organization=org, batch_id=batch.pk, actor="test")

    batch.refresh_from_db()
    assert (batch.status, batch.pause_code) == (B.PAUSED, "cancelling")
    # While its lines settle, nothing can put the batch back to work.
    assert _refused(batch_resume, org, batch) == "batch_cancelling"
    assert _refused(batch_retry_failed, org, batch) == "batch_cancelling"
    assert _refused(batch_execute, org, batch) == "batch_cancelling"

    engine.submit(tx_id=packed.tx_id, worker="t")
    assert PaymentTransaction.objects.get(pk=packed.tx_id).tx_code == "tx_bad_seq"

    batch.refresh_from_db()
    assert batch.status == B.CANCELLED
    assert set(batch.lines.values_list("status", "failure_code")) == {
        (P.CANCELLED, "cancelled_by_user")
    }
    assert _events(org, "payout.cancelled") == sorted(batch.lines.values_list("pk", flat=True))
    assert _refused(batch_resume, org, batch) == "invalid_transition"
    assert _refused(batch_retry_failed, org, batch) == "invalid_transition"
    run_worker()
    assert {d: localnet.usdc_balance(d) for d in dests} == before


def test_a_batch_cancelled_mid_run_ends_cancelled_with_its_paid_lines_reported(
    make_org, make_recipient, localnet
):
    org = make_org(channels=2)
    _listening(org)
    a, b = make_recipient(), make_recipient()
    paid_before = localnet.usdc_balance(a)
    rows = [*lines((a, "3"), memo="cuota 1"), (3, {"destination": b, "amount": "4", "memo": "x"})]
    batch = create_and_execute(org, rows)
    packed = pack_now(org)  # the first line is in flight, the second still queued

    batch_cancel(organization=org, batch_id=batch.pk, actor="test")
    engine.submit(tx_id=packed.tx_id, worker="t")  # the line in flight is paid

    batch.refresh_from_db()
    assert batch.status == B.CANCELLED
    first, second = batch.lines.order_by("line_number")
    assert (first.status, second.status) == (P.PAID, P.CANCELLED)
    assert batch.finished_at is not None
    from sozu.disbursements.selectors import batch_as_dict

    stats = batch_as_dict(batch)["stats"]
    assert (stats["paid_count"], stats["paid_amount"]) == (1, "3.0000000")
    assert _events(org, "payout.cancelled") == [second.pk]
    # A cancelled batch is never reopened: neither resumed nor retried.
    assert _refused(batch_resume, org, batch) == "invalid_transition"
    assert _refused(batch_retry_failed, org, batch) == "invalid_transition"
    run_worker()
    second.refresh_from_db()
    assert second.status == P.CANCELLED
    assert localnet.usdc_balance(a) - paid_before == Decimal("3")


def test_resume_is_only_for_a_paused_batch(make_org, make_recipient):
    org = make_org()
    batch = batch_create(
        organization=org,
        rows=lines((make_recipient(trustline=False), "1")),
        actor="test",
        check_destinations=False,
    )
    batch_execute(organization=org, batch_id=batch.pk, actor="test")
    run_worker()
    batch.refresh_from_db()
    assert batch.status == B.FAILED
    # Resuming a finished batch would leave it executing with nothing to do.
    assert _refused(batch_resume, org, batch) == "invalid_transition"
    batch.refresh_from_db()
    assert batch.status == B.FAILED
