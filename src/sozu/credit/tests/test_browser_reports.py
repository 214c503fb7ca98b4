"""Real Chromium against a live server: a staff member downloads the credit reports.

No local Stellar network is needed. Set SOZU_SCREENSHOT_DIR (e.g. docs/screenshots) to also
write the page at 1280 and 360 px.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from openpyxl import load_workbook
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from pypdf import PdfReader

from sozu.credit.tests.reports_data import credit_book
from sozu.web.tests.helpers import PASSWORD, org, staff

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    """An organization with a small credit book and a viewer, made before Chromium starts."""
    organization = org(name="Asociación Manos Unidas")
    book = credit_book(organization)
    return {
        "viewer": staff(organization, "viewer"),
        "usdc": book.usdc.reference,
        "cash": book.cash.amount,
    }


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/cuenta/login/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.wait_for_url(f"{base}/inicio/")


def _card(page: Page, title: str) -> Locator:
    return page.locator("section.report").filter(has=page.get_by_role("heading", name=title))


def test_download_repayments_as_xlsx_and_a_statement_as_pdf(
    live_server: Any, world: dict[str, Any], browser: Browser
) -> None:
    context = browser.new_context(
        locale="es-AR", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
    base = live_server.url
    _sign_in(page, base, world["viewer"].user.email)
    page.goto(f"{base}/creditos/reportes/")
    expect(page.get_by_role("heading", name="Reportes", exact=True)).to_be_visible()
    expect(page.locator("nav.subnav [aria-current=page]")).to_have_text("Reportes")

    repayments = _card(page, "Cobranzas")
    repayments.get_by_label("Desde").fill("2026-04-01")
    repayments.get_by_label("Hasta").fill("2026-04-30")
    with page.expect_download() as info:
        repayments.get_by_role("button", name="Descargar XLSX").click()
    download = info.value
    assert download.suggested_filename == "cobranzas-2026-04-01-a-2026-04-30.xlsx"
    ws = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))["Cobranzas"]
    header = [c.value for c in ws[1]]
    assert Decimal(str(ws.cell(row=2, column=header.index("Monto") + 1).value)) == world["cash"]
    assert ws.max_row == 1 + 5 + 2  # the header, five rows, a total per currency

    statement = _card(page, "Estado de cuenta")
    statement.get_by_label("Préstamo").fill(world["usdc"])
    with page.expect_download() as info:
        statement.get_by_role("button", name="Descargar PDF").click()
    text = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes())).pages[0].extract_text()
    assert "Estado de cuenta" in text and "Ana Quispe" in text and "1.000,00 USDC" in text

    # A wrong period is refused next to its field, in Spanish.
    disbursements = _card(page, "Desembolsos")
    disbursements.get_by_label("Desde").fill("2026-04-10")
    disbursements.get_by_label("Hasta").fill("2026-04-01")
    disbursements.get_by_role("button", name="Descargar CSV").click()
    expect(page.locator("#disbursements-end-error")).to_contain_text(
        "La fecha hasta (01/04/2026) es anterior a la fecha desde (10/04/2026)."
    )
    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots:
        page.goto(f"{base}/creditos/reportes/")
        page.screenshot(path=f"{shots}/reportes-desktop.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{base}/creditos/reportes/")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the reports page is {width} px wide"
    if shots:
        page.screenshot(path=f"{shots}/reportes-phone.png", full_page=True)
    assert csp == []
    context.close()


def test_no_serious_accessibility_violations(
    live_server: Any, world: dict[str, Any], browser: Browser
) -> None:
    axe = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
    context = browser.new_context(locale="es-AR", bypass_csp=True)
    page = context.new_page()
    _sign_in(page, live_server.url, world["viewer"].user.email)
    problems: dict[str, list[str]] = {}
    for name, url in (
        ("page", "/creditos/reportes/"),
        ("errors", "/creditos/reportes/cobranzas/?start=ayer&end=2026-01-01"),
        ("not found", "/creditos/reportes/estado-de-cuenta/?loan=SOZU-999999"),
    ):
        page.goto(live_server.url + url)
        page.add_script_tag(path=str(axe))
        result = page.evaluate("async () => await axe.run(document)")
        bad = [
            f"{v['id']}: {v['help']} {json.dumps(v['nodes'][0]['target'])}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            problems[name] = bad
    assert not problems, problems
    context.close()
