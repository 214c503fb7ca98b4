"""`sozu apikey` and `sozu beneficiary`: what an operator does for an organization's setup."""

from __future__ import annotations

import pytest
from stellar_sdk import Keypair

from sozu.beneficiaries.models import Beneficiary
from sozu.errors import message_for
from sozu.orgs.models import ApiKey, Organization
from sozu.orgs.services import apikey_authenticate
from sozu.orgs.tests.cli_helpers import run_sozu

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Organization:
    """An organization as the database knows it (these commands never call the network)."""
    return Organization.objects.create(
        slug="acme", name="Acme", wallet_public_key=Keypair.random().public_key
    )


def test_apikey_create_prints_a_working_key_once(acme: Organization) -> None:
    ran = run_sozu("apikey", "create", "--org", "acme", "--name", "payroll system")

    assert ran.code == 0, ran.err
    token = ran.out.strip()
    key = apikey_authenticate(token)
    assert key is not None and key.organization == acme and key.name == "payroll system"
    assert "shown only this once" in ran.err
    listing = run_sozu("apikey", "list", "--org", "acme")
    assert key.prefix in listing.out and "active" in listing.out
    assert token not in listing.out


def test_apikey_revoke_stops_the_key_at_once(acme: Organization) -> None:
    token = run_sozu("apikey", "create", "--org", "acme").out.strip()
    prefix = ApiKey.objects.get().prefix

    ran = run_sozu("apikey", "revoke", prefix)

    assert ran.code == 0, ran.err
    assert f"API key {prefix} of “acme” revoked." in ran.out
    assert apikey_authenticate(token) is None
    assert "revoked" in run_sozu("apikey", "list", "--org", "acme").out
    again = run_sozu("apikey", "revoke", token)  # the whole key works as well as its prefix
    assert again.code == 0
    assert "already revoked" in again.out


def test_apikey_revoke_of_an_unknown_prefix_fails(acme: Organization) -> None:
    ran = run_sozu("apikey", "revoke", "deadbeef")

    assert ran.code == 1
    assert ran.err.strip() == message_for("not_found")


def test_apikey_create_for_an_unknown_org_creates_nothing(acme: Organization) -> None:
    ran = run_sozu("apikey", "create", "--org", "nope")

    assert ran.code == 1
    assert ran.err.strip() == message_for("org_not_found", {"slug": "nope"})
    assert not ApiKey.objects.exists()


def test_beneficiary_add_saves_an_approved_beneficiary(acme: Organization) -> None:
    address = Keypair.random().public_key

    ran = run_sozu(
        "beneficiary",
        "add",
        "--org",
        "acme",
        "--name",
        "Ana Gómez",
        "--address",
        address,
        "--email",
        "ana@example.org",
        "--phone",
        "+54 9 11 5555-0101",
        "--dni",
        "27123456",
    )

    assert ran.code == 0, ran.err
    b = Beneficiary.objects.get()
    assert (b.full_name, b.stellar_address, b.status) == ("Ana Gómez", address, "approved")
    assert (b.email, b.phone, b.national_id) == (
        "ana@example.org",
        "+5491155550101",  # stored in E.164
        "27123456",
    )
    assert f"Beneficiary {b.pk} “Ana Gómez” added to “acme”" in ran.out
    listed = run_sozu("beneficiary", "list", "--org", "acme").out
    assert address in listed and "+54 9 11 5555-0101" in listed  # shown as people write it


def test_beneficiary_add_refuses_a_bad_address(acme: Organization) -> None:
    ran = run_sozu("beneficiary", "add", "--org", "acme", "--name", "Ana", "--address", "GNOPE")

    assert ran.code == 1
    assert ran.err.strip() == message_for("invalid_address", {"address": "GNOPE"})
    assert not Beneficiary.objects.exists()


def test_beneficiary_add_refuses_an_address_already_registered(acme: Organization) -> None:
    address = Keypair.random().public_key
    run_sozu("beneficiary", "add", "--org", "acme", "--name", "Ana", "--address", address)

    ran = run_sozu("beneficiary", "add", "--org", "acme", "--name", "Otra", "--address", address)

    assert ran.code == 1
    assert ran.err.strip() == message_for("beneficiary_exists", {"address": address})
    assert list(Beneficiary.objects.values_list("full_name", flat=True)) == ["Ana"]
