"""The wallet in real Chromium with a CDP virtual authenticator (passkeys with or without PRF).

Sign-up makes a passkey and a Stellar key in the browser: tier A (PRF and backup eligible)
stores only a ciphertext on the server, tier B keeps the key on the device. A fresh browser
context with the same passkey restores the same address from the ciphertext. Every request the
browser sends is recorded: none carries the secret, the PRF output or the wrapping key.
Set SOZU_SCREENSHOT_DIR (e.g. docs/screenshots) to also write each page at 360 px.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connections
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
from stellar_sdk import Keypair

from sozu.wallet.models import WalletCredential, WalletKeyBlob, WalletUser

CHROMIUM = "/usr/bin/chromium"
AXE = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
PHONE: ViewportSize = {"width": 360, "height": 740}
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not finders.find("wallet/build/saldo.js"),
        reason="the wallet's bundle is not built (npm run build:wallet, run by bin/setup)",
    ),
]


@pytest.fixture
def wallet_net(net_settings: Any) -> Any:
    """The local network with Sozu's sponsor funded (made before Chromium starts)."""
    from sozu.wallet.services import accounts

    accounts.sponsor_fund_on_localnet()
    return net_settings


@pytest.fixture
def sep7_uri(wallet_net: Any) -> Any:
    """Payment requests signed by Sozu's URI key (the key is made before Chromium starts)."""
    from decimal import Decimal

    from stellar_sdk import Asset

    from sozu.wallet.sep7 import pay_uri, uri_signing_public_key

    uri_signing_public_key()

    def make(destination: str) -> str:
        return pay_uri(
            destination=destination,
            amount=Decimal("3"),
            asset=Asset("USDC", wallet_net.usdc_issuer),
            memo="cuota 1",
        )

    return make


@pytest.fixture
def invited(wallet_net: Any, make_org: Any) -> Any:
    """A beneficiary of an NGO and the one-time invitation code staff would send her."""
    from tests.factories import BeneficiaryFactory

    from sozu.wallet.services import invitations

    her = BeneficiaryFactory.create(
        organization=make_org(), full_name="Rosa Quispe", ready_to_receive=None
    )
    return her, invitations.invitation_create(beneficiary=her, actor="user:1").code


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        connections.close_all()  # the ORM calls made while Playwright ran (PostgreSQL)
        b.close()


PRF_ONLY_AT_GET = """
const create = navigator.credentials.create.bind(navigator.credentials);
navigator.credentials.create = async (options) => {
  const cred = await create(options);
  const results = cred.getClientExtensionResults.bind(cred);
  cred.getClientExtensionResults = () => {
    const r = results();
    if (r.prf) r.prf = {enabled: true};
    return r;
  };
  return cred;
};
"""


