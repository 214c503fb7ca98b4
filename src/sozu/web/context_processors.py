"""What every dashboard page's template can use: navigation, current organization, role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from sozu.credit.nav import credit_tabs
from sozu.orgs.models import Membership
from sozu.orgs.permissions import PERMISSIONS, Action, has_second_factor
from sozu.web.nav import nav_links


def _other_memberships(request: HttpRequest) -> Callable[[], list[Membership]]:
    def load() -> list[Membership]:
        current = getattr(request, "organization", None)
        return list(
            Membership.objects.select_related("organization")
            .filter(user_id=request.user.pk or 0)
            .exclude(organization_id=getattr(current, "pk", 0))
            .order_by("organization__name")[:20]
        )

    return load


def dashboard(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    return {
        "nav_links": nav_links,  # callable: evaluated only by templates that show the menu
        "credit_tabs": credit_tabs,  # callable: the credit section's tabs (credit/_tabs.html)
        "current_org": getattr(request, "organization", None),
        "current_membership": membership,
        # callable: the switcher's other organizations, read only by pages that show it
        "other_memberships": _other_memberships(request),
        # callable: whether the person has TOTP or a passkey (the 403 page offers to set one up)
        "has_second_factor": lambda: (
            request.user.is_authenticated and has_second_factor(request.user)
        ),
        # {% if perms_org.approve_batch %}: the same table the views enforce.
        "perms_org": {a.value: role in PERMISSIONS[a] for a in Action} if role else {},
    }
