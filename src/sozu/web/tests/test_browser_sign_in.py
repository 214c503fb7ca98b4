"""Real Chromium against a live server: staff sign in with password + TOTP, and with a passkey.

The TOTP code is computed in the test from the secret, as an authenticator app would; the
passkey lives in Chrome's virtual authenticator (CDP WebAuthn), created through allauth's page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from sozu.audit.models import AuditEvent
from sozu.web.tests.helpers import PASSWORD, TOTP_SECRET, staff, totp_code

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """Chromium, launched once the test database and the live server exist."""
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="es-AR", viewport={"width": 1280, "height": 860})
    yield ctx
    ctx.close()


def _csp_violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def sign_in_with_password(page: Page, base: str, email: str, totp_secret: str | None) -> None:
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Ingresar")).to_be_visible()
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    if totp_secret:
        code = page.locator("input[name=code]")
        expect(code).to_be_visible()
        code.fill(totp_code(totp_secret))
        page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")


def test_password_and_totp_sign_in_reaches_the_home_page(
    live_server: Any, context: BrowserContext, make_org: Any
) -> None:
    org = make_org(usdc="2500")
    m = staff(org, "approver", totp_secret=TOTP_SECRET)
    page = context.new_page()
    violations = _csp_violations(page)
    sign_in_with_password(page, live_server.url, m.user.email, TOTP_SECRET)
    expect(page.get_by_role("heading", name="Inicio")).to_be_visible()
    expect(page.locator("header")).to_contain_text(org.name)
    # The wallet's USDC, read from the local network, in Argentinian format.
    expect(page.locator(".stat").first).to_contain_text("2.500,00 USDC")
    # The chart drew (chart.js from node_modules, through whitenoise, under the CSP).
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas'))")
    # On a 360 px phone no page is wider than the screen (wide tables scroll inside a box).
    page.set_viewport_size({"width": 360, "height": 780})
    for path in ("/inicio/", "/billetera/", "/auditoria/", "/configuracion/", "/cuenta/2fa/"):
        page.goto(live_server.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide"
    assert violations == []


def test_passkey_added_then_used_to_sign_in_without_a_password(
    live_server: Any, context: BrowserContext, make_org: Any
) -> None:
    org = make_org()
    m = staff(org, "operator", totp_secret=TOTP_SECRET)
    page = context.new_page()
    violations = _csp_violations(page)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "hasPrf": True,
            }
        },
    )
    base = live_server.url
    sign_in_with_password(page, base, m.user.email, TOTP_SECRET)

    # Add a passkey on allauth's page (in the site's layout); it can sign in on its own.
    page.goto(f"{base}/cuenta/2fa/webauthn/add/")
    # Adding a key asks to confirm who one is (allauth reauthentication), with the password.
    expect(page.get_by_role("heading", name="Confirmar acceso")).to_be_visible()
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/cuenta/2fa/webauthn/add/")
    page.locator("input[name=name]").fill("Notebook de la oficina")
    passwordless = page.locator("input[name=passwordless]")
    if passwordless.count():
        passwordless.check()
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    key = Authenticator.objects.get(user=m.user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Notebook de la oficina"
    assert key.wrap().is_passwordless

    # Sign out, then in again with the passkey alone: no email, no password, no code.
    page.goto(f"{base}/cuenta/logout/")
    page.get_by_role("button", name="Salir").last.click()
    page.goto(f"{base}/")
    page.get_by_role("button", name="Ingresar con una passkey").click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")
    expect(page.locator("header")).to_contain_text(m.user.email)

    # The same passkey as the second factor after the password (instead of the TOTP code).
    page.goto(f"{base}/cuenta/logout/")
    page.get_by_role("button", name="Salir").last.click()
    page.goto(f"{base}/")
    page.get_by_label("Correo electrónico").fill(m.user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.wait_for_url(f"{base}/cuenta/2fa/authenticate/")
    page.get_by_role("button", name="Usar una passkey o llave de seguridad").click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")
    methods = [
        e.data["methods"]
        for e in AuditEvent.objects.filter(organization=org, action="staff.signed_in")
    ]
    assert methods[-1] == ["password", "webauthn"]
    assert ["webauthn"] in methods  # the passwordless sign-in
    assert violations == []


def test_a_member_of_an_organization_requiring_2fa_sets_up_the_authenticator_app(
    live_server: Any, context: BrowserContext, make_org: Any
) -> None:
    """The owner requires 2FA: an operator without it is sent to set it up, scans the QR code
    (here: reads the secret shown under it), confirms with a code, then reaches Inicio."""
    org = make_org()
    org.require_2fa = True
    org.save()
    m = staff(org, "operator")
    page = context.new_page()
    violations = _csp_violations(page)
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_label("Correo electrónico").fill(m.user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.wait_for_url(f"{base}/cuenta/2fa/")
    expect(page.locator(".messages")).to_contain_text("verificación en dos pasos")
    page.goto(f"{base}/cuenta/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"{base}/cuenta/2fa/totp/activate/")
    qr = page.locator("main img").first
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the QR code image loads under the CSP
    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    page.goto(f"{base}/inicio/")
    expect(page.get_by_role("heading", name="Inicio")).to_be_visible()
    assert violations == []
