"""The refusals of the credit domain, registered in the one error table (sozu.errors.MESSAGES).

Kept here, and merged into the shared table when this module is imported, so that the credit
app owns its messages without every helper editing sozu/errors.py.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sozu.errors import MESSAGES, SozuError

CREDIT_MESSAGES: dict[str, tuple[Promise, int]] = {
    "credit_amount_invalid": (
        _("The amount must be greater than zero and have at most 2 decimals (%(value)s)."),
        400,
    ),
    "credit_cuotas_invalid": (
        _("The number of cuotas must be between 1 and %(max)s (%(value)s)."),
        400,
    ),
    "credit_frequency_invalid": (
        _("“%(value)s” is not a frequency: use weekly, biweekly or monthly."),
        400,
    ),
    "credit_system_invalid": (
        _("“%(value)s” is not an amortization system: use french, german or flat."),
        400,
    ),
    "credit_tna_invalid": (_("The TNA must be between 0 and %(max)s %% (%(value)s)."), 400),
    "credit_iva_invalid": (_("IVA must be 21, 10.5 or 0 (exempt), not %(value)s."), 400),
    "credit_fee_invalid": (_("The %(field)s must be between 0 and 100 %% (%(value)s)."), 400),
    "credit_date_invalid": (_("“%(value)s” is not a date (YYYY-MM-DD)."), 400),
    "credit_amount_out_of_range": (
        _("This product lends between %(min)s and %(max)s; %(value)s is outside that range."),
        400,
    ),
    "credit_cuotas_out_of_range": (
        _("This product allows between %(min)s and %(max)s cuotas, not %(value)s."),
        400,
    ),
    "credit_product_inactive": (_("The loan product “%(name)s” is not offered any more."), 409),
    "credit_product_other_org": (
        _("The product and the beneficiary belong to different organizations."),
        404,
    ),
    "credit_beneficiary_not_approved": (
        _("Only approved beneficiaries can get a loan; %(name)s is %(status)s."),
        409,
    ),
    "loan_invalid_transition": (_("A loan that is %(status)s cannot become %(target)s."), 409),
    "loan_approver_is_preparer": (
        _("Whoever prepared a loan cannot approve it; another person must."),
        403,
    ),
    "loan_exchange_rate_missing": (
        _("This loan is in ARS: give the exchange rate used (its value, source and time)."),
        400,
    ),
    "loan_exchange_rate_invalid": (_("The exchange rate must be a positive number."), 400),
    "repayment_amount_invalid": (
        _("A repayment must be greater than zero with at most 2 decimals (%(value)s)."),
        400,
    ),
    "repayment_reference_missing": (
        _("A manual repayment needs its receipt reference."),
        400,
    ),
    "repayment_already_reversed": (_("This repayment was already reversed."), 409),
    "repayment_loan_not_active": (
        _("Repayments are recorded only on active loans; this one is %(status)s."),
        409,
    ),
    "loan_first_due_invalid": (
        _("The first due date must be after today and at most %(days)s days ahead."),
        400,
    ),
    "loan_write_off_reason_missing": (_("Say why the loan is written off."), 400),
    "loan_write_off_already_requested": (
        _("A write-off of this loan is already waiting for approval."),
        409,
    ),
    "loan_write_off_not_requested": (_("Nobody asked to write this loan off."), 409),
    "loan_write_off_same_person": (
        _("Whoever asked to write a loan off cannot approve it; another person must."),
        403,
    ),
    "loan_prepayment_no_credit": (
        _("She has no credit to apply as a prepayment on this loan."),
        409,
    ),
    "loan_prepayment_covers_all": (
        _(
            "Her credit covers everything she owes: record the payment instead, "
            "it pays off the loan."
        ),
        409,
    ),
    "repayment_in_future": (_("The date it was received cannot be later than today."), 400),
    "repayment_method_invalid": (_("Manual repayments are cash or bank transfer."), 400),
    "repayment_reversal_reason_missing": (_("Say why the repayment is reversed."), 400),
    "review_not_pending": (
        _("This payment was already resolved (%(status)s): nothing was changed."),
        409,
    ),
    "review_not_usdc": (
        _("Only USDC payments can be assigned or returned; this one is %(asset)s."),
        409,
    ),
    "review_already_applied": (
        _("This payment was already recorded as a repayment: nothing was changed."),
        409,
    ),
    "review_note_missing": (_("Say why this payment is not a repayment."), 400),
    "review_loan_not_found": (
        _("No loan of this organization has the reference or number “%(value)s”."),
        404,
    ),
}

MESSAGES.update(CREDIT_MESSAGES)

__all__ = ["CREDIT_MESSAGES", "SozuError"]
