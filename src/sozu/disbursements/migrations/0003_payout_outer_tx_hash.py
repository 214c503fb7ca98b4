"""Payouts keep the hash the network shows for their payment (a fee bump's outer hash)."""

from typing import Any

from django.db import migrations, models


def backfill(apps: Any, schema_editor: Any) -> None:
    """Settled payouts of fee-bumped envelopes were paid by the bump (the only one submitted
    after the network refused the inner fee); the others by their own envelope."""
    Payout = apps.get_model("disbursements", "Payout")
    PaymentTransaction = apps.get_model("disbursements", "PaymentTransaction")
    bumped = PaymentTransaction.objects.exclude(fee_bump_hash="").filter(
        status__in=("succeeded", "failed")
    )
    for inner, outer in bumped.values_list("hash", "fee_bump_hash").iterator():
        Payout.objects.filter(tx_hash=inner).update(outer_tx_hash=outer)
    Payout.objects.exclude(tx_hash="").filter(outer_tx_hash="").update(
        outer_tx_hash=models.F("tx_hash")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disbursements", "0002_fee_bump"),
    ]

    operations = [
        migrations.AddField(
            model_name="payout",
            name="outer_tx_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
