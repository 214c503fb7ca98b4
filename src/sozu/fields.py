"""Model fields shared by the apps."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import exceptions
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.utils.translation import gettext_lazy as _

#: Stroops per unit: Stellar amounts have exactly 7 decimals.
STROOPS_PER_UNIT = 10_000_000
#: The largest amount a BIGINT column (and a Stellar operation) holds, in stroops.
MAX_STROOPS = 2**63 - 1


def decimal_to_stroops(amount: Decimal) -> int:
    """Exact: refuses an amount with more than 7 decimals rather than rounding it."""
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    coefficient = int("".join(map(str, digits)) or "0")
    shift = exponent + 7
    if shift >= 0:
        stroops = coefficient * 10**shift
    else:
        stroops, rest = divmod(coefficient, 10**-shift)
        if rest:
            raise ValueError(f"more than 7 decimals: {amount!r}")
    return -stroops if sign else stroops


def stroops_to_decimal(stroops: int) -> Decimal:
    """Exact, whatever the size: the Decimal with exactly 7 decimals."""
    digits = tuple(int(d) for d in str(abs(stroops)))
    return Decimal((int(stroops < 0), digits, -7))


class MoneyField(models.Field):
    """A USDC amount: `Decimal` with exactly 7 decimals in Python, integer stroops in the database.

    A BIGINT column on every backend, so what is stored, compared and summed (`Sum` comes
    back as an exact `Decimal` through `from_db_value`) is integer arithmetic. SQLite would
    store a `DecimalField` as REAL and sum it in floating point.
    """

    description = _("Amount with 7 decimals, stored as integer stroops")
    empty_strings_allowed = False
    default_error_messages = {
        "invalid": _(
            "“%(value)s” must be an amount with at most 7 decimals, up to 922337203685.4775807."
        ),
    }

    def get_internal_type(self) -> str:
        # The column type, and what Django's expressions convert results with (int()).
        return "BigIntegerField"

    def from_db_value(self, value: Any, expression: Expression, connection: Any) -> Decimal | None:
        if value is None:
            return None
        # int(): PostgreSQL's SUM(bigint) is NUMERIC (a Decimal with no fraction).
        return stroops_to_decimal(int(value))

    def to_python(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        invalid = exceptions.ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )
        if isinstance(value, float | bool):
            raise invalid  # money is never a float: a float already lost the amount meant
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
            stroops = decimal_to_stroops(amount)  # finite, at most 7 decimals
        except (InvalidOperation, ValueError):
            raise invalid from None
        if abs(stroops) > MAX_STROOPS:
            raise invalid
        return amount  # as given (like DecimalField); read back, it has 7 decimals

    def get_prep_value(self, value: Any) -> int | None:
        value = super().get_prep_value(value)
        amount = self.to_python(value)
        if amount is None:
            return None
        return decimal_to_stroops(amount)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return value

    def get_default(self) -> Any:
        return self.to_python(super().get_default())

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class or forms.DecimalField,
            choices_form_class=choices_form_class,
            **{"max_digits": 20, "decimal_places": 7, **kwargs},
        )
