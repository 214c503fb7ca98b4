"""Give beneficiaries made before 0002 their identity key, so duplicates count them too.

A DNI/CUIL that parses is stored as digits with its key; one that does not parse, or whose
person is already registered in the organization, is left as typed (staff can fix it).
"""

from django.db import migrations


def fill_identity_keys(apps, schema_editor):
    from sozu.beneficiaries.identity import parse_national_id
    from sozu.errors import SozuError

    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    taken = set(
        Beneficiary.objects.exclude(identity_key="").values_list("organization_id", "identity_key")
    )
    for b in Beneficiary.objects.filter(identity_key="").exclude(national_id="").order_by("pk"):
        try:
            parsed = parse_national_id(b.national_id)
        except SozuError:
            continue
        if (b.organization_id, parsed.identity_key) in taken:
            continue
        taken.add((b.organization_id, parsed.identity_key))
        b.national_id, b.identity_key = parsed.digits, parsed.identity_key
        b.save(update_fields=["national_id", "identity_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0002_application"),
    ]

    operations = [
        migrations.RunPython(fill_identity_keys, migrations.RunPython.noop),
    ]
