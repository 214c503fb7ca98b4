"""Stored wallet and channel secrets: re-encrypted with the HKDF-derived key."""

from django.db import migrations


def to_hkdf(apps, schema_editor):
    from sozu.orgs.migrations._rekey import reencrypt

    reencrypt(apps.get_model("orgs", "StoredSecret"), "ciphertext", to_hkdf=True)


def to_legacy(apps, schema_editor):
    from sozu.orgs.migrations._rekey import reencrypt

    reencrypt(apps.get_model("orgs", "StoredSecret"), "ciphertext", to_hkdf=False)


class Migration(migrations.Migration):
    # Other branches add orgs 0003 and 0004: the chain is fixed when they are merged.
    dependencies = [
        ("orgs", "0004_money_as_stroops"),
    ]

    operations = [
        migrations.RunPython(to_hkdf, to_legacy),
    ]
