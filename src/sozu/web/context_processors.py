"""What every dashboard page's template can use: navigation, current organization, role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from sozu.orgs.permissions import PERMISSIONS, Action
from sozu.web.nav import nav_links


def dashboard(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    role = membership.role if membership is not None else None
    return {
        "nav_links": nav_links,  # callable: evaluated only by templates that show the menu
        "current_org": getattr(request, "organization", None),
        "current_membership": membership,
        # {% if perms_org.approve_batch %}: the same table the views enforce.
        "perms_org": {a.value: role in PERMISSIONS[a] for a in Action} if role else {},
    }
