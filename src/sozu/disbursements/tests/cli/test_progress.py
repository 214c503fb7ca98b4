"""What the progress of `sozu batch execute` looks like on a terminal and in a log."""

from __future__ import annotations

from decimal import Decimal

from sozu.disbursements.management.progress import Snapshot, bar_text, clock_text, line_text
from sozu.orgs.management.base import money


def snapshot(paid: int, failed: int = 0, status: str = "executing") -> Snapshot:
    return Snapshot(
        batch_id=12,
        status=status,
        pause_code="",
        lines=100,
        paid=paid,
        failed=failed,
        cancelled=0,
        paid_amount=Decimal("2.5") * paid,
        total_amount=Decimal("250"),
    )


def test_the_bar_shows_paid_failed_amount_and_elapsed_time() -> None:
    text = bar_text(snapshot(paid=40, failed=10), elapsed=75, width=100)

    assert text == (
        "[" + "#" * 16 + "!" * 4 + "." * 20 + "]"
        " 40/100 paid · 10 failed · 100.00/250.00 USDC · 01:15"
    )


def test_a_finished_batch_has_a_full_bar_whatever_the_rounding() -> None:
    text = bar_text(snapshot(paid=99, failed=1, status="partially_paid"), elapsed=5, width=80)

    assert "." not in text.split("]")[0]


def test_the_bar_fits_a_narrow_terminal() -> None:
    assert len(bar_text(snapshot(paid=1), elapsed=1, width=40)) <= 39


def test_a_log_line_says_the_same_in_plain_words() -> None:
    assert line_text(snapshot(paid=40, failed=10), elapsed=75.4) == (
        "batch 12 (executing): 40/100 paid, 10 failed, 100.00/250.00 USDC, 75s"
    )


def test_clock_and_money_formats() -> None:
    assert [clock_text(s) for s in (0, 61, 3725)] == ["00:00", "01:01", "1:02:05"]
    assert [money(Decimal(v)) for v in ("100", "10.5", "0.0000001", "1E+2")] == [
        "100.00",
        "10.50",
        "0.0000001",
        "100.00",
    ]
