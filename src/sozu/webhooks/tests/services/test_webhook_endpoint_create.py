"""An organization registers where Sozu should send its payout and batch events."""

from __future__ import annotations

import logging

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.audit.models import AuditEvent
from sozu.errors import SozuError
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookEndpoint
from sozu.webhooks.services import webhook_endpoint_create, webhook_endpoint_disable
from sozu.webhooks.tests.factories import OrganizationFactory


@pytest.mark.django_db
def test_an_https_endpoint_is_created_and_its_secret_shown_once(
    org: Organization, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    endpoint, secret = webhook_endpoint_create(
        organization=org, url="https://ong.example.org/hooks/sozu", actor="user:1"
    )

    assert secret.startswith("whsec_") and len(secret) > 40
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.url == "https://ong.example.org/hooks/sozu"
    # Kept encrypted (deliveries are signed with it), never in clear.
    assert secret not in endpoint.secret_ciphertext
    assert master_box().decrypt(endpoint.secret_ciphertext) == secret
    assert secret not in str(endpoint) and secret not in repr(endpoint)
    audit = AuditEvent.objects.get(organization=org, action="webhook_endpoint.created")
    assert audit.actor == "user:1" and audit.object_id == str(endpoint.pk)
    assert audit.data == {"url": "https://ong.example.org/hooks/sozu"}
    assert secret not in caplog.text


@pytest.mark.django_db
def test_each_endpoint_gets_its_own_secret(org: Organization) -> None:
    _, first = webhook_endpoint_create(organization=org, url="https://a.example/h", actor="cli")
    _, second = webhook_endpoint_create(organization=org, url="https://b.example/h", actor="cli")

    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8081/hooks", "http://localhost/hooks", "http://[::1]:9000/h"]
)
def test_plain_http_to_this_machine_is_allowed_for_development(org: Organization, url: str) -> None:
    endpoint, _ = webhook_endpoint_create(organization=org, url=url, actor="cli")

    assert endpoint.url == url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://ong.example.org/hooks",  # plain HTTP over the internet
        "http://10.0.0.5/hooks",
        "ftp://ong.example.org/hooks",
        "https://",
        "not a url",
        "https://user:password@ong.example.org/hooks",  # credentials belong in the secret
        "https://ong.example.org/" + "h" * 477,  # 501 characters: longer than the column
        "",
    ],
)
def test_other_urls_are_refused_and_nothing_is_created(org: Organization, url: str) -> None:
    with pytest.raises(SozuError) as refused:
        webhook_endpoint_create(organization=org, url=url, actor="cli")

    assert refused.value.code == "webhook_url_invalid"
    assert refused.value.status == 400
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(action="webhook_endpoint.created").exists()


@pytest.mark.django_db
def test_loopback_http_is_refused_outside_development(
    org: Organization, settings: SettingsWrapper
) -> None:
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    settings.DEBUG = False

    with pytest.raises(SozuError) as refused:
        webhook_endpoint_create(organization=org, url="http://127.0.0.1:8081/h", actor="cli")

    assert refused.value.code == "webhook_url_invalid"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_loopback_http_is_allowed_in_debug(org: Organization, settings: SettingsWrapper) -> None:
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    settings.DEBUG = True

    endpoint, _ = webhook_endpoint_create(
        organization=org, url="http://127.0.0.1:8081/h", actor="cli"
    )

    assert endpoint.pk is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hooks",  # the platform's own private network
        "https://192.168.1.1/hooks",
        "https://172.16.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata service
        "https://[fd00::1]/hooks",
        "https://0.0.0.0/hooks",
    ],
)
def test_https_into_private_networks_is_refused(org: Organization, url: str) -> None:
    with pytest.raises(SozuError) as refused:
        webhook_endpoint_create(organization=org, url=url, actor="api:abc")

    assert refused.value.code == "webhook_url_invalid"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_https_loopback_is_refused_outside_development(
    org: Organization, settings: SettingsWrapper
) -> None:
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    settings.DEBUG = False

    with pytest.raises(SozuError):
        webhook_endpoint_create(organization=org, url="https://127.0.0.1/h", actor="cli")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_an_organization_cannot_register_more_endpoints_than_the_cap(
    org: Organization, settings: SettingsWrapper
) -> None:
    settings.SOZU_WEBHOOK_MAX_ENDPOINTS_PER_ORG = 2
    first, _ = webhook_endpoint_create(organization=org, url="https://a.example/h", actor="cli")
    webhook_endpoint_create(organization=org, url="https://b.example/h", actor="cli")

    with pytest.raises(SozuError) as refused:
        webhook_endpoint_create(organization=org, url="https://c.example/h", actor="cli")

    assert refused.value.code == "webhook_endpoints_limit"
    assert refused.value.status == 409
    assert refused.value.message == (
        "Se alcanzó el máximo de endpoints de webhook activos por organización (2)."
    )
    assert WebhookEndpoint.objects.filter(organization=org).count() == 2
    assert AuditEvent.objects.filter(action="webhook_endpoint.created").count() == 2
    # Disabled endpoints do not count, and other organizations have their own cap.
    webhook_endpoint_disable(endpoint=first, actor="cli")
    webhook_endpoint_create(organization=org, url="https://c.example/h", actor="cli")
    webhook_endpoint_create(
        organization=OrganizationFactory.create(), url="https://d.example/h", actor="cli"
    )


@pytest.mark.django_db
def test_a_url_as_long_as_the_column_is_accepted(org: Organization) -> None:
    url = "https://ong.example.org/" + "h" * 476

    endpoint, _ = webhook_endpoint_create(organization=org, url=url, actor="cli")

    endpoint.refresh_from_db()
    assert len(endpoint.url) == 500 and endpoint.url == url
