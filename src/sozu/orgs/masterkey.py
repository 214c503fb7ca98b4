"""The master key that encrypts stored wallet secrets."""

from __future__ import annotations

import os
import secrets as pysecrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sozu.stellar.signers import SecretBox


def master_box() -> SecretBox:
    """The box that encrypts and decrypts stored secrets with the master key."""
    return SecretBox(master_key())


def master_key() -> str:
    """SOZU_MASTER_KEY from the environment; locally, a key file made once under VAR_DIR.

    A production configuration (`settings.SOZU_PRODUCTION`) never makes or reads a key file:
    its settings refuse to load without SOZU_MASTER_KEY, and this refuses again.
    """
    if settings.SOZU_MASTER_KEY:
        return str(settings.SOZU_MASTER_KEY)
    if getattr(settings, "SOZU_PRODUCTION", True):
        raise ImproperlyConfigured("SOZU_MASTER_KEY must be set in production")
    path = Path(settings.VAR_DIR) / "master.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(pysecrets.token_urlsafe(32))
    return path.read_text().strip()
