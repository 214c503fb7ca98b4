"""The wallet in the browser: the PWA's pages and the passkey endpoints (/wallet/…).

Pages are shells: the JavaScript modules bundled from `frontend/` read the network and keep the
keys. The wallet session is the Django session with its own keys (`wallet_user`,
`wallet_credential`): no django.contrib.auth user is ever signed in here, so a wallet holder
and a staff member never share a sign-in.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.i18n import JavaScriptCatalog

from sozu.core.api import answer
from sozu.wallet import passkeys, sep10
from sozu.wallet.models import WalletCredential

SESSION_USER = "wallet_user"
SESSION_CREDENTIAL = "wallet_credential"
SESSION_REGISTER = "wallet_register_challenge"
SESSION_LOGIN = "wallet_login_challenge"
#: Bodies of the passkey endpoints are small JSON objects.
MAX_BODY = 64 * 1024


def horizon_public_url() -> str:
    return str(settings.SOZU_PUBLIC_HORIZON_URL or settings.HORIZON_URL).rstrip("/")


def wallet_csp() -> str:
    """The site's policy, plus Horizon's origin in connect-src (the wallet reads it directly)."""
    parts = urlsplit(horizon_public_url())
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    policy = str(settings.SOZU_CONTENT_SECURITY_POLICY)
    if origin:
        policy = policy.replace("connect-src 'self'", f"connect-src 'self' {origin}")
    return policy + "; worker-src 'self'; manifest-src 'self'"


def _config() -> dict[str, Any]:
    from sozu.stellar.network import NetworkError, usdc_asset

    try:
        usdc = usdc_asset()
        code, issuer = usdc.code, usdc.issuer or ""
    except (NetworkError, OSError, KeyError, ValueError):
        code, issuer = settings.USDC_CODE, settings.USDC_ISSUER
    return {
        "network_passphrase": settings.NETWORK_PASSPHRASE,
        "horizon_url": horizon_public_url(),
        "usdc": {"code": code, "issuer": issuer},
        "home_domain": settings.SOZU_HOME_DOMAIN,
    }


PAGES = {
    "saldo": "wallet/saldo.html",
    "movimientos": "wallet/movimientos.html",
    "recibir": "wallet/recibir.html",
    "pagar": "wallet/pagar.html",
    "credito": "wallet/credito.html",
    "entrar": "wallet/entrar.html",
    "recuperar": "wallet/recuperar.html",
    "codigo": "wallet/codigo.html",
}


def catalog_language() -> str:
    """The request's language as one of LANGUAGES (`es-ar`, the default, is `es`)."""
    return translation.get_supported_language_variant(translation.get_language())


def page(request: HttpRequest, name: str) -> HttpResponse:
    template = PAGES.get(name)
    if template is None:
        raise Http404
    response = render(
        request,
        template,
        {
            "wallet_page": name,
            "wallet_config": _config(),
            "wallet_language": catalog_language(),
        },
    )
    response["Content-Security-Policy"] = wallet_csp()
    return response


def manifest(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "wallet/manifest.webmanifest", content_type="application/manifest+json"
    )
    return response


_catalog = JavaScriptCatalog.as_view(domain="djangojs", packages=["sozu.wallet"])


