"""An operator fills in an application: saved normalized, or refused with every problem."""

from __future__ import annotations

import pytest
from django.utils import translation
from tests.factories import BeneficiaryFactory, OrganizationFactory, application, cuil_for

from sozu.audit.models import AuditEvent
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services import beneficiary_apply, beneficiary_create, beneficiary_update
from sozu.errors import SozuError

pytestmark = pytest.mark.django_db


def test_an_application_is_saved_normalized_as_applied_and_audited() -> None:
    org = OrganizationFactory.create()
    data = application(national_id="27-30111222-" + cuil_for("30111222")[-1])

    b = beneficiary_apply(organization_id=org.pk, data=data, actor="user:7")

    b.refresh_from_db()
    assert b.status == Beneficiary.Status.APPLIED
    assert b.national_id == cuil_for("30111222")
    assert b.identity_key == "dni:30111222"
    assert b.phone == "+5493875550101"
    assert (b.locality, b.activity, b.notes) == (
        "Salta",
        "Panadería",
        "Referida por la cooperativa",
    )
    event = AuditEvent.objects.get(organization=org, action="beneficiary.created")
    assert (event.actor, event.object_id) == ("user:7", str(b.pk))


def test_every_problem_of_the_form_is_listed_and_nothing_is_saved() -> None:
    org = OrganizationFactory.create()
    data = application(full_name=" ", national_id="20-12345678-5", phone="011 4321-1234")
    data["stellar_address"] = "GNOPE"

    with pytest.raises(SozuError) as exc, translation.override("es"):
        beneficiary_apply(organization_id=org.pk, data=data, actor="user:7")

    assert [(e["field"], e["code"]) for e in exc.value.errors] == [
        ("full_name", "full_name_missing"),
        ("national_id", "cuil_bad_check_digit"),
        ("phone", "phone_ambiguous"),
        ("stellar_address", "invalid_address"),
    ]
    assert exc.value.errors[0]["message"] == "Falta el nombre completo."
    assert not Beneficiary.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_application_needs_a_dni() -> None:
    org = OrganizationFactory.create()
    with pytest.raises(SozuError) as exc:
        beneficiary_apply(organization_id=org.pk, data=application(national_id=""), actor="u")
    assert exc.value.code == "national_id_missing"


def test_the_same_person_by_dni_or_cuil_is_refused_in_the_same_organization() -> None:
    org = OrganizationFactory.create()
    beneficiary_apply(organization_id=org.pk, data=application(national_id="30111222"), actor="u")

    with pytest.raises(SozuError) as exc, translation.override("es"):
        beneficiary_apply(
            organization_id=org.pk, data=application(national_id=cuil_for("30111222")), actor="u"
        )

    assert exc.value.code == "beneficiary_duplicate_id"
    assert exc.value.message == (
        f"Ya existe una beneficiaria con el DNI/CUIL {cuil_for('30111222')} en esta organización."
    )
    assert Beneficiary.objects.count() == 1


def test_the_same_address_is_refused_in_the_same_organization() -> None:
    org = OrganizationFactory.create()
    first = BeneficiaryFactory.create(organization=org)

    with pytest.raises(SozuError) as exc:
        beneficiary_apply(
            organization_id=org.pk,
            data=application(stellar_address=first.stellar_address),
            actor="u",
        )

    assert exc.value.code == "beneficiary_exists"
    assert Beneficiary.objects.count() == 1


def test_another_organization_may_register_the_same_person() -> None:
    a, b = OrganizationFactory.create(), OrganizationFactory.create()
    data = application(national_id="30111222")
    beneficiary_apply(organization_id=a.pk, data=data, actor="u")
    beneficiary_apply(organization_id=b.pk, data=data, actor="u")
    assert Beneficiary.objects.filter(identity_key="dni:30111222").count() == 2


def test_the_database_refuses_a_duplicate_person_that_skipped_the_check() -> None:
    from django.db import IntegrityError, transaction

    org = OrganizationFactory.create()
    BeneficiaryFactory.create(organization=org, national_id="30111222")
    with pytest.raises(IntegrityError), transaction.atomic():
        BeneficiaryFactory.create(organization=org, national_id="30111222")


def test_legacy_create_keeps_working_and_normalizes_the_phone() -> None:
    org = OrganizationFactory.create()
    b = beneficiary_create(
        organization_id=org.pk,
        full_name="Ana",
        stellar_address=application()["stellar_address"],
        actor="cli",
        phone="+54 9 11 5555-0101",
    )
    assert (b.status, b.phone, b.national_id, b.identity_key) == (
        "approved",
        "+5491155550101",
        "",
        "",
    )


def test_an_edit_checks_the_fields_again_and_resets_readiness_when_the_address_changes() -> None:
    org = OrganizationFactory.create()
    b = BeneficiaryFactory.create(organization=org, ready_to_receive=True, readiness_code="")
    other = BeneficiaryFactory.create(organization=org)
    new_address = application()["stellar_address"]

    with pytest.raises(SozuError) as exc:
        beneficiary_update(
            beneficiary=b, data={"stellar_address": other.stellar_address}, actor="u"
        )
    assert exc.value.code == "beneficiary_exists"

    b = beneficiary_update(
        beneficiary=b, data={"stellar_address": new_address, "locality": "Jujuy"}, actor="u"
    )

    b.refresh_from_db()
    assert (b.stellar_address, b.locality, b.ready_to_receive) == (new_address, "Jujuy", None)
    event = AuditEvent.objects.get(action="beneficiary.updated")
    assert event.data == {"fields": ["locality", "stellar_address"]}