class Phone:
    """A browser context (a phone) with a virtual platform authenticator and a request log."""

    def __init__(
        self, browser: Browser, base: str, *, prf_at_create: bool = True, **authenticator: Any
    ) -> None:
        self.base = base
        self.context: BrowserContext = browser.new_context(locale="es-AR", viewport=PHONE)
        if not prf_at_create:
            # As Android's passkey providers do: PRF enabled at create, but no result until a
            # get(). (Chromium's virtual authenticator evaluates it at create already.)
            self.context.add_init_script(PRF_ONLY_AT_GET)
        self.page: Page = self.context.new_page()
        self.sent: list[str] = []
        self.recovery_code = ""
        self.csp: list[str] = []
        self.page.on("request", self._record)
        self.page.on(
            "console",
            lambda m: self.csp.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.cdp: CDPSession = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        options = {
            "protocol": "ctap2",
            "ctap2Version": "ctap2_1",
            "transport": "internal",
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
            "automaticPresenceSimulation": True,
            "hasPrf": True,
            "defaultBackupEligibility": True,
            "defaultBackupState": True,
        }
        options.update(authenticator)
        self.authenticator = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": options}
        )["authenticatorId"]

    def _record(self, request: Any) -> None:
        headers = json.dumps(request.headers)
        self.sent.append(f"{request.method} {request.url}\n{headers}\n{request.post_data or ''}")

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.page.wait_for_selector("body[data-wallet-ready]")

    def credentials(self) -> list[dict[str, Any]]:
        return list(
            self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})[
                "credentials"
            ]
        )

    def seed(self) -> bytes:
        """Her secret seed, decrypted in the page with the device's own key (for the test)."""
        raw = self.page.evaluate(
            """async () => {
              const db = await new Promise((ok, ko) => {
                const r = indexedDB.open('keyval-store');
                r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error);
              });
              const w = await new Promise((ok, ko) => {
                const r = db.transaction('keyval').objectStore('keyval').get('sozu-wallet-v1');
                r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error);
              });
              const seed = await crypto.subtle.decrypt(
                {name: 'AES-GCM', iv: w.iv}, w.key, w.sealed);
              return {seed: Array.from(new Uint8Array(seed)), extractable: w.key.extractable};
            }"""
        )
        assert raw["extractable"] is False
        return bytes(raw["seed"])

    def prf_output(self) -> bytes:
        """The PRF output of her passkey for the wallet's input, from a get() the test makes."""
        raw = self.page.evaluate(
            """async () => {
              const salt = new Uint8Array(await crypto.subtle.digest('SHA-256',
                new TextEncoder().encode('sozu/wallet/prf/v1')));
              const cred = await navigator.credentials.get({publicKey: {
                challenge: crypto.getRandomValues(new Uint8Array(32)),
                userVerification: 'required', extensions: {prf: {eval: {first: salt}}}}});
              const out = cred.getClientExtensionResults().prf.results.first;
              return Array.from(new Uint8Array(out));
            }"""
        )
        return bytes(raw)

    def wipe(self) -> None:
        """Everything the wallet keeps in this browser is removed (the authenticator stays)."""
        self.page.evaluate(
            """async () => {
              const regs = await navigator.serviceWorker.getRegistrations();
              for (const r of regs) await r.unregister();
              for (const k of await caches.keys()) await caches.delete(k);
              localStorage.clear(); sessionStorage.clear();
              await new Promise((ok) => {
                const r = indexedDB.deleteDatabase('keyval-store');
                r.onsuccess = r.onerror = r.onblocked = () => ok(null);
              });
            }"""
        )
        self.context.clear_cookies()

    def sign_up(self) -> bool:
        """Taps "Crear mi billetera" (and "Activá tu billetera" when asked, returning True),
        then signs the sponsored account creation; keeps the recovery code it showed."""
        self.open("/wallet/entrar/")
        shots = os.environ.get("SOZU_SCREENSHOT_DIR")
        if shots:
            self.page.screenshot(path=f"{shots}/wallet-entrar-360.png", full_page=True)
        self.page.get_by_role("button", name="Crear mi billetera").click()
        self._wait_step()
        activate = self.page.get_by_role("button", name="Activá tu billetera")
        second_tap = self.page.url.endswith("/wallet/entrar/") and activate.is_visible()
        if second_tap:
            activate.click()
            self._wait_step(("wallet-account", "wallet-problem"))
        account = self.page.locator("#wallet-account")
        if self.page.url.endswith("/wallet/entrar/") and account.is_visible():
            self.recovery_code = self.page.locator("#recovery-code").text_content() or ""
            expect(self.page.locator("#account-summary")).to_contain_text("Saldo inicial: 0 XLM")
            if shots:
                self.page.screenshot(path=f"{shots}/wallet-activar-cuenta-360.png", full_page=True)
            self.page.get_by_role("button", name="Firmar y activar mi cuenta").click()
        self.page.wait_for_url(f"{self.base}/wallet/")
        self.page.wait_for_selector("body[data-wallet-ready]")
        return second_tap

    def _wait_step(
        self, shown: tuple[str, ...] = ("wallet-activate", "wallet-account", "wallet-problem")
    ) -> None:
        self.page.wait_for_function(
            "(ids) => location.pathname === '/wallet/' || "
            "ids.some((id) => document.getElementById(id) && !document.getElementById(id).hidden)",
            arg=list(shown),
        )


def _encodings(secret: bytes) -> list[str]:
    return [
        secret.hex(),
        base64.b64encode(secret).decode().rstrip("="),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        json.dumps(list(secret)).replace(" ", ""),
    ]


