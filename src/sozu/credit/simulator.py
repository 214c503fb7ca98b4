"""The loan simulator: a schedule of cuotas and its rates (TEA, CFT), pure Decimal arithmetic.

Conventions (the same ones docs/credit.md documents and the simulator page shows):

- Rates are given and shown in percent. The period rate is TNA/12 for monthly cuotas, as
  Argentine banks publish their schedules, and TNA x 7/365 or TNA x 14/365 for weekly and
  biweekly ones.
- Systems: French (equal cuotas of capital + interest), German (equal capital, interest on the
  balance) and flat (interest on the original amount every period, common in microfinance).
- Every amount rounds to cents, half-up, with Decimal (never float). Each row's interest is
  the rounded period rate on the balance owed (on the original amount for flat); IVA is the
  rounded rate on that interest. The last cuota absorbs the rounding: capital sums exactly to
  the amount and the balance ends at zero; a row never takes more capital than is owed.
- Optional origination fee: a percent of the amount withheld when the loan is paid out (IVA
  applies to it at the same rate as to interest). Optional insurance (seguro sobre saldo
  deudor): a percent per period of the balance at the start of the period, IVA exempt.
- TEA = (1 + period rate)^(periods per year) - 1, with 12, 365/7 or 365/14 periods a year.
- CFT, as the BCRA defines it (Comunicación "A" 3052 and the "Protección de los usuarios de
  servicios financieros" rules): the rate that makes what she receives equal to the present
  value of everything she pays, interest, fees, insurance and taxes included. Here r is the
  IRR per period of the flows (+ amount - fee - its IVA at time 0, - each cuota at period k);
  the CFT nominal is r x periods per year and the effective one (1 + r)^(periods per year) - 1;
  "with IVA" counts the IVA in the flows, "without IVA" leaves it out. Periods are counted as
  equal periods (the convention of the schedule itself), even when a due date moved to the next
  business day.
- Due dates: the first due date is given; monthly ones keep its day of the month (clamped to
  the month's end: 31 → 30 → 28/29); weekly and biweekly add 7 or 14 days. With
  `business_days=True` (what loans use) a date on a weekend or an Argentine public holidays
  (the `holidays` package) moves to the next business day; each row keeps both dates.
- The IRR is solved by bisection in Decimal arithmetic (prec 40) to within 1e-24 per period.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sozu.credit.errors import SozuError

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
MAX_CUOTAS = 360
MAX_TNA = Decimal(1000)
MAX_AMOUNT = Decimal("1000000000000")
IRR_TOLERANCE = Decimal("1e-24")
_CTX = Context(prec=40)


class Frequency(StrEnum):
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class System(StrEnum):
    FRENCH = "french"
    GERMAN = "german"
    FLAT = "flat"


#: The IVA rates on interest a product may use, in percent (0 = exempt).
IVA_RATES = (Decimal(21), Decimal("10.5"), ZERO)


def cents(value: Decimal) -> Decimal:
    """Rounded to cents, half-up (the only rounding of amounts in the credit domain)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def periods_per_year(frequency: Frequency) -> Decimal:
    with localcontext(_CTX):
        if frequency is Frequency.MONTHLY:
            return Decimal(12)
        return Decimal(365) / (7 if frequency is Frequency.WEEKLY else 14)


def period_rate(tna: Decimal, frequency: Frequency) -> Decimal:
    """The rate of one period as a fraction (not percent): TNA/12, TNA x 7/365, TNA x 14/365."""
    with localcontext(_CTX):
        annual = tna / HUNDRED
        if frequency is Frequency.MONTHLY:
            return annual / 12
        return annual * (7 if frequency is Frequency.WEEKLY else 14) / 365


def effective_annual(rate: Decimal, frequency: Frequency) -> Decimal:
    """(1 + rate)^(periods per year) - 1, as a fraction."""
    with localcontext(_CTX):
        return (ONE + rate) ** periods_per_year(frequency) - ONE


# --- due dates ---------------------------------------------------------------------------


def add_months(start: dt.date, months: int, day: int) -> dt.date:
    """The date `months` after start's month on `day`, clamped to the month's last day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day, last))


@lru_cache(maxsize=64)
def _argentine_holidays(year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays("AR", years=year).keys())


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _argentine_holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """`day` itself if it is a business day in Argentina, else the next one."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def nominal_due_dates(
    first: dt.date, count: int, frequency: Frequency, day_of_month: int | None = None
) -> list[dt.date]:
    """Monthly dates fall on `day_of_month` (default: the first date's day), clamped."""
    if frequency is Frequency.MONTHLY:
        return [add_months(first, k, day_of_month or first.day) for k in range(count)]
    step = dt.timedelta(days=7 if frequency is Frequency.WEEKLY else 14)
    return [first + step * k for k in range(count)]


