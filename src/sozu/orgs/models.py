"""Organizations (tenants), their wallets' encrypted secrets and their API keys."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sozu.fields import MoneyField


class Organization(models.Model):
    """An NGO or business that pays out of its own Stellar wallet."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    wallet_public_key = models.CharField(max_length=56)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Wallet funded, USDC trustline and channels in place: the organization can pay.
    ready = models.BooleanField(default=False)
    # Limits that protect the organization's money; every one is checked before money moves.
    max_payout_amount = MoneyField(default=Decimal("1000000"))
    max_batch_total = MoneyField(default=Decimal("10000000"))
    max_lines_per_batch = models.PositiveIntegerField(default=20_000)
    daily_cap = MoneyField(
        default=Decimal("20000000"), help_text=_("Rolling 24-hour cap on payouts")
    )
    #: The most this organization pays per operation when the network is congested (stroops).
    max_fee_per_op = models.PositiveIntegerField(default=10_000)
    #: How many packed transactions may be in flight at once (one channel account each).
    max_in_flight = models.PositiveSmallIntegerField(default=12)
    #: Maker-checker: how many people (none of them its preparer) must approve a batch.
    batch_approvals_required = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)]
    )
    #: POST /api/v1/payouts without an Idempotency-Key is refused, so a retry never pays twice.
    require_idempotency_key = models.BooleanField(
        default=True,
        help_text=_("Refuse API payouts sent without an Idempotency-Key header"),
    )
    #: Every member must have a second factor (TOTP or passkey) to use the dashboard.
    require_2fa = models.BooleanField(
        default=False, help_text=_("Every member must use a second factor to sign in")
    )
    #: A single payout above this amount asks for a fresh second factor (step-up); None: never.
    step_up_payout_threshold = MoneyField(
        null=True, blank=True, help_text=_("Single payouts above this amount need step-up")
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class StoredSecret(models.Model):
    """A secret seed encrypted with the master key; never stored or shown in clear."""

    class Role(models.TextChoices):
        WALLET = "wallet", _("Organization wallet")
        CHANNEL = "channel", _("Channel account")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="secrets")
    public_key = models.CharField(max_length=56, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.role}:{self.public_key}"


class ApiKey(models.Model):
    """A per-organization key for the JSON API; only its hash is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.organization.slug}:{self.prefix}"


class Membership(models.Model):
    """A staff person's place in an organization, with one role.

    Roles (what each may do is in `sozu.orgs.permissions.PERMISSIONS`, the one table):
    owner (members, settings, limits, API keys, webhooks), operator (beneficiaries, prepares
    batches and payouts), approver (approves and executes), viewer (read-only, e.g. an auditor).
    """

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        OPERATOR = "operator", _("Operator")
        APPROVER = "approver", _("Approver")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__slug"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.user_id}:{self.role}"
