"""Screenshots of the dashboard (Spanish; desktop and 360 px wide) for docs/screenshots/.

Run by `bin/screenshots` against a running `sozu start`: signs in as the demo approver with
the password and a TOTP code computed from the secret in VAR_DIR/demo-staff.json.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
OUT = Path("docs/screenshots")
#: (file name, path): the pages built so far; later pages add themselves here.
PAGES = (
    ("inicio", "/inicio/"),
    ("billetera", "/billetera/"),
    ("auditoria", "/auditoria/"),
    ("beneficiarias", "/beneficiarias/"),
    ("configuracion", "/configuracion/"),
    (
        "simulador",
        "/simulador/?amount=250000&currency=ARS&cuotas=10&frequency=biweekly&tna=85"
        "&system=german&iva=10.5&origination_fee=2&first_due=2026-12-18&business_days=on",
    ),
    ("seguridad", "/cuenta/2fa/"),
)
VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 360, "height": 780}}


def totp_code(secret: str) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s), as an authenticator app computes it."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


_used: set[str] = set()


def fresh_code(secret: str) -> str:
    """A code not used yet: the server refuses a code twice, so wait for the next one."""
    while (code := totp_code(secret)) in _used:
        time.sleep(1)
    _used.add(code)
    return code


def sign_in(page: Page, base: str, email: str, password: str, secret: str) -> None:
    page.goto(f"{base}/cuenta/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    if secret:
        page.fill("input[name=code]", fresh_code(secret))
        page.click("button[type=submit]")
    page.wait_for_url(f"{base}/inicio/", wait_until="domcontentloaded")


def main(base: str, var_dir: str) -> None:
    staff = json.loads((Path(var_dir) / "demo-staff.json").read_text())
    approver = next(p for p in staff if p["role"] == "approver")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        for label, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, locale="es-AR")  # type: ignore[arg-type]
            page = context.new_page()
            page.goto(f"{base}/cuenta/login/")
            page.screenshot(path=str(OUT / f"login-{label}.png"), full_page=True)
            sign_in(page, base, approver["email"], approver["password"], approver["totp_secret"])
            for name, path in PAGES:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"{name}-{label}.png"), full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
