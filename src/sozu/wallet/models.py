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


# --- Passkeys (issue 13): the recipient signs in with a passkey; no email, no password ---------


class WalletUser(models.Model):
    """A wallet holder as the passkeys know her: a random handle, nothing that identifies her.

    Not a staff user (no django.contrib.auth row): the wallet session is kept apart from the
    dashboard's sign-in.
    """

    #: WebAuthn's user.id (base64url of 32 random bytes); also the passkey's user name.
    handle = models.CharField(max_length=64, unique=True)
    #: Her Stellar account, once she proved it with SEP-10 (public: a G… address).
    account = models.CharField(max_length=56, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"wallet:{self.handle[:10]}"


class WalletCredential(models.Model):
    """One passkey of a wallet holder, as verified at registration by py_webauthn."""

    class Tier(models.TextChoices):
        PENDING = "", _("Not decided yet")
        #: A 32-byte PRF result and a backup-eligible (synced) passkey: the key blob is stored.
        A = "A", _("Synced passkey with PRF")
        #: Otherwise: the secret stays on her device; recovery goes through recovery signers.
        B = "B", _("Key kept on the device")

    user = models.ForeignKey(WalletUser, on_delete=models.CASCADE, related_name="credentials")
    #: base64url of the raw credential id.
    credential_id = models.CharField(max_length=1400, unique=True)
    #: The COSE public key.
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    #: Flags of the authenticator data: BE (may be synced) and BS (is synced now).
    backup_eligible = models.BooleanField(default=False)
    backup_state = models.BooleanField(default=False)
    prf_tier = models.CharField(max_length=1, choices=Tier.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}:{self.credential_id[:12]}"


class WalletKeyBlob(models.Model):
    """Tier A: her Stellar secret encrypted on her phone (AES-GCM under HKDF of the PRF output).

    Only the ciphertext, the IV and the HKDF salt are stored: the server never sees the secret,
    the PRF output or the wrapping key, so it cannot decrypt this.
    """

    credential = models.OneToOneField(
        WalletCredential, on_delete=models.CASCADE, related_name="keyblob"
    )
    ciphertext = models.TextField()  # base64url
    iv = models.CharField(max_length=32)  # base64url of 12 bytes
    salt = models.CharField(max_length=64)  # base64url of 32 bytes
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"keyblob:{self.credential_id}"


class WebAuthnChallenge(models.Model):
    """A WebAuthn challenge handed to a browser: answered once, before it expires."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("Registration")
        LOGIN = "login", _("Sign-in")

    challenge = models.CharField(max_length=128, unique=True)  # base64url
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    #: Registration: the handle the new passkey is made for (the user row is made at finish).
    user_handle = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose}:{self.challenge[:12]}"


class SponsorChannel(models.Model):
    """A source account of sponsored creations: its own sequence number, so that sign-ups built
    at the same time never share one (the sponsor's single sequence made all but one of them
    fail with tx_bad_seq).

    Its key is derived from the sponsor's secret and its index (`accounts.channel_keypair`): no
    secret is stored. A build leases one channel until the creation is settled, or until the
    creation's time bound has passed (then it can never be included). The sponsor opens the
    account on the network the first time the channel is used, and pays every creation's fee
    through a fee bump: the channel never spends its XLM.
    """

    index = models.PositiveSmallIntegerField(unique=True)
    public_key = models.CharField(max_length=56, unique=True)
    #: Leased by a creation until then (null: free).
    leased_until = models.DateTimeField(null=True, blank=True)
    #: The leasing creation's inner transaction hash (a token while it is being built).
    lease = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]

    def __str__(self) -> str:
        return f"channel {self.index} {self.public_key}"


class WalletTransaction(models.Model):
    """A transaction a wallet signed and Sozu submits (co-signed as sponsor, or fee-bumped).

    The envelope is stored before the first submission and only ever resubmitted unchanged:
    an unknown outcome is settled by looking the hash up, never by building again.
    """

    class Kind(models.TextChoices):
        CREATION = "creation", _("Sponsored account creation")
        PAYMENT = "payment", _("Payment (fee bump)")
        SIGNERS = "signers", _("Her signers changed (a new recovery code, fee bump)")

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
    #: When `sozu wallet prune` found it past `expires_at` unused (its state is "expired" from
    #: `expires_at` on; this mark, with its audit event, records that nobody opened it).
    expired_at = models.DateTimeField(null=True, blank=True)

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
