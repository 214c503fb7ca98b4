"""The wallet's protocol endpoints (issue 13)."""

from django.urls import path

from sozu.wallet import views, views_staff
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
]
