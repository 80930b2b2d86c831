"""The CS Ops program view of a book: QBR engagement rate, health mix, ARR at risk."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from deckgen.config import Config
from deckgen.metrics.results import AccountMetrics


@dataclass(frozen=True)
class ProgramView:
    eligible: int
    held_qbr: int
    engagement_rate_pct: float | None
    health_distribution: dict[str, int]  # green / yellow / red / no data
    at_risk_arr: float
    at_risk_accounts: int
    currency_note: str


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 - months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def program_view(metrics: list[AccountMetrics], config: Config, as_of: date) -> ProgramView:
    """Engagement rate = accounts whose last QBR falls within their tier's cadence before
    `as_of`, divided by eligible accounts (not blocked, not onboarding). At-risk ARR = the ARR
    of Red accounts, summed as-is across currencies (the note says so when they are mixed)."""
    eligible = held = 0
    dist = {"green": 0, "yellow": 0, "red": 0, "no data": 0}
    at_risk = 0.0
    at_risk_n = 0
    currencies = set()
    for m in metrics:
        dist[m.health.band or "no data"] += 1
        if m.health.band == "red":
            at_risk += m.facts.arr
            at_risk_n += 1
            currencies.add(m.facts.currency)
        if m.status == "blocked" or m.facts.onboarding:
            continue
        eligible += 1
        cadence = int(config.get(f"cadence_months.{m.tier}", 3) or 3)
        last = m.facts.last_qbr_date
        if last is not None and _months_before(as_of, cadence) <= last <= as_of:
            held += 1
    rate = held / eligible * 100 if eligible else None
    note = "" if len(currencies) <= 1 else f"mixed currencies: {', '.join(sorted(currencies))}"
    return ProgramView(eligible, held, rate, dist, at_risk, at_risk_n, note)
