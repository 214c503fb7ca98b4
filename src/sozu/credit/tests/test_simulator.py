"""Schedules and rates against independent references: numpy-financial and the BCRA's formula."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy_financial as npf
import pytest

from sozu.credit.errors import SozuError
from sozu.credit.simulator import (
    LoanTerms,
    Simulation,
    add_months,
    next_business_day,
    simulate,
)


def sim(**overrides: Any) -> Simulation:
    inputs: dict[str, Any] = {
        "amount": "100000",
        "cuotas": 12,
        "frequency": "monthly",
        "tna": "60",
        "system": "french",
        "iva": "21",
        "first_due": "2026-01-15",
    }
    inputs.update(overrides)
    return simulate(**inputs)


def to_cents(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(
    ("amount", "cuotas", "frequency", "tna", "periods_a_year"),
    [
        ("100000", 12, "monthly", "60", 12),
        ("250000", 24, "monthly", "95.5", 12),
        ("50000", 16, "weekly", "120", 365 / 7),
        ("80000", 10, "biweekly", "75", 365 / 14),
        ("1234.56", 6, "monthly", "0", 12),
    ],
)
def test_french_cuotas_match_numpy_financial(amount, cuotas, frequency, tna, periods_a_year):
    result = sim(amount=amount, cuotas=cuotas, frequency=frequency, tna=tna, iva="0")
    rate = float(tna) / 100 / periods_a_year
    pmt = -npf.pmt(rate, cuotas, float(amount)) if rate else float(amount) / cuotas

    # Every cuota but the last (which absorbs the rounding) is the annuity, to the cent.
    for row in result.rows[:-1]:
        assert row.capital + row.interest == to_cents(pmt)
    # Each row's interest follows numpy-financial's ipmt within the cents the rounding moves.
    for row in result.rows:
        expected = -npf.ipmt(rate, row.number, cuotas, float(amount)) if rate else 0.0
        assert abs(row.interest - Decimal(repr(float(expected)))) <= Decimal("0.05")
    assert abs(result.rows[-1].capital + result.rows[-1].interest - to_cents(pmt)) <= Decimal(
        "0.10"
    )


def test_german_capital_is_equal_and_interest_falls_with_the_balance() -> None:
    result = sim(system="german", iva="0")
    assert {r.capital for r in result.rows[:-1]} == {Decimal("8333.33")}
    assert result.rows[-1].capital == Decimal("8333.37")  # 100000 - 11 x 8333.33
    assert result.rows[0].interest == Decimal("5000.00")  # 5 % of 100000
    assert result.rows[1].interest == Decimal("4583.33")  # 5 % of 91666.67
    assert [r.interest for r in result.rows] == sorted(
        (r.interest for r in result.rows), reverse=True
    )


def test_flat_interest_is_charged_on_the_original_amount_every_period() -> None:
    result = sim(system="flat", iva="10.5")
    assert {r.interest for r in result.rows} == {Decimal("5000.00")}
    assert {r.iva for r in result.rows} == {Decimal("525.00")}
    assert result.totals["interest"] == Decimal("60000.00")


def test_tea_of_a_60_percent_tna_with_monthly_cuotas() -> None:
    # The conversion Argentine banks publish next to each TNA: TEA = (1 + TNA/12)^12 - 1.
    # For TNA 60 %: 1.05^12 - 1 = 0.795856…, i.e. the 79.59 % quoted beside "TNA 60 %".
    expected = Decimal("1.05") ** 12 - 1
    result = sim()
    assert result.as_dict()["rates"]["tea"] == str((expected * 100).quantize(Decimal("0.0001")))
    assert result.as_dict()["rates"]["tea"] == "79.5856"
    assert result.as_dict()["rates"]["period_rate"] == "5.000000"


def test_cft_worked_example_with_one_cuota_by_hand() -> None:
    # BCRA, Comunicación "A" 3052 (Protección de los usuarios de servicios financieros): the CFT
    # is the rate that equates what she receives with everything she pays, fees and IVA
    # included, expressed as an effective annual rate. Worked by hand for one monthly cuota:
    # lent 100,000 at TNA 60 % → interest 5,000 and IVA 21 % 1,050; a 3 % origination fee
    # (3,000 + IVA 630) is withheld, so she receives 96,370 and pays 106,050 a month later.
    # The monthly rate is 106050/96370 - 1; nominal x 12; effective (1 + r)^12 - 1.
    result = sim(cuotas=1, origination_fee="3")
    assert result.net_disbursed == Decimal("96370.00")
    assert result.rows[0].total == Decimal("106050.00")
    r = Decimal(106050) / Decimal(96370) - 1
    rates = result.as_dict()["rates"]
    assert rates["cft_nominal"] == str((r * 12 * 100).quantize(Decimal("0.0001")))
    assert rates["cft_effective"] == str((((1 + r) ** 12 - 1) * 100).quantize(Decimal("0.0001")))
    # Without IVA: she receives 97,000 and pays 105,000.
    r0 = Decimal(105000) / Decimal(97000) - 1
    assert rates["cft_effective_without_iva"] == str(
        (((1 + r0) ** 12 - 1) * 100).quantize(Decimal("0.0001"))
    )


@pytest.mark.parametrize("system", ["french", "german", "flat"])
@pytest.mark.parametrize("frequency", ["weekly", "biweekly", "monthly"])
def test_cft_matches_the_irr_numpy_financial_finds_for_the_same_flows(system, frequency) -> None:
    result = sim(
        system=system, frequency=frequency, cuotas=10, origination_fee="2.5", insurance="0.3"
    )
    flows = [float(result.net_disbursed)] + [-float(r.total) for r in result.rows]
    reference = npf.irr(flows)
    per_year = {"monthly": 12, "weekly": 365 / 7, "biweekly": 365 / 14}[frequency]
    assert abs(float(result.cft_nominal) - reference * per_year) < 1e-9
    assert abs(float(result.cft_effective) - ((1 + reference) ** per_year - 1)) < 1e-9
    # The CFT with IVA costs more than without it, which costs more than the bare TNA.
    assert result.cft_effective > result.cft_effective_without_iva > result.tea


def test_a_zero_rate_loan_without_fees_costs_nothing() -> None:
    result = sim(tna="0", iva="0")
    assert result.cft_effective == 0
    assert result.totals["total"] == Decimal("100000")


def test_monthly_due_dates_keep_the_day_and_clamp_to_the_month_end() -> None:
    result = sim(first_due="2026-01-31", cuotas=4)
    assert [r.due_date for r in result.rows] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
    ]
    assert add_months(dt.date(2027, 12, 31), 2, 31) == dt.date(2028, 2, 29)


def test_due_dates_on_weekends_and_holidays_move_to_the_next_business_day() -> None:
    # 2026-02-15 is a Sunday and the 16th and 17th are Carnival: the cuota is due on the 18th.
    # 2026-03-24 (Día de la Memoria) is a holiday: due on the 25th.
    assert next_business_day(dt.date(2026, 2, 15)) == dt.date(2026, 2, 18)
    assert next_business_day(dt.date(2026, 3, 24)) == dt.date(2026, 3, 25)
    moved = sim(first_due="2026-01-15", business_days=True)
    assert moved.rows[1].nominal_date == dt.date(2026, 2, 15)
    assert moved.rows[1].due_date == dt.date(2026, 2, 18)
    assert moved.as_dict()["schedule"][1]["moved"] is True
    # The amounts follow the periods, not the moved dates: same schedule either way.
    plain = sim(first_due="2026-01-15")
    assert [r.total for r in plain.rows] == [r.total for r in moved.rows]
    assert plain.rows[1].due_date == dt.date(2026, 2, 15)


def test_weekly_and_biweekly_due_dates_step_by_7_and_14_days() -> None:
    weekly = sim(frequency="weekly", cuotas=3, first_due="2026-05-04")
    assert [r.due_date for r in weekly.rows] == [
        dt.date(2026, 5, 4),
        dt.date(2026, 5, 11),
        dt.date(2026, 5, 18),
    ]
    biweekly = sim(frequency="biweekly", cuotas=2, first_due="2026-05-04")
    assert biweekly.rows[1].due_date == dt.date(2026, 5, 18)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("amount", "0", "credit_amount_invalid"),
        ("amount", "10.005", "credit_amount_invalid"),
        ("amount", "mil", "credit_amount_invalid"),
        ("amount", 100.5, "credit_amount_invalid"),
        ("cuotas", "0", "credit_cuotas_invalid"),
        ("cuotas", "361", "credit_cuotas_invalid"),
        ("frequency", "daily", "credit_frequency_invalid"),
        ("system", "american", "credit_system_invalid"),
        ("tna", "-1", "credit_tna_invalid"),
        ("tna", "NaN", "credit_tna_invalid"),
        ("tna", "1e999999999", "credit_tna_invalid"),  # never expanded to a billion digits
        ("amount", "1e999999999", "credit_amount_invalid"),
        ("amount", "\u0661\u0660\u0660\u0660", "credit_amount_invalid"),  # Arabic-Indic digits
        ("iva", "27", "credit_iva_invalid"),
        ("origination_fee", "101", "credit_fee_invalid"),
        ("origination_fee", "90", "credit_fee_invalid"),  # 90 % + 21 % IVA leaves nothing
        ("first_due", "2026-02-30", "credit_date_invalid"),
    ],
)
def test_bad_input_is_refused_with_a_specific_error(field, value, code) -> None:
    with pytest.raises(SozuError) as exc:
        sim(**{field: value})
    assert exc.value.code == code
    assert exc.value.message != code  # a sentence, not the bare code


def test_the_result_as_a_dict_carries_amounts_as_strings() -> None:
    data = sim().as_dict()
    row = data["schedule"][0]
    assert all(isinstance(row[k], str) for k in ("capital", "interest", "iva", "total"))
    assert data["totals"]["capital"] == "100000.00"
    assert data["rates"]["unit"] == "percent"


def test_terms_can_be_built_once_and_simulated() -> None:
    terms = LoanTerms.parse(
        amount="5000",
        cuotas=3,
        frequency="monthly",
        tna="48",
        system="german",
        iva="0",
        first_due=dt.date(2026, 6, 10),
    )
    assert simulate(terms).rows[-1].balance == 0


def test_amounts_and_rates_in_exponent_notation_are_refused_and_decimals_print_plainly() -> None:
    for field, value in (("amount", "1E+3"), ("tna", "6E+1")):
        with pytest.raises(SozuError):
            sim(**{field: value})
    data = sim(amount=Decimal("1E+3"), tna=Decimal("6E+1")).as_dict()
    assert (data["inputs"]["amount"], data["rates"]["tna"]) == ("1000", "60")


def test_a_fee_that_leaves_almost_nothing_shows_its_enormous_cost() -> None:
    # 82.6 % + 21 % IVA withholds 999,460 of 1,000,000: she receives 540 and owes 1,060,500.
    result = sim(amount="1000000", cuotas=1, origination_fee="82.6", iva="21")
    assert result.net_disbursed == Decimal("540.00")
    r = Decimal("1060500") / Decimal("540") - 1
    assert abs(result.cft_nominal - r * 12) < Decimal("1e-18")
