"""Who may do what in an organization: ONE table of role by action, used by every view.

Views declare the action they perform::

    from sozu.orgs.permissions import Action, org_member_required, get_for_org_or_404

    @org_member_required(Action.APPROVE_BATCH)
    def batch_approve(request, batch_id):
        batch = get_for_org_or_404(Batch, request, pk=batch_id)
        ...

`org_member_required` signs the person in if needed, sends them to the organization
switcher when no organization is chosen, refuses (403) a role the table does not allow,
refuses actions that move money to a member without a second factor, asks for a fresh second
factor (step-up, allauth reauthentication) for the actions in `STEP_UP_ACTIONS`, and sends a
member of an organization that requires 2FA to set it up first. Another organization's ids
answer 404: always fetch through `get_for_org_or_404` / `scoped(...)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from sozu.orgs.models import Membership, Organization

Role = Membership.Role
M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponseBase]


class Action(StrEnum):
    """Everything a member can do in the dashboard (and what API keys map to)."""

    VIEW = "view"  # every page of the organization, read-only
    EXPORT = "export"  # CSV exports (audit, batches, payouts)
    MANAGE_BENEFICIARIES = "manage_beneficiaries"  # add, edit, import, deactivate
    REVIEW_BENEFICIARY = "review_beneficiary"  # approve or reject an application
    PREPARE_BATCH = "prepare_batch"  # upload or build a batch, edit it, submit it
    CANCEL_BATCH = "cancel_batch"
    PAUSE_BATCH = "pause_batch"  # stopping money is open to every role that works on it
    APPROVE_BATCH = "approve_batch"
    EXECUTE_BATCH = "execute_batch"  # execute, resume, retry failed lines
    SEND_PAYOUT = "send_payout"  # a single payout to one beneficiary
    MANAGE_MEMBERS = "manage_members"
    MANAGE_SETTINGS = "manage_settings"  # approval policy, limits, 2FA requirement
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_WEBHOOKS = "manage_webhooks"
    # credit (issue 12)
    MANAGE_LOAN_PRODUCTS = "manage_loan_products"  # create and deactivate loan products
    PREPARE_LOAN = "prepare_loan"  # prepare, submit or cancel a loan
    APPROVE_LOAN = "approve_loan"  # approve (creates the payout) or return it
    RECORD_REPAYMENT = "record_repayment"  # manual repayments; apply her credit as prepayment
    REVERSE_REPAYMENT = "reverse_repayment"  # a correction: a reversal entry, never an edit
    REQUEST_WRITE_OFF = "request_write_off"
    WRITE_OFF = "write_off"  # approve a write-off someone else asked for
    MANAGE_GROUPS = "manage_groups"  # solidarity groups: create them, grant their loans
    FOLLOW_UP_LOAN = "follow_up_loan"  # log calls, visits and promises to pay on a late loan
    MANAGE_CREDIT_RULES = "manage_credit_rules"  # reminder policies, opt-outs, renewal rules
    # credit (issue 12): the payments on chain that name no loan (review queue)
    ASSIGN_PAYMENT = "assign_payment"  # to a loan, or mark it as no repayment
    RETURN_PAYMENT = "return_payment"  # send it back (a refund payout)


_ALL = frozenset(Role)

#: THE table: which roles may perform each action. Nothing else grants a permission.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW: _ALL,
    Action.EXPORT: _ALL,
    Action.MANAGE_BENEFICIARIES: frozenset({Role.OPERATOR}),
    Action.REVIEW_BENEFICIARY: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.PREPARE_BATCH: frozenset({Role.OPERATOR}),
    Action.CANCEL_BATCH: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.PAUSE_BATCH: frozenset({Role.OWNER, Role.OPERATOR, Role.APPROVER}),
    Action.APPROVE_BATCH: frozenset({Role.APPROVER}),
    Action.EXECUTE_BATCH: frozenset({Role.APPROVER}),
    Action.SEND_PAYOUT: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.MANAGE_MEMBERS: frozenset({Role.OWNER}),
    Action.MANAGE_SETTINGS: frozenset({Role.OWNER}),
    Action.MANAGE_API_KEYS: frozenset({Role.OWNER}),
    Action.MANAGE_WEBHOOKS: frozenset({Role.OWNER}),
    Action.MANAGE_LOAN_PRODUCTS: frozenset({Role.OWNER}),
    Action.PREPARE_LOAN: frozenset({Role.OPERATOR}),
    Action.APPROVE_LOAN: frozenset({Role.APPROVER}),
    Action.RECORD_REPAYMENT: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.REVERSE_REPAYMENT: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.REQUEST_WRITE_OFF: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.WRITE_OFF: frozenset({Role.APPROVER}),
    Action.MANAGE_GROUPS: frozenset({Role.OPERATOR}),
    Action.FOLLOW_UP_LOAN: frozenset({Role.OPERATOR, Role.APPROVER}),
    Action.MANAGE_CREDIT_RULES: frozenset({Role.OWNER, Role.OPERATOR}),
    Action.ASSIGN_PAYMENT: frozenset({Role.OPERATOR}),
    Action.RETURN_PAYMENT: frozenset({Role.OPERATOR}),
}

#: Actions that move money: a member without a second factor cannot perform them.
SECOND_FACTOR_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.APPROVE_BATCH,
        Action.EXECUTE_BATCH,
        Action.SEND_PAYOUT,
        Action.APPROVE_LOAN,
        Action.WRITE_OFF,
        Action.RETURN_PAYMENT,
    }
)
#: Actions that need a second factor given within SOZU_STEP_UP_SECONDS (step-up).
#: A single payout asks for it only above the organization's threshold: such views call
#: `step_up_response(request)` themselves.
STEP_UP_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.APPROVE_BATCH,
        Action.EXECUTE_BATCH,
        Action.MANAGE_MEMBERS,
        Action.MANAGE_SETTINGS,
        Action.MANAGE_API_KEYS,
        Action.MANAGE_WEBHOOKS,
        Action.APPROVE_LOAN,
        Action.WRITE_OFF,
    }
)

#: Session key of the organization the person works in.
SESSION_ORG_KEY = "sozu_organization_id"


def role_can(role: str, action: Action) -> bool:
    """Whether `role` may perform `action` (the table above, nothing else)."""
    return role in PERMISSIONS[action]


def can(request: HttpRequest, action: Action) -> bool:
    """Whether the signed-in member may perform `action` in the current organization."""
    membership: Membership | None = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, action)


def has_second_factor(user: Any) -> bool:
    """TOTP or a passkey (recovery codes alone are not a second factor)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def second_factor_age(request: HttpRequest) -> float | None:
    """Seconds since this session last gave a second factor (sign-in or step-up), or None."""
    records = get_authentication_records(request, request.user)
    times = [r["at"] for r in records if r.get("method") == "mfa" and "at" in r]
    if not times:
        return None
    return max(0.0, time.time() - max(times))


