"""`sozu batch …`: create a batch from a CSV file, execute it with a progress bar, follow it.

Batch ids are global and the command acts as the platform operator (`cli:<user>`), so only
`create` and `list` take `--org`; every other action shows the organization it touched.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from django.core.management.base import CommandParser
from django.db.models import Count
from django.utils import timezone

from sozu.disbursements.management.progress import Progress, Snapshot, clock_text
from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.selectors import (
    batch_as_dict,
    batch_export_csv,
    batch_lines,
    batch_stats,
)
from sozu.disbursements.services.batches import (
    batch_cancel,
    batch_create,
    batch_execute,
    batch_pause,
    batch_resume,
    batch_retry_failed,
)
from sozu.disbursements.services.lines import rows_from_csv
from sozu.disbursements.worker import Worker
from sozu.errors import SozuError, message_for
from sozu.orgs.management.base import (
    SozuCommand,
    money,
    operator,
    organization_by_slug,
    process_name,
    quiet_logs,
    stop_on_signals,
    table,
    write_private,
)

B = Batch.Status
P = Payout.Status
#: Exit status after Ctrl-C, as shells report it (128 + SIGINT).
EXIT_INTERRUPTED = 130
BATCH_ID = "the batch number (as in `sozu batch list`)"


@contextmanager
def closed_after(rows: Iterator[Any]) -> Iterator[None]:
    """Close a streaming generator (its database cursor) even when the reader went away."""
    try:
        yield
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


class Command(SozuCommand):
    help = "Create, execute and follow batches of payouts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser(
            "create",
            help=(
                "a validated batch from a CSV file (- for stdin): columns destination or "
                "beneficiary_id, amount, memo; amounts use '.' for decimals and no thousands "
                "separator (1000.50; 1.000 is refused as ambiguous)"
            ),
        )
        create.add_argument(
            "file",
            metavar="FILE.csv",
            help="CSV: destination (or beneficiary_id), amount, optional memo; - reads stdin",
        )
        create.add_argument(
            "--org",
            required=True,
            metavar="SLUG",
            help="the organization's slug (as in `sozu createorg SLUG`)",
        )
        create.add_argument("--name", default=None, help="default: the file name")
        listing = sub.add_parser("list", help="the most recent batches")
        listing.add_argument("--org", metavar="SLUG", help="only this organization's")
        listing.add_argument(
            "--limit", type=int, default=20, help="how many batches, newest first (default 20)"
        )
        execute = sub.add_parser(
            "execute",
            help="pay the batch now (exit 0 when every line is paid, 1 otherwise, 130 on Ctrl-C)",
        )
        execute.add_argument("id", type=int, help=BATCH_ID)
        execute.add_argument(
            "--no-wait", action="store_true", help="only release it to the running workers"
        )
        execute.add_argument("--threads", type=int, default=16, help="worker threads (default 16)")
        status = sub.add_parser("status", help="where the batch stands")
        status.add_argument("id", type=int, help=BATCH_ID)
        status.add_argument("--json", action="store_true", help="as JSON (the API's shape)")
        lines = sub.add_parser("lines", help="the batch's lines")
        lines.add_argument("id", type=int, help=BATCH_ID)
        lines.add_argument("--status", choices=P.values, help="only the lines in this status")
        for name, text in (
            ("pause", "stop packing new payments (payments in flight still settle)"),
            ("resume", "continue a paused batch"),
            ("cancel", "cancel every line not yet in flight"),
            ("retry", "queue the failed lines again"),
        ):
            sub.add_parser(name, help=text).add_argument("id", type=int, help=BATCH_ID)
        export = sub.add_parser("export", help="CSV of the lines with beneficiary contact details")
        export.add_argument("id", type=int, help=BATCH_ID)
        export.add_argument("-o", "--output", metavar="FILE", help="default: standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    # --- helpers -----------------------------------------------------------------------------
    def _batch(self, batch_id: int) -> Batch:
        batch = Batch.objects.select_related("organization").filter(pk=batch_id).first()
        if batch is None:
            raise SozuError("not_found")
        return batch

    def _headline(self, batch: Batch) -> str:
        name = f" “{batch.name}”" if batch.name else ""
        return f"Batch {batch.pk}{name} of “{batch.organization.slug}”"

    # --- create / list -----------------------------------------------------------------------
    def _create(self, options: dict[str, Any]) -> None:
        org = organization_by_slug(options["org"])
        path = options["file"]
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            self.fail(f"{path}: {exc.strerror}")
        name = options["name"]
        if name is None:
            name = "" if path == "-" else Path(path).name
        batch = batch_create(
            organization=org, rows=rows_from_csv(data), actor=operator(), name=name
        )
        self.say(
            f"Batch {batch.pk} created for “{org.slug}”: {batch.line_count} lines, "
            f"{money(batch.total_amount)} USDC."
        )
        self.note(f"Pay it: sozu batch execute {batch.pk}")

    def _list(self, options: dict[str, Any]) -> None:
        qs = Batch.objects.select_related("organization").order_by("-created_at", "-pk")
        if options["org"]:
            qs = qs.filter(organization=organization_by_slug(options["org"]))
        rows = [
            [
                b.pk,
                b.organization.slug,
                b.status,
                b.line_count,
                money(b.total_amount),
                _when(b.created_at),
                b.name or "—",
            ]
            for b in qs[: options["limit"]]
        ]
        if not rows:
            self.say("No batches yet: sozu batch create FILE.csv --org SLUG")
            return
        self.say(table(["ID", "ORG", "STATUS", "LINES", "TOTAL", "CREATED", "NAME"], rows))

    # --- execute -----------------------------------------------------------------------------
    def _execute(self, options: dict[str, Any]) -> None:
        batch = self._batch(options["id"])
        if batch.status == B.EXECUTING:
            self.note(f"{self._headline(batch)} is already executing; following it.")
        else:
            batch = batch_execute(
                organization=batch.organization, batch_id=batch.pk, actor=operator()
            )
            self.note(
                f"{self._headline(batch)} is executing: {batch.line_count} lines, "
                f"{money(batch.total_amount)} USDC."
            )
        if options["no_wait"]:
            self.say(
                f"Batch {batch.pk} released to the workers (sozu worker). "
                f"Follow it: sozu batch status {batch.pk}"
            )
            return
        with quiet_logs(options["verbosity"]):
            code = self._follow(batch, threads=options["threads"])
        if code:
            raise SystemExit(code)

    def _follow(self, batch: Batch, *, threads: int) -> int:
        """Pay the batch with a worker in this process until it finishes; the exit status."""
        worker = Worker(process_name("cli"), threads=threads, only_batch=batch.pk)
        progress = Progress(self.stderr, batch.pk, tty=self.stderr.isatty())
        interrupted = False

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal interrupted
            interrupted = True
            worker.stop_event.set()
            progress.close()
            self.note("Stopping once the transactions in flight settle…")
            # A second Ctrl-C quits at once; the database still says what is in flight.
            signal.signal(signal.SIGINT, signal.default_int_handler)

        def on_tick() -> None:
            snap = progress.update()
            if snap is not None and snap.status != B.EXECUTING:
                worker.stop_event.set()  # finished, or paused by someone or by the engine

        with stop_on_signals(on_signal):
            worker.run(until_idle=True, on_tick=on_tick)
        snap = progress.update(force=True)
        progress.close()
        assert snap is not None
        return self._summary(batch, snap, progress.elapsed, interrupted)

    def _summary(self, batch: Batch, snap: Snapshot, elapsed: float, interrupted: bool) -> int:
        head = self._headline(batch)
        paid = (
            f"{snap.paid} of {snap.lines} lines paid "
            f"({money(snap.paid_amount)} of {money(snap.total_amount)} USDC)"
        )
        if interrupted and snap.status == B.EXECUTING:
            self.say(f"Stopped following. {head} is still executing: {paid}.")
            self.say(
                f"A running `sozu worker` continues it; or follow it again: "
                f"sozu batch execute {batch.pk}"
            )
            return EXIT_INTERRUPTED
        self.say(f"{head} {snap.status.replace('_', ' ')}: {paid}, in {clock_text(elapsed)}.")
        reasons = (
            Payout.objects.filter(batch_id=batch.pk, status=P.FAILED)
            .values("failure_code")
            .annotate(n=Count("id"))
            .order_by("-n")
        )
        for r in reasons:
            self.say(f"  {r['n']} failed: {message_for(r['failure_code'])}")
        if snap.status == B.PAUSED:
            self.say(f"  paused: {message_for(snap.pause_code)}")
            self.say(f"  resume it: sozu batch resume {batch.pk}")
        if snap.failed:
            self.say(
                f"  see them: sozu batch lines {batch.pk} --status failed · "
                f"pay them again: sozu batch retry {batch.pk}"
            )
        if snap.status == B.COMPLETED:
            return 0
        return EXIT_INTERRUPTED if interrupted else 1

    # --- reading -------------------------------------------------------------------------------
    def _status(self, options: dict[str, Any]) -> None:
        batch = self._batch(options["id"])
        if options["json"]:
            body = {"organization": batch.organization.slug, **batch_as_dict(batch)}
            self.say(json.dumps(body, indent=2, ensure_ascii=False))
            return
        stats = batch_stats(batch)
        by = stats["by_status"]
        self.say(self._headline(batch))
        status = batch.status
        if batch.pause_code:
            status += f" — {message_for(batch.pause_code)}"
        rows: list[tuple[str, str]] = [
            ("status", status),
            ("lines", f"{batch.line_count} ({money(batch.total_amount)} USDC)"),
        ]
        for s in P.values:
            if s in by:
                rows.append((s.replace("_", " "), f"{by[s]['count']} ({money(by[s]['amount'])})"))
        rows += [
            ("created", f"{_when(batch.created_at)} by {batch.created_by}"),
            ("started", _when(batch.started_at)),
            ("finished", _when(batch.finished_at)),
        ]
        if stats["duration_seconds"] is not None:
            rows.append(("duration", clock_text(stats["duration_seconds"])))
        for label, value in rows:
            self.say(f"  {label + ':':<11}{value}")

    def _lines(self, options: dict[str, Any]) -> None:
        batch = self._batch(options["id"])
        self.note(self._headline(batch))
        self.say(f"{'LINE':>6}  {'STATUS':<10}{'AMOUNT':>16}  {'DESTINATION':<56}  DETAIL")
        rows = batch_lines(batch=batch, status=options["status"]).iterator(chunk_size=2000)
        with closed_after(rows):
            self._print_lines(rows)

    def _print_lines(self, rows: Iterator[Payout]) -> None:
        for p in rows:
            if p.tx_hash:
                detail = f"tx {p.tx_hash}"
            elif p.failure_code:
                detail = message_for(p.failure_code)
            else:
                detail = "—"
            self.say(
                f"{p.line_number:>6}  {p.status:<10}{money(p.amount):>16}  "
                f"{p.destination:<56}  {detail}"
            )

    def _export(self, options: dict[str, Any]) -> None:
        batch = self._batch(options["id"])
        chunks = batch_export_csv(batch=batch)
        if options["output"]:
            # Names, national ids and phone numbers: readable by the owner only.
            write_private(Path(options["output"]), "".join(chunks))
            self.note(f"{self._headline(batch)}: {batch.line_count} lines → {options['output']}")
            return
        with closed_after(chunks):
            for chunk in chunks:
                self.stdout.write(chunk, ending="")

    # --- state changes -------------------------------------------------------------------------
    def _change(self, service: Any, options: dict[str, Any]) -> None:
        batch = self._batch(options["id"])
        batch = service(organization=batch.organization, batch_id=batch.pk, actor=operator())
        batch.refresh_from_db()
        state = batch.status
        if batch.pause_code:
            state += f" ({message_for(batch.pause_code)})"
        self.say(f"{self._headline(batch)} is {state}.")
        if batch.status == B.EXECUTING:
            self.note(f"Follow it: sozu batch execute {batch.pk}  (or let `sozu worker` pay it)")

    def _pause(self, options: dict[str, Any]) -> None:
        self._change(batch_pause, options)

    def _resume(self, options: dict[str, Any]) -> None:
        self._change(batch_resume, options)

    def _cancel(self, options: dict[str, Any]) -> None:
        self._change(batch_cancel, options)

    def _retry(self, options: dict[str, Any]) -> None:
        self._change(batch_retry_failed, options)
