"""What staff read for an audit action and object type: Spanish first, the code kept for filters.

The log stores stable codes (`batch.approved`); the pages show a sentence fragment in the
person's language. A code missing here is shown as is, so a new action is never hidden.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTION_LABELS: dict[str, Promise] = {
    "apikey.created": _("API key created"),
    "apikey.revoked": _("API key revoked"),
    "batch.approvals_voided": _("Batch approvals voided"),
    "batch.approved": _("Batch approved"),
    "batch.cancelled": _("Batch cancelled"),
    "batch.created": _("Batch created"),
    "batch.executed": _("Batch executed"),
    "batch.finished": _("Batch finished"),
    "batch.lines_cancelled": _("Batch lines cancelled"),
    "batch.paused": _("Batch paused"),
    "batch.resumed": _("Batch resumed"),
    "batch.retried": _("Failed lines retried"),
    "batch.scheduled": _("Batch scheduled"),
    "batch.submitted": _("Batch sent for approval"),
    "beneficiary.approved": _("Beneficiary approved"),
    "beneficiary.attachment_added": _("Attachment added"),
    "beneficiary.attachment_removed": _("Attachment removed"),
    "beneficiary.created": _("Beneficiary application entered"),
    "beneficiary.deactivated": _("Beneficiary deactivated"),
    "beneficiary.reactivated": _("Beneficiary reactivated"),
    "beneficiary.readiness_changed": _("Ready to receive: updated"),
    "beneficiary.rejected": _("Beneficiary rejected"),
    "beneficiary.reopened": _("Application reopened"),
    "beneficiary.updated": _("Beneficiary details changed"),
    "channels.created": _("Channel accounts created"),
    "channels.recovered": _("Channel accounts recovered"),
    "dashboard.beneficiary_payout": _("Single payout from the dashboard"),
    "group.created": _("Solidarity group created"),
    "group.deactivated": _("Solidarity group deactivated"),
    "group.granted": _("Solidarity group loans granted"),
    "loan.approved": _("Loan approved"),
    "loan.cancelled": _("Loan voided"),
    "loan.disbursed": _("Loan disbursed"),
    "loan.disbursing": _("Loan disbursement started"),
    "loan.follow_up": _("Arrears follow-up noted"),
    "loan.paid_off": _("Loan paid off"),
    "loan.payout_cancelled": _("Loan disbursement cancelled"),
    "loan.prepaid": _("Loan prepayment"),
    "loan.prepared": _("Loan prepared"),
    "loan.reopened": _("Loan reopened"),
    "loan.returned": _("Loan returned for changes"),
    "loan.submitted": _("Loan sent for approval"),
    "loan.write_off_requested": _("Write-off requested"),
    "loan.write_off_withdrawn": _("Write-off request withdrawn"),
    "loan.written_off": _("Loan written off"),
    "loan_product.created": _("Loan product created"),
    "loan_product.deactivated": _("Loan product deactivated"),
    "member.added": _("Team member added"),
    "member.removed": _("Team member removed"),
    "member.role_changed": _("Team member's role changed"),
    "organization.created": _("Organization created"),
    "organization.limits_changed": _("Approvals and limits changed"),
    "organization.ready": _("Organization ready"),
    "payout.cancelled": _("Payout cancelled"),
    "payout.created": _("Payout created"),
    "payout.failed": _("Payout failed"),
    "payout.paid": _("Payout paid"),
    "payouts.failed": _("Payouts failed"),
    "payouts.in_flight": _("Payouts sent to the network"),
    "payouts.paid": _("Payouts paid"),
    "payouts.released": _("Payouts released"),
    "reminders.opt_in": _("Reminders turned on"),
    "reminders.opt_out": _("Reminders turned off"),
    "reminders.policy_set": _("Reminder policy changed"),
    "renewal.rule_set": _("Renewal rule changed"),
    "repayment.recorded": _("Repayment recorded"),
    "repayment.reversed": _("Repayment reversed"),
    "staff.signed_in": _("Signed in"),
    "staff.signed_out": _("Signed out"),
    "transaction.fee_bumped": _("Transaction fee raised"),
    "transaction.included_after_discard": _("Discarded transaction found in a ledger (alarm)"),
    "wallet.account_bound": _("Wallet account linked"),
    "wallet.invitation_created": _("Wallet invitation created"),
    "wallet.invitation_redeemed": _("Wallet invitation used"),
    "wallet.invitation_revoked": _("Wallet invitation revoked"),
    "wallet.keyblob_stored": _("Wallet key backup stored"),
    "wallet.passkey_registered": _("Wallet passkey registered"),
    "wallet.recovered": _("Wallet recovered"),
    "wallet.recovery_confirmed": _("Wallet recovery confirmed"),
    "wallet.recovery_requested": _("Wallet recovery requested"),
    "wallet.tier_device": _("Wallet key kept on the device"),
    "wallet_token.issued": _("Wallet access issued"),
    "webhook_endpoint.created": _("Webhook registered"),
    "webhook_endpoint.disabled": _("Webhook disabled"),
    "webhook_endpoint.enabled": _("Webhook enabled again"),
    "webhook_endpoint.secret_rotated": _("Webhook secret rotated"),
}

OBJECT_LABELS: dict[str, Promise] = {
    "apikey": pgettext_lazy("audit object", "API key"),
    "batch": pgettext_lazy("audit object", "batch"),
    "beneficiary": pgettext_lazy("audit object", "beneficiary"),
    "engine": pgettext_lazy("audit object", "engine"),
    "loan": pgettext_lazy("audit object", "loan"),
    "loan_product": pgettext_lazy("audit object", "loan product"),
    "membership": pgettext_lazy("audit object", "team member"),
    "organization": pgettext_lazy("audit object", "organization"),
    "payment_review": pgettext_lazy("audit object", "payment to review"),
    "payout": pgettext_lazy("audit object", "payout"),
    "reminder_policy": pgettext_lazy("audit object", "reminder policy"),
    "repayment": pgettext_lazy("audit object", "repayment"),
    "solidarity_group": pgettext_lazy("audit object", "solidarity group"),
    "transaction": pgettext_lazy("audit object", "transaction"),
    "user": pgettext_lazy("audit object", "person"),
    "wallet_credential": pgettext_lazy("audit object", "wallet passkey"),
    "wallet_user": pgettext_lazy("audit object", "wallet user"),
    "webhook_endpoint": pgettext_lazy("audit object", "webhook"),
}


def action_label(action: str) -> str:
    """`batch.approved` → "Lote aprobado"; an unknown code as it is."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(object_type: str) -> str:
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type
