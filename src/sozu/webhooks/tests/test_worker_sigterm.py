"""`sozu worker` stops at once on SIGTERM, even while a receiver is still answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from sozu.orgs.models import Organization
from sozu.webhooks.models import WebhookDelivery
from sozu.webhooks.services import webhook_endpoint_create, webhook_event_emit
from sozu.webhooks.tests.receiver import Receiver

#: Settings of the worker process: the test's database and master key, and a receiver allowed
#: to keep a delivery ten minutes (far longer than the test waits).
SETTINGS = """
from sozu.settings import *  # noqa: F403

DATABASES = {{"default": {database!r}}}
SOZU_MASTER_KEY = "test"
SOZU_WEBHOOK_ALLOW_LOOPBACK_HTTP = True
SOZU_WEBHOOK_DEADLINE_SECONDS = 600
"""


def _wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_worker_while_a_receiver_trickles(
    org: Organization, tmp_path: Path
) -> None:
    slow = Receiver(mode="trickle").start()
    webhook_endpoint_create(organization=org, url=slow.url, actor="cli")
    webhook_event_emit(organization_id=org.pk, event_type="batch.completed", payload={})
    keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    database = {k: connection.settings_dict[k] for k in keys}
    (tmp_path / "sigterm_settings.py").write_text(SETTINGS.format(database=database))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="sigterm_settings",
        PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]),
        SOZU_VAR_DIR=str(tmp_path / "var"),
    )
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "sozu.cli", "worker", "--name", "w-sigterm", "--threads", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: len(slow.requests) == 1 or worker.poll() is not None, timeout=120)
        assert worker.poll() is None, log.read_text()
        worker.send_signal(signal.SIGTERM)

        code = worker.wait(timeout=30)  # not ten minutes
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        slow.stop()

    assert code == 0, log.read_text()
    assert "worker stopped" in log.read_text()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_error == "interrupted: the worker stopped"  # due again, for the next one
