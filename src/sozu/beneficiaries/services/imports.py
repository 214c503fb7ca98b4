"""Importing beneficiaries from a CSV: a row-by-row preview first, then an atomic confirm.

The preview saves nothing: each row is OK or lists its problems in the user's language. The
confirm reads the same file again and saves every OK row in one transaction, but only if the
preview it was shown is still what the file and the organization say now (its fingerprint);
otherwise it refuses and the user reviews again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record_many
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services.applications import (
    APPLICATION_FIELDS,
    FieldError,
    application_clean,
)
from sozu.errors import SozuError
from sozu.orgs.models import Organization

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
REQUIRED = ("full_name", "national_id", "stellar_address")

#: Header names accepted for each field, Spanish and English (compared without case or
#: accents, "_" and "-" read as spaces).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "full_name": ("nombre", "nombre completo", "nombre y apellido", "name", "full name"),
    "national_id": ("dni", "cuil", "cuit", "dni/cuil", "dni o cuil", "documento", "national id"),
    "phone": ("telefono", "celular", "phone", "mobile", "phone number"),
    "stellar_address": (
        "direccion stellar",
        "direccion",
        "billetera",
        "wallet",
        "address",
        "stellar address",
    ),
    "locality": ("localidad", "ciudad", "locality", "city"),
    "activity": ("actividad", "rubro", "emprendimiento", "activity"),
    "notes": ("notas", "observaciones", "notes"),
    "email": ("email", "e mail", "correo", "correo electronico", "mail"),
}


def normalize_header(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.strip().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("_", " ").replace("-", " ").split())


HEADER_TO_FIELD = {
    normalize_header(alias): field
    for field, aliases in COLUMN_NAMES.items()
    for alias in (*aliases, field)
}


@dataclass(frozen=True)
class ImportRow:
    line: int
    #: The row's fields: normalized when OK, as written otherwise.
    values: dict[str, str]
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportPreview:
    rows: tuple[ImportRow, ...]
    #: Header as written → field.
    columns: dict[str, str]
    ignored_columns: tuple[str, ...]
    #: What confirm must find again to save (rows, their values and their problems).
    fingerprint: str

    @property
    def ok_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def error_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise SozuError("file_too_large", max_bytes=MAX_IMPORT_BYTES)
    if b"\x00" in data:
        raise SozuError("csv_nul_bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SozuError("csv_not_utf8") from None
    if not text.strip():
        raise SozuError("csv_empty")
    return text


def _delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    return ";" if header.count(";") > header.count(",") else ","


def _read(text: str) -> tuple[dict[str, str], list[str], list[tuple[int, dict[str, str]]]]:
    """(header → field, ignored headers, rows as (line, {field: text}))."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = next(reader)
        columns: dict[str, str] = {}
        ignored: list[str] = []
        positions: list[str | None] = []
        seen: dict[str, str] = {}
        for cell in header:
            norm = normalize_header(cell)
            field = HEADER_TO_FIELD.get(norm)
            key = field or norm
            if key in seen and key:
                raise SozuError("csv_duplicate_column", column=cell.strip())
            seen[key] = cell
            positions.append(field)
            if field:
                columns[cell.strip()] = field
            elif norm:
                ignored.append(cell.strip())
        missing = [f for f in REQUIRED if f not in columns.values()]
        if missing:
            raise SozuError(
                "csv_missing_column", columns=", ".join(COLUMN_NAMES[f][0] for f in missing)
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) > len(header):
                rows.append((reader.line_num, {"__too_long__": str(len(header))}))
                continue
            values = {f: c.strip() for f, c in zip(positions, cells, strict=False) if f}
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise SozuError("csv_malformed", reason=str(exc)) from None
    except StopIteration:
        raise SozuError("csv_empty") from None
    if len(rows) > MAX_IMPORT_ROWS:  # the file is at most MAX_IMPORT_BYTES: counting is cheap
        raise SozuError("csv_too_many_rows", count=len(rows), max=MAX_IMPORT_ROWS)
    return columns, ignored, rows


