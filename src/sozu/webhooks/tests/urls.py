"""The site's URLs plus the webhook routes not wired into `sozu.disbursements.urls` yet."""

from sozu.urls import urlpatterns as site_urlpatterns
from sozu.webhooks.api import pending_urlpatterns

urlpatterns = [*pending_urlpatterns, *site_urlpatterns]
