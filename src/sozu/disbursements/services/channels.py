"""Channel accounts: created and funded by the org wallet, their secrets stored encrypted."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from stellar_sdk import Keypair

from sozu.audit.services import Entry, audit_record
from sozu.disbursements.models import ChannelAccount
from sozu.orgs.masterkey import master_box
from sozu.orgs.models import Organization, StoredSecret
from sozu.stellar import network

CHANNEL_XLM = Decimal("5")


def channels_add(
    *, organization: Organization, count: int, actor: str, xlm_each: Decimal = CHANNEL_XLM
) -> list[ChannelAccount]:
    """Create `count` channels funded by the org wallet, stored (encrypted) before funding."""
    from sozu.orgs.services import wallet_keypair

    wallet = wallet_keypair(organization)
    keys = [Keypair.random() for _ in range(count)]
    box = master_box()
    with transaction.atomic():
        # Secrets first, disabled: a crash after funding must never strand funded keys.
        channels = []
        for k in keys:
            StoredSecret.objects.create(
                organization=organization,
                public_key=k.public_key,
                role=StoredSecret.Role.CHANNEL,
                ciphertext=box.encrypt(k.secret),
            )
            channels.append(
                ChannelAccount.objects.create(
                    organization=organization,
                    public_key=k.public_key,
                    next_sequence=0,
                    disabled=True,
                )
            )
    sequences = network.create_accounts(wallet, keys, xlm_each=xlm_each)
    with transaction.atomic():
        for ch in channels:
            ch.next_sequence = sequences[ch.public_key]
            ch.disabled = False
            ch.save(update_fields=["next_sequence", "disabled"])
        audit_record(
            organization_id=organization.pk,
            entry=Entry(
                actor,
                "channels.created",
                "organization",
                organization.pk,
                {"channels": [c.public_key for c in channels], "xlm_each": str(xlm_each)},
            ),
        )
    return channels


def channels_recover(*, organization: Organization, actor: str) -> int:
    """After an interrupted setup: enable stored channels that exist on the network, drop the
    ones that were never created (their keys hold nothing). Returns the usable channel count."""
    pending = list(
        ChannelAccount.objects.filter(organization=organization, disabled=True, next_sequence=0)
    )
    for ch in pending:
        info = network.client().account(ch.public_key)
        with transaction.atomic():
            if info is None:
                StoredSecret.objects.filter(public_key=ch.public_key).delete()
                ch.delete()
            else:
                ch.next_sequence, ch.disabled = info.sequence + 1, False
                ch.save(update_fields=["next_sequence", "disabled"])
                audit_record(
                    organization_id=organization.pk,
                    entry=Entry(
                        actor,
                        "channels.recovered",
                        "organization",
                        organization.pk,
                        {"channel": ch.public_key},
                    ),
                )
    return ChannelAccount.objects.filter(organization=organization, disabled=False).count()
