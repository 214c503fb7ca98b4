"""Benchmark: server time of the dashboard's main pages for a large organization.

    .venv/bin/python benchmarks/dashboard.py [--databases sqlite,postgres]
        [--postgres postgres://postgres@127.0.0.1:5432] [--requests 30]

Builds one organization with 20,000 beneficiaries, 200,000 payouts in 2,000 batches (one of
them with 10,000 lines) plus single payouts, and 200,000 audit events, by bulk inserts into the
real models (the audit rows continue the organization's hash chain, so `sozu audit verify`
passes). Then a signed-in owner asks for Inicio, Beneficiarias, the 10,000-line batch, Pagos
and Auditoría through Django's test Client (the whole request: middleware, session, views,
templates), `--warmup` times untimed and `--requests` times timed, and reports p50/p95 in ms.

Each database runs in its own process: a new SQLite file in a temporary directory, or a new
PostgreSQL database `sozu_dashbench_<pid>` made on the `--postgres` server and dropped after.
Inicio reads the wallet's and channels' balances from Horizon: the benchmark starts the local
network (`sozu localnet`, in its own process) and funds the organization's wallet and three
channel accounts there, so those reads are real local HTTP round trips.

`--profile` prints, per page, its queries with their time (and EXPLAIN with `--explain`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

#: The organization of the full-size run (the issue's figures).
FULL = {
    "beneficiaries": 20_000,
    "payouts": 200_000,
    "batches": 2_000,
    "big_batch_lines": 10_000,
    "audit_events": 200_000,
}
PAGES = ("inicio", "beneficiarias", "lote_10000", "pagos", "auditoria")
CHUNK = 5_000


@dataclass(frozen=True)
class Built:
    organization_id: int
    user_id: int
    big_batch_id: int
    counts: dict[str, int]


@contextlib.contextmanager
def _own_timestamps(*models: Any) -> Iterator[None]:
    """Let bulk rows carry their own created_at/updated_at (auto_now fields off meanwhile)."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add


def _address(rng: random.Random) -> str:
    from stellar_sdk import StrKey

    return str(StrKey.encode_ed25519_public_key(rng.randbytes(32)))


def _hash(rng: random.Random) -> str:
    return rng.randbytes(32).hex()


