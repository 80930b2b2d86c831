"""The book's tables re-encoded once per run for vectorised, per-account metrics.

Each per-account table is sorted by `account_id` (then by its time column) once. Every row carries
`pos`, the position of its account in the accounts table (-1 for rows of unknown accounts, which
are reported by validation and ignored here), so aggregations over all accounts are single numpy
operations; `rows(account_id)` gives one account's rows as slices when a per-row walk is needed.

Encodings (numeric columns are float64, NaN = missing):
- number / int -> float; bool -> 1.0 / 0.0 / NaN; string -> object array (None = missing)
- date / datetime -> days since 1970-01-01 (fractional for timestamps)
- month "YYYY-MM" -> year * 12 + month - 1; quarter "YYYYQn" -> year * 4 + n - 1

Duplicate rows (the contract's table key) keep their first occurrence, as validation reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from deckgen.book.load import ROW, Book
from deckgen.book.schema import TABLES
from deckgen.config import Config
from deckgen.metrics.periods import date_from_day
from deckgen.metrics.settings import setting

PER_ACCOUNT_TABLES: dict[str, tuple[str, ...]] = {
    # table -> sort columns after account_id (rows keep file order within ties)
    "usage": ("month",),
    "features": ("month",),
    "tickets": ("opened_at",),
    "invoices": ("invoice_date",),
    "value": (),
    "goals": (),
    "actions": (),
    "touchpoints": ("date",),
}
REQUIRED_FOR_USE: dict[str, tuple[str, ...]] = {
    # rows missing these cannot be placed in time and are left out of the metrics
    "usage": ("month",),
    "features": ("month", "feature"),
    "tickets": ("opened_at",),
    "value": ("quarter", "category"),
    "touchpoints": ("date",),
}
LOWERCASE: dict[str, tuple[str, ...]] = {
    # free-text columns compared case-insensitively: stored stripped and lower-cased
    "tickets": ("priority",),
    "touchpoints": ("type",),
    "invoices": ("status",),
    "value": ("category",),
}
_EPOCH = pd.Timestamp("1970-01-01")
_BLANK = ("", "None", "nan", "<NA>")


# ---------------------------------------------------------------- encoding


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip() in _BLANK


def blank_ids(series: pd.Series) -> np.ndarray:
    """True where an id cell is missing or blank."""
    return _by_unique(series, _is_blank, bool)


def _strip(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _by_unique(series: pd.Series, fn: Any, dtype: Any) -> np.ndarray:
    """Apply `fn` to each distinct value once (columns like months repeat a lot)."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques] + [fn(None)], dtype=dtype)
    return mapped[codes]  # code -1 (missing) picks the trailing fn(None)


def _month(text: Any) -> float:
    if not isinstance(text, str) or len(text) < 7:
        return math.nan
    try:
        return int(text[:4]) * 12 + int(text[5:7]) - 1
    except ValueError:
        return math.nan


def _quarter(text: Any) -> float:
    if not isinstance(text, str) or len(text) < 6:
        return math.nan
    try:
        return int(text[:4]) * 4 + int(text[5]) - 1
    except ValueError:
        return math.nan


