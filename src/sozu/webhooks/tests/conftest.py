"""Fixtures for webhook tests: loopback HTTP allowed, a master key, a live receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.orgs.models import Organization
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.network import FakeNetwork, install_fake_network
from sozu.webhooks.tests.receiver import Receiver


@pytest.fixture(autouse=True)
def webhook_settings(settings: SettingsWrapper) -> SettingsWrapper:
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    settings.SOZU_MASTER_KEY = "test"
    return settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def org(db: None) -> Organization:
    return OrganizationFactory.create()


@pytest.fixture
def fake_network(monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:
    """DNS answers and public addresses under the test's control (see tests/network.py)."""
    return install_fake_network(monkeypatch)