def build(
    *,
    beneficiaries: int,
    payouts: int,
    batches: int,
    big_batch_lines: int,
    audit_events: int,
    now: dt.datetime,
    slug: str = "dashbench",
    seed: int = 11,
    wallet: str = "",
    channels: tuple[str, ...] = (),
) -> Built:
    """One organization of the given size, bulk-inserted into the real models.

    `payouts` counts every payout: the big batch's lines, the other batches' lines (about
    nine in ten of the rest) and single payouts. Most are paid over the last 120 days; a few
    failed; the big batch is executing (paid, failed, in flight, queued lines), two other
    batches are executing or paused, the newest are validated. Beneficiaries are mostly
    approved. The audit events continue the organization's hash chain.
    """
    from django.db import transaction
    from stellar_sdk import Keypair

    from sozu.audit.models import AuditEvent, ChainHead
    from sozu.audit.services import Entry, _digest
    from sozu.beneficiaries.models import Beneficiary
    from sozu.disbursements.models import Batch, ChannelAccount, Payout
    from sozu.orgs.models import Organization
    from sozu.orgs.services import staff_membership_create

    assert big_batch_lines <= payouts and batches >= 1
    rng = random.Random(seed)
    start = now - dt.timedelta(days=120)
    span = (now - start).total_seconds()

    def moment(frac: float) -> dt.datetime:
        return start + dt.timedelta(seconds=span * frac)

    org = Organization.objects.create(
        slug=slug,
        name="Asociación de Benchmark",
        wallet_public_key=wallet or Keypair.random().public_key,
        ready=True,
    )
    for key in channels:
        ChannelAccount.objects.create(organization=org, public_key=key, next_sequence=0)
    membership, _ = staff_membership_create(
        organization=org,
        email=f"owner@{slug}.example.org",
        role="owner",
        actor="bench",
        password="una-clave-larga-de-benchmark-2026",  # noqa: S106 (a throwaway database)
    )
    user_id = membership.user_id
    actor = f"user:{user_id}"

    with transaction.atomic(), _own_timestamps(Beneficiary, Batch, Payout):
        # --- beneficiaries ------------------------------------------------------------------
        first = ["María", "Ana", "Rosa", "Lucía", "Carmen", "Elena", "Sofía", "Juana", "Inés"]
        last = ["Quispe", "Mamani", "Flores", "Cruz", "Gómez", "Vargas", "Choque", "López"]
        b_rows = []
        for i in range(beneficiaries):
            dni = f"{20_000_000 + i:08d}"
            status = rng.choices(["approved", "applied", "rejected", "inactive"], [85, 8, 4, 3])[0]
            b_rows.append(
                Beneficiary(
                    organization=org,
                    full_name=f"{rng.choice(first)} {rng.choice(last)} {i:05d}",
                    stellar_address=_address(rng),
                    phone=f"+54938755{i:05d}",
                    national_id=dni,
                    identity_key=f"dni:{dni}",
                    locality=rng.choice(["Salta", "Jujuy", "Tartagal", "Orán", "Cafayate"]),
                    activity=rng.choice(["Tejido", "Panadería", "Huerta", "Costura"]),
                    status=status,
                    ready_to_receive=status == "approved",
                    created_at=moment(i / max(beneficiaries, 1) * 0.5),
                )
            )
        Beneficiary.objects.bulk_create(b_rows, batch_size=CHUNK)
        people = list(
            Beneficiary.objects.filter(organization=org).values_list("pk", "stellar_address")
        )

        # --- batches: the oldest first; the big one is executing -----------------------------
        batch_rows = []
        for i in range(batches):
            created = moment(0.1 + 0.9 * i / batches)
            status = "completed" if rng.random() < 0.9 else "partially_paid"
            batch_rows.append(
                Batch(
                    organization=org,
                    name=f"Lote {i + 1}",
                    status=status,
                    created_by=actor,
                    prepared_by=actor,
                    created_at=created,
                    submitted_at=created,
                    started_at=created + dt.timedelta(minutes=5),
                    finished_at=created + dt.timedelta(minutes=15),
                )
            )
        live = {batches - 1: "executing", batches - 2: "paused", batches - 3: "validated"}
        for i, status in live.items():
            if i >= 0:
                batch_rows[i].status = status
                batch_rows[i].finished_at = None
                if status == "paused":
                    batch_rows[i].pause_code = "org_underfunded"
                if status == "validated":
                    batch_rows[i].started_at = None
        big = batch_rows[-1]
        big.name = f"Lote grande ({big_batch_lines} líneas)"
        Batch.objects.bulk_create(batch_rows, batch_size=CHUNK)
        batch_objs = list(Batch.objects.filter(organization=org).order_by("created_at", "pk"))
        big = batch_objs[-1]

        # --- payouts: the big batch, the other batches' lines, single payouts ----------------
        rest = payouts - big_batch_lines
        singles = rest // 10 if batches > 1 else rest
        per_batch = [0] * len(batch_objs)
        per_batch[-1] = big_batch_lines
        for k in range(rest - singles):
            per_batch[k % max(len(batch_objs) - 1, 1)] += 1
        if len(batch_objs) == 1:
            singles = rest
        totals: dict[int, tuple[int, Decimal]] = {}
        p_rows: list[Payout] = []

        def flush() -> None:
            Payout.objects.bulk_create(p_rows, batch_size=CHUNK)
            p_rows.clear()

        def payout(batch: Batch | None, line: int, created: dt.datetime, status: str) -> Payout:
            pk, address = people[rng.randrange(len(people))]
            amount = Decimal(rng.randrange(5_000, 150_000)) / 100
            paid = status in ("paid", "failed")
            return Payout(
                organization=org,
                batch=batch,
                line_number=line,
                beneficiary_id=pk,
                destination=address,
                amount=amount,
                status=status,
                failure_code="destination_no_trustline" if status == "failed" else "",
                tx_hash=_hash(rng) if paid else "",
                ledger=1000 + line if paid else None,
                paid_at=created + dt.timedelta(minutes=10) if status == "paid" else None,
                queued_at=created if status != "validated" else None,
                attempts_count=1 if paid else 0,
                created_by=actor,
                created_at=created,
                updated_at=created + dt.timedelta(minutes=10),
            )

        for b, n in zip(batch_objs, per_batch, strict=True):
            total = Decimal(0)
            for line in range(1, n + 1):
                if b.pk == big.pk:
                    r = line / max(n, 1)
                    status = (
                        "paid"
                        if r <= 0.6
                        else "failed"
                        if r <= 0.62
                        else "in_flight"
                        if r <= 0.65
                        else "queued"
                    )
                    created = now - dt.timedelta(hours=1)
                elif b.status == "validated":
                    status, created = "validated", b.created_at
                elif b.status == "paused":
                    status, created = ("paid" if line % 2 else "queued"), b.created_at
                else:
                    status = "failed" if rng.random() < 0.02 else "paid"
                    created = b.created_at
                p = payout(b, line, created, status)
                total += p.amount
                p_rows.append(p)
                if len(p_rows) >= CHUNK:
                    flush()
            totals[b.pk] = (n, total)
        for i in range(singles):
            created = moment(0.1 + 0.9 * i / max(singles, 1))
            p_rows.append(payout(None, 1, created, "failed" if rng.random() < 0.03 else "paid"))
            if len(p_rows) >= CHUNK:
                flush()
        flush()
        for b in batch_objs:
            n, total = totals[b.pk]
            b.line_count, b.total_amount = n, total
        Batch.objects.bulk_update(batch_objs, ["line_count", "total_amount"], batch_size=CHUNK)

        # --- audit events: the organization's chain, continued -------------------------------
        head, _ = ChainHead.objects.get_or_create(organization=org)
        seq, prev = head.last_seq, head.last_hash
        actions = [
            ("payout.paid", "payout"),
            ("payout.queued", "payout"),
            ("beneficiary.approved", "beneficiary"),
            ("beneficiary.created", "beneficiary"),
            ("batch.created", "batch"),
            ("batch.approved", "batch"),
            ("batch.executed", "batch"),
        ]
        a_rows: list[AuditEvent] = []
        last_stamp = AuditEvent.objects.filter(organization=org).order_by("-seq").first()
        begin = max(start, last_stamp.created_at) if last_stamp else start
        step = (now - begin) / max(audit_events, 1)
        for i in range(audit_events):
            seq += 1
            action, kind = actions[i % len(actions)]
            when = begin + step * i
            data: dict[str, Any] = {"ip": "190.2.3.4", "user_agent": "Mozilla/5.0 (Android)"}
            if kind == "payout":
                data["amount"] = f"{rng.randrange(5, 1500)}.0000000"
            entry = Entry(
                actor=actor,
                action=action,
                object_type=kind,
                object_id=str(rng.randrange(1, 100_000)),
                data=data,
                tx_hash=_hash(rng) if action == "payout.paid" else "",
            )
            digest = _digest(org.pk, seq, when.isoformat(), entry, prev)
            a_rows.append(
                AuditEvent(
                    organization=org,
                    seq=seq,
                    created_at=when,
                    actor=entry.actor,
                    action=entry.action,
                    object_type=entry.object_type,
                    object_id=str(entry.object_id),
                    data=entry.data,
                    tx_hash=entry.tx_hash,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
            if len(a_rows) >= CHUNK:
                AuditEvent.objects.bulk_create(a_rows, batch_size=CHUNK)
                a_rows.clear()
        AuditEvent.objects.bulk_create(a_rows, batch_size=CHUNK)
        ChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev)

    _analyze()
    return Built(
        organization_id=org.pk,
        user_id=user_id,
        big_batch_id=big.pk,
        counts={
            "beneficiaries": Beneficiary.objects.filter(organization=org).count(),
            "payouts": Payout.objects.filter(organization=org).count(),
            "batches": Batch.objects.filter(organization=org).count(),
            "big_batch_lines": Payout.objects.filter(batch=big).count(),
            "audit_events": AuditEvent.objects.filter(organization=org).count(),
        },
    )


def _analyze() -> None:
    """Fresh planner statistics after the bulk load (what autovacuum does soon after one).

    On PostgreSQL a VACUUM too (outside a transaction only): it fills the visibility map that
    index-only scans need, as autovacuum would for tables this size.
    """
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cur.execute("VACUUM ANALYZE")
        else:
            cur.execute("ANALYZE")


def page_urls(built: Built) -> dict[str, str]:
    from django.urls import reverse

    return {
        "inicio": reverse("web:home"),
        "beneficiarias": reverse("beneficiaries:list"),
        "lote_10000": reverse("batches:detail", args=[built.big_batch_id]),
        "pagos": reverse("payouts:list"),
        "auditoria": reverse("audit:events"),
    }


def signed_in_client(built: Built) -> Any:
    """A test Client signed in as the organization's owner, the organization chosen."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from sozu.orgs.permissions import SESSION_ORG_KEY

    client = Client()
    client.force_login(get_user_model().objects.get(pk=built.user_id))
    session = client.session
    session[SESSION_ORG_KEY] = built.organization_id
    session.save()
    return client


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(built: Built, *, requests: int, warmup: int) -> dict[str, dict[str, float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in_client(built)
    result: dict[str, dict[str, float]] = {}
    for name, url in page_urls(built).items():
        for _ in range(warmup):
            assert client.get(url).status_code == 200, (name, url)
        times, cpu = [], []
        for _ in range(requests):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, (name, url, response.status_code)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        result[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(_percentile(times, 0.95), 1),
            "max_ms": round(max(times), 1),
            # CPU of this process only (Django, templates, SQLite; not a PostgreSQL server's):
            # what a shared machine's load does not stretch.
            "cpu_p50_ms": round(statistics.median(cpu), 1),
            "cpu_p95_ms": round(_percentile(cpu, 0.95), 1),
            "queries": len(ctx.captured_queries),
        }
    return result


def profile(built: Built, *, explain: bool) -> None:
    """Each page's queries, slowest first (and their plans)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in_client(built)
    for name, url in page_urls(built).items():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))
        total = sum(float(q["time"]) for q in queries) * 1000
        print(f"== {name} {url}: {len(queries)} queries, {total:.1f} ms in the database")
        for q in queries[:6]:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")
            if explain and float(q["time"]) > 0.005:
                prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                with connection.cursor() as cur:
                    cur.execute(prefix + q["sql"])
                    for row in cur.fetchall():
                        print("        ", " ".join(str(c) for c in row))


