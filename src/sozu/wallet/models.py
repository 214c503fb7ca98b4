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
