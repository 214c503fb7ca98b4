"""A webhook URL cannot make Sozu call into private networks, whatever its DNS answers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from sozu.errors import SozuError
from sozu.orgs.models import Organization
from sozu.webhooks import transport
from sozu.webhooks.models import WebhookDelivery, WebhookEndpoint
from sozu.webhooks.services import (
    webhook_deliver_due,
    webhook_endpoint_create,
    webhook_event_emit,
)
from sozu.webhooks.tests.network import FakeNetwork, tls_certificate
from sozu.webhooks.tests.receiver import Receiver

HOST = "hooks.ong.example"
PUBLIC = "93.184.215.14"  # a globally routable address; the fake network routes it locally

#: Addresses that are not globally routable (or reach other networks through a translator).
NOT_PUBLIC = [
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT (RFC 6598)
    "169.254.169.254",  # cloud metadata service
    "0.0.0.0",
    "192.0.0.8",  # IETF protocol assignments
    "198.18.0.1",  # benchmarking
    "240.0.0.1",  # reserved
    "224.0.0.1",  # multicast
    "255.255.255.255",
    "fd00::1",  # unique local
    "fe80::1",  # link-local
    "fec0::1",  # site-local (deprecated; Python 3.11 calls it global)
    "::",
    "ff0e::1",  # global-scope multicast
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "64:ff9b::5db8:d70e",  # NAT64 of a public address: still through our translator
    "64:ff9b:1::1",  # local-use NAT64
    "::ffff:10.0.0.5",  # IPv4-mapped private address
    "::ffff:169.254.169.254",
    "2002:a00:5::1",  # 6to4 of 10.0.0.5
    "2001::1",  # Teredo
    "2001:db8::1",  # documentation
    "::10.0.0.5",  # IPv4-compatible (deprecated)
]
LOOPBACK = ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """An HTTPS receiver for HOST whose certificate the transport trusts."""
    cert, key = tls_certificate(tmp_path, HOST)
    monkeypatch.setattr(transport, "CA_BUNDLE", cert)
    r = Receiver(tls=(cert, key)).start()
    yield r
    r.stop()


def _endpoint_on_public_address(org: Organization, net: FakeNetwork) -> WebhookEndpoint:
    net.resolve(HOST, [PUBLIC])
    endpoint, _ = webhook_endpoint_create(organization=org, url=f"https://{HOST}/h", actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    return endpoint


def _literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.mark.django_db
def test_the_delivery_connects_to_the_address_that_was_checked(
    org: Organization,
    fake_network: FakeNetwork,
    tls_receiver: Receiver,
    settings: SettingsWrapper,
) -> None:
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False  # as in production
    settings.DEBUG = False
    fake_network.routes[(PUBLIC, 443)] = ("127.0.0.1", tls_receiver.port)
    _endpoint_on_public_address(org, fake_network)
    # DNS rebinding: the first lookup answers a public address, every later one loopback.
    fake_network.resolve(HOST, [PUBLIC], ["127.0.0.1"])
    fake_network.lookups.clear()

    assert webhook_deliver_due() == 1

    assert fake_network.lookups == [HOST]  # resolved once, for the check
    assert fake_network.connections == [(PUBLIC, 443)]  # and connected to what was checked
    [request] = tls_receiver.requests
    assert request.headers["Host"] == HOST
    assert tls_receiver.server_names == [HOST]  # TLS for the name, not the address
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("delivered", 200)

    # The next delivery's single lookup gets the loopback answer: refused, nothing connected.
    webhook_event_emit(organization_id=org.pk, event_type="batch.failed", payload={})
    assert webhook_deliver_due() == 1
    assert fake_network.connections == [(PUBLIC, 443)]
    assert len(tls_receiver.requests) == 1
    refused = WebhookDelivery.objects.get(event_type="batch.failed")
    assert refused.last_error == f"not sent: {HOST} (127.0.0.1) is not a public address"


@pytest.mark.django_db
def test_a_certificate_for_another_name_is_not_trusted(
    org: Organization, fake_network: FakeNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tls_certificate(tmp_path, "other.example")
    monkeypatch.setattr(transport, "CA_BUNDLE", cert)
    impostor = Receiver(tls=(cert, key)).start()
    try:
        fake_network.routes[(PUBLIC, 443)] = ("127.0.0.1", impostor.port)
        _endpoint_on_public_address(org, fake_network)

        webhook_deliver_due()
    finally:
        impostor.stop()

    assert impostor.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error


@pytest.mark.django_db
@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_every_non_public_address_is_refused(
    org: Organization, fake_network: FakeNetwork, address: str
) -> None:
    with pytest.raises(SozuError) as refused:
        webhook_endpoint_create(organization=org, url=f"https://{_literal(address)}/h", actor="cli")
    assert refused.value.code == "webhook_url_invalid"

    _endpoint_on_public_address(org, fake_network)
    fake_network.resolve(HOST, [address])  # the name now points inside

    assert webhook_deliver_due() == 1

    assert fake_network.connections == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    shown = ipaddress.ip_address(address)  # the canonical spelling
    assert delivery.last_error == f"not sent: {HOST} ({shown}) is not a public address"
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("address", LOOPBACK)
def test_loopback_is_refused_outside_development(
    org: Organization, fake_network: FakeNetwork, settings: SettingsWrapper, address: str
) -> None:
    _endpoint_on_public_address(org, fake_network)
    settings.SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = False
    settings.DEBUG = False
    fake_network.resolve(HOST, [address])

    webhook_deliver_due()

    assert fake_network.connections == []
    assert WebhookDelivery.objects.get().last_error.endswith("is not a public address")
    with pytest.raises(SozuError):
        webhook_endpoint_create(organization=org, url=f"https://{_literal(address)}/h", actor="cli")


@pytest.mark.django_db
def test_a_name_with_one_private_address_among_public_ones_is_refused(
    org: Organization, fake_network: FakeNetwork
) -> None:
    fake_network.resolve(HOST, [PUBLIC, "10.0.0.5"])
    with pytest.raises(SozuError):
        webhook_endpoint_create(organization=org, url=f"https://{HOST}/h", actor="cli")

    _endpoint_on_public_address(org, fake_network)
    fake_network.resolve(HOST, [PUBLIC, "10.0.0.5"])
    webhook_deliver_due()

    assert fake_network.connections == []
    assert WebhookDelivery.objects.get().last_error == (
        f"not sent: {HOST} (10.0.0.5) is not a public address"
    )


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_is_not_sent_and_retried(
    org: Organization, fake_network: FakeNetwork
) -> None:
    fake_network.resolve("gone.ong.example", [])
    # Accepted while its DNS is not set up yet: the deliveries wait for it.
    webhook_endpoint_create(organization=org, url="https://gone.ong.example/h", actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

    assert webhook_deliver_due() == 1

    assert fake_network.connections == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error == "not sent: gone.ong.example does not resolve"


@pytest.mark.django_db
def test_redirects_are_not_followed(org: Organization, receiver: Receiver) -> None:
    elsewhere = Receiver().start()
    try:
        receiver.status = 307
        receiver.headers = {"Location": elsewhere.url}
        webhook_endpoint_create(organization=org, url=receiver.url, actor="cli")
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        webhook_deliver_due()
    finally:
        elsewhere.stop()

    assert len(receiver.requests) == 1
    assert elsewhere.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.last_status_code, delivery.last_error) == (307, "HTTP 307")


@pytest.mark.django_db
def test_an_internationalized_name_is_looked_up_and_sent_in_its_ascii_form(
    org: Organization, fake_network: FakeNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ascii_name = "xn--cooperativa-aaja-jub.example"  # cooperativa-añaja.example
    cert, key = tls_certificate(tmp_path, ascii_name)
    monkeypatch.setattr(transport, "CA_BUNDLE", cert)
    fake_network.resolve(ascii_name, [PUBLIC])
    fake_network.resolve("cooperativa-añaja.example", [PUBLIC])
    receiver = Receiver(tls=(cert, key)).start()
    try:
        fake_network.routes[(PUBLIC, 443)] = ("127.0.0.1", receiver.port)
        webhook_endpoint_create(
            organization=org, url="https://cooperativa-añaja.example/h", actor="cli"
        )
        webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})

        webhook_deliver_due()
    finally:
        receiver.stop()

    [request] = receiver.requests
    assert request.headers["Host"] == ascii_name
    assert receiver.server_names == [ascii_name]
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
