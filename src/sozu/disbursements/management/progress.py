"""Following a batch from the command line: a redrawn bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.management.base import OutputWrapper

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.selectors import batch_stats
from sozu.orgs.management.base import money, plain

P = Payout.Status


@dataclass(frozen=True)
class Snapshot:
    """Where a batch stands: its status and how many of its lines are paid, failed, open."""

    batch_id: int
    status: str
    pause_code: str
    lines: int
    paid: int
    failed: int
    cancelled: int
    paid_amount: Decimal
    total_amount: Decimal

    @property
    def open(self) -> int:
        return self.lines - self.paid - self.failed - self.cancelled

    @classmethod
    def of(cls, batch_id: int) -> Snapshot:
        batch = Batch.objects.get(pk=batch_id)
        stats = batch_stats(batch)
        by = stats["by_status"]

        def count(status: str) -> int:
            return int(by.get(status, {}).get("count", 0))

        return cls(
            batch_id=batch.pk,
            status=batch.status,
            pause_code=batch.pause_code,
            lines=batch.line_count,
            paid=count(P.PAID),
            failed=count(P.FAILED),
            cancelled=count(P.CANCELLED),
            paid_amount=Decimal(stats["paid_amount"]),
            total_amount=batch.total_amount,
        )


def clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def bar_text(snap: Snapshot, elapsed: float, width: int) -> str:
    """One terminal line: `[####!!....] 60/100 paid · 2 failed · 300.00/500.00 USDC · 00:12`."""
    counts = f"{snap.paid}/{snap.lines} paid"
    if snap.failed:
        counts += f" · {snap.failed} failed"
    if snap.cancelled:
        counts += f" · {snap.cancelled} cancelled"
    tail = (
        f" {counts} · {money(snap.paid_amount)}/{money(snap.total_amount)} USDC"
        f" · {clock_text(elapsed)}"
    )
    cells = max(10, min(40, width - len(tail) - 3))
    total = max(snap.lines, 1)
    paid = snap.paid * cells // total
    failed = (snap.failed + snap.cancelled) * cells // total
    if snap.paid + snap.failed + snap.cancelled == snap.lines and snap.lines:
        paid = cells - failed  # rounding never leaves a finished batch looking unfinished
    bar = "#" * paid + "!" * failed + "." * (cells - paid - failed)
    return f"[{bar}]{tail}"[: max(width - 1, 20)]


def line_text(snap: Snapshot, elapsed: float) -> str:
    """One log line: `batch 12: 60/100 paid, 2 failed, 300.00/500.00 USDC, 12s`."""
    parts = [f"{snap.paid}/{snap.lines} paid"]
    if snap.failed:
        parts.append(f"{snap.failed} failed")
    if snap.cancelled:
        parts.append(f"{snap.cancelled} cancelled")
    parts.append(f"{money(snap.paid_amount)}/{money(snap.total_amount)} USDC")
    parts.append(f"{elapsed:.0f}s")
    return f"batch {snap.batch_id} ({snap.status}): " + ", ".join(parts)


class Progress:
    """Reads the batch at most every `interval` seconds and shows it on `out` (stderr).

    On a terminal the bar is redrawn in place; otherwise a line is printed when the counts
    changed, so logs of a long batch stay short.
    """

    def __init__(
        self,
        out: OutputWrapper,
        batch_id: int,
        *,
        tty: bool,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.batch_id = batch_id
        self.tty = tty
        self.interval = interval if interval is not None else (0.2 if tty else 2.0)
        self.clock = clock
        self.started = clock()
        self._read_at: float | None = None
        self._shown: tuple[int, int, int, str] | None = None
        self._drawn = False
        self.last: Snapshot | None = None

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def update(self, *, force: bool = False) -> Snapshot | None:
        """The batch as it is now, or None when it was read less than `interval` ago."""
        now = self.clock()
        if not force and self._read_at is not None and now - self._read_at < self.interval:
            return None
        self._read_at = now
        snap = Snapshot.of(self.batch_id)
        self.last = snap
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns
            self.out.write("\r\x1b[K" + bar_text(snap, self.elapsed, width), plain, ending="")
            self.out.flush()
            self._drawn = True
        else:
            key = (snap.paid, snap.failed, snap.cancelled, snap.status)
            if key != self._shown or force:
                self.out.write(line_text(snap, self.elapsed), plain)
                self._shown = key
        return snap

    def close(self) -> None:
        """Leave the cursor on a fresh line after the bar."""
        if self.tty and self._drawn:
            self.out.write("", plain)
            self._drawn = False
