"""Peer benchmarks (docs/domain.md §5): the customer vs the peer median vs the top quartile.

Metrics (config `benchmarks.metrics`, in that order):
- user_adoption_pct: seat utilisation, active users / licensed seats (%); higher is better.
- feature_utilisation_pct: feature breadth, features used / available (%); higher is better.
- resolution_hours: median ticket resolution time in the review quarter (hours); lower is better.
- tickets_per_month: tickets opened in the review quarter / 3; lower is better.
- health_score: the health score (points); higher is better.

Peers of an account, per metric: the other accounts (never the account itself) of the same tier
and the same industry that have a value, when there are at least `benchmarks.min_industry_cohort`
of them; otherwise the other accounts of the same tier with a value. Accounts blocked by
validation are not peers. `peer_median` is the median of the peers' values and `top_quartile`
their 75th percentile (25th when lower is better), both with linear interpolation. A benchmark is
`shown` only when there are at least `benchmarks.min_cohort` peers and the customer has a value;
otherwise the peer values are withheld (None). Peer identities never leave this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from deckgen.config import Config
from deckgen.metrics.results import Benchmark, Health, SupportSummary, UsageSummary
from deckgen.metrics.settings import num, setting

METRICS: dict[str, tuple[str, str, bool]] = {
    # metric: (label, unit, higher is better)
    "user_adoption_pct": ("User adoption", "%", True),
    "feature_utilisation_pct": ("Feature utilisation", "%", True),
    "resolution_hours": ("Median resolution time", "hours", False),
    "tickets_per_month": ("Tickets per month", "tickets", False),
    "health_score": ("Health score", "points", True),
}


def benchmark_values(
    usage: UsageSummary, support: SupportSummary, health: Health
) -> dict[str, float | None]:
    """The account's own value of every benchmark metric."""
    per_month = support.tickets_in_quarter / 3.0 if support.tickets_in_quarter is not None else None
    return {
        "user_adoption_pct": usage.seat_utilisation_pct,
        "feature_utilisation_pct": usage.feature_breadth_pct,
        "resolution_hours": support.median_resolution_hours,
        "tickets_per_month": per_month,
        "health_score": None if health.score is None else float(health.score),
    }


@dataclass(frozen=True)
class PeerRecord:
    account_id: str
    tier: str
    industry: str | None
    values: Mapping[str, float | None]


def _ikey(industry: str | None) -> str | None:
    return industry.strip().casefold() if industry and industry.strip() else None


def percentile_without(sorted_vals: np.ndarray, skip: int | None, pct: float) -> float:
    """Linear-interpolated percentile (numpy's default) of `sorted_vals` with the element at
    index `skip` left out (None: keep all). O(1)."""
    n = len(sorted_vals) - (0 if skip is None else 1)
    pos = pct / 100.0 * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)

    def at(i: int) -> float:
        if skip is not None and i >= skip:
            i += 1
        return float(sorted_vals[i])

    a, b = at(lo), at(hi)
    return a + (b - a) * (pos - lo)


def _percentiles_excluding_each(vals: np.ndarray, pct: float) -> np.ndarray:
    """For a sorted array, the percentile of the array without element k, for every k
    (vectorised `percentile_without`)."""
    n = len(vals) - 1
    if n <= 0:
        return np.full(len(vals), np.nan)
    pos = pct / 100.0 * (n - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    k = np.arange(len(vals))
    a = np.where(lo < k, vals[lo], vals[min(lo + 1, len(vals) - 1)])
    b = np.where(hi < k, vals[hi], vals[min(hi + 1, len(vals) - 1)])
    return a + (b - a) * (pos - lo)


@dataclass(frozen=True)
class _Group:
    size: int  # accounts with a value
    rank: Mapping[str, int]  # member account -> index in the sorted values
    all_stats: tuple[float, float, float]  # median, 75th, 25th percentile of all values
    without: tuple[np.ndarray, np.ndarray, np.ndarray]  # the same without each member


class Cohorts:
    """Peer statistics per metric, per tier and per (tier, industry), computed once for every
    group (with each member left out in turn, vectorised): per account it is a lookup."""

    def __init__(self, records: Iterable[PeerRecord], config: Config) -> None:
        self.min_cohort = int(num(config, "benchmarks.min_cohort"))
        self.min_industry = int(num(config, "benchmarks.min_industry_cohort"))
        self.metrics = [m for m in setting(config, "benchmarks.metrics") if m in METRICS]
        members: dict[tuple[str, str, str | None], list[tuple[float, str]]] = {}
        for rec in records:
            ind = _ikey(rec.industry)
            for m in self.metrics:
                v = rec.values.get(m)
                if v is None or v != v:
                    continue
                members.setdefault((m, rec.tier, None), []).append((float(v), rec.account_id))
                if ind is not None:
                    members.setdefault((m, rec.tier, ind), []).append((float(v), rec.account_id))
        self.groups: dict[tuple[str, str, str | None], _Group] = {}
        for key, items in members.items():
            items.sort()
            vals = np.array([v for v, _ in items], dtype="float64")
            self.groups[key] = _Group(
                size=len(vals),
                rank={a: i for i, (_, a) in enumerate(items)},
                all_stats=(
                    percentile_without(vals, None, 50.0),
                    percentile_without(vals, None, 75.0),
                    percentile_without(vals, None, 25.0),
                ),
                without=(
                    _percentiles_excluding_each(vals, 50.0),
                    _percentiles_excluding_each(vals, 75.0),
                    _percentiles_excluding_each(vals, 25.0),
                ),
            )

    def _peers(
        self, key: tuple[str, str, str | None], account_id: str
    ) -> tuple[int, tuple[float, float, float] | None]:
        """(number of peers, (median, 75th, 25th percentile) of the peers)."""
        group = self.groups.get(key)
        if group is None:
            return 0, None
        k = group.rank.get(account_id)
        if k is None:
            return group.size, group.all_stats
        if group.size <= 1:
            return 0, None
        med, p75, p25 = group.without
        return group.size - 1, (float(med[k]), float(p75[k]), float(p25[k]))

    def benchmarks(
        self,
        account_id: str,
        tier: str,
        industry: str | None,
        values: Mapping[str, float | None],
    ) -> tuple[Benchmark, ...]:
        """The account's benchmarks, one per configured metric (peer values only when shown)."""
        out = []
        ind = _ikey(industry)
        for metric in self.metrics:
            label, unit, higher = METRICS[metric]
            raw = values.get(metric)
            customer = float(raw) if raw is not None and raw == raw else None
            cohort = tier.replace("_", " ")
            size, stats = self._peers((metric, tier, None), account_id)
            if ind is not None:
                isize, istats = self._peers((metric, tier, ind), account_id)
                if isize >= self.min_industry:
                    size, stats = isize, istats
                    cohort = f"{cohort} · {(industry or '').strip().replace('_', ' ')}"
            shown = size >= self.min_cohort and customer is not None and stats is not None
            median = top = None
            in_top = False
            if shown and stats is not None and customer is not None:
                median = stats[0]
                top = stats[1] if higher else stats[2]
                in_top = customer >= top if higher else customer <= top
            out.append(
                Benchmark(
                    metric=metric,
                    label=label,
                    unit=unit,
                    customer=customer,
                    peer_median=median,
                    top_quartile=top,
                    cohort=cohort,
                    cohort_size=size,
                    higher_is_better=higher,
                    shown=shown,
                    in_top_quartile=in_top,
                )
            )
        return tuple(out)
