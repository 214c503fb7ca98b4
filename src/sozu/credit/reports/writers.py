"""A report written as CSV (streamed line by line), XLSX (openpyxl) or PDF (fpdf2, A4).

- CSV: Spanish snake_case headers, amounts as plain decimals with a dot, dates ISO 8601; one
  line is produced at a time (a StreamingHttpResponse), so memory does not grow with the rows.
- XLSX: one sheet per table (header row in bold, frozen below it, real numbers and dates with
  number formats: ``"$ "#,##0.00`` for ARS, ``#,##0.00 "USDC"`` for USDC, ``dd/mm/yyyy``),
  written in openpyxl's write-only mode (rows go to a temporary file, not kept in memory),
  then totals per currency and an "Info" sheet with the title and filters.
- PDF: A4 (landscape for the wide tables), Spanish headings, amounts as the pages show them
  (``$ 1.234,56`` / ``1.234,56 USDC``), the header repeated on every page, totals per
  currency. A PDF is for reading: a report longer than SOZU_REPORT_PDF_MAX_ROWS is refused
  (the CSV and XLSX have no limit).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from sozu.credit.reports.tables import (
    DATE,
    DATETIME,
    INT,
    MONEY,
    PERCENT,
    RATE,
    USDC,
    Column,
    Report,
    Table,
)
from sozu.formatting import format_ars, format_usdc

XLSX_FORMATS = {
    "ARS": '"$ "#,##0.00',
    "USDC": '#,##0.00" USDC"',
    DATE: "dd/mm/yyyy",
    DATETIME: "dd/mm/yyyy hh:mm",
    RATE: "#,##0.0000",
    PERCENT: '0.00" %"',
    INT: "0",
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _currency(column: Column, row: dict[str, Any]) -> str:
    return "USDC" if column.kind == USDC else str(row.get("currency") or "USDC")


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


# --- CSV -----------------------------------------------------------------------------------


class _Line:
    """A file-like object whose write returns the text (csv.writer then yields lines)."""

    def write(self, value: str) -> str:
        return value


#: A text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        # A name typed as "=HYPERLINK(…)" stays text when the CSV is opened (OWASP).
        return "'" + value
    return value


def report_csv(report: Report) -> Iterator[str]:
    """The report's tables one after the other (a blank line between), line by line."""
    writer = csv.writer(_Line())
    for index, table in enumerate(report.tables):
        if index:
            yield writer.writerow([])
        if len(report.tables) > 1:
            yield writer.writerow([str(table.name)])
        yield writer.writerow([c.name for c in table.columns])
        for row in table.rows:
            yield writer.writerow([_csv_value(c, row.get(c.key)) for c in table.columns])


# --- XLSX ----------------------------------------------------------------------------------


