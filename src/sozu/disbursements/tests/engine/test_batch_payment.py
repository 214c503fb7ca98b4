"""An NGO executes a batch: every line is paid on the network, once, with its transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from stellar_sdk import Server

from sozu.audit.models import AuditEvent
from sozu.audit.services import audit_verify_chain
from sozu.disbursements.models import Batch, PaymentAttempt, PaymentTransaction, Payout
from sozu.disbursements.tests.engine.helpers import (
    create_and_execute,
    lines,
    pack_now,
    run_worker,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_batch_lines_are_paid_with_their_transaction_hash(make_org, make_recipient, localnet):
    org = make_org()
    a, b, c = make_recipient(), make_recipient(), make_recipient()
    before = {x: localnet.usdc_balance(x) for x in (a, b, c)}
    wallet_before = localnet.usdc_balance(org.wallet_public_key)

    batch = create_and_execute(org, lines((a, "10.5"), (b, "0.0000001"), (c, "250")))
    run_worker()

    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    paid = list(batch.lines.order_by("line_number"))
    assert [p.status for p in paid] == ["paid"] * 3
    assert localnet.usdc_balance(a) - before[a] == Decimal("10.5")
    assert localnet.usdc_balance(b) - before[b] == Decimal("0.0000001")
    assert localnet.usdc_balance(c) - before[c] == Decimal("250")
    assert wallet_before - localnet.usdc_balance(org.wallet_public_key) == Decimal("260.5000001")
    server = Server(localnet.url)
    for p in paid:
        tx = server.transactions().transaction(p.tx_hash).call()
        assert tx["successful"] is True
        assert tx["ledger"] == p.ledger
    # Who, when and which transaction: the audit chain says it, and it is intact.
    assert AuditEvent.objects.filter(
        organization=org, action="payouts.paid", tx_hash=paid[0].tx_hash
    ).exists()
    assert audit_verify_chain(organization_id=org.pk) is None


def test_lines_with_different_memos_travel_in_different_transactions(
    make_org, make_recipient, localnet
):
    org = make_org()
    a, b = make_recipient(), make_recipient()
    rows = [
        *lines((a, "1"), memo="cuota 1"),
        (4, {"destination": b, "amount": "2", "memo": "cuota 2"}),
    ]
    batch = create_and_execute(org, rows)
    run_worker()
    p1, p2 = batch.lines.order_by("line_number")
    assert p1.tx_hash != p2.tx_hash
    server = Server(localnet.url)
    assert server.transactions().transaction(p1.tx_hash).call()["memo"] == "cuota 1"
    assert server.transactions().transaction(p2.tx_hash).call()["memo"] == "cuota 2"


def test_a_hundred_and_fifty_lines_are_packed_into_two_transactions(make_org, make_recipient):
    org = make_org(channels=2)
    dests = [make_recipient() for _ in range(3)]
    rows = [(i + 2, {"destination": dests[i % 3], "amount": f"1.{i:07d}"}) for i in range(150)]
    batch = create_and_execute(org, rows)
    run_worker()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    hashes = set(batch.lines.values_list("tx_hash", flat=True))
    assert len(hashes) == 2
    assert sorted(
        PaymentTransaction.objects.filter(hash__in=hashes).values_list("op_count", flat=True)
    ) == [50, 100]


def test_a_payout_can_never_have_two_live_attempts(make_org, make_recipient):
    org = make_org(channels=2)
    batch = create_and_execute(org, lines((make_recipient(), "1")))
    payout = batch.lines.get()
    packed = pack_now(org)
    other_tx = PaymentTransaction.objects.get(pk=packed.tx_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAttempt.objects.create(payout=payout, transaction=other_tx, op_index=1)
    run_worker(name="t")  # the worker that packed it finishes the job
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
