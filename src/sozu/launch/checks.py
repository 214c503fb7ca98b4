"""Start-up checks of the web and worker processes: fail loudly before any payout."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from sozu.orgs.masterkey import master_box
from sozu.orgs.models import StoredSecret
from sozu.stellar.signers import SecretBoxError
from sozu.webhooks.models import WebhookEndpoint


class MasterKeyError(ImproperlyConfigured):
    """SOZU_MASTER_KEY does not decrypt the secrets stored in the database."""


def master_key_verify() -> int:
    """Decrypt every stored secret with the master key; how many. Raises MasterKeyError.

    Wallet and channel secrets and webhook signing secrets are all tried: a process started
    with the wrong key (or before `sozu migrate` re-encrypted them) must stop here, not on the
    first payout or delivery. An unmigrated database without these tables has nothing to check.
    """
    try:
        stored = [
            (f"{role} secret {key}", token)
            for role, key, token in StoredSecret.objects.values_list(
                "role", "public_key", "ciphertext"
            )
        ]
        stored += [
            (f"webhook endpoint {pk} secret", token)
            for pk, token in WebhookEndpoint.objects.values_list("pk", "secret_ciphertext")
        ]
    except DatabaseError:
        return 0
    if not stored:
        return 0
    box = master_box()
    failed = []
    for what, token in stored:
        try:
            box.decrypt(token)
        except SecretBoxError:
            failed.append(what)
    if failed:
        raise MasterKeyError(
            f"SOZU_MASTER_KEY does not decrypt {len(failed)} of {len(stored)} stored secrets "
            f"(first: {failed[0]}). Set the key they were encrypted with, or run `sozu migrate` "
            "if the database was made by an older version. Nothing was paid."
        )
    return len(stored)
