"""The wallet's public protocol endpoints: /.well-known/stellar.toml (SEP-1) and /auth (SEP-10).

Both are read by clients on other origins (any Stellar wallet), so they answer CORS with `*`;
neither uses cookies, so the POST needs no CSRF token.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sozu.stellar.network import NetworkError, usdc_asset
from sozu.wallet import sep10


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    return response


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


@require_http_methods(["GET", "OPTIONS"])
def stellar_toml(request: HttpRequest) -> HttpResponse:
    lines = [
        "# Sozu: the wallet's signing keys and assets (SEP-1)",
        'VERSION = "2.7.0"',
        f"NETWORK_PASSPHRASE = {_toml_string(settings.NETWORK_PASSPHRASE)}",
        f"SIGNING_KEY = {_toml_string(sep10.signing_public_key())}",
        f"WEB_AUTH_ENDPOINT = {_toml_string(request.build_absolute_uri('/auth'))}",
        # SEP-7: the payment requests Sozu makes are signed with this key.
        f"URI_REQUEST_SIGNING_KEY = {_toml_string(sep10.signing_public_key())}",
    ]
    public_horizon = settings.SOZU_PUBLIC_HORIZON_URL or settings.HORIZON_URL
    lines.append(f"HORIZON_URL = {_toml_string(public_horizon)}")
    try:
        usdc = usdc_asset()
    except (NetworkError, OSError, KeyError, ValueError):
        usdc = None  # the local network is not up yet: publish what is known
    lines += ["", "[DOCUMENTATION]", 'ORG_NAME = "Sozu"']
    if usdc is not None:
        lines += [
            "",
            "[[CURRENCIES]]",
            f"code = {_toml_string(usdc.code)}",
            f"issuer = {_toml_string(usdc.issuer or '')}",
            "display_decimals = 2",
        ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    return _cors(response)


@csrf_exempt
@require_http_methods(["GET", "POST", "OPTIONS"])
def auth(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204))
    try:
        if request.method == "GET":
            xdr = sep10.challenge_build(
                account=request.GET.get("account", ""),
                requested_home_domain=request.GET.get("home_domain") or None,
            )
            body = {"transaction": xdr, "network_passphrase": settings.NETWORK_PASSPHRASE}
            return _cors(JsonResponse(body))
        if request.content_type == "application/json":
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                payload = None
            challenge = payload.get("transaction") if isinstance(payload, dict) else None
        else:
            challenge = request.POST.get("transaction")
        if not isinstance(challenge, str) or not challenge.strip():
            raise sep10.Sep10Error("transaction: required")
        token = sep10.token_issue(challenge_xdr=challenge.strip())
        return _cors(JsonResponse({"token": token.jwt}))
    except sep10.Sep10Error as exc:
        return _cors(JsonResponse({"error": exc.message}, status=exc.status))
