"""Her whole journey, in four kinds of phone: the NGO invites her from the dashboard, she signs
up with a passkey and gets a sponsored account, the dashboard sees her ready, a batch paid from
the dashboard reaches her wallet, she sees it, pays another wallet, and gets her wallet back.

The four phones (Chromium's virtual authenticator): PRF at create; PRF only at get() (the
second tap); no PRF; a passkey that is not backup eligible. Tier A (the first two) gets her key
back from the server's ciphertext with her synced passkey on a phone that kept nothing; tier B
(the last two) through the recovery flow: her recovery code, an SMS code, and her NGO's
confirmation in the dashboard. No request carries her secret.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, expect
from stellar_sdk import Keypair
from tests.factories import BeneficiaryFactory

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.tests.web.test_browser_batches import person
from sozu.disbursements.worker import Worker
from sozu.wallet.models import WalletCredential
from sozu.wallet.tests.test_browser_wallet import Phone, _encodings

pytestmark = pytest.mark.django_db(transaction=True)

VARIANTS = [
    pytest.param({}, "A", id="prf-at-create"),
    pytest.param({"prf_at_create": False}, "A", id="prf-only-at-get"),
    pytest.param({"hasPrf": False}, "B", id="no-prf"),
    pytest.param(
        {"defaultBackupEligibility": False, "defaultBackupState": False},
        "B",
        id="not-backup-eligible",
    ),
]


@pytest.mark.parametrize(("authenticator", "tier"), VARIANTS)
def test_invited_paid_from_the_dashboard_pays_a_friend_and_gets_her_wallet_back(
    live_server: Any,
    wallet_net: Any,
    make_org: Any,
    worker: Worker,
    browser: Browser,
    settings: Any,
    authenticator: dict[str, Any],
    tier: str,
) -> None:
    from sozu.wallet import sms

    settings.SOZU_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    base = live_server.url
    org = make_org(usdc="1000")
    her = BeneficiaryFactory.create(
        organization=org, full_name="Rosa Quispe", stellar_address="", ready_to_receive=None
    )

    # The operator invites her from her page; the link is shown once, to send by WhatsApp.
    operator, _ = person(browser, org, "operator", base)
    operator.goto(f"{base}/beneficiarias/{her.pk}/")
    operator.get_by_role("button", name="Invitar a Sozu Wallet").click()
    link = operator.locator("#invitation-link").get_attribute("href")
    assert link and "/wallet/?invitacion=" in link

    # She opens it on her phone and signs up: a passkey, a key made on the phone, a sponsored
    # account (0 XLM) with her recovery signers; the invitation links it to her record.
    phone = Phone(browser, base, **authenticator)
    phone.page.goto(link)
    phone.page.wait_for_url(f"{base}/wallet/entrar/")
    phone.sign_up()
    expect(phone.page.locator("#balance-link")).to_contain_text(
        "Tu billetera quedó vinculada a Asociación Civil de Prueba"
    )
    seed = phone.seed()
    key = Keypair.from_raw_ed25519_seed(seed)
    address = key.public_key
    assert WalletCredential.objects.get().prf_tier == tier
    record = requests.get(f"{wallet_net.url}/accounts/{address}", timeout=10).json()
    assert [b["balance"] for b in record["balances"] if b["asset_type"] == "native"] == [
        "0.0000000"
    ]
    assert sorted(s["weight"] for s in record["signers"]) == [10, 10, 20]
    assert record["thresholds"] == {"low_threshold": 20, "med_threshold": 20, "high_threshold": 20}

    # The dashboard has her address from the wallet (nobody typed it) and sees her ready.
    operator.goto(f"{base}/beneficiarias/{her.pk}/")
    expect(operator.locator("main")).to_contain_text(address)
    expect(operator.locator("main")).to_contain_text("Está lista para recibir USDC.")

    # A batch for her, prepared by the operator, approved and executed by an approver.
    operator.goto(f"{base}/lotes/nuevo/")
    operator.get_by_label("Nombre del lote").fill("Desembolsos de abril")
    csv = f"destination,amount,memo\n{address},40,abril\n"
    operator.get_by_label("Archivo CSV", exact=True).set_input_files(
        {"name": "abril.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    operator.get_by_role("button", name="Revisar el archivo").click()
    operator.get_by_role("button", name="Confirmar y crear el lote").click()
    operator.wait_for_url(f"{base}/lotes/*/")
    operator.get_by_role("button", name="Enviar a aprobación").click()
    batch = Batch.objects.get()
    approver, _ = person(browser, org, "approver", base)
    approver.goto(f"{base}/lotes/{batch.pk}/")
    approver.get_by_role("button", name="Aprobar").click()
    approver.get_by_role("button", name="Ejecutar ahora").click()
    expect(approver.locator("#progress-percent")).to_have_text("100 %", timeout=60_000)
    payout = Payout.objects.get(batch=batch)
    assert payout.status == "paid" and payout.destination == address

    # Her wallet: the balance with its pesos, the payment labelled with her NGO's name.
    phone.open("/wallet/")
    expect(phone.page.locator("#balance-usdc")).to_have_text("40,00 USDC")
    phone.open("/wallet/movimientos/")
    expect(phone.page.locator("#movements .movement")).to_have_count(1)
    expect(phone.page.locator("#movements")).to_contain_text(
        "Recibiste de Asociación Civil de Prueba"
    )
    expect(phone.page.locator("#movements")).to_contain_text("+40,00 USDC")

    # She pays a friend's wallet: signed on her phone, the fee paid by Sozu's fee bump.
    friend = Keypair.random().public_key
    wallet_net.fund(friend, xlm="5", usdc="1")
    phone.open("/wallet/pagar/")
    phone.page.get_by_label("Dirección (G… o M…) o código de pago").fill(friend)
    phone.page.get_by_label("Monto en USDC").fill("12.5")
    phone.page.get_by_role("button", name="Continuar").click()
    expect(phone.page.locator("#review-amount")).to_have_text("12,50 USDC")
    phone.page.get_by_role("button", name="Firmar y pagar").click()
    expect(phone.page.locator("#pay-done")).to_contain_text("Pago enviado")
    mine = requests.get(f"{wallet_net.url}/accounts/{address}", timeout=10).json()
    balances = {b.get("asset_code", "XLM"): b["balance"] for b in mine["balances"]}
    assert balances == {"XLM": "0.0000000", "USDC": "27.5000000"}
    txs = requests.get(
        f"{wallet_net.url}/accounts/{address}/transactions",
        params={"order": "desc", "limit": "10"},
        timeout=10,
    ).json()["_embedded"]["records"]
    hers = [t for t in txs if t["source_account"] == address]
    assert hers and all(t["fee_account"] != address for t in hers)  # every one fee-bumped
    recovery_code = phone.recovery_code
    forbidden = [key.secret, *_encodings(seed)]
    forbidden.append(Keypair.from_secret(recovery_code.replace(" ", "")).secret)

    if tier == "A":
        # A phone that kept nothing (storage, cookies, service worker): her synced passkey
        # signs her in and its PRF opens the server's ciphertext — the same key comes back.
        phone.wipe()
        phone.open("/wallet/")
        phone.page.wait_for_url(f"{base}/wallet/entrar/")
        phone.page.wait_for_selector("body[data-wallet-ready]")
        phone.page.get_by_role("button", name="Ingresar").click()
        phone.page.wait_for_url(f"{base}/wallet/")
        phone.page.wait_for_selector("body[data-wallet-ready]")
        assert Keypair.from_raw_ed25519_seed(phone.seed()).public_key == address
        expect(phone.page.locator("#balance-usdc")).to_have_text("27,50 USDC")
        assert not [f for f in forbidden for sent in phone.sent if f in sent]
        phone.context.close()
        return

    # Tier B: the phone is lost with her key. A new phone, her written-down code, an SMS code,
    # and the NGO confirms it is her from her page in the dashboard.
    assert not [f for f in forbidden for sent in phone.sent if f in sent]
    phone.context.close()
    new = Phone(browser, base, hasPrf=False)
    new.open("/wallet/entrar/")
    new.page.get_by_role("link", name="Perdí mi teléfono: recuperar con mi código").click()
    new.page.wait_for_selector("body[data-wallet-ready]")
    new.page.get_by_label("Tu código de recuperación").fill(recovery_code)
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-step-sms")).to_be_visible()
    otp = re.search(r"\b(\d{6})\b", sms.outbox[-1].text)
    assert otp is not None
    new.page.get_by_label("El código que te mandamos por SMS").fill(otp.group(1))
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-step-staff")).to_be_visible()
    approver.goto(f"{base}/beneficiarias/{her.pk}/")
    approver.get_by_role("button", name="Es ella: confirmar la recuperación").click()
    new.page.get_by_role("button", name="Ya confirmaron").click()
    new.page.get_by_role("button", name="Firmar y recuperar").click()
    new.page.wait_for_url(f"{base}/wallet/")
    new.page.wait_for_selector("body[data-wallet-ready]")
    new_key = Keypair.from_raw_ed25519_seed(new.seed()).public_key
    record = requests.get(f"{wallet_net.url}/accounts/{address}", timeout=10).json()
    weights = {s["key"]: s["weight"] for s in record["signers"]}
    assert weights[new_key] == 20 and weights.get(address, 0) == 0  # the lost key is gone
    expect(new.page.locator("#balance-usdc")).to_have_text("27,50 USDC")
    forbidden.append(Keypair.from_raw_ed25519_seed(new.seed()).secret)
    assert not [f for f in forbidden for sent in new.sent if f in sent]
    assert Decimal(balances["USDC"]) == Decimal("27.5")
    new.context.close()
