"""`sozu credit simulate`: the same result as the simulator, as JSON or a Spanish table."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import numpy_financial as npf
import pytest
from django.core.management import call_command

ARGS = [
    "credit",
    "simulate",
    "--amount",
    "100000",
    "--cuotas",
    "12",
    "--frequency",
    "monthly",
    "--tna",
    "60",
    "--system",
    "french",
    "--iva",
    "21",
    "--start",
    "2026-01-15",
]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_json_prints_the_schedule_and_the_rates_with_amounts_as_strings() -> None:
    data = json.loads(run(*ARGS, "--json"))

    schedule = data["schedule"]
    assert len(schedule) == 12
    assert [row["number"] for row in schedule] == list(range(1, 13))
    assert schedule[0]["due_date"] == "2026-01-15"
    assert schedule[-1]["due_date"] == "2026-12-15"
    assert schedule[-1]["balance"] == "0.00"
    for row in schedule:
        for key in ("capital", "interest", "iva", "fees", "total", "balance"):
            assert isinstance(row[key], str)
    # The first cuota: the annuity numpy-financial computes, plus 21 % IVA on 5 % interest.
    annuity = Decimal(f"{-npf.pmt(0.05, 12, 100000):.2f}")
    assert Decimal(schedule[0]["interest"]) == Decimal("5000.00")
    assert Decimal(schedule[0]["iva"]) == Decimal("1050.00")
    assert Decimal(schedule[0]["total"]) == annuity + Decimal("1050.00")
    assert sum(Decimal(r["capital"]) for r in schedule) == Decimal("100000")
    rates = data["rates"]
    assert rates["tea"] == "79.5856"
    assert set(rates) >= {
        "period_rate",
        "cft_nominal",
        "cft_effective",
        "cft_nominal_without_iva",
        "cft_effective_without_iva",
    }


def test_without_json_it_prints_a_spanish_table() -> None:
    text = run(*ARGS, "--business-days")
    assert "Vencimiento" in text and "Cuota" in text and "Saldo" in text
    assert "$ 100.000,00" in text  # ARS in es-AR
    assert "18/02/2026 *" in text  # moved past Carnival, and flagged
    assert "TEA: 79,5856 %" in text
    assert "CFT efectivo anual con IVA" in text


def test_bad_input_exits_with_the_message_and_prints_nothing() -> None:
    out, err = StringIO(), StringIO()
    args = [a if a != "60" else "-5" for a in ARGS]
    with pytest.raises(SystemExit) as exc:
        call_command(*args, "--json", stdout=out, stderr=err)
    assert exc.value.code == 1
    assert out.getvalue() == ""
    assert "TNA" in err.getvalue()


def test_every_option_has_help_text() -> None:
    from sozu.credit.management.commands.credit import Command

    parser = Command().create_parser("sozu", "credit")
    sub = next(a for a in parser._actions if a.dest == "action")
    simulate = sub.choices["simulate"]  # type: ignore[index]
    options = [a for a in simulate._actions if a.option_strings and a.dest != "help"]
    assert len(options) >= 12
    sync = sub.choices["sync"]  # type: ignore[index]
    assert all(a.help for a in sync._actions if a.option_strings)
    assert all(a.help for a in options), [a.dest for a in options if not a.help]


@pytest.mark.django_db
def test_sync_activates_the_loans_whose_payout_was_paid() -> None:
    import datetime as dt

    from tests.factories import PayoutFactory

    from sozu.credit.models import Loan
    from sozu.credit.tests.factories import draft_loan

    loan = draft_loan()
    payout = PayoutFactory.create(
        organization=loan.organization,
        amount=loan.amount,
        paid_at=dt.datetime(2026, 8, 3, 12, tzinfo=dt.UTC),
    )
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.DISBURSING, payout=payout)

    assert run("credit", "sync").strip() == "1 préstamo(s) actualizados"

    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE
    assert loan.disbursed_on == dt.date(2026, 8, 3)
    assert loan.schedule.count() == loan.cuotas
    assert run("credit", "sync").strip() == "0 préstamo(s) actualizados"


def test_csv_has_one_row_per_cuota_and_the_rates() -> None:
    import csv

    rows = list(csv.reader(run(*ARGS, "--csv").splitlines()))
    assert rows[0][:4] == ["cuota", "vencimiento", "vencimiento_original", "capital"]
    cuotas = rows[1:13]
    assert [int(r[0]) for r in cuotas] == list(range(1, 13))
    assert sum(Decimal(r[3]) for r in cuotas) == Decimal("100000")
    assert rows[13][0] == "total" and Decimal(rows[13][3]) == Decimal("100000")
    rates = {r[0]: r[1] for r in rows[14:] if r}
    assert rates["tea_porcentaje"] == "79.5856"
    assert set(rates) >= {"cft_effective_porcentaje", "cft_effective_without_iva_porcentaje"}
