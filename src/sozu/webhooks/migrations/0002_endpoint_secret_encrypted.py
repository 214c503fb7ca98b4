"""Webhook secrets are kept encrypted with the master key instead of in clear."""

from django.db import migrations, models


def encrypt_existing(apps, schema_editor):
    from sozu.orgs.masterkey import master_box

    endpoints = apps.get_model("webhooks", "WebhookEndpoint")
    rows = list(endpoints.objects.all())
    if not rows:
        return
    box = master_box()
    for row in rows:
        row.secret_ciphertext = box.encrypt(row.secret_ciphertext)
        row.save(update_fields=["secret_ciphertext"])


def decrypt_existing(apps, schema_editor):
    # Either key derivation: 0003 (HKDF) may have been reversed to the old one before this.
    from sozu.orgs.migrations._rekey import decrypt_any

    endpoints = apps.get_model("webhooks", "WebhookEndpoint")
    for row in endpoints.objects.all():
        row.secret_ciphertext = decrypt_any(row.secret_ciphertext)
        row.save(update_fields=["secret_ciphertext"])


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="webhookendpoint", old_name="secret", new_name="secret_ciphertext"
        ),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret_ciphertext",
            field=models.TextField(),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
