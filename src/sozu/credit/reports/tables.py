"""The credit reports as tables of typed columns and lazily generated rows (one organization).

Rows are produced while the file is written: querysets are read in chunks (`iterator()` or
keyset pages of loans), never loaded whole, so a CSV of 100,000 rows streams in constant
memory. Every amount is a Decimal; each row carries its loan's currency, which decides how a
money column is shown (``$ 1.234,56`` for ARS, ``1.234,56 USDC`` for USDC).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import formats
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sozu.credit.allocation import CuotaDue, Payment, Position, allocate
from sozu.credit.models import Cuota, Loan, Repayment
from sozu.credit.simulator import ZERO
from sozu.formatting import format_ars, format_usdc
from sozu.orgs.models import Organization

#: Loans read per page when positions are recomputed (two queries per page).
CHUNK = 500

#: Column kinds: how a value is written (CSV), formatted (XLSX number format) and shown (PDF).
TEXT, INT, DATE, DATETIME, MONEY, USDC, RATE, PERCENT = (
    "text",
    "int",
    "date",
    "datetime",
    "money",  # in the row's currency
    "usdc",  # always USDC (what was sent on chain)
    "rate",  # an exchange rate, ARS per USDC
    "percent",
)


@dataclass(frozen=True)
class Column:
    key: str
    #: The CSV header (a stable, Spanish, snake_case name).
    name: str
    #: The heading in XLSX and PDF (translated).
    label: str | Promise
    kind: str = TEXT
    #: Relative width in the PDF (millimetres before scaling to the page).
    width: float = 20
    #: Summed per currency in the XLSX and PDF totals.
    total: bool = False


@dataclass
class Table:
    name: str | Promise
    columns: tuple[Column, ...]
    rows: Iterable[dict[str, Any]]
    #: How many rows (a count query, for the PDF's limit), when known before writing.
    count: int | None = None
    landscape: bool = False


@dataclass
class Report:
    slug: str
    title: str
    organization: Organization
    #: Lines under the title (filters, borrower, terms).
    details: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(t.count or 0 for t in self.tables)


def status_label(status: str) -> str:
    return capfirst(str(Loan.Status(status).label))


def method_label(method: str) -> str:
    return str(Repayment.Method(method).label)


# --- positions, a page of loans at a time ----------------------------------------------------


def positions(loans: QuerySet[Loan], *, as_of: dt.date) -> Iterator[tuple[Loan, Position]]:
    """Each loan with its position as of a day: pages of CHUNK loans, three queries a page."""
    last = 0
    while True:
        page = list(loans.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not page:
            return
        ids = [loan.pk for loan in page]
        schedules: dict[int, list[CuotaDue]] = defaultdict(list)
        for loan_id, number, due, capital, interest, iva, fees in (
            Cuota.objects.filter(loan_id__in=ids)
            .order_by("loan_id", "number")
            .values_list("loan_id", "number", "due_date", "capital", "interest", "iva", "fees")
        ):
            schedules[loan_id].append(CuotaDue(number, due, capital, interest, iva, fees))
        payments: dict[int, list[Payment]] = defaultdict(list)
        for pk, loan_id, day, amount in (
            Repayment.objects.filter(
                loan_id__in=ids, kind=Repayment.Kind.PAYMENT, reversal__isnull=True
            )
            .order_by("received_on", "id")
            .values_list("pk", "loan_id", "received_on", "amount")
        ):
            payments[loan_id].append(Payment(ref=pk, received_on=day, amount=amount))
        for loan in page:
            yield (
                loan,
                allocate(
                    cuotas=schedules[loan.pk],
                    payments=payments[loan.pk],
                    as_of=as_of,
                    late_tna=loan.late_tna,
                    iva=loan.iva,
                    grace_days=loan.grace_days,
                ),
            )
        last = ids[-1]


# --- portfolio -----------------------------------------------------------------------------

PORTFOLIO_COLUMNS = (
    Column("loan", "prestamo", gettext_lazy("Loan"), width=18),
    Column("beneficiary", "beneficiaria", gettext_lazy("Borrower"), width=40),
    Column("national_id", "dni_cuil", gettext_lazy("DNI / CUIL"), width=22),
    Column("product", "producto", gettext_lazy("Product"), width=30),
    Column("currency", "moneda", gettext_lazy("Currency"), width=13),
    Column("amount", "monto", gettext_lazy("Amount"), MONEY, 26, total=True),
    Column("disbursed_on", "desembolsado", gettext_lazy("Disbursed"), DATE, 18),
    Column("status", "estado", gettext_lazy("Status"), width=18),
    Column("cuotas", "cuotas", gettext_lazy("Cuotas"), INT, 12),
    Column("cuotas_paid", "cuotas_pagas", gettext_lazy("Paid"), INT, 10),
    Column(
        "outstanding_capital",
        "capital_adeudado",
        gettext_lazy("Capital owed"),
        MONEY,
        26,
        total=True,
    ),
    Column("overdue", "vencido_impago", gettext_lazy("Overdue"), MONEY, 24, total=True),
    Column("days_past_due", "dias_de_atraso", gettext_lazy("Days late"), INT, 13),
    Column("next_due", "proximo_vencimiento", gettext_lazy("Next due"), DATE, 18),
    Column("next_amount", "importe_proxima_cuota", gettext_lazy("Next cuota"), MONEY, 24),
)


def portfolio_rows(organization: Organization, as_of: dt.date) -> Iterator[dict[str, Any]]:
    loans = portfolio_loans(organization).select_related("beneficiary", "product")
    for loan, position in positions(loans, as_of=as_of):
        upcoming = [
            c for c in position.cuotas if not c.is_paid and c.due.due_date >= position.as_of
        ]
        following = upcoming[0] if upcoming else None
        yield {
            "loan": loan.reference,
            "beneficiary": loan.beneficiary.full_name,
            "national_id": loan.beneficiary.national_id,
            "product": loan.product.name,
            "currency": loan.currency,
            "amount": loan.amount,
            "disbursed_on": loan.disbursed_on,
            "status": status_label(loan.status),
            "cuotas": len(position.cuotas),
            "cuotas_paid": sum(1 for c in position.cuotas if c.is_paid),
            "outstanding_capital": position.outstanding_capital,
            "overdue": position.overdue,
            "days_past_due": position.days_past_due,
            "next_due": following.due.due_date if following else None,
            "next_amount": following.outstanding if following else None,
        }


def portfolio_loans(organization: Organization) -> QuerySet[Loan]:
    """The portfolio: every loan paid out and still owed (active)."""
    return Loan.objects.filter(organization=organization, status=Loan.Status.ACTIVE)


def portfolio_report(*, organization: Organization, as_of: dt.date) -> Report:
    loans = portfolio_loans(organization)
    return Report(
        slug=f"cartera-{as_of.isoformat()}",
        title=_("Loan portfolio"),
        organization=organization,
        details=[_("Active loans as of %(date)s.") % {"date": _date(as_of)}],
        tables=[
            Table(
                _("Portfolio"),
                PORTFOLIO_COLUMNS,
                portfolio_rows(organization, as_of),
                count=loans.count(),
                landscape=True,
            )
        ],
    )


# --- repayments -----------------------------------------------------------------------------

REPAYMENT_COLUMNS = (
    Column("received_on", "fecha", gettext_lazy("Date"), DATE, 18),
    Column("loan", "prestamo", gettext_lazy("Loan"), width=18),
    Column("beneficiary", "beneficiaria", gettext_lazy("Borrower"), width=38),
    Column("kind", "tipo", gettext_lazy("Kind"), width=16),
    Column("method", "medio", gettext_lazy("Method"), width=26),
    Column("reference", "comprobante", gettext_lazy("Receipt"), width=26),
    Column("tx_hash", "hash_transaccion", gettext_lazy("Transaction hash"), width=40),
    Column("operation_id", "operacion", gettext_lazy("Operation"), width=26),
    Column("currency", "moneda", gettext_lazy("Currency"), width=13),
    Column("amount", "importe", gettext_lazy("Amount"), MONEY, 24, total=True),
    Column("exchange_rate", "tipo_de_cambio", gettext_lazy("Exchange rate"), RATE, 18),
    Column("exchange_rate_source", "fuente_tipo_de_cambio", gettext_lazy("Rate source"), width=22),
    Column("created_by", "registrado_por", gettext_lazy("Recorded by"), width=20),
)


def repayments_queryset(organization: Organization, start: dt.date, end: dt.date) -> QuerySet:
    return Repayment.objects.filter(
        organization=organization, received_on__gte=start, received_on__lte=end
    ).order_by("received_on", "id")


def repayment_rows(
    organization: Organization, start: dt.date, end: dt.date
) -> Iterator[dict[str, Any]]:
    rows = repayments_queryset(organization, start, end).values(
        "id",
        "kind",
        "amount",
        "received_on",
        "method",
        "reference",
        "operation_id",
        "exchange_rate",
        "exchange_rate_source",
        "created_by",
        "loan_id",
        "loan__currency",
        "loan__beneficiary__full_name",
    )
    for r in rows.iterator(chunk_size=2000):
        on_chain = r["method"] == Repayment.Method.STELLAR
        reversal = r["kind"] == Repayment.Kind.REVERSAL
        yield {
            "received_on": r["received_on"],
            "loan": f"SOZU-{r['loan_id']}",
            "beneficiary": r["loan__beneficiary__full_name"],
            "kind": str(Repayment.Kind(r["kind"]).label),
            "method": method_label(r["method"]),
            "reference": "" if on_chain else r["reference"],
            "tx_hash": r["reference"] if on_chain else "",
            "operation_id": r["operation_id"],
            "currency": r["loan__currency"],
            # A reversal takes the money back: it counts negative in the period.
            "amount": -r["amount"] if reversal else r["amount"],
            "exchange_rate": r["exchange_rate"],
            "exchange_rate_source": r["exchange_rate_source"],
            "created_by": r["created_by"],
        }


def repayments_report(*, organization: Organization, start: dt.date, end: dt.date) -> Report:
    return Report(
        slug=f"cobranzas-{start.isoformat()}-a-{end.isoformat()}",
        title=_("Repayments"),
        organization=organization,
        details=[_period(start, end), _("Reversals count negative.")],
        tables=[
            Table(
                _("Repayments"),
                REPAYMENT_COLUMNS,
                repayment_rows(organization, start, end),
                count=repayments_queryset(organization, start, end).count(),
                landscape=True,
            )
        ],
    )


# --- disbursements --------------------------------------------------------------------------

DISBURSEMENT_COLUMNS = (
    Column("disbursed_on", "desembolsado", gettext_lazy("Disbursed"), DATE, 18),
    Column("loan", "prestamo", gettext_lazy("Loan"), width=18),
    Column("beneficiary", "beneficiaria", gettext_lazy("Borrower"), width=38),
    Column("national_id", "dni_cuil", gettext_lazy("DNI / CUIL"), width=22),
    Column("product", "producto", gettext_lazy("Product"), width=28),
    Column("currency", "moneda", gettext_lazy("Currency"), width=13),
    Column("amount", "monto", gettext_lazy("Amount"), MONEY, 24, total=True),
    Column("cuotas", "cuotas", gettext_lazy("Cuotas"), INT, 12),
    Column("tna", "tna", gettext_lazy("TNA"), PERCENT, 14),
    Column("payout_amount", "enviado_usdc", gettext_lazy("Sent (USDC)"), USDC, 26, total=True),
    Column("exchange_rate", "tipo_de_cambio", gettext_lazy("Exchange rate"), RATE, 18),
    Column("exchange_rate_source", "fuente_tipo_de_cambio", gettext_lazy("Rate source"), width=22),
    Column("exchange_rate_at", "fecha_tipo_de_cambio", gettext_lazy("Quoted at"), DATETIME, 26),
    Column("tx_hash", "hash_transaccion", gettext_lazy("Transaction hash"), width=40),
)


def disbursements_queryset(organization: Organization, start: dt.date, end: dt.date) -> QuerySet:
    return Loan.objects.filter(
        organization=organization, disbursed_on__gte=start, disbursed_on__lte=end
    ).order_by("disbursed_on", "id")


def disbursement_rows(
    organization: Organization, start: dt.date, end: dt.date
) -> Iterator[dict[str, Any]]:
    rows = disbursements_queryset(organization, start, end).values(
        "id",
        "disbursed_on",
        "beneficiary__full_name",
        "beneficiary__national_id",
        "product__name",
        "currency",
        "amount",
        "cuotas",
        "tna",
        "payout_amount",
        "exchange_rate",
        "exchange_rate_source",
        "exchange_rate_at",
        "payout__tx_hash",
    )
    for r in rows.iterator(chunk_size=2000):
        yield {
            "disbursed_on": r["disbursed_on"],
            "loan": f"SOZU-{r['id']}",
            "beneficiary": r["beneficiary__full_name"],
            "national_id": r["beneficiary__national_id"],
            "product": r["product__name"],
            "currency": r["currency"],
            "amount": r["amount"],
            "cuotas": r["cuotas"],
            "tna": r["tna"],
            "payout_amount": r["payout_amount"],
            "exchange_rate": r["exchange_rate"],
            "exchange_rate_source": r["exchange_rate_source"],
            "exchange_rate_at": r["exchange_rate_at"],
            "tx_hash": r["payout__tx_hash"] or "",
        }


def disbursements_report(*, organization: Organization, start: dt.date, end: dt.date) -> Report:
    return Report(
        slug=f"desembolsos-{start.isoformat()}-a-{end.isoformat()}",
        title=_("Disbursements"),
        organization=organization,
        details=[_period(start, end)],
        tables=[
            Table(
                _("Disbursements"),
                DISBURSEMENT_COLUMNS,
                disbursement_rows(organization, start, end),
                count=disbursements_queryset(organization, start, end).count(),
                landscape=True,
            )
        ],
    )


# --- a borrower's account statement ---------------------------------------------------------

SCHEDULE_COLUMNS = (
    Column("number", "cuota", gettext_lazy("No."), INT, 10),
    Column("due_date", "vencimiento", gettext_lazy("Due date"), DATE, 20),
    Column("capital", "capital", gettext_lazy("Capital"), MONEY, 24, total=True),
    Column("interest", "interes", gettext_lazy("Interest"), MONEY, 22, total=True),
    Column("iva", "iva", gettext_lazy("IVA"), MONEY, 20, total=True),
    Column("fees", "seguro", gettext_lazy("Insurance"), MONEY, 20, total=True),
    Column("late", "punitorios", gettext_lazy("Late interest + IVA"), MONEY, 22, total=True),
    Column("total", "total_cuota", gettext_lazy("Cuota"), MONEY, 24, total=True),
    Column("paid", "pagado", gettext_lazy("Paid"), MONEY, 24, total=True),
    Column("owed", "adeudado", gettext_lazy("Owed"), MONEY, 24, total=True),
    Column("paid_on", "pagada_el", gettext_lazy("Paid on"), DATE, 20),
)

MOVEMENT_COLUMNS = (
    Column("date", "fecha", gettext_lazy("Date"), DATE, 20),
    Column("concept", "concepto", gettext_lazy("Concept"), width=42),
    Column("method", "medio", gettext_lazy("Method"), width=26),
    Column("reference", "referencia", gettext_lazy("Reference"), width=40),
    Column("amount", "importe", gettext_lazy("Amount"), MONEY, 24),
    Column("capital_balance", "saldo_capital", gettext_lazy("Capital balance"), MONEY, 26),
    Column("balance", "saldo_adeudado", gettext_lazy("Balance owed"), MONEY, 26),
    Column("credit", "saldo_a_favor", gettext_lazy("Her credit"), MONEY, 22),
)


def _late(cuota: Any) -> Decimal:
    return Decimal(cuota.late_interest + cuota.late_iva)


def statement_schedule_rows(loan: Loan, position: Position) -> Iterator[dict[str, Any]]:
    for c in position.cuotas:
        owed = c.outstanding
        late = _late(c)
        total = c.due.capital + c.due.interest + c.due.iva + c.due.fees
        yield {
            "currency": loan.currency,
            "number": c.due.number,
            "due_date": c.due.due_date,
            "capital": c.due.capital,
            "interest": c.due.interest,
            "iva": c.due.iva,
            "fees": c.due.fees,
            "late": late,
            "total": total,
            "paid": sum(c.paid.values(), ZERO),
            "owed": owed,
            "paid_on": c.paid_on if c.is_paid else None,
        }


def statement_movement_rows(
    loan: Loan, schedule: list[CuotaDue], as_of: dt.date
) -> Iterator[dict[str, Any]]:
    """The disbursement, then every repayment and reversal in the order received, each with
    the balances right after it (recomputed with the payments that counted at that moment)."""
    total_scheduled = sum((c.capital + c.interest + c.iva + c.fees for c in schedule), ZERO)
    if loan.disbursed_on is not None:
        yield {
            "currency": loan.currency,
            "date": loan.disbursed_on,
            "concept": _("Disbursement (%(cuotas)s cuotas)") % {"cuotas": len(schedule)},
            "method": str(Repayment.Method.STELLAR.label) if loan.payout_id else "",
            "reference": loan.payout.tx_hash if loan.payout_id and loan.payout else "",
            "amount": loan.amount,
            "capital_balance": loan.amount,
            "balance": total_scheduled,
            "credit": ZERO,
        }
    counting: dict[int, Payment] = {}
    for r in loan.repayments.order_by("received_on", "id"):
        if r.kind == Repayment.Kind.PAYMENT:
            counting[r.pk] = Payment(ref=r.pk, received_on=r.received_on, amount=r.amount)
            concept = _("Payment")
            amount = r.amount
        else:
            assert r.reverses_id is not None
            counting.pop(r.reverses_id, None)
            concept = _("Reversal of the payment of %(date)s") % {
                "date": _date(r.reverses.received_on if r.reverses else r.received_on)
            }
            if r.reason:
                concept += f" ({r.reason})"
            amount = -r.amount
        position = allocate(
            cuotas=schedule,
            payments=sorted(counting.values(), key=lambda p: (p.received_on, int(p.ref))),
            as_of=max(r.received_on, loan.disbursed_on or r.received_on),
            late_tna=loan.late_tna,
            iva=loan.iva,
            grace_days=loan.grace_days,
        )
        yield {
            "currency": loan.currency,
            "date": r.received_on,
            "concept": concept,
            "method": method_label(r.method),
            "reference": r.reference,
            "amount": amount,
            "capital_balance": position.outstanding_capital,
            # What she still owes once her credit (paid ahead of a due date) is counted.
            "balance": position.outstanding - position.credit,
            "credit": position.credit,
        }


def statement_report(*, loan: Loan, as_of: dt.date) -> Report:
    """A borrower's account statement: the terms, the schedule as it stands, every movement."""
    schedule = [
        CuotaDue(c.number, c.due_date, c.capital, c.interest, c.iva, c.fees)
        for c in loan.schedule.order_by("number")
    ]
    payments = [
        Payment(ref=r.pk, received_on=r.received_on, amount=r.amount)
        for r in loan.repayments.filter(
            kind=Repayment.Kind.PAYMENT, reversal__isnull=True
        ).order_by("received_on", "id")
    ]
    position = allocate(
        cuotas=schedule,
        payments=payments,
        as_of=as_of,
        late_tna=loan.late_tna,
        iva=loan.iva,
        grace_days=loan.grace_days,
    )
    b = loan.beneficiary
    money = _money_text(loan.currency)
    details = [
        _("%(name)s, DNI/CUIL %(id)s") % {"name": b.full_name, "id": b.national_id or "-"},
        _("Loan %(ref)s: %(amount)s in %(cuotas)s cuotas, %(product)s, TNA %(tna)s %%.")
        % {
            "ref": loan.reference,
            "amount": money(loan.amount),
            "cuotas": loan.cuotas,
            "product": loan.product.name,
            "tna": _number(loan.tna),
        },
        _("Status: %(status)s. Disbursed: %(date)s.")
        % {
            "status": status_label(loan.status),
            "date": _date(loan.disbursed_on) if loan.disbursed_on else "-",
        },
        _(
            "As of %(date)s: capital owed %(capital)s, total owed %(owed)s, overdue "
            "%(overdue)s, %(days)s days late, her credit %(credit)s."
        )
        % {
            "date": _date(as_of),
            "capital": money(position.outstanding_capital),
            "owed": money(position.outstanding),
            "overdue": money(position.overdue),
            "days": position.days_past_due,
            "credit": money(position.credit),
        },
    ]
    if not schedule:
        details.append(_("No schedule yet: the loan has not been paid out."))
    return Report(
        slug=f"estado-de-cuenta-{loan.reference}-{as_of.isoformat()}",
        title=_("Account statement"),
        organization=loan.organization,
        details=details,
        tables=[
            Table(
                _("Schedule"),
                SCHEDULE_COLUMNS,
                list(statement_schedule_rows(loan, position)),
                count=len(schedule),
            ),
            Table(
                _("Movements"),
                MOVEMENT_COLUMNS,
                list(statement_movement_rows(loan, schedule, as_of)),
                count=loan.repayments.count() + 1,
            ),
        ],
    )


# --- formatting helpers shared by the writers ------------------------------------------------


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _period(start: dt.date, end: dt.date) -> str:
    return _("From %(start)s to %(end)s.") % {"start": _date(start), "end": _date(end)}


def _number(value: Decimal) -> str:
    return format_usdc(value, places=2).removesuffix(" USDC")


def _money_text(currency: str) -> Callable[[Decimal], str]:
    return format_usdc if currency == "USDC" else format_ars
