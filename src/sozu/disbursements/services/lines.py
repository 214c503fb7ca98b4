"""Reading payout lines from CSV or JSON and validating every one before anything is saved."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stellar_sdk import StrKey

from sozu.beneficiaries.models import Beneficiary
from sozu.core.ids import parse_id
from sozu.errors import SozuError, message_for, shown
from sozu.stellar.amounts import AmountError, parse_amount

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MEMO_BYTES = 28
DESTINATION_COLUMNS = ("destination", "address", "beneficiary_id")


@dataclass(frozen=True)
class LineSpec:
    line: int
    destination: str
    amount: Decimal
    memo: str = ""
    beneficiary_id: int | None = None


def is_valid_destination(address: str) -> bool:
    return StrKey.is_valid_ed25519_public_key(address) or StrKey.is_valid_med25519_public_key(
        address
    )


def rows_from_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; line numbers count the header as line 1, as spreadsheets do."""
    if len(data) > MAX_FILE_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SozuError("csv_malformed", reason="not UTF-8 text") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SozuError("csv_nul_byte", line=line)
    try:
        sample = text[:4096]
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise SozuError("csv_malformed", reason=str(exc)) from None
    fields = [f.strip().lower() for f in header]
    seen_columns: set[str] = set()
    for name in fields:
        if name and name in seen_columns:
            # "amount" and "Amount": which one was meant? Never let the last one win silently.
            raise SozuError("csv_duplicate_column", column=name)
        seen_columns.add(name)
    if "amount" not in fields or not any(c in fields for c in DESTINATION_COLUMNS):
        raise SozuError("csv_missing_column", columns="destination|beneficiary_id, amount")
    reader.fieldnames = fields
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            if None in row:
                raise SozuError(
                    "csv_malformed",
                    reason=f"line {reader.line_num} has more fields than the header",
                )
            cleaned = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(cleaned.values()):
                continue  # blank line
            rows.append((reader.line_num, cleaned))
    except csv.Error as exc:
        raise SozuError("csv_malformed", reason=str(exc)) from None
    return rows


def rows_from_json(items: object) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(items, list):
        raise SozuError("invalid_field", field="lines")
    rows = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise SozuError("invalid_field", field=f"lines[{i}]")
        rows.append((i, dict(item)))
    return rows


def validate_lines(
    *, organization_id: int, rows: Iterable[tuple[int, Mapping[str, Any]]], max_lines: int
) -> list[LineSpec]:
    """Every line valid, or SozuError("invalid_lines") listing each problem by line."""
    rows = list(rows)
    if not rows:
        raise SozuError("empty_batch")
    if len(rows) > max_lines:
        raise SozuError("too_many_lines", count=len(rows), max=max_lines)
    errors: list[dict[str, Any]] = []

    def err(at: int, code: str, **params: Any) -> None:
        entry: dict[str, Any] = {"line": at, "code": code, "message": message_for(code, params)}
        if params:
            # Kept so that a single payout can re-raise the line's problem as its own.
            entry["params"] = {k: str(v) for k, v in params.items()}
        errors.append(entry)

    wanted_ids = set()
    for _, row in rows:
        wanted = parse_id(row.get("beneficiary_id"))
        if wanted is not None:
            wanted_ids.add(wanted)
    beneficiaries = {
        b.pk: b
        for b in Beneficiary.objects.filter(organization_id=organization_id, pk__in=wanted_ids)
    }
    specs: list[LineSpec] = []
    seen: dict[tuple[str, Decimal, str], int] = {}
    for line, row in rows:
        raw_destination = row.get("destination") or row.get("address") or ""
        if not isinstance(raw_destination, str):
            err(line, "invalid_address", address=shown(raw_destination))
            continue
        destination = raw_destination.strip()
        raw_ben = row.get("beneficiary_id")
        ben_id: int | None = None
        if raw_ben not in (None, ""):
            if destination:
                err(line, "destination_ambiguous")
                continue
            wanted = parse_id(raw_ben)
            if wanted is None:
                err(line, "beneficiary_id_invalid", value=shown(raw_ben))
                continue
            if wanted not in beneficiaries:
                # Another organization's beneficiary is reported exactly like a missing one.
                err(line, "unknown_beneficiary", beneficiary_id=wanted)
                continue
            ben = beneficiaries[wanted]
            if ben.status != Beneficiary.Status.APPROVED:
                err(line, "beneficiary_not_approved", beneficiary_id=raw_ben)
                continue
            ben_id, destination = ben.pk, ben.stellar_address
        if not destination:
            err(line, "destination_missing")
            continue
        if not is_valid_destination(destination):
            err(line, "invalid_address", address=destination)
            continue
        try:
            amount = parse_amount(row.get("amount"))
        except AmountError as exc:
            err(line, exc.code, value=shown(exc.value))
            continue
        raw_memo = row.get("memo")
        if raw_memo is not None and not isinstance(raw_memo, str):
            err(line, "memo_not_text")
            continue
        memo = (raw_memo or "").strip()
        if not memo.isprintable():
            err(line, "memo_not_printable")
            continue
        if len(memo.encode()) > MAX_MEMO_BYTES:
            err(line, "memo_too_long")
            continue
        key = (destination, amount, memo)
        if key in seen:
            err(line, "duplicate_line", line=line, first_line=seen[key])
            continue
        seen[key] = line
        specs.append(LineSpec(line, destination, amount, memo, ben_id))
    if errors:
        raise SozuError("invalid_lines", errors=errors, count=len(errors))
    return specs
