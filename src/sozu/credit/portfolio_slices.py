"""The figures of one slice of the portfolio (all of it, a product, an officer, a group):
what the indicators add up (portfolio.py) and how they turn into rates and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sozu.credit.simulator import ZERO

#: PAR 1, 30 and 90: capital more than n days late (PAR 1: at least one day).
PAR_DAYS = (1, 30, 90)
PERCENT = Decimal("0.01")


@dataclass
class Figures:
    """The indicators of one slice of the portfolio (all, a product, an officer)."""

    gross: Decimal = ZERO
    active_loans: int = 0
    borrowers: int = 0
    overdue: Decimal = ZERO
    at_risk: dict[int, Decimal] = field(default_factory=lambda: dict.fromkeys(PAR_DAYS, ZERO))
    disbursed: Decimal = ZERO
    disbursed_count: int = 0
    due: Decimal = ZERO
    collected: Decimal = ZERO
    written_off: Decimal = ZERO
    written_off_count: int = 0

    @property
    def par(self) -> dict[int, Decimal]:
        """PAR n in percent of the gross portfolio (2 decimals)."""
        return {
            n: (v * 100 / self.gross).quantize(PERCENT) if self.gross else ZERO
            for n, v in self.at_risk.items()
        }

    @property
    def collection_rate(self) -> Decimal | None:
        return (self.collected * 100 / self.due).quantize(PERCENT) if self.due else None

    @property
    def average_balance(self) -> Decimal:
        return (self.gross / self.active_loans).quantize(PERCENT) if self.active_loans else ZERO

    @property
    def average_disbursed(self) -> Decimal:
        if not self.disbursed_count:
            return ZERO
        return (self.disbursed / self.disbursed_count).quantize(PERCENT)

    def as_dict(self) -> dict[str, Any]:
        rate = self.collection_rate
        return {
            "gross_portfolio": str(self.gross),
            "active_loans": self.active_loans,
            "active_borrowers": self.borrowers,
            "overdue": str(self.overdue),
            "par": {str(n): str(v) for n, v in self.par.items()},
            "at_risk": {str(n): str(v) for n, v in self.at_risk.items()},
            "disbursed": str(self.disbursed),
            "disbursed_count": self.disbursed_count,
            "due": str(self.due),
            "collected": str(self.collected),
            "collection_rate": str(rate) if rate is not None else None,
            "written_off": str(self.written_off),
            "written_off_count": self.written_off_count,
            "average_balance": str(self.average_balance),
            "average_disbursed": str(self.average_disbursed),
        }
