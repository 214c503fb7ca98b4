"""The reports page and its downloads: the numbers in the CSV, the XLSX (read back with
openpyxl) and the PDF (text read back with pypdf) are the loans' own, for one organization."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from sozu.credit.models import Loan
from sozu.credit.selectors import loan_position
from sozu.credit.tests.reports_data import (
    CHAIN_HASH,
    NOW,
    PAYOUT_HASH,
    TODAY,
    Book,
    credit_book,
)
from sozu.formatting import format_ars, format_usdc
from sozu.orgs.models import Organization
from sozu.web.tests.helpers import org, staff

pytestmark = pytest.mark.django_db

PAGE = "/creditos/reportes/"
PORTFOLIO = "/creditos/reportes/cartera/"
REPAYMENTS = "/creditos/reportes/cobranzas/"
DISBURSEMENTS = "/creditos/reportes/desembolsos/"
STATEMENT = "/creditos/reportes/estado-de-cuenta/"
APRIL = {"start": "2026-04-01", "end": "2026-04-30"}


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def organization() -> Organization:
    return org(name="Asociación Manos Unidas")


@pytest.fixture
def book(organization: Organization) -> Book:
    return credit_book(organization)


@pytest.fixture
def client_in(organization: Organization) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(staff(organization, "viewer").user)
    return client


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(body(response).decode())))


def workbook(response: Any) -> Any:
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(body(response)))


def pdf_text(response: Any) -> str:
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(body(response)))
    assert reader.pages[0].mediabox.width == pytest.approx(842, abs=1)  # A4 landscape
    return "\n".join(page.extract_text() for page in reader.pages)


def es_ars(value: Decimal) -> str:
    return format_ars(value, language="es")


def es_usdc(value: Decimal) -> str:
    return format_usdc(value, language="es")


def sheet_rows(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


# --- the page --------------------------------------------------------------------------------


def test_the_page_offers_every_report_in_three_formats(client_in, clock) -> None:
    r = client_in.get(PAGE)
    assert r.status_code == 200
    html = r.content.decode()
    for title in ("Cartera", "Cobranzas", "Desembolsos", "Estado de cuenta"):
        assert title in html
    assert html.count('value="xlsx"') == 4 and html.count('value="pdf"') == 4
    assert 'aria-current="page"' in html and ">Reportes<" in html  # the credit tab


def test_anonymous_is_sent_to_sign_in() -> None:
    for url in (PAGE, PORTFOLIO, REPAYMENTS, DISBURSEMENTS, STATEMENT):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/cuenta/login/")


# --- portfolio -------------------------------------------------------------------------------


def test_portfolio_csv_has_each_active_loan_with_its_capital_owed(client_in, book, clock) -> None:
    rows = csv_rows(client_in.get(PORTFOLIO, {"format": "csv"}))

    assert [r["prestamo"] for r in rows] == [book.usdc.reference, book.ars.reference]
    usdc, ars = rows
    position = loan_position(loan=book.usdc, as_of=TODAY)
    assert Decimal(usdc["capital_adeudado"]) == position.outstanding_capital
    assert Decimal(usdc["vencido_impago"]) == position.overdue
    assert usdc["estado"] == "Activo" and usdc["moneda"] == "USDC"
    assert (usdc["cuotas"], usdc["cuotas_pagas"]) == ("2", "1")
    second = book.usdc.schedule.get(number=2)
    assert usdc["proximo_vencimiento"] == second.due_date.isoformat()
    assert usdc["desembolsado"] == "2026-03-02"
    ars_position = loan_position(loan=book.ars, as_of=TODAY)
    assert Decimal(ars["capital_adeudado"]) == ars_position.outstanding_capital
    assert ars["moneda"] == "ARS" and ars["beneficiaria"] == "Rosa Mamani"
    assert Decimal(ars["monto"]) == Decimal("120000")


def test_portfolio_xlsx_has_real_numbers_formats_and_a_frozen_header(
    client_in, book, clock
) -> None:
    wb = workbook(client_in.get(PORTFOLIO, {"format": "xlsx"}))
    ws = wb["Cartera"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Préstamo", "Beneficiaria", "DNI / CUIL"]
    assert ws["A1"].font.b
    capital_col = header.index("Capital adeudado") + 1
    usdc_row, ars_row = ws[2], ws[3]
    usdc_capital = usdc_row[capital_col - 1]
    position = loan_position(loan=book.usdc, as_of=TODAY)
    assert Decimal(str(usdc_capital.value)) == position.outstanding_capital
    assert usdc_capital.number_format == '#,##0.00" USDC"'
    ars_amount = ars_row[header.index("Monto")]
    assert ars_amount.value == 120000 and ars_amount.number_format == '"$ "#,##0.00'
    disbursed = usdc_row[header.index("Desembolsado")]
    assert disbursed.value == dt.datetime(2026, 3, 2) and disbursed.number_format == "dd/mm/yyyy"
    # Totals per currency after the rows.
    totals = {row[0]: row for row in sheet_rows(ws)[3:]}
    assert Decimal(str(totals["Total ARS"][header.index("Monto")])) == Decimal("120000")
    assert Decimal(str(totals["Total USDC"][header.index("Monto")])) == Decimal("1000")
    info = sheet_rows(wb["Info"])
    assert info[0] == ["Cartera de préstamos"] and info[1] == ["Asociación Manos Unidas"]


def test_portfolio_pdf_shows_amounts_the_argentine_way(client_in, book, clock) -> None:
    text = pdf_text(client_in.get(PORTFOLIO, {"format": "pdf"}))
    assert "Cartera de préstamos" in text and "Asociación Manos Unidas" in text
    assert "Capital adeudado" in text
    position = loan_position(loan=book.usdc, as_of=TODAY)
    assert es_usdc(position.outstanding_capital) in text  # e.g. 512,34 USDC
    assert "$ 120.000,00" in text
    assert "1.000,00 USDC" in text
    assert "Total ARS" in text and "Total USDC" in text


def test_another_organizations_loans_are_not_in_the_portfolio(client_in, book, clock) -> None:
    credit_book(org(name="Otra"))
    rows = csv_rows(client_in.get(PORTFOLIO))  # CSV by default
    assert [r["prestamo"] for r in rows] == [book.usdc.reference, book.ars.reference]


# --- repayments ------------------------------------------------------------------------------


def test_repayments_csv_in_a_period_with_method_reference_and_operation(
    client_in, book, clock
) -> None:
    rows = csv_rows(client_in.get(REPAYMENTS, {**APRIL, "format": "csv"}))
    assert [r["fecha"] for r in rows] == [
        book.cash.received_on.isoformat(),
        "2026-04-06",
        "2026-04-07",
        "2026-04-08",
        "2026-04-10",
    ]
    cash, chain, wrong, reversal, ars = rows
    assert (cash["medio"], cash["comprobante"], cash["hash_transaccion"]) == (
        "Efectivo",
        "REC-0001",
        "",
    )
    assert Decimal(cash["importe"]) == book.cash.amount
    assert chain["medio"] == "En la red (Stellar)"
    assert (chain["hash_transaccion"], chain["operacion"]) == (CHAIN_HASH, "987654321")
    assert Decimal(chain["importe"]) == Decimal("10.00")
    assert (wrong["tipo"], Decimal(wrong["importe"])) == ("Pago", Decimal("50.00"))
    assert (reversal["tipo"], Decimal(reversal["importe"])) == ("Reversión", Decimal("-50.00"))
    assert (ars["moneda"], Decimal(ars["importe"])) == ("ARS", Decimal("20000.00"))


def test_repayments_outside_the_period_are_left_out(client_in, book, clock) -> None:
    rows = csv_rows(client_in.get(REPAYMENTS, {"start": "2026-04-07", "end": "2026-04-08"}))
    assert [Decimal(r["importe"]) for r in rows] == [Decimal("50.00"), Decimal("-50.00")]


def test_repayments_xlsx_and_pdf(client_in, book, clock) -> None:
    ws = workbook(client_in.get(REPAYMENTS, {**APRIL, "format": "xlsx"}))["Cobranzas"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    amounts = [Decimal(str(r[header.index("Monto")])) for r in sheet_rows(ws)[1:6]]
    assert amounts == [
        book.cash.amount,
        Decimal("10"),
        Decimal("50"),
        Decimal("-50"),
        Decimal("20000"),
    ]
    assert ws.cell(row=6, column=header.index("Monto") + 1).number_format == '"$ "#,##0.00'

    text = pdf_text(client_in.get(REPAYMENTS, {**APRIL, "format": "pdf"}))
    assert "Cobranzas" in text and "Del 01/04/2026 al 30/04/2026." in text
    assert "-50,00 USDC" in text and "$ 20.000,00" in text and "REC-0001" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-02-30"}, "“2026-02-30” no es una fecha: usá DD/MM/AAAA."),
        ({"start": "ayer"}, "“ayer” no es una fecha: usá DD/MM/AAAA."),
        (
            {"start": "2026-04-10", "end": "2026-04-01"},
            "La fecha hasta (01/04/2026) es anterior a la fecha desde (10/04/2026).",
        ),
        ({"format": "docx"}, "Elegí CSV, XLSX o PDF."),
    ],
)
def test_a_wrong_filter_answers_400_with_a_spanish_message(
    client_in, clock, query, message
) -> None:
    r = client_in.get(REPAYMENTS, query)
    assert r.status_code == 400
    assert r["Content-Type"].startswith("text/html")
    assert message in r.content.decode()


def test_dates_typed_day_first_are_read_as_such(client_in, book, clock) -> None:
    rows = csv_rows(client_in.get(REPAYMENTS, {"start": "07/04/2026", "end": "7/4/2026"}))
    assert [r["fecha"] for r in rows] == ["2026-04-07"]


# --- disbursements ---------------------------------------------------------------------------


def test_disbursements_with_payout_hash_and_exchange_rate(client_in, book, clock) -> None:
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    rows = csv_rows(client_in.get(DISBURSEMENTS, {**march, "format": "csv"}))
    usdc, ars = rows
    assert (usdc["prestamo"], usdc["desembolsado"], usdc["hash_transaccion"]) == (
        book.usdc.reference,
        "2026-03-02",
        PAYOUT_HASH,
    )
    assert usdc["tipo_de_cambio"] == ""
    assert Decimal(ars["tipo_de_cambio"]) == Decimal("1200")
    assert ars["fuente_tipo_de_cambio"] == "CriptoYa USDC/ARS compra"
    assert ars["fecha_tipo_de_cambio"] == "2026-03-10T09:30:00"
    assert Decimal(ars["enviado_usdc"]) == Decimal("100")
    assert rows == csv_rows(client_in.get(DISBURSEMENTS, march))  # CSV is the default
    assert csv_rows(client_in.get(DISBURSEMENTS, APRIL)) == []

    ws = workbook(client_in.get(DISBURSEMENTS, {**march, "format": "xlsx"}))["Desembolsos"]
    header = [c.value for c in ws[1]]
    sent = ws.cell(row=3, column=header.index("Enviado (USDC)") + 1)
    assert sent.value == 100 and sent.number_format == '#,##0.00" USDC"'
    rate = ws.cell(row=3, column=header.index("Tipo de cambio") + 1)
    assert rate.value == 1200 and rate.number_format == "#,##0.0000"
    quoted = ws.cell(row=3, column=header.index("Cotizado") + 1)
    assert quoted.value == dt.datetime(2026, 3, 10, 9, 30)

    text = pdf_text(client_in.get(DISBURSEMENTS, {**march, "format": "pdf"}))
    assert "Desembolsos" in text and "$ 120.000,00" in text and "1.200,0000" in text


# --- a borrower's account statement ----------------------------------------------------------


def test_statement_has_the_schedule_and_every_movement_with_its_balance(
    client_in, book, clock
) -> None:
    loan = book.usdc
    rows = body(client_in.get(STATEMENT, {"loan": loan.reference, "format": "csv"})).decode()
    schedule_part, movements_part = rows.split("\r\n\r\n")
    schedule = list(csv.DictReader(io.StringIO(schedule_part.split("\r\n", 1)[1])))
    movements = list(csv.DictReader(io.StringIO(movements_part.split("\r\n", 1)[1])))

    cuotas = list(loan.schedule.order_by("number"))
    assert [Decimal(r["total_cuota"]) for r in schedule] == [c.total for c in cuotas]
    assert Decimal(schedule[0]["adeudado"]) == 0
    assert schedule[0]["pagada_el"] == cuotas[0].due_date.isoformat()
    position = loan_position(loan=loan, as_of=TODAY)
    assert Decimal(schedule[1]["adeudado"]) == position.cuotas[1].outstanding

    concepts = [r["concepto"] for r in movements]
    assert concepts[:3] == ["Desembolso (2 cuotas)", "Pago", "Pago"]
    assert concepts[4].startswith("Reversión del pago del 07/04/2026")
    assert [Decimal(r["importe"]) for r in movements] == [
        Decimal("1000"),
        cuotas[0].total,
        Decimal("10"),
        Decimal("50"),
        Decimal("-50"),
    ]
    assert movements[0]["referencia"] == PAYOUT_HASH
    # After the first cuota, the capital owed is the second cuota's capital.
    assert Decimal(movements[1]["saldo_capital"]) == cuotas[1].capital
    # Paid before its due date, the 50 wait as her credit (the balance net of it drops);
    # the reversal puts back exactly what the wrong payment took off.
    owed = [Decimal(r["saldo_adeudado"]) for r in movements]
    credit = [Decimal(r["saldo_a_favor"]) for r in movements]
    assert (owed[3], credit[3]) == (owed[2] - 50, credit[2] + 50)
    assert (owed[4], credit[4]) == (owed[2], credit[2])
    assert owed[-1] == position.outstanding - position.credit
    assert Decimal(movements[-1]["saldo_capital"]) == position.outstanding_capital


def test_statement_xlsx_and_pdf(client_in, book, clock) -> None:
    loan = book.ars
    wb = workbook(client_in.get(STATEMENT, {"loan": str(loan.pk), "format": "xlsx"}))
    assert wb.sheetnames == ["Cronograma de cuotas", "Movimientos", "Info"]
    ws = wb["Cronograma de cuotas"]
    header = [c.value for c in ws[1]]
    cuotas = list(loan.schedule.order_by("number"))
    totals = [Decimal(str(r[header.index("Cuota")])) for r in sheet_rows(ws)[1:4]]
    assert totals == [c.total for c in cuotas]
    assert ws.cell(row=2, column=header.index("Cuota") + 1).number_format == '"$ "#,##0.00'

    response = client_in.get(STATEMENT, {"loan": loan.reference, "format": "pdf"})
    reader = PdfReader(io.BytesIO(body(response)))
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4 portrait
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Estado de cuenta" in text and "Rosa Mamani" in text
    assert "Cronograma" in text and "Movimientos" in text
    assert es_ars(cuotas[0].total) in text and "$ 20.000,00" in text
    assert "$ 120.000,00" in text


@pytest.mark.parametrize(
    ("loan", "status", "message"),
    [
        ("", 400, "Indicá el número o la referencia del préstamo (p. ej. SOZU-12)."),
        ("doce", 400, "“doce” no es un número de préstamo (p. ej. 12 o SOZU-12)."),
        ("SOZU-999999", 404, "No hay un préstamo SOZU-999999 en esta organización."),
    ],
)
def test_statement_of_a_wrong_loan(client_in, clock, loan, status, message) -> None:
    r = client_in.get(STATEMENT, {"loan": loan, "format": "pdf"})
    assert r.status_code == status
    assert message in r.content.decode()


def test_another_organizations_loan_is_not_found(client_in, clock) -> None:
    theirs = credit_book(org(name="Otra"))
    r = client_in.get(STATEMENT, {"loan": theirs.usdc.reference})
    assert r.status_code == 404
    assert "Ana Quispe" not in r.content.decode()


def test_a_pdf_longer_than_the_limit_is_refused_with_a_way_out(
    client_in, book, clock, settings
) -> None:
    settings.SOZU_REPORT_PDF_MAX_ROWS = 3
    r = client_in.get(REPAYMENTS, {**APRIL, "format": "pdf"})
    assert r.status_code == 400
    assert "Este reporte tiene 5 filas; un PDF admite hasta 3." in r.content.decode()
    assert csv_rows(client_in.get(REPAYMENTS, {**APRIL, "format": "csv"}))  # still there


def test_the_csv_is_streamed(client_in, book, clock) -> None:
    r = client_in.get(REPAYMENTS, APRIL)
    assert r.streaming
    assert Loan.objects.count() == 2


def test_the_portfolio_reads_loans_a_page_at_a_time(
    organization, book, clock, monkeypatch, django_assert_num_queries
) -> None:
    from sozu.credit.reports import tables
    from sozu.credit.tests.reports_data import active_loan

    more = [
        active_loan(organization, full_name=f"Emprendedora {n}", national_id=f"2{n}000000")
        for n in range(3)
    ]
    monkeypatch.setattr(tables, "CHUNK", 2)
    loans = tables.portfolio_loans(organization)
    # Five loans in pages of two: three pages of three queries (loans, cuotas, repayments),
    # and the empty page that ends it.
    with django_assert_num_queries(10):
        found = [
            (loan.pk, p.outstanding_capital) for loan, p in tables.positions(loans, as_of=TODAY)
        ]
    expected = [book.usdc, book.ars, *more]
    assert found == [
        (loan.pk, loan_position(loan=loan, as_of=TODAY).outstanding_capital) for loan in expected
    ]


def test_the_statement_of_a_loan_not_paid_out_yet(client_in, organization, clock) -> None:
    from sozu.credit.tests.factories import LoanProductFactory, draft_loan

    loan = draft_loan(product=LoanProductFactory.create(organization=organization))
    text = pdf_text_portrait(client_in.get(STATEMENT, {"loan": loan.reference, "format": "pdf"}))
    assert "Todavía sin cronograma: el préstamo no fue desembolsado." in text
    assert "Estado: Borrador." in text


def pdf_text_portrait(response: Any) -> str:
    assert response.status_code == 200, body(response)[:500]
    reader = PdfReader(io.BytesIO(body(response)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_name_that_looks_like_a_formula_stays_text(client_in, organization, clock) -> None:
    from sozu.credit.tests.reports_data import active_loan

    evil = '=HYPERLINK("http://example.com","x")'
    active_loan(organization, full_name=evil)
    (row,) = csv_rows(client_in.get(PORTFOLIO))
    assert row["beneficiaria"] == "'" + evil
    ws = workbook(client_in.get(PORTFOLIO, {"format": "xlsx"}))["Cartera"]
    cell = ws.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == (evil, "s")
