"""Real Chromium against a live server: a staff member simulates a loan and downloads the CSV.

No local Stellar network is needed: the simulator reads nothing from it. Set
SOZU_SCREENSHOT_DIR (e.g. docs/screenshots) to also write the page at 1280 and 360 px.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sozu.credit.simulator import simulate
from sozu.formatting import format_ars as _format_ars
from sozu.web.tests.helpers import PASSWORD, org, staff


def format_ars(value: Decimal) -> str:
    """As the Spanish page shows it, whatever language this thread has active."""
    return _format_ars(value, language="es")


CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def members(live_server: Any) -> dict[str, Any]:
    """Staff of one organization, created before Chromium starts.

    ORM calls made while Playwright's sync API runs happen in another context and open a
    second database connection that PostgreSQL still sees when the test database is dropped.
    """
    organization = org()
    return {role: staff(organization, role) for role in ("viewer", "operator", "approver")}


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/cuenta/login/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.wait_for_url(f"{base}/inicio/")


def test_simulate_see_schedule_and_chart_then_download_csv(
    live_server: Any, members: dict[str, Any], browser: Browser
) -> None:
    member = members["viewer"]
    context = browser.new_context(
        locale="es-AR", viewport={"width": 1280, "height": 860}, accept_downloads=True
    )
    page = context.new_page()
    violations = _csp_violations(page)
    base = live_server.url
    _sign_in(page, base, member.user.email)

    # The menu's Créditos opens the loans; the simulator is one of the section's tabs.
    page.get_by_role("link", name="Créditos", exact=True).click()
    page.get_by_role("link", name="Simulador").click()
    expect(page.get_by_role("heading", name="Simulador de crédito")).to_be_visible()
    page.get_by_label("Monto", exact=True).fill("250000")
    page.get_by_label("Cuotas", exact=True).fill("10")
    page.get_by_label("Frecuencia").select_option("biweekly")
    page.get_by_label("TNA (%)").fill("85")
    page.get_by_label("Sistema de amortización").select_option("german")
    page.get_by_label("IVA sobre el interés").select_option("10.5")
    page.get_by_label("Comisión de otorgamiento (%, opcional)").fill("2")
    page.get_by_label("Primer vencimiento").fill("2026-12-18")
    page.get_by_role("button", name="Simular").click()

    sim = simulate(
        amount="250000",
        cuotas=10,
        frequency="biweekly",
        tna="85",
        system="german",
        iva="10.5",
        origination_fee="2",
        first_due="2026-12-18",
        business_days=True,
    )
    table = page.locator("table.schedule")
    expect(table.locator("tbody tr")).to_have_count(10)
    expect(table.locator("tfoot")).to_contain_text(format_ars(sim.totals["total"]))
    expect(page.locator("[data-figure=interest]")).to_have_text(format_ars(sim.totals["interest"]))
    # 25 Dec 2026 (Navidad) is not a due date here, but 1 Jan 2027 is: it moves to Monday 4.
    moved = [r for r in sim.rows if r.due_date != r.nominal_date]
    assert moved
    expect(table).to_contain_text("movida del")
    # The chart is drawn by the static script from the JSON island, under the strict CSP.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-sim-chart]'))"
    )
    bars = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-sim-chart]'))"
        ".data.datasets[0].data.length"
    )
    assert bars == 10

    with page.expect_download() as info:
        page.get_by_role("link", name="Descargar CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0][0] == "cuota"
    assert rows[11][0] == "total" and rows[11][3] == "250000.00"

    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots:
        page.screenshot(path=f"{shots}/simulador-desktop.png", full_page=True)
    # On a 360 px phone the page is no wider than the screen: the table scrolls in its box.
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-sim-chart]'))"
    )
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the simulator is {width} px wide"
    if shots:
        page.screenshot(path=f"{shots}/simulador-phone.png", full_page=True)
    assert violations == []
    context.close()


def test_errors_show_next_to_the_fields_in_the_browser(
    live_server: Any, members: dict[str, Any], browser: Browser
) -> None:
    member = members["operator"]
    context = browser.new_context(locale="es-AR", viewport={"width": 360, "height": 780})
    page = context.new_page()
    _sign_in(page, live_server.url, member.user.email)
    page.goto(f"{live_server.url}/simulador/")
    page.get_by_label("Monto", exact=True).fill("0")
    page.get_by_label("Cuotas", exact=True).fill("500")
    page.get_by_label("TNA (%)").fill("60")
    page.get_by_role("button", name="Simular").click()
    expect(page.get_by_role("alert")).to_contain_text("Revisá los datos marcados")
    expect(page.locator("#id_amount-error")).to_contain_text("El monto debe ser mayor que cero")
    expect(page.locator("#id_cuotas-error")).to_contain_text("entre 1 y 360")
    expect(page.locator("table.schedule")).to_have_count(0)
    if shots := os.environ.get("SOZU_SCREENSHOT_DIR"):
        page.screenshot(path=f"{shots}/simulador-errores-phone.png", full_page=True)
    context.close()


def test_no_serious_accessibility_violations(
    live_server: Any, members: dict[str, Any], browser: Browser
) -> None:
    """axe-core on the page with a result and with field errors (as the dashboard's own test)."""
    import json

    from django.conf import settings

    axe = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
    member = members["approver"]
    # axe is injected by the test, so this context alone lets it past the page's CSP.
    context = browser.new_context(locale="es-AR", bypass_csp=True)
    page = context.new_page()
    _sign_in(page, live_server.url, member.user.email)
    query = (
        "amount=100000&currency=ARS&cuotas=12&frequency=monthly&tna=60&system=french&iva=21"
        "&origination_fee=3&insurance=0.2&first_due=2026-05-01&business_days=on"
    )
    problems: dict[str, list[str]] = {}
    for name, url in (
        ("result", f"/simulador/?{query}"),
        ("errors", f"/simulador/?{query.replace('cuotas=12', 'cuotas=0')}"),
        ("empty", "/simulador/"),
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
    context.close()
    assert problems == {}