def report_xlsx(report: Report) -> IO[bytes]:
    """The workbook in a temporary file (rewound), ready to be streamed."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EBEFF4")
    for table in report.tables:
        ws = wb.create_sheet(_sheet_title(str(table.name)))
        ws.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            ws.column_dimensions[_letter(index)].width = max(10, column.width * 0.6)
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(ws, value=str(column.label))
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        ws.append(header)
        totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for row in table.rows:
            cells = []
            for column in table.columns:
                value: Any = row.get(column.key)
                if isinstance(value, dt.datetime):
                    value = _local(value)
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever a name starts with
                if column.kind in (MONEY, USDC):
                    cell.number_format = XLSX_FORMATS[_currency(column, row)]
                    if column.total and value is not None:
                        totals[_currency(column, row)][column.key] += value
                elif column.kind in XLSX_FORMATS:
                    cell.number_format = XLSX_FORMATS[column.kind]
                cells.append(cell)
            ws.append(cells)
        for currency, sums in sorted(totals.items()):
            cells = []
            for index, column in enumerate(table.columns):
                if index == 0:
                    cell = WriteOnlyCell(ws, value=_("Total %(currency)s") % {"currency": currency})
                elif column.key in sums:
                    total: Any = sums[column.key]  # a Decimal: openpyxl writes it as a number
                    cell = WriteOnlyCell(ws, value=total)
                    cell.number_format = XLSX_FORMATS[currency]
                else:
                    cell = WriteOnlyCell(ws, value=None)
                cell.font = bold
                cells.append(cell)
            ws.append(cells)
    info = wb.create_sheet("Info")
    info.append([report.title])
    info.append([report.organization.name])
    for line in report.details:
        info.append([line])
    info.append([_("Generated %(when)s") % {"when": _now_text()}])
    out = tempfile.TemporaryFile()
    wb.save(out)
    out.seek(0)
    return out


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def _sheet_title(name: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    return "".join(ch for ch in name if ch not in "[]:*?/\\")[:31] or "Hoja"


# --- PDF -----------------------------------------------------------------------------------


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf_text(column: Column, row: dict[str, Any]) -> str:
    """A value as the PDF shows it (the pages' formatting, in the active language)."""
    value = row.get(column.key)
    if value is None or value == "":
        return ""
    if column.kind in (MONEY, USDC):
        return money_text(value, _currency(column, row))
    if column.kind == DATETIME:
        return formats.date_format(_local(value), "SHORT_DATETIME_FORMAT")
    if column.kind == DATE:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if column.kind == RATE:
        return format_usdc(value, places=4).removesuffix(" USDC")
    if column.kind == PERCENT:
        return format_usdc(value, places=2).removesuffix(" USDC") + " %"
    return str(value)


def money_text(value: Decimal, currency: str) -> str:
    return format_usdc(value) if currency == "USDC" else format_ars(value)


def _now_text() -> str:
    return formats.date_format(_local(timezone.now()), "SHORT_DATETIME_FORMAT")


class ReportPDF(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=True, margin=12)
        self.set_title(_latin1(report.title))
        self.set_creator("Sozu")
        self.alias_nb_pages()
        self.orientation_name = "portrait"

    def footer(self) -> None:
        self.set_y(-9)
        self.set_font("Helvetica", "", 7)
        left = f"{self.report.organization.name} - {self.report.title} - {_now_text()}"
        self.cell(0, 4, _latin1(left))
        self.set_x(self.l_margin)
        page = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 4, _latin1(page), align="R")


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut a text to fit its cell (with an ellipsis), measured in the current font."""
    text = _latin1(text)
    if pdf.get_string_width(text) <= width - 1:
        return text
    while text and pdf.get_string_width(text + "...") > width - 1:
        text = text[:-1]
    return text + "..."


def _table_pdf(pdf: ReportPDF, table: Table, first: bool) -> None:
    orientation = "landscape" if table.landscape else "portrait"
    if first or orientation != pdf.orientation_name:
        pdf.add_page(orientation=orientation)
        pdf.orientation_name = orientation
        if first:
            _title_pdf(pdf)
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    scale = usable / sum(c.width for c in table.columns)
    widths = [c.width * scale for c in table.columns]
    numeric = {MONEY, USDC, INT, RATE, PERCENT}
    align = ["R" if c.kind in numeric else "L" for c in table.columns]

    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, _latin1(str(table.name)), new_x="LMARGIN", new_y="NEXT")

    def header() -> None:
        pdf.set_font("Helvetica", "B", 7)
        pdf.set_fill_color(235, 239, 244)
        for column, width, a in zip(table.columns, widths, align, strict=True):
            pdf.cell(width, 5, _fit(pdf, str(column.label), width), border="B", align=a, fill=True)
        pdf.ln()
        pdf.set_font("Helvetica", "", 7)

    header()
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    empty = True
    for row in table.rows:
        empty = False
        if pdf.will_page_break(4.2):
            pdf.add_page(orientation=orientation)
            header()
        for column, width, a in zip(table.columns, widths, align, strict=True):
            pdf.cell(width, 4.2, _fit(pdf, pdf_text(column, row), width), align=a)
            value = row.get(column.key)
            if column.total and value is not None:
                totals[_currency(column, row)][column.key] += value
        pdf.ln()
    if empty:
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 6, _latin1(_("Nothing to report.")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 7)
    for currency, sums in sorted(totals.items()):
        for index, (column, width, a) in enumerate(zip(table.columns, widths, align, strict=True)):
            if index == 0:
                text = _("Total %(currency)s") % {"currency": currency}
            elif column.key in sums:
                text = money_text(sums[column.key], currency)
            else:
                text = ""
            pdf.cell(width, 5, _fit(pdf, text, width), border="T", align=a)
        pdf.ln()
    pdf.ln(4)


def _title_pdf(pdf: ReportPDF) -> None:
    report = pdf.report
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(report.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, _latin1(report.organization.name), new_x="LMARGIN", new_y="NEXT")
    for line in report.details:
        pdf.multi_cell(0, 4.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def report_pdf(report: Report) -> bytes:
    pdf = ReportPDF(report)
    for index, table in enumerate(report.tables):
        _table_pdf(pdf, table, first=index == 0)
    return bytes(pdf.output())


def pdf_max_rows() -> int:
    return int(getattr(settings, "SOZU_REPORT_PDF_MAX_ROWS", 5000))
