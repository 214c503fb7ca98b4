"""The wallet's protocol endpoints (issue 13)."""

from django.urls import path

from sozu.wallet import views

app_name = "wallet"

urlpatterns = [
    path(".well-known/stellar.toml", views.stellar_toml, name="stellar_toml"),
    path("auth", views.auth, name="sep10_auth"),
]
