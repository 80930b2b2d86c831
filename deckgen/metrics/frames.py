"""The book's tables re-encoded once per run as per-account numpy slices.

Each per-account table is sorted by `account_id` (then by its time column) once; an account's rows
are then views into those arrays, found by a dict lookup, so per-account metrics never filter a
DataFrame. Encodings (all numeric columns are float64, NaN = missing):

- number / int -> float; bool -> 1.0 / 0.0 / NaN; string -> object array (None = missing)
- date / datetime -> days since 1970-01-01 (fractional for timestamps)
- month "YYYY-MM" -> year * 12 + month - 1; quarter "YYYYQn" -> year * 4 + n - 1

Duplicate rows (the contract's table key) keep their first occurrence, as validation reports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from deckgen.book.load import ROW, Book
from deckgen.book.schema import TABLES
from deckgen.config import Config
from deckgen.metrics.periods import date_from_day

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


# ---------------------------------------------------------------- encoding


def _is_blank_id(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip() in ("", "None", "nan", "<NA>")


def encode(series: pd.Series, kind: str) -> np.ndarray:
    """One column in the engine's encoding (see the module docstring)."""
    if kind in ("number", "int"):
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if kind in ("date", "datetime"):
        ts = pd.to_datetime(series, errors="coerce")
        days = (ts - _EPOCH) / pd.Timedelta(days=1)
        return pd.to_numeric(days, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if kind == "month":
        text = series.astype(object).where(series.notna(), "").astype(str)
        year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
        month = pd.to_numeric(text.str.slice(5, 7), errors="coerce")
        return (year * 12 + month - 1).to_numpy(dtype="float64", na_value=np.nan)
    if kind == "quarter":
        text = series.astype(object).where(series.notna(), "").astype(str)
        year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
        q = pd.to_numeric(text.str.slice(5, 6), errors="coerce")
        return (year * 4 + q - 1).to_numpy(dtype="float64", na_value=np.nan)
    if kind == "bool":
        if isinstance(series.dtype, pd.BooleanDtype):
            return series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        mapped = series.map(lambda v: 1.0 if v is True else 0.0 if v is False else np.nan)
        return mapped.to_numpy(dtype="float64", na_value=np.nan)
    values = series.astype(object)
    return values.where(values.notna(), None).to_numpy(dtype=object)


def lower(values: np.ndarray) -> np.ndarray:
    """Lower-cased, stripped strings of an object array (None stays None)."""
    return np.array(
        [v.strip().lower() if isinstance(v, str) else None for v in values], dtype=object
    )


# ---------------------------------------------------------------- grouped tables


class Rows:
    """One account's rows of one table: `rows["month"]` is a numpy array (a view)."""

    __slots__ = ("_cols", "n")

    def __init__(self, cols: Mapping[str, np.ndarray], n: int) -> None:
        self._cols = cols
        self.n = n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __len__(self) -> int:
        return self.n

    def has(self, name: str) -> bool:
        return name in self._cols


class Grouped:
    """A per-account table, encoded and sorted once; `rows(account_id)` slices it."""

    def __init__(self, name: str, df: pd.DataFrame) -> None:
        schema = TABLES[name]
        df = df.loc[~df["account_id"].map(_is_blank_id)] if len(df) else df
        for col in REQUIRED_FOR_USE.get(name, ()):
            if col in df.columns:
                df = df.loc[df[col].notna()]
        key = [k for k in schema.key if k in df.columns]
        if key and len(df):
            dup = df.duplicated(subset=key, keep="first") & df[key].notna().all(axis=1)
            df = df.loc[~dup]
        sort_cols = ["account_id", *[c for c in PER_ACCOUNT_TABLES[name] if c in df.columns]]
        if ROW in df.columns:
            sort_cols.append(ROW)
        df = df.sort_values(sort_cols, kind="stable", na_position="last") if len(df) else df
        self.name = name
        self.present_columns = frozenset(df.columns)
        self.cols: dict[str, np.ndarray] = {}
        for col in schema.columns:
            if col.name == "account_id":
                continue
            if col.name in df.columns:
                self.cols[col.name] = encode(df[col.name], col.type)
            else:
                empty = pd.Series([None] * len(df), dtype=object)
                self.cols[col.name] = encode(empty, col.type)
            if col.name in LOWERCASE.get(name, ()):
                self.cols[col.name] = lower(self.cols[col.name])
        ids = df["account_id"].astype(str).to_numpy(dtype=object)
        self.index: dict[str, tuple[int, int]] = {}
        if len(ids):
            change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
            starts = np.concatenate(([0], change))
            ends = np.concatenate((change, [len(ids)]))
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                self.index[str(ids[s])] = (s, e)
        self._empty = Rows({k: v[:0] for k, v in self.cols.items()}, 0)

    def rows(self, account_id: str) -> Rows:
        span = self.index.get(account_id)
        if span is None:
            return self._empty
        s, e = span
        return Rows({k: v[s:e] for k, v in self.cols.items()}, e - s)


# ---------------------------------------------------------------- accounts and catalog


def _plain(value: Any, kind: str) -> Any:
    """A cell of the accounts table as a plain Python value (None = missing)."""
    if value is None:
        return None
    if kind in ("date", "datetime"):
        if isinstance(value, float) and math.isnan(value):
            return None
        return date_from_day(float(value))
    if kind in ("number", "int", "bool"):
        f = float(value)
        if math.isnan(f):
            return None
        return bool(f) if kind == "bool" else f
    if isinstance(value, str):
        return value.strip() or None
    return None


def account_rows(df: pd.DataFrame) -> tuple[list[dict[str, Any]], set[str]]:
    """Accounts in file order as plain dicts (first row per id; blank ids skipped), and the set
    of ids that appear more than once."""
    schema = TABLES["accounts"]
    encoded = {
        c.name: encode(df[c.name], c.type) if c.name in df.columns else None
        for c in schema.columns
    }
    kinds = {c.name: c.type for c in schema.columns}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    dupes: set[str] = set()
    for i in range(len(df)):
        raw_id = encoded["account_id"][i] if encoded["account_id"] is not None else None
        if _is_blank_id(raw_id):
            continue
        acct = str(raw_id).strip()
        if acct in seen:
            dupes.add(acct)
            continue
        seen.add(acct)
        row: dict[str, Any] = {"account_id": acct}
        for name, arr in encoded.items():
            if name == "account_id":
                continue
            row[name] = None if arr is None else _plain(arr[i], kinds[name])
        if ROW in df.columns:
            row[ROW] = int(df[ROW].iloc[i])
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


def build_catalog(book: Book, config: Config, features: pd.DataFrame | None,
                  product_of: Mapping[str, str | None]) -> Catalog:
    table = book.tables.get("feature_catalog")
    by: dict[str | None, set[str]] = {}
    if table is not None and len(table):
        names = table["feature"].astype(object)
        pts = table["product_type"].astype(object) if "product_type" in table.columns else None
        for i, feat in enumerate(names):
            if _is_blank_id(feat):
                continue
            f = str(feat).strip()
            by.setdefault("*", set()).add(f)
            pt = pts.iloc[i] if pts is not None else None
            key = None if _is_blank_id(pt) else str(pt).strip().lower()
            by.setdefault(key, set()).add(f)
        return Catalog({k: frozenset(v) for k, v in by.items()}, "catalog")
    configured = config.get("features.catalog", []) or []
    names_cfg: list[str] = []
    for entry in configured:
        if isinstance(entry, Mapping):
            if entry.get("feature"):
                names_cfg.append(str(entry["feature"]).strip())
        elif entry is not None and str(entry).strip():
            names_cfg.append(str(entry).strip())
    if names_cfg:
        return Catalog({"*": frozenset(names_cfg)}, "config")
    if features is None or not len(features):
        return Catalog({}, "observed")
    used = features.loc[pd.to_numeric(features["events"], errors="coerce").fillna(0) > 0]
    for acct, feat in zip(used["account_id"].astype(str), used["feature"], strict=False):
        if _is_blank_id(feat):
            continue
        f = str(feat).strip()
        by.setdefault("*", set()).add(f)
        pt = product_of.get(acct)
        if pt:
            by.setdefault(pt, set()).add(f)
    return Catalog({k: frozenset(v) for k, v in by.items()}, "observed")


# ---------------------------------------------------------------- the whole book


@dataclass
class BookData:
    """Everything the per-account metrics read, prepared once."""

    accounts: list[dict[str, Any]]
    duplicate_ids: set[str]
    tables: dict[str, Grouped]
    present: frozenset[str]  # per-account tables the book has
    catalog: Catalog
    roadmap: list[dict[str, Any]] = field(default_factory=list)

    def rows(self, table: str, account_id: str) -> Rows:
        return self.tables[table].rows(account_id)

    def has(self, table: str) -> bool:
        return table in self.present


def prepare(book: Book, config: Config) -> BookData:
    """Encode and group every table of `book` once."""
    accounts, dupes = account_rows(book.tables["accounts"])
    tables: dict[str, Grouped] = {}
    present: set[str] = set()
    for name in PER_ACCOUNT_TABLES:
        df = book.tables.get(name)
        if df is not None:
            present.add(name)
        else:
            df = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in TABLES[name].columns})
        if "account_id" in df.columns:
            df = df.assign(account_id=df["account_id"].astype(object))
        tables[name] = Grouped(name, df)
    product_of = {
        a["account_id"]: (a["product_type"].lower() if a.get("product_type") else None)
        for a in accounts
    }
    catalog = build_catalog(book, config, book.tables.get("features"), product_of)
    roadmap: list[dict[str, Any]] = []
    rm = book.tables.get("roadmap")
    if rm is not None:
        for _, r in rm.iterrows():
            item = r.get("item")
            if _is_blank_id(item):
                continue
            roadmap.append({
                k: (None if _is_blank_id(r.get(k)) else str(r.get(k)).strip())
                for k in ("item", "description", "status", "timing", "module", "requested_by")
            })
    return BookData(accounts, dupes, tables, frozenset(present), catalog, roadmap)


def ids_in(text: str | None, sep: str = ";") -> Iterable[str]:
    if not text:
        return ()
    return tuple(p.strip() for p in text.split(sep) if p.strip())
