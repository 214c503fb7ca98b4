"""The arrears report as CSV, XLSX and PDF, built row by row for 100,000 loans.

Rows come from `portfolio.arrears_rows` (a server-side cursor); CSV is streamed line by line,
XLSX is written by openpyxl's write-only workbook to a temporary file, PDF by fpdf2 to bytes
(a page of ~40 rows at a time). None of them holds the model objects in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.utils.translation import gettext as _
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from sozu.credit.pdf import _latin1, _plain
from sozu.credit.portfolio import ArrearsRow
from sozu.web.templatetags.sozu_web import actor_label

#: Spanish headers (the users' words), as in the simulator's export.
HEADER = [
    "prestamo",
    "beneficiaria",
    "dni_cuil",
    "telefono",
    "localidad",
    "producto",
    "oficial",
    "moneda",
    "monto",
    "desembolsado",
    "capital_pendiente",
    "vencido",
    "punitorios",
    "vencimiento_impago",
    "dias_atraso",
    "tramo",
    "ultimo_pago",
]


def _values(r: ArrearsRow) -> list[Any]:
    return [
        r.loan_id,
        r.name,
        r.national_id,
        r.phone,
        r.locality,
        r.product,
        actor_label(r.officer),
        r.currency,
        r.amount,
        r.disbursed_on,
        r.outstanding_capital,
        r.overdue,
        r.late_interest,
        r.oldest_unpaid_due,
        r.days_late,
        r.bucket,
        r.last_repayment_on,
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    return str(value)


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


def arrears_csv(rows: Iterable[ArrearsRow]) -> Iterator[str]:
    """CSV lines (RFC 4180, CRLF), header first: feed them to a StreamingHttpResponse."""
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for r in rows:
        yield writer.writerow([_text(v) for v in _values(r)])


def arrears_xlsx(rows: Iterable[ArrearsRow], out: IO[bytes] | None = None) -> IO[bytes]:
    """An XLSX workbook (write-only mode) in `out` (a temporary file by default), rewound."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Arrears"))
    sheet.freeze_panes = "C2"
    sheet.append(HEADER)
    money_format = "#,##0.00"
    date_format = "yyyy-mm-dd"
    money_columns = {8, 10, 11, 12}
    date_columns = {9, 13, 16}
    for r in rows:
        line: list[Any] = []
        for i, value in enumerate(_values(r)):
            if i in money_columns:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = money_format
                line.append(cell)
            elif i in date_columns and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = date_format
                line.append(cell)
            else:
                line.append(value)
        sheet.append(line)
    target = out or tempfile.TemporaryFile()
    book.save(target)
    target.seek(0)
    return target


def arrears_pdf(rows: Iterable[ArrearsRow], *, title: str, as_of: dt.date) -> bytes:
    """A landscape A4 table: one line per loan in arrears, the totals at the end."""
    columns: list[tuple[str, float, Any, str]] = [
        (_("Loan"), 16, lambda r: f"SOZU-{r.loan_id}", "L"),
        (_("Borrower"), 48, lambda r: r.name, "L"),
        (_("Phone"), 28, lambda r: r.phone, "L"),
        (_("Locality"), 32, lambda r: r.locality, "L"),
        (_("Product"), 34, lambda r: r.product, "L"),
        (_("Overdue"), 26, lambda r: _plain(r.overdue), "R"),
        (_("Outstanding capital"), 30, lambda r: _plain(r.outstanding_capital), "R"),
        (_("Days late"), 18, lambda r: str(r.days_late), "R"),
        (_("Bucket"), 16, lambda r: r.bucket, "C"),
        (
            _("Last payment"),
            25,
            lambda r: r.last_repayment_on.strftime("%d/%m/%Y") if r.last_repayment_on else "",
            "C",
        ),
    ]
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(auto=True, margin=12)

    def header() -> None:
        pdf.set_font("Helvetica", "B", 8)
        pdf.set_fill_color(230, 238, 235)
        for name, width, _f, align in columns:
            pdf.cell(width, 6, _latin1(name), border=1, align=align, fill=True)
        pdf.ln()
        pdf.set_font("Helvetica", "", 7.5)

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0,
        6,
        _latin1(_("As of %(date)s") % {"date": as_of.strftime("%d/%m/%Y")}),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    header()
    count = 0
    overdue = Decimal(0)
    for r in rows:
        if pdf.will_page_break(5):
            pdf.add_page()
            header()
        for _name, width, value, align in columns:
            text = _latin1(str(value(r)))
            pdf.cell(width, 5, text[: int(width / 1.45)], border="B", align=align)
        pdf.ln()
        count += 1
        overdue += r.overdue
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 9)
    summary = _("%(count)s loans in arrears, %(amount)s overdue") % {
        "count": count,
        "amount": _plain(overdue),
    }
    pdf.cell(0, 6, _latin1(summary))
    return bytes(pdf.output())


__all__ = ["HEADER", "arrears_csv", "arrears_pdf", "arrears_xlsx"]