def run_here(args: argparse.Namespace) -> dict[str, Any]:
    """In the child process: migrate, build, measure (DATABASE_URL says where)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    sizes = {k: getattr(args, k) for k in FULL}
    keys = args.accounts.split(",") if args.accounts else []
    t0 = time.monotonic()
    built = build(
        **sizes, now=timezone.now(), wallet=keys[0] if keys else "", channels=tuple(keys[1:])
    )
    build_seconds = time.monotonic() - t0
    if args.profile:
        profile(built, explain=args.explain)
    from django.db import connection

    return {
        "database": connection.vendor,
        "counts": built.counts,
        "build_seconds": round(build_seconds, 1),
        "pages": measure(built, requests=args.requests, warmup=args.warmup),
    }


def _pg(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run_child(args: argparse.Namespace, database: str, work: Path, net: Any) -> dict[str, Any]:
    from stellar_sdk import Keypair

    keys = [Keypair.random().public_key for _ in range(4)]  # the wallet and three channels
    for key in keys:
        net.fund(key, xlm="50", usdc="100000" if key == keys[0] else "0")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sozu.settings",
        "SOZU_VAR_DIR": str(work / "var"),
        "SOZU_CACHE_DIR": str(work / "cache"),
        "SOZU_MASTER_KEY": "benchmark-master-key-not-secret",
        "SOZU_LOG_LEVEL": "WARNING",
        "HORIZON_URL": net.url,
        "NETWORK_PASSPHRASE": net.passphrase,
        "USDC_ISSUER": net.usdc_issuer,
    }
    pg_name = f"sozu_dashbench_{os.getpid()}"
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        _pg(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        _pg(args.postgres, f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = args.postgres.rstrip("/") + "/" + pg_name
    argv = [sys.executable, __file__, "--child", "--requests", str(args.requests)]
    argv += ["--warmup", str(args.warmup), "--accounts", ",".join(keys)]
    for k in FULL:
        argv += [f"--{k.replace('_', '-')}", str(getattr(args, k))]
    if args.profile:
        argv.append("--profile")
    if args.explain:
        argv.append("--explain")
    try:
        out = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
    finally:
        if database == "postgres":
            _pg(args.postgres, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    if out.returncode:
        raise SystemExit(f"{database} failed:\n{out.stderr[-4000:]}")
    lines = out.stdout.strip().splitlines()
    if args.profile:
        print("\n".join(lines[:-1]))
    return dict(json.loads(lines[-1]))


def table(reports: list[dict[str, Any]]) -> str:
    rows = [
        "| page | database | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms | queries |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for page in PAGES:
        for r in reports:
            m = r["pages"][page]
            rows.append(
                f"| {page} | {r['database']} | {m['p50_ms']} | {m['p95_ms']} | {m['max_ms']} "
                f"| {m['cpu_p50_ms']} | {m['cpu_p95_ms']} | {m['queries']} |"
            )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    for k, v in FULL.items():
        parser.add_argument(f"--{k.replace('_', '-')}", type=int, default=v)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--accounts", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_here(args)))
        return
    from tests.localnet_process import LocalNet, free_port

    reports = []
    work = Path(tempfile.mkdtemp(prefix="sozu-dashbench-"))
    (work / "net").mkdir()
    net = LocalNet(data_dir=work / "net", port=free_port(), close_seconds=1.0)
    try:
        net.start()
        for database in args.databases.split(","):
            reports.append(run_child(args, database.strip(), work / database.strip(), net))
            r = reports[-1]
            built = f"{r['counts']} built in {r['build_seconds']} s"
            print(f"{r['database']}: {built}", file=sys.stderr)
    finally:
        net.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(table(reports))
    print(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
