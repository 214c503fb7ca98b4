"""Auditoría: the organization's hash-chained log, filterable, exportable, verifiable."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sozu.audit.labels import action_label
from sozu.audit.selectors import (
    AuditFilters,
    audit_actions,
    audit_event_count,
    audit_events,
    audit_export_csv,
)
from sozu.audit.services import audit_verify_chain
from sozu.orgs.permissions import Action, current_organization, org_member_required

PAGE_SIZE = 50


def _choice(action: str) -> str:
    """ "Lote aprobado (batch.approved)": the words, and the code the CSV export carries."""
    label = action_label(action)
    return action if label == action else f"{label} ({action})"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Who"), required=False, max_length=120)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=40)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    tx_hash = forms.CharField(label=_("Transaction hash"), required=False, max_length=64)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, actions: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", _("All")), *[(a, _choice(a)) for a in actions]]
        self.fields["action"].choices = choices  # type: ignore[attr-defined]

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        d = self.cleaned_data
        return AuditFilters(
            action=d["action"] or "",
            actor=d["actor"].strip(),
            object_type=d["object_type"].strip(),
            object_id=d["object_id"].strip(),
            tx_hash=d["tx_hash"].strip(),
            since=d["since"],
            until=d["until"],
        )


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilters]:
    org = current_organization(request)
    form = AuditFilterForm(request.GET or None, actions=audit_actions(organization=org))
    return form, form.filters() if request.GET else AuditFilters()


@org_member_required(Action.VIEW)
def events(request: HttpRequest) -> HttpResponse:
    org = current_organization(request)
    form, filters = _filtered(request)
    paginator = Paginator(audit_events(organization=org, filters=filters), PAGE_SIZE)
    if filters == AuditFilters():
        # The whole log: its size is the chain head's seq, not a COUNT(*) of every event.
        paginator.count = audit_event_count(organization=org)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/events.html",
        {"section": "audit", "form": form, "page": page, "query": query.urlencode()},
    )


@org_member_required(Action.EXPORT)
def export(request: HttpRequest) -> StreamingHttpResponse:
    org = current_organization(request)
    _form, filters = _filtered(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        audit_export_csv(audit_events(organization=org, filters=filters)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="auditoria-{org.slug}-{stamp}.csv"'
    return response


@org_member_required(Action.VIEW)
def verify(request: HttpRequest) -> HttpResponse:
    """Recompute the chain's hashes: intact, or the first event that does not match."""
    org = current_organization(request)
    broken_at = audit_verify_chain(organization_id=org.pk)
    return render(
        request,
        "audit/_verify_result.html" if request.htmx else "audit/verify.html",  # type: ignore[attr-defined]
        {"section": "audit", "broken_at": broken_at, "checked_at": timezone.now()},
    )
