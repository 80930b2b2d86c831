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

from deckgen.config import Config
from deckgen.metrics.aggregates import Aggregates
from deckgen.metrics.health import volume_trend
from deckgen.metrics.inputs import HealthInputs
from deckgen.metrics.periods import (
    date_from_day,
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

MONTHS_SHOWN = 12
TICKET_MONTHS = 6


def _opt(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    f = _opt(value)
    return None if f is None else date_from_day(f)


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


# ---------------------------------------------------------------- usage


def usage_summary(
    inp: HealthInputs,
    agg: Aggregates,
    pos: int,
    period: Period,
    end_month: int | None,
) -> UsageSummary:
    """The usage block of one account (see the module docstring)."""
    review = quarter_index(period.quarter)
    first = quarter_index(period.previous_quarters[0])
    means = agg.q_series(agg.users_q_mean, pos, min(first, review - 1), review)
    per_quarter = tuple(means[-len(period.previous_quarters) :])
    cur, prev = means[-1], means[-2]
    qoq = (cur - prev) / prev * 100.0 if cur is not None and prev else None
    last = end_month if end_month is not None else agg.grid.now
    month_idx = list(range(last - MONTHS_SHOWN + 1, last + 1))
    series = agg.m_series(agg.active_users, pos, month_idx[0], last)
    has_series = any(v is not None for v in series)
    return UsageSummary(
        licensed_seats=_int(inp.licensed_seats),
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
        top_features=agg.top_features.get((pos, review), ()),
        months=tuple(month_text(m) for m in month_idx) if has_series else (),
        active_users_by_month=series if has_series else (),
    )


# ---------------------------------------------------------------- support


def support_summary(
    inp: HealthInputs,
    agg: Aggregates,
    pos: int,
    period: Period,
    present: bool,
    config: Config,
) -> SupportSummary:
    """The support block of one account (see the module docstring)."""
    if not present:
        return empty_support()
    now = agg.grid.now
    first = now - TICKET_MONTHS + 1
    counts = agg.m_series(agg.tickets_month, pos, first, now)
    by_month = tuple((month_text(first + k), int(v or 0)) for k, v in enumerate(counts))
    n, hours, frh, csat = agg.ticket_quarters.get(
        (pos, quarter_index(period.quarter)), (0, None, None, None)
    )
    return SupportSummary(
        tickets_by_month=by_month,
        tickets_in_quarter=n,
        open_tickets=inp.tickets_open,
        critical_open_overdue=len(inp.critical_overdue),
        median_resolution_hours=hours,
        median_first_response_hours=frh,
        ticket_csat=csat,
        volume_trend=volume_trend(inp, config),  # type: ignore[arg-type]
    )


def empty_support() -> SupportSummary:
    return SupportSummary((), None, 0, 0, None, None, None, None)


def empty_usage(period: Period) -> UsageSummary:
    n = len(period.previous_quarters)
    return UsageSummary(
        None,
        None,
        None,
        tuple(period.previous_quarters),
        (None,) * n,
        None,
        None,
        None,
        None,
        None,
        None,
        (),
    )


# ---------------------------------------------------------------- goals, actions, roadmap


GOAL_COLUMNS = (
    "goal",
    "metric",
    "target",
    "actual",
    "unit",
    "status",
    "owner",
    "due_date",
    "quarter",
)
ACTION_COLUMNS = ("action", "owner", "side", "due_date", "status", "completed_at")


def goal_rows(records: list[dict[str, Any]]) -> tuple[GoalRow, ...]:
    """Goals in table order, status normalised."""
    return tuple(
        GoalRow(
            goal=str(r["goal"] or ""),
            metric=r["metric"],
            target=r["target"],
            actual=r["actual"],
            unit=r["unit"],
            status=goal_status(r["status"]),
            owner=r["owner"],
            due_date=_day(r["due_date"]),
            quarter=None if r["quarter"] is None else quarter_from_index(int(r["quarter"])),
        )
        for r in records
    )


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


def action_rows(records: list[dict[str, Any]], as_of: date) -> tuple[ActionRow, ...]:
    """Action items in table order, status normalised (see `action_row_status`)."""
    out = []
    for r in records:
        due, done = _day(r["due_date"]), _day(r["completed_at"])
        out.append(
            ActionRow(
                action=str(r["action"] or ""),
                owner=r["owner"],
                side=r["side"],
                due_date=due,
                status=action_row_status(r["status"], due, done, as_of),
                completed_at=done,
            )
        )
    return tuple(out)


def _roadmap_row(item: dict[str, Any], requested: bool) -> RoadmapRow:
    return RoadmapRow(
        item=str(item["item"]),
        description=item.get("description"),
        status=item.get("status") or None,
        timing=item.get("timing"),
        module=item.get("module"),
        requested_by_account=requested,
    )


class Roadmap:
    """All roadmap items, built once: each account sees every item, flagged when it asked for it
    (its id is in the item's `;`-separated `requested_by`)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = [
            (
                frozenset(it.get("requested_ids", ())),
                _roadmap_row(it, False),
                _roadmap_row(it, True),
            )
            for it in items
        ]

    def rows(self, account_id: str) -> tuple[RoadmapRow, ...]:
        return tuple(yes if account_id in ids else no for ids, no, yes in self._items)


def roadmap_rows(items: list[dict[str, Any]], account_id: str) -> tuple[RoadmapRow, ...]:
    """The roadmap as one account sees it (see `Roadmap`)."""
    return Roadmap(items).rows(account_id)


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
