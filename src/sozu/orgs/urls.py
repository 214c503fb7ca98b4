"""Organization pages of the dashboard."""

from django.urls import path

from sozu.orgs import views

app_name = "orgs"

urlpatterns = [
    path("organizacion/", views.switch, name="switch"),
    path("billetera/", views.wallet, name="wallet"),
    path("configuracion/", views.settings_index, name="settings"),
    path("configuracion/2fa/", views.settings_require_2fa, name="settings-2fa"),
]
