"""Churn and expansion signals (docs/domain.md §3): a few, ranked, each backed by data.

Product-type churn signals (thresholds: config `signals.product.<type>`); each is shown red below
its threshold, yellow within `signals.yellow_margin_pct` (25%) of it, green otherwise:
- collaboration: DAU/MAU of the latest usage month (< 0.3 disengaged).
- project_management: active users / licensed seats of the latest month, a monthly proxy for
  weekly active seats (< 50%).
- analytics: dashboard views per active user per week: events of features whose name contains
  "dashboard" in the latest feature month / that month's active users / weeks in the month (< 2).
- sales_enablement: sequences per rep per month: events of "sequence" features in the latest
  feature month / that month's active users (reps) (< 1).
- customer_support: ticket deflection rate: "deflect" feature events / ("deflect" + "ticket"
  feature events) in the latest feature month, % (< 40). No such features: no signal.
- api_platform: API calls in the review quarter vs the previous one, % (decline > 20% flags);
  needs all three months of `api_calls` in both quarters.
Keywords: `signals.feature_keywords`. A month in progress (the as-of month) is scaled by the share
of it elapsed.

Generic churn signals (emitted only when raised):
- users_decline: active users down > `signals.users_decline_pct` (30%) over 90 days (red);
  down > `health.red_flags.users_decline_pct` (20%) is yellow.
- champion_changed: the champion changed in the last 90 days (red).
- ticket_spike: the support volume trend is a spike; red with ticket CSAT below
  `signals.ticket_spike_csat`.
- renewal_soon: renewal within `signals.renewal_window_days` (90); the book cannot tell whether a
  renewal conversation has started, so the message asks to confirm it (yellow).
- mrr_down: billed amount (non-void invoices) of the review quarter below the previous quarter by
  more than `signals.mrr_decline_pct` (yellow; beyond `validation.mrr_drop_pct` the message asks
  to rule out a billing-data error first). Needs invoices in both quarters.
Expansion signals (green): seats > `signals.seats_used_pct` (80%) used; average monthly active
users up >= `signals.usage_growth_pct` (20%) quarter over quarter; API calls up >= 20% QoQ; features
used for the first time in the review quarter (≈ new teams or use cases); the product type's
expansion feature (project creation, report exports, endpoints, sequences, deflection, external
invites) up >= 20% QoQ.

Ranking: red risks, then yellow risks, then expansion signals, then healthy (green) product
metrics; within a class by how far past the threshold. The top `signals.max_shown` are returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from deckgen.config import Config
from deckgen.metrics.aggregates import Aggregates
from deckgen.metrics.health import volume_trend
from deckgen.metrics.inputs import HealthInputs
from deckgen.metrics.periods import (
    days_in_month,
    month_index,
    month_text,
    quarter_from_index,
    quarter_index,
)
from deckgen.metrics.results import Band, Period, Signal, UsageSummary
from deckgen.metrics.settings import num, setting

_BASE = {
    ("risk", "red"): 300.0,
    ("risk", "yellow"): 200.0,
    ("expansion", "green"): 100.0,
    ("risk", "green"): 0.0,
}

EXPANSION_LABELS = {
    "project_management": ("project_growth", "New project creation"),
    "analytics": ("export_growth", "Report export volume"),
    "api_platform": ("endpoint_growth", "Endpoint adoption"),
    "sales_enablement": ("sequence_growth", "Sequences created"),
    "customer_support": ("deflection_growth", "Ticket deflection volume"),
    "collaboration": ("invite_growth", "External invites"),
}


@dataclass(frozen=True)
class SignalContext:
    """What the signal rules read for one account."""

    account: dict[str, Any]
    inputs: HealthInputs
    usage: UsageSummary
    agg: Aggregates
    pos: int
    period: Period
    as_of: date
    currency: str
    has_invoices: bool

    @property
    def review(self) -> int:
        return quarter_index(self.period.quarter)


def _signal(
    kind: str,
    code: str,
    label: str,
    value: float | None,
    threshold: float | None,
    unit: str,
    status: Band,
    message: str,
    strength: float,
) -> Signal:
    rank = _BASE[(kind, status)] + 99.0 * max(0.0, min(1.0, strength))
    return Signal(kind, code, label, value, threshold, unit, status, message, round(rank, 3))  # type: ignore[arg-type]


def _num(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _pct(x: float) -> str:
    return f"{abs(x):.0f}%"


def _floor_status(value: float, threshold: float, margin: float) -> Band:
    """Higher is better: red below the threshold, yellow within the margin above it."""
    if value < threshold:
        return "red"
    if value < threshold * (1 + margin):
        return "yellow"
    return "green"


def _decline_status(change: float, limit: float, margin: float) -> Band:
    """Change in %: red when it falls more than `limit`, yellow within the margin of it."""
    if change < -limit:
        return "red"
    if change < -limit * (1 - margin):
        return "yellow"
    return "green"


def _strength(value: float, threshold: float) -> float:
    if threshold == 0:
        return min(1.0, abs(value) / 100.0)
    return min(1.0, abs(value - threshold) / abs(threshold))


# ---------------------------------------------------------------- data helpers


def _month_fraction(month: int, as_of: date) -> float:
    """Share of the month covered by the data: the as-of month is in progress."""
    if month == month_index(as_of):
        return as_of.day / days_in_month(month)
    return 1.0


def _keyword_month(ctx: SignalContext, keyword: str) -> tuple[int, float, float] | None:
    """(latest feature month, events of `keyword` features then, active users then), when the
    account uses such features at all and has usage for that month."""
    agg, pos = ctx.agg, ctx.pos
    kw = keyword.lower()
    if kw not in agg.keyword_rows or not agg.keyword_rows[kw][pos].any():
        return None
    month = agg.latest_month(agg.feature_rows, pos)
    if month is None:
        return None
    users = agg.m_value(agg.active_users, pos, month)
    if not users:
        return None
    return month, agg.m_value(agg.keyword_events[kw], pos, month) or 0.0, users


# ---------------------------------------------------------------- product-type churn signals


def _product_signal(ctx: SignalContext, config: Config) -> list[Signal]:
    pt = (ctx.account.get("product_type") or "").lower()
    margin = num(config, "signals.yellow_margin_pct") / 100.0
    keywords = dict(setting(config, "signals.feature_keywords"))
    out: list[Signal] = []
    if pt == "collaboration":
        thr = num(config, "signals.product.collaboration.dau_mau")
        v = ctx.inputs.dau_mau
        if v is not None and ctx.inputs.usage_month is not None:
            st = _floor_status(v, thr, margin)
            where = {"red": "below", "yellow": "close to", "green": "above"}[st]
            out.append(
                _signal(
                    "risk",
                    "dau_mau",
                    "DAU/MAU",
                    v,
                    thr,
                    "ratio",
                    st,
                    f"DAU/MAU was {v:.2f} in {month_text(ctx.inputs.usage_month)}, {where} the "
                    f"{thr:.2f} disengagement threshold.",
                    _strength(v, thr),
                )
            )
    elif pt == "project_management":
        thr = num(config, "signals.product.project_management.weekly_seat_ratio_pct")
        v = ctx.inputs.seat_utilisation_pct
        if v is not None and ctx.inputs.usage_month is not None:
            st = _floor_status(v, thr, margin)
            out.append(
                _signal(
                    "risk",
                    "active_seat_ratio",
                    "Active seats / licensed",
                    v,
                    thr,
                    "%",
                    st,
                    f"{_num(ctx.inputs.active_users or 0)} of "
                    f"{_num(ctx.inputs.licensed_seats or 0)} licensed seats ({v:.0f}%) were "
                    f"active in {month_text(ctx.inputs.usage_month)} "
                    f"(monthly proxy for weekly seats; risk below {thr:.0f}%).",
                    _strength(v, thr),
                )
            )
    elif pt in ("analytics", "sales_enablement"):
        key = "dashboard_views" if pt == "analytics" else "sequences"
        found = _keyword_month(ctx, str(keywords[key]))
        if found is not None:
            month, events, users = found
            frac = _month_fraction(month, ctx.as_of)
            if pt == "analytics":
                thr = num(config, "signals.product.analytics.views_per_user_week")
                v = events / users / (days_in_month(month) * frac / 7.0)
                st = _floor_status(v, thr, margin)
                out.append(
                    _signal(
                        "risk",
                        "dashboard_views",
                        "Dashboard views per user per week",
                        v,
                        thr,
                        "views",
                        st,
                        f"{_num(events)} dashboard views by {_num(users)} active users in "
                        f"{month_text(month)} is {v:.1f} per user per week (at risk below "
                        f"{thr:g}).",
                        _strength(v, thr),
                    )
                )
            else:
                thr = num(config, "signals.product.sales_enablement.sequences_per_rep_month")
                v = events / users / frac
                st = _floor_status(v, thr, margin)
                out.append(
                    _signal(
                        "risk",
                        "sequences_per_rep",
                        "Sequences per rep per month",
                        v,
                        thr,
                        "sequences",
                        st,
                        f"{_num(events)} sequence events for {_num(users)} active reps in "
                        f"{month_text(month)} is {v:.1f} per rep per month (stagnant below "
                        f"{thr:g}).",
                        _strength(v, thr),
                    )
                )
    elif pt == "customer_support":
        agg, pos = ctx.agg, ctx.pos
        defl_kw = str(keywords["deflection"]).lower()
        latest = agg.latest_month(agg.feature_rows, pos)
        if latest is not None and defl_kw in agg.keyword_rows:
            has_defl = agg.m_value(agg.keyword_rows[defl_kw], pos, latest)
            has_base = agg.m_value(agg.deflection_base_rows, pos, latest)
            d = agg.m_value(agg.keyword_events[defl_kw], pos, latest) or 0.0
            t = agg.m_value(agg.deflection_base_events, pos, latest) or 0.0
            if has_defl and has_base and d + t > 0:
                thr = num(config, "signals.product.customer_support.deflection_pct")
                v = d / (d + t) * 100.0
                st = _floor_status(v, thr, margin)
                out.append(
                    _signal(
                        "risk",
                        "deflection_rate",
                        "Ticket deflection rate",
                        v,
                        thr,
                        "%",
                        st,
                        f"{_num(d)} of {_num(d + t)} requests were deflected in "
                        f"{month_text(latest)} ({v:.0f}%; poor ROI below {thr:.0f}%).",
                        _strength(v, thr),
                    )
                )
    elif pt == "api_platform":
        change = _api_change(ctx)
        if change is not None:
            v, cur, prev = change
            limit = num(config, "signals.product.api_platform.qoq_decline_pct")
            st = _decline_status(v, limit, margin)
            growth = num(config, "signals.usage_growth_pct")
            if not (st == "green" and v >= growth):  # growth is reported as expansion instead
                direction = "down" if v < 0 else "up"
                out.append(
                    _signal(
                        "risk",
                        "api_volume_qoq",
                        "API call volume, quarter over quarter",
                        v,
                        -limit,
                        "%",
                        st,
                        f"API calls were {direction} {_pct(v)} in {ctx.period.quarter} "
                        f"({_num(prev)} -> {_num(cur)}; flagged beyond a {limit:.0f}% decline).",
                        _strength(v, -limit),
                    )
                )
    return out


def _api_change(ctx: SignalContext) -> tuple[float, float, float] | None:
    """(% change, review quarter's API calls, previous quarter's), when both quarters have all
    three months of `api_calls`."""
    agg, qi = ctx.agg, ctx.review
    if (agg.q_value(agg.api_q_count, ctx.pos, qi) or 0) < 3:
        return None
    if (agg.q_value(agg.api_q_count, ctx.pos, qi - 1) or 0) < 3:
        return None
    cur = agg.q_value(agg.api_q_sum, ctx.pos, qi)
    prev = agg.q_value(agg.api_q_sum, ctx.pos, qi - 1)
    if cur is None or not prev:
        return None
    return (cur - prev) / prev * 100.0, cur, prev


# ---------------------------------------------------------------- generic churn signals


def _users_decline(ctx: SignalContext, config: Config) -> list[Signal]:
    inp = ctx.inputs
    change = inp.users_change_90d_pct
    if change is None or inp.usage_month is None or inp.users_90d_before is None:
        return []
    red = num(config, "signals.users_decline_pct")
    yellow = num(config, "health.red_flags.users_decline_pct")
    if change < -red:
        status: Band = "red"
    elif change < -yellow:
        status = "yellow"
    else:
        return []
    return [
        _signal(
            "risk",
            "users_decline",
            "Active users declining",
            change,
            -red,
            "%",
            status,
            f"Active users fell {_pct(change)} in 90 days, from {_num(inp.users_90d_before)} in "
            f"{month_text(inp.usage_month - 3)} to {_num(inp.active_users or 0)} in "
            f"{month_text(inp.usage_month)}.",
            _strength(change, -red),
        )
    ]


def _champion(ctx: SignalContext, config: Config) -> list[Signal]:
    if ctx.inputs.champion_changed is not True:
        return []
    who = ctx.account.get("champion_name")
    title = ctx.account.get("champion_title")
    now = f"; the contact on record is {who}" + (f" ({title})" if title else "") if who else ""
    return [
        _signal(
            "risk",
            "champion_changed",
            "Champion changed",
            None,
            None,
            "",
            "red",
            f"The champion changed in the last 90 days{now}.",
            0.8,
        )
    ]


def _ticket_spike(ctx: SignalContext, config: Config) -> list[Signal]:
    inp = ctx.inputs
    if volume_trend(inp, config) != "spike":
        return []
    now, before = inp.tickets_30d, inp.tickets_prev_30d
    change = (now - before) / before * 100.0 if before else None
    limit = num(config, "signals.ticket_spike_csat")
    csat = inp.ticket_csat
    low = csat is not None and csat < limit
    csat_txt = f" with ticket CSAT {csat:.1f}/5" if csat is not None else ""
    below = f" (below {limit:g})" if low else ""
    rise = f" (+{change:.0f}%)" if change is not None else ""
    return [
        _signal(
            "risk",
            "ticket_spike",
            "Support ticket spike",
            change,
            num(config, "health.volume_spike_pct"),
            "%",
            "red" if low else "yellow",
            f"Tickets rose from {before} to {now} in the last 30 days{rise}{csat_txt}{below}.",
            min(1.0, (now - before) / max(1, before) / 4.0),
        )
    ]


def _renewal(ctx: SignalContext, config: Config) -> list[Signal]:
    renewal = ctx.account.get("renewal_date")
    if renewal is None:
        return []
    days = (renewal - ctx.as_of).days
    window = num(config, "signals.renewal_window_days")
    if days < 0 or days > window:
        return []
    return [
        _signal(
            "risk",
            "renewal_soon",
            "Renewal approaching",
            float(days),
            window,
            "days",
            "yellow",
            f"Renewal on {renewal.isoformat()} is {days} days away: confirm the renewal "
            "conversation has started.",
            1.0 - days / window if window else 1.0,
        )
    ]


def _mrr(ctx: SignalContext, config: Config) -> list[Signal]:
    if not ctx.has_invoices:
        return []
    agg, qi = ctx.agg, ctx.review

    def total(q: int) -> float | None:
        if not agg.q_value(agg.billed_q_count, ctx.pos, q):
            return None
        return agg.q_value(agg.billed_q_sum, ctx.pos, q)

    cur, prev = total(qi), total(qi - 1)
    if cur is None or not prev or prev <= 0:
        return []
    change = (cur - prev) / prev * 100.0
    if -change <= num(config, "signals.mrr_decline_pct"):
        return []
    check = ""
    if -change > num(config, "validation.mrr_drop_pct"):
        check = ": rule out a billing-data error before presenting it as risk"
    cur_txt = f"{_num(prev)} -> {_num(cur)} {ctx.currency}"
    return [
        _signal(
            "risk",
            "mrr_down",
            "Billed revenue down",
            change,
            -num(config, "signals.mrr_decline_pct"),
            "%",
            "yellow",
            f"Billed revenue fell {_pct(change)} from {quarter_from_index(qi - 1)} to "
            f"{ctx.period.quarter} "
            f"({cur_txt}){check}.",
            min(1.0, -change / 50.0),
        )
    ]


# ---------------------------------------------------------------- expansion signals


def _expansion(ctx: SignalContext, config: Config) -> list[Signal]:
    out: list[Signal] = []
    inp, usage = ctx.inputs, ctx.usage
    seats_thr = num(config, "signals.seats_used_pct")
    util = inp.seat_utilisation_pct
    if util is not None and util > seats_thr and inp.usage_month is not None:
        out.append(
            _signal(
                "expansion",
                "seats_near_full",
                "Seats nearly all used",
                util,
                seats_thr,
                "%",
                "green",
                f"{_num(inp.active_users or 0)} of {_num(inp.licensed_seats or 0)} licensed seats "
                f"({util:.0f}%) were active in {month_text(inp.usage_month)}: room for a seat "
                "expansion conversation.",
                _strength(util, seats_thr),
            )
        )
    growth = num(config, "signals.usage_growth_pct")
    qoq = usage.users_change_qoq_pct
    if qoq is not None and qoq >= growth:
        qs = usage.quarters
        vals = usage.active_users_by_quarter
        cur = vals[-1] if vals else None
        prev_txt = ""
        if len(vals) >= 2 and vals[-2] is not None and cur is not None:
            prev_txt = f" ({_num(vals[-2])} -> {_num(cur)} average monthly users)"
        out.append(
            _signal(
                "expansion",
                "usage_growth",
                "Usage growing",
                qoq,
                growth,
                "%",
                "green",
                f"Active users grew {qoq:.0f}% in {qs[-1] if qs else ctx.period.quarter} over the "
                f"previous quarter{prev_txt}.",
                _strength(qoq, growth),
            )
        )
    api = _api_change(ctx)
    if api is not None and api[0] >= growth:
        v, cur_api, prev_api = api
        out.append(
            _signal(
                "expansion",
                "api_growth",
                "API volume growing",
                v,
                growth,
                "%",
                "green",
                f"API calls grew {v:.0f}% in {ctx.period.quarter} ({_num(prev_api)} -> "
                f"{_num(cur_api)}).",
                _strength(v, growth),
            )
        )
    out += _new_features(ctx)
    out += _product_expansion(ctx, config, growth)
    return out


def _new_features(ctx: SignalContext) -> list[Signal]:
    qi = ctx.review
    start = qi * 3
    first = ctx.agg.first_feature_month[ctx.pos]
    if first != first or first >= start:  # no feature history before the quarter
        return []
    new = sorted(
        name for month, name in ctx.agg.first_use.get(ctx.pos, ()) if start <= month <= start + 2
    )
    if not new:
        return []
    shown = ", ".join(new[:3]) + (f" and {len(new) - 3} more" if len(new) > 3 else "")
    return [
        _signal(
            "expansion",
            "new_features",
            "New features adopted",
            float(len(new)),
            1.0,
            "features",
            "green",
            f"{len(new)} feature(s) used for the first time in {ctx.period.quarter}: {shown}.",
            min(1.0, len(new) / 5.0),
        )
    ]


def _product_expansion(ctx: SignalContext, config: Config, growth: float) -> list[Signal]:
    pt = (ctx.account.get("product_type") or "").lower()
    if pt not in EXPANSION_LABELS:
        return []
    keyword = str(dict(setting(config, "signals.feature_keywords")).get(pt, "")).lower()
    agg = ctx.agg
    if (
        not keyword
        or keyword not in agg.keyword_rows
        or not agg.keyword_rows[keyword][ctx.pos].any()
    ):
        return []
    qi = ctx.review
    if not (
        agg.q_value(agg.feature_q_rows, ctx.pos, qi)
        and agg.q_value(agg.feature_q_rows, ctx.pos, qi - 1)
    ):
        return []
    cur = agg.q_value(agg.keyword_q_events[keyword], ctx.pos, qi)
    prev = agg.q_value(agg.keyword_q_events[keyword], ctx.pos, qi - 1)
    if cur is None or not prev:
        return []
    change = (cur - prev) / prev * 100.0
    if change < growth:
        return []
    code, label = EXPANSION_LABELS[pt]
    return [
        _signal(
            "expansion",
            code,
            label,
            change,
            growth,
            "%",
            "green",
            f"{label} grew {change:.0f}% in {ctx.period.quarter} ({_num(prev)} -> {_num(cur)} "
            f"events of '{keyword}' features).",
            _strength(change, growth),
        )
    ]


# ---------------------------------------------------------------- all together

RULES: tuple[Callable[[SignalContext, Config], list[Signal]], ...] = (
    _users_decline,
    _champion,
    _ticket_spike,
    _renewal,
    _mrr,
    _product_signal,
    _expansion,
)


def all_signals(ctx: SignalContext, config: Config) -> list[Signal]:
    """Every signal the data supports, ranked (highest first)."""
    found: list[Signal] = []
    for rule in RULES:
        found += rule(ctx, config)
    return sorted(found, key=lambda s: (-s.rank, s.code))


def top_signals(ctx: SignalContext, config: Config) -> tuple[Signal, ...]:
    """The `signals.max_shown` most important signals."""
    return tuple(all_signals(ctx, config)[: int(num(config, "signals.max_shown"))])
