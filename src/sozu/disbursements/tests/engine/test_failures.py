"""Lines that cannot be paid fail with a reason a person understands; the rest are paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from sozu.disbursements.models import Batch, PaymentTransaction, Payout
from sozu.disbursements.selectors import payout_as_dict
from sozu.disbursements.services.batches import (
    batch_create,
    batch_execute,
    batch_resume,
    batch_retry_failed,
)
from sozu.disbursements.tests.engine.helpers import create_and_execute, lines, run_worker
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db(transaction=True)


def test_destination_without_trustline_is_refused_at_batch_creation(make_org, make_recipient):
    org = make_org()
    good, bad = make_recipient(), make_recipient(trustline=False)
    with pytest.raises(SozuError) as exc:
        batch_create(organization=org, rows=lines((good, "1"), (bad, "2")), actor="test")
    assert exc.value.code == "invalid_lines"
    assert exc.value.errors[0]["line"] == 3
    assert exc.value.errors[0]["code"] == "destination_no_trustline"
    assert not Batch.objects.filter(organization=org).exists()


def test_line_failing_on_chain_is_marked_failed_and_the_rest_repacked(
    make_org, make_recipient, localnet
):
    org = make_org()
    good1, bad, good2 = make_recipient(), make_recipient(trustline=False), make_recipient()
    batch = batch_create(
        organization=org,
        rows=lines((good1, "3"), (bad, "4"), (good2, "5")),
        actor="test",
        check_destinations=False,
    )
    batch_execute(organization=org, batch_id=batch.pk, actor="test")
    # The destination looked fine when checked; its trustline is gone by the time we pay.
    batch.lines.update(destination_checked_at=timezone.now())
    before = localnet.usdc_balance(good1)

    run_worker()

    batch.refresh_from_db()
    assert batch.status == Batch.Status.PARTIALLY_PAID
    l1, l2, l3 = batch.lines.order_by("line_number")
    assert (l1.status, l2.status, l3.status) == ("paid", "failed", "paid")
    assert l2.failure_code == "op_no_trust"
    with override("en"):
        assert payout_as_dict(l2)["failure_reason"] == "The destination has no USDC trustline."
    assert localnet.usdc_balance(good1) - before == Decimal("3")
    # The failed transaction is on the network: fee charged, nothing paid.
    assert PaymentTransaction.objects.filter(status="failed", tx_code="tx_failed").count() == 1


def test_stale_destination_check_fails_the_line_before_packing(make_org, make_recipient):
    org = make_org()
    bad = make_recipient(trustline=False)
    batch = batch_create(
        organization=org,
        rows=lines((make_recipient(), "1"), (bad, "1")),
        actor="test",
        check_destinations=False,
    )
    batch_execute(organization=org, batch_id=batch.pk, actor="test")
    run_worker()
    l1, l2 = batch.lines.order_by("line_number")
    assert l1.status == "paid"
    assert (l2.status, l2.failure_code) == ("failed", "destination_no_trustline")
    assert not PaymentTransaction.objects.filter(status="failed").exists()


def test_org_running_out_of_money_pauses_the_batch_and_resumes_when_funded(
    make_org, make_recipient, localnet
):
    org = make_org(usdc="100", channels=1)
    dests = [make_recipient() for _ in range(2)]
    batch = create_and_execute(org, lines((dests[0], "60"), (dests[1], "30")))
    # Money leaves the wallet by another route after the checks passed.
    from stellar_sdk import Asset, Server, TransactionBuilder

    from sozu.orgs.services import wallet_keypair

    wallet = wallet_keypair(org)
    server = Server(localnet.url)
    tx = (
        TransactionBuilder(server.load_account(wallet.public_key), localnet.passphrase, 100)
        .append_payment_op(make_recipient(), Asset("USDC", localnet.usdc_issuer), "80")
        .set_timeout(60)
        .build()
    )
    tx.sign(wallet)
    server.submit_transaction(tx)

    run_worker()

    batch.refresh_from_db()
    assert batch.status == Batch.Status.PAUSED
    assert batch.pause_code == "op_underfunded"
    assert set(batch.lines.values_list("status", flat=True)) == {Payout.Status.QUEUED}
    localnet.fund(org.wallet_public_key, xlm="1", usdc="500")
    batch_resume(organization=org, batch_id=batch.pk, actor="test")
    run_worker()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED


def test_retry_with_no_failed_line_is_refused_and_leaves_the_batch_finished(
    make_org, make_recipient
):
    org = make_org()
    batch = create_and_execute(org, lines((make_recipient(), "1")))
    run_worker()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    # As batches cancelled mid-run used to finish: partially paid, no line failed.
    batch.status = Batch.Status.PARTIALLY_PAID
    batch.save(update_fields=["status"])

    with pytest.raises(SozuError) as exc:
        batch_retry_failed(organization=org, batch_id=batch.pk, actor="test")

    assert exc.value.code == "nothing_to_retry"
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PARTIALLY_PAID  # not executing forever