def has_fresh_second_factor(request: HttpRequest) -> bool:
    age = second_factor_age(request)
    return age is not None and age < settings.SOZU_STEP_UP_SECONDS


def step_up_response(request: HttpRequest) -> HttpResponse | None:
    """None when a second factor was given recently; else the redirect that asks for one.

    A POST is kept by allauth and replayed once the person has confirmed (nothing is lost).
    """
    if has_fresh_second_factor(request):
        return None
    if not has_second_factor(request.user):
        raise PermissionDenied(_("This action needs two-step verification."))
    from allauth.account.internal.flows.reauthentication import suspend_request

    totp = Authenticator.objects.filter(
        user_id=request.user.pk, type=Authenticator.Type.TOTP
    ).exists()
    url = reverse("mfa_reauthenticate" if totp else "mfa_reauthenticate_webauthn")
    return suspend_request(request, url)


def org_member_required(
    action: Action = Action.VIEW, *, roles: Iterable[str] | None = None
) -> Callable[[View], View]:
    """Decorate a view of the current organization: see the module docstring.

    `roles` narrows the table further (rarely needed; the table is the rule).
    """
    extra = frozenset(roles) if roles is not None else None

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                switch = reverse("orgs:switch")
                return HttpResponseRedirect(
                    f"{switch}?{urlencode({'next': request.get_full_path()})}"
                )
            org = membership.organization
            if org.require_2fa and not has_second_factor(request.user):
                messages.warning(
                    request,
                    _(
                        "%(org)s requires two-step verification of every member: "
                        "set it up to continue."
                    )
                    % {"org": org.name},
                )
                return HttpResponseRedirect(reverse("mfa_index"))
            if not role_can(membership.role, action) or (
                extra is not None and membership.role not in extra
            ):
                raise PermissionDenied(_("Your role does not allow this action."))
            if action in SECOND_FACTOR_ACTIONS and not has_second_factor(request.user):
                raise PermissionDenied(
                    _("To approve or execute payments, set up two-step verification first.")
                )
            if action in STEP_UP_ACTIONS:
                response = step_up_response(request)
                if response is not None:
                    return response
            return view(request, *args, **kwargs)

        wrapper.sozu_action = action  # type: ignore[attr-defined]
        return wrapper

    return decorator


def current_organization(request: HttpRequest) -> Organization:
    """The organization the request works in (set by CurrentOrganizationMiddleware)."""
    org: Organization | None = getattr(request, "organization", None)
    if org is None:
        raise Http404
    return org


def scoped(queryset: QuerySet[M], request: HttpRequest, field: str = "organization") -> QuerySet[M]:
    """`queryset` limited to the current organization (`field` names its organization FK)."""
    return queryset.filter(**{field: current_organization(request)})


def get_for_org_or_404(
    model_or_queryset: type[M] | QuerySet[M],
    request: HttpRequest,
    *,
    field: str = "organization",
    **lookup: Any,
) -> M:
    """One row of the current organization; another organization's id answers 404."""
    qs = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    obj = scoped(qs, request, field).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
