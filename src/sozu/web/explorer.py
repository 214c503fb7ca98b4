"""Links to a transaction on a block explorer, by the network Sozu is configured for."""

from __future__ import annotations

from django.conf import settings
from stellar_sdk import Network

EXPLORERS = {
    Network.PUBLIC_NETWORK_PASSPHRASE: "https://stellar.expert/explorer/public/tx/",
    Network.TESTNET_NETWORK_PASSPHRASE: "https://stellar.expert/explorer/testnet/tx/",
}


def explorer_tx_url(tx_hash: str) -> str:
    """stellar.expert for testnet and pubnet; the local network's transaction record otherwise."""
    if not tx_hash:
        return ""
    base = EXPLORERS.get(settings.NETWORK_PASSPHRASE)
    if base:
        return base + tx_hash
    return f"{settings.HORIZON_URL}/transactions/{tx_hash}"
