"""One application error: a stable code, a translatable message, an HTTP status, details."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sozu.logs import redact

#: code → (message template, HTTP status). Templates use %(name)s placeholders.
MESSAGES: dict[str, tuple[Promise, int]] = {
    # input
    "invalid_address": (_("“%(address)s” is not a valid Stellar address (G… or M…)."), 400),
    "amount_missing": (_("The amount is missing."), 400),
    "amount_invalid": (_("“%(value)s” is not a valid amount."), 400),
    "amount_float": (_("Amounts must be sent as strings, not floating-point numbers."), 400),
    "amount_not_positive": (_("The amount must be greater than zero."), 400),
    "amount_too_precise": (_("The amount %(value)s has more than 7 decimal places."), 400),
    "amount_too_large": (_("The amount %(value)s is too large."), 400),
    "amount_ambiguous_thousands": (
        _(
            "“%(value)s” could be read as thousands: write amounts without a thousands "
            "separator and with “.” only for decimals (1000 or 1000.00 for one thousand)."
        ),
        400,
    ),
    "memo_too_long": (_("The memo is longer than 28 bytes."), 400),
    "memo_not_text": (_("The memo must be text."), 400),
    "memo_not_printable": (
        _("The memo contains control characters (such as NUL or a line break)."),
        400,
    ),
    "beneficiary_id_invalid": (
        _("“%(value)s” is not a beneficiary id (a whole number written with digits 0-9)."),
        400,
    ),
    "csv_nul_byte": (
        _("Line %(line)s of the CSV file contains a NUL character; export it again as CSV text."),
        400,
    ),
    "csv_duplicate_column": (
        _(
            "The CSV file has the column “%(column)s” more than once (upper and lower case "
            "count as the same)."
        ),
        400,
    ),
    "destination_missing": (_("Each line needs a destination address or a beneficiary id."), 400),
    "destination_ambiguous": (
        _("Give either a destination address or a beneficiary id, not both."),
        400,
    ),
    "unknown_beneficiary": (
        _("Beneficiary %(beneficiary_id)s does not exist in this organization."),
        400,
    ),
    "beneficiary_not_approved": (_("Beneficiary %(beneficiary_id)s is not approved."), 400),
    "beneficiary_exists": (_("A beneficiary with address %(address)s already exists."), 409),
    "duplicate_line": (
        _("Line %(line)s repeats line %(first_line)s (same destination, amount and memo)."),
        400,
    ),
    "csv_malformed": (_("The CSV file could not be read: %(reason)s."), 400),
    "csv_missing_column": (_("The CSV file needs the columns %(columns)s."), 400),
    "file_too_large": (_("The file is larger than %(max_bytes)s bytes."), 413),
    "empty_batch": (_("The batch has no lines."), 400),
    "too_many_lines": (_("The batch has %(count)s lines; the maximum is %(max)s."), 400),
    "line_over_max": (_("The amount %(amount)s is over the maximum per payout (%(max)s)."), 400),
    "batch_over_max": (
        _("The batch total %(total)s is over the maximum per batch (%(max)s)."),
        400,
    ),
    "daily_cap_exceeded": (
        _("This would pay %(total)s in 24 hours; the daily cap is %(cap)s."),
        400,
    ),
    "org_underfunded": (
        _("The organization's wallet has %(available)s USDC available; %(needed)s are needed."),
        409,
    ),
    "invalid_lines": (_("%(count)s lines are invalid; nothing was saved."), 400),
    "invalid_json": (_("The request body is not valid JSON."), 400),
    "invalid_field": (_("The field “%(field)s” is missing or invalid."), 400),
    "method_not_allowed": (_("This endpoint does not accept %(method)s."), 405),
    "unsupported_media_type": (
        _("Send JSON, a CSV file (text/csv) or a multipart form with a “file” field."),
        415,
    ),
    # beneficiaries (the application, attachments, CSV import)
    "national_id_missing": (_("The DNI or CUIL is missing."), 400),
    "national_id_invalid": (
        _("“%(value)s” is not a DNI (7 or 8 digits) or a CUIL (11 digits)."),
        400,
    ),
    "cuil_bad_prefix": (
        _("The CUIL “%(value)s” must start with 20, 23, 24, 27, 30, 33 or 34."),
        400,
    ),
    "cuil_bad_check_digit": (_("The check digit of the CUIL “%(value)s” is wrong."), 400),
    "phone_invalid": (
        _("“%(value)s” is not a valid Argentine phone number (for example +54 9 11 1234-5678)."),
        400,
    ),
    "phone_not_argentine": (_("The phone “%(value)s” must be an Argentine number (+54…)."), 400),
    "phone_ambiguous": (
        _(
            "Write the phone “%(value)s” with the country code: +54 9 and the area code for a "
            "mobile, +54 and the area code for a landline."
        ),
        400,
    ),
    "address_missing": (_("The Stellar address is missing."), 400),
    "address_is_secret": (
        _(
            "That is a secret key (S…), not an address: it lets anyone take her money. "
            "Give her public address (G… or M…) and keep the secret key private."
        ),
        400,
    ),
    "full_name_missing": (_("The full name is missing."), 400),
    "field_too_long": (_("The field “%(field)s” is longer than %(max)s characters."), 400),
    "beneficiary_duplicate_id": (
        _("A beneficiary with the DNI/CUIL %(value)s already exists in this organization."),
        409,
    ),
    "beneficiary_invalid_transition": (
        _("A beneficiary that is %(status)s cannot become %(target)s."),
        409,
    ),
    "rejection_reason_missing": (_("Say why the application is rejected."), 400),
    "attachment_empty": (_("The file is empty."), 400),
    "attachment_too_large": (_("The file is larger than %(max_mb)s MB."), 413),
    "attachment_type_not_allowed": (
        _("“%(name)s” is not a PDF, JPEG or PNG file; only those are accepted."),
        400,
    ),
    "attachment_content_mismatch": (
        _("The content of “%(name)s” is not what its name says (%(extension)s)."),
        400,
    ),
    "csv_not_utf8": (_("The CSV file is not UTF-8 text; save it as “CSV UTF-8”."), 400),
    "csv_nul_bytes": (_("The file contains NUL bytes: it is not a CSV text file."), 400),
    "csv_empty": (_("The CSV file is empty."), 400),
    "csv_too_many_rows": (_("The file has %(count)s rows; the maximum is %(max)s."), 400),
    "csv_row_too_long": (
        _("Line %(line)s has more fields than the header (%(columns)s)."),
        400,
    ),
    "duplicate_in_file": (_("Repeats the %(what)s of line %(first_line)s."), 400),
    "import_nothing_to_save": (_("No row of the file can be saved."), 400),
    "import_changed": (
        _(
            "The file or the organization's beneficiaries changed since the preview; "
            "nothing was saved. Review the preview again before saving."
        ),
        409,
    ),
    # maker-checker (batch approvals)
    "batch_already_submitted": (_("This batch was already sent for approval."), 409),
    "batch_not_submitted": (_("This batch has not been sent for approval yet."), 409),
    "batch_approver_is_preparer": (
        _("Whoever prepared a batch cannot approve it; another person must."),
        403,
    ),
    "batch_already_approved_by_you": (_("You already approved this batch."), 409),
    "batch_already_approved": (_("This batch already has every approval it needs."), 409),
    "batch_not_approved": (
        _("This batch has %(approvals)s of the %(required)s approvals it needs."),
        409,
    ),
    # access
    "unauthenticated": (_("A valid API key is required."), 401),
    "org_exists": (_("The organization “%(slug)s” already exists."), 409),
    "org_not_found": (_("The organization “%(slug)s” does not exist."), 404),
    "not_found": (_("Not found."), 404),
    # staff accounts (dashboard)
    "staff_email_invalid": (_("“%(email)s” is not a valid email address."), 400),
    "staff_role_invalid": (_("“%(role)s” is not a role; the roles are: %(roles)s."), 400),
    "staff_password_weak": (_("The password is not accepted: %(detail)s"), 400),
    "member_last_owner": (
        _("The organization must keep at least one owner: add another owner first."),
        409,
    ),
    "member_not_found": (_("That person is not a member of this organization."), 404),
    "idempotency_conflict": (
        _("This Idempotency-Key was already used with a different request."),
        422,
    ),
    "idempotency_key_required": (
        _(
            "Send an Idempotency-Key header (a unique text per payout, up to 255 characters) "
            "so that a retry never pays twice."
        ),
        400,
    ),
    "idempotency_in_progress": (
        _("A request with this Idempotency-Key is still being processed."),
        409,
    ),
    # state
    "invalid_transition": (_("A %(object)s that is %(status)s cannot be %(action)s."), 409),
    "batch_cancelling": (
        _("This batch was cancelled; it cannot be %(action)s (lines in flight are settling)."),
        409,
    ),
    "nothing_to_retry": (_("This batch has no failed lines to retry."), 409),
    "cancelling": (_("Cancelled: waiting for the payments in flight to settle."), 409),
    "no_channels": (_("The organization has no channel accounts to pay from."), 409),
    "wallet_secret_missing": (_("The organization's wallet secret is not available to sign."), 409),
    "internal_error": (
        _("Something went wrong on our side (error %(error_id)s); it was logged."),
        500,
    ),
    "network_unavailable": (_("The Stellar network could not be reached: %(detail)s."), 503),
    "webhook_url_invalid": (_("Webhook URLs must use HTTPS."), 400),
    "webhook_endpoints_limit": (
        _("The maximum of active webhook endpoints per organization (%(max)s) was reached."),
        409,
    ),
    # why a payout failed (shown per line)
    "destination_not_found": (_("The destination account does not exist on the network."), 400),
    "destination_no_trustline": (_("The destination has no USDC trustline."), 400),
    "destination_not_authorized": (_("The destination is not authorized to hold USDC."), 400),
    "op_no_trust": (_("The destination has no USDC trustline."), 400),
    "op_no_destination": (_("The destination account does not exist on the network."), 400),
    "op_not_authorized": (_("The destination is not authorized to hold USDC."), 400),
    "op_line_full": (_("The destination's USDC trustline limit would be exceeded."), 400),
    "op_malformed": (_("The network refused the payment as malformed."), 400),
    "op_no_issuer": (_("The USDC issuer does not exist on this network."), 400),
    "op_low_reserve": (_("The destination does not have the XLM reserve required."), 400),
    "op_underfunded": (_("The organization's wallet does not have enough USDC."), 409),
    "op_src_no_trust": (_("The organization's wallet has no USDC trustline."), 409),
    "op_src_not_authorized": (_("The organization's wallet is not authorized to send USDC."), 409),
    "op_bad_auth": (_("The organization's signers are not enough to authorize the payment."), 409),
    "tx_bad_auth": (_("The transaction signatures were not accepted by the network."), 409),
    "tx_insufficient_balance": (_("A channel account has no XLM left to pay network fees."), 409),
    "tx_no_source_account": (_("A channel account does not exist on the network."), 409),
    "too_many_retries": (
        _("The network kept refusing this payment; it was stopped after %(retries)s tries."),
        409,
    ),
    "cancelled_by_user": (_("Cancelled by %(actor)s."), 409),
}


#: Words that travel as message parameters (codes in the data, translated when shown).
TERMS: dict[str, Promise] = {
    "batch": pgettext_lazy("object of a refused action", "batch"),
    "webhook endpoint": pgettext_lazy("object of a refused action", "webhook endpoint"),
    "validated": pgettext_lazy("state of a batch", "validated"),
    "executing": pgettext_lazy("state of a batch", "executing"),
    "paused": pgettext_lazy("state of a batch", "paused"),
    "completed": pgettext_lazy("state of a batch", "completed"),
    "partially_paid": pgettext_lazy("state of a batch", "partially paid"),
    "failed": pgettext_lazy("state of a batch", "failed"),
    "cancelled": pgettext_lazy("state of a batch", "cancelled"),
    "disabled": pgettext_lazy("state of a webhook endpoint", "disabled"),
    "enabled": pgettext_lazy("state of a webhook endpoint", "enabled"),
    "applied": pgettext_lazy("state of a beneficiary", "applied"),
    "approved": pgettext_lazy("state of a beneficiary", "approved"),
    "rejected": pgettext_lazy("state of a beneficiary", "rejected"),
    "inactive": pgettext_lazy("state of a beneficiary", "inactive"),
    "national_id": pgettext_lazy("what a CSV row repeats", "DNI/CUIL"),
    "stellar_address": pgettext_lazy("what a CSV row repeats", "Stellar address"),
}
#: Refused actions, as the verb of "cannot be …" (Spanish renders them as infinitives).
ACTIONS: dict[str, Promise] = {
    "executed": pgettext_lazy("refused action", "executed"),
    "paused": pgettext_lazy("refused action", "paused"),
    "resumed": pgettext_lazy("refused action", "resumed"),
    "cancelled": pgettext_lazy("refused action", "cancelled"),
    "retried": pgettext_lazy("refused action", "retried"),
    "disabled": pgettext_lazy("refused action", "disabled"),
    "enabled": pgettext_lazy("refused action", "enabled"),
    "submitted": pgettext_lazy("refused action", "submitted for approval"),
    "approved": pgettext_lazy("refused action", "approved"),
    "scheduled": pgettext_lazy("refused action", "scheduled"),
}


class SozuError(Exception):
    """A refusal the user can understand: code is stable, message is translated on display."""

    def __init__(
        self, code: str, *, errors: list[dict[str, Any]] | None = None, **params: Any
    ) -> None:
        self.code = code
        self.params = params
        self.errors = errors or []
        super().__init__(code)

    @property
    def status(self) -> int:
        return MESSAGES.get(self.code, (None, 400))[1]

    @property
    def message(self) -> str:
        return message_for(self.code, self.params)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.params:
            body["params"] = {k: redact(str(v)) for k, v in self.params.items()}
        if self.errors:
            body["errors"] = self.errors
        return body


#: How much of a refused value a message repeats (a 5 MB field is not echoed back).
SHOWN_CHARS = 40


def shown(value: object) -> str:
    """A refused value as it goes into a message: text, cut short."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def message_for(code: str, params: dict[str, Any] | None = None) -> str:
    """The message for `code` in the active language (codes without one fall back to the code)."""
    entry = MESSAGES.get(code)
    if entry is None:
        return code
    text = str(entry[0])  # the lazy proxy translates into the active language
    shown = {}
    for k, v in (params or {}).items():
        table = ACTIONS if k == "action" else TERMS
        shown[k] = str(table[v]) if isinstance(v, str) and v in table else v
    try:
        # Parameters may echo input (a CSV cell, a library's message): never a secret.
        return redact(text % shown)
    except (KeyError, TypeError, ValueError):
        return text
