"""Tier routing, review cadence and EBR selection (docs/domain.md §1).

- tier: the account's explicit `tier` when it is a configured tier, else the highest tier whose ARR
  lower bound (config `tiers`, account currency) is <= ARR. With the defaults: strategic >= 500K,
  enterprise 100K-500K, mid_market 25K-100K, smb 5K-25K, tech_touch < 5K.
- cadence: months between reviews for a tier (config `cadence_months`).
- EBR: ARR above `ebr_arr` (default 250K), or the account is at risk (health band red).
- next QBR: `next_qbr_date`, else `last_qbr_date` + cadence months, else unknown.
"""

from __future__ import annotations

import math
from datetime import date

from deckgen.config import Config
from deckgen.metrics.periods import add_months
from deckgen.metrics.results import AccountFacts, AccountMetrics, Band
from deckgen.metrics.settings import setting


def tier_bounds(config: Config) -> list[tuple[str, float]]:
    """`[(tier, ARR lower bound), ...]`, highest bound first."""
    raw = dict(setting(config, "tiers"))
    return sorted(((str(t), float(b)) for t, b in raw.items()), key=lambda tb: -tb[1])


def tier_for(arr: float | None, explicit: str | None, config: Config) -> str:
    """The account's tier: a valid explicit `tier` overrides the ARR band."""
    bounds = tier_bounds(config)
    if explicit:
        key = str(explicit).strip().lower().replace(" ", "_").replace("-", "_")
        if any(key == t for t, _ in bounds):
            return key
    value = 0.0 if arr is None or (isinstance(arr, float) and math.isnan(arr)) else float(arr)
    for tier, bound in bounds:
        if value >= bound:
            return tier
    return bounds[-1][0]


def cadence_months(tier: str, config: Config) -> int:
    """Months between reviews for `tier` (config `cadence_months`; 3 when not listed)."""
    raw = dict(setting(config, "cadence_months"))
    return int(raw.get(tier, 3))


def is_ebr(arr: float | None, band: Band | None, config: Config) -> bool:
    """An executive business review: ARR > `ebr_arr`, or the account is at risk (band red)."""
    over = (
        arr is not None
        and not math.isnan(float(arr))
        and float(arr) > float(setting(config, "ebr_arr"))
    )
    return bool(over or band == "red")


def next_qbr(facts: AccountFacts, cadence: int | None = None) -> date | None:
    """The next review date: `next_qbr_date`, else `last_qbr_date` + `cadence` months (pass
    `cadence_months(tier, config)`; see `next_qbr_for`), else None."""
    if facts.next_qbr_date is not None:
        return facts.next_qbr_date
    if facts.last_qbr_date is not None and cadence is not None:
        return add_months(facts.last_qbr_date, cadence)
    return None


def next_qbr_for(metrics: AccountMetrics, config: Config) -> date | None:
    """`next_qbr` of an account's metrics, with its tier's configured cadence."""
    return next_qbr(metrics.facts, cadence_months(metrics.tier, config))
