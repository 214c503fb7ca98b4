"""Re-encrypting stored secrets from the old key derivation to HKDF. For migrations only.

Until orgs 0005 / webhooks 0003, the Fernet key was one SHA-256 of the master key. The old
derivation lives here and nowhere else: the running code only knows the HKDF one.
(Django skips migration modules whose name starts with "_".)
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


def _legacy(master_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(master_key.encode()).digest()))


def _current(master_key: str) -> Fernet:
    from sozu.stellar.signers import fernet_key

    return Fernet(fernet_key(master_key))


def decrypt_any(token: str) -> str:
    """A stored secret in either format (an older migration's reverse step needs this)."""
    from sozu.orgs.masterkey import master_key

    key = master_key()
    for box in (_current(key), _legacy(key)):
        try:
            return box.decrypt(token.encode()).decode()
        except InvalidToken:
            continue
    raise RuntimeError("a stored secret does not decrypt with SOZU_MASTER_KEY (wrong key?)")


def reencrypt(model: Any, field: str, *, to_hkdf: bool) -> int:
    """Re-encrypt every row's `field` to HKDF (or back to the old format); returns how many.

    Rows already in the target format are left alone, so running it again changes nothing. A
    row that decrypts with neither derivation stops the migration: the master key is wrong.
    """
    rows = model.objects.exclude(**{field: ""}).order_by("pk")
    if not rows.exists():
        return 0  # a fresh database needs no master key
    from sozu.orgs.masterkey import master_key

    key = master_key()
    new, old = _current(key), _legacy(key)
    source, target = (old, new) if to_hkdf else (new, old)
    changed = 0
    for row in rows.iterator():
        token = getattr(row, field).encode()
        try:
            target.decrypt(token)
            continue  # already in the target format
        except InvalidToken:
            pass
        try:
            plain = source.decrypt(token)
        except InvalidToken:
            raise RuntimeError(
                f"{model.__name__} {row.pk}: the stored secret does not decrypt with "
                "SOZU_MASTER_KEY; set the key these secrets were encrypted with, then migrate"
            ) from None
        setattr(row, field, target.encrypt(plain).decode())
        row.save(update_fields=[field])
        changed += 1
    return changed
