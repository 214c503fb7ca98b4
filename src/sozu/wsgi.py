"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sozu.settings")
application = get_wsgi_application()

from sozu.launch.checks import master_key_verify  # noqa: E402 - needs the apps loaded

# A web process with the wrong SOZU_MASTER_KEY refuses to start instead of failing later.
master_key_verify()
