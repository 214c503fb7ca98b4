"""Real Chromium against a live server: the arrears list (filters, follow-up with a promise to
pay) and the indicators page (charts under the CSP), at 1280 and 360 px, with axe-core.

The loans are paid out about five months before today (the pages use today's date), through
the services with the clock frozen at each step, before Chromium starts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sozu.credit.services.portfolio import loan_states_refresh
from sozu.credit.tests.factories import LoanProductFactory
from sozu.web.tests.helpers import PASSWORD, org, staff

from .helpers import active_loan, pay

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(live_server: Any) -> dict[str, Any]:
    organization = org()
    today = timezone.localdate()
    start = today - dt.timedelta(days=150)
    micro = LoanProductFactory.create(organization=organization, name="Micro")
    taller = LoanProductFactory.create(organization=organization, name="Taller")
    good = active_loan(product=micro, paid_on=start, amount="600", cuotas=8)
    late = active_loan(product=micro, paid_on=start, amount="1200", cuotas=8)
    never = active_loan(product=taller, paid_on=start + dt.timedelta(days=60), cuotas=8)
    for cuota in good.schedule.order_by("number"):
        if cuota.due_date < today:
            pay(good, cuota.total, cuota.due_date, f"G-{cuota.number}")
    first = late.schedule.order_by("number")[0]
    pay(late, first.total, first.due_date, "L-1")
    loan_states_refresh(as_of=today)
    names = {}
    for key, loan in (("good", good), ("late", late), ("never", never)):
        loan.beneficiary.full_name = f"Emprendedora {key}"
        loan.beneficiary.save()
        names[key] = loan
    return {
        "org": organization,
        "loans": names,
        "viewer": staff(organization, "viewer"),
        "operator": staff(organization, "operator"),
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


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def test_arrears_list_filters_and_a_promise_to_pay(
    live_server: Any, book: dict[str, Any], browser: Browser
) -> None:
    context = browser.new_context(locale="es-AR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations = _csp_violations(page)
    base = live_server.url
    _sign_in(page, base, book["operator"].user.email)
    page.goto(f"{base}/creditos/mora/")
    expect(page.get_by_role("heading", name="Mora", exact=True)).to_be_visible()
    table = page.locator("table.arrears")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("Emprendedora late")
    expect(table).to_contain_text("Emprendedora never")
    expect(table).not_to_contain_text("Emprendedora good")
    expect(table).to_contain_text("+5491112345678")
    # Filter by product: only the Taller loan is left.
    page.get_by_label("Producto").select_option(label="Taller")
    page.get_by_role("button", name="Filtrar").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Emprendedora never")
    # Log a promise to pay on the late loan.
    page.goto(f"{base}/creditos/mora/")
    table.get_by_role("link", name="Emprendedora late").click()
    expect(page.get_by_role("heading", name="Registrar un seguimiento")).to_be_visible()
    page.get_by_label("Qué se hizo").select_option("promise")
    page.get_by_label("Nota").fill("Paga el viernes en la feria")
    promised = timezone.localdate() + dt.timedelta(days=3)
    page.get_by_label("Fecha prometida").fill(promised.isoformat())
    page.get_by_label("Monto prometido").fill("150")
    page.get_by_role("button", name="Guardar").click()
    log = page.locator("section", has=page.get_by_role("heading", name="Registro de seguimiento"))
    expect(log).to_contain_text("Paga el viernes en la feria")
    expect(log).to_contain_text("Pendiente")
    page.get_by_role("link", name="← Mora").click()
    expect(page.locator("table.arrears")).to_contain_text(
        f"Prometido para el {promised.strftime('%d/%m')}"
    )
    # 360 px: the page is no wider than the phone (the table scrolls in its box).
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the arrears page is {width} px wide"
    assert violations == []
    context.close()


def test_indicators_page_draws_its_charts(
    live_server: Any, book: dict[str, Any], browser: Browser
) -> None:
    context = browser.new_context(locale="es-AR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations = _csp_violations(page)
    base = live_server.url
    _sign_in(page, base, book["viewer"].user.email)
    page.goto(f"{base}/creditos/indicadores/")
    expect(page.get_by_role("heading", name="Indicadores de la cartera")).to_be_visible()
    expect(page.locator(".portfolio-stats")).to_contain_text("PAR 30")
    expect(page.get_by_role("link", name="Indicadores")).to_have_attribute("aria-current", "page")
    page.wait_for_function(
        "() => window.Chart && document.querySelectorAll('canvas[data-drawn]').length === 3"
    )
    labels = page.evaluate(
        "() => Chart.getChart(document.querySelector("
        "'canvas[data-portfolio-chart=chart-products]')).data.labels"
    )
    assert labels == ["Micro", "Taller"]
    page.set_viewport_size({"width": 360, "height": 780})
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('canvas[data-drawn]').length === 3")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the indicators page is {width} px wide"
    assert violations == []
    context.close()


def test_no_serious_accessibility_violations(
    live_server: Any, book: dict[str, Any], browser: Browser
) -> None:
    from django.conf import settings

    axe = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
    context = browser.new_context(locale="es-AR", bypass_csp=True)
    page = context.new_page()
    _sign_in(page, live_server.url, book["operator"].user.email)
    late = book["loans"]["late"]
    problems: dict[str, list[str]] = {}
    for name, url in (
        ("arrears", "/creditos/mora/"),
        ("arrears-filtered", "/creditos/mora/?bucket=90%2B"),
        ("follow-up", f"/creditos/mora/{late.pk}/seguimiento/"),
        ("indicators", "/creditos/indicadores/"),
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
