"""Real Chromium against a live server and the local network: Lotes and Pago individual.

A worker runs in a thread for the whole test, as `sozu worker` would beside the site. With
SOZU_SCREENSHOTS_DIR set, the pages are also photographed (1280 px and 360 px wide).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
from stellar_sdk import Server
from tests.factories import BeneficiaryFactory

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.services.batches import batch_create
from sozu.disbursements.tests.web.helpers import new_totp_secret
from sozu.disbursements.worker import Worker
from sozu.web.tests.helpers import PASSWORD, staff, totp_code

CHROMIUM = "/usr/bin/chromium"
PHONE: ViewportSize = {"width": 360, "height": 780}
DESKTOP: ViewportSize = {"width": 1280, "height": 860}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def person(
    browser: Browser, org: Any, role: str, base: str, *, bypass_csp: bool = False
) -> tuple[Page, Any]:
    """A staff member of `role`, signed in with password + TOTP in their own browser."""
    secret = new_totp_secret()
    member = staff(org, role, totp_secret=secret)
    ctx: BrowserContext = browser.new_context(
        locale="es-AR", viewport=DESKTOP, bypass_csp=bypass_csp
    )
    page = ctx.new_page()
    page.goto(f"{base}/cuenta/login/")
    page.get_by_label("Correo electrónico").fill(member.user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")
    return page, member


def shot(page: Page, name: str) -> None:
    """docs/screenshots/<name>-desktop.png and -phone.png, when SOZU_SCREENSHOTS_DIR is set."""
    out = os.environ.get("SOZU_SCREENSHOTS_DIR")
    if not out:
        return
    Path(out).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or DESKTOP
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=f"{out}/{name}-{label}.png", full_page=True)
    page.set_viewport_size(size)


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def count_polls(page: Page, url: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url) if req.url.startswith(url) else None)
    return seen


def count_navigations(page: Page) -> list[str]:
    seen: list[str] = []
    page.on(
        "framenavigated", lambda frame: seen.append(frame.url) if frame == page.main_frame else None
    )
    return seen


def test_a_batch_from_a_csv_is_fixed_prepared_approved_executed_and_paid_live(
    live_server: Any,
    browser: Browser,
    make_org: Any,
    make_recipient: Any,
    localnet: Any,
    worker: Worker,
) -> None:
    org = make_org(usdc="1000")
    base = live_server.url
    ok = [make_recipient() for _ in range(3)]
    bad = (
        "destination,amount,memo\n"
        f"{ok[0]},10,marzo\n"
        "GNOESUNADIRECCION,5,marzo\n"  # line 3: not an address
        f"{ok[1]},diez,marzo\n"  # line 4: not an amount
        f"{ok[2]},0,marzo\n"  # line 5: zero
    )
    operator, _ = person(browser, org, "operator", base)
    operator.goto(f"{base}/lotes/nuevo/")
    shot(operator, "lotes-nuevo")
    operator.get_by_label("Nombre del lote").fill("Desembolsos de marzo")
    operator.get_by_label("Archivo CSV", exact=True).set_input_files(
        {"name": "marzo.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    operator.get_by_role("button", name="Revisar el archivo").click()
    expect(operator.get_by_role("alert").first).to_contain_text("3 filas tienen errores")
    errors = operator.locator("tr.row-error")
    expect(errors).to_have_count(3)
    expect(operator.locator("tr[data-line='3']")).to_contain_text(
        "no es una dirección Stellar válida"
    )
    expect(operator.locator("tr[data-line='4']")).to_contain_text("“diez” no es un monto válido.")
    expect(operator.locator("tr[data-line='5']")).to_contain_text(
        "El monto debe ser mayor que cero."
    )
    expect(operator.locator("tr[data-line='2']")).to_contain_text("OK")
    expect(operator.get_by_role("button", name="Confirmar y crear el lote")).to_have_count(0)
    shot(operator, "lotes-vista-previa-con-errores")
    assert Batch.objects.count() == 0

    fixed = "destination,amount,memo\n" + "".join(
        f"{d},{a},marzo\n" for d, a in zip(ok, ("10", "5", "2.5"), strict=True)
    )
    operator.get_by_label("Editá el CSV acá…").fill(fixed)
    operator.get_by_role("button", name="Revisar de nuevo").click()
    expect(operator.get_by_role("status").first).to_contain_text("Las 3 líneas son válidas")
    operator.get_by_role("button", name="Confirmar y crear el lote").click()
    operator.wait_for_url(f"{base}/lotes/*/")
    batch = Batch.objects.get()
    assert batch.line_count == 3 and batch.total_amount == Decimal("17.5")

    # The operator sends it for approval and is offered no way to approve or execute it.
    operator.get_by_role("button", name="Enviar a aprobación").click()
    expect(operator.locator(".messages")).to_contain_text("Enviado a aprobación.")
    expect(operator.get_by_role("button", name="Aprobar")).to_have_count(0)
    expect(operator.get_by_role("button", name="Ejecutar ahora")).to_have_count(0)
    refused = operator.request.post(
        f"{base}/lotes/{batch.pk}/aprobar/",
        headers={"X-CSRFToken": csrf(operator), "Referer": f"{base}/lotes/{batch.pk}/"},
    )
    assert refused.status == 403
    assert not batch.approvals.exists()

    approver, _ = person(browser, org, "approver", base)
    approver_csp = csp_violations(approver)
    approver.goto(f"{base}/lotes/{batch.pk}/")
    shot(approver, "lote-para-aprobar")
    approver.get_by_role("button", name="Aprobar").click()
    expect(approver.locator(".messages")).to_contain_text("Lote aprobado.")
    approver.get_by_role("button", name="Ejecutar ahora").click()
    expect(approver.locator(".messages")).to_contain_text("Lote en ejecución")

    # From here on the page is never reloaded: htmx swaps the #live fragment as lines settle.
    navigations = count_navigations(approver)
    expect(approver.locator("#progress-percent")).to_have_text("100 %", timeout=60_000)
    expect(approver.locator("#count-paid")).to_have_text("3")
    expect(approver.locator("#batch-status")).to_contain_text("Completado")
    # The notice says how it ended, and the "executing" message of the click has gone.
    expect(approver.locator("#batch-notice")).to_have_text(
        "Lote pagado: se pagaron las 3 líneas (17,50 USDC)."
    )
    expect(approver.locator("#messages")).not_to_contain_text("Lote en ejecución")
    expect(approver.get_by_text("Esta página se actualiza sola")).to_have_count(0)
    polls = count_polls(approver, f"{base}/lotes/{batch.pk}/")
    approver.wait_for_timeout(4_500)  # two polling periods: the settled page asks no more
    assert polls == []
    assert navigations == []
    assert approver_csp == []  # htmx polled under the Content-Security-Policy
    shot(approver, "lote-pagado")
    server = Server(localnet.url)
    for p in Payout.objects.filter(batch=batch):
        assert p.status == "paid"
        assert server.transactions().transaction(p.tx_hash).call()["successful"] is True
        link = approver.locator(f"a[href$='/transactions/{p.tx_hash}']")
        expect(link.first).to_be_visible()  # lines packed together share one transaction
    # The audit page shows all of it: the batch created, sent for approval, approved and put in
    # execution, each by its person (the payments' hashes are on the batch page above).
    approver.goto(f"{base}/auditoria/")
    events = approver.locator("main tbody")
    for label in (
        "Lote creado",
        "Lote enviado a aprobación",
        "Lote aprobado",
        "Lote puesto en ejecución",
    ):
        expect(events.locator("tr", has_text=label)).to_have_count(1)
    expect(events.locator("tr", has_text="Lote aprobado")).not_to_contain_text(
        events.locator("tr", has_text="Lote creado").locator(".ev-who").inner_text()
    )  # maker-checker: the approver is not the operator
    approver.goto(f"{base}/lotes/")
    shot(approver, "lotes")
    approver.goto(f"{base}/pagos/")
    shot(approver, "pagos")
    approver.goto(f"{base}/pagos/{batch.lines.first().pk}/")  # type: ignore[union-attr]
    shot(approver, "pago")


def csrf(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_an_owner_creates_an_api_key_seen_once_and_sets_the_approvals(
    live_server: Any, browser: Browser, make_org: Any, settings: Any
) -> None:
    settings.SOZU_MASTER_KEY = "test-master-key"  # webhook secrets are stored encrypted
    org = make_org()
    base = live_server.url
    owner, _ = person(browser, org, "owner", base)
    owner.goto(f"{base}/configuracion/equipo/")
    shot(owner, "configuracion-equipo")
    owner.goto(f"{base}/configuracion/politica/")
    owner.get_by_label("Aprobaciones que necesita un lote").fill("2")
    owner.get_by_role("button", name="Guardar").click()
    expect(owner.locator(".messages")).to_contain_text("Política y límites guardados.")
    shot(owner, "configuracion-politica")
    org.refresh_from_db()
    assert org.batch_approvals_required == 2
    owner.goto(f"{base}/configuracion/api/")
    owner.get_by_label("Nombre (para qué es)").fill("Sistema contable")
    owner.get_by_role("button", name="Crear una clave").click()
    token = owner.locator("#new-token code").inner_text()
    assert token.startswith("sozu_")
    shot(owner, "configuracion-api")
    owner.goto(f"{base}/configuracion/api/")
    expect(owner.locator("main")).not_to_contain_text(token)
    expect(owner.locator("main")).to_contain_text("Sistema contable")

    # Webhooks: register, disable, enable again and rotate the secret (each shown once).
    owner.goto(f"{base}/configuracion/webhooks/")
    owner.get_by_label("URL que recibe los eventos (HTTPS)").fill("https://93.184.216.34/hook")
    owner.get_by_role("button", name="Registrar").click()
    first = owner.locator("#new-secret code").inner_text()
    owner.get_by_role("button", name="Desactivar https://93.184.216.34/hook").click()
    expect(owner.locator(".messages")).to_contain_text("El endpoint ya no recibe eventos.")
    owner.get_by_role("button", name="Volver a activar https://93.184.216.34/hook").click()
    expect(owner.locator(".messages")).to_contain_text("El endpoint vuelve a recibir eventos")
    owner.get_by_role("button", name="Rotar secreto de https://93.184.216.34/hook").click()
    expect(owner.locator("#new-secret")).to_contain_text("Nuevo secreto de firma para")
    rotated = owner.locator("#new-secret code").inner_text()
    assert rotated.startswith("whsec_") and rotated != first
    shot(owner, "configuracion-webhooks")
    owner.goto(f"{base}/configuracion/webhooks/")
    expect(owner.locator("main")).not_to_contain_text(rotated)


def test_a_double_clicked_single_payout_pays_once_on_chain(
    live_server: Any,
    browser: Browser,
    make_org: Any,
    make_recipient: Any,
    localnet: Any,
    worker: Worker,
) -> None:
    org = make_org(usdc="1000")
    base = live_server.url
    ana = BeneficiaryFactory.create(
        organization=org, full_name="Ana Quispe", stellar_address=make_recipient()
    )
    page, _ = person(browser, org, "operator", base)
    page.goto(f"{base}/beneficiarias/{ana.pk}/pagar/")
    shot(page, "pago-individual")
    page.get_by_label("Monto (USDC)").fill("7,25")
    page.get_by_label("Memo (opcional)").fill("cuota 3")
    # On a slow network a double click sends the same form twice before the first answer:
    # send it twice at once from the page (same fields, same key), then click as a person does.
    statuses = page.evaluate(
        """async () => {
            const form = document.querySelector('#single-payout');
            const send = () => fetch(form.action, {method: 'POST', body: new FormData(form),
                                                   redirect: 'manual'});
            const answers = await Promise.all([send(), send()]);
            return answers.map(a => a.type === 'opaqueredirect' ? 302 : a.status);
        }"""
    )
    assert statuses == [302, 302], statuses  # both answers lead to the one payout
    page.locator("#pay-button").dblclick()
    page.wait_for_url(f"{base}/pagos/*/")
    expect(page.locator("#payout-status-badge")).to_have_text("Pagado", timeout=30_000)

    payouts = list(Payout.objects.filter(organization=org))
    assert len(payouts) == 1
    assert payouts[0].amount == Decimal("7.25") and payouts[0].status == "paid"
    received = [
        r
        for r in Server(localnet.url)
        .payments()
        .for_account(ana.stellar_address)
        .limit(50)
        .call()["_embedded"]["records"]
        if r.get("type") == "payment"
        and r.get("to") == ana.stellar_address
        and r.get("asset_code") == "USDC"
        and Decimal(r["amount"]) == Decimal("7.25")
    ]
    assert len(received) == 1


def axe_problems(page: Page) -> list[str]:
    """Serious and critical axe-core violations of the page as it stands."""
    page.add_script_tag(path=str(Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} {json.dumps(v['nodes'][0]['target'])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_pages_have_no_serious_or_critical_accessibility_violations(
    live_server: Any, browser: Browser, make_org: Any, make_recipient: Any
) -> None:
    org = make_org()
    base = live_server.url
    dest = make_recipient()
    ana = BeneficiaryFactory.create(organization=org, stellar_address=make_recipient())
    batch = batch_create(
        organization=org, rows=[(2, {"destination": dest, "amount": "3"})], actor="test"
    )
    payout = batch.lines.get()
    problems: dict[str, list[str]] = {}
    # axe is injected by the test: only these contexts let it past the pages' CSP.
    operator, _ = person(browser, org, "operator", base, bypass_csp=True)
    for path in (
        "/lotes/",
        "/lotes/nuevo/",
        "/lotes/elegir/",
        f"/lotes/{batch.pk}/",
        "/pagos/",
        f"/pagos/{payout.pk}/",
        f"/beneficiarias/{ana.pk}/pagar/",
    ):
        operator.goto(base + path)
        problems[path] = axe_problems(operator)
        if path == "/lotes/elegir/":
            shot(operator, "lotes-elegir")
    operator.goto(base + "/lotes/nuevo/")
    operator.get_by_label("Archivo CSV", exact=True).set_input_files(
        {
            "name": "x.csv",
            "mimeType": "text/csv",
            "buffer": f"destination,amount\n{dest},x\n".encode(),
        }
    )
    operator.get_by_role("button", name="Revisar el archivo").click()
    problems["preview"] = axe_problems(operator)
    owner, _ = person(browser, org, "owner", base, bypass_csp=True)
    for path in (
        "/configuracion/equipo/",
        "/configuracion/politica/",
        "/configuracion/api/",
        "/configuracion/webhooks/",
    ):
        owner.goto(base + path)
        problems[path] = axe_problems(owner)
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_picking_form_keeps_ticks_and_amounts_when_paging_and_searching(
    live_server: Any,
    browser: Browser,
    make_org: Any,
    make_recipient: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sozu.disbursements.views import batches as batch_views

    monkeypatch.setattr(batch_views, "PICK_PAGE_SIZE", 2)  # three beneficiaries, two pages
    org = make_org()
    base = live_server.url
    ana, bea, eva = (
        BeneficiaryFactory.create(organization=org, full_name=n, stellar_address=make_recipient())
        for n in ("Ana Pérez", "Bea Ruiz", "Eva Gómez")
    )
    operator, _ = person(browser, org, "operator", base)
    operator.goto(f"{base}/lotes/elegir/")
    operator.get_by_label("Nombre del lote").fill("Mayo")
    operator.get_by_label("Monto para cada fila marcada (USDC)").fill("10")
    operator.get_by_label("Ana Pérez", exact=True).check()
    operator.get_by_label("Monto para Ana Pérez").fill("12.5")
    operator.get_by_role("button", name="Siguiente").click()
    expect(operator.get_by_text("Página 2 de 2")).to_be_visible()
    expect(operator.locator("#picked-count")).to_contain_text("1 beneficiaria marcada")
    operator.get_by_label("Eva Gómez", exact=True).check()
    search = operator.get_by_label("Buscar por nombre, DNI/CUIL o dirección")
    search.fill("Ana")
    search.press("Enter")  # the search is a button of the same form: Enter searches
    expect(operator.locator("#picked-count")).to_contain_text("2 beneficiarias marcadas")
    expect(operator.get_by_label("Ana Pérez", exact=True)).to_be_checked()
    expect(operator.get_by_label("Monto para Ana Pérez")).to_have_value("12.5")
    expect(operator.get_by_label("Bea Ruiz", exact=True)).to_have_count(0)
    operator.get_by_role("button", name="Limpiar").click()
    expect(operator.get_by_label("Ana Pérez", exact=True)).to_be_checked()
    expect(operator.get_by_label("Bea Ruiz", exact=True)).not_to_be_checked()
    expect(operator.get_by_label("Nombre del lote")).to_have_value("Mayo")
    operator.get_by_role("button", name="Siguiente").click()
    expect(operator.get_by_label("Eva Gómez", exact=True)).to_be_checked()
    operator.get_by_role("button", name="Revisar el lote").click()
    expect(operator.get_by_text("Las 2 líneas son válidas: 22,50 USDC en total.")).to_be_visible()
    operator.get_by_role("button", name="Confirmar y crear el lote").click()
    operator.wait_for_url(f"{base}/lotes/*/", wait_until="domcontentloaded")
    batch = Batch.objects.get(organization=org)
    got = {(p.beneficiary_id, p.amount) for p in batch.lines.all()}
    assert got == {(ana.pk, Decimal("12.5")), (eva.pk, Decimal("10"))}
    assert batch.name == "Mayo" and bea.pk not in {p.beneficiary_id for p in batch.lines.all()}
    operator.goto(f"{base}/lotes/elegir/")
    expect(operator.locator("#picked-count")).to_contain_text("0 beneficiarias marcadas")
    operator.context.close()


def test_the_batch_lines_pager_swaps_only_the_lines_and_pushes_the_address(
    live_server: Any, browser: Browser, make_org: Any
) -> None:
    from sozu.disbursements.tests.web.test_lists_and_isolation import add_rows

    org = make_org()
    batch = add_rows(org, 60)  # 50 lines a page
    base = live_server.url
    viewer, _ = person(browser, org, "viewer", base)
    viewer.goto(f"{base}/lotes/{batch.pk}/")
    viewer.locator("#lines").get_by_role("link", name="Siguiente").click()
    expect(viewer.locator("#lines")).to_contain_text("Página 2 de 2")
    expect(viewer.locator("#line-51")).to_be_visible()
    viewer.wait_for_url(f"{base}/lotes/{batch.pk}/?page=2")
    viewer.locator("#lines").get_by_role("link", name="Fallido", exact=True).click()
    expect(viewer.locator("#lines a[aria-current]")).to_have_text("Fallido")
    viewer.wait_for_url(f"{base}/lotes/{batch.pk}/?status=failed")
    # One document load: the pager and the filter only swapped #lines (history.pushState).
    assert viewer.evaluate("performance.getEntriesByType('navigation').length") == 1
    # Back in the browser: the first page of lines again, from htmx's history.
    viewer.go_back()
    viewer.go_back()
    expect(viewer.locator("#lines")).not_to_contain_text("Página 2 de 2")
    # Without JS the same links load the whole page.
    nojs = browser.new_context(locale="es-AR", java_script_enabled=False)
    nojs.add_cookies(viewer.context.cookies())  # type: ignore[arg-type]
    page = nojs.new_page()
    page.goto(f"{base}/lotes/{batch.pk}/")
    page.locator("#lines").get_by_role("link", name="Siguiente").click()
    page.wait_for_url(f"{base}/lotes/{batch.pk}/?page=2")
    expect(page.locator("#line-51")).to_be_visible()
    nojs.close()
    viewer.context.close()
