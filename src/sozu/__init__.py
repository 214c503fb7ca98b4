"""Sozu: microcredit disbursements in USDC on Stellar."""
