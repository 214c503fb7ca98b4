"""Checking what an applicant writes: DNI or CUIL/CUIT, phone (E.164), Stellar address.

Each check returns the normalized value or raises SozuError with a code the form shows in
Spanish. Only ASCII digits count as digits: full-width or Arabic-Indic digits pass
`str.isdigit()` but are refused here, so the same person can never be stored twice under two
spellings of one number.
"""

from __future__ import annotations

from dataclasses import dataclass

from stellar_sdk import StrKey

from sozu.errors import SozuError

ASCII_DIGITS = frozenset("0123456789")
#: Separators people type inside a DNI or CUIL ("27-12.345.678-5").
ID_SEPARATORS = frozenset(" .-")
#: Separators people type inside a phone number ("+54 9 (11) 1234-5678").
PHONE_SEPARATORS = frozenset(" .-()")
#: CUIL/CUIT prefixes: 20, 23, 24, 27 for people; 30, 33, 34 for legal entities.
PERSON_PREFIXES = frozenset({"20", "23", "24", "27"})
ENTITY_PREFIXES = frozenset({"30", "33", "34"})
CUIL_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class NationalId:
    """A DNI (7 or 8 digits) or a CUIL/CUIT (11 digits), as digits only.

    `identity_key` names the person behind it, so that her DNI and her CUIL (which contains
    the DNI) count as the same person: "dni:01234567" for both; a legal entity's CUIT is
    its own key ("cuit:30…").
    """

    kind: str  # "dni" or "cuil"
    digits: str
    identity_key: str


def cuil_check_digit(first_ten: str) -> int | None:
    """The mod-11 check digit of a CUIL/CUIT, or None when no digit is valid (remainder 1)."""
    total = sum(int(d) * w for d, w in zip(first_ten, CUIL_WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None  # AFIP assigns another prefix (23/33) in this case
    return digit


def _only_ascii_digits(raw: str, separators: frozenset[str]) -> str | None:
    kept = []
    for ch in raw.strip():
        if ch in ASCII_DIGITS:
            kept.append(ch)
        elif ch not in separators:
            return None
    return "".join(kept)


def parse_national_id(raw: str) -> NationalId:
    """A DNI or CUIL/CUIT from what was typed, or SozuError naming what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise SozuError("national_id_missing")
    digits = _only_ascii_digits(text, ID_SEPARATORS)
    if digits is None:
        raise SozuError("national_id_invalid", value=text)
    if len(digits) in (7, 8):
        return NationalId("dni", digits, f"dni:{digits.zfill(8)}")
    if len(digits) != 11:
        raise SozuError("national_id_invalid", value=text)
    prefix = digits[:2]
    if prefix not in PERSON_PREFIXES | ENTITY_PREFIXES:
        raise SozuError("cuil_bad_prefix", value=text)
    if cuil_check_digit(digits[:10]) != int(digits[10]):
        raise SozuError("cuil_bad_check_digit", value=text)
    if prefix in PERSON_PREFIXES:
        return NationalId("cuil", digits, f"dni:{digits[2:10]}")
    return NationalId("cuil", digits, f"cuit:{digits}")


def parse_phone(raw: str) -> str:
    """An Argentine phone number in E.164 ("+5491112345678"), or "" when none was given.

    Accepted: "+54…" (or "0054…") with 10 national digits (landline) or 11 starting with 9
    (mobile); and the national mobile form "0 AREA 15 NUMBER" when exactly one place for "15"
    fits. A national number without "15" ("011 4321-1234") could be a landline or a mobile
    written without it, which differ in E.164 (the 9): we ask for the +54 form instead of
    guessing.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    plus = text.startswith("+")
    digits = _only_ascii_digits(text[1:] if plus else text, PHONE_SEPARATORS)
    if digits is None or not digits:
        raise SozuError("phone_invalid", value=text)
    if not plus and digits.startswith("00"):
        plus, digits = True, digits[2:]
    if plus:
        if not digits.startswith("54"):
            raise SozuError("phone_not_argentine", value=text)
        national = digits[2:]
        if len(national) == 10 and national[0] not in "09":
            return f"+54{national}"
        if len(national) == 11 and national[0] == "9" and national[1] != "0":
            return f"+54{national}"
        raise SozuError("phone_invalid", value=text)
    if digits.startswith("0") and len(digits) == 13:
        rest = digits[1:]
        # "15" after a 2-, 3- or 4-digit area code; area + number is always 10 digits.
        places = [a for a in (2, 3, 4) if rest[a : a + 2] == "15" and rest[0] != "0"]
        if len(places) == 1:
            a = places[0]
            return f"+549{rest[:a]}{rest[a + 2 :]}"
    raise SozuError("phone_ambiguous", value=text)


def parse_stellar_address(raw: str) -> str:
    """A Stellar account (G…) or muxed account (M…) address, validated by stellar_sdk."""
    text = (raw or "").strip()
    if not text:
        raise SozuError("address_missing")
    address = text.upper() if text.isascii() else text
    if StrKey.is_valid_ed25519_secret_seed(address):
        raise SozuError("address_is_secret")  # never echo a secret back
    if StrKey.is_valid_ed25519_public_key(address) or StrKey.is_valid_med25519_public_key(address):
        return address
    raise SozuError("invalid_address", address=text)