def _axe_problems(page: Page) -> list[str]:
    page.evaluate(AXE.read_text())  # through CDP: the page's own CSP stays strict
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "prf_at_create",
    [pytest.param(True, id="prf-at-create"), pytest.param(False, id="prf-only-at-get")],
)
def test_tier_a_sign_up_stores_only_a_ciphertext_and_a_new_phone_restores_the_address(
    live_server: Any, wallet_net: Any, browser: Browser, prf_at_create: bool
) -> None:
    phone = Phone(browser, live_server.url, prf_at_create=prf_at_create)
    second_tap = phone.sign_up()
    # PRF evaluated at create (CTAP 2.1 hmac-secret-mc) needs no second tap; otherwise
    # "Activá tu billetera" runs a get() with PRF.
    assert second_tap is not prf_at_create
    expect(phone.page.get_by_role("heading", name="Saldo")).to_be_visible()
    account = phone.page.evaluate("() => document.getElementById('balance-account').textContent")

    credential = WalletCredential.objects.select_related("user").get()
    assert credential.prf_tier == "A"
    assert credential.backup_eligible is True
    blob = WalletKeyBlob.objects.get(credential=credential)
    seed = phone.seed()
    keypair = Keypair.from_raw_ed25519_seed(seed)
    assert credential.user.account == keypair.public_key  # bound through SEP-10
    assert account == f"{keypair.public_key[:6]}…{keypair.public_key[-6:]}"

    # The server's blob opens only with the passkey's PRF output: HKDF → AES-GCM.
    prf = phone.prf_output()
    assert len(prf) == 32
    salt = base64.urlsafe_b64decode(blob.salt + "==")
    wrapping = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"sozu wallet key v1"
    ).derive(prf)
    opened = AESGCM(wrapping).decrypt(
        base64.urlsafe_b64decode(blob.iv + "=="),
        base64.urlsafe_b64decode(blob.ciphertext + "=="),
        credential.credential_id.encode(),
    )
    assert opened == seed

    # Nothing the browser sent carries the secret, the PRF output or the wrapping key.
    forbidden = [keypair.secret, *_encodings(seed), *_encodings(prf), *_encodings(wrapping)]
    # The recovery code (shown once, to write down) is a secret too: only its G key is sent.
    recovery = Keypair.from_secret(phone.recovery_code.replace(" ", ""))
    forbidden.append(recovery.secret)
    assert any(recovery.public_key in sent for sent in phone.sent)
    # The sponsored account: 0 XLM, her device key 20, two recovery signers 10, thresholds 20.
    record = requests.get(f"{wallet_net.url}/accounts/{keypair.public_key}", timeout=10).json()
    assert [b["balance"] for b in record["balances"] if b["asset_type"] == "native"] == [
        "0.0000000"
    ]
    weights = {sig["key"]: sig["weight"] for sig in record["signers"]}
    assert weights[keypair.public_key] == 20 and weights[recovery.public_key] == 10
    assert sorted(weights.values()) == [10, 10, 20]
    leaks = [f for f in forbidden for sent in phone.sent if f in sent]
    assert not leaks
    assert any("/wallet/api/keyblob" in s for s in phone.sent)
    assert not phone.csp

    # A new phone: nothing of the wallet left on the device (storage, cookies, service
    # worker), only her synced passkey. Signing in opens the server's blob with the PRF.
    phone.wipe()
    phone.open("/wallet/")
    phone.page.wait_for_url(f"{live_server.url}/wallet/entrar/")
    phone.page.wait_for_selector("body[data-wallet-ready]")
    before = len(phone.sent)
    phone.page.get_by_role("button", name="Ingresar").click()
    phone.page.wait_for_url(f"{live_server.url}/wallet/")
    phone.page.wait_for_selector("body[data-wallet-ready]")
    assert Keypair.from_raw_ed25519_seed(phone.seed()).public_key == keypair.public_key
    assert any("GET " in s and "/wallet/api/keyblob" in s for s in phone.sent[before:])
    assert WalletUser.objects.count() == 1
    assert not [f for f in forbidden for sent in phone.sent if f in sent]

    # A fresh browser context with the passkey exported and imported through CDP signs in as
    # the same wallet holder. (Chromium's DevTools credentials carry no PRF secret, so such an
    # imported passkey gives no PRF output: the page then says the key is on the other phone.)
    exported = phone.credentials()
    assert len(exported) == 1
    phone.context.close()
    other = Phone(browser, live_server.url)
    other.cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": other.authenticator, "credential": exported[0]},
    )
    other.open("/wallet/entrar/")
    other.page.get_by_role("button", name="Ingresar").click()
    expect(other.page.locator("#wallet-problem")).to_contain_text("Tu clave quedó guardada")
    me = other.page.evaluate("async () => (await fetch('/wallet/api/passkeys/me')).json()")
    assert me["account"] == keypair.public_key
    assert me["prf_tier"] == "A"
    assert not [f for f in forbidden for sent in other.sent if f in sent]
    other.context.close()


