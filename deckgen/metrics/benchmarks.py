"""Peer benchmarks (domain rules §5): the customer vs the peer median vs the top quartile.

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
    per_month = (
        support.tickets_in_quarter / 3.0 if support.tickets_in_quarter is not None else None
    )
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


def _ok(v: float | None) -> bool:
    return v is not None and not math.isnan(v)


def percentile_without(sorted_vals: np.ndarray, skip: int | None, pct: float) -> float:
    """Linear-interpolated percentile (numpy's default) of `sorted_vals` with the element at
    index `skip` left out (None: keep all). O(1)."""
    n = len(sorted_vals) - (0 if skip is None else 1)
    pos = pct / 100.0 * (n - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)

    def at(i: int) -> float:
        if skip is not None and i >= skip:
            i += 1
        return float(sorted_vals[i])

    a, b = at(lo), at(hi)
    return a + (b - a) * (pos - lo)


class Cohorts:
    """Sorted peer values per metric, per tier and per (tier, industry), built once."""

    def __init__(self, records: Iterable[PeerRecord], config: Config) -> None:
        self.min_cohort = int(num(config, "benchmarks.min_cohort"))
        self.min_industry = int(num(config, "benchmarks.min_industry_cohort"))
        self.metrics = [m for m in setting(config, "benchmarks.metrics") if m in METRICS]
        self.by_id: dict[str, PeerRecord] = {}
        groups: dict[tuple[str, str, str | None], list[float]] = {}
        for rec in records:
            self.by_id[rec.account_id] = rec
            ind = _ikey(rec.industry)
            for m in self.metrics:
                v = rec.values.get(m)
                if not _ok(v):
                    continue
                groups.setdefault((m, rec.tier, None), []).append(float(v))  # type: ignore[arg-type]
                if ind is not None:
                    groups.setdefault((m, rec.tier, ind), []).append(float(v))  # type: ignore[arg-type]
        self.groups = {k: np.sort(np.asarray(v, dtype="float64")) for k, v in groups.items()}

    def _peers(
        self, metric: str, tier: str, ind: str | None, account_id: str
    ) -> tuple[np.ndarray, int | None]:
        vals = self.groups.get((metric, tier, ind), np.empty(0))
        rec = self.by_id.get(account_id)
        skip = None
        if rec is not None and rec.tier == tier and (ind is None or _ikey(rec.industry) == ind):
            own = rec.values.get(metric)
            if _ok(own) and len(vals):
                skip = int(np.searchsorted(vals, float(own)))  # type: ignore[arg-type]
        return vals, skip

    def benchmarks(
        self,
        account_id: str,
        tier: str,
        industry: str | None,
        values: Mapping[str, float | None],
    ) -> tuple[Benchmark, ...]:
        out = []
        ind = _ikey(industry)
        for metric in self.metrics:
            label, unit, higher = METRICS[metric]
            customer = values.get(metric)
            customer = float(customer) if _ok(customer) else None  # type: ignore[arg-type]
            cohort = tier.replace("_", " ")
            vals, skip = self._peers(metric, tier, None, account_id)
            if ind is not None:
                ivals, iskip = self._peers(metric, tier, ind, account_id)
                if len(ivals) - (iskip is not None) >= self.min_industry:
                    vals, skip = ivals, iskip
                    cohort = f"{cohort} · {(industry or '').strip().replace('_', ' ')}"
            size = len(vals) - (skip is not None)
            shown = size >= self.min_cohort and customer is not None
            median = top = None
            in_top = False
            if shown:
                median = percentile_without(vals, skip, 50.0)
                top = percentile_without(vals, skip, 75.0 if higher else 25.0)
                assert customer is not None
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
                    cohort_size=max(0, size),
                    higher_is_better=higher,
                    shown=shown,
                    in_top_quartile=in_top,
                )
            )
        return tuple(out)
