"""`sozu credit simulate …` (a loan's schedule and rates), `sozu credit sync` (disbursements)
and `sozu credit follow` (repayments on chain)."""

from __future__ import annotations

import faulthandler
import json
import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import translation

from sozu.credit.exports import simulation_csv
from sozu.credit.management.remind import add_remind_parser, handle_remind
from sozu.credit.services import loans_sync_disbursements
from sozu.credit.simulator import (
    IVA_RATES,
    Frequency,
    Simulation,
    System,
    parse_date,
    simulate,
)
from sozu.formatting import format_ars, format_usdc
from sozu.orgs.management.base import SozuCommand, process_name, stop_on_signals, table

log = logging.getLogger("sozu.credit.follower")

FREQUENCY_ES = {"weekly": "semanal", "biweekly": "quincenal", "monthly": "mensual"}
SYSTEM_ES = {"french": "francés", "german": "alemán", "flat": "tasa plana (flat)"}


class Command(SozuCommand):
    help = (
        "Credit tools: `sozu credit simulate` (a loan's schedule and rates) and "
        "`sozu credit sync` (activate loans whose payout was paid), `sozu credit follow` "
        "(apply repayments paid on chain); each has --help."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sim = sub.add_parser(
            "simulate",
            help="print a loan's schedule of cuotas, TEA and CFT (nothing is saved)",
            description=(
                "Simulate a loan: the schedule of cuotas and its rates (period rate, TEA, CFT "
                "nominal and effective, with and without IVA). Monthly period rate = TNA/12; "
                "weekly and biweekly use 7/365 and 14/365 of the TNA; amounts round to cents "
                "half-up and the last cuota absorbs the rounding."
            ),
        )
        sim.add_argument("--amount", required=True, help="the amount lent, e.g. 100000 or 250.50")
        sim.add_argument("--cuotas", required=True, help="the number of cuotas (1 to 360)")
        sim.add_argument(
            "--frequency",
            required=True,
            choices=[f.value for f in Frequency],
            help="how often a cuota is due",
        )
        sim.add_argument("--tna", required=True, help="the nominal annual rate in percent, e.g. 60")
        sim.add_argument(
            "--system",
            required=True,
            choices=[s.value for s in System],
            help="french: equal cuotas; german: equal capital; flat: interest on the amount",
        )
        sim.add_argument(
            "--iva",
            default="21",
            choices=[f"{r.normalize():f}" for r in IVA_RATES],
            help="IVA on interest and fees in percent (0 = exempt; default 21)",
        )
        sim.add_argument(
            "--start",
            required=True,
            metavar="YYYY-MM-DD",
            help="the first due date; monthly cuotas keep its day of the month",
        )
        sim.add_argument(
            "--origination-fee",
            default="0",
            metavar="PERCENT",
            help="origination fee, percent of the amount withheld when paid out (default 0)",
        )
        sim.add_argument(
            "--insurance",
            default="0",
            metavar="PERCENT",
            help="insurance per period, percent of the balance owed (default 0)",
        )
        sim.add_argument(
            "--business-days",
            action="store_true",
            help="move due dates on weekends and Argentine holidays to the next business day",
        )
        sim.add_argument(
            "--currency",
            default="ARS",
            choices=["ARS", "USDC"],
            help="how amounts are shown in the table (default ARS; JSON amounts are plain)",
        )
        output = sim.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print JSON instead of a table")
        output.add_argument(
            "--csv", action="store_true", help="print the schedule and rates as CSV"
        )
        sync = sub.add_parser(
            "sync",
            help="activate loans whose disbursement payout was paid (schedule from that day)",
            description=(
                "Read the payouts of disbursing loans: a paid payout makes its loan active and "
                "stores its schedule; a cancelled one sends the loan back to approved."
            ),
        )
        sync.add_argument(
            "--loop",
            action="store_true",
            help="keep following payouts until interrupted (Ctrl-C)",
        )
        sync.add_argument(
            "--interval",
            type=float,
            default=5.0,
            metavar="SECONDS",
            help="seconds between two passes with --loop (default 5)",
        )

        add_remind_parser(sub)  # borrowers (E): `sozu credit remind`

        # portfolio (F): the daily recomputation of the derived loan states
        refresh = sub.add_parser(
            "refresh",
            help="recompute the loans' derived state (days past due, late interest) for today",
            description=(
                "Recompute the derived state of the loans whose figures change with the date "
                "(a cuota fell due, late interest accrued). Run it once a day, after midnight. "
                "--all rebuilds every loan's state and the daily flows from the repayments."
            ),
        )
        refresh.add_argument("--all", action="store_true", help="rebuild every loan's state")
        refresh.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="the day to compute for (default today)"
        )
        refresh.add_argument("--org", metavar="SLUG", help="only this organization's loans")

        follow = sub.add_parser(
            "follow",
            help="apply repayments paid on chain to the loans (runs until SIGTERM or Ctrl-C)",
            description=(
                "Read each lending organization's incoming wallet payments from Horizon with a "
                "cursor stored in the database and apply each once, matched to its loan by the "
                "muxed address or the memo reference; the rest goes to the review queue. "
                "Several followers may run at once (PostgreSQL)."
            ),
        )
        follow.add_argument(
            "--name", default="", help="unique per running follower (default: HOST-PID)"
        )
        follow.add_argument(
            "--until-idle", action="store_true", help="exit once every wallet is caught up"
        )
        follow.add_argument(
            "--poll",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="pause between two reads once caught up (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "remind":
            handle_remind(self, options)
            return
        if options["action"] == "refresh":
            self.refresh(options)
            return
        if options["action"] == "follow":
            self._follow(options)
            return
        if options["action"] == "sync":
            actor = f"worker:{process_name('credit')}"
            while True:
                moved = loans_sync_disbursements(actor=actor)
                self.say(f"{moved} préstamo(s) actualizados")
                if not options["loop"]:
                    return
                time.sleep(options["interval"])
        result = simulate(
            amount=options["amount"],
            cuotas=options["cuotas"],
            frequency=options["frequency"],
            tna=options["tna"],
            system=options["system"],
            iva=options["iva"],
            first_due=options["start"],
            origination_fee=options["origination_fee"],
            insurance=options["insurance"],
            business_days=options["business_days"],
        )
        if options["csv"]:
            self.stdout.write(simulation_csv(result), ending="")
            return
        if options["json"]:
            self.say(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        with translation.override("es"):
            self.say(spanish_table(result, options["currency"]))

    def refresh(self, options: dict[str, Any]) -> None:
        from sozu.credit.services.portfolio import loan_states_refresh, portfolio_flows_rebuild
        from sozu.orgs.models import Organization

        organization_id = None
        if options["org"]:
            found = Organization.objects.filter(slug=options["org"]).first()
            if found is None:
                raise CommandError(f"No existe la organización «{options['org']}».")
            organization_id = found.pk
        as_of = parse_date(options["as_of"]) if options["as_of"] else None
        started = time.monotonic()
        written = loan_states_refresh(
            as_of=as_of, organization_id=organization_id, everything=options["all"]
        )
        if options["all"]:
            flows = portfolio_flows_rebuild(organization_id=organization_id)
            self.say(f"{flows} fila(s) de flujos diarios reconstruidas")
        self.say(f"{written} préstamo(s) recalculados en {time.monotonic() - started:.1f} s")

    def _follow(self, options: dict[str, Any]) -> None:
        from sozu.credit.follower import Follower

        # `kill -USR1 <pid>` prints where every thread is (a follower that seems stuck).
        faulthandler.register(signal.SIGUSR1, all_threads=True)

        follower = Follower(
            options["name"] or process_name("follower"), poll_seconds=options["poll"]
        )

        def on_signal(signum: int, frame: FrameType | None) -> None:
            follower.stop_event.set()

        log.info("follower started", extra={"follower": follower.name})
        with stop_on_signals(on_signal):
            follower.run(until_idle=options["until_idle"])
        log.info(
            "follower stopped",
            extra={
                "follower": follower.name,
                "applied": follower.applied,
                "queued": follower.queued,
            },
        )
        if options["until_idle"]:
            self.say(f"{follower.applied} pago(s) aplicados, {follower.queued} a revisar")


def spanish_table(result: Simulation, currency: str) -> str:
    def fmt(value: Any) -> str:
        return format_ars(value) if currency == "ARS" else format_usdc(value)

    t = result.terms
    rates = result.as_dict()["rates"]

    def pct(key: str) -> str:
        return rates[key].replace(".", ",") + " %"

    rows = [
        [
            r.number,
            r.due_date.strftime("%d/%m/%Y") + (" *" if r.due_date != r.nominal_date else ""),
            fmt(r.capital),
            fmt(r.interest),
            fmt(r.iva),
            fmt(r.fees),
            fmt(r.total),
            fmt(r.balance),
        ]
        for r in result.rows
    ]
    tot = result.totals
    rows.append(
        [
            "Total",
            "",
            fmt(tot["capital"]),
            fmt(tot["interest"]),
            fmt(tot["iva"]),
            fmt(tot["fees"]),
            fmt(tot["total"]),
            "",
        ]
    )
    head = ["N°", "Vencimiento", "Capital", "Interés", "IVA", "Seguro", "Cuota", "Saldo"]
    lines = [
        f"Préstamo de {fmt(t.amount)} en {t.cuotas} cuotas "
        f"({FREQUENCY_ES[t.frequency.value]}es, sistema {SYSTEM_ES[t.system.value]}), "
        f"TNA {pct('tna')}, IVA {str(t.iva).replace('.', ',')} %",
        "",
        table(head, rows),
        "",
    ]
    if any(r.due_date != r.nominal_date for r in result.rows):
        lines += ["* vencimiento movido al siguiente día hábil", ""]
    if result.origination_fee:
        lines.append(
            f"Comisión de otorgamiento: {fmt(result.origination_fee)} + IVA "
            f"{fmt(result.origination_fee_iva)}; recibe {fmt(result.net_disbursed)}"
        )
    lines += [
        f"Tasa del período: {pct('period_rate')}",
        f"TEA: {pct('tea')}",
        f"CFT nominal anual con IVA: {pct('cft_nominal')}",
        f"CFT efectivo anual con IVA: {pct('cft_effective')}",
        f"CFT nominal anual sin IVA: {pct('cft_nominal_without_iva')}",
        f"CFT efectivo anual sin IVA: {pct('cft_effective_without_iva')}",
    ]
    return "\n".join(lines)
