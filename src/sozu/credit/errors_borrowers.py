"""The refusals of reminders, solidarity groups and renewal, added to the one error table."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sozu.errors import MESSAGES, SozuError

BORROWER_MESSAGES: dict[str, tuple[Promise, int]] = {
    "reminder_days_invalid": (
        _("Reminder days must be whole numbers from 0 to 90 separated by commas (%(value)s)."),
        400,
    ),
    "group_name_missing": (_("The group needs a name."), 400),
    "group_name_taken": (_("There is already a group called “%(name)s”."), 409),
    "group_size_invalid": (
        _("A solidarity group has between 3 and 10 members, not %(count)s."),
        400,
    ),
    "group_member_not_found": (_("One of the members is not a beneficiary of yours."), 404),
    "group_member_not_approved": (
        _("%(name)s is not approved yet (%(status)s): only approved beneficiaries can join."),
        409,
    ),
    "group_member_in_other_group": (
        _("%(name)s is already in the active group “%(group)s”."),
        409,
    ),
    "group_coordinator_not_member": (_("The coordinator must be one of the members."), 400),
    "group_inactive": (_("The group “%(name)s” is not active."), 409),
    "group_cycle_open": (
        _(
            "Cycle %(cycle)s of “%(name)s” still has loans that are not finished: the next "
            "cycle starts when every loan is paid off or cancelled."
        ),
        409,
    ),
    "group_product_other_org": (_("That loan product is not one of yours."), 404),
    "group_amount_missing": (_("Give an amount for %(name)s."), 400),
    "renewal_rule_invalid": (
        _("Renewal: days late must be 0 to 365 and the increase 0 to 100 %% (%(value)s)."),
        400,
    ),
}

MESSAGES.update(BORROWER_MESSAGES)

__all__ = ["BORROWER_MESSAGES", "SozuError"]
