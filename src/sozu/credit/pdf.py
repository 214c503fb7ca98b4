"""A simulation as a PDF: the inputs, the rates and the schedule (one page up to ~45 cuotas).

Built with fpdf2 and its core Helvetica font (Latin-1: Spanish accents print as they are).
Amounts use the page's formatting (``$ 1.234,56`` or ``1.234,56 USDC``), in the active language.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF

from sozu.credit.simulator import Simulation
from sozu.formatting import format_ars, format_usdc


def _money(value: Decimal, currency: str) -> str:
    return format_usdc(value) if currency == "USDC" else format_ars(value)


def _plain(value: Decimal) -> str:
    """An amount without its currency (the table says it once): ``1.234,56``."""
    return format_usdc(value).removesuffix(" USDC")


def _pct(rate: Decimal, places: int = 2) -> str:
    """A fraction as a percent in the active language: 0.79586 → ``79,59 %``."""
    return f"{format_usdc(rate * 100, places=places).removesuffix(' USDC')} %"


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def simulation_pdf(simulation: Simulation, *, currency: str = "ARS") -> bytes:
    terms = simulation.terms
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(_latin1(_("Credit simulation")))
    pdf.set_creator("Sozu")
    pdf.add_page()

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(_("Credit simulation")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    frequency = {
        "weekly": _("weekly"),
        "biweekly": _("biweekly"),
        "monthly": _("monthly"),
    }[terms.frequency.value]
    system = {
        "french": _("French system"),
        "german": _("German system"),
        "flat": _("flat interest"),
    }[terms.system.value]
    iva = (
        _("IVA exempt") if not terms.iva else _("IVA %(rate)s %%") % {"rate": _pct_plain(terms.iva)}
    )
    summary = _(
        "%(amount)s in %(cuotas)s %(frequency)s cuotas, %(system)s, TNA %(tna)s, %(iva)s."
    ) % {
        "amount": _money(terms.amount, currency),
        "cuotas": terms.cuotas,
        "frequency": frequency,
        "system": system,
        "tna": _pct(terms.tna / 100),
        "iva": iva,
    }
    pdf.multi_cell(0, 5, _latin1(summary), new_x="LMARGIN", new_y="NEXT")
    if terms.origination_fee or terms.insurance:
        extras = _(
            "Origination fee %(fee)s (withheld: %(withheld)s); insurance %(insurance)s of the "
            "balance per period. She receives %(net)s."
        ) % {
            "fee": _pct(terms.origination_fee / 100),
            "withheld": _money(
                simulation.origination_fee + simulation.origination_fee_iva, currency
            ),
            "insurance": _pct(terms.insurance / 100),
            "net": _money(simulation.net_disbursed, currency),
        }
        pdf.multi_cell(0, 5, _latin1(extras), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    rates = (
        (_("Period rate"), _pct(simulation.period_rate, 4)),
        (_("TEA"), _pct(simulation.tea)),
        (_("CFT nominal with IVA"), _pct(simulation.cft_nominal)),
        (_("CFT effective with IVA"), _pct(simulation.cft_effective)),
        (_("CFT nominal without IVA"), _pct(simulation.cft_nominal_without_iva)),
        (_("CFT effective without IVA"), _pct(simulation.cft_effective_without_iva)),
        (_("Total interest"), _money(simulation.totals["interest"], currency)),
        (_("Total to pay"), _money(simulation.totals["total"], currency)),
    )
    pdf.set_font("Helvetica", "", 9)
    for index, (label, value) in enumerate(rates):
        pdf.cell(45, 5, _latin1(label))
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(
            48,
            5,
            _latin1(value),
            new_x="LMARGIN" if index % 2 else "RIGHT",
            new_y="NEXT" if index % 2 else "TOP",
        )
        pdf.set_font("Helvetica", "", 9)
    pdf.ln(3)
    pdf.set_font("Helvetica", "I", 8)
    unit = _("Amounts in USDC") if currency == "USDC" else _("Amounts in $ (ARS)")
    pdf.cell(0, 5, _latin1(unit), new_x="LMARGIN", new_y="NEXT")

    headers = (
        _("No."),
        _("Due date"),
        _("Capital"),
        _("Interest"),
        _("IVA"),
        _("Insurance"),
        _("Cuota"),
        _("Balance"),
    )
    widths = (10, 22, 27, 25, 23, 20, 29, 30)

    def header_row() -> None:
        pdf.set_font("Helvetica", "B", 8)
        pdf.set_fill_color(235, 239, 244)
        for text, width in zip(headers, widths, strict=True):
            pdf.cell(
                width, 6, _latin1(text), border="B", align="R" if width != 22 else "L", fill=True
            )
        pdf.ln()
        pdf.set_font("Helvetica", "", 8)

    header_row()
    for row in simulation.rows:
        if pdf.will_page_break(4.6):
            pdf.add_page()
            header_row()
        due = formats.date_format(row.due_date, "SHORT_DATE_FORMAT")
        if row.due_date != row.nominal_date:
            due += "*"
        cells = (
            str(row.number),
            due,
            *(
                _plain(v)
                for v in (row.capital, row.interest, row.iva, row.fees, row.total, row.balance)
            ),
        )
        for text, width in zip(cells, widths, strict=True):
            pdf.cell(width, 4.6, _latin1(text), align="R" if width != 22 else "L")
        pdf.ln()
    totals = simulation.totals
    pdf.set_font("Helvetica", "B", 8)
    cells = (
        "",
        _("Total"),
        *(_plain(totals[k]) for k in ("capital", "interest", "iva", "fees", "total")),
        "",
    )
    for text, width in zip(cells, widths, strict=True):
        pdf.cell(width, 6, _latin1(text), border="T", align="R" if width != 22 else "L")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 7)
    notes = [
        _(
            "Period rate: TNA/12 for monthly cuotas, TNA x 7/365 weekly and TNA x 14/365 "
            "biweekly. Amounts rounded to cents half-up; the last cuota absorbs the rounding. "
            "CFT as defined by the BCRA (all the flows she pays, fees and taxes included)."
        )
    ]
    if any(r.due_date != r.nominal_date for r in simulation.rows):
        notes.append(_("* Moved to the next business day (weekend or public holiday)."))
    for note in notes:
        pdf.multi_cell(0, 3.5, _latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _pct_plain(value: Decimal) -> str:
    """A percent already in percent units (21 → ``21``, 10.5 → ``10,5``)."""
    text = format_usdc(value, places=1).removesuffix(" USDC")
    return text.removesuffix(",0").removesuffix(".0")
