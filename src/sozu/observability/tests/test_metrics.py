"""An operator's Prometheus scrapes /metrics and sees payouts, batches, Horizon and wallets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper
from stellar_sdk import Keypair

from sozu.disbursements.models import Batch, Payout
from sozu.observability.collectors import DATABASE_COUNTS, WALLET_BALANCES
from sozu.observability.tests.helpers import sample, scrape
from sozu.orgs.models import Organization
from sozu.stellar.metrics import observe_horizon
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.tests.factories import OrganizationFactory
from sozu.webhooks.tests.receiver import unreachable_url

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def horizon_unreachable(settings: SettingsWrapper) -> Iterator[None]:
    """DB-only tests: wallet balances cannot be read (and must not break the scrape)."""
    settings.HORIZON_URL = unreachable_url().removesuffix("/hooks")
    settings.USDC_ISSUER = Keypair.random().public_key
    WALLET_BALANCES.reset()
    DATABASE_COUNTS.reset()
    yield
    WALLET_BALANCES.reset()
    DATABASE_COUNTS.reset()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(DATABASE_COUNTS, "_clock", fake)
    monkeypatch.setattr(WALLET_BALANCES, "_clock", fake)
    return fake


def _payout(org: Organization, status: Payout.Status, amount: str) -> Payout:
    return Payout.objects.create(
        organization=org,
        destination=Keypair.random().public_key,
        amount=Decimal(amount),
        status=status,
        created_by="test",
    )


def _batch(org: Organization, status: Batch.Status, seconds: float | None = None) -> Batch:
    return Batch.objects.create(
        organization=org,
        status=status,
        created_by="test",
        started_at=T0 if seconds is not None else None,
        finished_at=T0 + timedelta(seconds=seconds) if seconds is not None else None,
    )


@pytest.mark.django_db
def test_payouts_and_batches_are_counted_by_organization_and_status(client: Client) -> None:
    norte = OrganizationFactory.create(slug="ong-norte")
    sur = OrganizationFactory.create(slug="ong-sur")
    _payout(norte, Payout.Status.PAID, "100.5")
    _payout(norte, Payout.Status.PAID, "49.5")
    _payout(norte, Payout.Status.QUEUED, "10")
    _payout(norte, Payout.Status.FAILED, "7.25")
    _payout(sur, Payout.Status.CANCELLED, "3")
    _batch(norte, Batch.Status.COMPLETED, seconds=45)
    _batch(norte, Batch.Status.PARTIALLY_PAID, seconds=400)
    _batch(norte, Batch.Status.EXECUTING)
    _batch(sur, Batch.Status.VALIDATED)

    samples = scrape(client)

    def payouts(org: str, status: str) -> float | None:
        return sample(samples, "sozu_payouts", organization=org, status=status)

    assert [payouts("ong-norte", s) for s in Payout.Status.values] == [0, 1, 0, 2, 1, 0]
    assert [payouts("ong-sur", s) for s in Payout.Status.values] == [0, 0, 0, 0, 0, 1]
    assert (
        sample(samples, "sozu_payouts_amount_usdc", organization="ong-norte", status="paid") == 150
    )
    assert (
        sample(samples, "sozu_payouts_amount_usdc", organization="ong-norte", status="failed")
        == 7.25
    )
    assert sample(samples, "sozu_payouts_amount_usdc", organization="ong-sur", status="paid") == 0

    def batches(org: str, status: str) -> float | None:
        return sample(samples, "sozu_batches", organization=org, status=status)

    assert {s: batches("ong-norte", s) for s in Batch.Status.values} == {
        "validated": 0,
        "executing": 1,
        "paused": 0,
        "completed": 1,
        "partially_paid": 1,
        "failed": 0,
        "cancelled": 0,
    }
    assert batches("ong-sur", "validated") == 1

    def bucket(org: str, le: str) -> float | None:
        return sample(samples, "sozu_batch_duration_seconds_bucket", organization=org, le=le)

    assert [bucket("ong-norte", le) for le in ("30.0", "60.0", "300.0", "600.0", "+Inf")] == [
        0,
        1,
        1,
        2,
        2,
    ]
    assert sample(samples, "sozu_batch_duration_seconds_count", organization="ong-norte") == 2
    assert sample(samples, "sozu_batch_duration_seconds_sum", organization="ong-norte") == 445
    assert sample(samples, "sozu_batch_duration_seconds_count", organization="ong-sur") == 0
    assert sample(samples, "sozu_metrics_database_up") == 1


@pytest.mark.django_db
def test_scrapes_follow_status_changes_once_the_cache_expires(
    client: Client, clock: FakeClock, settings: SettingsWrapper
) -> None:
    settings.SOZU_METRICS_CACHE_SECONDS = 15
    org = OrganizationFactory.create(slug="ong-centro")
    payout = _payout(org, Payout.Status.QUEUED, "5")
    before = scrape(client)

    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PAID)
    clock.now += 14
    cached = scrape(client)
    clock.now += 1
    after = scrape(client)

    assert sample(cached, "sozu_payouts", organization="ong-centro", status="queued") == 1

    assert sample(before, "sozu_payouts", organization="ong-centro", status="queued") == 1
    assert sample(before, "sozu_payouts", organization="ong-centro", status="paid") == 0
    assert sample(after, "sozu_payouts", organization="ong-centro", status="queued") == 0
    assert sample(after, "sozu_payouts", organization="ong-centro", status="paid") == 1


@pytest.mark.django_db
def test_webhook_deliveries_are_counted_by_status(client: Client) -> None:
    from sozu.webhooks.models import WebhookEndpoint

    org = OrganizationFactory.create(slug="ong-este")
    endpoint = WebhookEndpoint.objects.create(
        organization=org, url="https://ong.example.org/h", secret_ciphertext="x"
    )
    for status in ("pending", "pending", "failed"):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_1",
            event_type="payout.paid",
            payload={},
            status=status,
            next_attempt_at=T0,
        )

    samples = scrape(client)

    def deliveries(status: str) -> float | None:
        return sample(samples, "sozu_webhook_deliveries", organization="ong-este", status=status)

    assert [deliveries(s) for s in ("pending", "delivered", "failed")] == [2, 0, 1]


@pytest.mark.django_db
def test_horizon_latency_and_errors_of_this_process_are_exported(client: Client) -> None:
    before = scrape(client)

    observe_horizon("submit", 0.3, "504")
    observe_horizon("submit", 0.2)
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return (sample(after, name, **labels) or 0) - (sample(before, name, **labels) or 0)

    assert delta("sozu_horizon_errors_total", call="submit", status="504") == 1
    assert delta("sozu_horizon_request_seconds_count", call="submit") == 2
    assert delta("sozu_horizon_request_seconds_bucket", call="submit", le="0.25") == 1
    assert delta("sozu_horizon_request_seconds_bucket", call="submit", le="0.5") == 2


@pytest.mark.django_db
def test_the_scrape_succeeds_when_horizon_is_down(client: Client) -> None:
    OrganizationFactory.create(slug="ong-oeste")

    samples = scrape(client)

    assert sample(samples, "sozu_org_wallet_usdc_balance", organization="ong-oeste") is None
    assert sample(samples, "sozu_payouts", organization="ong-oeste", status="paid") == 0


@pytest.mark.django_db
def test_a_token_protects_the_metrics_when_configured(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.SOZU_METRICS_TOKEN = "s3cret-scrape-token"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer sé"}).status_code == 401
    assert scrape(client, Authorization="Bearer s3cret-scrape-token")
    assert client.post("/metrics").status_code == 405


@pytest.mark.django_db
def test_scrapes_within_the_cache_time_do_not_query_the_database_again(
    client: Client,
    clock: FakeClock,
    django_assert_num_queries: Any,
) -> None:
    org = OrganizationFactory.create(slug="ong-delta")
    _payout(org, Payout.Status.PAID, "5")
    first = scrape(client)

    with django_assert_num_queries(0):
        for _ in range(20):
            again = scrape(client)

    def sozu(samples: dict[Any, float]) -> dict[Any, float]:
        # The database's counts (Horizon call metrics of this process change with every scrape).
        return {k: v for k, v in samples.items() if k[0].startswith(("sozu_payouts", "sozu_b"))}

    assert sozu(again) == sozu(first)
    assert sample(again, "sozu_payouts", organization="ong-delta", status="paid") == 1


@pytest.mark.django_db
def test_production_without_a_token_refuses_every_scrape(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.SOZU_METRICS_TOKEN = ""
    settings.SOZU_METRICS_OPEN = False  # what production settings default to

    response = client.get("/metrics")

    assert response.status_code == 403
    assert b"SOZU_METRICS_TOKEN" in response.content
    assert b"sozu_payouts" not in response.content


@pytest.mark.django_db
def test_the_local_defaults_leave_metrics_open(client: Client, settings: SettingsWrapper) -> None:
    settings.SOZU_METRICS_TOKEN = ""
    settings.SOZU_METRICS_OPEN = True

    assert scrape(client)
