"""The plain facts about one account as of one date: what the health score, summaries and
signals read. `health_inputs(data, as_of)` is called for `as_of` and for `as_of - 30 days`
(the velocity), with every table cut at that date.

Windows and definitions (days are calendar days, `W` = config `health.window_days`, default 90):
- latest usage month: the last `usage` month <= the as-of month and within the 3 months ending
  with it (older data is not "current" and counts as no data). Seat utilisation = its
  active_users / licensed_seats * 100 (%). DAU/MAU = dau / mau (mau defaults to active_users).
- users change over 90 days: (latest active_users - active_users 3 months earlier) / earlier * 100 (%).
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
from deckgen.metrics.frames import BookData, Rows
from deckgen.metrics.periods import (
    business_days_since,
    date_from_day,
    day_number,
    month_index,
    quarter_index,
    quarter_of,
)
from deckgen.metrics.settings import num, setting
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


def _f(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if np.isnan(f) else f


def _count(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def usage_facts(rows: Rows, as_of: date) -> dict[str, Any]:
    """Latest usage month (within 3 months of the as-of month) and the 90-day user change."""
    months = rows["month"]
    m = month_index(as_of)
    k = int(np.searchsorted(months, m, side="right"))
    out: dict[str, Any] = {}
    if k == 0 or months[k - 1] < m - 2:
        return out
    last = k - 1
    latest = int(months[last])
    au = _f(rows["active_users"][last])
    mau = _f(rows["mau"][last])
    out.update(
        usage_month=latest,
        active_users=au,
        dau=_f(rows["dau"][last]),
        mau=mau if mau is not None else au,
    )
    j = int(np.searchsorted(months[:k], latest - 3, side="left"))
    if j < k and months[j] == latest - 3:
        before = _f(rows["active_users"][j])
        out["users_90d_before"] = before
        if before and au is not None and before > 0:
            out["users_change_90d_pct"] = (au - before) / before * 100.0
    return out


def features_used(rows: Rows, as_of: date, available: frozenset[str]) -> int | None:
    """Distinct features with events in the 3 months ending with the as-of month (None when the
    account has no feature rows up to then)."""
    months = rows["month"]
    m = month_index(as_of)
    k = int(np.searchsorted(months, m, side="right"))
    if k == 0:
        return None
    lo = int(np.searchsorted(months, m - 2, side="left"))
    events = rows["events"][lo:k]
    names = rows["feature"][lo:k]
    used = {str(n).strip() for n, e in zip(names, events, strict=True) if e > 0 and n}
    if available:
        used &= available
    return len(used)


def health_inputs(
    data: BookData, account: dict[str, Any], as_of: date, config: Config
) -> HealthInputs:
    """Everything the health score needs for `account`, with every table cut at `as_of`."""
    acct = account["account_id"]
    c = float(day_number(as_of))
    end = c + 1.0  # end of the as-of day
    window = num(config, "health.window_days")
    kw: dict[str, Any] = {}

    # usage
    kw["licensed_seats"] = account.get("licensed_seats")
    kw.update(usage_facts(data.rows("usage", acct), as_of))
    if data.has("features"):
        pt = account.get("product_type")
        available = data.catalog.available(pt.lower() if pt else None)
        kw["features_used"] = features_used(data.rows("features", acct), as_of, available)
        kw["features_available"] = len(available) or None

    # engagement
    tp = data.rows("touchpoints", acct)
    if len(tp):
        d, done, exe = tp["date"], tp["completed"], tp["exec_present"]
        upto = d <= c
        recent = upto & (d > c - window)
        known = recent & ~np.isnan(done)
        kw["touchpoints_total"] = _count(known)
        kw["touchpoints_completed"] = _count(known & (done == 1))
        not_cancelled = done != 0
        exec_rows = upto & (exe == 1) & not_cancelled
        if exec_rows.any():
            kw["exec_days"] = float(c - np.floor(d[exec_rows].max()))
        kw["exec_recorded"] = bool((upto & ~np.isnan(exe)).any())
        types = set(setting(config, "health.review_touchpoint_types"))
        review = np.array([t in types for t in tp["type"]], dtype=bool)
        span = num(config, "health.exec_attendance_window_days")
        rev = review & upto & (d > c - span) & not_cancelled & ~np.isnan(exe)
        kw["reviews_total"] = _count(rev)
        kw["reviews_with_exec"] = _count(rev & (exe == 1))

    # outcomes
    goals = data.rows("goals", acct)
    if len(goals):
        q_now = quarter_index(quarter_of(as_of))
        total = on_track = 0
        for status, q in zip(goals["status"], goals["quarter"], strict=True):
            if not np.isnan(q) and q > q_now:
                continue
            norm = goal_status(status)
            if norm is None:
                continue
            total += 1
            on_track += norm in ("on_track", "complete")
        kw["goals_total"] = total
        kw["goals_on_track"] = on_track
    kw["nps"] = account.get("nps")
    kw["csat"] = account.get("csat")

    # support
    if data.has("tickets"):
        kw["tickets_present"] = True
        t = data.rows("tickets", acct)
        if len(t):
            o, r = t["opened_at"], t["resolved_at"]
            opened = o < end
            open_now = opened & (np.isnan(r) | (r >= end))
            crit_set = {str(p).lower() for p in setting(config, "health.critical_priorities")}
            crit = np.array([p in crit_set for p in t["priority"]], dtype=bool) & open_now
            if crit.any():
                bdays = business_days_since(o[crit], as_of)
                limit = num(config, "health.critical_open_business_days")
                ids = t["ticket_id"][crit]
                kw["critical_overdue"] = tuple(
                    (str(i), int(b)) for i, b in zip(ids, bdays, strict=True) if b > limit
                )
            in_window = opened & (o >= end - window)
            csat = t["csat"][in_window]
            csat = csat[~np.isnan(csat)]
            if len(csat):
                kw["ticket_csat"] = float(csat.mean())
            kw["tickets_30d"] = _count(opened & (o >= end - 30))
            kw["tickets_prev_30d"] = _count((o < end - 30) & (o >= end - 60))
            kw["tickets_window"] = _count(in_window)
            kw["tickets_prev_window"] = _count((o < end - window) & (o >= end - 2 * window))

    # relationship
    kw["champion_named"] = bool(account.get("champion_name"))
    kw["champion_changed"] = account.get("champion_changed")
    kw["sponsor_named"] = bool(account.get("sponsor_name"))
    kw["sponsor_engaged"] = account.get("sponsor_engaged")

    # forced-Red facts
    kw["cancellation_intent"] = account.get("cancellation_intent")
    inv = data.rows("invoices", acct)
    if len(inv):
        status, due, paid = inv["status"], inv["due_date"], inv["paid_at"]
        unpaid = np.array(
            [s in ("open", "failed") or (s is None and np.isnan(p)) for s, p in
             zip(status, paid, strict=True)],
            dtype=bool,
        )
        late = unpaid & ~np.isnan(due) & (due < c)
        if late.any():
            i = int(np.flatnonzero(late)[np.argmin(due[late])])
            inv_day = inv["invoice_date"][i]
            label = date_from_day(inv_day).isoformat() if not np.isnan(inv_day) else "undated"
            kw["overdue_invoice"] = (
                label,
                float(np.nan_to_num(inv["amount"][i])),
                int(c - np.floor(due[i])),
            )
    return HealthInputs(**kw)
