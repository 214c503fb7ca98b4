"""A KMS or signing service can sign instead of the stored secrets (SOZU_SIGNER_BACKEND)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sozu.disbursements.models import Payout
from sozu.disbursements.tests.engine.helpers import create_and_execute, lines, run_worker
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import StoredSecret
from sozu.stellar.signers import KeypairSigner

pytestmark = pytest.mark.django_db(transaction=True)

SIGNED: list[str] = []


class ServiceSigner:
    """Stands where a remote signing service would: it signs hashes, it never hands out keys."""

    def __init__(self, public_key: str) -> None:
        secret = master_box().decrypt(StoredSecret.objects.get(public_key=public_key).ciphertext)
        self._inner = KeypairSigner(secret)

    @property
    def public_key(self) -> str:
        return self._inner.public_key

    def sign_hash(self, tx_hash: bytes) -> bytes:
        SIGNED.append(self.public_key)
        return self._inner.sign_hash(tx_hash)


def test_payments_are_signed_by_the_configured_signing_backend(
    make_org, make_recipient, localnet, settings
):
    org = make_org(channels=1)
    dest = make_recipient()
    settings.SOZU_SIGNER_BACKEND = f"{__name__}.ServiceSigner"
    SIGNED.clear()

    batch = create_and_execute(org, lines((dest, "4")))
    run_worker()

    assert batch.lines.get().status == Payout.Status.PAID
    channel = org.channels.get().public_key
    assert sorted(set(SIGNED)) == sorted({org.wallet_public_key, channel})
    assert localnet.usdc_balance(dest) == Decimal("5")
