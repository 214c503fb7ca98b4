"""Production settings follow from what the process talks to, not from SOZU_ENV=production.

Each case imports `sozu.settings` in a fresh interpreter with its own environment, exactly as
`sozu worker` or gunicorn would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PUBNET = {
    "HORIZON_URL": "https://horizon.stellar.org",
    "NETWORK_PASSPHRASE": "Public Global Stellar Network ; September 2015",
}
REMOTE_DB = {"DATABASE_URL": "postgres://sozu@db.internal:5432/sozu"}
KEYS = {
    "SOZU_SECRET_KEY": "a-django-secret-key-for-this-test-only-0123456789",
    "SOZU_MASTER_KEY": "UpB1sLsQzU0d2oX8l8m9hQm3F5cJx3xv1sR2z7n4vXo",
    "SOZU_ALLOWED_HOSTS": "pagos.example.org",
}
PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "production": settings.SOZU_PRODUCTION,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "secret_key": settings.SECRET_KEY,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "proxy_ssl_header": settings.SECURE_PROXY_SSL_HEADER,
}))
"""


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOZU_", "PYTEST", "DJANGO_"))
        and k not in {"DATABASE_URL", "HORIZON_URL", "NETWORK_PASSPHRASE"}
    }
    clean.update(DJANGO_SETTINGS_MODULE="sozu.settings", SOZU_VAR_DIR=str(tmp_path / "var"))
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=clean, capture_output=True, text=True, timeout=60
    )


def loaded(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_zero_setup_defaults_are_local_and_start(tmp_path: Path) -> None:
    s = loaded(load_settings(tmp_path))

    assert s["production"] == []
    assert s["allowed_hosts"] == ["*"]
    assert s["session_cookie_secure"] is False
    assert s["hsts"] == 0


def test_a_postgres_on_this_machine_is_still_local(tmp_path: Path) -> None:
    s = loaded(load_settings(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/sozu_x"))

    assert s["production"] == []


@pytest.mark.parametrize(
    "env",
    [
        pytest.param(PUBNET, id="pubnet"),
        pytest.param(
            {
                "HORIZON_URL": "https://horizon-testnet.stellar.org",
                "NETWORK_PASSPHRASE": "Test SDF Network ; September 2015",
            },
            id="testnet",
        ),
        # A Horizon proxy on this machine that speaks for the real network is not local.
        pytest.param(
            {
                "HORIZON_URL": "http://127.0.0.1:8000",
                "NETWORK_PASSPHRASE": PUBNET["NETWORK_PASSPHRASE"],
            },
            id="loopback-proxy-to-pubnet",
        ),
        pytest.param(REMOTE_DB, id="remote-database-debug-off"),
        pytest.param({"SOZU_ENV": "production"}, id="SOZU_ENV"),
    ],
)
@pytest.mark.parametrize("missing", ["SOZU_SECRET_KEY", "SOZU_MASTER_KEY", "SOZU_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_each_key(
    tmp_path: Path, env: dict[str, str], missing: str
) -> None:
    keys = {k: v for k, v in KEYS.items() if k != missing}

    result = load_settings(tmp_path, **env, **keys)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set" in result.stderr
    assert not (tmp_path / "var" / "master.key").exists()


def test_production_with_its_keys_starts_with_secure_cookies_hsts_and_the_proxy_header(
    tmp_path: Path,
) -> None:
    s = loaded(load_settings(tmp_path, **PUBNET, **KEYS))

    assert s["production"] == ["HORIZON_URL https://horizon.stellar.org is not the local network"]
    assert s["allowed_hosts"] == ["pagos.example.org"]
    assert s["secret_key"] == KEYS["SOZU_SECRET_KEY"]
    assert s["session_cookie_secure"] is True
    assert s["csrf_cookie_secure"] is True
    assert s["hsts"] == 31536000
    assert s["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_the_proxy_header_can_be_renamed_or_turned_off(tmp_path: Path) -> None:
    renamed = loaded(load_settings(tmp_path, **PUBNET, **KEYS, SOZU_PROXY_SSL_HEADER="X-Scheme"))
    off = loaded(load_settings(tmp_path, **PUBNET, **KEYS, SOZU_PROXY_SSL_HEADER=""))

    assert renamed["proxy_ssl_header"] == ["HTTP_X_SCHEME", "https"]
    assert off["proxy_ssl_header"] is None


def test_debug_with_a_remote_database_is_development(tmp_path: Path) -> None:
    s = loaded(load_settings(tmp_path, **REMOTE_DB, SOZU_DEBUG="1"))

    assert s["production"] == []


def test_production_refuses_a_wildcard_host_and_a_short_master_key(tmp_path: Path) -> None:
    wildcard = load_settings(tmp_path, **PUBNET, **{**KEYS, "SOZU_ALLOWED_HOSTS": "*"})
    short = load_settings(tmp_path, **PUBNET, **{**KEYS, "SOZU_MASTER_KEY": "short"})

    assert wildcard.returncode != 0
    assert "SOZU_ALLOWED_HOSTS must name the hosts, not '*'" in wildcard.stderr
    assert short.returncode != 0
    assert "SOZU_MASTER_KEY must be at least 32 characters" in short.stderr


def test_metrics_are_open_only_in_a_local_configuration(tmp_path: Path) -> None:
    probe = "from django.conf import settings; print(settings.SOZU_METRICS_OPEN)"

    def metrics_open(**env: str) -> str:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SOZU_", "PYTEST"))}
        clean.pop("DATABASE_URL", None)
        clean.update(DJANGO_SETTINGS_MODULE="sozu.settings", SOZU_VAR_DIR=str(tmp_path), **env)
        out = subprocess.run(
            [sys.executable, "-c", probe], env=clean, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert metrics_open() == "True"
    assert metrics_open(**PUBNET, **KEYS) == "False"
    assert metrics_open(**PUBNET, **KEYS, SOZU_METRICS_OPEN="1") == "True"


SERVE = """
import django, json
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
answers = {}
for name, headers in {
    "https": {"HTTP_HOST": "pagos.example.org", "HTTP_X_FORWARDED_PROTO": "https"},
    "plain": {"HTTP_HOST": "pagos.example.org"},
    "other_host": {"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_PROTO": "https"},
}.items():
    r = client.get("/api/v1/openapi.json", **headers)
    answers[name] = [r.status_code, r.headers.get("Strict-Transport-Security")]
print(json.dumps(answers))
"""


def test_production_answers_its_hosts_with_hsts_behind_the_tls_proxy(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOZU_", "PYTEST"))}
    for name in ("DATABASE_URL", "HORIZON_URL", "NETWORK_PASSPHRASE"):
        env.pop(name, None)
    env.update(DJANGO_SETTINGS_MODULE="sozu.settings", SOZU_VAR_DIR=str(tmp_path), **PUBNET)
    env.update(KEYS)

    out = subprocess.run(
        [sys.executable, "-c", SERVE], env=env, capture_output=True, text=True, timeout=60
    )

    assert out.returncode == 0, out.stderr
    answers = json.loads(out.stdout)
    assert answers["https"] == [200, "max-age=31536000"]
    assert answers["plain"] == [200, None]  # HSTS only means something over HTTPS
    assert answers["other_host"][0] == 400  # not in SOZU_ALLOWED_HOSTS
