"""Is this process a production deployment? Decided from what it talks to, at settings import.

Imported by `sozu.settings`: nothing here may import Django's settings or the apps.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

#: Real Stellar networks: money (or, on testnet, a rehearsal of it) moves there.
REAL_NETWORK_PASSPHRASES = frozenset(
    {
        "Public Global Stellar Network ; September 2015",
        "Test SDF Network ; September 2015",
        "Test SDF Future Network ; October 2022",
    }
)
#: A production master key is a random token, not a password (HKDF does not stretch keys).
MIN_MASTER_KEY_LENGTH = 32
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can reach it."""
    host = (host or "").strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_network(horizon_url: str, passphrase: str) -> bool:
    """The embedded local network: plain HTTP to this machine, not a real network's passphrase."""
    parts = urlsplit(horizon_url)
    return (
        parts.scheme == "http"
        and is_loopback_host(parts.hostname)
        and passphrase not in REAL_NETWORK_PASSPHRASES
    )


def is_local_database(database: Mapping[str, Any]) -> bool:
    """A database on this machine: an SQLite file, or a server on loopback or a local socket."""
    if database.get("ENGINE") == "django.db.backends.sqlite3":
        return True
    host = str(database.get("HOST") or "")
    # No host (or a socket directory) is a server on this machine too.
    return host == "" or host.startswith("/") or is_loopback_host(host)


def production_reasons(
    *,
    env: str,
    debug: bool,
    horizon_url: str,
    passphrase: str,
    database: Mapping[str, Any],
) -> list[str]:
    """Why this configuration is production (empty: it is a local one)."""
    reasons = []
    if env == "production":
        reasons.append("SOZU_ENV=production")
    if not is_local_network(horizon_url, passphrase):
        reasons.append(f"HORIZON_URL {horizon_url} is not the local network")
    if not debug and not is_local_database(database):
        reasons.append("a database on another machine with SOZU_DEBUG off")
    return reasons