def javascript_catalog(request: HttpRequest, lang: str) -> HttpResponseBase:
    """The wallet JS's messages (Django's JavaScript catalog) in the language named by the URL.

    The language is in the path, not taken from the request, so that each language is its own
    URL: the service worker precaches both and a page in English never gets a cached Spanish
    catalog (or the other way round). Loaded by `wallet/base.html` before the page's module.
    """
    if lang not in dict(settings.LANGUAGES):
        raise Http404
    with translation.override(lang):
        return _catalog(request)


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /wallet/ so that its scope is the whole wallet."""
    found = finders.find("wallet/build/sw.js")
    if not found:
        raise Http404("the wallet's bundle is not built: run `npm run build:wallet`")
    path = found if isinstance(found, str) else found[0]
    with open(path, encoding="utf-8") as fh:
        response = HttpResponse(fh.read(), content_type="text/javascript; charset=utf-8")
    response["Content-Security-Policy"] = wallet_csp()
    return response


# --- the passkey endpoints --------------------------------------------------------------------


def _problem(exc: passkeys.PasskeyError) -> JsonResponse:
    return answer(
        exc.status,
        {
            "type": f"urn:sozu:problem:{exc.code}",
            "title": exc.code.replace("_", " ").capitalize(),
            "status": exc.status,
            "detail": exc.message,
            "code": exc.code,
        },
    )


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body or b"") > MAX_BODY:
        raise passkeys.PasskeyError("body_invalid")
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise passkeys.PasskeyError("body_invalid") from exc
    if not isinstance(data, dict):
        raise passkeys.PasskeyError("body_invalid")
    return data


def _rp(request: HttpRequest) -> passkeys.RelyingParty:
    origin = f"{request.scheme}://{request.get_host()}"
    return passkeys.relying_party(host=request.get_host(), origin=origin)


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _signed_in(request: HttpRequest) -> WalletCredential:
    pk = request.session.get(SESSION_CREDENTIAL)
    credential = (
        WalletCredential.objects.select_related("user").filter(pk=pk).first() if pk else None
    )
    if credential is None or credential.user_id != request.session.get(SESSION_USER):
        raise passkeys.PasskeyError("wallet_signed_out")
    return credential


def _session_start(request: HttpRequest, credential: WalletCredential) -> None:
    request.session.cycle_key()  # a new session id at sign-in (no fixation)
    request.session[SESSION_USER] = credential.user_id
    request.session[SESSION_CREDENTIAL] = credential.pk


def _credential_body(credential: WalletCredential) -> dict[str, Any]:
    return {
        "credential_id": credential.credential_id,
        "backup_eligible": credential.backup_eligible,
        "backup_state": credential.backup_state,
        "prf_tier": credential.prf_tier,
        "account": credential.user.account,
        "has_keyblob": hasattr(credential, "keyblob"),
    }


def _api(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except passkeys.PasskeyError as exc:
            return _problem(exc)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


@require_http_methods(["POST"])
@_api
def register_begin(request: HttpRequest) -> HttpResponse:
    passkeys.rate_limit(
        purpose="register", client=_client(request), limit=settings.SOZU_WEBAUTHN_BEGIN_LIMIT
    )
    options, challenge = passkeys.registration_begin(rp=_rp(request))
    request.session[SESSION_REGISTER] = challenge
    return JsonResponse({"options": json.loads(options)})


@require_http_methods(["POST"])
@_api
def register_finish(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    challenge = request.session.pop(SESSION_REGISTER, None)
    if not challenge:
        raise passkeys.PasskeyError("challenge_invalid")
    credential = passkeys.registration_finish(
        rp=_rp(request), challenge=challenge, credential=body.get("credential")
    )
    _session_start(request, credential)
    return JsonResponse(_credential_body(credential), status=201)


@require_http_methods(["POST"])
@_api
def login_begin(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    ids = body.get("credential_ids") or []
    if not isinstance(ids, list) or len(ids) > 20 or not all(isinstance(i, str) for i in ids):
        raise passkeys.PasskeyError("body_invalid")
    passkeys.rate_limit(
        purpose="login", client=_client(request), limit=settings.SOZU_WEBAUTHN_BEGIN_LIMIT
    )
    options, challenge = passkeys.authentication_begin(rp=_rp(request), credential_ids=ids)
    request.session[SESSION_LOGIN] = challenge
    return JsonResponse({"options": json.loads(options)})


@require_http_methods(["POST"])
@_api
def login_finish(request: HttpRequest) -> HttpResponse:
    body = _body(request)
    challenge = request.session.pop(SESSION_LOGIN, None)
    if not challenge:
        raise passkeys.PasskeyError("challenge_invalid")
    credential = passkeys.authentication_finish(
        rp=_rp(request), challenge=challenge, credential=body.get("credential")
    )
    _session_start(request, credential)
    return JsonResponse(_credential_body(credential))


@require_http_methods(["POST"])
@_api
def logout(request: HttpRequest) -> HttpResponse:
    for key in (SESSION_USER, SESSION_CREDENTIAL, SESSION_REGISTER, SESSION_LOGIN):
        request.session.pop(key, None)
    return HttpResponse(status=204)


@require_http_methods(["GET"])
@_api
def me(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_credential_body(_signed_in(request)))


@require_http_methods(["POST"])
@_api
def tier_device(request: HttpRequest) -> HttpResponse:
    """Tier B: the browser tells that her key stays on this device."""
    credential = passkeys.tier_device_only(credential=_signed_in(request))
    return JsonResponse(_credential_body(credential))


@require_http_methods(["PUT"])
@_api
def account(request: HttpRequest) -> HttpResponse:
    """Binds her Stellar address to the signed-in wallet; the SEP-10 token proves the address."""
    credential = _signed_in(request)
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise passkeys.PasskeyError("body_invalid")
    try:
        address = sep10.token_account(header.removeprefix("Bearer ").strip())
    except sep10.Sep10Error as exc:
        raise passkeys.PasskeyError("wallet_signed_out") from exc
    passkeys.account_bind(user=credential.user, account=address)
    credential.refresh_from_db()
    return JsonResponse(_credential_body(credential))


@require_http_methods(["GET", "PUT"])
@_api
def keyblob(request: HttpRequest) -> HttpResponse:
    """Tier A's encrypted key for the passkey she signed in with (GET), or its upload (PUT)."""
    credential = _signed_in(request)
    if request.method == "PUT":
        blob = passkeys.keyblob_store(credential=credential, body=_body(request))
    else:
        blob = passkeys.keyblob_get(credential=credential)
    return JsonResponse({"ciphertext": blob.ciphertext, "iv": blob.iv, "salt": blob.salt})
