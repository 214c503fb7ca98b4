"""Benchmark: execute a 10,000-line batch on the local network (5 s ledgers, 1,000 ops each).

    .venv/bin/python benchmarks/disbursement.py [--lines 10000] [--baseline-lines 100]

Reports ledgers used, wall time, backend CPU per line and peak memory of the process that
executes the batch (the local network runs in its own process and is not counted), and the
same figures for the one-payment-per-transaction baseline, extrapolated to the same size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.localnet_process import LocalNet, free_port  # noqa: E402


def _env(net: LocalNet, db_url: str, var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "HORIZON_URL": net.url,
        "NETWORK_PASSPHRASE": net.passphrase,
        "USDC_ISSUER": net.usdc_issuer,
        "SOZU_MASTER_KEY": "benchmark",
        "SOZU_VAR_DIR": str(var),
        "SOZU_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "sozu.settings",
    }


def _django() -> None:
    import django

    django.setup()


def phase_setup(lines: int, recipients: int, baseline_lines: int) -> dict[str, object]:
    """Org, recipients (created in 100-op transactions), the batch, the baseline payouts."""
    _django()
    from django.core.management import call_command
    from stellar_sdk import Asset, Keypair
    from stellar_sdk.operation import ChangeTrust, CreateAccount

    from sozu.disbursements.services.batches import batch_create
    from sozu.orgs.services import organization_create, wallet_keypair
    from sozu.stellar import network
    from sozu.stellar.transactions import build_setup

    call_command("migrate", verbosity=0)
    org = organization_create(
        slug="bench",
        name="Benchmark NGO",
        actor="bench",
        fund_usdc=Decimal(lines * 2 + baseline_lines * 2),
        channels=12,
    )
    funder = wallet_keypair(org)
    usdc = Asset("USDC", os.environ["USDC_ISSUER"])
    keys = [Keypair.random() for _ in range(recipients)]
    for i in range(0, len(keys), 19):
        # At most 20 signatures per transaction: the funder and 19 new accounts.
        chunk = keys[i : i + 19]
        ops: list[object] = [CreateAccount(k.public_key, "2") for k in chunk]
        ops += [ChangeTrust(usdc, source=k.public_key) for k in chunk]
        seq = network.client().account(funder.public_key).sequence + 1  # type: ignore[union-attr]
        xdr = build_setup(
            passphrase=os.environ["NETWORK_PASSPHRASE"],
            source=funder,
            sequence=seq,
            operations=ops,
            extra_signers=chunk,
        )
        outcome = network.client().submit(xdr, "")
        assert outcome.verdict.value == "paid", outcome
    rows = [
        (
            n + 2,
            {
                "destination": keys[n % recipients].public_key,
                "amount": str(Decimal(1) + Decimal(n) / Decimal(10_000_000)),
            },
        )
        for n in range(lines)
    ]
    batch = batch_create(organization=org, rows=rows, actor="bench", name="bench")
    return {"batch_id": batch.pk, "recipients": [k.public_key for k in keys[:baseline_lines]]}


def phase_execute(batch_id: int) -> dict[str, object]:
    _django()
    from django.db.models import Max, Min

    from sozu.disbursements.models import Batch, PaymentTransaction
    from sozu.disbursements.services.batches import batch_execute
    from sozu.disbursements.worker import Worker
    from sozu.orgs.models import Organization

    org = Organization.objects.get(slug="bench")
    cpu0 = time.process_time()
    t0 = time.monotonic()
    batch_execute(organization=org, batch_id=batch_id, actor="bench")
    Worker("bench", threads=16).run(until_idle=True)
    wall = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    batch = Batch.objects.get(pk=batch_id)
    txs = PaymentTransaction.objects.filter(status="succeeded")
    span = txs.aggregate(lo=Min("ledger"), hi=Max("ledger"))
    return {
        "status": batch.status,
        "lines": batch.line_count,
        "paid": batch.lines.filter(status="paid").count(),
        "transactions": txs.count(),
        "ledgers_used": len(set(txs.values_list("ledger", flat=True))),
        "ledger_span": (span["hi"] or 0) - (span["lo"] or 0) + 1,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 3),
        "cpu_ms_per_line": round(cpu * 1000 / max(batch.line_count, 1), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def phase_baseline(recipients: list[str]) -> dict[str, object]:
    """One payment per transaction from the org wallet, in series (what a naive payer does)."""
    _django()
    from stellar_sdk import Asset, Server, TransactionBuilder

    from sozu.orgs.models import Organization
    from sozu.orgs.services import wallet_keypair

    org = Organization.objects.get(slug="bench")
    wallet = wallet_keypair(org)
    server = Server(os.environ["HORIZON_URL"])
    usdc = Asset("USDC", os.environ["USDC_ISSUER"])
    ledgers = []
    cpu0, t0 = time.process_time(), time.monotonic()
    account = server.load_account(wallet.public_key)
    for dest in recipients:
        tx = (
            TransactionBuilder(account, os.environ["NETWORK_PASSPHRASE"], 100)
            .append_payment_op(dest, usdc, "1")
            .set_timeout(120)
            .build()
        )
        tx.sign(wallet)
        ledgers.append(server.submit_transaction(tx, skip_memo_required_check=True)["ledger"])
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    n = len(recipients)
    return {
        "lines": n,
        "ledgers_used": len(set(ledgers)),
        "wall_seconds": round(wall, 2),
        "cpu_ms_per_line": round(cpu * 1000 / n, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _child(env: dict[str, str], *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode:
        raise SystemExit(f"{args[0]} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--baseline-lines", type=int, default=100)
    parser.add_argument("--close-seconds", type=float, default=5.0)
    parser.add_argument("--max-ops-per-ledger", type=int, default=1000)
    parser.add_argument(
        "--postgres",
        default="",
        help="a PostgreSQL server URL (postgres://user@host:port); a new database is made there",
    )
    parser.add_argument("--phase", choices=["setup", "execute", "baseline"])
    parser.add_argument("--batch-id", type=int)
    parser.add_argument("--baseline-recipients", default="")
    args = parser.parse_args()
    if args.phase == "setup":
        print(json.dumps(phase_setup(args.lines, args.recipients, args.baseline_lines)))
        return
    if args.phase == "execute":
        if os.environ.get("BENCH_PROFILE"):  # write a cProfile of the execution phase
            import cProfile

            with cProfile.Profile() as prof:
                result = phase_execute(args.batch_id)
            prof.dump_stats(os.environ["BENCH_PROFILE"])
            print(json.dumps(result))
        else:
            print(json.dumps(phase_execute(args.batch_id)))
        return
    if args.phase == "baseline":
        print(json.dumps(phase_baseline(args.baseline_recipients.split(","))))
        return

    work = Path(tempfile.mkdtemp(prefix="sozu-bench-"))
    (work / "net").mkdir()
    # Setup runs on fast ledgers; the same ledger then restarts with pubnet-like timing.
    net = LocalNet(
        data_dir=work / "net",
        port=free_port(),
        close_seconds=0.2,
        max_ops_per_ledger=args.max_ops_per_ledger,
    )
    db_url = f"sqlite:///{work / 'bench.sqlite3'}"
    pg_name = f"sozu_bench_{os.getpid()}"
    try:
        net.start()
        if args.postgres:
            _pg(args.postgres, f'CREATE DATABASE "{pg_name}"')
            db_url = args.postgres.rstrip("/") + "/" + pg_name
        report = _measure(args, net, _env(net, db_url, work / "var"))
    finally:
        net.stop()
        if args.postgres:
            _pg(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    report["database"] = db_url.split(":")[0]
    print(json.dumps(report, indent=2))


def _pg(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _measure(args: argparse.Namespace, net: LocalNet, env: dict[str, str]) -> dict[str, object]:
    setup = _child(
        env,
        "--phase",
        "setup",
        "--lines",
        str(args.lines),
        "--recipients",
        str(args.recipients),
        "--baseline-lines",
        str(args.baseline_lines),
    )
    net.stop()
    net.close_seconds = args.close_seconds
    net.start()
    result = _child(env, "--phase", "execute", "--batch-id", str(setup["batch_id"]))
    baseline: dict[str, object] = {}
    if args.baseline_lines:
        recips = setup["recipients"]
        assert isinstance(recips, list)
        baseline = _child(env, "--phase", "baseline", "--baseline-recipients", ",".join(recips))
        lines = int(str(baseline["lines"]))
        baseline["extrapolated_ledgers"] = round(
            int(str(baseline["ledgers_used"])) / lines * args.lines
        )
        baseline["extrapolated_wall_seconds"] = round(
            float(str(baseline["wall_seconds"])) / lines * args.lines
        )
    return {"config": vars(args), "batched": result, "baseline": baseline}


if __name__ == "__main__":
    main()
