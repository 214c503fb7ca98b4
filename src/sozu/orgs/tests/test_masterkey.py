"""The master key: derived with HKDF, old ciphertexts migrated, a wrong key stops start-up."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from pytest_django.fixtures import Settings as SettingsWrapper
from stellar_sdk import Keypair

from sozu.launch.checks import MasterKeyError, master_key_verify
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import Organization, StoredSecret
from sozu.stellar.signers import SecretBox, SecretBoxError
from sozu.webhooks.models import WebhookEndpoint

KEY = "the-master-key-of-this-test-0123456789abcdef"
OTHER_KEY = "another-master-key-of-this-test-0123456789"
ORGS_BEFORE, ORGS_AFTER = ("orgs", "0002_organization_ready"), ("orgs", "0005_storedsecret_hkdf")
HOOKS_BEFORE = ("webhooks", "0002_endpoint_secret_encrypted")
HOOKS_AFTER = ("webhooks", "0003_endpoint_secret_hkdf")


def sha256_box(master_key: str) -> Fernet:
    """How secrets were encrypted before HKDF: the Fernet key was one SHA-256 of the master key."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(master_key.encode()).digest()))


@pytest.fixture
def key(settings: SettingsWrapper) -> str:
    settings.SOZU_MASTER_KEY = KEY
    return KEY


def make_org() -> Organization:
    return Organization.objects.create(
        slug="ong", name="ONG", wallet_public_key=Keypair.random().public_key, ready=True
    )


def test_the_fernet_key_is_not_one_sha256_of_the_master_key(key: str) -> None:
    seed = Keypair.random().secret
    old_token = sha256_box(key).encrypt(seed.encode()).decode()

    with pytest.raises(SecretBoxError):
        SecretBox(key).decrypt(old_token)
    assert SecretBox(key).decrypt(SecretBox(key).encrypt(seed)) == seed
    with pytest.raises(SecretBoxError):
        SecretBox(OTHER_KEY).decrypt(SecretBox(key).encrypt(seed))


@pytest.mark.django_db
def test_a_wrong_master_key_is_refused_before_anything_runs(
    key: str, settings: SettingsWrapper
) -> None:
    org = make_org()
    StoredSecret.objects.create(
        organization=org,
        public_key=org.wallet_public_key,
        role=StoredSecret.Role.WALLET,
        ciphertext=master_box().encrypt(Keypair.random().secret),
    )
    WebhookEndpoint.objects.create(
        organization=org,
        url="https://hooks.example.org/sozu",
        secret_ciphertext=master_box().encrypt("whsec_abc"),
    )
    assert master_key_verify() == 2

    settings.SOZU_MASTER_KEY = OTHER_KEY
    with pytest.raises(MasterKeyError, match="does not decrypt 2 of 2 stored secrets"):
        master_key_verify()


@pytest.mark.django_db
def test_the_worker_with_a_wrong_master_key_exits_at_once(
    key: str, settings: SettingsWrapper, capsys: pytest.CaptureFixture[str]
) -> None:
    org = make_org()
    StoredSecret.objects.create(
        organization=org,
        public_key=org.wallet_public_key,
        role=StoredSecret.Role.WALLET,
        ciphertext=master_box().encrypt(Keypair.random().secret),
    )
    settings.SOZU_MASTER_KEY = OTHER_KEY

    with pytest.raises(SystemExit) as exited:
        call_command("worker", "--until-idle", "--name", "wrong-key")

    assert exited.value.code == 1
    assert "SOZU_MASTER_KEY does not decrypt 1 of 1 stored secrets" in capsys.readouterr().err


