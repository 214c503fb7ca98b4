"""The wallet's refusals, registered in the one error table (sozu.errors.MESSAGES)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sozu.errors import MESSAGES, SozuError

WALLET_MESSAGES: dict[str, tuple[Promise, int]] = {
    "wallet_unauthenticated": (_("Sign in to your wallet again."), 401),
    "wallet_transaction_unreadable": (_("The transaction could not be read."), 400),
    "wallet_account_exists": (_("This account already exists on the network."), 409),
    "wallet_recovery_signer_invalid": (
        _("The recovery key is not a valid Stellar public key (G…)."),
        400,
    ),
    "wallet_creation_unknown": (
        _("This is not the account creation Sozu prepared for you: ask for it again."),
        409,
    ),
    "wallet_not_signed": (_("The transaction is not signed by your key."), 400),
    "wallet_source_not_yours": (_("The transaction does not pay from your account."), 403),
    "operation_not_allowed": (
        _("Sozu only sends USDC payments and changes to your own keys (%(operation)s)."),
        400,
    ),
    "insufficient_balance": (_("You do not have enough USDC for this payment."), 400),
    "destination_missing": (_("That account does not exist on the network."), 400),
    "no_trustline": (_("That account cannot receive USDC yet."), 400),
    "memo_required": (_("That account requires a memo: add it and try again."), 400),
    "bad_sequence": (_("Your account changed meanwhile: sign again."), 409),
    "wallet_tx_failed": (_("The network refused the transaction (%(result)s)."), 400),
    "wallet_tx_expired": (_("The transaction expired before it was sent: sign again."), 409),
    "sponsor_busy": (
        _("Many wallets are being created right now: try again in a few minutes."),
        503,
    ),
    "sponsor_unavailable": (
        _("Sozu cannot sponsor new wallets right now (its sponsor account is not funded)."),
        503,
    ),
    "invitation_invalid": (_("This invitation does not exist. Check the link or code."), 404),
    "invitation_expired": (
        _("This invitation has expired: ask your organization for a new one."),
        410,
    ),
    "invitation_revoked": (
        _("This invitation was cancelled: ask your organization for a new one."),
        410,
    ),
    "invitation_used": (_("This invitation was already used."), 409),
    "invitation_not_allowed": (
        _("Invitations can only be sent to an approved or applying beneficiary."),
        400,
    ),
    "sep7_invalid": (_("This is not a Stellar payment request (web+stellar:pay)."), 400),
    "sep7_signature_invalid": (
        _("This payment request was changed or its signature is not valid: do not pay it."),
        400,
    ),
    "sep7_origin_unreachable": (
        _("Could not check who made this payment request (%(domain)s): do not pay it."),
        400,
    ),
    "sep7_other_network": (_("This payment request is for another Stellar network."), 400),
    "wallet_recovery_refused": (
        _("This recovery request is not signed by a recovery key of that account."),
        403,
    ),
    "wallet_recovery_no_phone": (
        _("No organization has a phone number for this wallet: ask your organization for help."),
        400,
    ),
    "wallet_recovery_not_pending": (_("This recovery request is not waiting for that step."), 409),
    "wallet_recovery_code_expired": (_("The code expired: ask for a new one."), 410),
    "wallet_recovery_code_wrong": (
        _("That is not the code we sent (%(left)s tries left)."),
        400,
    ),
}
MESSAGES.update(WALLET_MESSAGES)

__all__ = ["WALLET_MESSAGES", "SozuError"]
