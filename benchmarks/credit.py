"""Benchmark: the credit portfolio's indicators and arrears report over 100,000 loans.

    .venv/bin/python benchmarks/credit.py [--loans 100000] [--repayments 2000000]
        [--postgres postgres://postgres@127.0.0.1:5432] [--database sozu_bench_credit] [--keep]

Builds (not timed, but reported) one organization with `--loans` loans, their schedules and
exactly `--repayments` repayments in a PostgreSQL database of its own (dropped at the end
unless --keep), with PostgreSQL COPY. The derived per-loan state (LoanState) is built in bulk
too: loans are drawn from a few hundred templates (product, amount, day paid out, repayment
behaviour), each template's state is computed once with the real `allocation.allocate` and
`services.portfolio.state_fields`, and copied to every loan of the template (a sample of loans
is then recomputed one by one and compared). Then each measurement runs in a fresh process
(so that its peak RSS is its own): the indicators (`credit.portfolio.indicators`), the arrears
page's queries, the arrears report as CSV, XLSX and PDF, and the daily refresh of 2,000 loans.
Prints JSON; the figures are in benchmarks/README.md under "Credit: portfolio".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

AS_OF = dt.date(2026, 6, 30)
OFFICERS = [f"user:{i}:oficial{i}@ong.org" for i in range(1, 13)]
PAYMENTS_PER_LOAN = 20
#: Behaviours and their share of loans; each one makes exactly PAYMENTS_PER_LOAN payments.
BEHAVIOURS = (("current", 60), ("paid_off", 22), ("late", 9), ("partial", 5), ("stopped", 4))


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sozu.settings")
    import django

    django.setup()


@dataclass(frozen=True)
class Template:
    product: int  # index into the products
    behaviour: str
    amount: int
    days_ago: int
    lateness: int


def _template(rnd: random.Random) -> Template:
    behaviour = rnd.choices([b for b, _ in BEHAVIOURS], weights=[w for _, w in BEHAVIOURS])[0]
    days = {
        "current": rnd.randint(141, 147),  # 20 weekly cuotas due, all paid on time
        "paid_off": rnd.randint(150, 400),
        "late": rnd.randint(160, 175),
        "partial": rnd.randint(150, 200),
        "stopped": rnd.randint(200, 400),
    }[behaviour]
    return Template(
        product=rnd.randrange(3),
        behaviour=behaviour,
        amount=rnd.choice([200, 350, 500, 800, 1200]),
        days_ago=days,
        lateness=rnd.choice([3, 5, 8, 12]),
    )


def _payments(t: Template, cuotas: Sequence[Any]) -> list[tuple[dt.date, Decimal]]:
    """Exactly PAYMENTS_PER_LOAN (day, amount) for a template's schedule."""
    cents = Decimal("0.01")
    if t.behaviour in ("current", "paid_off"):
        return [(c.due_date, c.total) for c in cuotas[:PAYMENTS_PER_LOAN]]
    if t.behaviour == "late":
        return [
            (c.due_date + dt.timedelta(days=t.lateness), c.total + 5)
            for c in cuotas[:PAYMENTS_PER_LOAN]
        ]
    if t.behaviour == "partial":
        return [
            (c.due_date, (c.total * Decimal("0.7")).quantize(cents))
            for c in cuotas[:PAYMENTS_PER_LOAN]
        ]
    # stopped: the first ten cuotas, each in two halves (on the due date and a week later)
    out = []
    for c in cuotas[:10]:
        half = (c.total / 2).quantize(cents)
        out += [(c.due_date, half), (c.due_date + dt.timedelta(days=7), c.total - half)]
    return out


