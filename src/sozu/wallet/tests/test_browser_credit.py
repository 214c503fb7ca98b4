"""Mi crédito in real Chromium: her loan as her NGO sees it, read with her wallet's own SEP-10
sign-in; one tap pays the cuota to the loan's muxed address with its memo, signed on the phone,
fee-bumped by Sozu; the follower applies it and the page shows the cuota paid.

Dates are computed from the test's (possibly shifted) clock: the loan was paid out 40 days
before today, so its first monthly cuota is overdue whatever today is.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import Browser, expect
from stellar_sdk import Keypair, MuxedAccount

from sozu.credit.follower import Follower
from sozu.credit.models import Loan
from sozu.credit.payment_request import loan_payment_destination, loan_payment_memo
from sozu.credit.selectors import loan_position
from sozu.credit.tests.reports_data import active_loan
from sozu.wallet.tests.test_browser_wallet import Phone, _axe_problems

pytestmark = pytest.mark.django_db(transaction=True)


def usdc_text(value: Decimal) -> str:
    """As the page shows USDC: es-AR, two decimals."""
    whole, cents = f"{value.quantize(Decimal('0.01')):f}".split(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return f"{groups},{cents} USDC"


def test_she_sees_her_loan_and_pays_the_overdue_cuota_in_one_tap(
    live_server: Any, wallet_net: Any, invited: Any, browser: Browser
) -> None:
    beneficiary, code = invited
    phone = Phone(browser, live_server.url, hasPrf=False)
    phone.page.goto(f"{live_server.url}/wallet/?invitacion={code}")
    phone.page.wait_for_url(f"{live_server.url}/wallet/entrar/")
    phone.sign_up()
    expect(phone.page.locator("#balance-link")).to_contain_text("quedó vinculada")
    address = Keypair.from_raw_ed25519_seed(phone.seed()).public_key
    beneficiary.refresh_from_db()
    assert beneficiary.stellar_address == address
    wallet_net.fund(address, xlm="0", usdc="150")

    today = timezone.localdate()
    loan = active_loan(
        beneficiary.organization,
        beneficiary=beneficiary,
        amount="300",
        cuotas=3,
        paid_on=today - dt.timedelta(days=40),
    )
    position = loan_position(loan=loan, as_of=today)
    first = position.cuotas[0]
    assert first.due.due_date < today and first.outstanding > first.due.capital  # late interest

    phone.open("/wallet/credito/")
    card = phone.page.locator(f'article.loan[data-loan="{loan.pk}"]')
    expect(card.locator(".loan-title")).to_have_text(f"Crédito {loan.reference}")
    expect(card.locator(".loan-summary")).to_contain_text("Asociación Civil de Prueba")
    expect(card.locator(".loan-summary")).to_contain_text("300,00 USDC en 3 cuotas mensuales")
    expect(card.locator(".loan-overdue")).to_contain_text(
        f"Tenés {usdc_text(position.overdue)} vencidos ({position.days_past_due} días de atraso)"
    )
    expect(card.locator(".loan-next-label")).to_have_text("Próxima cuota: 1 de 3")
    expect(card.locator(".loan-next-amount")).to_have_text(usdc_text(first.outstanding))
    expect(card.locator(".loan-next-due")).to_contain_text("Venció el")
    card.locator("summary").click()
    expect(card.locator(".cuota")).to_have_count(3)
    expect(card.locator(".cuota.overdue")).to_contain_text("días de atraso")
    problems = _axe_problems(phone.page)
    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots:
        phone.page.screenshot(path=f"{shots}/wallet-credito-360.png", full_page=True)

    card.get_by_role("button", name="Pagar cuota 1").click()
    destination = loan_payment_destination(loan)
    expect(phone.page.locator("#cuota-review-destination")).to_have_text(destination)
    expect(phone.page.locator("#cuota-review-amount")).to_have_text(usdc_text(first.outstanding))
    memo = loan_payment_memo(loan)
    expect(phone.page.locator("#cuota-review-memo")).to_have_text(memo)
    phone.page.get_by_role("button", name="Firmar y pagar").click()
    expect(phone.page.locator("#cuota-done")).to_contain_text("Pago enviado")

    # On the network: from her account to the loan's M… address (the org wallet, muxed id =
    # the loan), with its memo, the fee paid by Sozu's fee bump; she still holds 0 XLM.
    tx = requests.get(
        f"{wallet_net.url}/accounts/{address}/transactions",
        params={"order": "desc", "limit": "1"},
        timeout=10,
    ).json()["_embedded"]["records"][0]
    assert tx["memo"] == memo and tx["fee_account"] != address
    ops = requests.get(f"{wallet_net.url}/transactions/{tx['hash']}/operations", timeout=10).json()
    (op,) = ops["_embedded"]["records"]
    assert op["to_muxed"] == destination
    assert op["to_muxed_id"] == str(MuxedAccount.from_account(destination).account_muxed_id)
    assert Decimal(op["amount"]) == first.outstanding

    # The follower applies it to the loan; the page shows the cuota paid.
    Follower(name="test").run(until_idle=True)
    after = loan_position(loan=Loan.objects.get(pk=loan.pk), as_of=today)
    assert after.cuotas[0].is_paid and after.days_past_due == 0
    phone.open("/wallet/credito/")
    expect(card.locator(".loan-overdue")).to_be_hidden()
    expect(card.locator(".loan-next-label")).to_have_text("Próxima cuota: 2 de 3")
    card.locator("summary").click()
    expect(card.locator(".cuota.paid")).to_have_count(1)
    expect(card.locator(".cuota.paid .cuota-state")).to_have_text(re.compile(r"^Pagada el "))
    # Her history names the loan and the cuota her payment paid.
    phone.open("/wallet/movimientos/")
    expect(phone.page.locator("#movements")).to_contain_text(
        f"Pagaste la cuota 1 del crédito {loan.reference} (Asociación Civil de Prueba)"
    )
    assert not problems, problems
    assert not phone.csp
    phone.context.close()