def first_due_date(paid_on: dt.date, frequency: Frequency) -> dt.date:
    """The first due date of a schedule that starts on the day the loan is paid out."""
    if frequency is Frequency.MONTHLY:
        return add_months(paid_on, 1, paid_on.day)
    return paid_on + dt.timedelta(days=7 if frequency is Frequency.WEEKLY else 14)


# --- inputs -------------------------------------------------------------------------------


#: Plain decimal notation only: ASCII digits, one optional "." or ",", at most 30 characters
#: (no exponent: "1e999999999" would otherwise expand to a billion digits).
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,20}(?:[.,][0-9]{1,10})?")


def _decimal(value: Any, code: str, **params: Any) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool):
        raise SozuError(code, value=value, **params)
    if isinstance(value, Decimal | int):
        text = f"{Decimal(value):f}"
    else:
        text = str(value).strip()
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise SozuError(code, value=str(value)[:40], **params)
    try:
        return Decimal(text.replace(",", "."))
    except (InvalidOperation, ValueError):
        raise SozuError(code, value=str(value)[:40], **params) from None


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SozuError("credit_date_invalid", value=value) from None


@dataclass(frozen=True)
class LoanTerms:
    """What a simulation needs: validated, in Decimal; rates in percent.

    Build it with `LoanTerms.parse(...)` from user input (strings, ints or Decimals): bad input
    raises SozuError with a specific code, never an exception of the arithmetic.
    """

    amount: Decimal
    cuotas: int
    frequency: Frequency
    tna: Decimal
    system: System
    iva: Decimal
    first_due: dt.date
    origination_fee: Decimal = ZERO
    insurance: Decimal = ZERO
    business_days: bool = False
    #: Monthly cuotas fall on this day (clamped to the month's end); default the first's day.
    #: A loan paid out on the 31st keeps the 31st even when its first cuota falls on the 28th.
    day_of_month: int | None = None

    @classmethod
    def parse(
        cls,
        *,
        amount: Any,
        cuotas: Any,
        frequency: Any,
        tna: Any,
        system: Any,
        iva: Any,
        first_due: Any,
        origination_fee: Any = 0,
        insurance: Any = 0,
        business_days: bool = False,
        day_of_month: int | None = None,
    ) -> LoanTerms:
        value = _decimal(amount, "credit_amount_invalid")
        if value <= 0 or value > MAX_AMOUNT or value != value.quantize(CENT):
            raise SozuError("credit_amount_invalid", value=amount)
        try:
            count = int(str(cuotas).strip())
        except ValueError:
            raise SozuError("credit_cuotas_invalid", value=cuotas, max=MAX_CUOTAS) from None
        if not 1 <= count <= MAX_CUOTAS:
            raise SozuError("credit_cuotas_invalid", value=cuotas, max=MAX_CUOTAS)
        try:
            freq = Frequency(str(frequency).strip().lower())
        except ValueError:
            raise SozuError("credit_frequency_invalid", value=frequency) from None
        try:
            sys_ = System(str(system).strip().lower())
        except ValueError:
            raise SozuError("credit_system_invalid", value=system) from None
        rate = _decimal(tna, "credit_tna_invalid", max=MAX_TNA)
        if not ZERO <= rate <= MAX_TNA:
            raise SozuError("credit_tna_invalid", value=tna, max=MAX_TNA)
        iva_rate = _decimal(iva, "credit_iva_invalid")
        if iva_rate not in IVA_RATES:
            raise SozuError("credit_iva_invalid", value=iva)
        fees = {}
        for name, raw in (("origination_fee", origination_fee), ("insurance", insurance)):
            fee = _decimal(raw or 0, "credit_fee_invalid", field=name)
            if not ZERO <= fee <= HUNDRED:
                raise SozuError("credit_fee_invalid", field=name, value=raw)
            fees[name] = fee
        # She must receive something: the fee and its IVA cannot take the whole amount.
        if fees["origination_fee"] * (HUNDRED + iva_rate) >= HUNDRED * HUNDRED:
            raise SozuError("credit_fee_invalid", field="origination_fee", value=origination_fee)
        return cls(
            amount=value,
            cuotas=count,
            frequency=freq,
            tna=rate,
            system=sys_,
            iva=iva_rate,
            first_due=parse_date(first_due),
            origination_fee=fees["origination_fee"],
            insurance=fees["insurance"],
            business_days=business_days,
            day_of_month=day_of_month if day_of_month and 1 <= day_of_month <= 31 else None,
        )