@pytest.mark.parametrize(
    "authenticator",
    [
        pytest.param({"hasPrf": False}, id="no-prf"),
        pytest.param(
            {"defaultBackupEligibility": False, "defaultBackupState": False},
            id="not-backup-eligible",
        ),
    ],
)
def test_tier_b_keeps_the_key_on_the_device(
    live_server: Any, wallet_net: Any, browser: Browser, authenticator: dict[str, Any]
) -> None:
    phone = Phone(browser, live_server.url, **authenticator)
    phone.sign_up()
    credential = WalletCredential.objects.select_related("user").get()
    assert credential.prf_tier == "B"
    assert not WalletKeyBlob.objects.exists()
    seed = phone.seed()
    keypair = Keypair.from_raw_ed25519_seed(seed)
    assert credential.user.account == keypair.public_key
    forbidden = [keypair.secret, *_encodings(seed)]
    forbidden.append(Keypair.from_secret(phone.recovery_code.replace(" ", "")).secret)
    assert not [f for f in forbidden for sent in phone.sent if f in sent]
    assert not any("/wallet/api/keyblob" in s for s in phone.sent)
    assert phone.page.evaluate("async () => await navigator.storage.persisted()") in (True, False)
    phone.context.close()


def test_invited_balance_activity_receive_and_pay_pages(
    live_server: Any,
    wallet_net: Any,
    sep7_uri: Any,
    invited: Any,
    browser: Browser,
    tmp_path: Path,
) -> None:
    beneficiary, code = invited
    phone = Phone(browser, live_server.url, hasPrf=False)
    # The invitation link opened before she has a wallet: kept through sign-up, then redeemed.
    phone.page.goto(f"{live_server.url}/wallet/?invitacion={code}")
    phone.page.wait_for_url(f"{live_server.url}/wallet/entrar/")
    phone.sign_up()
    expect(phone.page.locator("#balance-link")).to_contain_text(
        "Tu billetera quedó vinculada a Asociación Civil de Prueba"
    )
    seed = phone.seed()
    address = Keypair.from_raw_ed25519_seed(seed).public_key
    beneficiary.refresh_from_db()
    assert beneficiary.stellar_address == address
    wallet_net.fund(address, xlm="0", usdc="25.5")

    phone.open("/wallet/")
    expect(phone.page.locator("#balance-usdc")).to_have_text("25,50 USDC")
    # The local network's manual rate (1450 pesos per USDC), display only.
    expect(phone.page.locator("#balance-ars")).to_contain_text("≈ $ 36.975 · dólar cripto compra")
    expect(phone.page.locator("#balance-orgs")).to_have_text(
        "Tu organización: Asociación Civil de Prueba"
    )
    problems = {"saldo": _axe_problems(phone.page)}
    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots:
        phone.page.screenshot(path=f"{shots}/wallet-saldo-360.png", full_page=True)

    phone.open("/wallet/movimientos/")
    expect(phone.page.locator("#movements .movement")).to_have_count(1)
    expect(phone.page.locator("#movements")).to_contain_text("+25,50 USDC")
    problems["movimientos"] = _axe_problems(phone.page)
    if shots:
        phone.page.screenshot(path=f"{shots}/wallet-movimientos-360.png", full_page=True)

    phone.open("/wallet/recibir/")
    expect(phone.page.locator("#receive-address")).to_have_text(address)
    phone.page.get_by_label("Monto en USDC (opcional)").fill("12.5")
    phone.page.get_by_role("button", name="Actualizar QR").click()
    uri = f"web+stellar:pay?destination={address}"
    expect(phone.page.locator("#receive-uri")).to_contain_text(uri)
    expect(phone.page.locator("#receive-uri")).to_contain_text("amount=12.5")
    qr = phone.page.locator("#receive-qr").get_attribute("src", timeout=5000)
    assert qr and qr.startswith("data:image/png")
    photo = tmp_path / "qr.png"
    photo.write_bytes(base64.b64decode(qr.split(",", 1)[1]))
    problems["recibir"] = _axe_problems(phone.page)
    if shots:
        phone.page.screenshot(path=f"{shots}/wallet-recibir-360.png", full_page=True)

    phone.open("/wallet/pagar/")
    # The QR of Recibir, photographed: read with jsQR, checked, decoded before signing.
    phone.page.set_input_files("#pay-scan", str(photo))
    expect(phone.page.locator("#review-destination")).to_have_text(address)
    expect(phone.page.locator("#review-amount")).to_have_text("12,50 USDC")
    pay_to = phone.page.get_by_label("Dirección (G… o M…) o código de pago")
    pay_to.fill("GNOTANADDRESS")
    phone.page.get_by_label("Monto en USDC").fill("1")
    phone.page.get_by_role("button", name="Continuar").click()
    expect(phone.page.locator("#pay-error")).to_contain_text("La dirección no es válida")
    # A payment request signed by Sozu (SEP-7) is checked by the server: a changed one is
    # refused; the genuine one is decoded and shown before she signs.
    other = Keypair.random().public_key
    signed = sep7_uri(other)
    pay_to.fill(signed.replace("amount=3", "amount=30"))
    phone.page.get_by_role("button", name="Continuar").click()
    expect(phone.page.locator("#pay-error")).to_contain_text("no lo pagues")
    expect(phone.page.locator("#pay-review")).to_be_hidden()
    pay_to.fill(signed)
    phone.page.get_by_role("button", name="Continuar").click()
    expect(phone.page.locator("#review-destination")).to_have_text(other)
    expect(phone.page.locator("#review-amount")).to_have_text("3,00 USDC")
    expect(phone.page.locator("#review-memo")).to_have_text("cuota 1")
    expect(phone.page.locator("#review-origin")).to_contain_text("Pedido firmado por")
    problems["pagar"] = _axe_problems(phone.page)
    # Paying another wallet: she signs, Sozu pays the fee bump; her XLM stays at 0.
    friend = Keypair.random().public_key
    wallet_net.fund(friend, xlm="5", usdc="1")
    pay_to.fill(friend)
    phone.page.get_by_label("Monto en USDC").fill("3")
    phone.page.get_by_label("Memo (opcional)").fill("")
    phone.page.get_by_role("button", name="Continuar").click()
    expect(phone.page.locator("#review-destination")).to_have_text(friend)
    phone.page.get_by_role("button", name="Firmar y pagar").click()
    expect(phone.page.locator("#pay-done")).to_contain_text("Pago enviado")
    # Her passkey confirmed the payment before it was sent.
    paths = [sent.split("\n", 1)[0] for sent in phone.sent]
    submitted = max(i for i, p in enumerate(paths) if p.endswith("/wallet/api/transactions"))
    assert any(p.endswith("/wallet/api/passkeys/login/finish") for p in paths[:submitted])
    mine = requests.get(f"{wallet_net.url}/accounts/{address}", timeout=10).json()
    balances = {b.get("asset_code", "XLM"): b["balance"] for b in mine["balances"]}
    assert balances == {"XLM": "0.0000000", "USDC": "22.5000000"}
    last = requests.get(
        f"{wallet_net.url}/accounts/{address}/transactions",
        params={"order": "desc", "limit": "1"},
        timeout=10,
    ).json()["_embedded"]["records"][0]
    assert last["fee_account"] != address and "fee_bump_transaction" in last
    if shots:
        phone.page.screenshot(path=f"{shots}/wallet-pagar-360.png", full_page=True)

    phone.open("/wallet/credito/")
    expect(phone.page.get_by_text("Todavía no tenés un crédito")).to_be_visible()
    problems["credito"] = _axe_problems(phone.page)

    # Offline: the service worker serves the shell; the page shows the last balance and its age.
    phone.open("/wallet/")
    phone.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.context.set_offline(True)
    phone.page.reload()
    phone.page.wait_for_selector("body[data-wallet-ready]")
    expect(phone.page.locator("#balance-usdc")).to_have_text("22,50 USDC")
    expect(phone.page.locator("#balance-note")).to_contain_text("Sin conexión: último saldo")
    phone.context.set_offline(False)

    assert not [p for found in problems.values() for p in found], problems
    assert not phone.csp
    phone.context.close()


