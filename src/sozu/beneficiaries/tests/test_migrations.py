"""Beneficiaries made before the application fields get their identity key on migrate."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_legacy_national_ids_get_their_identity_key() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("beneficiaries", "0002_application")])
    apps = executor.loader.project_state([("beneficiaries", "0002_application")]).apps
    Beneficiary = apps.get_model("beneficiaries", "Beneficiary")
    # Only beneficiaries go back in time: the organization is made with today's model.
    org = OrganizationFactory.create()

    def legacy(name: str, national_id: str) -> int:
        return Beneficiary.objects.create(
            organization_id=org.pk, full_name=name, stellar_address=name, national_id=national_id
        ).pk

    dni = legacy("a", "30.111.222")
    same_person = legacy("b", "27-30111222-5")  # her CUIL: the same person, kept as typed
    unreadable = legacy("c", "DNI 12")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from sozu.beneficiaries.models import Beneficiary as Current

    rows = {b.pk: (b.national_id, b.identity_key) for b in Current.objects.all()}
    assert rows[dni] == ("30111222", "dni:30111222")
    assert rows[same_person] == ("27-30111222-5", "")
    assert rows[unreadable] == ("DNI 12", "")
