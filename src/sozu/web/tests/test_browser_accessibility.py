"""axe-core (pinned in package.json) on every page built so far: no serious or critical issue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, sync_playwright

from sozu.web.tests.helpers import PASSWORD, TOTP_SECRET, staff, totp_code

AXE = Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"
PAGES = (
    "/inicio/",
    "/billetera/",
    "/auditoria/",
    "/configuracion/",
    "/cuenta/2fa/",
    "/simulador/",
    "/creditos/",
    "/creditos/productos/",
    "/creditos/nuevo/",
)


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium")
        yield b
        b.close()


def test_no_serious_or_critical_accessibility_violations(
    live_server: Any, browser: Browser, make_org: Any
) -> None:
    m = staff(make_org(), "owner", totp_secret=TOTP_SECRET)
    # axe is injected by the test, so this context alone lets it past the page's CSP.
    ctx = browser.new_context(locale="es-AR", bypass_csp=True)
    page = ctx.new_page()
    base = live_server.url
    page.goto(f"{base}/cuenta/login/")
    problems: dict[str, list[str]] = {}

    def check(path: str) -> None:
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        bad = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}x) {json.dumps(v['nodes'][0]['target'])}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            problems[path] = bad

    check("/cuenta/login/")
    page.fill("#id_login", m.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{base}/cuenta/2fa/authenticate/")
    check("/cuenta/2fa/authenticate/")
    page.fill("input[name=code]", totp_code(TOTP_SECRET))
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")
    for path in PAGES:
        page.goto(base + path)
        check(path)
    ctx.close()
    assert problems == {}
