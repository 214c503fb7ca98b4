"""Real Chromium: an operator creates a solidarity group; the borrowers' pages pass axe-core
and fit a 360 px phone, under the strict CSP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright
from tests.factories import BeneficiaryFactory

from sozu.credit.services.reminders import reminders_enqueue
from sozu.credit.tests.borrowers.helpers import active_loan, at, cuotas, pay_all
from sozu.credit.tests.factories import LoanProductFactory
from sozu.web.tests.helpers import PASSWORD, org, staff

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(live_server: Any) -> dict[str, Any]:
    """Everything made before Chromium starts (see test_browser_simulator.py)."""
    organization = org()
    product = LoanProductFactory.create(organization=organization)
    people = [
        BeneficiaryFactory.create(organization=organization, full_name=name)
        for name in ("Ana Gómez", "Bea Díaz", "Carla Ruiz", "Dora Paz")
    ]
    good = active_loan(product=product, beneficiary=people[0])
    pay_all(good)
    late = active_loan(product=product, beneficiary=people[1])
    reminders_enqueue(now=at(cuotas(late)[0].due_date + dt.timedelta(days=1)))
    return {
        "operator": staff(organization, "operator"),
        "people": people,
        "good": good,
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


def test_create_a_group_and_check_every_page(
    live_server: Any, world: dict[str, Any], browser: Browser
) -> None:
    base = live_server.url
    context = browser.new_context(locale="es-AR", viewport={"width": 360, "height": 780})
    page = context.new_page()
    csp: list[str] = []
    page.on(
        "console",
        lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    _sign_in(page, base, world["operator"].user.email)
    page.goto(f"{base}/creditos/grupos/")
    expect(page.get_by_role("heading", name="Solidarity groups")).to_have_count(0)
    expect(page.get_by_role("heading", name="Grupos solidarios", exact=True)).to_be_visible()
    page.get_by_label("Nombre").fill("Las Hilanderas")
    for person in world["people"][1:]:
        page.get_by_label(person.full_name, exact=True).check()
    page.get_by_label("Coordinadora").select_option(label="Carla Ruiz")
    page.get_by_role("button", name="Crear el grupo").click()
    expect(page.get_by_role("heading", name="Las Hilanderas")).to_be_visible()
    expect(page.get_by_text("Grupo “Las Hilanderas” creado.")).to_be_visible()
    expect(page.get_by_role("heading", name="Otorgar el ciclo 1")).to_be_visible()
    group_url = page.url

    page.goto(f"{base}/creditos/ranking/")
    expect(page.locator("table.ranking tbody tr").first).to_contain_text("Ana Gómez")
    page.goto(f"{base}/creditos/recordatorios/")
    expect(page.locator("table.outbox")).to_contain_text("Bea Díaz")
    assert csp == []
    context.close()

    axe = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
    context = browser.new_context(locale="es-AR", bypass_csp=True)
    page = context.new_page()
    _sign_in(page, base, world["operator"].user.email)
    problems: dict[str, list[str]] = {}
    urls = [
        "/creditos/grupos/",
        group_url.removeprefix(base),
        "/creditos/ranking/",
        f"/creditos/ranking/{world['good'].beneficiary_id}/",
        "/creditos/recordatorios/",
    ]
    for url in urls:
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(base + url)
            if width == 360:
                scroll = page.evaluate("() => document.documentElement.scrollWidth")
                if scroll > 360:
                    problems.setdefault(url, []).append(f"{scroll} px wide at 360")
                continue
            page.add_script_tag(path=str(axe))
            result = page.evaluate("async () => await axe.run(document)")
            bad = [
                f"{v['id']}: {v['help']} {json.dumps(v['nodes'][0]['target'])}"
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                problems.setdefault(url, []).extend(bad)
    context.close()
    assert problems == {}
