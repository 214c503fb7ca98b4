"""`request.organization` and `request.membership`: the organization a staff member works in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sozu.orgs.models import Membership
from sozu.orgs.permissions import SESSION_ORG_KEY


def membership_for(request: HttpRequest) -> Membership | None:
    """The member's chosen organization; the only one when they belong to exactly one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("organization").filter(user=user)
    chosen = request.session.get(SESSION_ORG_KEY)
    if chosen is not None:
        found = memberships.filter(organization_id=chosen).first()
        if found is not None:
            return found
        request.session.pop(SESSION_ORG_KEY, None)  # removed from it meanwhile
    first_two = list(memberships[:2])
    if len(first_two) == 1:
        request.session[SESSION_ORG_KEY] = first_two[0].organization_id
        return first_two[0]
    return None


class CurrentOrganizationMiddleware:
    """Sets `request.membership` and `request.organization` (None when none is chosen)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = membership_for(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.organization = (  # type: ignore[attr-defined]
            membership.organization if membership is not None else None
        )
        return self.get_response(request)
