"""Beneficiarias in real Chromium against a live server and the local network.

An operator registers a woman whose wallet is ready, checks it on the network, and an
approver approves her; a CSV with three bad rows shows each error, is fixed and confirmed.
axe-core runs on every page visited. With SOZU_SCREENSHOTS=1 the pages are also saved to
docs/screenshots/ (desktop 1280 px and phone 360 px).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from tests.factories import BeneficiaryFactory, cuil_for, random_address

from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.tests.web.helpers import PDF
from sozu.web.tests.helpers import PASSWORD, TOTP_SECRET, staff, totp_code

CHROMIUM = "/usr/bin/chromium"
AXE = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR).parent.parent / "docs" / "screenshots"
S = Beneficiary.Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def new_context(browser: Browser) -> BrowserContext:
    # axe is injected by the test: only these contexts bypass the page's CSP for it.
    return browser.new_context(
        locale="es-AR", viewport={"width": 1280, "height": 860}, bypass_csp=True
    )


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/cuenta/login/")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.locator("input[name=code]").fill(totp_code(TOTP_SECRET))
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")


def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']}: {v['help']} {json.dumps(n['target'])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
        for n in v["nodes"]
    ]
    assert bad == [], (page.url, bad)


def shoot(page: Page, name: str) -> None:
    """docs/screenshots/<name>-desktop.png and -phone.png, when SOZU_SCREENSHOTS=1."""
    if os.environ.get("SOZU_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for label, size in (("desktop", (1280, 860)), ("phone", (360, 780))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    if before:
        page.set_viewport_size(before)


def test_an_operator_registers_her_the_network_says_ready_and_an_approver_approves(
    live_server: Any, browser: Browser, make_org: Any, make_recipient: Any, tmp_path: Path
) -> None:
    org = make_org()
    operator = staff(org, "operator", totp_secret=TOTP_SECRET)
    approver = staff(org, "approver", totp_secret=TOTP_SECRET)
    for i, name in enumerate(("Beatriz Ruiz", "Carla Sosa", "Dora Paz")):
        BeneficiaryFactory.create(
            organization=org,
            full_name=name,
            locality="Jujuy",
            ready_to_receive=i != 1,
            status=S.APPROVED if i else S.APPLIED,
        )
    address = make_recipient()
    base = live_server.url
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, base, operator.user.email)

    page.get_by_role("link", name="Beneficiarias").click()
    expect(page.get_by_role("heading", name="Beneficiarias")).to_be_visible()
    accessible(page)
    shoot(page, "beneficiarias")
    page.get_by_role("link", name="Nueva solicitud").click()

    # A wrong CUIL is flagged as soon as she leaves the field (htmx), before saving.
    page.get_by_label("DNI o CUIL").fill("27-30111222-0")
    page.get_by_label("Celular").click()
    expect(page.locator("#id_national_id_error")).to_contain_text("dígito verificador")
    # Saving with mistakes keeps what was typed and lists each problem under its field.
    page.get_by_label("Celular").fill("4444")
    page.get_by_role("button", name="Guardar solicitud").click()
    expect(page.locator(".alert.bad")).to_contain_text("no se guardó nada")
    expect(page.locator("#id_full_name_error")).to_contain_text("Falta el nombre")
    expect(page.locator("#id_phone_error")).to_be_visible()
    accessible(page)
    shoot(page, "beneficiaria-solicitud-errores")

    page.get_by_label("Nombre y apellido").fill("Ana Quispe")
    page.get_by_label("DNI o CUIL").fill("30.111.222")
    page.get_by_label("Celular").fill("+54 9 387 555-0101")
    page.get_by_label("Dirección Stellar").fill(address)
    page.get_by_label("Localidad").fill("Salta")
    page.get_by_label("Actividad").fill("Panadería")
    pdf = tmp_path / "solicitud firmada.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Adjuntos").set_input_files(str(pdf))
    page.get_by_role("button", name="Guardar solicitud").click()

    expect(page.get_by_role("heading", name="Ana Quispe")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Solicitud de Ana Quispe guardada")
    expect(page.locator("#readiness")).to_contain_text("Todavía no se verificó en la red")
    page.get_by_role("button", name="Verificar ahora").click()
    expect(page.locator("#readiness")).to_contain_text("lista para recibir")
    expect(page.get_by_role("link", name="solicitud firmada.pdf")).to_be_visible()
    accessible(page)
    shoot(page, "beneficiaria-solicitud")
    ctx.close()

    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, base, approver.user.email)
    page.goto(f"{base}/beneficiarias/?status=applied")
    page.get_by_role("link", name="Ana Quispe").click()
    expect(page.get_by_role("link", name="Editar")).to_have_count(0)  # approvers review only
    page.get_by_role("button", name="Aprobar solicitud").click()
    expect(page.locator(".messages")).to_contain_text("Ana Quispe fue aprobada")
    expect(page.locator("h1")).to_contain_text("Aprobada")
    expect(page.locator("#readiness")).to_contain_text("lista para recibir")
    expect(page.locator(".timeline")).to_contain_text("Aprobada")
    accessible(page)
    shoot(page, "beneficiaria-detalle")
    ana = Beneficiary.objects.get(organization=org, full_name="Ana Quispe")
    assert ana.status == S.APPROVED and ana.ready_to_receive is True
    assert ana.attachments.get().original_name == "solicitud firmada.pdf"

    # The list, filtered by "ready to receive", finds her (htmx swaps only the results).
    page.get_by_role("link", name="Beneficiarias").first.click()
    page.get_by_label("Lista para recibir").select_option("si")
    expect(page.locator("#results")).not_to_contain_text("Carla Sosa")
    expect(page.locator("#results")).to_contain_text("Ana Quispe")
    assert "ready=si" in page.url
    # Typing in the search box narrows the results as she types.
    page.get_by_label("Lista para recibir").select_option("")
    page.get_by_label("Buscar").fill("dora")
    expect(page.locator("#results")).not_to_contain_text("Ana Quispe")
    expect(page.locator("#results")).to_contain_text("Dora Paz")
    ctx.close()


def test_a_csv_with_three_bad_rows_shows_each_error_is_fixed_and_confirmed(
    live_server: Any, browser: Browser, make_org: Any, tmp_path: Path
) -> None:
    org = make_org()
    operator = staff(org, "operator", totp_secret=TOTP_SECRET)
    a = [random_address() for _ in range(4)]
    header = "nombre;dni;telefono;direccion stellar;localidad"
    bad = [
        f"Ana Quispe;30111222;+54 9 387 555-0101;{a[0]};Salta",
        f"Beatriz Ruiz;20-12345678-0;+54 9 387 555-0102;{a[1]};Salta",  # wrong check digit
        "Carla Sosa;28234567;+54 9 387 555-0103;GNOTANADDRESS;Jujuy",  # bad address
        f"Dora Paz;30111222;+54 9 387 555-0104;{a[3]};Tucumán",  # Ana's DNI again
    ]
    path = tmp_path / "beneficiarias.csv"
    path.write_text("\n".join([header, *bad]) + "\n", encoding="utf-8")
    base = live_server.url
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, base, operator.user.email)
    page.goto(f"{base}/beneficiarias/")
    page.get_by_role("link", name="Importar CSV").click()
    page.get_by_label("Archivo CSV").set_input_files(str(path))
    page.get_by_role("button", name="Revisar").click()

    expect(page.locator(".preview")).to_be_visible()
    expect(page.get_by_text("3 filas tienen errores")).to_be_visible()
    expect(page.locator("#line-2")).to_contain_text("OK")
    expect(page.locator("#line-3")).to_contain_text("dígito verificador")
    expect(page.locator("#line-4")).to_contain_text("no es una dirección Stellar")
    expect(page.locator("#line-5")).to_contain_text("línea 2")
    accessible(page)
    shoot(page, "beneficiarias-importar-vista-previa")
    assert not Beneficiary.objects.filter(organization=org).exists()

    fixed = [
        bad[0],
        f"Beatriz Ruiz;{cuil_for('30555666')};+54 9 387 555-0102;{a[1]};Salta",
        f"Carla Sosa;28234567;+54 9 387 555-0103;{a[2]};Jujuy",
        f"Dora Paz;31222333;+54 9 387 555-0104;{a[3]};Tucumán",
    ]
    page.get_by_label("Contenido del archivo").fill("\n".join([header, *fixed]) + "\n")
    page.get_by_role("button", name="Revisar de nuevo").click()
    expect(page.get_by_text("4 filas están bien")).to_be_visible()
    expect(page.locator(".preview .errorlist")).to_have_count(0)
    page.get_by_role("button", name="Guardar 4 solicitudes").click()

    expect(page.locator(".messages")).to_contain_text("Se importaron 4 solicitudes")
    expect(page.locator("#results")).to_contain_text("4 beneficiarias")
    for name in ("Ana Quispe", "Beatriz Ruiz", "Carla Sosa", "Dora Paz"):
        expect(page.locator("#results")).to_contain_text(name)
    assert Beneficiary.objects.filter(organization=org, status=S.APPLIED).count() == 4
    ctx.close()
