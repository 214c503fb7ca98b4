"""The admin checks permissions before it changes keys or limits, and can move or be off."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from stellar_sdk import Keypair

from sozu.orgs.models import ApiKey, Organization
from sozu.orgs.services import apikey_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Organization:
    return Organization.objects.create(
        slug="ong", name="ONG", wallet_public_key=Keypair.random().public_key, ready=True
    )


@pytest.fixture
def staff_with() -> Callable[..., Client]:
    """A logged-in staff member (not a superuser) holding exactly these permissions."""

    def make(*codenames: str) -> Client:
        user = get_user_model().objects.create_user(
            f"staff-{uuid.uuid4().hex[:6]}", password="pw-123456", is_staff=True
        )
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make


def revoke(client: Client, key: ApiKey) -> None:
    client.post(
        "/admin/orgs/apikey/",
        {"action": "revoke", "_selected_action": [key.pk], "index": 0},
    )


def test_who_may_only_look_at_keys_cannot_revoke_them(
    org: Organization, staff_with: Callable[..., Client]
) -> None:
    key, _ = apikey_create(organization=org, name="integración", actor="test")
    viewer = staff_with("view_apikey")

    listing = viewer.get("/admin/orgs/apikey/")
    revoke(viewer, key)

    assert listing.status_code == 200
    assert b'value="revoke"' not in listing.content
    key.refresh_from_db()
    assert key.revoked_at is None


def test_staff_without_any_key_permission_cannot_even_see_the_keys(
    org: Organization, staff_with: Callable[..., Client]
) -> None:
    key, _ = apikey_create(organization=org, name="integración", actor="test")
    nobody = staff_with()

    assert nobody.get("/admin/orgs/apikey/").status_code == 403
    revoke(nobody, key)
    key.refresh_from_db()
    assert key.revoked_at is None


def test_who_may_change_keys_revokes_them(
    org: Organization, staff_with: Callable[..., Client]
) -> None:
    key, _ = apikey_create(organization=org, name="integración", actor="test")
    keeper = staff_with("view_apikey", "change_apikey")

    assert b'value="revoke"' in keeper.get("/admin/orgs/apikey/").content
    revoke(keeper, key)

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_who_may_only_look_at_organizations_cannot_change_their_limits(
    org: Organization, staff_with: Callable[..., Client]
) -> None:
    viewer = staff_with("view_organization")
    before = org.daily_cap

    response = viewer.post(
        f"/admin/orgs/organization/{org.pk}/change/",
        {
            "max_payout_amount": "1",
            "max_batch_total": "1",
            "max_lines_per_batch": "1",
            "daily_cap": "999999999",
            "max_fee_per_op": "1",
            "max_in_flight": "1",
        },
    )

    assert response.status_code == 403
    org.refresh_from_db()
    assert org.daily_cap == before


def urlconf_with_admin_at(settings: SettingsWrapper, admin_path: str) -> None:
    """The project's URLs as they are built with SOZU_ADMIN_PATH=admin_path."""
    settings.SOZU_ADMIN_PATH = admin_path
    name = f"sozu_urls_{uuid.uuid4().hex}"
    spec = importlib.util.find_spec("sozu.urls")
    assert spec is not None and spec.origin is not None
    module_spec = importlib.util.spec_from_file_location(name, spec.origin)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    settings.ROOT_URLCONF = name


def test_the_admin_can_move_to_another_path(settings: SettingsWrapper) -> None:
    urlconf_with_admin_at(settings, "ops-7f3a/")
    superuser = get_user_model().objects.create_superuser("root", "r@example.org", "pw-123456")
    client = Client()
    client.force_login(superuser)

    assert client.get("/admin/").status_code == 404
    assert client.get("/ops-7f3a/").status_code == 200


def test_the_admin_can_be_turned_off(settings: SettingsWrapper) -> None:
    urlconf_with_admin_at(settings, "")
    superuser = get_user_model().objects.create_superuser("root", "r@example.org", "pw-123456")
    client = Client()
    client.force_login(superuser)

    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 200