# --- output -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRow:
    """One cuota: what she pays on `due_date` and what she still owes after it."""

    number: int
    due_date: dt.date
    #: The date before moving it to a business day (equal to due_date when it did not move).
    nominal_date: dt.date
    capital: Decimal
    interest: Decimal
    iva: Decimal
    #: Insurance on the balance (IVA exempt).
    fees: Decimal
    total: Decimal
    balance: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "due_date": self.due_date.isoformat(),
            "nominal_date": self.nominal_date.isoformat(),
            "moved": self.due_date != self.nominal_date,
            "capital": str(self.capital),
            "interest": str(self.interest),
            "iva": str(self.iva),
            "fees": str(self.fees),
            "total": str(self.total),
            "balance": str(self.balance),
        }


def percent(rate: Decimal, places: str = "0.0001") -> Decimal:
    """A fraction shown as a percent, rounded half-up (60% → Decimal('60.0000'))."""
    return (rate * HUNDRED).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Simulation:
    """The schedule and its rates. Rates are fractions; `as_dict` shows them in percent."""

    terms: LoanTerms
    rows: list[ScheduleRow]
    period_rate: Decimal
    tea: Decimal
    #: Withheld when paid out: the origination fee and its IVA.
    origination_fee: Decimal
    origination_fee_iva: Decimal
    cft_nominal: Decimal
    cft_effective: Decimal
    cft_nominal_without_iva: Decimal
    cft_effective_without_iva: Decimal
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def net_disbursed(self) -> Decimal:
        return self.terms.amount - self.origination_fee - self.origination_fee_iva

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        return {
            "inputs": {
                "amount": str(t.amount),
                "cuotas": t.cuotas,
                "frequency": t.frequency.value,
                "tna": str(t.tna),
                "system": t.system.value,
                "iva": str(t.iva),
                "origination_fee": str(t.origination_fee),
                "insurance": str(t.insurance),
                "first_due": t.first_due.isoformat(),
                "business_days": t.business_days,
            },
            "schedule": [row.as_dict() for row in self.rows],
            "totals": {k: str(v) for k, v in self.totals.items()},
            "origination_fee": str(self.origination_fee),
            "origination_fee_iva": str(self.origination_fee_iva),
            "net_disbursed": str(self.net_disbursed),
            "rates": {
                "tna": str(t.tna),
                "period_rate": str(percent(self.period_rate, "0.000001")),
                "tea": str(percent(self.tea)),
                "cft_nominal": str(percent(self.cft_nominal)),
                "cft_effective": str(percent(self.cft_effective)),
                "cft_nominal_without_iva": str(percent(self.cft_nominal_without_iva)),
                "cft_effective_without_iva": str(percent(self.cft_effective_without_iva)),
                "unit": "percent",
            },
        }


# --- the schedule -------------------------------------------------------------------------


def french_cuota(amount: Decimal, rate: Decimal, count: int) -> Decimal:
    """The equal cuota (capital + interest) of the French system, rounded to cents."""
    with localcontext(_CTX):
        if rate == 0:
            return cents(amount / count)
        return cents(amount * rate / (ONE - (ONE + rate) ** -count))


