"""Security headers the dashboard adds to every response."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    """`Content-Security-Policy` on every response (pages, API, errors): this origin only.

    No inline scripts: every script is a static file, so `script-src 'self'` holds everywhere.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", settings.SOZU_CONTENT_SECURITY_POLICY
        )
        return response
