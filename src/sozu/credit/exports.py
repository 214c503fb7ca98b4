"""A simulation as CSV (the simulator page's and the CLI's export): one row per cuota."""

from __future__ import annotations

import csv
import io

from sozu.credit.simulator import Simulation

#: Spanish headers (the users' words); amounts are plain decimals with a dot, dates ISO 8601.
HEADER = [
    "cuota",
    "vencimiento",
    "vencimiento_original",
    "capital",
    "interes",
    "iva",
    "seguro",
    "total_cuota",
    "saldo",
]


def simulation_csv(simulation: Simulation) -> str:
    """The schedule as CSV text (RFC 4180, CRLF line ends), then a blank line and the rates."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for r in simulation.rows:
        writer.writerow(
            [
                r.number,
                r.due_date.isoformat(),
                r.nominal_date.isoformat(),
                r.capital,
                r.interest,
                r.iva,
                r.fees,
                r.total,
                r.balance,
            ]
        )
    totals = simulation.totals
    writer.writerow(
        [
            "total",
            "",
            "",
            totals["capital"],
            totals["interest"],
            totals["iva"],
            totals["fees"],
            totals["total"],
            "",
        ]
    )
    writer.writerow([])
    rates = simulation.as_dict()["rates"]
    for key in (
        "tna",
        "period_rate",
        "tea",
        "cft_nominal",
        "cft_effective",
        "cft_nominal_without_iva",
        "cft_effective_without_iva",
    ):
        writer.writerow([f"{key}_porcentaje", rates[key]])
    return out.getvalue()