class Writer:
    """Rows into a table: COPY on PostgreSQL, executemany elsewhere (the smoke test)."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection

    def write(self, model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        from sozu.fields import MoneyField, decimal_to_stroops

        table = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        money = [i for i, c in enumerate(columns) if isinstance(by_column[c], MoneyField)]

        def stored(row: Sequence[Any]) -> Sequence[Any]:
            if not money:
                return row
            out = list(row)
            for i in money:
                if out[i] is not None:
                    out[i] = decimal_to_stroops(out[i])
            return out

        rows = (stored(r) for r in rows)
        count = 0
        # Table and column names come from the models, never from input.
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                raw = cursor.cursor
                cols = ", ".join(f'"{c}"' for c in columns)
                with raw.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(columns))
                cols = ", ".join(f'"{c}"' for c in columns)
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append([str(v) if isinstance(v, Decimal) else v for v in row])
                    count += 1
                    if len(batch) >= 5000:
                        cursor.executemany(
                            f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',  # noqa: S608
                            batch,
                        )
                        batch = []
                if batch:
                    cursor.executemany(
                        f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',  # noqa: S608
                        batch,
                    )
        return count


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequences(models: Sequence[Any]) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    sql = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def build(
    *, loans: int, repayments: int, as_of: dt.date = AS_OF, seed: int = 7, templates: int = 400
) -> dict[str, Any]:
    """One organization with `loans` loans and exactly `repayments` repayments (a multiple
    of 20 per loan is not required: the last loans take fewer). Returns what was built."""
    from django.db import transaction
    from stellar_sdk import Keypair

    from sozu.beneficiaries.models import Beneficiary
    from sozu.credit.allocation import CuotaDue, Payment, allocate
    from sozu.credit.models import Cuota, Loan, LoanProduct, LoanState, Repayment
    from sozu.credit.services.loans import loan_schedule_for
    from sozu.credit.services.portfolio import STATE_FIELDS, state_fields
    from sozu.orgs.models import Organization

    started = time.monotonic()
    rnd = random.Random(seed)
    now = dt.datetime.combine(as_of, dt.time(12), tzinfo=dt.UTC)
    slug = f"bench-credit-{seed}-{rnd.randrange(10**6)}"
    org = Organization.objects.create(
        slug=slug, name="Benchmark NGO", wallet_public_key=Keypair.random().public_key, ready=True
    )
    products = [
        LoanProduct.objects.create(
            organization=org,
            name=name,
            min_amount=Decimal("100"),
            max_amount=Decimal("5000"),
            min_cuotas=20,
            max_cuotas=24,
            frequency="weekly",
            system=system,
            tna=Decimal(tna),
            iva=Decimal("21"),
            late_tna=Decimal("73"),
            grace_days=3,
            created_by="bench",
        )
        for name, system, tna in (
            ("Microcrédito semanal", "french", "60"),
            ("Capital de trabajo", "german", "55"),
            ("Grupo solidario", "flat", "45"),
        )
    ]
    # Templates: schedule, payments and state computed once each with the real code.
    pool = [_template(rnd) for _ in range(templates)]
    computed: dict[Template, tuple[list[Any], list[tuple[dt.date, Decimal]], dict[str, Any]]] = {}
    for t in pool:
        if t in computed:
            continue
        p = products[t.product]
        disbursed = as_of - dt.timedelta(days=t.days_ago)
        n = 20 if t.behaviour == "paid_off" else 24
        terms = Loan(
            amount=Decimal(t.amount),
            cuotas=n,
            frequency=p.frequency,
            system=p.system,
            tna=p.tna,
            iva=p.iva,
            origination_fee=p.origination_fee,
            insurance=p.insurance,
        )
        rows = loan_schedule_for(terms, disbursed).rows
        pays = [(d, a) for d, a in _payments(t, rows) if d <= as_of]
        position = allocate(
            cuotas=[
                CuotaDue(r.number, r.due_date, r.capital, r.interest, r.iva, r.fees) for r in rows
            ],
            payments=[Payment(i, d, a) for i, (d, a) in enumerate(pays)],
            as_of=as_of,
            late_tna=p.late_tna,
            iva=p.iva,
            grace_days=p.grace_days,
        )
        fields = state_fields(
            position=position,
            payments=[Payment(i, d, a) for i, (d, a) in enumerate(pays)],
            organization_id=org.pk,
        )
        computed[t] = (rows, pays, fields)
    assignment = [pool[rnd.randrange(len(pool))] for _ in range(loans)]
    # Exactly `repayments` payments: trim or pad the per-loan lists (padding adds small
    # payments on the last day paid, which the state then accounts for: recomputed below).
    per_loan = [len(computed[t][1]) for t in assignment]
    missing = repayments - sum(per_loan)
    extra: dict[int, int] = {}
    i = 0
    while missing > 0 and loans:
        extra[i % loans] = extra.get(i % loans, 0) + 1
        missing -= 1
        i += 1
    trim: dict[int, int] = {}
    i = loans - 1
    while missing < 0 and loans:
        take = min(-missing, per_loan[i])
        trim[i] = take
        missing += take
        i -= 1
    writer = Writer()
    loan0 = _next_id(Loan)
    ben0 = _next_id(Beneficiary)
    rep0 = _next_id(Repayment)
    loan_columns = [
        "id",
        "organization_id",
        "beneficiary_id",
        "product_id",
        "amount",
        "cuotas",
        "currency",
        "frequency",
        "system",
        "tna",
        "iva",
        "origination_fee",
        "insurance",
        "late_tna",
        "grace_days",
        "status",
        "status_changed_at",
        "prepared_by",
        "approved_by",
        "approved_at",
        "payout_amount",
        "exchange_rate_source",
        "disbursed_on",
        "created_at",
        # Columns without a database default (the loan pages' prepayment and write-off).
        "prepayment",
        "write_off_requested_by",
        "write_off_reason",
    ]
    special: set[int] = set(extra) | set(trim)
    with transaction.atomic():
        writer.write(
            Beneficiary,
            [
                "id",
                "organization_id",
                "full_name",
                "stellar_address",
                "email",
                "phone",
                "national_id",
                "identity_key",
                "locality",
                "activity",
                "notes",
                "status",
                "rejection_reason",
                "readiness_code",
                "created_at",
            ],
            (
                (
                    ben0 + k,
                    org.pk,
                    f"Emprendedora {k}",
                    f"G{k:055d}",
                    "",
                    f"+54938{k:07d}",
                    f"{20000000 + k}",
                    "",
                    rnd.choice(["Salta", "Jujuy", "Tucumán", "Orán"]),
                    "",
                    "",
                    "approved",
                    "",
                    "",
                    now,
                )
                for k in range(loans)
            ),
        )

        def status_of(k: int, t: Template) -> str:
            if k in special:
                return "active"
            if t.behaviour == "stopped" and k % 25 == 0:
                return "written_off"
            return "paid_off" if computed[t][2]["paid_off"] else "active"

        def loan_rows() -> Iterable[Sequence[Any]]:
            for k, t in enumerate(assignment):
                p = products[t.product]
                status = status_of(k, t)
                yield (
                    loan0 + k,
                    org.pk,
                    ben0 + k,
                    p.pk,
                    Decimal(t.amount),
                    len(computed[t][0]),
                    "USDC",
                    p.frequency,
                    p.system,
                    p.tna,
                    p.iva,
                    p.origination_fee,
                    p.insurance,
                    p.late_tna,
                    p.grace_days,
                    status,
                    now,
                    OFFICERS[k % len(OFFICERS)],
                    "bench-approver",
                    now,
                    Decimal(t.amount),
                    "",
                    as_of - dt.timedelta(days=t.days_ago),
                    now,
                    p.prepayment,
                    "",
                    "",
                )

        writer.write(Loan, loan_columns, loan_rows())
        cuota_count = writer.write(
            Cuota,
            [
                "loan_id",
                "number",
                "due_date",
                "nominal_date",
                "capital",
                "interest",
                "iva",
                "fees",
                "total",
                "balance",
                "kind",
            ],
            (
                (
                    loan0 + k,
                    r.number,
                    r.due_date,
                    r.nominal_date,
                    r.capital,
                    r.interest,
                    r.iva,
                    r.fees,
                    r.total,
                    r.balance,
                    Cuota.Kind.CUOTA,
                )
                for k, t in enumerate(assignment)
                for r in computed[t][0]
            ),
        )

        def repayment_rows() -> Iterable[Sequence[Any]]:
            rid = rep0
            for k, t in enumerate(assignment):
                pays = computed[t][1]
                if k in trim:
                    pays = pays[: len(pays) - trim[k]]
                if k in extra:
                    last = pays[-1][0] if pays else as_of
                    pays = pays + [(last, Decimal("1.00"))] * extra[k]
                for day, amount in pays:
                    yield (
                        rid,
                        org.pk,
                        loan0 + k,
                        "payment",
                        amount,
                        day,
                        "cash",
                        f"R-{rid}",
                        "",
                        "",
                        "",
                        "bench",
                        now,
                    )
                    rid += 1

        repayment_count = writer.write(
            Repayment,
            [
                "id",
                "organization_id",
                "loan_id",
                "kind",
                "amount",
                "received_on",
                "method",
                "reference",
                "operation_id",
                "reason",
                "exchange_rate_source",
                "created_by",
                "created_at",
            ],
            repayment_rows(),
        )
        writer.write(
            LoanState,
            [
                "loan_id",
                *STATE_FIELDS,
                "status",
                "product_id",
                "officer",
                "beneficiary_id",
                "refreshed_at",
            ],
            (
                (
                    loan0 + k,
                    *[computed[t][2][f] for f in STATE_FIELDS],
                    status_of(k, t),
                    products[t.product].pk,
                    OFFICERS[k % len(OFFICERS)],
                    ben0 + k,
                    now,
                )
                for k, t in enumerate(assignment)
                if k not in special and status_of(k, t) != "written_off"
            ),
        )
        _reset_sequences([Beneficiary, Loan, Repayment])
    # Loans whose payments were padded or trimmed, and written-off ones, get their state from
    # the real refresh (a few hundred at most).
    from sozu.credit.services.portfolio import loan_states_refresh, portfolio_flows_rebuild

    written_off = list(
        Loan.objects.filter(organization=org, status="written_off").values_list("pk", flat=True)
    )
    refreshed = loan_states_refresh(
        as_of=as_of, everything=True, loan_ids=[loan0 + k for k in special] + written_off
    )
    flows = portfolio_flows_rebuild(organization_id=org.pk)
    _analyze()
    return {
        "organization_id": org.pk,
        "loans": loans,
        "cuotas": cuota_count,
        "repayments": repayment_count,
        "templates": len(computed),
        "refreshed_individually": refreshed,
        "flow_rows": flows,
        "build_seconds": round(time.monotonic() - started, 1),
    }


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def verify_sample(*, organization_id: int, as_of: dt.date = AS_OF, size: int = 200) -> int:
    """Recompute a sample of loans one by one: the bulk-built state must equal it."""
    from sozu.credit.models import Loan, LoanState
    from sozu.credit.selectors import loan_payments, loan_position
    from sozu.credit.services.portfolio import STATE_FIELDS, state_fields

    ids = list(
        Loan.objects.filter(organization_id=organization_id, status="active")
        .order_by("?")
        .values_list("pk", flat=True)[:size]
    )
    for loan in Loan.objects.filter(pk__in=ids):
        expected = state_fields(
            position=loan_position(loan=loan, as_of=as_of),
            payments=loan_payments(loan=loan),
            organization_id=organization_id,
        )
        state = LoanState.objects.get(loan=loan)
        got = {f: getattr(state, f) for f in STATE_FIELDS}
        if got != expected:
            raise AssertionError(f"loan {loan.pk}: {got} != {expected}")
    return len(ids)


# --- measurements, each in its own process ---------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(what: str, organization_id: int, as_of: dt.date = AS_OF) -> dict[str, Any]:
    import tempfile

    from django.db import connection
    from django.db.models import Count

    from sozu.credit.exports_portfolio import arrears_csv, arrears_pdf, arrears_xlsx
    from sozu.credit.portfolio import (
        BUCKET_LABELS,
        arrears_queryset,
        arrears_rows,
        bucket_range,
        follow_up_summaries,
        indicators,
    )
    from sozu.credit.services.portfolio import loan_states_refresh

    connection.ensure_connection()
    base = _rss_mb()
    started = time.perf_counter()
    result: dict[str, Any] = {}
    if what == "indicators":
        ind = indicators(
            organization_id=organization_id,
            date_from=as_of - dt.timedelta(days=365),
            date_to=as_of,
            as_of=as_of,
        )
        t = ind.total
        result = {
            "gross_portfolio": str(t.gross),
            "active_loans": t.active_loans,
            "par1": str(t.par[1]),
            "par30": str(t.par[30]),
            "par90": str(t.par[90]),
            "collection_rate": str(t.collection_rate),
        }
    elif what == "arrears_page":
        qs = arrears_queryset(organization_id=organization_id, as_of=as_of)
        count = qs.count()
        page = list(qs.select_related("loan__beneficiary", "loan__product")[:50])
        qs.aggregate(**{k: Count("pk", filter=bucket_range(k, as_of)) for k in BUCKET_LABELS})
        follow_up_summaries(loan_ids=[s.loan_id for s in page], today=as_of)
        result = {"in_arrears": count}
    elif what == "csv":
        size = 0
        lines = 0
        for line in arrears_csv(arrears_rows(organization_id=organization_id, as_of=as_of)):
            size += len(line)
            lines += 1
        result = {"rows": lines - 1, "bytes": size}
    elif what == "xlsx":
        with tempfile.TemporaryFile() as out:
            arrears_xlsx(arrears_rows(organization_id=organization_id, as_of=as_of), out)
            result = {"bytes": out.seek(0, 2)}
    elif what == "pdf":
        body = arrears_pdf(
            arrears_rows(organization_id=organization_id, as_of=as_of), title="Mora", as_of=as_of
        )
        result = {"bytes": len(body)}
    elif what == "refresh_2000":
        from sozu.credit.models import LoanState

        ids = list(
            LoanState.objects.filter(organization_id=organization_id, loan__status="active")
            .order_by("loan_id")
            .values_list("loan_id", flat=True)[:2000]
        )
        started = time.perf_counter()
        result = {"loans": loan_states_refresh(as_of=as_of, everything=True, loan_ids=ids)}
    else:
        raise SystemExit(f"unknown measurement {what}")
    seconds = time.perf_counter() - started
    return {
        "what": what,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_mb": round(base, 1),
        **result,
    }


MEASUREMENTS = ("indicators", "arrears_page", "csv", "xlsx", "pdf", "refresh_2000")


def _pg(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--repayments", type=int, default=2_000_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sozu_bench_credit")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--org", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-build", action="store_true", help="reuse a kept database")
    args = parser.parse_args()
    db_url = f"{args.postgres.rstrip('/')}/{args.database}"
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("SOZU_LOG_LEVEL", "WARNING")
    os.environ.setdefault("SOZU_CACHE_DIR", "/tmp/cache_bench_credit")
    if args.measure:
        _django()
        print(json.dumps(measure(args.measure, args.org)))
        return
    report: dict[str, Any] = {"database": "postgresql", "as_of": AS_OF.isoformat()}
    if not args.skip_build:
        _pg(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        _pg(args.postgres, f'CREATE DATABASE "{args.database}"')
    try:
        _django()
        from django.core.management import call_command

        if not args.skip_build:
            call_command("migrate", verbosity=0)
            report["built"] = build(loans=args.loans, repayments=args.repayments)
            report["verified_sample"] = verify_sample(
                organization_id=report["built"]["organization_id"]
            )
            org_id = report["built"]["organization_id"]
        else:
            from sozu.orgs.models import Organization

            org_id = Organization.objects.filter(slug__startswith="bench-credit").values_list(
                "pk", flat=True
            )[0]
        from django.db import connections

        connections.close_all()
        report["measured"] = []
        for what in MEASUREMENTS:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    what,
                    "--org",
                    str(org_id),
                    "--postgres",
                    args.postgres,
                    "--database",
                    args.database,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            report["measured"].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(report["measured"][-1]), file=sys.stderr)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _pg(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
