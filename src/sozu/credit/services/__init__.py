"""The only code that changes credit state: products, loans, repayments."""

from sozu.credit.services.loans import (
    ExchangeRate,
    loan_approve,
    loan_cancel,
    loan_disburse,
    loan_mark_disbursed,
    loan_prepare,
    loan_return,
    loan_submit,
    loan_write_off,
    loan_write_off_approve,
    loan_write_off_request,
    loan_write_off_withdraw,
    loans_sync_disbursements,
)
from sozu.credit.services.prepayments import loan_prepay
from sozu.credit.services.products import loan_product_create, loan_product_deactivate
from sozu.credit.services.repayments import repayment_record, repayment_reverse

__all__ = [
    "ExchangeRate",
    "loan_approve",
    "loan_cancel",
    "loan_disburse",
    "loan_mark_disbursed",
    "loan_prepare",
    "loan_prepay",
    "loan_product_create",
    "loan_product_deactivate",
    "loan_return",
    "loan_submit",
    "loan_write_off",
    "loan_write_off_approve",
    "loan_write_off_request",
    "loan_write_off_withdraw",
    "loans_sync_disbursements",
    "repayment_record",
    "repayment_reverse",
]
