"""A batch checked before it exists: every row OK or with its errors, and nothing saved.

The preview runs the very checks `batch_create` runs (`validate_lines`, the limits, the daily
cap, the funds and each destination on the network), but collects every problem instead of
stopping at the first, so that a person can fix the file in one go. Confirming calls
`batch_create` with the same rows: it checks everything again, so a preview never vouches for
anything on its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sozu.beneficiaries.models import Beneficiary
from sozu.disbursements.services import checks
from sozu.disbursements.services.lines import LineSpec, validate_lines
from sozu.errors import SozuError, message_for
from sozu.orgs.models import Organization

#: The columns a preview shows and a corrected file is written with.
CSV_COLUMNS = ("destination", "beneficiary_id", "amount", "memo")


@dataclass
class PreviewRow:
    """One row as the person wrote it, with the reasons it cannot be paid (if any)."""

    line: int
    destination: str
    beneficiary_id: str
    amount: str
    memo: str
    errors: list[str] = field(default_factory=list)
    #: Her name when the row names a beneficiary of the organization by id (for the preview).
    beneficiary_name: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class BatchPreview:
    rows: list[PreviewRow]
    #: Problems of the batch as a whole (too many lines, over a limit, not enough funds).
    problems: list[str]
    #: The total of the rows that are valid.
    total: Decimal

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems and all(r.ok for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    @property
    def valid_count(self) -> int:
        return len(self.rows) - self.error_count


def _row(line: int, raw: Mapping[str, Any]) -> PreviewRow:
    return PreviewRow(
        line=line,
        destination=str(raw.get("destination") or raw.get("address") or "").strip(),
        beneficiary_id=str(raw.get("beneficiary_id") or "").strip(),
        amount=str(raw.get("amount") if raw.get("amount") is not None else "").strip(),
        memo=str(raw.get("memo") or "").strip(),
    )


def _line_errors(exc: SozuError) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for e in exc.errors:
        found.setdefault(int(e["line"]), []).append(str(e["message"]))
    return found


def batch_preview(
    *,
    organization: Organization,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    check_destinations: bool = True,
) -> BatchPreview:
    """Every row with its errors in the active language; batch-wide problems apart."""
    given = list(rows)
    shown = {line: _row(line, raw) for line, raw in given}
    problems: list[str] = []
    if not given:
        return BatchPreview(rows=[], problems=[message_for("empty_batch")], total=Decimal(0))
    if len(given) > organization.max_lines_per_batch:
        problems.append(
            SozuError(
                "too_many_lines", count=len(given), max=organization.max_lines_per_batch
            ).message
        )

    def add(errors: dict[int, list[str]]) -> None:
        for line, messages in errors.items():
            shown[line].errors.extend(messages)

    # The same line checks as batch_create; a second pass over the good rows yields their
    # specs (the first occurrence of a duplicate stays valid, as in batch_create).
    specs: list[LineSpec] = []
    try:
        specs = validate_lines(organization_id=organization.pk, rows=given, max_lines=len(given))
    except SozuError as exc:
        if exc.code != "invalid_lines":
            raise
        add(_line_errors(exc))
        good = [(line, raw) for line, raw in given if shown[line].ok]
        if good:
            specs = validate_lines(organization_id=organization.pk, rows=good, max_lines=len(good))
    # check_limits reports lines over the per-payout maximum before the batch total: once
    # those are set aside, a second call can still refuse the total of the rest.
    for _ in range(2):
        try:
            checks.check_limits(organization, specs)
        except SozuError as exc:
            if exc.code == "invalid_lines":
                add(_line_errors(exc))
                specs = [s for s in specs if shown[s.line].ok]
                continue
            problems.append(exc.message)
        break
    if check_destinations and specs:
        try:
            found = checks.destination_problems(s.destination for s in specs)
        except Exception as exc:  # the network, not the file: never blame a row for it
            problems.append(SozuError("network_unavailable", detail=type(exc).__name__).message)
        else:
            for s in specs:
                if s.destination in found:
                    shown[s.line].errors.append(message_for(found[s.destination]))
            specs = [s for s in specs if shown[s.line].ok]
    _add_names(organization, shown.values())
    total = sum((s.amount for s in specs), Decimal(0))
    for check in (checks.check_daily_cap, checks.check_funds):
        try:
            check(organization, total)
        except SozuError as exc:
            problems.append(exc.message)
    return BatchPreview(rows=list(shown.values()), problems=problems, total=total)


def _add_names(organization: Organization, rows: Iterable[PreviewRow]) -> None:
    """The names of the organization's beneficiaries the rows pay by id (one query)."""
    by_id = [r for r in rows if r.beneficiary_id.isdigit() and len(r.beneficiary_id) < 19]
    if not by_id:
        return
    names = dict(
        Beneficiary.objects.filter(
            organization=organization, pk__in={int(r.beneficiary_id) for r in by_id}
        ).values_list("pk", "full_name")
    )
    for r in by_id:
        r.beneficiary_name = names.get(int(r.beneficiary_id), "")


def rows_as_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows (destination or beneficiary_id, amount, memo) as CSV text that `rows_from_csv` reads."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([str(row.get(c) or "") for c in CSV_COLUMNS])
    return buf.getvalue()