def _capital_parts(terms: LoanTerms, rate: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(capital, interest) per row; the last one takes whatever capital is left."""
    amount, count = terms.amount, terms.cuotas
    balance = amount
    parts: list[tuple[Decimal, Decimal]] = []
    cuota = french_cuota(amount, rate, count) if terms.system is System.FRENCH else ZERO
    even = cents(amount / count)
    flat_interest = cents(amount * rate)
    for number in range(1, count + 1):
        interest = flat_interest if terms.system is System.FLAT else cents(balance * rate)
        if number == count:
            capital = balance
        elif terms.system is System.FRENCH:
            capital = cuota - interest
        else:
            capital = even
        # Rounding never takes more than is owed, nor less than nothing.
        capital = min(max(capital, ZERO), balance)
        balance -= capital
        parts.append((capital, interest))
    return parts


def build_schedule(terms: LoanTerms) -> list[ScheduleRow]:
    rate = period_rate(terms.tna, terms.frequency)
    iva_rate = terms.iva / HUNDRED
    insurance_rate = terms.insurance / HUNDRED
    dates = nominal_due_dates(terms.first_due, terms.cuotas, terms.frequency, terms.day_of_month)
    balance = terms.amount
    rows = []
    for number, ((capital, interest), nominal) in enumerate(
        zip(_capital_parts(terms, rate), dates, strict=True), start=1
    ):
        iva = cents(interest * iva_rate)
        fees = cents(balance * insurance_rate)
        balance -= capital
        rows.append(
            ScheduleRow(
                number=number,
                due_date=next_business_day(nominal) if terms.business_days else nominal,
                nominal_date=nominal,
                capital=capital,
                interest=interest,
                iva=iva,
                fees=fees,
                total=capital + interest + iva + fees,
                balance=balance,
            )
        )
    return rows


# --- rates --------------------------------------------------------------------------------


def npv(rate: Decimal, flows: list[Decimal]) -> Decimal:
    """Present value at `rate` per period of flows[k] at period k."""
    with localcontext(_CTX):
        factor = ONE / (ONE + rate)
        discount = ONE
        total = ZERO
        for flow in flows:
            total += flow * discount
            discount *= factor
        return total


def irr(flows: list[Decimal]) -> Decimal:
    """The rate per period at which the flows' present value is zero (Decimal bisection).

    The flows are a loan's: one inflow first, then outflows, so the present value rises with
    the rate (later payments weigh less) and the root is unique. Solved to within
    IRR_TOLERANCE; never uses float.
    """
    with localcontext(_CTX):
        low, high = ZERO, ONE
        if npv(low, flows) >= 0:
            # She pays back no more than she got: the cost is zero (a negative one is not shown).
            return ZERO
        while npv(high, flows) < 0:
            high *= 2
            if high > 10**12:
                raise ArithmeticError("no IRR for these flows")
        while high - low > IRR_TOLERANCE:
            mid = (low + high) / 2
            if npv(mid, flows) < 0:
                low = mid
            else:
                high = mid
        return (low + high) / 2


def simulate(terms: LoanTerms | None = None, **inputs: Any) -> Simulation:
    """The schedule and rates of a loan: `simulate(terms)` or `simulate(amount=…, …)`.

    Keyword inputs are those of LoanTerms.parse (strings are fine); bad input raises SozuError.
    """
    if terms is None:
        terms = LoanTerms.parse(**inputs)
    elif inputs:
        raise TypeError("give either terms or keyword inputs, not both")
    rate = period_rate(terms.tna, terms.frequency)
    rows = build_schedule(terms)
    fee = cents(terms.amount * terms.origination_fee / HUNDRED)
    fee_iva = cents(fee * terms.iva / HUNDRED)
    if terms.amount - fee - fee_iva <= 0:
        # Rounding to cents can leave nothing to receive on a tiny amount: refuse, as parse does.
        raise SozuError("credit_fee_invalid", field="origination_fee", value=terms.origination_fee)
    with_iva = [terms.amount - fee - fee_iva] + [-row.total for row in rows]
    without_iva = [terms.amount - fee] + [-(row.total - row.iva) for row in rows]
    per_year = periods_per_year(terms.frequency)
    try:
        cft = irr(with_iva)
        cft_no_iva = irr(without_iva)
    except ArithmeticError:
        # Only a fee that leaves her almost nothing gets here (a cost beyond 10^14 % a period).
        raise SozuError(
            "credit_fee_invalid", field="origination_fee", value=terms.origination_fee
        ) from None
    with localcontext(_CTX):
        totals = {
            "capital": sum((r.capital for r in rows), ZERO),
            "interest": sum((r.interest for r in rows), ZERO),
            "iva": sum((r.iva for r in rows), ZERO),
            "fees": sum((r.fees for r in rows), ZERO),
            "total": sum((r.total for r in rows), ZERO),
        }
        return Simulation(
            terms=terms,
            rows=rows,
            period_rate=rate,
            tea=effective_annual(rate, terms.frequency),
            origination_fee=fee,
            origination_fee_iva=fee_iva,
            cft_nominal=cft * per_year,
            cft_effective=effective_annual(cft, terms.frequency),
            cft_nominal_without_iva=cft_no_iva * per_year,
            cft_effective_without_iva=effective_annual(cft_no_iva, terms.frequency),
            totals=totals,
        )
