"""`sozu batch`: an operator pays a CSV file of lines and follows it to the end."""

from __future__ import annotations

import csv
import io
import os
import signal
import stat
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from tests.localnet_process import LocalNet

from sozu.disbursements.models import Batch, Payout
from sozu.disbursements.selectors import EXPORT_COLUMNS
from sozu.disbursements.tests.api.helpers import new_org
from sozu.disbursements.tests.cli.helpers import (
    csv_file,
    recipient_with_empty_trustline,
    set_trustline,
)
from sozu.errors import message_for
from sozu.orgs.models import Organization
from sozu.orgs.tests.cli_helpers import run_sozu

P = Payout.Status


@pytest.mark.django_db
def test_a_csv_with_bad_lines_is_refused_line_by_line_and_nothing_is_saved(
    org: Organization, recipient: Callable[[], str], tmp_path: Path
) -> None:
    good = recipient()
    path = csv_file(
        tmp_path,
        [f"{good},10,cuota 1", "GNOTANADDRESS,5,", f"{good},diez,", f"{good},10,cuota 1"],
    )

    ran = run_sozu("batch", "create", str(path), "--org", org.slug)

    assert ran.code == 1
    assert ran.err.splitlines() == [
        message_for("invalid_lines", {"count": 3}),
        f"  line 3: {message_for('invalid_address', {'address': 'GNOTANADDRESS'})}",
        f"  line 4: {message_for('amount_invalid', {'value': 'diez'})}",
        f"  line 5: {message_for('duplicate_line', {'line': 5, 'first_line': 2})}",
    ]
    assert ran.out == ""
    assert not Batch.objects.exists()
    assert not Payout.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_reported(org: Organization, tmp_path: Path) -> None:
    ran = run_sozu("batch", "create", str(tmp_path / "nope.csv"), "--org", org.slug)

    assert ran.code == 1
    assert "nope.csv" in ran.err
    assert not Batch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_create_then_execute_pays_every_line_on_the_network(
    org: Organization, recipient: Callable[[], str], localnet: LocalNet, tmp_path: Path
) -> None:
    people = [recipient() for _ in range(3)]
    before = {p: localnet.usdc_balance(p) for p in people}
    amounts = ["10.50", "0.0000001", "250"]
    path = csv_file(tmp_path, [f"{p},{a},cuota 1" for p, a in zip(people, amounts, strict=True)])

    created = run_sozu("batch", "create", str(path), "--org", org.slug)

    assert created.code == 0, created.err
    batch = Batch.objects.get()
    assert batch.name == "marzo.csv"
    assert created.out.strip() == (
        f"Batch {batch.pk} created for “{org.slug}”: 3 lines, 260.5000001 USDC."
    )

    ran = run_sozu("batch", "execute", str(batch.pk))

    assert ran.code == 0, ran.err
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    for person, amount in zip(people, amounts, strict=True):
        assert localnet.usdc_balance(person) - before[person] == Decimal(amount)
    assert "completed: 3 of 3 lines paid (260.5000001 of 260.5000001 USDC)" in ran.out
    # stderr is not a terminal here: plain progress lines, never a redrawn bar.
    assert f"batch {batch.pk} (completed): 3/3 paid" in ran.err
    assert "\r" not in ran.err
    status = run_sozu("batch", "status", str(batch.pk))
    assert "completed" in status.out and org.slug in status.out
    listed = run_sozu("batch", "lines", str(batch.pk), "--status", "paid")
    for line in batch.lines.all():
        assert line.tx_hash and f"tx {line.tx_hash}" in listed.out


@pytest.mark.django_db(transaction=True)
def test_execute_no_wait_leaves_the_batch_to_a_worker(
    org: Organization, recipient: Callable[[], str], localnet: LocalNet, tmp_path: Path
) -> None:
    a, b = recipient(), recipient()
    path = csv_file(tmp_path, [f"{a},3,", f"{b},4,"])
    run_sozu("batch", "create", str(path), "--org", org.slug, "--name", "abril")
    batch = Batch.objects.get()

    ran = run_sozu("batch", "execute", str(batch.pk), "--no-wait")

    assert ran.code == 0, ran.err
    batch.refresh_from_db()
    assert batch.status == Batch.Status.EXECUTING
    assert set(batch.lines.values_list("status", flat=True)) == {P.QUEUED}

    worker = run_sozu("worker", "--until-idle", "--threads", "2")

    assert worker.code == 0, worker.err
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    assert localnet.usdc_balance(a) == Decimal("4") and localnet.usdc_balance(b) == Decimal("5")


