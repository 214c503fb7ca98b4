"""Drives a disbursement scenario in its own process (the DB is shared with worker processes).

    python -m tests.reliability.scenario setup --lines 1000 --recipients R1,R2,...
    python -m tests.reliability.scenario status BATCH_ID
    python -m tests.reliability.scenario cancel|resume|retry BATCH_ID

Settings come from the environment (DATABASE_URL, HORIZON_URL, NETWORK_PASSPHRASE, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sozu.settings")
    import django

    django.setup()


def setup(lines: int, recipients: list[str], usdc: Decimal, channels: int) -> dict[str, object]:
    from django.core.management import call_command

    from sozu.disbursements.services.batches import batch_create, batch_execute
    from sozu.orgs.services import organization_create

    call_command("migrate", verbosity=0)
    org = organization_create(
        slug="crash", name="Crash test", actor="test", fund_usdc=usdc, channels=channels
    )
    rows = []
    for i in range(lines):
        # Distinct amounts make every line recognisable among the network's payments.
        amount = Decimal(1) + Decimal(i) / Decimal(10_000_000)
        rows.append(
            (i + 2, {"destination": recipients[i % len(recipients)], "amount": str(amount)})
        )
    batch = batch_create(organization=org, rows=rows, actor="test", name="crash")
    batch_execute(organization=org, batch_id=batch.pk, actor="test")
    return {"batch_id": batch.pk, "wallet": org.wallet_public_key}


def status(batch_id: int) -> dict[str, object]:
    from django.db.models import Count

    from sozu.disbursements.models import Batch, PaymentAttempt, PaymentTransaction, Payout

    batch = Batch.objects.get(pk=batch_id)
    by_status = dict(batch.lines.values_list("status").annotate(n=Count("id")))
    lines = [
        {
            "id": p.pk,
            "destination": p.destination,
            "amount": str(p.amount),
            "status": p.status,
            "tx_hash": p.tx_hash,
            "outer_tx_hash": p.outer_tx_hash,
            "failure_code": p.failure_code,
        }
        for p in Payout.objects.filter(batch=batch).order_by("pk")
    ]
    paid_attempts = PaymentAttempt.objects.filter(payout__batch=batch, outcome="paid").count()
    live = PaymentAttempt.objects.filter(payout__batch=batch, live=True).count()
    txs = dict(PaymentTransaction.objects.values_list("status").annotate(n=Count("id")))
    unknown = PaymentTransaction.objects.filter(outcome_ever_unknown=True).count()
    return {
        "batch_status": batch.status,
        "by_status": by_status,
        "lines": lines,
        "paid_attempts": paid_attempts,
        "live_attempts": live,
        "transactions": txs,
        "unknown_outcomes": unknown,
    }


def act(action: str, batch_id: int) -> dict[str, object]:
    """cancel / resume / retry the batch as its organization would: the answer or the refusal."""
    from sozu.disbursements.models import Batch
    from sozu.disbursements.services import batches
    from sozu.errors import SozuError

    batch = Batch.objects.get(pk=batch_id)
    service = {
        "cancel": batches.batch_cancel,
        "resume": batches.batch_resume,
        "retry": batches.batch_retry_failed,
    }[action]
    try:
        done = service(organization=batch.organization, batch_id=batch_id, actor="test")
    except SozuError as exc:
        return {"refused": exc.code}
    done.refresh_from_db()
    return {"status": done.status, "pause_code": done.pause_code}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--lines", type=int, required=True)
    s.add_argument("--recipients", required=True)
    s.add_argument("--usdc", default="100000")
    s.add_argument("--channels", type=int, default=12)
    st = sub.add_parser("status")
    st.add_argument("batch_id", type=int)
    for action in ("cancel", "resume", "retry"):
        sub.add_parser(action).add_argument("batch_id", type=int)
    args = parser.parse_args()
    _django()
    if args.cmd == "setup":
        out = setup(args.lines, args.recipients.split(","), Decimal(args.usdc), args.channels)
    elif args.cmd == "status":
        out = status(args.batch_id)
    else:
        out = act(args.cmd, args.batch_id)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
