"""The organization's limits become integer stroops (exact on every backend)."""

from decimal import Decimal

from django.db import migrations, models

import sozu.fields
from sozu.money_migrations import money_to_stroops


def _decimal(default: Decimal, **kwargs: object) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(decimal_places=7, max_digits=20, default=default, **kwargs)  # type: ignore[arg-type]


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0003_organization_require_idempotency_key"),
    ]

    operations = [
        *money_to_stroops(
            "orgs",
            "organization",
            "max_payout_amount",
            old=_decimal(Decimal("1000000")),
            new=sozu.fields.MoneyField(default=Decimal("1000000")),
        ),
        *money_to_stroops(
            "orgs",
            "organization",
            "max_batch_total",
            old=_decimal(Decimal("10000000")),
            new=sozu.fields.MoneyField(default=Decimal("10000000")),
        ),
        *money_to_stroops(
            "orgs",
            "organization",
            "daily_cap",
            old=_decimal(Decimal("20000000"), help_text="Rolling 24-hour cap on payouts"),
            new=sozu.fields.MoneyField(
                default=Decimal("20000000"), help_text="Rolling 24-hour cap on payouts"
            ),
        ),
    ]
