"""Read a book (a folder of exports, or a DuckDB file) into typed pandas tables.

Order matters and is fixed here: read every cell as text -> apply column mappings -> translate
foreign ids through the `account_ids` crosswalk -> coerce types per the contract, recording every
cell that does not parse as a finding (file, row, column, what was expected). Nothing is invented:
a cell that does not parse becomes missing, and the finding says so.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from deckgen.book.findings import Finding
from deckgen.book.schema import FILE_EXTENSIONS, TABLES, Column, Table
from deckgen.book.text import clean_text
from deckgen.config import Config
from deckgen.errors import DataError

ROW = "_row"
"""Column holding each row's position in its source (CSV: line number, header = 1)."""


@dataclass
class Book:
    """The loaded tables, where each came from, and what loading found wrong.

    `events_source` is kept as a DuckDB-readable source rather than a DataFrame: raw event exports
    can hold tens of millions of rows and are only ever aggregated in SQL.
    """

    tables: dict[str, pd.DataFrame]
    sources: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    events_source: str | None = None
    derived: dict[str, str] = field(default_factory=dict)
    root: str = ""

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def has(self, name: str) -> bool:
        df = self.tables.get(name)
        return df is not None

    def source(self, name: str) -> str:
        return self.sources.get(name, name)


# ---------------------------------------------------------------- reading files


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    df = _read_csv_arrow(path, encoding)
    if df is not None:
        df[ROW] = range(2, len(df) + 2)
        return df
    try:
        df = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
            skipinitialspace=False,
        )
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name}: not valid {encoding} text (byte {exc.start}); "
            "save it as UTF-8 or pass --encoding (for example --encoding cp1252)"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file is empty (expected a header row)") from None
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().replace("Error tokenizing data. C error: ", "")
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
        if m:
            msg = (
                f"row {m.group(2)} has {m.group(3)} fields but the header has {m.group(1)} "
                "(a ragged row: check for an unquoted comma)"
            )
        raise DataError(f"{path.name}: cannot be read as CSV: {msg}") from None
    df[ROW] = range(2, len(df) + 2)
    return df


def _read_csv_arrow(path: Path, encoding: str) -> pd.DataFrame | None:
    """The fast path: pyarrow's multithreaded reader, every cell kept as text.

    Only for UTF-8 text. Anything it does not read cleanly (ragged or short rows, bad bytes, an
    empty file, ...) returns None, and the C engine reads the file instead, so the results and
    every error message are the C engine's own; on the files it does read, both engines give the
    same text cells (blank stays "", "NA"/"null" stay text).
    """
    try:
        if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            return None
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
            skipinitialspace=False,
            engine="pyarrow",
        )
    except Exception:
        return None


