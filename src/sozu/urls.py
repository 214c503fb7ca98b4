"""URL configuration."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from sozu.observability.views import metrics

urlpatterns: list[URLPattern | URLResolver] = [
    path("metrics", metrics, name="metrics"),
    path("", include("sozu.disbursements.urls")),
]
if settings.SOZU_ADMIN_PATH:  # SOZU_ADMIN_PATH="" turns the admin off
    urlpatterns.insert(0, path(settings.SOZU_ADMIN_PATH, admin.site.urls))
