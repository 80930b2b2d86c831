"""The plain facts about each account as of one date: what the health score, summaries and
signals read. `all_health_inputs(data, agg, as_of, config)` is called for `as_of` and for
`as_of - 30 days` (the velocity), with every table cut at that date.

Windows and definitions (days are calendar days, `W` = config `health.window_days`, default 90):
- latest usage month: the last `usage` month <= the as-of month and within the 3 months ending
  with it (older data is not "current" and counts as no data). Seat utilisation = its
  active_users / licensed_seats * 100 (%). DAU/MAU = dau / mau (mau defaults to active_users).
- users change over 90 days: (latest active_users - active_users 3 months earlier) / earlier
  * 100 (%).
- features used: distinct features with events > 0 in the 3 months ending with the as-of month,
  counted within the available catalog (see `frames.Catalog`).
- touchpoints: in the trailing W days, those with a known `completed`; completed share in %.
- last executive interaction: the latest touchpoint up to as-of with exec_present = true and not
  marked not-completed; days since it.
- executive attendance: QBR/EBR touchpoints (types from `health.review_touchpoint_types`) in the
  trailing `health.exec_attendance_window_days`, not marked not-completed, with exec_present known.
- goals: those whose quarter is not after the as-of quarter, with a recognised status.
- tickets: open at as-of = opened by then and not resolved by then; critical = priority in
  `health.critical_priorities`; business days open counted Mon-Fri from the opening day.
  Ticket CSAT = mean of ticket csat (1-5) opened in the trailing W days. Volumes: tickets opened
  in the trailing 30 days vs the 30 before, and in the trailing W days vs the W before.
- overdue invoice: status open/failed (or no status and no paid_at), days past due_date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from deckgen.config import Config
from deckgen.metrics.aggregates import Aggregates
from deckgen.metrics.frames import BookData
from deckgen.metrics.periods import (
    business_days_since,
    date_from_day,
    day_number,
    month_index,
    quarter_index,
    quarter_of,
)
from deckgen.metrics.settings import num
from deckgen.metrics.vocab import goal_status


@dataclass(frozen=True)
class HealthInputs:
    """Plain values behind the health score; None / 0 counts mean "no data"."""

    # usage
    licensed_seats: float | None = None
    active_users: float | None = None
    usage_month: int | None = None  # month index of the latest usage month used
    dau: float | None = None
    mau: float | None = None
    users_change_90d_pct: float | None = None
    users_90d_before: float | None = None
    features_used: int | None = None
    features_available: int | None = None
    # engagement
    touchpoints_total: int = 0  # in the window, completion known
    touchpoints_completed: int = 0
    exec_days: float | None = None  # days since the last executive interaction
    exec_recorded: bool = False  # exec presence is recorded on at least one touchpoint
    reviews_total: int = 0  # QBR/EBR touchpoints with exec presence recorded
    reviews_with_exec: int = 0
    # outcomes
    goals_total: int = 0  # with a recognised status
    goals_on_track: int = 0  # on_track or complete
    nps: float | None = None  # 0-10
    csat: float | None = None  # 1-5
    # support
    tickets_present: bool = False  # the book has a tickets table (zero tickets is then data)
    critical_overdue: tuple[tuple[str, int], ...] = ()  # (ticket id, business days open)
    ticket_csat: float | None = None  # 1-5, mean over the window
    tickets_open: int = 0  # open at as-of
    tickets_30d: int = 0
    tickets_prev_30d: int = 0
    tickets_window: int = 0
    tickets_prev_window: int = 0
    # relationship
    champion_named: bool = False
    champion_changed: bool | None = None
    sponsor_named: bool = False
    sponsor_engaged: bool | None = None
    # forced-Red facts
    cancellation_intent: bool | None = None
    overdue_invoice: tuple[str, float, int] | None = None  # (invoice date, amount, days past due)

    @property
    def seat_utilisation_pct(self) -> float | None:
        """active users / licensed seats * 100; None without both (or with 0 seats)."""
        if self.active_users is None or not self.licensed_seats:
            return None
        return self.active_users / self.licensed_seats * 100.0

    @property
    def feature_breadth_pct(self) -> float | None:
        """features used / features available * 100, capped at 100."""
        if self.features_used is None or not self.features_available:
            return None
        return min(100.0, self.features_used / self.features_available * 100.0)

    @property
    def dau_mau(self) -> float | None:
        if self.dau is None or not self.mau:
            return None
        return self.dau / self.mau

    @property
    def touchpoints_completed_pct(self) -> float | None:
        if self.touchpoints_total <= 0:
            return None
        return self.touchpoints_completed / self.touchpoints_total * 100.0

    @property
    def exec_attendance_pct(self) -> float | None:
        if self.reviews_total <= 0:
            return None
        return self.reviews_with_exec / self.reviews_total * 100.0


def _col(values: np.ndarray) -> list[Any]:
    """A numpy column as Python values, NaN -> None."""
    return [None if isinstance(v, float) and v != v else v for v in values.tolist()]


def _per_account(
    n: int, pos: np.ndarray, mask: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """bincount of `pos[mask]` (optionally weighted) over the n accounts."""
    sel = mask & (pos >= 0)
    w = None if weights is None else weights[sel]
    return np.bincount(pos[sel], weights=w, minlength=n)


def all_health_inputs(
    data: BookData, agg: Aggregates, as_of: date, config: Config
) -> list[HealthInputs]:
    """`HealthInputs` for every account (in `data.accounts` order), every table cut at `as_of`.

    Vectorised over all accounts; only rare rows (overdue critical tickets and invoices) are
    walked one by one."""
    n = agg.n_acc
    g = agg.grid
    c = float(day_number(as_of))
    end = c + 1.0
    m = month_index(as_of)
    window = num(config, "health.window_days")
    cols: dict[str, list[Any]] = {}

    # usage: latest month within the 3 months ending with the as-of month
    cm = g.col(m)
    lo = max(0, cm - 2)
    win = agg.usage_row[:, lo : cm + 1]
    has = win.any(axis=1)
    last = cm - np.argmax(win[:, ::-1], axis=1)
    rows = np.arange(n)
    latest = np.where(has, last, 0)
    au = np.where(has, agg.active_users[rows, latest], np.nan)
    before_col = latest - 3
    ok_before = has & (before_col >= 0)
    before = np.full(n, np.nan)
    bc = np.clip(before_col, 0, None)
    before[ok_before] = np.where(agg.usage_row[rows, bc], agg.active_users[rows, bc], np.nan)[
        ok_before
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(before > 0, (au - before) / before * 100.0, np.nan)
    cols["active_users"] = _col(au)
    cols["usage_month"] = [
        int(v) + g.lo if h else None for v, h in zip(latest.tolist(), has.tolist(), strict=True)
    ]
    cols["dau"] = _col(np.where(has, agg.dau[rows, latest], np.nan))
    cols["mau"] = _col(np.where(has, agg.mau[rows, latest], np.nan))
    cols["users_change_90d_pct"] = _col(change)
    cols["users_90d_before"] = _col(before)

    # features used in the 3 months ending with the as-of month, within the catalog
    if data.has("features"):
        used = _features_used(data, agg, m)
        had_rows = ~np.isnan(agg.first_feature_month) & (agg.first_feature_month <= m)
        cols["features_used"] = [
            int(u) if h else None for u, h in zip(used.tolist(), had_rows.tolist(), strict=True)
        ]
        cols["features_available"] = [
            len(data.catalog.available(a.get("product_type"))) or None for a in data.accounts
        ]

    # engagement
    tp = data.tables["touchpoints"]
    if tp.size:
        d, done, exe, pos = tp.cols["date"], tp.cols["completed"], tp.cols["exec_present"], tp.pos
        upto = d <= c
        recent = upto & (d > c - window)
        known = recent & ~np.isnan(done)
        cols["touchpoints_total"] = _per_account(n, pos, known).tolist()
        cols["touchpoints_completed"] = _per_account(n, pos, known & (done == 1)).tolist()
        not_cancelled = done != 0
        ex = upto & (exe == 1) & not_cancelled & (pos >= 0)
        last_exec = np.full(n, np.nan)
        np.fmax.at(last_exec, pos[ex], np.floor(d[ex]))
        cols["exec_days"] = _col(c - last_exec)
        cols["exec_recorded"] = (_per_account(n, pos, upto & ~np.isnan(exe)) > 0).tolist()
        span = num(config, "health.exec_attendance_window_days")
        rev = tp.cols["review"] & upto & (d > c - span) & not_cancelled & ~np.isnan(exe)
        cols["reviews_total"] = _per_account(n, pos, rev).tolist()
        cols["reviews_with_exec"] = _per_account(n, pos, rev & (exe == 1)).tolist()

    # outcomes
    goals = data.tables["goals"]
    if goals.size:
        status = _goal_statuses(goals.cols["status"])
        q_now = quarter_index(quarter_of(as_of))
        gq = goals.cols["quarter"]
        in_scope = np.isnan(gq) | (gq <= q_now)
        known = in_scope & (status != "")
        cols["goals_total"] = _per_account(n, goals.pos, known).tolist()
        on = known & np.isin(status, ["on_track", "complete"])
        cols["goals_on_track"] = _per_account(n, goals.pos, on).tolist()

    # support
    overdue_tickets: dict[int, list[tuple[str, int]]] = {}
    if data.has("tickets"):
        cols["tickets_present"] = [True] * n
        t = data.tables["tickets"]
        o, r, pos = t.cols["opened_at"], t.cols["resolved_at"], t.pos
        opened = o < end
        open_now = opened & (np.isnan(r) | (r >= end))
        crit = np.flatnonzero(t.cols["critical"] & open_now & (pos >= 0))
        if len(crit):
            bdays = business_days_since(o[crit], as_of)
            limit = num(config, "health.critical_open_business_days")
            for i, b in zip(crit.tolist(), bdays.tolist(), strict=True):
                if b > limit:
                    overdue_tickets.setdefault(int(pos[i]), []).append(
                        (str(t.cols["ticket_id"][i]), int(b))
                    )
        in_window = opened & (o >= end - window)
        has_csat = in_window & ~np.isnan(t.cols["csat"])
        csat_n = _per_account(n, pos, has_csat)
        csat_sum = _per_account(n, pos, has_csat, t.cols["csat"])
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["ticket_csat"] = _col(
                np.where(csat_n > 0, csat_sum / np.maximum(csat_n, 1), np.nan)
            )
        cols["tickets_open"] = _per_account(n, pos, open_now).tolist()
        cols["tickets_30d"] = _per_account(n, pos, opened & (o >= end - 30)).tolist()
        cols["tickets_prev_30d"] = _per_account(n, pos, (o < end - 30) & (o >= end - 60)).tolist()
        cols["tickets_window"] = _per_account(n, pos, in_window).tolist()
        cols["tickets_prev_window"] = _per_account(
            n, pos, (o < end - window) & (o >= end - 2 * window)
        ).tolist()

    # forced-Red facts: the most overdue unpaid invoice
    overdue_invoice: dict[int, tuple[str, float, int]] = {}
    inv = data.tables["invoices"]
    if inv.size:
        due = inv.cols["due_date"]
        late = np.flatnonzero(inv.cols["unpaid"] & ~np.isnan(due) & (due < c) & (inv.pos >= 0))
        for i in late.tolist():
            p = int(inv.pos[i])
            days = int(c - np.floor(due[i]))
            if p in overdue_invoice and overdue_invoice[p][2] >= days:
                continue
            day = inv.cols["invoice_date"][i]
            label = date_from_day(day).isoformat() if day == day else "undated"
            amount = inv.cols["amount"][i]
            overdue_invoice[p] = (label, 0.0 if amount != amount else float(amount), days)

    names = list(cols)
    values = list(cols.values())
    out: list[HealthInputs] = []
    for i, acct in enumerate(data.accounts):
        kw: dict[str, Any] = dict(zip(names, (v[i] for v in values), strict=True))
        kw["licensed_seats"] = acct.get("licensed_seats")
        kw["nps"] = acct.get("nps")
        kw["csat"] = acct.get("csat")
        kw["champion_named"] = bool(acct.get("champion_name"))
        kw["champion_changed"] = acct.get("champion_changed")
        kw["sponsor_named"] = bool(acct.get("sponsor_name"))
        kw["sponsor_engaged"] = acct.get("sponsor_engaged")
        kw["cancellation_intent"] = acct.get("cancellation_intent")
        kw["critical_overdue"] = tuple(overdue_tickets.get(i, ()))
        kw["overdue_invoice"] = overdue_invoice.get(i)
        out.append(HealthInputs(**kw))
    return out


def _goal_statuses(values: np.ndarray) -> np.ndarray:
    """Normalised goal statuses ("" when unrecognised)."""
    uniq: dict[Any, str] = {}
    out = []
    for v in values.tolist():
        if v not in uniq:
            uniq[v] = goal_status(v) or ""
        out.append(uniq[v])
    return np.array(out, dtype=object)


def _features_used(data: BookData, agg: Aggregates, month: int) -> np.ndarray:
    """Distinct available features with events per account in [month - 2, month]."""
    n = agg.n_acc
    df = agg.features_window(month - 2, month)
    if df.empty:
        return np.zeros(n, dtype=np.int64)
    pairs = df[["pos", "feature"]].drop_duplicates()
    avail_by_pt: dict[str | None, frozenset[str]] = {}
    pts = [a.get("product_type") for a in data.accounts]
    keep = []
    for p, feat in zip(pairs["pos"].tolist(), pairs["feature"].tolist(), strict=True):
        pt = pts[p]
        if pt not in avail_by_pt:
            avail_by_pt[pt] = data.catalog.available(pt)
        avail = avail_by_pt[pt]
        keep.append(not avail or feat in avail)
    sel = pairs["pos"].to_numpy()[np.asarray(keep, dtype=bool)]
    return np.bincount(sel, minlength=n)
