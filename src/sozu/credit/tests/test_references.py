"""Loan references (SZ-…): round trip, forgiving reading, every single-symbol typo refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stellar_sdk import Keypair, MuxedAccount

from sozu.credit.references import (
    ALPHABET,
    loan_id_from_reference,
    loan_muxed_address,
    loan_reference,
)


def test_a_reference_is_short_and_fits_a_memo() -> None:
    assert loan_reference(24) == "SZ-0000RF"
    assert len(loan_reference(10**12).encode()) <= 28


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_every_id_reads_back(loan_id: int) -> None:
    ref = loan_reference(loan_id)
    assert loan_id_from_reference(ref) == loan_id
    assert loan_id_from_reference(" " + ref.lower().replace("-", " ") + " ") == loan_id


def test_look_alikes_are_read_as_the_symbols_they_resemble() -> None:
    ref = loan_reference(1)  # SZ-00001Y
    assert loan_id_from_reference(ref.replace("0", "O").replace("1", "l")) == 1


@pytest.mark.parametrize("loan_id", [1, 24, 999, 123_456, 33_554_431])
def test_every_single_symbol_typo_and_almost_every_adjacent_swap_is_refused(loan_id: int) -> None:
    ref = loan_reference(loan_id)
    code = ref[3:]
    for i, symbol in enumerate(code):
        for other in ALPHABET:
            if other != symbol:
                typo = "SZ-" + code[:i] + other + code[i + 1 :]
                assert loan_id_from_reference(typo) is None, typo
    for i in range(len(code) - 1):
        # Luhn mod 32 misses one swap only: 0 and Z (values 0 and 31) side by side.
        if code[i] != code[i + 1] and {code[i], code[i + 1]} != {"0", "Z"}:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert loan_id_from_reference("SZ-" + swapped) is None, swapped


@pytest.mark.parametrize(
    "memo", ["", "cuota marzo", "SZ-", "SZ-00000", "SOZU-24", "24", "SZ-0000RF9"]
)
def test_other_memos_name_no_loan(memo: str) -> None:
    assert loan_id_from_reference(memo) is None


def test_the_muxed_address_is_the_wallet_with_the_loan_id() -> None:
    wallet = Keypair.random().public_key
    muxed = MuxedAccount.from_account(loan_muxed_address(wallet, 24))
    assert (muxed.account_id, muxed.account_muxed_id) == (wallet, 24)
