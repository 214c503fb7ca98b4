"""URLs of the /api/v1 JSON API (django-ninja routers of the apps, see sozu.core.api)."""

from django.urls import re_path

from sozu.core.api import not_found_api, v1_urlpatterns

app_name = "disbursements"

urlpatterns = [
    *v1_urlpatterns(),
    # Anything else under the API answers a problem+json 404, never an HTML page.
    re_path(r"^api/v1/.*$", not_found_api, name="not-found"),
]