@pytest.mark.django_db
def test_production_never_makes_a_master_key_file(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.SOZU_MASTER_KEY = ""
    settings.VAR_DIR = tmp_path
    settings.SOZU_PRODUCTION = ["HORIZON_URL https://horizon.stellar.org is not the local network"]

    with pytest.raises(ImproperlyConfigured, match="SOZU_MASTER_KEY must be set"):
        master_box()
    assert not (tmp_path / "master.key").exists()

    settings.SOZU_PRODUCTION = []
    master_box()
    assert (tmp_path / "master.key").exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_re_encrypts_old_secrets_and_its_reverse_restores_them(key: str) -> None:
    seed, hook_secret = Keypair.random().secret, "whsec_" + "x" * 43
    executor = MigrationExecutor(connection)
    executor.migrate([ORGS_BEFORE, HOOKS_BEFORE])
    try:
        old = executor.loader.project_state([ORGS_BEFORE, HOOKS_BEFORE]).apps
        org = old.get_model("orgs", "Organization").objects.create(
            slug="ong", name="ONG", wallet_public_key=Keypair.random().public_key
        )
        old.get_model("orgs", "StoredSecret").objects.create(
            organization_id=org.pk,
            public_key=org.wallet_public_key,
            role="wallet",
            ciphertext=sha256_box(key).encrypt(seed.encode()).decode(),
        )
        old.get_model("webhooks", "WebhookEndpoint").objects.create(
            organization_id=org.pk,
            url="https://hooks.example.org/sozu",
            secret_ciphertext=sha256_box(key).encrypt(hook_secret.encode()).decode(),
        )

        executor = MigrationExecutor(connection)
        executor.migrate([ORGS_AFTER, HOOKS_AFTER])

        stored = StoredSecret.objects.get()
        endpoint = WebhookEndpoint.objects.get()
        assert master_box().decrypt(stored.ciphertext) == seed
        assert master_box().decrypt(endpoint.secret_ciphertext) == hook_secret
        assert master_key_verify() == 2

        executor = MigrationExecutor(connection)
        executor.migrate([ORGS_BEFORE, HOOKS_BEFORE])
        stored.refresh_from_db()
        endpoint.refresh_from_db()
        assert sha256_box(key).decrypt(stored.ciphertext.encode()).decode() == seed
        assert sha256_box(key).decrypt(endpoint.secret_ciphertext.encode()).decode() == hook_secret
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_stops_on_a_wrong_master_key(key: str, settings: SettingsWrapper) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([ORGS_BEFORE])
    try:
        old = executor.loader.project_state([ORGS_BEFORE]).apps
        org = old.get_model("orgs", "Organization").objects.create(
            slug="ong", name="ONG", wallet_public_key=Keypair.random().public_key
        )
        old.get_model("orgs", "StoredSecret").objects.create(
            organization_id=org.pk,
            public_key=org.wallet_public_key,
            role="wallet",
            ciphertext=sha256_box(OTHER_KEY).encrypt(b"S-not-this-key").decode(),
        )
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError, match="does not decrypt with SOZU_MASTER_KEY"):
            executor.migrate([ORGS_AFTER])
    finally:
        StoredSecret.objects.all().delete()
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_web_process_refuses_to_start_with_a_wrong_master_key(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOZU_", "PYTEST", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sozu.settings",
        SOZU_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'web.sqlite3'}",
        SOZU_MASTER_KEY=KEY,
    )

    def run(*argv: str, key: str = KEY) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *argv],
            env={**env, "SOZU_MASTER_KEY": key},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("-m", "sozu.cli", "migrate", "-v", "0").returncode == 0
    stored = run("-c", STORE_A_WALLET_SECRET)
    assert stored.returncode == 0, stored.stderr

    wrong = run("-c", "import sozu.wsgi", key=OTHER_KEY)
    right = run("-c", "import sozu.wsgi")

    assert wrong.returncode != 0
    assert "MasterKeyError: SOZU_MASTER_KEY does not decrypt 1 of 1 stored secrets" in wrong.stderr
    assert right.returncode == 0, right.stderr


STORE_A_WALLET_SECRET = """
import django
django.setup()
from stellar_sdk import Keypair
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import Organization, StoredSecret
kp = Keypair.random()
org = Organization.objects.create(slug="ong", name="ONG", wallet_public_key=kp.public_key)
StoredSecret.objects.create(
    organization=org, public_key=kp.public_key, role="wallet",
    ciphertext=master_box().encrypt(kp.secret),
)
"""