INSTAGRAM = (
    "Mozilla/5.0 (Linux; Android 13; SM-A045M) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 Instagram 312.0.0.0"
)


@pytest.mark.parametrize("in_app", [True, False], ids=["in-app-browser", "no-webauthn"])
def test_in_app_browser_is_told_to_open_chrome(
    live_server: Any, browser: Browser, in_app: bool
) -> None:
    if in_app:
        context = browser.new_context(locale="es-AR", viewport=PHONE, user_agent=INSTAGRAM)
    else:  # a browser without WebAuthn, whatever its user agent says
        context = browser.new_context(locale="es-AR", viewport=PHONE)
        context.add_init_script("delete window.PublicKeyCredential;")
    page = context.new_page()
    page.goto(f"{live_server.url}/wallet/entrar/")
    page.wait_for_selector("body[data-wallet-ready]")
    expect(page.get_by_role("heading", name="Abrí este enlace en Chrome")).to_be_visible()
    expect(page.get_by_role("button", name="Crear mi billetera")).to_be_hidden()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copiar enlace").click()
    expect(page.locator("#wallet-copied")).to_be_visible()
    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots and in_app:
        page.screenshot(path=f"{shots}/wallet-abrir-en-chrome-360.png", full_page=True)
    context.close()


@pytest.mark.parametrize(
    "new_phone",
    [
        pytest.param({"hasPrf": False}, id="new-phone-tier-b"),
        pytest.param({"prf_at_create": False}, id="new-phone-tier-a-second-tap"),
    ],
)
def test_tier_b_recovers_on_a_new_phone_with_her_code_an_sms_and_her_ngo(
    live_server: Any,
    wallet_net: Any,
    invited: Any,
    browser: Browser,
    settings: Any,
    new_phone: dict[str, Any],
) -> None:
    from sozu.wallet import sms
    from sozu.wallet.models import RecoveryRequest
    from sozu.wallet.services.recovery import recovery_confirm

    settings.SOZU_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    beneficiary, code = invited
    old = Phone(browser, live_server.url, hasPrf=False)
    old.page.goto(f"{live_server.url}/wallet/?invitacion={code}")
    old.page.wait_for_url(f"{live_server.url}/wallet/entrar/")
    old.sign_up()
    expect(old.page.locator("#balance-link")).to_be_visible()
    old_key = Keypair.from_raw_ed25519_seed(old.seed()).public_key
    recovery_code = old.recovery_code
    old.context.close()  # the phone is lost

    new = Phone(browser, live_server.url, **new_phone)
    new.open("/wallet/entrar/")
    new.page.get_by_role("link", name="Perdí mi teléfono: recuperar con mi código").click()
    new.page.wait_for_selector("body[data-wallet-ready]")
    shots = os.environ.get("SOZU_SCREENSHOT_DIR")
    if shots:
        new.page.screenshot(path=f"{shots}/wallet-recuperar-360.png", full_page=True)
    new.page.get_by_label("Tu código de recuperación").fill(recovery_code)
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-step-sms")).to_be_visible()
    assert len(sms.outbox) == 1 and sms.outbox[0].to == beneficiary.phone
    otp = re.search(r"\b(\d{6})\b", sms.outbox[0].text)
    assert otp is not None
    new.page.get_by_label("El código que te mandamos por SMS").fill(otp.group(1))
    new.page.get_by_role("button", name="Continuar").click()
    expect(new.page.locator("#recover-step-staff")).to_be_visible()
    new.page.get_by_role("button", name="Ya confirmaron").click()
    expect(new.page.locator("#recover-problem")).to_contain_text("todavía no confirmó")
    recovery_confirm(request=RecoveryRequest.objects.get(), actor="user:staff")
    new.page.get_by_role("button", name="Ya confirmaron").click()
    new.page.get_by_role("button", name="Firmar y recuperar").click()
    if new_phone.get("prf_at_create") is False:
        new.page.get_by_role("button", name="Activá tu billetera").click()
    new.page.wait_for_url(f"{live_server.url}/wallet/")
    new.page.wait_for_selector("body[data-wallet-ready]")

    # Her old account, now signed by the new phone's key; the lost key no longer signs.
    new_key = Keypair.from_raw_ed25519_seed(new.seed()).public_key
    record = requests.get(f"{wallet_net.url}/accounts/{old_key}", timeout=10).json()
    weights = {sig["key"]: sig["weight"] for sig in record["signers"]}
    assert weights[new_key] == 20 and weights.get(old_key, 0) == 0
    expect(new.page.locator("#balance-account")).to_have_text(f"{old_key[:6]}…{old_key[-6:]}")
    expect(new.page.locator("#balance-orgs")).to_contain_text("Asociación Civil de Prueba")
    tier = "B" if new_phone.get("hasPrf") is False else "A"
    assert WalletCredential.objects.order_by("-pk").first().prf_tier == tier  # type: ignore[union-attr]
    secrets = [Keypair.from_secret(recovery_code.replace(" ", "")).secret, *_encodings(new.seed())]
    assert not [f for f in secrets for sent in new.sent if f in sent]
    new.context.close()


