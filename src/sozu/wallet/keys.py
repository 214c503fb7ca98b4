"""Sozu's own service keys (SEP-10 signing, sponsor, recovery signer).

A deployment may give each secret in the environment (SOZU_SEP10_SIGNING_SEED,
SOZU_SPONSOR_SEED, SOZU_RECOVERY_SEED); otherwise the key is generated once and kept encrypted
with the master key, like the organization wallets. The secret never leaves this module's
callers in the wallet's services and is never logged or returned.
"""

from __future__ import annotations

import os

from django.db import IntegrityError, transaction
from stellar_sdk import Keypair

from sozu.orgs.masterkey import master_box
from sozu.wallet.models import ServiceKey

ENV = {
    ServiceKey.Role.SEP10: "SOZU_SEP10_SIGNING_SEED",
    ServiceKey.Role.SPONSOR: "SOZU_SPONSOR_SEED",
    ServiceKey.Role.RECOVERY: "SOZU_RECOVERY_SEED",
}


def service_keypair(role: ServiceKey.Role) -> Keypair:
    """The role's keypair: from the environment, the encrypted store, or made now and stored."""
    seed = os.environ.get(ENV[role], "").strip()
    if seed:
        return Keypair.from_secret(seed)
    row = ServiceKey.objects.filter(role=role).first()
    if row is None:
        fresh = Keypair.random()
        try:
            with transaction.atomic():
                row = ServiceKey.objects.create(
                    role=role,
                    public_key=fresh.public_key,
                    ciphertext=master_box().encrypt(fresh.secret),
                )
        except IntegrityError:  # another process made it first: use theirs
            row = ServiceKey.objects.get(role=role)
    return Keypair.from_secret(master_box().decrypt(row.ciphertext))


def service_public_key(role: ServiceKey.Role) -> str:
    return service_keypair(role).public_key
