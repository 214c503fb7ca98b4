"""Sign-ins and sign-outs of staff go into the audit log of each organization they belong to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from sozu.audit.context import web_context
from sozu.audit.services import Entry, audit_record
from sozu.orgs.models import Membership


def _record(request: HttpRequest | None, user: Any, action: str) -> None:
    if request is None or user is None or not getattr(user, "pk", None):
        return
    from allauth.account.authentication import get_authentication_records

    methods = sorted(
        {str(r.get("type") or r.get("method")) for r in get_authentication_records(request, user)}
    )
    data: dict[str, Any] = web_context(request)
    if action == "staff.signed_in":
        data["methods"] = methods
    actor = f"user:{user.pk}:{getattr(user, 'email', '')}"[:120]
    for org_id in Membership.objects.filter(user=user).values_list("organization_id", flat=True):
        audit_record(organization_id=org_id, entry=Entry(actor, action, "user", user.pk, data))


@receiver(user_logged_in)
def staff_signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    _record(request, user, "staff.signed_in")


@receiver(user_logged_out)
def staff_signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    _record(request, user, "staff.signed_out")
