"""URL configuration."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from sozu.observability.views import metrics
from sozu.web import views as web_views

# --- dashboard (issue 11): the admin signs in through the staff sign-in (2FA, rate limits) ---
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns: list[URLPattern | URLResolver] = [
    path("metrics", metrics, name="metrics"),
    path("", include("sozu.disbursements.urls")),
    # --- dashboard (issue 11): staff accounts, the shell, organization and audit pages ---
    path("", web_views.root, name="root"),
    path("cuenta/", include("allauth.urls")),
    path("", include("sozu.web.urls")),
    path("", include("sozu.orgs.urls")),
    path("", include("sozu.audit.urls")),
    # --- credit (issue 12): the simulator page ---
    path("", include("sozu.credit.urls")),
    path("", include("sozu.beneficiaries.urls")),
    path("", include("sozu.disbursements.urls_batches")),
    path("", include("sozu.disbursements.urls_payouts")),
    path("", include("sozu.orgs.settings_urls")),
    # --- the wallet (issue 13): SEP-1 stellar.toml and SEP-10 ---
    path("", include("sozu.wallet.urls")),
]
if settings.SOZU_ADMIN_PATH:  # SOZU_ADMIN_PATH="" turns the admin off
    urlpatterns.insert(0, path(settings.SOZU_ADMIN_PATH, admin.site.urls))
