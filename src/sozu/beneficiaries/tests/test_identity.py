"""What an operator types as DNI, CUIL and phone: normalized, or refused with the reason."""

from __future__ import annotations

import pytest
from django.utils import translation
from stellar_sdk import Keypair, MuxedAccount

from sozu.beneficiaries.identity import (
    parse_national_id,
    parse_phone,
    parse_stellar_address,
)
from sozu.errors import SozuError


@pytest.mark.parametrize(
    ("typed", "digits", "key"),
    [
        ("30111222", "30111222", "dni:30111222"),
        ("30.111.222", "30111222", "dni:30111222"),
        ("1.234.567", "1234567", "dni:01234567"),
        # The classic example: 20-12345678-6 (weights 5432765432, 11 - 148 % 11 = 6).
        ("20-12345678-6", "20123456786", "dni:12345678"),
        ("27 12345678 0", "27123456780", "dni:12345678"),
        ("30-71234567-1", "30712345671", "cuit:30712345671"),
        # Remainder 0 → check digit 0.
        ("23-00000000-0", "23000000000", "dni:00000000"),
    ],
)
def test_valid_dni_and_cuil_are_stored_as_digits(typed: str, digits: str, key: str) -> None:
    parsed = parse_national_id(typed)
    assert (parsed.digits, parsed.identity_key) == (digits, key)


def test_a_dni_and_the_cuil_that_contains_it_name_the_same_person() -> None:
    assert (
        parse_national_id("12.345.678").identity_key
        == parse_national_id("20-12345678-6").identity_key
    )


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "national_id_missing"),
        ("123456", "national_id_invalid"),  # 6 digits
        ("123456789", "national_id_invalid"),  # 9 digits
        ("30111222A", "national_id_invalid"),
        (
            "\uff13\uff10\uff11\uff11\uff11\uff12\uff12\uff12",
            "national_id_invalid",
        ),  # full-width digits
        ("٣٠١١١٢٢٢", "national_id_invalid"),  # Arabic-Indic digits
        ("20-12345678-5", "cuil_bad_check_digit"),
        ("21-12345678-6", "cuil_bad_prefix"),
        ("99-12345678-6", "cuil_bad_prefix"),
    ],
)
def test_bad_national_ids_are_refused_with_the_reason(typed: str, code: str) -> None:
    with pytest.raises(SozuError) as exc:
        parse_national_id(typed)
    assert exc.value.code == code


def test_the_check_digit_error_reads_in_spanish() -> None:
    with pytest.raises(SozuError) as exc:
        parse_national_id("20-12345678-5")
    with translation.override("es"):
        assert exc.value.message == "El dígito verificador del CUIL “20-12345678-5” es incorrecto."


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+54 9 11 1234-5678", "+5491112345678"),
        ("+54 (11) 4321-1234", "+541143211234"),
        ("0054 9 387 555 0101", "+5493875550101"),
        ("011 15-1234-5678", "+5491112345678"),
        ("0387 15 555-0101", "+5493875550101"),
        ("02944 15 12-3456", "+5492944123456"),
        ("", ""),
    ],
)
def test_phones_are_stored_in_e164(typed: str, e164: str) -> None:
    assert parse_phone(typed) == e164


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("011 4321-1234", "phone_ambiguous"),  # a landline, or a mobile without its 15?
        ("15-1234-5678", "phone_ambiguous"),  # no area code
        ("+1 415 555 0100", "phone_not_argentine"),
        ("+54 11 1234", "phone_invalid"),
        ("+54 9 11 15 1234 5678", "phone_invalid"),
        ("+54 ٩ 11 1234 5678", "phone_invalid"),  # an Arabic-Indic nine
        ("+54 9 11 1234 5678 int 2", "phone_invalid"),
    ],
)
def test_bad_or_ambiguous_phones_are_refused(typed: str, code: str) -> None:
    with pytest.raises(SozuError) as exc:
        parse_phone(typed)
    assert exc.value.code == code


def test_an_ambiguous_phone_asks_for_the_country_code_in_spanish() -> None:
    with pytest.raises(SozuError) as exc:
        parse_phone("011 4321-1234")
    with translation.override("es"):
        assert "+54 9" in exc.value.message and "011 4321-1234" in exc.value.message


def test_g_and_m_addresses_are_accepted_and_others_refused() -> None:
    g = Keypair.random().public_key
    m = str(MuxedAccount(g, 42).account_muxed)
    assert parse_stellar_address(f" {g} ") == g
    assert parse_stellar_address(g.lower()) == g
    assert parse_stellar_address(m) == m
    for bad, code in [
        ("", "address_missing"),
        (g[:-1] + ("B" if g[-1] == "A" else "A"), "invalid_address"),  # checksum broken
        ("GNOPE", "invalid_address"),
    ]:
        with pytest.raises(SozuError) as exc:
            parse_stellar_address(bad)
        assert exc.value.code == code
    secret = Keypair.random().secret
    with pytest.raises(SozuError) as exc:
        parse_stellar_address(secret)
    assert exc.value.code == "address_is_secret"
    assert secret not in exc.value.message and secret not in str(exc.value.as_dict())