def _existing(
    organization: Organization, keys: set[str], addresses: set[str]
) -> tuple[set[str], set[str]]:
    qs = Beneficiary.objects.filter(organization=organization)
    return (
        set(qs.filter(identity_key__in=keys).values_list("identity_key", flat=True)),
        set(qs.filter(stellar_address__in=addresses).values_list("stellar_address", flat=True)),
    )


def beneficiary_import_preview(*, organization: Organization, data: bytes) -> ImportPreview:
    """Every row of the file, OK or with its problems; nothing is saved.

    A file that cannot be read at all (not UTF-8, NUL bytes, too big, too many rows, a
    missing or repeated column) raises SozuError instead.
    """
    columns, ignored, raw_rows = _read(_decode(data))
    checked: list[tuple[int, dict[str, str], list[FieldError]]] = []
    for line, values in raw_rows:
        if "__too_long__" in values:
            error = FieldError(
                "", "csv_row_too_long", {"line": line, "columns": values["__too_long__"]}
            )
            checked.append((line, {}, [error]))
            continue
        cleaned, errors = application_clean(values)
        checked.append((line, cleaned if not errors else values, errors))
    keys = {v["identity_key"] for _, v, e in checked if not e and v.get("identity_key")}
    addresses = {v["stellar_address"] for _, v, e in checked if not e}
    taken_keys, taken_addresses = _existing(organization, keys, addresses)
    first_key: dict[str, int] = {}
    first_address: dict[str, int] = {}
    rows = []
    for line, values, errors in checked:
        if not errors:
            key, address = values["identity_key"], values["stellar_address"]
            if key in taken_keys:
                errors.append(
                    FieldError(
                        "national_id", "beneficiary_duplicate_id", {"value": values["national_id"]}
                    )
                )
            elif key in first_key:
                errors.append(
                    FieldError(
                        "national_id",
                        "duplicate_in_file",
                        {"what": "national_id", "first_line": first_key[key]},
                    )
                )
            if address in taken_addresses:
                errors.append(
                    FieldError("stellar_address", "beneficiary_exists", {"address": address})
                )
            elif address in first_address:
                errors.append(
                    FieldError(
                        "stellar_address",
                        "duplicate_in_file",
                        {"what": "stellar_address", "first_line": first_address[address]},
                    )
                )
            first_key.setdefault(key, line)
            first_address.setdefault(address, line)
        rows.append(ImportRow(line, values, tuple(errors)))
    fingerprint = hashlib.sha256(
        json.dumps(
            [
                [r.line, sorted(r.values.items()), [(e.field, e.code) for e in r.errors]]
                for r in rows
            ],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    return ImportPreview(tuple(rows), columns, tuple(ignored), fingerprint)


def beneficiary_import_confirm(
    *,
    organization: Organization,
    data: bytes,
    fingerprint: str,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> list[Beneficiary]:
    """Save every OK row of the preview the user saw (status applied), all or nothing.

    Refused with import_changed when the file or the organization's beneficiaries no longer
    give that preview (someone registered one of them meanwhile, for example).
    """
    preview = beneficiary_import_preview(organization=organization, data=data)
    if preview.fingerprint != fingerprint:
        raise SozuError("import_changed")
    ok = preview.ok_rows
    if not ok:
        raise SozuError("import_nothing_to_save")
    now = timezone.now()
    try:
        with transaction.atomic():
            created = Beneficiary.objects.bulk_create(
                [
                    Beneficiary(
                        organization=organization,
                        status=Beneficiary.Status.APPLIED,
                        status_changed_at=now,
                        **{f: r.values[f] for f in (*APPLICATION_FIELDS, "identity_key")},
                    )
                    for r in ok
                ]
            )
            if any(b.pk is None for b in created):  # every supported database returns ids
                created = list(
                    Beneficiary.objects.filter(
                        organization=organization,
                        stellar_address__in=[b.stellar_address for b in created],
                    )
                )
            audit_record_many(
                organization_id=organization.pk,
                entries=[
                    Entry(
                        actor,
                        "beneficiary.created",
                        "beneficiary",
                        b.pk,
                        {
                            "address": b.stellar_address,
                            "status": b.status,
                            "via": "csv",
                            **(context or {}),
                        },
                    )
                    for b in created
                ],
            )
    except IntegrityError:
        # Registered by someone else between the second preview and the insert.
        raise SozuError("import_changed") from None
    return created
