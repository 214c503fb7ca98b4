"""How she points a payment at her loan: a muxed address and a short memo reference.

- The muxed address (M…) is the organization's wallet (G…) with the loan's id as the muxed id:
  any Stellar wallet can pay it, and Horizon reports the id back as `to_muxed_id`.
- The reference (e.g. ``SZ-0000RF`` for loan 24) is the loan's id in Crockford's base 32
  (no I, L, O, U), at least five symbols, and one check symbol (Luhn mod 32): a mistyped
  symbol, or two neighbours swapped (but 0 and Z), makes it invalid instead of naming another
  loan. It is unique because the id is, and fits a text memo (28 bytes). Reading forgives
  case, spaces, a missing hyphen and the usual look-alikes (O for 0, I and L for 1).
"""

from __future__ import annotations

import re

from stellar_sdk import MuxedAccount

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "SZ-"
MIN_DIGITS = 5
_BASE = len(ALPHABET)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(rf"^SZ-?([0-9A-Z]{{{MIN_DIGITS + 1},14}})$")


def _check_symbol(body: str) -> str:
    """Luhn mod N over the alphabet: catches every single-symbol error and every swap of two
    neighbouring symbols but 0 and Z."""
    factor, total = 2, 0
    for symbol in reversed(body):
        addend = factor * ALPHABET.index(symbol)
        factor = 1 if factor == 2 else 2
        total += addend // _BASE + addend % _BASE
    return ALPHABET[(_BASE - total % _BASE) % _BASE]


def _encode(number: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, _BASE)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(MIN_DIGITS, "0")


def loan_reference(loan_id: int) -> str:
    """The loan's payment reference, e.g. ``SZ-0000RF`` for loan 24."""
    if loan_id <= 0:
        raise ValueError("a loan id is positive")
    body = _encode(loan_id)
    return PREFIX + body + _check_symbol(body)


def loan_id_from_reference(text: str) -> int | None:
    """The loan id a memo names, or None when it is not a valid reference."""
    cleaned = re.sub(r"\s+", "", text or "").upper().translate(_LOOKALIKES)
    found = _SHAPE.match(cleaned)
    if found is None:
        return None
    code = found.group(1)
    body, check = code[:-1], code[-1]
    if any(c not in ALPHABET for c in code) or _check_symbol(body) != check:
        return None
    number = 0
    for symbol in body:
        number = number * _BASE + ALPHABET.index(symbol)
    return number or None


def loan_muxed_address(wallet: str, loan_id: int) -> str:
    """The organization's wallet with the loan's id as the muxed id (an M… address)."""
    return str(MuxedAccount(wallet, loan_id).account_muxed)
