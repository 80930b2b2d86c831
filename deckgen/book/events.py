"""Raw product events -> `usage` and `features`, by versioned SQL run on embedded DuckDB.

Events never pass through pandas: a 10-million-row export is aggregated by DuckDB straight from
the file, and only the small monthly result comes back.
"""

from __future__ import annotations

from importlib import resources

import duckdb
import pandas as pd

from deckgen.book.findings import Finding
from deckgen.book.load import ROW, Book, _coerce
from deckgen.book.schema import TABLES
from deckgen.config import Config
from deckgen.errors import DataError


def _sql(name: str, version: str) -> str:
    try:
        return (
            resources.files("deckgen.book").joinpath(f"sql/{name}_{version}.sql").read_text("utf-8")
        )
    except FileNotFoundError:
        raise DataError(
            f"unknown events.extraction_version {version!r} (no {name}_{version}.sql)"
        ) from None


def connect_events(source: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view `events` over the raw export (file or DuckDB table)."""
    con = duckdb.connect()
    if source.startswith("duckdb:"):
        _, path, table = source.split(":", 2)
        con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")
        con.execute(f'CREATE VIEW events AS SELECT * FROM src."{table}"')
    else:
        lower = source.lower()
        if lower.endswith(".parquet"):
            reader = "read_parquet"
        elif lower.endswith((".jsonl", ".json")):
            reader = "read_json_auto"
        elif lower.endswith(".csv"):
            reader = "read_csv_auto"
        else:
            raise DataError(f"{source}: raw events must be .csv, .parquet or .jsonl")
        escaped = source.replace("'", "''")
        con.execute(f"CREATE VIEW events AS SELECT * FROM {reader}('{escaped}')")
    cols = {r[0] for r in con.execute("DESCRIBE events").fetchall()}
    missing = [c for c in ("account_id", "user_id", "event", "timestamp") if c not in cols]
    if missing:
        raise DataError(f"events: missing required column(s) {', '.join(missing)}")
    return con


def derive_from_events(book: Book, config: Config) -> None:
    """Fill `usage` and/or `features` (whichever the book lacks) from `book.events_source`."""
    assert book.events_source is not None
    version = str(config.get("events.extraction_version", "v1"))
    try:
        con = connect_events(book.events_source)
        core = [str(e) for e in config.get("events.core_events", []) or []]
        core_filter = (
            "e.event IN (" + ", ".join("'" + c.replace("'", "''") + "'" for c in core) + ")"
            if core
            else "TRUE"
        )
        fmap = config.get("events.feature_map", {}) or {}
        con.register(
            "feature_map",
            pd.DataFrame(
                {"event": list(map(str, fmap)), "feature": list(map(str, fmap.values()))},
                dtype="string",
            ),
        )
        for name in ("usage", "features"):
            if name in book.tables:
                continue
            sql = _sql(name, version).replace("$core_filter", core_filter)
            df = con.execute(sql).df()
            df = df.astype(str).replace({"nan": "", "None": "", "<NA>": ""})
            df[ROW] = range(1, len(df) + 1)
            label = f"{name} (derived from events by {name}_{version}.sql)"
            findings: list[Finding] = []
            book.tables[name] = _coerce(df, TABLES[name], label, findings)
            book.findings.extend(findings)
            book.sources[name] = label
            book.derived[name] = f"{name}_{version}"
        con.close()
    except duckdb.Error as exc:
        raise DataError(f"events: cannot be aggregated: {exc}") from None


def event_counts(book: Book) -> dict[str, int]:
    """Rows per event name across the book, for the drift check."""
    if book.events_source is None:
        return {}
    con = connect_events(book.events_source)
    try:
        return {
            str(e): int(n)
            for e, n in con.execute(
                "SELECT CAST(event AS VARCHAR), count(*) FROM events GROUP BY 1"
            ).fetchall()
        }
    finally:
        con.close()
