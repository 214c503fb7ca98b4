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
    CheckedFile,
    attachment_check,
    beneficiary_attachment_add,
    beneficiary_attachment_remove,
)
from sozu.beneficiaries.services.imports import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    ImportPreview,
    ImportRow,
    beneficiary_import_confirm,
    beneficiary_import_preview,
)
from sozu.beneficiaries.services.payouts import beneficiary_payout_create
from sozu.beneficiaries.services.readiness import (
    beneficiaries_refresh_readiness,
    beneficiary_refresh_readiness,
)

__all__ = [
    "APPLICATION_FIELDS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "CheckedFile",
    "ImportPreview",
    "ImportRow",
    "attachment_check",
    "beneficiaries_refresh_readiness",
    "beneficiary_apply",
    "beneficiary_approve",
    "beneficiary_attachment_add",
    "beneficiary_attachment_remove",
    "beneficiary_create",
    "beneficiary_deactivate",
    "beneficiary_import_confirm",
    "beneficiary_import_preview",
    "beneficiary_payout_create",
    "beneficiary_reactivate",
    "beneficiary_refresh_readiness",
    "beneficiary_reject",
    "beneficiary_reopen",
    "beneficiary_update",
]
