"""Amounts become integer stroops (exact on every backend: SQLite stored them as REAL)."""

from django.db import migrations, models

import sozu.fields
from sozu.money_migrations import money_to_stroops


class Migration(migrations.Migration):
    dependencies = [
        ("disbursements", "0005_batch_approvals"),
    ]

    operations = [
        *money_to_stroops(
            "disbursements",
            "batch",
            "total_amount",
            old=models.DecimalField(decimal_places=7, max_digits=20, default=0),
            new=sozu.fields.MoneyField(default=0),
        ),
        *money_to_stroops(
            "disbursements",
            "payout",
            "amount",
            old=models.DecimalField(decimal_places=7, max_digits=20),
            new=sozu.fields.MoneyField(),
        ),
    ]
