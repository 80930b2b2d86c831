"""The CS Ops program view of a book: QBR engagement rate, health mix, ARR at risk, and the
same by CSM and by tier (`domain.md` §9).

ARR at risk is kept per currency: a book may hold USD, EUR and GBP accounts, and a sum across
them would be a number in no currency.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from deckgen.config import Config
from deckgen.metrics.results import AccountMetrics

BANDS = ("green", "yellow", "red", "no data")


@dataclass(frozen=True)
class ProgramGroup:
    """One CSM's or one tier's accounts: how many, their health mix, their ARR at risk."""

    name: str
    accounts: int
    health_distribution: dict[str, int]  # green / yellow / red / no data
    at_risk_arr_by_currency: dict[str, float]  # currency code -> ARR of Red accounts


@dataclass(frozen=True)
class ProgramView:
    eligible: int
    held_qbr: int
    engagement_rate_pct: float | None
    health_distribution: dict[str, int]  # green / yellow / red / no data
    at_risk_arr: float  # summed as-is across currencies: see at_risk_arr_by_currency
    at_risk_accounts: int
    at_risk_arr_by_currency: dict[str, float]
    by_csm: tuple[ProgramGroup, ...]  # most Red accounts first
    by_tier: tuple[ProgramGroup, ...]


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 - months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def program_view(metrics: list[AccountMetrics], config: Config, as_of: date) -> ProgramView:
    """Engagement rate = accounts whose last QBR falls within their tier's cadence before
    `as_of`, divided by eligible accounts (not blocked, not onboarding). At-risk ARR = the ARR
    of Red accounts, per currency (`at_risk_arr` is their plain sum, kept for the manifest)."""
    eligible = held = 0
    for m in metrics:
        if m.status == "blocked" or m.facts.onboarding:
            continue
        eligible += 1
        cadence = int(config.get(f"cadence_months.{m.tier}", 3) or 3)
        last = m.facts.last_qbr_date
        if last is not None and _months_before(as_of, cadence) <= last <= as_of:
            held += 1
    rate = held / eligible * 100 if eligible else None
    book = _group("all", metrics)
    return ProgramView(
        eligible,
        held,
        rate,
        book.health_distribution,
        sum(book.at_risk_arr_by_currency.values()),
        book.health_distribution["red"],
        book.at_risk_arr_by_currency,
        _groups(metrics, lambda m: m.facts.csm_name or "no CSM"),
        _groups(metrics, lambda m: m.tier),
    )


def _group(name: str, metrics: list[AccountMetrics]) -> ProgramGroup:
    dist = dict.fromkeys(BANDS, 0)
    at_risk: dict[str, float] = {}
    for m in metrics:
        dist[m.health.band or "no data"] += 1
        if m.health.band == "red":
            at_risk[m.facts.currency] = at_risk.get(m.facts.currency, 0.0) + m.facts.arr
    largest_first = sorted(at_risk.items(), key=lambda item: (-item[1], item[0]))
    return ProgramGroup(name, len(metrics), dist, dict(largest_first))


def _groups(
    metrics: list[AccountMetrics], key: Callable[[AccountMetrics], str]
) -> tuple[ProgramGroup, ...]:
    members: dict[str, list[AccountMetrics]] = {}
    for m in metrics:
        members.setdefault(key(m), []).append(m)
    groups = [_group(name, ms) for name, ms in members.items()]
    return tuple(sorted(groups, key=lambda g: (-g.health_distribution["red"], g.name.casefold())))
