"""The health score (docs/domain.md §2): five dimensions, each 0-100, weighted into 0-100.

    health = usage*0.35 + engagement*0.25 + outcomes*0.20 + support*0.10 + relationship*0.10
    (weights: config `health.weights`), rounded half up to a whole number.

Each dimension is the weighted mean of its parts (weights: config `health.<dimension>_parts`).
A part without data is None and its weight is spread over the dimension's parts with data; a
dimension without any data is None, listed in `Health.missing`, and its weight is spread
proportionally over the dimensions with data (`Dimension.effective_weight`). No data at all ->
score None and band None.

Parts (all 0-100 points):
- usage.seat_utilisation: active/licensed % through `health.seat_utilisation_steps`
  (<20 -> 0, 20-34 -> 20, 35-49 -> 40, 50-64 -> 60, 65-79 -> 80, >=80 -> 100).
- usage.feature_breadth: features used / available, in % (linear: 45% -> 45 points).
- usage.usage_depth: DAU/MAU stickiness, linear 0 -> 0 .. `health.usage_depth_full_dau_mau`
  (0.5) or more -> 100.
- usage.trend: 90-day active-user change, linear -`health.trend_range_pct` (-30%) -> 0,
  0% -> 50, +30% or more -> 100.
- engagement.touchpoints: completed share of touchpoints in 90 days through
  `health.touchpoint_steps` (<40 -> 0, 40-59 -> 30, 60-74 -> 60, 75-89 -> 80, >=90 -> 100).
- engagement.exec_recency: days since the last executive interaction, linear 0 days -> 100,
  `health.exec_recency_red_days` (60) -> 50, twice that (120) or more -> 0; exec presence recorded
  but never true -> 0.
- engagement.exec_attendance: % of QBR/EBR touchpoints with an executive present (linear).
- outcomes.goals: % of success-plan goals on track or complete (linear).
- outcomes.sentiment: mean of NPS 0-10 -> 0-100 (x10) and CSAT 1-5 -> 0-100 ((csat-1)/4*100).
- support.critical_open: 100 when no critical (p1/urgent) ticket is open more than
  `health.critical_open_business_days` (5) business days, else 0.
- support.csat: ticket CSAT 1-5 -> 0-100 over the last 90 days.
- support.volume_trend: `health.volume_trend_points` (declining 100, flat 70, rising 40, spike 0):
  spike = last 30 days more than `health.volume_spike_pct` (50%) above the 30 days before (and at
  least `health.volume_spike_min_tickets` more); otherwise the last 90 days vs the 90 before:
  within +-`health.volume_flat_pct` (10%) flat, below declining, above rising.
- relationship.champion_stable: champion_changed false -> 100, true -> 0.
- relationship.stakeholders: engaged stakeholders / `health.min_engaged_stakeholders` (2), capped
  at 100. Proxy (the book has no stakeholder list): the champion counts when named (or known
  stable) and not changed; the sponsor counts when `sponsor_engaged` is true.
- relationship.sponsor: sponsor_engaged true -> 100, false -> 0.

The support dimension has data whenever the book has a tickets table (zero tickets is a fact);
unknown booleans are no data, never a zero.

Forced Red (band red whatever the score; `computed_band` keeps the score's own band): a critical
ticket open too long, champion changed (per the book contract), cancellation intent, an invoice
unpaid more than `health.payment_overdue_days` (30) past its due date.

Velocity: the score as of as-of - 30 days, computed the same way from the tables cut at that date;
change > +5 improving, -5..+5 stable, -15..-5 declining, < -15 rapid_drop (`health.velocity`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from deckgen.config import Config
from deckgen.metrics.inputs import HealthInputs
from deckgen.metrics.results import Band, Dimension, Health, Trend
from deckgen.metrics.settings import cache_for, num, setting, steps, weights

DIMENSIONS = ("usage", "engagement", "outcomes", "support", "relationship")
_NO_DATA = {
    "usage": "no data: no usage in the last 3 months, no licensed seats or feature data",
    "engagement": "no data: no touchpoints in 90 days and no executive interaction recorded",
    "outcomes": "no data: no success-plan goal status, NPS or CSAT",
    "support": "no data: the book has no tickets table",
    "relationship": "no data: no champion or sponsor information",
}


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class HealthParams:
    """Every health setting, read from the config once."""

    dim_weights: dict[str, float]
    part_weights: dict[str, dict[str, float]]
    seat_steps: list[tuple[float, float]]
    touchpoint_steps: list[tuple[float, float]]
    depth_full: float
    trend_range: float
    exec_red_days: float
    exec_attendance_red: float
    nps_red: float
    csat_red: float
    critical_days: float
    trend_points: dict[str, float]
    spike_pct: float
    spike_min: float
    flat_pct: float
    min_stakeholders: float
    green: float
    yellow: float
    payment_days: float
    flag_seats: float
    flag_breadth: float
    flag_users: float
    v_improving: float
    v_declining: float
    v_rapid: float

    @staticmethod
    def of(config: Config) -> HealthParams:
        cache = cache_for(config)
        hit = cache.get(("params", "health"))
        if isinstance(hit, HealthParams):
            return hit
        p = HealthParams(
            dim_weights=weights(config, "health.weights"),
            part_weights={d: weights(config, f"health.{d}_parts") for d in DIMENSIONS},
            seat_steps=steps(config, "health.seat_utilisation_steps"),
            touchpoint_steps=steps(config, "health.touchpoint_steps"),
            depth_full=num(config, "health.usage_depth_full_dau_mau"),
            trend_range=num(config, "health.trend_range_pct"),
            exec_red_days=num(config, "health.exec_recency_red_days"),
            exec_attendance_red=num(config, "health.exec_attendance_red_pct"),
            nps_red=num(config, "health.nps_red"),
            csat_red=num(config, "health.csat_red"),
            critical_days=num(config, "health.critical_open_business_days"),
            trend_points={
                str(k): float(v)
                for k, v in dict(setting(config, "health.volume_trend_points")).items()
            },
            spike_pct=num(config, "health.volume_spike_pct"),
            spike_min=num(config, "health.volume_spike_min_tickets"),
            flat_pct=num(config, "health.volume_flat_pct"),
            min_stakeholders=max(1.0, num(config, "health.min_engaged_stakeholders")),
            green=num(config, "health.bands.green"),
            yellow=num(config, "health.bands.yellow"),
            payment_days=num(config, "health.payment_overdue_days"),
            flag_seats=num(config, "health.red_flags.seat_utilisation_pct"),
            flag_breadth=num(config, "health.red_flags.feature_breadth_pct"),
            flag_users=num(config, "health.red_flags.users_decline_pct"),
            v_improving=num(config, "health.velocity.improving"),
            v_declining=num(config, "health.velocity.declining"),
            v_rapid=num(config, "health.velocity.rapid_drop"),
        )
        cache[("params", "health")] = p
        return p


# ---------------------------------------------------------------- helpers


def _clean(value: float | None) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) or math.isinf(f) else f


def clamp(value: float, lo: float = 0.0, hi: float = 100.0) -> float:
    return max(lo, min(hi, value))


def step_points(value: float, table: list[tuple[float, float]]) -> float:
    """Points of the highest step whose lower bound is <= value (0 below every bound)."""
    points = 0.0
    for bound, pts in table:
        if value >= bound:
            points = pts
    return points


def linear_points(value: float, zero_at: float, full_at: float) -> float:
    """`zero_at` -> 0 .. `full_at` -> 100, linear and clamped (either direction)."""
    if full_at == zero_at:
        return 100.0 if value >= full_at else 0.0
    return clamp((value - zero_at) / (full_at - zero_at) * 100.0)


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def weighted(parts: Mapping[str, float | None], w: Mapping[str, float]) -> float | None:
    """Weighted mean over the parts with data; None when no part (with weight) has data."""
    total = 0.0
    wsum = 0.0
    for name, value in parts.items():
        weight = w.get(name, 0.0)
        if value is None or weight <= 0:
            continue
        total += value * weight
        wsum += weight
    if wsum <= 0:
        return None
    return clamp(total / wsum)


def band_for(score: float | None, config: Config) -> Band | None:
    """green >= `health.bands.green`, yellow >= `health.bands.yellow`, else red."""
    if score is None:
        return None
    p = HealthParams.of(config)
    if score >= p.green:
        return "green"
    if score >= p.yellow:
        return "yellow"
    return "red"


def velocity(change: float | None, config: Config) -> str | None:
    """> improving: improving; >= declining: stable; >= rapid_drop: declining; else rapid_drop."""
    if change is None:
        return None
    p = HealthParams.of(config)
    if change > p.v_improving:
        return "improving"
    if change >= p.v_declining:
        return "stable"
    if change >= p.v_rapid:
        return "declining"
    return "rapid_drop"


def volume_trend(inp: HealthInputs, config: Config) -> str | None:
    """Ticket volume trend (see the module docstring); None without a tickets table."""
    return _volume_trend(inp, HealthParams.of(config))


def _volume_trend(inp: HealthInputs, p: HealthParams) -> str | None:
    if not inp.tickets_present:
        return None
    now, before = inp.tickets_30d, inp.tickets_prev_30d
    if now - before >= p.spike_min and (before == 0 or (now - before) / before * 100 > p.spike_pct):
        return "spike"
    cur, prev = inp.tickets_window, inp.tickets_prev_window
    if prev == 0:
        return "flat" if cur == 0 else "rising"
    change = (cur - prev) / prev * 100
    if change < -p.flat_pct:
        return "declining"
    if change > p.flat_pct:
        return "rising"
    return "flat"


def sentiment_points(nps: float | None, csat: float | None) -> float | None:
    """Mean of NPS x 10 and (CSAT - 1) / 4 x 100 over those known."""
    vals = []
    if nps is not None:
        vals.append(clamp(nps * 10.0))
    if csat is not None:
        vals.append(clamp((csat - 1.0) / 4.0 * 100.0))
    return sum(vals) / len(vals) if vals else None


def engaged_stakeholders(inp: HealthInputs) -> int | None:
    """Champion (named or known stable, and not changed) + sponsor (sponsor_engaged true)."""
    known = (
        inp.champion_named
        or inp.sponsor_named
        or inp.champion_changed is not None
        or inp.sponsor_engaged is not None
    )
    if not known:
        return None
    champion = (inp.champion_named or inp.champion_changed is False) and (
        inp.champion_changed is not True
    )
    return int(champion) + int(inp.sponsor_engaged is True)


# ---------------------------------------------------------------- parts and flags


def _parts(inp: HealthInputs, p: HealthParams) -> dict[str, dict[str, float | None]]:
    util = _clean(inp.seat_utilisation_pct)
    breadth = _clean(inp.feature_breadth_pct)
    dau_mau = _clean(inp.dau_mau)
    change = _clean(inp.users_change_90d_pct)
    exec_days = _clean(inp.exec_days)
    if exec_days is not None:
        exec_recency: float | None = linear_points(exec_days, 2 * p.exec_red_days, 0.0)
    else:
        exec_recency = 0.0 if inp.exec_recorded else None
    tp = _clean(inp.touchpoints_completed_pct)
    attendance = _clean(inp.exec_attendance_pct)
    goals = inp.goals_on_track / inp.goals_total * 100.0 if inp.goals_total > 0 else None
    trend = _volume_trend(inp, p)
    t_csat = _clean(inp.ticket_csat)
    stakeholders = engaged_stakeholders(inp)
    return {
        "usage": {
            "seat_utilisation": None if util is None else step_points(util, p.seat_steps),
            "feature_breadth": None if breadth is None else clamp(breadth),
            "usage_depth": None if dau_mau is None else linear_points(dau_mau, 0.0, p.depth_full),
            "trend": None
            if change is None
            else linear_points(change, -p.trend_range, p.trend_range),
        },
        "engagement": {
            "touchpoints": None if tp is None else step_points(tp, p.touchpoint_steps),
            "exec_recency": exec_recency,
            "exec_attendance": None if attendance is None else clamp(attendance),
        },
        "outcomes": {
            "goals": goals,
            "sentiment": sentiment_points(_clean(inp.nps), _clean(inp.csat)),
        },
        "support": {
            "critical_open": None
            if not inp.tickets_present
            else (0.0 if inp.critical_overdue else 100.0),
            "csat": None if t_csat is None else clamp((t_csat - 1.0) / 4.0 * 100.0),
            "volume_trend": None if trend is None else p.trend_points[trend],
        },
        "relationship": {
            "champion_stable": None
            if inp.champion_changed is None
            else (0.0 if inp.champion_changed else 100.0),
            "stakeholders": None
            if stakeholders is None
            else clamp(stakeholders / p.min_stakeholders * 100.0),
            "sponsor": None
            if inp.sponsor_engaged is None
            else (100.0 if inp.sponsor_engaged else 0.0),
        },
    }


def _fmt(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 or abs(x) >= 10 else f"{x:.1f}"


def red_flags(inp: HealthInputs, config: Config) -> dict[str, tuple[str, ...]]:
    """Human-readable red flags per dimension (thresholds from `health.red_flags` and friends)."""
    return _red_flags(inp, HealthParams.of(config))


def _red_flags(inp: HealthInputs, p: HealthParams) -> dict[str, tuple[str, ...]]:
    flags: dict[str, list[str]] = {d: [] for d in DIMENSIONS}
    util = _clean(inp.seat_utilisation_pct)
    if util is not None and util < p.flag_seats:
        flags["usage"].append(
            f"only {util:.0f}% of licensed seats are active ({inp.active_users:.0f} of "
            f"{inp.licensed_seats:.0f}; red flag below {p.flag_seats:.0f}%)"
        )
    breadth = _clean(inp.feature_breadth_pct)
    if breadth is not None and breadth < p.flag_breadth:
        flags["usage"].append(
            f"only {inp.features_used} of {inp.features_available} features in use "
            f"({breadth:.0f}%; red flag below {p.flag_breadth:.0f}%)"
        )
    change = _clean(inp.users_change_90d_pct)
    if change is not None and change < -p.flag_users:
        flags["usage"].append(
            f"active users down {-change:.0f}% over 90 days (red flag beyond -{p.flag_users:.0f}%)"
        )
    exec_days = _clean(inp.exec_days)
    if exec_days is not None and exec_days > p.exec_red_days:
        flags["engagement"].append(
            f"last executive interaction {exec_days:.0f} days ago "
            f"(red flag after {p.exec_red_days:.0f})"
        )
    elif exec_days is None and inp.exec_recorded:
        flags["engagement"].append("no executive interaction on record")
    att = _clean(inp.exec_attendance_pct)
    if att is not None and att < p.exec_attendance_red:
        flags["engagement"].append(
            f"executives attended {inp.reviews_with_exec} of {inp.reviews_total} business "
            f"reviews ({att:.0f}%; red flag below {p.exec_attendance_red:.0f}%)"
        )
    nps, csat = _clean(inp.nps), _clean(inp.csat)
    if nps is not None and nps < p.nps_red:
        flags["outcomes"].append(f"NPS {_fmt(nps)} (red flag below {_fmt(p.nps_red)})")
    if csat is not None and csat < p.csat_red:
        flags["outcomes"].append(f"CSAT {_fmt(csat)} (red flag below {_fmt(p.csat_red)})")
    return {d: tuple(v) for d, v in flags.items()}


def overrides(inp: HealthInputs, config: Config) -> tuple[str, ...]:
    """Reasons the band is forced to Red, readable."""
    p = HealthParams.of(config)
    out: list[str] = []
    if inp.critical_overdue:
        limit = p.critical_days
        if len(inp.critical_overdue) == 1:
            tid, days = inp.critical_overdue[0]
            out.append(f"P1/urgent ticket {tid} open {days} business days (more than {limit:.0f})")
        else:
            ids = ", ".join(t for t, _ in inp.critical_overdue[:5])
            out.append(
                f"{len(inp.critical_overdue)} P1/urgent tickets open more than {limit:.0f} "
                f"business days ({ids})"
            )
    if inp.champion_changed is True:
        out.append("champion changed in the last 90 days (champion departed)")
    if inp.cancellation_intent is True:
        out.append("formal cancellation intent received")
    if inp.overdue_invoice is not None and inp.overdue_invoice[2] > p.payment_days:
        when, amount, days = inp.overdue_invoice
        out.append(
            f"invoice of {when} ({amount:,.2f}) unpaid {days} days past due "
            f"(more than {p.payment_days:.0f})"
        )
    return tuple(out)


# ---------------------------------------------------------------- the score


def _dimension_scores(
    parts: Mapping[str, Mapping[str, float | None]], p: HealthParams
) -> tuple[dict[str, float | None], dict[str, float]]:
    """Dimension scores and effective weights (0 for dimensions without data)."""
    scores = {d: weighted(parts[d], p.part_weights[d]) for d in DIMENSIONS}
    with_data = sum(p.dim_weights.get(d, 0.0) for d in DIMENSIONS if scores[d] is not None)
    eff = {
        d: p.dim_weights.get(d, 0.0) / with_data if scores[d] is not None and with_data > 0 else 0.0
        for d in DIMENSIONS
    }
    return scores, eff


def _combine(scores: Mapping[str, float | None], eff: Mapping[str, float]) -> int | None:
    """Sum of score x effective weight, rounded half up; None when no dimension has data."""
    have = [d for d in DIMENSIONS if scores[d] is not None and eff[d] > 0]
    if not have:
        return None
    return round_half_up(clamp(sum((scores[d] or 0.0) * eff[d] for d in have)))


def dimensions(inp: HealthInputs, config: Config) -> dict[str, Dimension]:
    """The five dimensions with their parts, scores and effective weights."""
    p = HealthParams.of(config)
    parts = _parts(inp, p)
    flags = _red_flags(inp, p)
    scores, eff = _dimension_scores(parts, p)
    out: dict[str, Dimension] = {}
    for d in DIMENSIONS:
        score = scores[d]
        if score is None:
            note = _NO_DATA[d]
        else:
            missing = [k.replace("_", " ") for k, v in parts[d].items() if v is None]
            note = f"no data for {', '.join(missing)}" if missing else ""
        out[d] = Dimension(d, score, p.dim_weights.get(d, 0.0), eff[d], parts[d], flags[d], note)
    return out


def score_of(dims: Mapping[str, Dimension]) -> int | None:
    """Sum of dimension score x effective weight, rounded half up; None when no dimension has
    data."""
    return _combine(
        {d: dims[d].score for d in DIMENSIONS}, {d: dims[d].effective_weight for d in DIMENSIONS}
    )


def health_score(inp: HealthInputs, config: Config) -> int | None:
    """Just the 0-100 score (used for the 30-days-ago velocity)."""
    p = HealthParams.of(config)
    scores, eff = _dimension_scores(_parts(inp, p), p)
    return _combine(scores, eff)


def compute_health(inp: HealthInputs, config: Config, previous: int | None = None) -> Health:
    """The full health result; `previous` is the score as of 30 days earlier (None = unknown)."""
    dims = dimensions(inp, config)
    score = score_of(dims)
    computed = band_for(score, config)
    forced = overrides(inp, config)
    band: Band | None = "red" if forced else computed
    change = score - previous if score is not None and previous is not None else None
    direction = velocity(change, config)
    trend = Trend(previous, change, direction)  # type: ignore[arg-type]
    flags = tuple(f for d in DIMENSIONS for f in dims[d].flags)
    missing = tuple(d for d in DIMENSIONS if dims[d].score is None)
    return Health(score, band, computed, dims, forced, missing, trend, flags)
