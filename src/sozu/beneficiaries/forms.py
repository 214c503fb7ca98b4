"""The forms of the Beneficiarias pages: fields and labels only; the services validate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.services.attachments import MAX_ATTACHMENT_BYTES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files; each is checked by the service (attachment_check), not here."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        return data


class ApplicationForm(forms.Form):
    """What an operator types; every check is the service's (application_clean)."""

    full_name = forms.CharField(label=_("Full name"), required=False)
    national_id = forms.CharField(
        label=_("DNI or CUIL"),
        required=False,
        help_text=_("7 or 8 digits (DNI) or 11 (CUIL, its check digit is verified)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        help_text=_("With area code, e.g. +54 9 387 555-0101."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    stellar_address = forms.CharField(
        label=_("Stellar address"),
        required=False,
        help_text=_("Her wallet's address: starts with G (or M), 56 characters."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    locality = forms.CharField(label=_("Locality"), required=False)
    activity = forms.CharField(label=_("Activity"), required=False)
    email = forms.CharField(label=_("Email (optional)"), required=False, widget=forms.EmailInput())
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_(
            "Signed application, photos of her DNI: PDF, JPEG or PNG, up to %(mb)s MB each."
        )
        % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
        widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, with_attachments: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_attachments:
            del self.fields["attachments"]

    def add_service_errors(self, errors: Iterable[dict[str, Any]]) -> None:
        """The service's (field, message) problems, each under its field."""
        for e in errors:
            field = e.get("field") or None
            self.add_error(field if field in self.fields else None, str(e["message"]))


class FilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=120,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, DNI/CUIL or address")}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *Beneficiary.Status.choices],
    )
    ready = forms.ChoiceField(
        label=_("Ready to receive"),
        required=False,
        choices=[("", _("All")), ("si", _("Ready")), ("no", _("Not ready or not checked"))],
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
