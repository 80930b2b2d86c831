"""Whole-book aggregations, computed once per run with numpy over every account at once.

Monthly data is laid out on a dense account x month grid (`MonthGrid`): rows are account
positions, columns are months from a quarter start (at least 36 months, and far enough back for
every review quarter shown) to the end of the as-of quarter. Months after the as-of month are
left empty: nothing after as-of is ever counted. Per-quarter values are sums or means over each
quarter's three columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from deckgen.config import Config
from deckgen.metrics.frames import BookData, feature_keywords, keyword_column
from deckgen.metrics.periods import day_number, month_index, quarter_index
from deckgen.metrics.results import Period
from deckgen.metrics.settings import setting

LOOKBACK_MONTHS = 36
MAX_MONTHS = 12 * 25
TOP_FEATURES = 5


@dataclass(frozen=True)
class MonthGrid:
    lo: int  # month index of column 0 (the first month of a quarter)
    n: int  # number of columns (a multiple of 3)
    now: int  # month index of the as-of month

    def col(self, month: int) -> int:
        return month - self.lo

    def qcol(self, quarter: int) -> int:
        """Quarter-matrix column of a quarter index."""
        return (quarter * 3 - self.lo) // 3

    @property
    def nq(self) -> int:
        return self.n // 3


def month_grid(as_of: date, quarters: Iterable[int]) -> MonthGrid:
    now = month_index(as_of)
    lo = now - (LOOKBACK_MONTHS - 1)
    for q in quarters:
        lo = min(lo, (q - 1) * 3)  # the quarter before each review quarter, for QoQ
    lo = max(lo, now - MAX_MONTHS)
    lo -= lo % 3
    hi = now - now % 3 + 2
    return MonthGrid(lo, hi - lo + 1, now)


def _cells(grid: MonthGrid, pos: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row index, column index) of rows that fall on the grid (known account, month <= as-of)."""
    ok = (pos >= 0) & ~np.isnan(months)
    ok &= (months >= grid.lo) & (months <= grid.now)
    idx = np.flatnonzero(ok)
    return idx, (months[idx] - grid.lo).astype(np.int64)


