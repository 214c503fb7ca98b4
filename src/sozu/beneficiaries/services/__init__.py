"""Beneficiary services: the only code that changes beneficiaries (each module one concept)."""

from sozu.beneficiaries.services.applications import (
    APPLICATION_FIELDS,
    beneficiary_apply,
    beneficiary_approve,
    beneficiary_create,
    beneficiary_deactivate,
    beneficiary_reactivate,
    beneficiary_reject,
    beneficiary_reopen,
    beneficiary_update,
)
from sozu.beneficiaries.services.attachments import (
    MAX_ATTACHMENT_BYTES,
    beneficiary_attachment_add,
)
from sozu.beneficiaries.services.payouts import beneficiary_payout_create
from sozu.beneficiaries.services.readiness import beneficiary_refresh_readiness

__all__ = [
    "APPLICATION_FIELDS",
    "MAX_ATTACHMENT_BYTES",
    "beneficiary_apply",
    "beneficiary_approve",
    "beneficiary_attachment_add",
    "beneficiary_create",
    "beneficiary_deactivate",
    "beneficiary_payout_create",
    "beneficiary_reactivate",
    "beneficiary_refresh_readiness",
    "beneficiary_reject",
    "beneficiary_reopen",
    "beneficiary_update",
]