def test_when_the_account_could_not_be_made_saldo_offers_to_activate_it_again(
    live_server: Any, net_settings: Any, browser: Browser
) -> None:
    from sozu.wallet.services import accounts

    phone = Phone(browser, live_server.url, hasPrf=False)
    phone.sign_up()  # Sozu's sponsor has no account yet: the creation is refused
    assert phone.recovery_code == ""
    expect(phone.page.locator("#balance-note")).to_have_text(
        "Tu cuenta todavía no está activa en la red."
    )
    accounts.sponsor_fund_on_localnet()
    phone.page.get_by_role("link", name="Activar mi cuenta").click()
    expect(phone.page.locator("#wallet-account")).to_be_visible()
    phone.page.get_by_role("button", name="Firmar y activar mi cuenta").click()
    phone.page.wait_for_url(f"{live_server.url}/wallet/")
    expect(phone.page.locator("#balance-usdc")).to_have_text("0,00 USDC")
    expect(phone.page.locator("#balance-activate")).to_be_hidden()
    address = Keypair.from_raw_ed25519_seed(phone.seed()).public_key
    record = requests.get(f"{net_settings.url}/accounts/{address}", timeout=10).json()
    assert sorted(sig["weight"] for sig in record["signers"]) == [10, 10, 20]
    phone.context.close()


