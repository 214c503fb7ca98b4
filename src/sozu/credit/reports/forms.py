"""The reports' filters (GET forms): a date range, a loan, and the format to download."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

FORMATS = (("csv", "CSV"), ("xlsx", "XLSX"), ("pdf", "PDF"))
#: Dates as the date input sends them (2026-03-31) or as typed in Argentina (31/03/2026).
DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_day(value: str) -> dt.date | None:
    text = value.strip()
    try:
        match = DAY_FIRST.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class DayField(forms.CharField):
    """A date typed or picked; a wrong one gets its own Spanish message with what was typed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
        )

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        if isinstance(value, dt.date):
            return value
        text = super().to_python(value)
        if not text:
            return None
        day = parse_day(text)
        if day is None:
            raise forms.ValidationError(
                _("“%(value)s” is not a date: use DD/MM/YYYY."),
                code="invalid",
                params={"value": text[:40]},
            )
        return day


class ReportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=FORMATS,
        required=False,
        error_messages={"invalid_choice": _("Choose CSV, XLSX or PDF.")},
    )

    def clean_format(self) -> str:
        return self.cleaned_data.get("format") or "csv"


class RangeForm(ReportForm):
    """A period of days, both included; by default this month up to today."""

    start = DayField(label=_("From"))
    end = DayField(label=_("To"))

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["start"].widget.attrs["max"] = today.isoformat()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start = data.get("start") or self.today.replace(day=1)
        end = data.get("end") or self.today
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            self.add_error(
                "end",
                forms.ValidationError(
                    _("The end date (%(end)s) is before the start date (%(start)s)."),
                    code="range",
                    params={"start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")},
                ),
            )
            return data
        if (end - start).days > 3660:
            self.add_error(
                "start", forms.ValidationError(_("Choose a period of ten years or less."))
            )
            return data
        data["start"], data["end"] = start, end
        return data


class StatementForm(ReportForm):
    loan = forms.CharField(
        label=_("Loan"),
        max_length=40,
        help_text=_("Its number or reference, e.g. 12 or SOZU-12."),
        error_messages={"required": _("Give the loan's number or reference (e.g. SOZU-12).")},
    )

    def clean_loan(self) -> int:
        text = self.cleaned_data["loan"].strip().upper().removeprefix("SOZU-").strip()
        if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
            raise forms.ValidationError(
                _("“%(value)s” is not a loan number (e.g. 12 or SOZU-12)."),
                code="invalid",
                params={"value": self.cleaned_data["loan"][:40]},
            )
        return int(text)
