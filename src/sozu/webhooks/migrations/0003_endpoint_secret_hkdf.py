"""Webhook signing secrets: re-encrypted with the HKDF-derived key."""

from django.db import migrations


def to_hkdf(apps, schema_editor):
    from sozu.orgs.migrations._rekey import reencrypt

    reencrypt(apps.get_model("webhooks", "WebhookEndpoint"), "secret_ciphertext", to_hkdf=True)


def to_legacy(apps, schema_editor):
    from sozu.orgs.migrations._rekey import reencrypt

    reencrypt(apps.get_model("webhooks", "WebhookEndpoint"), "secret_ciphertext", to_hkdf=False)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_endpoint_secret_encrypted"),
    ]

    operations = [
        migrations.RunPython(to_hkdf, to_legacy),
    ]