def dense_last(
    n_acc: int, grid: MonthGrid, pos: np.ndarray, months: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Account x month matrix of `values` (NaN where no row)."""
    out = np.full((n_acc, grid.n), np.nan)
    idx, cols = _cells(grid, pos, months)
    out[pos[idx], cols] = values[idx]
    return out


def dense_sum(
    n_acc: int,
    grid: MonthGrid,
    pos: np.ndarray,
    months: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Account x month matrix of summed `weights` (counts when None; NaN weights count 0)."""
    idx, cols = _cells(grid, pos, months)
    w = None if weights is None else np.nan_to_num(weights[idx])
    flat = np.bincount(pos[idx] * grid.n + cols, weights=w, minlength=n_acc * grid.n)
    return flat.reshape(n_acc, grid.n).astype("float64")


def by_quarter(mat: np.ndarray, how: str) -> np.ndarray:
    """Account x quarter matrix from an account x month matrix: "sum" (NaN = 0), "mean" or
    "count" (non-NaN months)."""
    q = mat.reshape(mat.shape[0], -1, 3)
    if how == "sum":
        return np.nansum(q, axis=2)
    known = (~np.isnan(q)).sum(axis=2)
    if how == "count":
        return known.astype("float64")
    total = np.nansum(q, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known > 0, total / np.maximum(known, 1), np.nan)


def month_of_days(days: np.ndarray) -> np.ndarray:
    """Month index of day numbers (NaN stays NaN)."""
    out = np.full(len(days), np.nan)
    ok = ~np.isnan(days)
    if ok.any():
        m = np.floor(days[ok]).astype("int64").astype("datetime64[D]").astype("datetime64[M]")
        out[ok] = m.astype("int64") + 1970 * 12
    return out


class Aggregates:
    """Dense per-account matrices and per-(account, quarter) statistics for one as-of date."""

    def __init__(
        self, data: BookData, config: Config, as_of: date, periods: Iterable[Period]
    ) -> None:
        self.n_acc = n = len(data.accounts)
        self.as_of = as_of
        periods = list(periods)
        quarters = sorted({quarter_index(p.quarter) for p in periods})
        shown = {quarter_index(q) for p in periods for q in p.previous_quarters}
        self.grid = g = month_grid(as_of, sorted(shown | set(quarters)))
        end = day_number(as_of) + 1.0

        u = data.tables["usage"]
        self.usage_row = ~np.isnan(dense_last(n, g, u.pos, u.cols["month"], np.zeros(u.size)))
        self.active_users = dense_last(n, g, u.pos, u.cols["month"], u.cols["active_users"])
        self.dau = dense_last(n, g, u.pos, u.cols["month"], u.cols["dau"])
        mau = dense_last(n, g, u.pos, u.cols["month"], u.cols["mau"])
        self.mau = np.where(np.isnan(mau), self.active_users, mau)
        self.api_calls = dense_last(n, g, u.pos, u.cols["month"], u.cols["api_calls"])
        self.users_q_mean = by_quarter(self.active_users, "mean")
        self.api_q_sum = by_quarter(self.api_calls, "sum")
        self.api_q_count = by_quarter(self.api_calls, "count")

        f = data.tables["features"]
        fm, fev = f.cols["month"], f.cols["events"]
        self.feature_rows = dense_sum(n, g, f.pos, fm) > 0
        self.feature_q_rows = by_quarter(np.where(self.feature_rows, 1.0, np.nan), "count") > 0
        self.keyword_events: dict[str, np.ndarray] = {}
        for kw in feature_keywords(config):
            mask = f.cols[keyword_column(kw)]
            self.keyword_events[kw] = dense_sum(n, g, f.pos, fm, np.where(mask, fev, 0.0))
        self.keyword_rows: dict[str, np.ndarray] = {
            kw: dense_sum(n, g, f.pos, fm, f.cols[keyword_column(kw)].astype("float64")) > 0
            for kw in feature_keywords(config)
        }
        self.keyword_q_events = {
            kw: by_quarter(mat, "sum") for kw, mat in self.keyword_events.items()
        }
        # ticket deflection: "deflect" features vs "ticket" features that are not deflections
        keys = dict(setting(config, "signals.feature_keywords"))
        defl = str(keys.get("deflection") or "").lower()
        base = str(keys.get("deflection_base") or "").lower()
        if defl and base:
            base_mask = f.cols[keyword_column(base)] & ~f.cols[keyword_column(defl)]
            self.deflection_base_events = dense_sum(n, g, f.pos, fm, np.where(base_mask, fev, 0.0))
            self.deflection_base_rows = dense_sum(n, g, f.pos, fm, base_mask.astype("float64")) > 0
        else:
            self.deflection_base_events = np.zeros((n, g.n))
            self.deflection_base_rows = np.zeros((n, g.n), dtype=bool)
        self._features_frame = self._feature_frame(data, g)
        self.first_feature_month = self._first_month(f.pos, np.where(fm <= g.now, fm, np.nan), n)
        self.first_use = self._first_use()

        t = data.tables["tickets"]
        opened = t.cols["opened_at"]
        t_month = month_of_days(opened)
        self.tickets_month = dense_sum(n, g, t.pos, np.where(opened < end, t_month, np.nan))
        self.ticket_quarters = self._ticket_quarters(data, end, quarters)

        inv = data.tables["invoices"]
        live = ~inv.cols["void"] & ~np.isnan(inv.cols["amount"])
        i_month = month_of_days(np.where(live, inv.cols["invoice_date"], np.nan))
        self.billed_q_sum = by_quarter(dense_sum(n, g, inv.pos, i_month, inv.cols["amount"]), "sum")
        self.billed_q_count = by_quarter(dense_sum(n, g, inv.pos, i_month), "sum")
        self.top_features = self._top_features(quarters)

    # ------------------------------------------------------------ features

    @staticmethod
    def _first_month(pos: np.ndarray, months: np.ndarray, n: int) -> np.ndarray:
        out = np.full(n, np.inf)
        ok = (pos >= 0) & ~np.isnan(months)
        np.minimum.at(out, pos[ok], months[ok])
        return np.where(np.isinf(out), np.nan, out)

    def _feature_frame(self, data: BookData, g: MonthGrid) -> pd.DataFrame:
        f = data.tables["features"]
        ok = (f.pos >= 0) & (f.cols["events"] > 0) & (f.cols["month"] <= g.now)
        names = pd.Series(f.cols["feature"][ok], dtype=object).astype(str).str.strip()
        return pd.DataFrame(
            {
                "pos": f.pos[ok],
                "month": f.cols["month"][ok].astype(np.int64),
                "feature": names.to_numpy(dtype=object),
                "events": f.cols["events"][ok],
            }
        )

    def _first_use(self) -> dict[int, list[tuple[int, str]]]:
        """Per account: (first month with events, feature), for "new feature" signals."""
        df = self._features_frame
        out: dict[int, list[tuple[int, str]]] = {}
        if df.empty:
            return out
        first = df.groupby(["pos", "feature"], sort=True)["month"].min()
        for (p, name), month in zip(first.index.tolist(), first.tolist(), strict=True):
            out.setdefault(int(p), []).append((int(month), str(name)))
        return out

    def _top_features(
        self, quarters: list[int]
    ) -> dict[tuple[int, int], tuple[tuple[str, int], ...]]:
        """(account, quarter) -> the top features by events in that quarter."""
        df = self._features_frame
        out: dict[tuple[int, int], tuple[tuple[str, int], ...]] = {}
        if df.empty or not quarters:
            return out
        q = df["month"] // 3
        df = df.loc[q.isin(quarters)].assign(quarter=q)
        if df.empty:
            return out
        sums = df.groupby(["pos", "quarter", "feature"], sort=False)["events"].sum().reset_index()
        sums = sums.sort_values(
            ["pos", "quarter", "events", "feature"],
            ascending=[True, True, False, True],
            kind="stable",
        )
        top = sums.groupby(["pos", "quarter"], sort=False).head(TOP_FEATURES)
        for p, qi, name, ev in zip(
            top["pos"].tolist(),
            top["quarter"].tolist(),
            top["feature"].tolist(),
            top["events"].tolist(),
            strict=True,
        ):
            key = (int(p), int(qi))
            out[key] = (*out.get(key, ()), (str(name), round(ev)))
        return out

    def features_window(self, first_month: int, last_month: int) -> pd.DataFrame:
        """Feature rows with events in [first_month, last_month]."""
        df = self._features_frame
        return df.loc[(df["month"] >= first_month) & (df["month"] <= last_month)]

    # ------------------------------------------------------------ tickets

    def _ticket_quarters(
        self, data: BookData, end: float, quarters: list[int]
    ) -> dict[tuple[int, int], tuple[Any, ...]]:
        """(account, quarter) -> (tickets opened, median resolution hours, median first-response
        hours, mean ticket CSAT) for tickets opened in the quarter (and by as-of)."""
        t = data.tables["tickets"]
        o, r = t.cols["opened_at"], t.cols["resolved_at"]
        q = np.floor(month_of_days(o) / 3)
        ok = (t.pos >= 0) & (o < end) & np.isin(q, quarters)
        if not ok.any():
            return {}
        resolved = ~np.isnan(r) & (r >= o) & (r < end)
        df = pd.DataFrame(
            {
                "pos": t.pos[ok],
                "quarter": q[ok].astype(np.int64),
                "hours": np.where(resolved, (r - o) * 24.0, np.nan)[ok],
                "frh": t.cols["first_response_hours"][ok],
                "csat": t.cols["csat"][ok],
            }
        )
        grp = df.groupby(["pos", "quarter"], sort=False)
        stats = pd.DataFrame(
            {
                "n": grp.size(),
                "hours": grp["hours"].median(),
                "frh": grp["frh"].median(),
                "csat": grp["csat"].mean(),
            }
        )
        out: dict[tuple[int, int], tuple[Any, ...]] = {}
        for (p, qi), n, h, fr, cs in zip(
            stats.index.tolist(),
            stats["n"].tolist(),
            stats["hours"].tolist(),
            stats["frh"].tolist(),
            stats["csat"].tolist(),
            strict=True,
        ):
            out[(int(p), int(qi))] = (
                int(n),
                None if h != h else float(h),
                None if fr != fr else float(fr),
                None if cs != cs else float(cs),
            )
        return out

    # ------------------------------------------------------------ lookups

    def q_value(self, mat: np.ndarray, pos: int, quarter: int) -> float | None:
        c = self.grid.qcol(quarter)
        if c < 0 or c >= mat.shape[1]:
            return None
        v = float(mat[pos, c])
        return None if v != v else v

    def latest_month(self, mat: np.ndarray, pos: int) -> int | None:
        """The last month (<= as-of) where the boolean matrix `mat` is true for an account."""
        row = mat[pos, : self.grid.col(self.grid.now) + 1]
        hits = np.flatnonzero(row)
        return int(hits[-1]) + self.grid.lo if len(hits) else None

    def latest_usage_month(self) -> int | None:
        """The book's latest usage month (not after as-of)."""
        cols = np.flatnonzero(self.usage_row.any(axis=0))
        return int(cols[-1]) + self.grid.lo if len(cols) else None

    def m_series(
        self, mat: np.ndarray, pos: int, first: int, last: int
    ) -> tuple[float | None, ...]:
        """An account's values for months `first`..`last` (None off the grid, after as-of, or
        NaN)."""
        lo, hi = self.grid.col(first), self.grid.col(min(last, self.grid.now))
        row = mat[pos, max(lo, 0) : max(hi + 1, 0)].tolist()
        out: list[float | None] = [None] * max(0, -lo)
        out += [None if v != v else v for v in row]
        out += [None] * ((last - first + 1) - len(out))
        return tuple(out[: last - first + 1])

    def q_series(self, mat: np.ndarray, pos: int, first: int, last: int) -> list[float | None]:
        """An account's values for quarters `first`..`last` (None off the grid or NaN)."""
        lo, hi = self.grid.qcol(first), self.grid.qcol(last)
        row = mat[pos, max(lo, 0) : max(hi + 1, 0)].tolist()
        out: list[float | None] = [None] * max(0, -lo)
        out += [None if v != v else v for v in row]
        out += [None] * ((last - first + 1) - len(out))
        return out[: last - first + 1]

    def m_value(self, mat: np.ndarray, pos: int, month: int) -> float | None:
        c = self.grid.col(month)
        if c < 0 or c >= mat.shape[1] or month > self.grid.now:
            return None
        v = float(mat[pos, c])
        return None if v != v else v