@pytest.mark.parametrize(
    ("locale", "message"),
    [
        ("es-AR", "El código de recuperación no es válido: revisalo."),
        ("en-US", "The recovery code is not valid: check it."),
        ("fr-FR", "El código de recuperación no es válido: revisalo."),  # Spanish by default
    ],
)
def test_the_pages_javascript_speaks_the_pages_language(
    live_server: Any, browser: Browser, locale: str, message: str
) -> None:
    """A message made by the wallet's JS (not by the server) comes from Django's catalog."""
    context = browser.new_context(locale=locale, viewport=PHONE)
    page = context.new_page()
    csp: list[str] = []
    page.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(f"{live_server.url}/wallet/recuperar/")
    page.wait_for_selector("body[data-wallet-ready]")
    page.locator("#recover-code").fill("SNOTARECOVERYCODE")
    page.locator("#recover-step-code button[type=submit]").click()
    expect(page.locator("#recover-problem")).to_have_text(message)
    assert not csp
    context.close()


def test_a_creation_that_can_no_longer_be_included_is_built_again_and_signed_again(
    live_server: Any, wallet_net: Any, browser: Browser
) -> None:
    """While she reads her summary, the creation she was shown is gone (replaced, expired or
    its sequence used): "Firmar y activar" gets a new one, checks it and signs it."""
    from sozu.wallet.models import WalletTransaction

    phone = Phone(browser, live_server.url, hasPrf=False)
    phone.open("/wallet/entrar/")
    phone.page.get_by_role("button", name="Crear mi billetera").click()
    expect(phone.page.locator("#wallet-account")).to_be_visible()
    code = Keypair.from_secret(
        (phone.page.locator("#recovery-code").text_content() or "").replace(" ", "")
    )
    assert WalletTransaction.objects.filter(status="built").delete()[0] == 1
    phone.page.get_by_role("button", name="Firmar y activar mi cuenta").click()
    phone.page.wait_for_url(f"{live_server.url}/wallet/")
    address = Keypair.from_raw_ed25519_seed(phone.seed()).public_key
    record = requests.get(f"{wallet_net.url}/accounts/{address}", timeout=10).json()
    weights = {sig["key"]: sig["weight"] for sig in record["signers"]}
    assert weights[address] == 20 and weights[code.public_key] == 10  # the code she wrote down
    builds = [s for s in phone.sent if s.startswith("POST ") and "/wallet/api/account\n" in s]
    assert len(builds) == 2
    phone.context.close()
