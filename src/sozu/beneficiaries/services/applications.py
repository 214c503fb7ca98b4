"""A beneficiary's application: create, edit, approve, reject, deactivate (all audited)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from sozu.audit.services import Entry, audit_record
from sozu.beneficiaries.identity import parse_national_id, parse_phone, parse_stellar_address
from sozu.beneficiaries.models import Beneficiary
from sozu.beneficiaries.transitions import check_beneficiary
from sozu.errors import SozuError, message_for

S = Beneficiary.Status

#: The fields of an application a person types, with their maximum length.
TEXT_FIELDS: dict[str, int] = {
    "full_name": 200,
    "locality": 120,
    "activity": 120,
    "notes": 2000,
    "email": 254,
}
APPLICATION_FIELDS = (
    "full_name",
    "national_id",
    "phone",
    "stellar_address",
    "locality",
    "activity",
    "notes",
    "email",
)


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    params: dict[str, Any]

    @property
    def message(self) -> str:
        return message_for(self.code, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message}


def application_clean(
    data: Mapping[str, Any], *, require_national_id: bool = True
) -> tuple[dict[str, str], list[FieldError]]:
    """Normalized fields and every format problem (no database access).

    `identity_key` is added to the cleaned fields when the DNI/CUIL is valid.
    """
    cleaned: dict[str, str] = {}
    errors: list[FieldError] = []

    def run(field: str, fn: Any) -> None:
        try:
            fn()
        except SozuError as exc:
            errors.append(FieldError(field, exc.code, exc.params))

    for field, max_len in TEXT_FIELDS.items():
        value = str(data.get(field) or "").strip()
        if len(value) > max_len:
            errors.append(FieldError(field, "field_too_long", {"field": field, "max": max_len}))
        cleaned[field] = value
    if not cleaned["full_name"]:
        errors.append(FieldError("full_name", "full_name_missing", {}))
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors.append(FieldError("email", "invalid_field", {"field": "email"}))

    raw_id = str(data.get("national_id") or "").strip()
    cleaned["national_id"] = cleaned["identity_key"] = ""
    if raw_id or require_national_id:

        def national_id() -> None:
            parsed = parse_national_id(raw_id)
            cleaned["national_id"] = parsed.digits
            cleaned["identity_key"] = parsed.identity_key

        run("national_id", national_id)

    def phone() -> None:
        cleaned["phone"] = parse_phone(str(data.get("phone") or ""))

    def address() -> None:
        cleaned["stellar_address"] = parse_stellar_address(str(data.get("stellar_address") or ""))

    run("phone", phone)
    run("stellar_address", address)
    return cleaned, errors


def duplicate_errors(
    *, organization_id: int, cleaned: Mapping[str, str], exclude_pk: int | None = None
) -> list[FieldError]:
    """Another beneficiary of the organization with the same person or the same address."""
    errors = []
    others = Beneficiary.objects.filter(organization_id=organization_id)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if cleaned.get("identity_key") and others.filter(identity_key=cleaned["identity_key"]).exists():
        errors.append(
            FieldError("national_id", "beneficiary_duplicate_id", {"value": cleaned["national_id"]})
        )
    address = cleaned.get("stellar_address")
    if address and others.filter(stellar_address=address).exists():
        errors.append(FieldError("stellar_address", "beneficiary_exists", {"address": address}))
    return errors


def _raise(errors: list[FieldError]) -> None:
    first = errors[0]
    raise SozuError(first.code, errors=[e.as_dict() for e in errors], **first.params)


def _save_new(
    organization_id: int,
    cleaned: dict[str, str],
    status: str,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> Beneficiary:
    try:
        with transaction.atomic():
            b = Beneficiary.objects.create(
                organization_id=organization_id,
                status=status,
                status_changed_at=timezone.now(),
                **{k: cleaned[k] for k in (*APPLICATION_FIELDS, "identity_key")},
            )
            audit_record(
                organization_id=organization_id,
                entry=Entry(
                    actor,
                    "beneficiary.created",
                    "beneficiary",
                    b.pk,
                    {"address": b.stellar_address, "status": status, **(context or {})},
                ),
            )
    except IntegrityError:
        # Someone registered the same person or address between our check and the insert.
        dupes = duplicate_errors(organization_id=organization_id, cleaned=cleaned)
        if dupes:
            _raise(dupes)
        raise
    return b


def beneficiary_apply(
    *,
    organization_id: int,
    data: Mapping[str, Any],
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> Beneficiary:
    """A new application (status applied) from the form's fields (see APPLICATION_FIELDS).

    `context` (web_context: IP, user agent) is added to the audit event's data.

    Refused with every problem listed (SozuError.errors: field, code, message); the DNI/CUIL
    is required; nothing is saved when anything is wrong.
    """
    cleaned, errors = application_clean(data)
    if not errors:
        errors = duplicate_errors(organization_id=organization_id, cleaned=cleaned)
    if errors:
        _raise(errors)
    return _save_new(organization_id, cleaned, S.APPLIED, actor, context)


def beneficiary_create(
    *,
    organization_id: int,
    full_name: str,
    stellar_address: str,
    actor: str,
    email: str = "",
    phone: str = "",
    national_id: str = "",
    locality: str = "",
    activity: str = "",
    notes: str = "",
    status: str = S.APPROVED,
) -> Beneficiary:
    """A beneficiary made directly in a status (the CLI, the demo and imports by operators).

    The same checks as an application, except that the DNI/CUIL may be left out.
    """
    data = {
        "full_name": full_name,
        "stellar_address": stellar_address,
        "email": email,
        "phone": phone,
        "national_id": national_id,
        "locality": locality,
        "activity": activity,
        "notes": notes,
    }
    cleaned, errors = application_clean(data, require_national_id=False)
    if not errors:
        errors = duplicate_errors(organization_id=organization_id, cleaned=cleaned)
    if errors:
        _raise(errors)
    return _save_new(organization_id, cleaned, status, actor)


def _locked(beneficiary: Beneficiary) -> Beneficiary:
    return Beneficiary.objects.select_for_update().get(
        pk=beneficiary.pk, organization_id=beneficiary.organization_id
    )


def beneficiary_update(
    *,
    beneficiary: Beneficiary,
    data: Mapping[str, Any],
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> Beneficiary:
    """Change her details (only the fields given); a new address must be checked again."""
    current = {f: getattr(beneficiary, f) for f in APPLICATION_FIELDS}
    merged = {**current, **{k: v for k, v in data.items() if k in APPLICATION_FIELDS}}
    cleaned, errors = application_clean(merged, require_national_id=bool(beneficiary.national_id))
    if not errors:
        errors = duplicate_errors(
            organization_id=beneficiary.organization_id, cleaned=cleaned, exclude_pk=beneficiary.pk
        )
    if errors:
        _raise(errors)
    try:
        with transaction.atomic():
            b = _locked(beneficiary)
            changed = [
                f for f in (*APPLICATION_FIELDS, "identity_key") if getattr(b, f) != cleaned[f]
            ]
            if not changed:
                return b
            for f in changed:
                setattr(b, f, cleaned[f])
            if "stellar_address" in changed:
                b.ready_to_receive, b.readiness_code, b.readiness_checked_at = None, "", None
                changed += ["ready_to_receive", "readiness_code", "readiness_checked_at"]
            b.save(update_fields=changed)
            audit_record(
                organization_id=b.organization_id,
                entry=Entry(
                    actor,
                    "beneficiary.updated",
                    "beneficiary",
                    b.pk,
                    {
                        "fields": sorted(f for f in changed if f in APPLICATION_FIELDS),
                        **(context or {}),
                    },
                ),
            )
    except IntegrityError:
        dupes = duplicate_errors(
            organization_id=beneficiary.organization_id, cleaned=cleaned, exclude_pk=beneficiary.pk
        )
        if dupes:
            _raise(dupes)
        raise
    return b


def _transition(
    beneficiary: Beneficiary,
    target: str,
    expect: str,
    actor: str,
    context: Mapping[str, Any] | None = None,
    **data: Any,
) -> Beneficiary:
    with transaction.atomic():
        b = _locked(beneficiary)
        action = check_beneficiary(b, target)
        if action != expect:  # e.g. "approve" is not the way back from inactive
            raise SozuError("beneficiary_invalid_transition", status=b.status, target=target)
        previous = b.status
        b.status = target
        b.status_changed_at = timezone.now()
        fields = ["status", "status_changed_at"]
        if target == S.REJECTED:
            b.rejection_reason = data["reason"]
            fields.append("rejection_reason")
        elif b.rejection_reason:
            b.rejection_reason = ""
            fields.append("rejection_reason")
        b.save(update_fields=fields)
        audit_record(
            organization_id=b.organization_id,
            entry=Entry(
                actor,
                f"beneficiary.{action}",
                "beneficiary",
                b.pk,
                {"from": previous, "to": target, **data, **(context or {})},
            ),
        )
    return b


def beneficiary_approve(
    *, beneficiary: Beneficiary, actor: str, context: Mapping[str, Any] | None = None
) -> Beneficiary:
    return _transition(beneficiary, S.APPROVED, "approved", actor, context)


def beneficiary_reject(
    *,
    beneficiary: Beneficiary,
    reason: str,
    actor: str,
    context: Mapping[str, Any] | None = None,
) -> Beneficiary:
    reason = (reason or "").strip()
    if not reason:
        raise SozuError("rejection_reason_missing")
    return _transition(beneficiary, S.REJECTED, "rejected", actor, context, reason=reason)


def beneficiary_deactivate(
    *,
    beneficiary: Beneficiary,
    actor: str,
    reason: str = "",
    context: Mapping[str, Any] | None = None,
) -> Beneficiary:
    return _transition(
        beneficiary, S.INACTIVE, "deactivated", actor, context, reason=(reason or "").strip()
    )


def beneficiary_reactivate(
    *, beneficiary: Beneficiary, actor: str, context: Mapping[str, Any] | None = None
) -> Beneficiary:
    return _transition(beneficiary, S.APPROVED, "reactivated", actor, context)


def beneficiary_reopen(
    *, beneficiary: Beneficiary, actor: str, context: Mapping[str, Any] | None = None
) -> Beneficiary:
    """A rejected application goes back to applied (she applies again)."""
    return _transition(beneficiary, S.APPLIED, "reopened", actor, context)