def _lower(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return text.strip().lower() or None


def encode(series: pd.Series, kind: str) -> np.ndarray:
    """One column in the engine's encoding (see the module docstring)."""
    if kind in ("number", "int"):
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if kind in ("date", "datetime"):
        ts = pd.to_datetime(series, errors="coerce")
        days = (ts - _EPOCH) / pd.Timedelta(days=1)
        return pd.to_numeric(days, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if kind == "month":
        return _by_unique(series, _month, "float64")
    if kind == "quarter":
        return _by_unique(series, _quarter, "float64")
    if kind == "bool":
        if isinstance(series.dtype, pd.BooleanDtype):
            return series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        return _by_unique(
            series, lambda v: 1.0 if v is True else 0.0 if v is False else math.nan, "float64"
        )
    values = series.astype(object)
    return values.where(values.notna(), None).to_numpy(dtype=object)


def lower(values: np.ndarray) -> np.ndarray:
    """Lower-cased, stripped strings of an object array (None stays None)."""
    return _by_unique(pd.Series(values, dtype=object), _lower, object)


# ---------------------------------------------------------------- per-account tables


class Rows:
    """One account's rows of one table: `rows["month"]` is a numpy array (sliced on access)."""

    __slots__ = ("_cols", "_e", "_s", "n")

    def __init__(self, cols: Mapping[str, np.ndarray], start: int, end: int) -> None:
        self._cols = cols
        self._s = start
        self._e = end
        self.n = end - start

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name][self._s : self._e]

    def __len__(self) -> int:
        return self.n

    def has(self, name: str) -> bool:
        return name in self._cols


class Grouped:
    """A per-account table, encoded and sorted once."""

    def __init__(self, name: str, df: pd.DataFrame) -> None:
        schema = TABLES[name]
        if len(df):
            df = df.loc[~blank_ids(df["account_id"])]
        for needed in REQUIRED_FOR_USE.get(name, ()):
            if needed in df.columns:
                df = df.loc[df[needed].notna()]
        key = [k for k in schema.key if k in df.columns]
        if key and len(df):
            dup = df.duplicated(subset=key, keep="first") & df[key].notna().all(axis=1)
            df = df.loc[~dup]
        df = df.assign(account_id=_by_unique(df["account_id"], _strip, object))
        sort_cols = ["account_id", *[c for c in PER_ACCOUNT_TABLES[name] if c in df.columns]]
        if ROW in df.columns:
            sort_cols.append(ROW)
        df = df.sort_values(sort_cols, kind="stable", na_position="last") if len(df) else df
        self.name = name
        self.types = {c.name: c.type for c in schema.columns}
        self.cols: dict[str, np.ndarray] = {}
        for col in schema.columns:
            if col.name == "account_id":
                continue
            if col.name in df.columns:
                self.cols[col.name] = encode(df[col.name], col.type)
            else:
                self.cols[col.name] = encode(pd.Series([None] * len(df), dtype=object), col.type)
            if col.name in LOWERCASE.get(name, ()):
                self.cols[col.name] = lower(self.cols[col.name])
        self.ids = df["account_id"].to_numpy(dtype=object)
        self.size = len(self.ids)
        self.spans: dict[str, tuple[int, int]] = {}
        if self.size:
            change = np.flatnonzero(self.ids[1:] != self.ids[:-1]) + 1
            starts = np.concatenate(([0], change)).tolist()
            ends = np.concatenate((change, [self.size])).tolist()
            for s, e in zip(starts, ends, strict=True):
                self.spans[str(self.ids[s])] = (s, e)
        self.pos = np.full(self.size, -1, dtype=np.int64)
        self._records: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def set_positions(self, index: Mapping[str, int]) -> None:
        """Fill `pos` (account position, -1 = unknown account) from the accounts' order."""
        for acct, (s, e) in self.spans.items():
            self.pos[s:e] = index.get(acct, -1)

    def add(self, column: str, values: np.ndarray) -> None:
        """A derived column (aligned with the table's sorted rows)."""
        self.cols[column] = values

    def rows(self, account_id: str) -> Rows:
        s, e = self.spans.get(account_id, (0, 0))
        return Rows(self.cols, s, e)

    def records(self, account_id: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """One account's rows as plain dicts (NaN -> None, dates as `date`), in table order.
        The dicts are shared: do not modify them."""
        s, e = self.spans.get(account_id, (0, 0))
        if s == e:
            return []
        table = self._records.get(columns)
        if table is None:
            lists = [self._plain(c) for c in columns]
            table = self._records[columns] = [
                dict(zip(columns, vals, strict=True)) for vals in zip(*lists, strict=True)
            ]
        return table[s:e]

    def _plain(self, column: str) -> list[Any]:
        """A column as Python values: dates as `date`, NaN as None."""
        values = self.cols[column]
        if self.types.get(column) in ("date", "datetime"):
            days = np.where(np.isnan(values), np.nan, np.floor(values))
            as_dates = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
            ok = ~np.isnan(days)
            as_dates[ok] = days[ok].astype(np.int64).astype("datetime64[D]")
            return as_dates.tolist()
        return [None if isinstance(v, float) and v != v else v for v in values.tolist()]

    def span(self, account_id: str) -> tuple[int, int]:
        """(first row, end row) of an account's rows; (0, 0) when it has none."""
        return self.spans.get(account_id, (0, 0))


# ---------------------------------------------------------------- accounts and catalog


def _plain_column(series: pd.Series, kind: str) -> list[Any]:
    """A column of the accounts table as plain Python values (None = missing)."""
    arr = encode(series, kind)
    if kind in ("date", "datetime"):
        return [None if v != v else date_from_day(v) for v in arr.tolist()]
    if kind == "bool":
        return [None if v != v else bool(v) for v in arr.tolist()]
    if kind in ("number", "int"):
        return [None if v != v else v for v in arr.tolist()]
    return [v.strip() or None if isinstance(v, str) else None for v in arr.tolist()]


def account_rows(df: pd.DataFrame) -> tuple[list[dict[str, Any]], set[str]]:
    """Accounts in file order as plain dicts (first row per id; blank ids skipped), and the set
    of ids that appear more than once. `product_type` is lower-cased."""
    schema = TABLES["accounts"]
    n = len(df)
    columns: dict[str, list[Any]] = {
        c.name: _plain_column(df[c.name], c.type) if c.name in df.columns else [None] * n
        for c in schema.columns
        if c.name != "account_id"
    }
    blank = blank_ids(df["account_id"]) if n else np.zeros(0, dtype=bool)
    ids = pd.Series(_by_unique(df["account_id"], _strip, object), dtype=object)
    rows_col = df[ROW].tolist() if ROW in df.columns else [None] * n
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    dupes: set[str] = set()
    names = list(columns)
    values = list(columns.values())
    for i, raw_id in enumerate(ids.tolist()):
        if blank[i]:
            continue
        acct = raw_id.strip()
        if acct in seen:
            dupes.add(acct)
            continue
        seen.add(acct)
        row: dict[str, Any] = {"account_id": acct}
        row.update(zip(names, (v[i] for v in values), strict=True))
        if row.get("product_type"):
            row["product_type"] = str(row["product_type"]).lower()
        row[ROW] = rows_col[i]
        out.append(row)
    return out, dupes


@dataclass(frozen=True)
class Catalog:
    """Features a customer could use.

    From the `feature_catalog` table (scoped to the account's product type when the table carries
    an extra `product_type` column), else config `features.catalog`; without either, the features
    seen with events anywhere in the book for accounts of the same product type (a proxy)."""

    by_product: Mapping[str | None, frozenset[str]]
    source: str  # "catalog", "config" or "observed"

    def available(self, product_type: str | None) -> frozenset[str]:
        """The account's available features: its product type's, plus unscoped catalog rows;
        all of them when the product type is unknown or not in the catalog."""
        scoped = self.by_product.get(product_type) if product_type else None
        if scoped:
            return scoped | self.by_product.get(None, frozenset())
        return self.by_product.get("*", frozenset())


def build_catalog(
    book: Book, config: Config, features: Grouped, product_of: Mapping[str, str | None]
) -> Catalog:
    table = book.tables.get("feature_catalog")
    by: dict[str | None, set[str]] = {}
    if table is not None and len(table):
        cat_names = table["feature"].astype(object).tolist()
        cat_pts = (
            table["product_type"].astype(object).tolist()
            if "product_type" in table.columns
            else [None] * len(cat_names)
        )
        for feat, pt in zip(cat_names, cat_pts, strict=True):
            if _is_blank(feat):
                continue
            f = str(feat).strip()
            by.setdefault("*", set()).add(f)
            key = None if _is_blank(pt) else str(pt).strip().lower()
            by.setdefault(key, set()).add(f)
        return Catalog({k: frozenset(v) for k, v in by.items()}, "catalog")
    names_cfg: list[str] = []  # from config `features.catalog`
    for entry in config.get("features.catalog", []) or []:
        if isinstance(entry, Mapping):
            if entry.get("feature"):
                names_cfg.append(str(entry["feature"]).strip())
        elif entry is not None and str(entry).strip():
            names_cfg.append(str(entry).strip())
    if names_cfg:
        return Catalog({"*": frozenset(names_cfg)}, "config")
    used = np.flatnonzero(features.cols["events"] > 0)
    f_codes, f_names = pd.factorize(pd.Series(features.cols["feature"][used], dtype=object))
    a_codes, a_ids = pd.factorize(pd.Series(features.ids[used], dtype=object))
    pt_of_acct = [product_of.get(str(a)) or "" for a in a_ids]
    names = [str(f).strip() for f in f_names]
    pairs = np.unique(a_codes.astype(np.int64) * max(1, len(names)) + f_codes)
    by["*"] = {n for n in names if n}
    for pair in pairs.tolist():
        a_code, f_code = divmod(int(pair), max(1, len(names)))
        pt, name = pt_of_acct[a_code], names[f_code]
        if pt and name:
            by.setdefault(pt, set()).add(name)
    return Catalog({k: frozenset(v) for k, v in by.items()}, "observed")


# ---------------------------------------------------------------- the whole book


@dataclass
class BookData:
    """Everything the per-account metrics read, prepared once."""

    accounts: list[dict[str, Any]]
    index: dict[str, int]  # account id -> position in `accounts`
    duplicate_ids: set[str]
    tables: dict[str, Grouped]
    present: frozenset[str]  # per-account tables the book has
    catalog: Catalog
    roadmap: list[dict[str, Any]] = field(default_factory=list)

    def rows(self, table: str, account_id: str) -> Rows:
        return self.tables[table].rows(account_id)

    def has(self, table: str) -> bool:
        return table in self.present


def keyword_column(keyword: str) -> str:
    """Name of the derived features column: the feature name contains `keyword`."""
    return f"kw:{keyword.lower()}"


def feature_keywords(config: Config) -> list[str]:
    return sorted(
        {str(k).lower() for k in dict(setting(config, "signals.feature_keywords")).values() if k}
    )


def _derive(tables: dict[str, Grouped], config: Config) -> None:
    """Config-dependent flags computed once over whole tables (aligned with their rows)."""
    crit = [str(p).strip().lower() for p in setting(config, "health.critical_priorities")]
    t = tables["tickets"]
    t.add("critical", np.isin(t.cols["priority"], crit))
    tp = tables["touchpoints"]
    review = [str(p).strip().lower() for p in setting(config, "health.review_touchpoint_types")]
    tp.add("review", np.isin(tp.cols["type"], review))
    inv = tables["invoices"]
    status = inv.cols["status"]
    no_status = np.array([v is None for v in status.tolist()], dtype=bool)
    inv.add("void", np.asarray(status == "void", dtype=bool))
    inv.add(
        "unpaid",
        np.isin(status, ["open", "failed"]) | (no_status & np.isnan(inv.cols["paid_at"])),
    )
    f = tables["features"]
    codes, uniques = pd.factorize(pd.Series(f.cols["feature"], dtype=object))
    texts = [str(u).lower() for u in uniques]
    for kw in feature_keywords(config):
        lookup = np.array([kw in t for t in texts] + [False], dtype=bool)
        f.add(keyword_column(kw), lookup[codes])


def prepare(book: Book, config: Config) -> BookData:
    """Encode and group every table of `book` once."""
    accounts, dupes = account_rows(book.tables["accounts"])
    index = {a["account_id"]: i for i, a in enumerate(accounts)}
    tables: dict[str, Grouped] = {}
    present: set[str] = set()
    for name in PER_ACCOUNT_TABLES:
        df = book.tables.get(name)
        if df is not None:
            present.add(name)
        else:
            df = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in TABLES[name].columns})
        tables[name] = Grouped(name, df)
        tables[name].set_positions(index)
    _derive(tables, config)
    product_of = {a["account_id"]: a.get("product_type") for a in accounts}
    catalog = build_catalog(book, config, tables["features"], product_of)
    roadmap: list[dict[str, Any]] = []
    rm = book.tables.get("roadmap")
    if rm is not None:
        fields = ("item", "description", "status", "timing", "module", "requested_by")
        cols = {k: rm[k].tolist() if k in rm.columns else [None] * len(rm) for k in fields}
        for i in range(len(rm)):
            entry: dict[str, Any] = {
                k: None if _is_blank(cols[k][i]) else str(cols[k][i]).strip() for k in fields
            }
            if entry["item"] is None:
                continue
            entry["requested_ids"] = frozenset(ids_in(entry["requested_by"]))
            roadmap.append(entry)
    return BookData(accounts, index, dupes, tables, frozenset(present), catalog, roadmap)


def ids_in(text: str | None, sep: str = ";") -> tuple[str, ...]:
    """`"A-1; A-2"` -> `("A-1", "A-2")`."""
    if not text:
        return ()
    return tuple(p.strip() for p in text.split(sep) if p.strip())
