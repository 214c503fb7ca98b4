"""Real Chromium, the live site and the local network: a loan from preparation to repayment.

An operator prepares a loan from her page with the schedule previewed and sends it for
approval; an approver (another person) approves it, giving the second factor again (step-up);
the payout is paid on the local network by the worker; the loan page follows it and shows the
schedule. A week later, at her first due date, an operator records her cash payment and sees
the cuota paid. axe-core finds no serious or critical violation on the loan pages, and the loan
page fits 360 px. Set SOZU_SCREENSHOTS_DIR to also photograph the pages.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from stellar_sdk import Server
from tests.factories import BeneficiaryFactory

from sozu.credit.models import Loan
from sozu.credit.services import loan_product_create
from sozu.disbursements.models import Payout
from sozu.disbursements.tests.web.helpers import new_totp_secret
from sozu.disbursements.tests.web.test_browser_batches import PHONE, axe_problems, shot
from sozu.disbursements.worker import Worker
from sozu.web.tests.helpers import PASSWORD, staff, totp_code

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 860}
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
) -> tuple[Page, str]:
    """A staff member of `role`, signed in with password and TOTP; returns the page and code."""
    secret = new_totp_secret()
    member = staff(org, role, totp_secret=secret)
    ctx: BrowserContext = browser.new_context(
        locale="es-AR",
        viewport=DESKTOP,  # type: ignore[arg-type]
        bypass_csp=bypass_csp,
    )
    page = ctx.new_page()
    page.goto(f"{base}/cuenta/login/")
    page.get_by_label("Correo electrónico").fill(member.user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    code = totp_code(secret)
    page.locator("input[name=code]").fill(code)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")
    return page, secret + ":" + code


def next_code(secret_and_code: str) -> str:
    """A code of a later window than the one used to sign in (a code is accepted once)."""
    secret, used = secret_and_code.split(":")
    while (code := totp_code(secret)) == used:
        time.sleep(1)
    return code


def csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def ars(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def test_prepare_approve_with_step_up_pay_out_and_repay_a_loan(
    live_server: Any,
    browser: Browser,
    make_org: Any,
    make_recipient: Any,
    localnet: Any,
    worker: Worker,
    settings: Any,
) -> None:
    org = make_org(usdc="5000")
    base = live_server.url
    ana = BeneficiaryFactory.create(
        organization=org, full_name="Ana Quispe", stellar_address=make_recipient()
    )
    loan_product_create(
        organization=org,
        name="Microcrédito semanal",
        min_amount="100",
        max_amount="3000",
        min_cuotas=4,
        max_cuotas=12,
        frequency="weekly",
        system="french",
        tna="60",
        iva="21",
        late_tna="73",
        grace_days=2,
        actor="user:owner",
    )
    problems: dict[str, list[str]] = {}

    # The operator prepares it from her page, sees the schedule, sends it for approval.
    operator, _ = person(browser, org, "operator", base, bypass_csp=True)
    operator.goto(f"{base}/beneficiarias/{ana.pk}/")
    operator.get_by_role("link", name="Preparar un crédito").click()
    operator.wait_for_url(f"{base}/creditos/nuevo/?beneficiary={ana.pk}")
    expect(operator.get_by_label("Beneficiaria")).to_have_value(str(ana.pk))
    operator.get_by_label("Producto").select_option(label="Microcrédito semanal")
    operator.get_by_label("Monto", exact=True).fill("1.200")
    operator.get_by_label("Cuotas", exact=True).fill("8")
    operator.get_by_role("button", name="Ver el cronograma").click()
    expect(operator.get_by_role("heading", name="Cronograma (vista previa)")).to_be_visible()
    expect(operator.locator("table.schedule tbody tr")).to_have_count(8)
    problems["preview"] = axe_problems(operator)
    shot(operator, "credito-nuevo")
    operator.get_by_role("button", name="Preparar y enviar a aprobación").click()
    operator.wait_for_url(f"{base}/creditos/*/")
    loan = Loan.objects.get()
    assert loan.status == Loan.Status.PENDING_APPROVAL and loan.amount == Decimal("1200")
    expect(operator.locator(".messages")).to_contain_text("Crédito preparado y enviado")
    expect(operator.get_by_role("button", name="Aprobar y desembolsar")).to_have_count(0)

    # The approver, signed in a while ago, is asked for the second factor again (step-up).
    settings.SOZU_STEP_UP_SECONDS = 2
    approver, secret_and_code = person(browser, org, "approver", base)
    approver_csp = csp_violations(approver)
    approver.goto(f"{base}/creditos/{loan.pk}/")
    code = next_code(secret_and_code)  # also lets the sign-in's second factor grow stale
    approver.get_by_role("button", name="Aprobar y desembolsar").click()
    approver.wait_for_url("**/reauthenticate/**")
    approver.locator("input[name=code]").fill(code)
    approver.locator("main form button[type=submit]").first.click()
    approver.wait_for_url(f"{base}/creditos/{loan.pk}/")
    expect(approver.locator(".messages")).to_contain_text("Crédito aprobado")
    settings.SOZU_STEP_UP_SECONDS = 300

    # The worker pays the payout on the network; the page follows it and shows the schedule.
    expect(approver.locator("#loan-schedule tbody tr")).to_have_count(8, timeout=60_000)
    expect(approver.locator("[data-loan-status]").first).to_have_text("Activo")
    loan.refresh_from_db()
    assert loan.payout_id is not None
    payout = Payout.objects.get(pk=loan.payout_id)
    assert payout.status == Payout.Status.PAID
    assert Server(localnet.url).transactions().transaction(payout.tx_hash).call()["successful"]
    assert approver_csp == []  # htmx followed the payout under the Content-Security-Policy
    shot(approver, "credito")

    # Her first due date: an operator records her cash payment and sees the cuota paid.
    first = loan.schedule.order_by("number").first()
    assert first is not None
    due = dt.datetime.combine(first.due_date, dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(due, tick=True):
        page, _ = person(browser, org, "operator", base, bypass_csp=True)
        page.goto(f"{base}/creditos/{loan.pk}/")
        expect(page.get_by_label("Fecha en que se recibió")).to_have_value(
            first.due_date.isoformat()
        )
        page.get_by_label("Cómo pagó").select_option("cash")
        page.get_by_label("Monto recibido").fill("-5")
        page.get_by_label("Número de recibo o de transferencia").fill("REC-0001")
        page.get_by_role("button", name="Registrar el pago").click()
        expect(page.locator("#id_amount-error")).to_contain_text("Un pago debe ser mayor que cero")
        page.get_by_label("Monto recibido").fill(ars(first.total))
        page.get_by_role("button", name="Registrar el pago").click()
        expect(page.locator(".messages")).to_contain_text("Pago registrado.")
        row = page.locator(f"tr[data-cuota='{first.number}']")
        expect(row).to_contain_text("Pagada")
        expect(page.locator("#repayments")).to_contain_text("REC-0001")
        problems["loan"] = axe_problems(page)
        shot(page, "credito-con-pago")
        for path, name in (
            ("/creditos/", "creditos"),
            ("/creditos/productos/", "creditos-productos"),
            ("/creditos/nuevo/", ""),
        ):
            page.goto(base + path)
            problems[path] = axe_problems(page)
            if name:
                shot(page, name)

        # 360 px: nothing wider than the screen (tables scroll inside their own box).
        page.set_viewport_size(PHONE)
        page.goto(f"{base}/creditos/{loan.pk}/")
        expect(page.locator("#loan-schedule")).to_be_attached()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        expect(page.get_by_role("button", name="Registrar el pago")).to_be_visible()
        problems["loan-360"] = axe_problems(page)
    assert {k: v for k, v in problems.items() if v} == {}
