"""The loan pages' forms: text in, the services' own refusals out, next to their field.

The forms check only what a person must fill in; amounts, dates and ranges are judged by the
services, whose SozuError codes `add_service_error` places next to the field they are about.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sozu.credit.errors import SozuError
from sozu.credit.forms import ERROR_FIELDS, normalize_amount
from sozu.credit.models import Currency, Frequency, LoanProduct, Prepayment, Repayment, System

#: Where the loan services' errors go (beyond the simulator's own, in ERROR_FIELDS).
LOAN_ERROR_FIELDS = {
    **ERROR_FIELDS,
    "credit_amount_out_of_range": "amount",
    "credit_cuotas_out_of_range": "cuotas",
    "loan_first_due_invalid": "first_due",
    "credit_product_inactive": "product",
    "repayment_amount_invalid": "amount",
    "repayment_reference_missing": "reference",
    "repayment_in_future": "received_on",
    "repayment_method_invalid": "method",
    "repayment_reversal_reason_missing": "reason",
    "loan_write_off_reason_missing": "reason",
}

_DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
_NUMBER = {"inputmode": "numeric", "autocomplete": "off"}


class ServiceErrorsMixin:
    """Show a service's refusal next to its field (or above the form)."""

    def add_service_error(self, error: SozuError) -> None:
        field = LOAN_ERROR_FIELDS.get(error.code) or str(error.params.get("field") or "")
        form: forms.Form = self  # type: ignore[assignment]
        if field not in form.fields:
            form.add_error(None, error.message)
            return
        message = error.message
        if error.code == "invalid_field":
            message = str(_("Check this value."))
        form.add_error(field, message)

    def mark_invalid(self) -> None:
        form: forms.Form = self  # type: ignore[assignment]
        for name in form.errors:
            if name in form.fields:
                attrs = form.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{str(form.auto_id) % name}-error"


class ProductForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    min_amount = forms.CharField(
        label=_("Minimum amount"), max_length=40, widget=forms.TextInput(attrs=_DECIMAL)
    )
    max_amount = forms.CharField(
        label=_("Maximum amount"), max_length=40, widget=forms.TextInput(attrs=_DECIMAL)
    )
    min_cuotas = forms.IntegerField(
        label=_("Minimum cuotas"), min_value=1, max_value=360, widget=forms.TextInput(attrs=_NUMBER)
    )
    max_cuotas = forms.IntegerField(
        label=_("Maximum cuotas"), min_value=1, max_value=360, widget=forms.TextInput(attrs=_NUMBER)
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=Frequency.choices, initial="monthly"
    )
    system = forms.ChoiceField(
        label=_("Amortization system"), choices=System.choices, initial="french"
    )
    tna = forms.CharField(label=_("TNA (%)"), max_length=20, widget=forms.TextInput(attrs=_DECIMAL))
    iva = forms.ChoiceField(
        label=_("IVA on interest"),
        choices=[("21", "21 %"), ("10.5", "10,5 %"), ("0", _("Exempt"))],
        initial="21",
    )
    origination_fee = forms.CharField(
        label=_("Origination fee (%)"),
        max_length=20,
        initial="0",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    insurance = forms.CharField(
        label=_("Insurance on the balance (% per period)"),
        max_length=20,
        initial="0",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    late_tna = forms.CharField(
        label=_("Late interest (% a year)"),
        max_length=20,
        initial="0",
        widget=forms.TextInput(attrs=_DECIMAL),
    )
    grace_days = forms.IntegerField(
        label=_("Grace days"),
        min_value=0,
        max_value=365,
        initial=0,
        widget=forms.TextInput(attrs=_NUMBER),
    )
    prepayment = forms.ChoiceField(
        label=_("A prepayment"), choices=Prepayment.choices, initial=Prepayment.REDUCE_TERM
    )

    def clean_min_amount(self) -> str:
        return normalize_amount(self.cleaned_data["min_amount"])

    def clean_max_amount(self) -> str:
        return normalize_amount(self.cleaned_data["max_amount"])

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("tna", "origination_fee", "insurance", "late_tna"):
            data[name] = str(data[name]).strip().replace(",", ".")
        return data


class LoanPrepareForm(ServiceErrorsMixin, forms.Form):
    beneficiary = forms.TypedChoiceField(label=_("Beneficiary"), coerce=int)
    product = forms.ModelChoiceField(label=_("Product"), queryset=LoanProduct.objects.none())
    amount = forms.CharField(
        label=_("Amount"), max_length=40, widget=forms.TextInput(attrs=_DECIMAL)
    )
    cuotas = forms.CharField(
        label=_("Cuotas"), max_length=10, widget=forms.TextInput(attrs=_NUMBER)
    )
    first_due = forms.DateField(
        label=_("First due date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "If empty, or already past when the loan is paid out: one period after the payment."
        ),
    )

    def __init__(
        self, *args: Any, products: Any, beneficiaries: list[tuple[int, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]
        self.fields["beneficiary"].choices = [("", "—"), *beneficiaries]  # type: ignore[attr-defined]

    def clean_amount(self) -> str:
        return normalize_amount(self.cleaned_data["amount"])


class RepaymentForm(ServiceErrorsMixin, forms.Form):
    method = forms.ChoiceField(
        label=_("How she paid"),
        choices=[
            (Repayment.Method.CASH, Repayment.Method.CASH.label),
            (Repayment.Method.TRANSFER, Repayment.Method.TRANSFER.label),
        ],
    )
    amount = forms.CharField(
        label=_("Amount received"), max_length=40, widget=forms.TextInput(attrs=_DECIMAL)
    )
    received_on = forms.CharField(
        label=_("Date received"), max_length=20, widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label=_("Receipt or transfer number"), max_length=120)

    def clean_amount(self) -> str:
        return normalize_amount(self.cleaned_data["amount"])


class ReasonForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