@pytest.mark.django_db(transaction=True)
def test_failed_lines_are_explained_and_paid_on_retry(
    org: Organization, recipient: Callable[[], str], localnet: LocalNet, tmp_path: Path
) -> None:
    ok = recipient()
    leaving = recipient_with_empty_trustline(localnet)
    path = csv_file(tmp_path, [f"{ok},7,", f"{leaving.public_key},8,"])
    run_sozu("batch", "create", str(path), "--org", org.slug)
    batch = Batch.objects.get()
    # After the batch was checked, the recipient closes its USDC trustline.
    set_trustline(localnet, leaving, limit="0")

    ran = run_sozu("batch", "execute", str(batch.pk))

    assert ran.code == 1
    batch.refresh_from_db()
    assert batch.status == Batch.Status.PARTIALLY_PAID
    failed = batch.lines.get(status=P.FAILED)
    assert "partially paid: 1 of 2 lines paid (7.00 of 15.00 USDC)" in ran.out
    assert f"  1 failed: {message_for(failed.failure_code)}" in ran.out
    assert f"pay them again: sozu batch retry {batch.pk}" in ran.out

    set_trustline(localnet, leaving, limit=None)
    retried = run_sozu("batch", "retry", str(batch.pk))
    assert retried.code == 0, retried.err
    assert "is executing" in retried.out
    again = run_sozu("batch", "execute", str(batch.pk))

    assert again.code == 0, again.err
    assert "already executing; following it" in again.err
    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    assert localnet.usdc_balance(leaving.public_key) == Decimal("8")


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_following_and_any_worker_finishes_the_batch(
    net_settings: LocalNet, recipient: Callable[[], str], tmp_path: Path
) -> None:
    org = new_org(channels=1)  # one transaction in flight at a time: 250 lines take three
    people = [recipient() for _ in range(3)]
    rows = [f"{people[i % 3]},0.{i:04d}," for i in range(1, 251)]
    run_sozu("batch", "create", str(csv_file(tmp_path, rows)), "--org", org.slug)
    batch = Batch.objects.get()

    def press_ctrl_c_once_paying() -> None:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if batch.lines.filter(status__in=(P.IN_FLIGHT, P.PAID)).exists():
                    os.kill(os.getpid(), signal.SIGINT)
                    return
                time.sleep(0.005)
        finally:
            connection.close()

    presser = threading.Thread(target=press_ctrl_c_once_paying)
    presser.start()
    ran = run_sozu("batch", "execute", str(batch.pk))
    presser.join()

    assert ran.code == 130, ran.out + ran.err
    assert "Stopping once the transactions in flight settle" in ran.err
    assert f"Batch {batch.pk} “marzo.csv” of “{org.slug}” is still executing" in ran.out
    batch.refresh_from_db()
    assert batch.status == Batch.Status.EXECUTING
    assert not batch.lines.filter(status=P.IN_FLIGHT).exists()  # nothing left half-done
    assert batch.lines.filter(status=P.QUEUED).exists()

    assert run_sozu("worker", "--until-idle").code == 0

    batch.refresh_from_db()
    assert batch.status == Batch.Status.COMPLETED
    assert batch.lines.filter(status=P.PAID).count() == 250


@pytest.mark.django_db(transaction=True)
def test_pause_resume_and_cancel(
    org: Organization, recipient: Callable[[], str], tmp_path: Path
) -> None:
    run_sozu("batch", "create", str(csv_file(tmp_path, [f"{recipient()},1,"])), "--org", org.slug)
    batch = Batch.objects.get()
    run_sozu("batch", "execute", str(batch.pk), "--no-wait")

    paused = run_sozu("batch", "pause", str(batch.pk))
    assert paused.code == 0, paused.err
    assert "is paused" in paused.out
    assert run_sozu("batch", "resume", str(batch.pk)).code == 0
    batch.refresh_from_db()
    assert batch.status == Batch.Status.EXECUTING

    cancelled = run_sozu("batch", "cancel", str(batch.pk))

    assert cancelled.code == 0, cancelled.err
    assert "is cancelled" in cancelled.out
    assert list(batch.lines.values_list("status", flat=True)) == [P.CANCELLED]
    refused = run_sozu("batch", "execute", str(batch.pk))
    assert refused.code == 1
    assert refused.err.strip().endswith(
        message_for(
            "invalid_transition", {"object": "batch", "status": "cancelled", "action": "executed"}
        )
    )


@pytest.mark.django_db
def test_export_lists_lines_with_beneficiary_contact_details(
    org: Organization, recipient: Callable[[], str], tmp_path: Path
) -> None:
    address = recipient()
    run_sozu(
        "beneficiary",
        "add",
        *("--org", org.slug, "--name", "Ana Gómez", "--address", address),
        *("--email", "ana@example.org", "--phone", "+54 9 11 5555-0101", "--dni", "27123456"),
    )
    ben_id = org.beneficiaries.get().pk
    path = csv_file(tmp_path, [f"{ben_id},120"], header="beneficiary_id,amount")
    run_sozu("batch", "create", str(path), "--org", org.slug)
    batch = Batch.objects.get()
    target = tmp_path / "out" / "export.csv"

    ran = run_sozu("batch", "export", str(batch.pk), "-o", str(target))

    assert ran.code == 0, ran.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # personal data: owner only
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert (rows[0]["full_name"], rows[0]["national_id"], rows[0]["email"], rows[0]["phone"]) == (
        "Ana Gómez",
        "27123456",
        "ana@example.org",
        "+5491155550101",  # stored in E.164
    )
    assert (rows[0]["destination"], rows[0]["status"]) == (address, "validated")
    to_stdout = run_sozu("batch", "export", str(batch.pk))
    assert to_stdout.out == target.read_bytes().decode()
