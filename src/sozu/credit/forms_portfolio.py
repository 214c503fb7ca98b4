"""Forms of the portfolio pages: the arrears filters, a follow-up, the indicators' period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sozu.credit.models import LoanFollowUp, LoanProduct
from sozu.credit.portfolio import BUCKET_LABELS, ArrearsFilter
from sozu.web.templatetags.sozu_web import actor_label


class ArrearsFilterForm(forms.Form):
    bucket = forms.ChoiceField(
        label=_("Days late"),
        required=False,
        choices=[("", _("All")), *BUCKET_LABELS.items()],
    )
    product = forms.TypedChoiceField(
        label=_("Product"), required=False, coerce=int, empty_value=None
    )
    officer = forms.ChoiceField(label=_("Loan officer"), required=False)

    def __init__(
        self, *args: Any, products: list[LoanProduct], officers: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        officer = self.fields["officer"]
        assert isinstance(product, forms.ChoiceField) and isinstance(officer, forms.ChoiceField)
        product.choices = [("", _("All")), *[(p.pk, p.name) for p in products]]
        officer.choices = [("", _("All")), *[(o, actor_label(o)) for o in officers]]

    def filters(self) -> ArrearsFilter:
        if not self.is_valid():
            return ArrearsFilter()
        data = self.cleaned_data
        return ArrearsFilter(
            bucket=data.get("bucket") or "",
            product_id=data.get("product"),
            officer=data.get("officer") or "",
        )


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("What was done"), choices=LoanFollowUp.Kind.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    promised_on = forms.DateField(
        label=_("Promised date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    promised_amount = forms.CharField(label=_("Promised amount"), required=False, max_length=20)


class PeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The period must start on or before the day it ends."), code="period"
            )
        return data


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    month = today.month - 11
    year = today.year
    while month <= 0:
        month += 12
        year -= 1
    return dt.date(year, month, 1), today
