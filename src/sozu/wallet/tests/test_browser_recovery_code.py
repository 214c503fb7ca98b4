"""Mi código de recuperación in real Chromium: a new code replaces the old one on the network;
the recovery then works with the new code only, and offers yet another code on the new phone."""

from __future__ import annotations

import os
import re
from typing import Any

import requests
from playwright.sync_api import Browser, expect
from stellar_sdk import Keypair

from sozu.wallet.tests.test_browser_wallet import (  # noqa: F401  # pytestmark: the same marks
    Phone,
    _axe_problems,
    _encodings,
    pytestmark,
)

TWENTIES = {"low_threshold": 20, "med_threshold": 20, "high_threshold": 20}


def _signers(net: Any, account: str) -> tuple[dict[str, int], dict[str, int]]:
    record = requests.get(f"{net.url}/accounts/{account}", timeout=10).json()
    weights = {s["key"]: s["weight"] for s in record["signers"] if s["weight"] > 0}
    return weights, record["thresholds"]


def _new_code(phone: Phone) -> str:
    """From Saldo: Mi código de recuperación → Generar → (review) → Firmar; the code shown."""
    phone.page.get_by_role("link", name="Mi código de recuperación").click()
    phone.page.wait_for_selector("body[data-wallet-ready]")
    phone.page.get_by_role("button", name="Generar un código nuevo").click()
    review = phone.page.locator("#code-changes")
    expect(review).to_contain_text("Agregar tu código nuevo")
    expect(review).to_contain_text("Quitar tu código anterior")
    expect(review).to_contain_text("hace falta peso 20 para mover la plata")
    assert not _axe_problems(phone.page)
    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots:
        phone.page.screenshot(path=f"{shots}/wallet-codigo-360.png", full_page=True)
    phone.page.get_by_role("button", name="Firmar y cambiar mi código").click()
    expect(phone.page.locator("#code-done")).to_be_visible()
    expect(phone.page.locator("#code-done")).to_contain_text("Tu código anterior ya no sirve.")
    code = phone.page.locator("#code-secret").text_content() or ""
    assert re.fullmatch(r"S[A-Z2-7]{3}( [A-Z2-7]{4}){13}", code), code
    phone.page.get_by_role("link", name="Ya lo anoté").click()
    phone.page.wait_for_selector("body[data-wallet-ready]")
    return code


def _secrets(code: str) -> list[str]:
    key = Keypair.from_secret(code.replace(" ", ""))
    return [key.secret, code, *_encodings(key.raw_secret_key())]


def test_a_new_recovery_code_replaces_the_old_one_and_only_the_new_one_recovers(
    live_server: Any, wallet_net: Any, invited: Any, browser: Browser, settings: Any
) -> None:
    from sozu.wallet import sms
    from sozu.wallet.models import RecoveryRequest, WalletTransaction
    from sozu.wallet.services import accounts
    from sozu.wallet.services.recovery import recovery_confirm

    settings.SOZU_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    sozu = accounts.recovery_signer()
    beneficiary, invitation = invited
    old = Phone(browser, live_server.url, hasPrf=False)
    old.page.goto(f"{live_server.url}/wallet/?invitacion={invitation}")
    old.page.wait_for_url(f"{live_server.url}/wallet/entrar/")
    old.sign_up()
    expect(old.page.locator("#balance-link")).to_be_visible()
    expect(old.page.locator("#balance-new-code")).to_be_hidden()  # only after a recovery
    account = Keypair.from_raw_ed25519_seed(old.seed()).public_key
    first_code = old.recovery_code
    first_key = Keypair.from_secret(first_code.replace(" ", "")).public_key
    assert _signers(wallet_net, account) == ({account: 20, sozu: 10, first_key: 10}, TWENTIES)

    second_code = _new_code(old)
    second_key = Keypair.from_secret(second_code.replace(" ", "")).public_key
    assert second_key != first_key
    # On the network: the new code weighs 10, the old one is gone, the rest as it was.
    assert _signers(wallet_net, account) == ({account: 20, sozu: 10, second_key: 10}, TWENTIES)
    bump = WalletTransaction.objects.get(account=account, kind="signers")
    assert bump.status == "success"
    assert not [s for s in _secrets(second_code) for sent in old.sent if s in sent]
    assert not old.csp
    old.context.close()  # then she loses the phone

    new = Phone(browser, live_server.url, hasPrf=False)
    new.open("/wallet/recuperar/")
    # The replaced code opens nothing, in words she understands.
    new.page.get_by_label("Tu código de recuperación").fill(first_code)
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-problem")).to_have_text(
        "Este código no abre ninguna billetera. Si generaste un código nuevo, usá el nuevo."
    )
    assert not RecoveryRequest.objects.exists() and not sms.outbox

    new.page.get_by_label("Tu código de recuperación").fill(second_code)
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-step-sms")).to_be_visible()
    assert len(sms.outbox) == 1 and sms.outbox[0].to == beneficiary.phone
    otp = re.search(r"\b(\d{6})\b", sms.outbox[0].text)
    assert otp is not None
    new.page.get_by_label("El código que te mandamos por SMS").fill(otp.group(1))
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-step-staff")).to_be_visible()
    recovery_confirm(request=RecoveryRequest.objects.get(), actor="user:staff")
    new.page.get_by_role("button", name="Ya confirmaron").click()
    new.page.get_by_role("button", name="Firmar y recuperar").click()
    new.page.wait_for_url(f"{live_server.url}/wallet/")
    new.page.wait_for_selector("body[data-wallet-ready]")
    device = Keypair.from_raw_ed25519_seed(new.seed()).public_key
    assert _signers(wallet_net, account) == ({device: 20, sozu: 10, second_key: 10}, TWENTIES)

    # Saldo offers a new code: the one she used still signs.
    offer = new.page.locator("#balance-new-code")
    expect(offer).to_have_text(re.compile("Tu código anterior sigue sirviendo. ¿Querés uno nuevo?"))
    # After a recovery her device key is not her master key (weight 0): the code is still found.
    third_code = _new_code(new)
    third_key = Keypair.from_secret(third_code.replace(" ", "")).public_key
    assert _signers(wallet_net, account) == ({device: 20, sozu: 10, third_key: 10}, TWENTIES)
    expect(new.page.locator("#balance-new-code")).to_be_hidden()
    assert not [s for s in _secrets(third_code) for sent in new.sent if s in sent]
    assert not new.csp
    new.context.close()
