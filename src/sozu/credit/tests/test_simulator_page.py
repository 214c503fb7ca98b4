"""The simulator page (Django test client): figures from simulate(), field errors, exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from sozu.credit.simulator import simulate
from sozu.formatting import format_ars as _format_ars
from sozu.formatting import format_usdc
from sozu.web.tests.helpers import org, staff

pytestmark = pytest.mark.django_db


def format_ars(value: Decimal) -> str:
    """As the Spanish page shows it, whatever language this thread has active."""
    return _format_ars(value, language="es")


URL = "/simulador/"
INPUTS = {
    "amount": "100000",
    "currency": "ARS",
    "cuotas": "12",
    "frequency": "monthly",
    "tna": "60",
    "system": "french",
    "iva": "21",
    "origination_fee": "3",
    "insurance": "0.2",
    "first_due": "2026-05-01",  # a public holiday (Día del Trabajador), a Friday
    "business_days": "on",
}


@pytest.fixture
def client_in() -> Client:
    membership = staff(org(), "viewer")
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR")
    client.force_login(membership.user)
    return client


def _pct(rate: Decimal, places: int) -> str:
    return format_usdc(rate * 100, places=places, language="es").removesuffix(" USDC") + " %"


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get(URL, INPUTS)
    assert response.status_code == 302
    assert response["Location"].startswith("/cuenta/login/")
    for url in ("/simulador/csv/", "/simulador/pdf/"):
        assert Client().get(url, INPUTS)["Location"].startswith("/cuenta/login/")


def test_valid_simulation_shows_the_figures_of_simulate(client_in: Client) -> None:
    response = client_in.get(URL, INPUTS)
    assert response.status_code == 200
    html = response.content.decode()
    sim = simulate(
        amount="100000",
        cuotas=12,
        frequency="monthly",
        tna="60",
        system="french",
        iva="21",
        origination_fee="3",
        insurance="0.2",
        first_due="2026-05-01",
        business_days=True,
    )
    # Every row's amounts, in es-AR format, and the totals.
    for row in sim.rows:
        for value in (row.capital, row.interest, row.iva, row.fees, row.total, row.balance):
            assert format_ars(value) in html
    assert format_ars(sim.totals["interest"]) in html
    assert format_ars(sim.totals["total"]) in html
    assert format_ars(sim.net_disbursed) in html
    # The rates.
    assert _pct(sim.period_rate, 4) in html
    assert "5,0000 %" in html  # 60 % / 12
    for rate in (
        sim.tea,
        sim.cft_nominal,
        sim.cft_effective,
        sim.cft_nominal_without_iva,
        sim.cft_effective_without_iva,
    ):
        assert _pct(rate, 2) in html
    assert "79,59 %" in html  # TEA of 5 % a month
    # 1 May 2026 is a holiday: the cuota moves to Monday 4 May and the page says so.
    assert sim.rows[0].due_date.isoformat() == "2026-05-04"
    assert "04/05/2026" in html and "movida del 01/05/2026" in html
    # The chart's data island and its static script (no inline script).
    assert 'id="sim-chart" type="application/json"' in html
    assert "credit/simulator.js" in html
    # The conventions, in Spanish.
    assert "TNA dividida por 12" in html
    assert "7/365" in html and "14/365" in html
    # The menu marks the page.
    assert 'aria-current="page">Simulador</a>' in html


def test_usdc_currency_shows_usdc_amounts(client_in: Client) -> None:
    html = client_in.get(URL, {**INPUTS, "currency": "USDC"}).content.decode()
    assert "100.000,00 USDC" in html
    assert "$ 100.000,00" not in html


def test_form_defaults_first_due_to_today_plus_one_period(client_in: Client) -> None:
    with time_machine.travel("2026-03-31 12:00 -03:00", tick=False):
        html = client_in.get(URL).content.decode()
        assert 'value="2026-04-30"' in html  # monthly, clamped to April's end
        html = client_in.get(URL, {"frequency": "weekly"}).content.decode()
        assert 'value="2026-04-07"' in html
    assert "Simular" in html


def test_every_bad_field_gets_its_own_spanish_error(client_in: Client) -> None:
    bad = {
        **INPUTS,
        "amount": "-5",
        "cuotas": "0",
        "tna": "abc",
        "first_due": "31/02/2026",
        "origination_fee": "150",
        "frequency": "daily",
    }
    response = client_in.get(URL, bad)
    assert response.status_code == 400
    html = response.content.decode()
    errors = {e["id"]: e for e in _errors(html)}
    assert "El monto debe ser mayor que cero" in errors["id_amount-error"]["text"]
    assert "La cantidad de cuotas debe estar entre 1 y 360" in errors["id_cuotas-error"]["text"]
    assert "La TNA debe estar entre 0 y 1000" in errors["id_tna-error"]["text"]
    assert "no es una fecha" in errors["id_first_due-error"]["text"]
    assert "comisión de otorgamiento" in errors["id_origination_fee-error"]["text"]
    assert "id_frequency-error" in errors
    assert "id_insurance-error" not in errors
    assert "sim-chart" not in html  # no result


def test_required_fields_and_a_fee_that_leaves_nothing(client_in: Client) -> None:
    html = client_in.get(URL, {"amount": ""}).content.decode()
    assert "Este campo es obligatorio." in html
    response = client_in.get(URL, {**INPUTS, "origination_fee": "90"})
    assert response.status_code == 400
    assert "comisión de otorgamiento" in response.content.decode()


def _errors(html: str) -> list[dict[str, Any]]:
    import re

    return [
        {"id": m.group(1), "text": m.group(2)}
        for m in re.finditer(r'<span class="field-error" id="([^"]+)">([^<]*)</span>', html)
    ]


def test_csv_download_is_the_schedule(client_in: Client) -> None:
    response = client_in.get("/simulador/csv/", INPUTS)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["cuota", "vencimiento", "vencimiento_original", "capital"]
    assert rows[1][1:3] == ["2026-05-04", "2026-05-01"]
    assert rows[13][0] == "total" and rows[13][3] == "100000.00"


def test_pdf_download_opens_and_has_the_totals_and_rates(client_in: Client) -> None:
    response = client_in.get("/simulador/pdf/", INPUTS)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    sim = simulate(
        amount="100000",
        cuotas=12,
        frequency="monthly",
        tna="60",
        system="french",
        iva="21",
        origination_fee="3",
        insurance="0.2",
        first_due="2026-05-01",
        business_days=True,
    )
    assert format_ars(sim.totals["interest"]) in text
    assert format_ars(sim.totals["total"]) in text
    assert _pct(sim.cft_effective, 2) in text
    assert "TEA" in text and "79,59 %" in text
    assert "Simulación de crédito" in text


def test_export_with_bad_input_shows_the_errors_not_a_500(client_in: Client) -> None:
    for url in ("/simulador/csv/", "/simulador/pdf/"):
        response = client_in.get(url, {**INPUTS, "cuotas": "mil"})
        assert response.status_code == 400
        assert "cantidad de cuotas" in response.content.decode()


def test_huge_or_odd_input_never_500s(client_in: Client) -> None:
    for amount in ("1e400", "NaN", "9" * 50, "0,001", "1.234,56", "1e999999999999999"):
        response = client_in.get(URL, {**INPUTS, "amount": amount})
        assert response.status_code in (200, 400), amount
    # Scientific notation is refused before the simulator would write out its digits.
    response = client_in.get(URL, {**INPUTS, "tna": "1e99999999999", "insurance": "2e9999999"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "La TNA debe estar entre 0 y 1000" in html
    assert 'id="id_insurance-error">El campo seguro debe estar' in html


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("100.000", "$ 100.000,00"),  # a hundred thousand, as written in Argentina
        ("1.234.567,89", "$ 1.234.567,89"),
        ("1500,5", "$ 1.500,50"),
        ("1500.50", "$ 1.500,50"),
        ("250000", "$ 250.000,00"),
    ],
)
def test_amounts_typed_the_argentine_way(client_in: Client, typed: str, shown: str) -> None:
    response = client_in.get(URL, {**INPUTS, "amount": typed, "cuotas": "1"})
    assert response.status_code == 200
    # The one cuota repays the whole amount: its capital is the amount typed.
    assert f'<td class="num">{shown}</td>' in response.content.decode()


def test_english_page_renders(client_in: Client) -> None:
    response = client_in.get(URL, INPUTS, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Credit simulator" in html and "How it is calculated" in html
