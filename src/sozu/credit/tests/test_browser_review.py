"""Real Chromium: an operator assigns a payment from the review queue to her loan, on a phone.

No local Stellar network is needed: the payment to review is a row, the loan is active.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, expect, sync_playwright
from stellar_sdk import Keypair

from sozu.credit.models import PaymentReview
from sozu.credit.tests.onchain import active_loans
from sozu.web.tests.helpers import PASSWORD, org, staff

CHROMIUM = "/usr/bin/chromium"
ISSUER = Keypair.random().public_key
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(live_server: Any, settings: Any) -> dict[str, Any]:
    """Everything the page needs, made before Chromium starts."""
    settings.USDC_ISSUER = ISSUER
    o = org()
    (loan,) = active_loans(o)
    review = PaymentReview.objects.create(
        organization=o,
        operation_id="4242424242",
        tx_hash="ef" * 32,
        source=Keypair.random().public_key,
        memo="pago de Rosa",
        memo_type="text",
        asset_code="USDC",
        asset_issuer=ISSUER,
        amount=Decimal("75"),
        received_at=timezone.now(),
        reason=PaymentReview.Reason.UNKNOWN_REFERENCE,
    )
    return {"operator": staff(o, "operator"), "loan": loan, "review": review}


@pytest.fixture
def browser(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def test_an_operator_assigns_a_payment_on_a_phone(
    live_server: Any, queue: dict[str, Any], browser: Browser
) -> None:
    # axe is injected by the test, so this context alone lets it past the page's CSP.
    context = browser.new_context(
        locale="es-AR", viewport={"width": 360, "height": 780}, bypass_csp=True
    )
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/cuenta/login/")
    page.get_by_label("Correo electrónico").fill(queue["operator"].user.email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.wait_for_url(f"{base}/inicio/")

    page.goto(f"{base}/creditos/a-revisar/")
    expect(page.get_by_role("heading", name="Pagos a revisar")).to_be_visible()
    expect(page.get_by_text("pago de Rosa")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the review page is {width} px wide"
    page.add_script_tag(path=str(Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']}: {v['help']} {json.dumps(v['nodes'][0]['target'])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []

    page.get_by_label("Su préstamo (referencia SZ-… o número)").fill(
        queue["loan"].payment_reference
    )
    page.get_by_role("button", name="Asignar al préstamo").click()

    expect(page.get_by_text("se registró como pago del préstamo")).to_be_visible()
    expect(page.get_by_text("Nada para revisar")).to_be_visible()
    context.close()
