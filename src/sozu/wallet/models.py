"""The wallet's server side: service keys, answered SEP-10 challenges, exchange-rate quotes.

Nothing here holds a recipient's secret: her keys never leave her device.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKey(models.Model):
    """A key Sozu itself signs with (SEP-10 challenges, sponsoring, recovery), encrypted at rest.

    One per role for the whole deployment; made on first use unless the environment provides it.
    """

    class Role(models.TextChoices):
        SEP10 = "sep10", _("SEP-10 signing key")
        SPONSOR = "sponsor", _("Account sponsor")
        RECOVERY = "recovery", _("Recovery signer")

    role = models.CharField(max_length=16, choices=Role.choices, unique=True)
    public_key = models.CharField(max_length=56, unique=True)
    ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.role}:{self.public_key}"


class Sep10Challenge(models.Model):
    """A SEP-10 challenge that was answered: its hash, so the same answer never works twice."""

    tx_hash = models.CharField(max_length=64, unique=True)
    account = models.CharField(max_length=69)
    used_at = models.DateTimeField()
    #: After this the challenge's own time bounds refuse it anyway: the row can be pruned.
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.account}:{self.tx_hash[:12]}"


class RateQuote(models.Model):
    """A USDC→ARS quote (pesos paid for one USDC: the bid, "dólar cripto compra") as fetched.

    Shown next to a balance, never used to compute a payment.
    """

    source = models.CharField(max_length=60)
    #: Pesos per USDC. A rate, not an amount of money: 7 decimals are plenty.
    rate = models.DecimalField(max_digits=18, decimal_places=7)
    #: When the provider says the price was observed.
    quoted_at = models.DateTimeField()
    fetched_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-fetched_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive")]

    def __str__(self) -> str:
        return f"{self.source} {self.rate} @ {self.quoted_at:%Y-%m-%d %H:%M}"


class WalletTransaction(models.Model):
    """A transaction a wallet signed and Sozu submits (co-signed as sponsor, or fee-bumped).

    The envelope is stored before the first submission and only ever resubmitted unchanged:
    an unknown outcome is settled by looking the hash up, never by building again.
    """

    class Kind(models.TextChoices):
        CREATION = "creation", _("Sponsored account creation")
        PAYMENT = "payment", _("Payment (fee bump)")

    class Status(models.TextChoices):
        BUILT = "built", _("Built, waiting for her signature")
        SUBMITTED = "submitted", _("Submitted")
        SUCCESS = "success", _("Succeeded")
        FAILED = "failed", _("Failed")

    account = models.CharField(max_length=56, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILT)
    #: The hash of the transaction she signs (the inner one under a fee bump).
    inner_hash = models.CharField(max_length=64, unique=True)
    #: The envelope as submitted (fee bump, or creation co-signed by the sponsor).
    envelope_xdr = models.TextField(blank=True)
    #: The hash the network reports for the envelope (the fee bump's, or the inner's).
    outer_hash = models.CharField(max_length=64, blank=True)
    result_code = models.CharField(max_length=120, blank=True)
    ledger = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.inner_hash[:12]}:{self.status}"


class Invitation(models.Model):
    """A one-time link (or code) that binds a wallet's address to a beneficiary of an NGO.

    Only the code's SHA-256 is kept; the code is shown once, to be shared by WhatsApp or SMS.
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="wallet_invitations"
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.CASCADE, related_name="wallet_invitations"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    #: The last characters of the code, so staff can tell invitations apart.
    hint = models.CharField(max_length=8)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=120, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_account = models.CharField(max_length=56, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation …{self.hint} → beneficiary {self.beneficiary_id}"

    def state(self, now: object) -> str:
        """open, redeemed, revoked or expired."""
        if self.redeemed_at is not None:
            return "redeemed"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:  # type: ignore[operator]
            return "expired"
        return "open"


class RecoveryRequest(models.Model):
    """She lost her phone: a new device key is added by her two recovery signers.

    She proves who she is with a code sent to the phone on her beneficiary record and NGO staff
    confirm it in the dashboard; only then does Sozu's recovery signer co-sign, together with
    her recovery code's key (10 + 10 reach the threshold 20). Sozu alone never can.
    """

    class Status(models.TextChoices):
        PENDING_OTP = "pending_otp", _("Waiting for the code sent to her phone")
        PENDING_STAFF = "pending_staff", _("Waiting for the organization's confirmation")
        READY = "ready", _("Confirmed: waiting for her signature")
        DONE = "done", _("Recovered")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.CharField(max_length=56, db_index=True)
    new_device_key = models.CharField(max_length=56)
    recovery_code_key = models.CharField(max_length=56)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="wallet_recoveries"
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.CASCADE, related_name="wallet_recoveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING_OTP)
    otp_hash = models.CharField(max_length=64)
    otp_expires_at = models.DateTimeField()
    otp_attempts = models.PositiveSmallIntegerField(default=0)
    otp_verified_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.CharField(max_length=120, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    inner_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"recovery {self.account[:8]}… {self.status}"
