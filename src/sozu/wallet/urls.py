"""The wallet's protocol endpoints (issue 13)."""

from django.urls import path

from sozu.wallet import views, views_staff, web
from sozu.wallet.api import wallet_api_urlpatterns

app_name = "wallet"

urlpatterns = [
    path(".well-known/stellar.toml", views.stellar_toml, name="stellar_toml"),
    path("auth", views.auth, name="sep10_auth"),
    *wallet_api_urlpatterns(),
    # the dashboard: invitations from a beneficiary's page
    path(
        "beneficiarias/<int:beneficiary_id>/invitar-billetera/",
        views_staff.invite,
        name="invite",
    ),
    path(
        "beneficiarias/invitaciones/<int:invitation_id>/cancelar/",
        views_staff.revoke,
        name="invitation-revoke",
    ),
    path(
        "beneficiarias/recuperaciones/<int:recovery_id>/confirmar/",
        views_staff.recovery_confirm_view,
        name="recovery-confirm",
    ),
    # --- the wallet in the browser: passkeys and the PWA's pages ---
    path("wallet/api/passkeys/register/begin", web.register_begin, name="passkey_register_begin"),
    path(
        "wallet/api/passkeys/register/finish", web.register_finish, name="passkey_register_finish"
    ),
    path("wallet/api/passkeys/login/begin", web.login_begin, name="passkey_login_begin"),
    path("wallet/api/passkeys/login/finish", web.login_finish, name="passkey_login_finish"),
    path("wallet/api/passkeys/logout", web.logout, name="passkey_logout"),
    path("wallet/api/passkeys/me", web.me, name="passkey_me"),
    path("wallet/api/passkeys/tier-device", web.tier_device, name="passkey_tier_device"),
    path("wallet/api/passkeys/account", web.account, name="passkey_account"),
    path("wallet/api/keyblob", web.keyblob, name="keyblob"),
    path("wallet/manifest.webmanifest", web.manifest, name="manifest"),
    path("wallet/sw.js", web.service_worker, name="service_worker"),
    path("wallet/jsi18n/<str:lang>/", web.javascript_catalog, name="jsi18n"),
    path("wallet/", web.page, {"name": "saldo"}, name="saldo"),
    path("wallet/entrar/", web.page, {"name": "entrar"}, name="entrar"),
    path("wallet/movimientos/", web.page, {"name": "movimientos"}, name="movimientos"),
    path("wallet/recibir/", web.page, {"name": "recibir"}, name="recibir"),
    path("wallet/pagar/", web.page, {"name": "pagar"}, name="pagar"),
    path("wallet/credito/", web.page, {"name": "credito"}, name="credito"),
    path("wallet/recuperar/", web.page, {"name": "recuperar"}, name="recuperar"),
    path("wallet/codigo/", web.page, {"name": "codigo"}, name="codigo"),
]
