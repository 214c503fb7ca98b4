"""Who did it from where: the actor and the client's IP and user agent for web actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

USER_AGENT_MAX = 200


def web_actor(request: HttpRequest) -> str:
    """The audit actor of a signed-in staff member: `user:<id>:<email>`."""
    user = request.user
    return f"user:{user.pk}:{getattr(user, 'email', '')}"[:120]


def client_ip(request: HttpRequest) -> str:
    """The peer's address (REMOTE_ADDR). X-Forwarded-For is never trusted here: behind a
    reverse proxy this is the proxy's address (docs/operations.md)."""
    return str(request.META.get("REMOTE_ADDR", ""))


def web_context(request: HttpRequest) -> dict[str, Any]:
    """What the audit event of a web action carries beside its data: IP and user agent."""
    return {
        "ip": client_ip(request),
        "user_agent": str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX],
    }
