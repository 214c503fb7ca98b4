"""Signing goes through one interface so a KMS or an external signing service can replace it."""

from __future__ import annotations

import base64
from typing import Protocol, runtime_checkable

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from stellar_sdk import Keypair
from stellar_sdk.base_transaction_envelope import BaseTransactionEnvelope


@runtime_checkable
class Signer(Protocol):
    """Adds a signature for `public_key` to an envelope. Never exposes the secret."""

    @property
    def public_key(self) -> str: ...

    def sign_hash(self, tx_hash: bytes) -> bytes:
        """The raw ed25519 signature of a 32-byte transaction hash (what a KMS signs)."""
        ...


class KeypairSigner:
    """Signs with a secret seed held in memory (from the environment or decrypted storage)."""

    __slots__ = ("_keypair",)

    def __init__(self, secret: str) -> None:
        self._keypair = Keypair.from_secret(secret)

    @property
    def public_key(self) -> str:
        return self._keypair.public_key

    def sign_hash(self, tx_hash: bytes) -> bytes:
        return self._keypair.sign(tx_hash)

    def sign(self, envelope: BaseTransactionEnvelope) -> None:
        envelope.sign(self._keypair)

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"KeypairSigner({self.public_key})"


#: HKDF parameters: fixed, so the same master key always gives the same Fernet key. Changing
#: them makes every stored secret unreadable (a data migration must re-encrypt them).
HKDF_SALT = b"sozu/secretbox/v2"
HKDF_INFO = b"sozu stored secrets: Fernet key"


def fernet_key(master_key: str) -> bytes:
    """The Fernet key (urlsafe base64 of 32 bytes) derived from the master key with HKDF-SHA256."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(
        master_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


class SecretBoxError(Exception):
    """The stored secret could not be decrypted with the configured master key."""


class SecretBox:
    """Encrypts secret seeds at rest with a master key (Fernet: AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, master_key: str) -> None:
        if not master_key:
            raise SecretBoxError("no master key configured")
        self._fernet = Fernet(fernet_key(master_key))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretBoxError("stored secret does not decrypt with this master key") from None
