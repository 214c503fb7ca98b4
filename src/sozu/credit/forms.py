"""The simulator page's form: text in, the simulator's own refusals out, one per field.

The form does no arithmetic and no validation of its own beyond "required": every value goes
to `LoanTerms.parse`, whose SozuError codes become the error next to the field they are about.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sozu.credit.errors import SozuError
from sozu.credit.simulator import MAX_CUOTAS, MAX_TNA, LoanTerms, Simulation, simulate
from sozu.errors import message_for

#: Which field a simulator error code is about.
ERROR_FIELDS = {
    "credit_amount_invalid": "amount",
    "credit_cuotas_invalid": "cuotas",
    "credit_frequency_invalid": "frequency",
    "credit_system_invalid": "system",
    "credit_tna_invalid": "tna",
    "credit_iva_invalid": "iva",
    "credit_date_invalid": "first_due",
}

#: The fee fields as a sentence names them ("The origination fee must be between …").
FEE_NAMES = {"origination_fee": _("origination fee"), "insurance": _("insurance")}

#: Numeric fields and the simulator's code for a value that is not a number there.
NUMBER_CODES = {
    "amount": "credit_amount_invalid",
    "cuotas": "credit_cuotas_invalid",
    "tna": "credit_tna_invalid",
    "origination_fee": "credit_fee_invalid",
    "insurance": "credit_fee_invalid",
}
_MAXIMA = {"cuotas": MAX_CUOTAS, "tna": MAX_TNA}
_PLAIN_NUMBER = re.compile(r"^[-+]?[0-9][0-9.,]*$|^$")

#: Valid values used to check one field at a time (so every bad field gets its error at once).
_PROBE: dict[str, Any] = {
    "amount": "1000",
    "cuotas": 1,
    "frequency": "monthly",
    "tna": "0",
    "system": "french",
    "iva": "0",
    "first_due": "2026-01-15",
    "origination_fee": "0",
    "insurance": "0",
}

#: Fields given to the simulator, in its words.
SIMULATOR_FIELDS = tuple(_PROBE)


class SimulatorForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("ARS", "ARS ($)"), ("USDC", "USDC")], initial="ARS"
    )
    cuotas = forms.CharField(
        label=_("Cuotas"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"),
        choices=[
            ("weekly", _("Weekly")),
            ("biweekly", _("Biweekly")),
            ("monthly", _("Monthly")),
        ],
        initial="monthly",
    )
    tna = forms.CharField(
        label=_("TNA (%)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    system = forms.ChoiceField(
        label=_("Amortization system"),
        choices=[
            ("french", _("French (equal cuotas)")),
            ("german", _("German (equal capital)")),
            ("flat", _("Flat interest (direct)")),
        ],
        initial="french",
    )
    iva = forms.ChoiceField(
        label=_("IVA on interest"),
        choices=[("21", "21 %"), ("10.5", "10,5 %"), ("0", _("Exempt"))],
        initial="21",
    )
    first_due = forms.CharField(
        label=_("First due date"),
        max_length=20,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    origination_fee = forms.CharField(
        label=_("Origination fee (percent, optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    insurance = forms.CharField(
        label=_("Insurance on the balance (percent per period, optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    business_days = forms.BooleanField(
        label=_("Move due dates on weekends and holidays to the next business day"),
        required=False,
        initial=True,
    )

    def clean_amount(self) -> str:
        return normalize_amount(self.cleaned_data["amount"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = {name: data.get(name) for name in SIMULATOR_FIELDS if name in data}
        # Plain numbers only: "1e999999999" would make the simulator write out a billion digits.
        for name, code in NUMBER_CODES.items():
            text = str(given.get(name) or "")
            if name not in self.errors and not _PLAIN_NUMBER.match(text):
                params: dict[str, Any] = {"value": text, "max": _MAXIMA.get(name)}
                if code == "credit_fee_invalid":
                    params["field"] = name
                self._add_sozu_error(SozuError(code, **params), fallback=name)
        # Each field on its own first, so that every wrong field shows its error at once.
        for name, value in given.items():
            if name not in self.errors:
                self._check(name, {**_PROBE, name: value})
        if self.errors:
            return data
        try:
            self.simulation = simulate(
                LoanTerms.parse(**given, business_days=bool(data.get("business_days")))
            )
        except SozuError as error:
            self._add_sozu_error(error)
        return data

    def full_clean(self) -> None:
        super().full_clean()
        # Screen readers read each field's error with the field.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-error"

    def _check(self, name: str, inputs: dict[str, Any]) -> None:
        try:
            LoanTerms.parse(**inputs)
        except SozuError as error:
            self._add_sozu_error(error, fallback=name)

    def _add_sozu_error(self, error: SozuError, fallback: str | None = None) -> None:
        field = ERROR_FIELDS.get(error.code) or str(error.params.get("field") or "")
        if field not in self.fields:
            field = fallback or ""
        if field in self.errors:
            return
        message = error.message
        if error.code == "credit_fee_invalid" and field in FEE_NAMES:
            message = message_for(error.code, {**error.params, "field": str(FEE_NAMES[field])})
        self.add_error(field or None, message)

    simulation: Simulation


#: "100.000" or "1.234.567,89": dots that group thousands, as people in Argentina write.
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d*)?$")


def normalize_amount(text: str) -> str:
    """An amount as typed in Argentina, for the simulator: "100.000" is a hundred thousand.

    Dots that group thousands are dropped and the decimal comma becomes a dot; anything else
    (``100000``, ``1500,50``, ``1500.50``) is left as it is for the simulator to judge.
    """
    text = text.strip().replace(" ", "")
    if _GROUPED.match(text):
        return text.replace(".", "").replace(",", ".")
    return text


def default_first_due(today: dt.date, frequency: str) -> dt.date:
    """Today plus one period of the chosen frequency (monthly by default)."""
    from sozu.credit.simulator import Frequency, first_due_date

    try:
        freq = Frequency(frequency)
    except ValueError:
        freq = Frequency.MONTHLY
    return first_due_date(today, freq)
