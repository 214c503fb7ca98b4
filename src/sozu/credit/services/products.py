"""Loan products: what an organization offers, validated with the simulator's own rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from sozu.audit.services import Entry, audit_record
from sozu.credit.errors import SozuError
from sozu.credit.models import Currency, LoanProduct, Prepayment
from sozu.credit.simulator import LoanTerms
from sozu.orgs.models import Organization

RATE_PLACES = Decimal("0.0001")
#: Any date: a product's terms are checked by simulating them, not by when they are used.
_CHECK_DATE = dt.date(2000, 1, 3)


def loan_product_create(
    *,
    organization: Organization,
    name: str,
    min_amount: Any,
    max_amount: Any,
    min_cuotas: int,
    max_cuotas: int,
    frequency: str,
    system: str,
    tna: Any,
    iva: Any,
    actor: str,
    currency: str = Currency.USDC,
    origination_fee: Any = 0,
    insurance: Any = 0,
    late_tna: Any = 0,
    grace_days: int = 0,
    prepayment: str = Prepayment.REDUCE_TERM,
) -> LoanProduct:
    """A product whose every combination of amount and cuotas the simulator accepts."""
    name = (name or "").strip()
    if not name:
        raise SozuError("invalid_field", field="name")
    if currency not in Currency.values:
        raise SozuError("invalid_field", field="currency")
    if prepayment not in Prepayment.values:
        raise SozuError("invalid_field", field="prepayment")
    low = LoanTerms.parse(
        amount=min_amount,
        cuotas=min_cuotas,
        frequency=frequency,
        tna=tna,
        system=system,
        iva=iva,
        first_due=_CHECK_DATE,
        origination_fee=origination_fee,
        insurance=insurance,
    )
    high = LoanTerms.parse(
        amount=max_amount,
        cuotas=max_cuotas,
        frequency=frequency,
        tna=tna,
        system=system,
        iva=iva,
        first_due=_CHECK_DATE,
    )
    if high.amount < low.amount:
        raise SozuError("invalid_field", field="max_amount")
    if high.cuotas < low.cuotas:
        raise SozuError("invalid_field", field="max_cuotas")
    late = LoanTerms.parse(
        amount=1,
        cuotas=1,
        frequency=frequency,
        tna=late_tna,
        system=system,
        iva=0,
        first_due=_CHECK_DATE,
    ).tna
    rates = {
        "tna": low.tna,
        "iva": low.iva,
        "origination_fee": low.origination_fee,
        "insurance": low.insurance,
        "late_tna": late,
    }
    for field, rate in rates.items():
        if rate != rate.quantize(RATE_PLACES):  # the column keeps 4 decimals: never round
            raise SozuError("invalid_field", field=field)
    if not isinstance(grace_days, int) or not 0 <= grace_days <= 365:
        raise SozuError("invalid_field", field="grace_days")
    try:
        with transaction.atomic():
            product = LoanProduct.objects.create(
                organization=organization,
                name=name,
                currency=currency,
                min_amount=low.amount,
                max_amount=high.amount,
                min_cuotas=low.cuotas,
                max_cuotas=high.cuotas,
                frequency=low.frequency.value,
                system=low.system.value,
                tna=low.tna,
                iva=low.iva,
                origination_fee=low.origination_fee,
                insurance=low.insurance,
                late_tna=late,
                grace_days=grace_days,
                prepayment=prepayment,
                created_by=actor,
            )
            audit_record(
                organization_id=organization.pk,
                entry=Entry(
                    actor,
                    "loan_product.created",
                    "loan_product",
                    product.pk,
                    {
                        "name": name,
                        "currency": currency,
                        "tna": str(low.tna),
                        "prepayment": prepayment,
                    },
                ),
            )
    except IntegrityError:
        raise SozuError("invalid_field", field="name") from None
    return product


def loan_product_deactivate(*, product: LoanProduct, actor: str) -> LoanProduct:
    """No new loans from this product; loans already made keep their own copy of the terms."""
    with transaction.atomic():
        LoanProduct.objects.filter(pk=product.pk).update(active=False)
        audit_record(
            organization_id=product.organization_id,
            entry=Entry(actor, "loan_product.deactivated", "loan_product", product.pk),
        )
    product.refresh_from_db()
    return product


__all__ = ["loan_product_create", "loan_product_deactivate"]
