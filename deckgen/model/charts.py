"""Chart specs built from an account's metrics: one set per account, shared by every output.

Each builder returns None when the data is missing, so the caller shows a flagged
"data missing" placeholder instead of an empty chart or a row of zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from deckgen.metrics.results import AccountMetrics
from deckgen.model.deck import ChartSpec, Series, Status
from deckgen.narrative.formats import Formatter

_BAND_STATUS: dict[str, Status] = {"green": "green", "yellow": "yellow", "red": "red"}


def _listing(cats: Sequence[str], vals: Sequence[float | None], fmt: Callable[[float], str]) -> str:
    """ "Q1 2026 1,204, Q2 2026 1,310": the numbers behind a chart, for its alt text."""
    return ", ".join(f"{c} {fmt(v)}" for c, v in zip(cats, vals, strict=False) if v is not None)


def _band_of(score: float, green: float, yellow: float) -> Status:
    return "green" if score >= green else ("yellow" if score >= yellow else "red")


def users_chart(m: AccountMetrics, f: Formatter) -> ChartSpec | None:
    u = m.usage
    values = u.active_users_by_quarter
    if not values or all(v is None for v in values):
        return None
    cats = tuple(f.quarter(q) for q in u.quarters)
    series = [Series("Active users", tuple(values), "primary")]
    if u.licensed_seats:
        series.append(
            Series("Licensed seats", tuple(float(u.licensed_seats) for _ in cats), "reference")
        )
    known = [(c, v) for c, v in zip(cats, values, strict=False) if v is not None]
    first, last = known[0], known[-1]
    if len(known) >= 2 and first[1]:
        change = (last[1] - first[1]) / first[1] * 100
        trend = f"{'up' if change >= 0 else 'down'} {f.number(abs(change))}% since {first[0]}"
    else:
        trend = f"{f.number(last[1])} in {last[0]}"
    util = (
        f", {f.pct(u.seat_utilisation_pct)} of licensed seats active"
        if u.seat_utilisation_pct is not None
        else ""
    )
    so_what = f"Active users {trend}{util}."
    alt = "Average monthly active users by quarter: " + ", ".join(
        f"{c} {f.number(v)}" for c, v in known
    )
    if u.licensed_seats:
        alt += f"; licensed seats {f.number(u.licensed_seats)}."
    return ChartSpec(
        "users", "line", cats, tuple(series), "users", "Quarter", "Active users", so_what, alt
    )


def feature_chart(m: AccountMetrics, f: Formatter) -> ChartSpec | None:
    u = m.usage
    if not u.top_features:
        return None
    cats = tuple(name for name, _ in u.top_features)
    vals = tuple(float(n) for _, n in u.top_features)
    coverage = ""
    if u.features_used is not None and u.features_available:
        breadth = f.pct(u.feature_breadth_pct)
        coverage = f"{u.features_used} of {u.features_available} features in use ({breadth}); "
    so_what = f"{coverage}{cats[0]} leads with {f.number(vals[0])} events this quarter."
    alt = "Top features by events this quarter: " + _listing(cats, vals, f.number)
    return ChartSpec(
        "features",
        "barh",
        cats,
        (Series("Events", vals),),
        "events",
        "Events in the quarter",
        "",
        so_what,
        alt,
    )


def health_chart(m: AccountMetrics, f: Formatter, green: float, yellow: float) -> ChartSpec | None:
    dims = [d for d in m.health.dimensions.values() if d.score is not None]
    if not dims:
        return None
    cats = tuple(d.name.capitalize() for d in dims)
    vals = tuple(float(round(d.score or 0)) for d in dims)
    status = tuple(_band_of(v, green, yellow) for v in vals)
    weakest = min(dims, key=lambda d: d.score or 0)
    h = m.health
    head = f"Health {h.score}/100" if h.score is not None else "Health"
    change = ""
    if h.trend.change is not None:
        change = f", {f.delta(h.trend.change)} pts in 30 days"
    so_what = f"{head}{change}; weakest dimension: {weakest.name} ({f.number(weakest.score)})."
    missing = f" No data: {', '.join(h.missing)}." if h.missing else ""
    alt = "Health by dimension (0–100): " + _listing(cats, vals, f.number) + "." + missing
    return ChartSpec(
        "health",
        "barh",
        cats,
        (Series("Score", vals),),
        "points",
        "Score (0–100)",
        "",
        so_what,
        alt,
        point_status=status,
        y_max=100,
    )


def value_by_category_chart(m: AccountMetrics, f: Formatter) -> ChartSpec | None:
    cats_vals = [(k, v) for k, v in m.value.by_category.items() if v]
    if not cats_vals:
        return None
    cats = tuple(k.replace("_", " ").capitalize() for k, _ in cats_vals)
    vals = tuple(float(v) for _, v in cats_vals)
    cur = m.facts.currency
    top = max(range(len(vals)), key=lambda i: vals[i])
    so_what = (
        f"{f.money(m.value.quarterly_value, cur)} of value in {f.quarter(m.value.quarter)}; "
        f"{cats[top].lower()} contributes most ({f.money(vals[top], cur)})."
    )
    alt = f"Value by category in {f.quarter(m.value.quarter)}: " + _listing(
        cats, vals, lambda v: f.money(v, cur)
    )
    return ChartSpec(
        "value_by_category",
        "bar",
        cats,
        (Series("Value", vals),),
        cur,
        "Category",
        f"Value ({cur})",
        so_what,
        alt,
        value_format="money",
        currency=cur,
    )


def value_trend_chart(m: AccountMetrics, f: Formatter) -> ChartSpec | None:
    trend = m.value.trend
    if not trend or all(v is None for _, v in trend):
        return None
    cats = tuple(f.quarter(q) for q, _ in trend)
    vals = tuple(v for _, v in trend)
    cur = m.facts.currency
    known = [(c, v) for c, v in zip(cats, vals, strict=False) if v is not None]
    roi = f" (ROI {f.pct(m.value.roi_pct)})" if m.value.roi_pct is not None else ""
    so_what = f"{f.money(known[-1][1], cur)} of value in {known[-1][0]}{roi}."
    if len(known) >= 2:
        so_what = (
            f"Quarterly value moved from {f.money(known[0][1], cur)} in {known[0][0]} to "
            f"{f.money(known[-1][1], cur)} in {known[-1][0]}{roi}."
        )
    gaps = [c for c, v in zip(cats, vals, strict=False) if v is None]
    alt = "Value delivered by quarter: " + ", ".join(f"{c} {f.money(v, cur)}" for c, v in known)
    if gaps:
        alt += f"; no data for {', '.join(gaps)}"
    return ChartSpec(
        "value_trend",
        "bar",
        cats,
        (Series("Value", vals),),
        cur,
        "Quarter",
        f"Value ({cur})",
        so_what,
        alt + ".",
        value_format="money",
        currency=cur,
    )


def support_chart(m: AccountMetrics, f: Formatter) -> ChartSpec | None:
    s = m.support
    if not s.tickets_by_month:
        return None
    cats = tuple(month for month, _ in s.tickets_by_month)
    vals = tuple(float(n) for _, n in s.tickets_by_month)
    trend = {
        "declining": "declining",
        "flat": "steady",
        "rising": "rising",
        "spike": "spiking",
    }.get(s.volume_trend or "", "")
    res = ""
    if s.median_resolution_hours is not None:
        res = f"; median resolution {f.number(s.median_resolution_hours, 1)} h"
    so_what = f"Ticket volume is {trend or 'shown'} over six months{res}."
    alt = "Tickets opened per month: " + _listing(cats, vals, f.number)
    return ChartSpec(
        "support",
        "bar",
        cats,
        (Series("Tickets", vals),),
        "tickets",
        "Month",
        "Tickets opened",
        so_what,
        alt + ".",
    )


def benchmark_chart(m: AccountMetrics, f: Formatter) -> ChartSpec | None:
    shown = [b for b in m.benchmarks if b.shown and b.unit == "%" and b.customer is not None]
    if not shown:
        return None
    cats = tuple(b.label for b in shown)
    series = (
        Series("You", tuple(b.customer for b in shown), "primary"),
        Series("Peer median", tuple(b.peer_median for b in shown), "reference"),
        Series("Top quartile", tuple(b.top_quartile for b in shown), "secondary"),
    )
    lead = shown[0]
    if lead.in_top_quartile:
        so_what = f"{lead.label}: you are already in the top quartile of {lead.cohort_size} peers."
    else:
        so_what = (
            f"{lead.label}: top performers reach {f.pct(lead.top_quartile)}; "
            f"you are at {f.pct(lead.customer)}."
        )
    alt = "; ".join(
        f"{b.label}: you {f.pct(b.customer)}, peer median {f.pct(b.peer_median)}, "
        f"top quartile {f.pct(b.top_quartile)}"
        for b in shown
    )
    return ChartSpec(
        "benchmark",
        "bar",
        cats,
        series,
        "%",
        "",
        "Percent",
        so_what,
        alt + ".",
        value_format="pct",
        y_max=100,
    )


def account_charts(
    m: AccountMetrics, f: Formatter, green: float, yellow: float
) -> dict[str, ChartSpec]:
    """Every chart an account's outputs may use, keyed by id; missing data -> absent key."""
    specs = {
        "users": users_chart(m, f),
        "features": feature_chart(m, f),
        "health": health_chart(m, f, green, yellow),
        "value_by_category": value_by_category_chart(m, f),
        "value_trend": value_trend_chart(m, f),
        "support": support_chart(m, f),
        "benchmark": benchmark_chart(m, f),
    }
    return {k: v for k, v in specs.items() if v is not None}