def _stringify(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[str(col)] = s.dt.strftime("%Y-%m-%d").fillna("")
        else:
            out[str(col)] = s.map(
                lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            )
    return out


def _read_file(path: Path, encoding: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(path, encoding)
        if suffix == ".parquet":
            df = _stringify(pd.read_parquet(path))
        elif suffix in (".jsonl", ".json"):
            df = _stringify(pd.read_json(path, lines=suffix == ".jsonl", dtype=False))
        elif suffix == ".xlsx":
            df = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
            df = _stringify(df)
            df[ROW] = range(2, len(df) + 2)
            return df
        else:  # pragma: no cover - filtered by caller
            raise DataError(f"{path.name}: unsupported file type")
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path.name}: cannot be read as {suffix[1:]}: {exc}") from None
    df[ROW] = range(1, len(df) + 1)
    return df


def _find_files(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in FILE_EXTENSIONS:
            continue
        table = path.stem.lower()
        if table in found:
            raise DataError(
                f"two files for table '{table}': {found[table].name} and {path.name}; keep one"
            )
        found[table] = path
    return found


# ---------------------------------------------------------------- column mapping


def _preset(name: str) -> dict[str, dict[str, str]]:
    try:
        text = resources.files("deckgen.book").joinpath(f"presets/{name}.yaml").read_text("utf-8")
    except FileNotFoundError:
        known = sorted(
            p.name[:-5]
            for p in resources.files("deckgen.book").joinpath("presets").iterdir()
            if p.name.endswith(".yaml")
        )
        raise DataError(
            f"unknown mapping preset {name!r}; known presets: {', '.join(known)}"
        ) from None
    data = yaml.safe_load(text) or {}
    return {
        str(t): {str(k): str(v) for k, v in m.items()} for t, m in data.get("columns", {}).items()
    }


def column_mapping(config: Config) -> dict[str, dict[str, str]]:
    """Merged `{table: {their column: contract column}}`, presets first, then the config's own."""
    merged: dict[str, dict[str, str]] = {}
    for name in config.get("presets", []) or []:
        for table, mapping in _preset(str(name)).items():
            merged.setdefault(table, {}).update(mapping)
    for table, mapping in (config.get("columns", {}) or {}).items():
        merged.setdefault(str(table), {}).update({str(k): str(v) for k, v in mapping.items()})
    return merged


def _apply_mapping(df: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    if not mapping:
        return df
    lowered = {k.strip().lower(): v for k, v in mapping.items()}
    renames = {}
    for col in df.columns:
        target = mapping.get(col) or lowered.get(str(col).strip().lower())
        if target and target not in df.columns:
            renames[col] = target
    return df.rename(columns=renames)


def _normalise_headers(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={c: str(c).strip().lstrip("\ufeff") for c in df.columns})


# ---------------------------------------------------------------- type coercion

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_MONEY_JUNK = re.compile(r"[\s,$€£¥]|^[A-Z]{3}\s*")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_CANONICAL_QUARTER = r"^\d{4}Q[1-4]$"

_EXPECTED = {
    "number": "a number",
    "int": "a whole number",
    "date": "a date YYYY-MM-DD",
    "datetime": "a date or timestamp (ISO 8601)",
    "month": "a month YYYY-MM",
    "quarter": "a quarter YYYYQn",
    "bool": "true/false, yes/no or 1/0",
}


def _arrow_numbers(raw: pd.Series) -> pd.Series | None:
    """Plain numbers parsed by pyarrow (blank -> NaN), or None when any cell needs pandas.

    pyarrow's float parser is correctly rounded, as is pandas' (checked on a million random
    values); it rejects padded, money-ish and other odd text outright, and those columns take the
    pandas path. The one value the two spell differently is a negative zero ("-0" is 0.0 to
    pandas when the column is all integers), so a column holding one takes the pandas path too.
    """
    arr = getattr(raw.array, "_pa_array", None)
    if arr is None:
        return None
    try:
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
        parsed = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = parsed.to_numpy(zero_copy_only=False)
    if np.signbit(values[values == 0]).any():
        return None
    return pd.Series(values, index=raw.index, dtype="float64")


def _parse_number(raw: pd.Series) -> pd.Series:
    fast = _arrow_numbers(raw)
    direct = fast if fast is not None else pd.to_numeric(raw, errors="coerce")
    todo = direct.isna() & (raw.str.strip() != "")
    if not todo.any():
        return direct.astype("float64")  # the common case: plain numbers, no cleaning needed
    direct = direct.astype("float64")
    direct[todo] = _parse_money(raw[todo])
    return direct


def _parse_money(raw: pd.Series) -> pd.Series:
    """Money-ish text: currency symbols, thousands separators, (negatives)."""
    cleaned = raw.str.strip()
    neg = cleaned.str.match(r"^\(.*\)$")
    cleaned = cleaned.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    cleaned = cleaned.str.replace(_MONEY_JUNK, "", regex=True)
    values = pd.to_numeric(cleaned, errors="coerce")
    values = values.where(~neg, -values)
    return values.astype("float64")


def _normalise_quarters(stripped: pd.Series) -> pd.Series:
    """Quarters like "2026 q3" or "2026-Q3" as "2026Q3".

    Cells already in that form (nearly all) are left as they are, which is what the substitution
    would give them; only the others go through Python's regex.
    """
    odd = ~stripped.str.match(_CANONICAL_QUARTER)
    if not odd.any():
        return stripped
    norm = stripped.copy()
    norm[odd] = stripped[odd].str.replace(
        _QUARTER, lambda m: f"{m.group(1)}Q{m.group(2)}", regex=True
    )
    return norm


def _to_object(values: pd.Series) -> pd.Series:
    """`values.astype("object")` (missing -> NaN), one Python string per distinct value.

    Ids, features and months repeat across hundreds of thousands of rows: encoding to codes and
    taking from the distinct values skips making a fresh string object for every cell.
    """
    if values.dtype == object:
        return values
    codes, uniques = pd.factorize(values)
    if 2 * len(uniques) > len(values):
        return values.astype("object")
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = np.asarray(uniques, dtype=object)
    table[-1] = np.nan  # code -1 (missing) takes the last slot
    return pd.Series(table[codes], index=values.index, dtype="object", name=values.name)


def _parse_dates(raw: pd.Series, with_time: bool) -> pd.Series:
    s = raw.str.strip()
    parsed = pd.to_datetime(s, format="ISO8601", errors="coerce", utc=with_time)
    if with_time:
        parsed = parsed.dt.tz_convert(None)
    todo = parsed.isna() & (s != "")
    if todo.any():
        alt = pd.to_datetime(s[todo], format="%m/%d/%Y", errors="coerce")
        parsed.loc[todo] = alt
    if not with_time:
        parsed = parsed.dt.normalize()
    return parsed


def _coerce(df: pd.DataFrame, table: Table, file: str, findings: list[Finding]) -> pd.DataFrame:
    """Turn text cells into typed columns; record each unparseable cell; never guess."""
    has_acct = "account_id" in df.columns
    for col in table.columns:
        if col.name not in df.columns:
            continue
        raw = df[col.name].astype(str).fillna("")
        blank = raw.str.strip() == ""
        if col.type == "string":
            values: pd.Series = raw.str.strip()
            # Only text outside printable ASCII can need cleaning; most cells are skipped.
            odd = values.str.contains(r"[^\x20-\x7e]", regex=True)
            if odd.any():
                values[odd] = values[odd].map(clean_text)
            values = values.where(~blank, None)
            if col.choices:
                values = values.str.lower().str.replace(" ", "_").where(~blank, None)
                bad = ~blank & ~values.isin(col.choices)
                _record(
                    findings,
                    df,
                    bad,
                    table,
                    file,
                    col,
                    has_acct,
                    "expected one of " + ", ".join(col.choices),
                )
                values = values.where(~bad, None)
            df[col.name] = _to_object(values)
            continue
        if col.type in ("number", "int"):
            values = _parse_number(raw)
            bad = ~blank & values.isna()
            if col.type == "int":
                frac = values.notna() & (values != values.round())
                bad |= frac
            out_of_range = pd.Series(False, index=df.index)
            if col.min is not None:
                out_of_range |= values < col.min
            if col.max is not None:
                out_of_range |= values > col.max
            _record(
                findings, df, bad, table, file, col, has_acct, f"expected {_EXPECTED[col.type]}"
            )
            if col.min is not None or col.max is not None:
                _record(
                    findings,
                    df,
                    out_of_range & ~bad,
                    table,
                    file,
                    col,
                    has_acct,
                    f"expected {_range_text(col)}",
                    keep_value=True,
                )
            df[col.name] = values.where(~bad)
        elif col.type in ("date", "datetime"):
            values = _parse_dates(raw, col.type == "datetime")
            bad = ~blank & values.isna()
            _record(
                findings, df, bad, table, file, col, has_acct, f"expected {_EXPECTED[col.type]}"
            )
            df[col.name] = values
        elif col.type == "month":
            stripped = raw.str.strip().str.slice(0, 7)
            ok = stripped.str.match(_MONTH)
            bad = ~blank & ~ok
            _record(findings, df, bad, table, file, col, has_acct, f"expected {_EXPECTED['month']}")
            df[col.name] = stripped.where(ok, None)
        elif col.type == "quarter":
            norm = _normalise_quarters(raw.str.strip())
            ok = norm.str.match(_CANONICAL_QUARTER)
            bad = ~blank & ~ok
            _record(
                findings, df, bad, table, file, col, has_acct, f"expected {_EXPECTED['quarter']}"
            )
            df[col.name] = norm.where(ok, None)
        elif col.type == "bool":
            low = raw.str.strip().str.lower()
            values = pd.Series(pd.NA, index=df.index, dtype="boolean")
            values[low.isin(_TRUE)] = True
            values[low.isin(_FALSE)] = False
            bad = ~blank & values.isna()
            _record(findings, df, bad, table, file, col, has_acct, f"expected {_EXPECTED['bool']}")
            df[col.name] = values
    return df


def _range_text(col: Column) -> str:
    if col.min is not None and col.max is not None:
        return f"a value from {col.min:g} to {col.max:g}"
    if col.min is not None:
        return f"a value >= {col.min:g}"
    return f"a value <= {col.max:g}"


def _record(
    findings: list[Finding],
    df: pd.DataFrame,
    mask: pd.Series,
    table: Table,
    file: str,
    col: Column,
    has_acct: bool,
    expected: str,
    keep_value: bool = False,
) -> None:
    if not mask.any():
        return
    # Account-level problems in required account columns block the account; elsewhere they warn.
    level = "block" if table.name == "accounts" and (col.required or keep_value) else "warning"
    for idx in mask[mask].index[:200]:
        raw = str(_at(df, idx, col.name))
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        acct = str(_at(df, idx, "account_id")).strip() if has_acct else None
        what = "kept as missing" if not keep_value else "value out of range"
        findings.append(
            Finding(
                level,  # type: ignore[arg-type]
                "bad_value",
                f"{expected}, found {shown!r} ({what})",
                table=table.name,
                file=file,
                row=int(_at(df, idx, ROW)),
                column=col.name,
                account_id=acct or None,
            )
        )
    extra = int(mask.sum()) - 200
    if extra > 0:
        findings.append(
            Finding(
                "warning",
                "bad_value",
                f"... and {extra} more cells like this",
                table=table.name,
                file=file,
                column=col.name,
            )
        )


# ---------------------------------------------------------------- crosswalk


def _translate_ids(book_tables: dict[str, pd.DataFrame]) -> None:
    """Replace foreign system ids in `account_id` columns with the book's own ids."""
    xwalk = book_tables.get("account_ids")
    if xwalk is None or xwalk.empty:
        return
    mapping = {
        str(ext).strip(): str(acct).strip()
        for ext, acct in zip(xwalk["external_id"], xwalk["account_id"], strict=False)
        if ext is not None and acct is not None
    }
    for name, df in book_tables.items():
        if name in ("accounts", "account_ids") or "account_id" not in df.columns:
            continue
        ids = df["account_id"].astype(str).str.strip()
        df["account_id"] = ids.map(lambda v: mapping.get(v, v))


# ---------------------------------------------------------------- public entry


def load_book(path: str | Path, config: Config, encoding: str = "utf-8-sig") -> Book:
    """Load a book folder or DuckDB file. Raises DataError when the book is unusable."""
    root = Path(path)
    if not root.exists():
        raise DataError(f"book not found: {root}")
    mapping = column_mapping(config)
    raw: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    events_source: str | None = None
    if root.is_dir():
        files = _find_files(root)
        for table, fpath in files.items():
            if table not in TABLES:
                continue  # extra files are allowed and ignored
            if table == "events":
                events_source = str(fpath)
                sources["events"] = fpath.name
                continue
            raw[table] = _read_file(fpath, encoding)
            sources[table] = fpath.name
    elif root.suffix.lower() in (".duckdb", ".db", ".ddb"):
        raw, sources, events_source = _read_duckdb(root)
    else:
        raise DataError(
            f"{root.name}: a book is a folder of .csv/.parquet/.jsonl/.xlsx files or a DuckDB file"
        )

    if "accounts" not in raw:
        raise DataError(
            f"{root}: no accounts table (expected accounts.csv, accounts.parquet, accounts.jsonl, "
            "accounts.xlsx, or a DuckDB table named accounts)"
        )
    findings: list[Finding] = []
    fatal: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    for name, df in raw.items():
        df = _normalise_headers(df)
        df = _apply_mapping(df, mapping.get(name, {}))
        schema = TABLES[name]
        missing = [c for c in schema.required_columns if c not in df.columns]
        if missing:
            fatal.append(
                f"{sources[name]}: missing required column(s) {', '.join(missing)} "
                f"(found: {', '.join(c for c in df.columns if c != ROW) or 'none'})"
            )
            continue
        tables[name] = df
    if fatal:
        raise DataError("the book cannot be used:\n  - " + "\n  - ".join(fatal))

    if "account_ids" in tables:
        tables["account_ids"] = _coerce(
            tables["account_ids"], TABLES["account_ids"], sources["account_ids"], findings
        )
        _translate_ids(tables)
    for name, df in tables.items():
        if name == "account_ids":
            continue
        if "account_id" in df.columns:
            df["account_id"] = df["account_id"].astype(str).str.strip()
        tables[name] = _coerce(df, TABLES[name], sources[name], findings)

    book = Book(tables, sources, findings, events_source=events_source, root=str(root))
    if events_source is not None and not ("usage" in tables and "features" in tables):
        from deckgen.book.events import derive_from_events

        derive_from_events(book, config)
    return book


def _read_duckdb(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], str | None]:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:
        raise DataError(f"{path.name}: cannot be opened as a DuckDB database: {exc}") from None
    try:
        names = {r[0].lower(): r[0] for r in con.execute("SHOW TABLES").fetchall()}
        raw: dict[str, pd.DataFrame] = {}
        sources: dict[str, str] = {}
        events = None
        for table in TABLES:
            if table not in names:
                continue
            sources[table] = f"{path.name}:{names[table]}"
            if table == "events":
                events = f"duckdb:{path}:{names[table]}"
                continue
            df = _stringify(con.execute(f'SELECT * FROM "{names[table]}"').df())
            df[ROW] = range(1, len(df) + 1)
            raw[table] = df
        return raw, sources, events
    finally:
        con.close()


def _at(df: pd.DataFrame, idx: Any, col: str) -> Any:
    """One cell, typed loosely: pandas-stubs types `.at` too narrowly for mixed columns."""
    return df.at[idx, col]
