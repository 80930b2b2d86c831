"""Per-account summaries the decks show: usage, support, goals, actions, roadmap, account facts.

Usage (from `inputs.HealthInputs` as of as-of, plus):
- active_users_by_quarter: mean of the monthly `active_users` of each shown quarter (users);
  users_change_qoq_pct: review quarter's mean vs the previous quarter's (%).
- top_features: events per feature over the review quarter's months, top 5.
- months / active_users_by_month: the 12 months ending with the book's latest usage month (not
  after the as-of month); None where the account has no row.
Support (tickets table):
- tickets_by_month: tickets opened per month, the 6 months ending with the as-of month.
- tickets_in_quarter, median resolution hours (resolved - opened, tickets opened in the review
  quarter and resolved), median first response hours and mean ticket CSAT (1-5) of tickets opened
  in the review quarter; open_tickets and critical_open_overdue as of as-of.
Goals: status normalised to on_track / at_risk / off_track / complete (None when unrecognised).
Actions: status normalised to the follow-up vocabulary; a completed_at on or before as-of means
complete; past its due date and not complete/cancelled -> overdue; blank -> not started;
unrecognised text -> in progress.
Facts: months_to_renewal = whole calendar months from as-of to renewal_date; onboarding =
customer_since less than `onboarding_days` before as-of.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np

from deckgen.config import Config
from deckgen.metrics.frames import Rows
from deckgen.metrics.health import volume_trend
from deckgen.metrics.inputs import HealthInputs
from deckgen.metrics.periods import (
    date_from_day,
    day_number,
    month_index,
    month_text,
    months_between,
    quarter_from_index,
    quarter_index,
)
from deckgen.metrics.results import (
    AccountFacts,
    ActionRow,
    Band,
    GoalRow,
    Period,
    RoadmapRow,
    SupportSummary,
    UsageSummary,
)
from deckgen.metrics.settings import num, setting
from deckgen.metrics.tiers import is_ebr
from deckgen.metrics.vocab import action_status, goal_status

TOP_FEATURES = 5
MONTHS_SHOWN = 12
TICKET_MONTHS = 6


def _opt(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f


def _day(value: Any) -> date | None:
    f = _opt(value)
    return None if f is None else date_from_day(f)


def _int(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def _mean(values: np.ndarray) -> float | None:
    v = values[~np.isnan(values)]
    return float(v.mean()) if len(v) else None


def _median(values: np.ndarray) -> float | None:
    v = values[~np.isnan(values)]
    return float(np.median(v)) if len(v) else None


def _month_of_days(days: np.ndarray) -> np.ndarray:
    """Month index (year * 12 + month - 1) of day numbers."""
    months = np.floor(days).astype("int64").astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("int64") + 1970 * 12


# ---------------------------------------------------------------- usage


def usage_summary(
    inp: HealthInputs,
    usage: Rows,
    features: Rows,
    period: Period,
    as_of: date,
    end_month: int | None,
) -> UsageSummary:
    m_now = month_index(as_of)
    months, au = usage["month"], usage["active_users"]
    upto = months <= m_now
    by_month = {int(m): _opt(a) for m, a in zip(months[upto], au[upto], strict=True)}

    def quarter_mean(qi: int) -> float | None:
        vals = [by_month.get(qi * 3 + k) for k in range(3)]
        known = [v for v in vals if v is not None]
        return sum(known) / len(known) if known else None

    q_idx = [quarter_index(q) for q in period.previous_quarters]
    per_quarter = tuple(quarter_mean(qi) for qi in q_idx)
    review = quarter_index(period.quarter)
    cur, prev = quarter_mean(review), quarter_mean(review - 1)
    qoq = (cur - prev) / prev * 100.0 if cur is not None and prev else None

    top: tuple[tuple[str, int], ...] = ()
    if len(features):
        fm = features["month"]
        inq = (fm >= review * 3) & (fm <= review * 3 + 2) & (fm <= m_now)
        totals: dict[str, float] = {}
        for name, ev in zip(features["feature"][inq], features["events"][inq], strict=True):
            if name and not math.isnan(ev) and ev > 0:
                totals[str(name)] = totals.get(str(name), 0.0) + float(ev)
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FEATURES]
        top = tuple((k, int(v)) for k, v in ranked)

    last = end_month if end_month is not None else m_now
    month_idx = list(range(last - MONTHS_SHOWN + 1, last + 1))
    series = tuple(by_month.get(m) for m in month_idx)
    has_series = any(v is not None for v in series)
    seats = inp.licensed_seats
    return UsageSummary(
        licensed_seats=_int(seats),
        active_users_30d=_int(inp.active_users),
        seat_utilisation_pct=inp.seat_utilisation_pct,
        quarters=tuple(period.previous_quarters),
        active_users_by_quarter=per_quarter,
        users_change_90d_pct=inp.users_change_90d_pct,
        users_change_qoq_pct=qoq,
        dau_mau=inp.dau_mau,
        features_used=inp.features_used,
        features_available=inp.features_available,
        feature_breadth_pct=inp.feature_breadth_pct,
        top_features=top,
        months=tuple(month_text(m) for m in month_idx) if has_series else (),
        active_users_by_month=series if has_series else (),
    )


# ---------------------------------------------------------------- support


def support_summary(
    inp: HealthInputs,
    tickets: Rows,
    period: Period,
    as_of: date,
    present: bool,
    config: Config,
) -> SupportSummary:
    if not present:
        return empty_support()
    end = day_number(as_of) + 1.0
    o, r = tickets["opened_at"], tickets["resolved_at"]
    opened = o < end
    open_now = opened & (np.isnan(r) | (r >= end))
    m_now = month_index(as_of)
    counts: dict[int, int] = {}
    if len(o):
        for m in _month_of_days(o[opened]).tolist():
            counts[int(m)] = counts.get(int(m), 0) + 1
    by_month = tuple(
        (month_text(m), counts.get(m, 0)) for m in range(m_now - TICKET_MONTHS + 1, m_now + 1)
    )
    q_lo, q_hi = day_number(period.start), day_number(period.end) + 1.0
    inq = opened & (o >= q_lo) & (o < q_hi)
    resolved = inq & ~np.isnan(r) & (r >= o) & (r < end)
    hours = (r[resolved] - o[resolved]) * 24.0
    return SupportSummary(
        tickets_by_month=by_month,
        tickets_in_quarter=int(np.count_nonzero(inq)),
        open_tickets=int(np.count_nonzero(open_now)),
        critical_open_overdue=len(inp.critical_overdue),
        median_resolution_hours=_median(hours),
        median_first_response_hours=_median(tickets["first_response_hours"][inq]),
        ticket_csat=_mean(tickets["csat"][inq]),
        volume_trend=volume_trend(inp, config),  # type: ignore[arg-type]
    )


def empty_support() -> SupportSummary:
    return SupportSummary((), None, 0, 0, None, None, None, None)


def empty_usage(period: Period) -> UsageSummary:
    n = len(period.previous_quarters)
    return UsageSummary(
        None, None, None, tuple(period.previous_quarters), (None,) * n, None, None, None,
        None, None, None, (),
    )


# ---------------------------------------------------------------- goals, actions, roadmap


def goal_rows(rows: Rows) -> tuple[GoalRow, ...]:
    out = []
    for i in range(len(rows)):
        q = _opt(rows["quarter"][i])
        out.append(
            GoalRow(
                goal=str(rows["goal"][i] or ""),
                metric=rows["metric"][i],
                target=_opt(rows["target"][i]),
                actual=_opt(rows["actual"][i]),
                unit=rows["unit"][i],
                status=goal_status(rows["status"][i]),
                owner=rows["owner"][i],
                due_date=_day(rows["due_date"][i]),
                quarter=None if q is None else quarter_from_index(int(q)),
            )
        )
    return tuple(out)


def action_row_status(
    raw: str | None, due: date | None, completed_at: date | None, as_of: date
) -> str:
    """The follow-up status of one action item (see the module docstring)."""
    status = action_status(raw)
    if completed_at is not None and completed_at <= as_of and status != "cancelled":
        status = "complete"
    if status is None:
        status = "not started" if not raw or not raw.strip() else "in progress"
    if status not in ("complete", "cancelled") and due is not None and due < as_of:
        status = "overdue"
    return status


def action_rows(rows: Rows, as_of: date) -> tuple[ActionRow, ...]:
    out = []
    for i in range(len(rows)):
        due = _day(rows["due_date"][i])
        done = _day(rows["completed_at"][i])
        out.append(
            ActionRow(
                action=str(rows["action"][i] or ""),
                owner=rows["owner"][i],
                side=rows["side"][i],
                due_date=due,
                status=action_row_status(rows["status"][i], due, done, as_of),
                completed_at=done,
            )
        )
    return tuple(out)


def roadmap_rows(items: list[dict[str, Any]], account_id: str) -> tuple[RoadmapRow, ...]:
    return tuple(
        RoadmapRow(
            item=str(it["item"]),
            description=it.get("description"),
            status=(it.get("status") or None),
            timing=it.get("timing"),
            module=it.get("module"),
            requested_by_account=account_id in it["requested_ids"],
        )
        for it in items
    )


# ---------------------------------------------------------------- facts


def account_facts(
    account: dict[str, Any], as_of: date, band: Band | None, config: Config
) -> AccountFacts:
    renewal = account.get("renewal_date")
    since = account.get("customer_since")
    window = num(config, "onboarding_days")
    arr = account.get("arr")
    return AccountFacts(
        name=str(account.get("name") or account["account_id"]),
        arr=float(arr or 0.0),
        currency=str(account.get("currency") or setting(config, "currency")).upper(),
        industry=account.get("industry"),
        product_type=account.get("product_type"),
        customer_since=since,
        renewal_date=renewal,
        months_to_renewal=months_between(as_of, renewal) if renewal else None,
        last_qbr_date=account.get("last_qbr_date"),
        next_qbr_date=account.get("next_qbr_date"),
        csm_name=account.get("csm_name"),
        csm_email=account.get("csm_email"),
        champion_name=account.get("champion_name"),
        champion_title=account.get("champion_title"),
        champion_email=account.get("champion_email"),
        sponsor_name=account.get("sponsor_name"),
        sponsor_title=account.get("sponsor_title"),
        nps=account.get("nps"),
        csat=account.get("csat"),
        is_ebr=is_ebr(arr, band, config),
        onboarding=since is not None and (as_of - since).days < window,
    )
