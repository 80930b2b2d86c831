from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deckgen.book.load import load_book
from deckgen.config import load_config
from deckgen.errors import ConfigError, DataError
from tests.bookfactory import account, simple_book, usage_rows, write_table


def test_ids_stay_strings_and_are_trimmed(tmp_path: Path) -> None:
    simple_book(tmp_path, [account(" 007 ", "Bond Ltd"), account("A-2", "Other")])
    book = load_book(tmp_path, load_config())
    ids = book.tables["accounts"]["account_id"].tolist()
    assert ids == ["007", "A-2"]


def test_types_are_coerced_per_contract(tmp_path: Path) -> None:
    simple_book(
        tmp_path,
        [account("A", "Acme", arr="$120,000.50", qbr_hold="Yes", customer_since="2024-02-29")],
    )
    book = load_book(tmp_path, load_config())
    row = book.tables["accounts"].iloc[0]
    assert row["arr"] == pytest.approx(120000.5)
    assert bool(row["qbr_hold"]) is True
    assert row["customer_since"] == pd.Timestamp("2024-02-29")


def test_bad_cell_is_reported_with_file_row_column_and_expectation(tmp_path: Path) -> None:
    simple_book(tmp_path, [account("A", "Acme"), account("B", "Beta", arr="lots")])
    book = load_book(tmp_path, load_config())
    [f] = [f for f in book.findings if f.column == "arr"]
    assert (f.file, f.row, f.column, f.account_id) == ("accounts.csv", 3, "arr", "B")
    assert "expected a number" in f.message and "'lots'" in f.message
    assert f.level == "block"


def test_missing_accounts_table_is_unusable(tmp_path: Path) -> None:
    write_table(tmp_path, "usage", usage_rows("A", ["2026-01"], [5]))
    with pytest.raises(DataError, match="no accounts table"):
        load_book(tmp_path, load_config())


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    write_table(tmp_path, "accounts", [{"account_id": "A", "name": "Acme"}])
    with pytest.raises(DataError, match=r"accounts\.csv: missing required column\(s\) arr"):
        load_book(tmp_path, load_config())


def test_ragged_row_names_the_row(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,arr\nA,Acme,1\nB,Beta,2,extra,x\n")
    with pytest.raises(DataError, match=r"accounts\.csv.*row 3 has 5 fields"):
        load_book(tmp_path, load_config())


def test_bad_encoding_suggests_encoding_option(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_bytes("account_id,name,arr\nA,Caf\xe9,1\n".encode("latin-1"))
    with pytest.raises(DataError, match="--encoding"):
        load_book(tmp_path, load_config())
    book = load_book(tmp_path, load_config(), encoding="cp1252")
    assert book.tables["accounts"]["name"].iloc[0] == "Café"


def test_column_mapping_and_salesforce_preset(tmp_path: Path) -> None:
    write_table(
        tmp_path,
        "accounts",
        [{"Account ID": "001A", "Account Name": "Initech", "Annual Recurring Revenue": "250000"}],
    )
    cfg = load_config(overrides={"presets": ["salesforce_accounts"]})
    book = load_book(tmp_path, cfg)
    row = book.tables["accounts"].iloc[0]
    assert (row["account_id"], row["name"], row["arr"]) == ("001A", "Initech", 250000.0)


def test_config_mapping_maps_custom_headers(tmp_path: Path) -> None:
    write_table(tmp_path, "accounts", [{"Id": "X1", "Customer": "Hooli", "ARR (USD)": "9"}])
    cfg = load_config(
        overrides={
            "columns": {"accounts": {"Id": "account_id", "Customer": "name", "ARR (USD)": "arr"}}
        }
    )
    assert load_book(tmp_path, cfg).tables["accounts"]["name"].iloc[0] == "Hooli"


def test_unknown_config_key_is_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("health:\n  bandz: {green: 80}\ntiers:\n  strategic: lots\n")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert "health.bandz: unknown setting" in str(exc.value)
    assert "tiers.strategic: expected number" in str(exc.value)


def test_crosswalk_translates_foreign_ids(tmp_path: Path) -> None:
    simple_book(tmp_path, [account("A-1", "Acme")])
    write_table(
        tmp_path,
        "account_ids",
        [{"account_id": "A-1", "system": "stripe", "external_id": "cus_123"}],
    )
    write_table(
        tmp_path,
        "invoices",
        [{"account_id": "cus_123", "invoice_date": "2026-01-01", "amount": "100"}],
    )
    book = load_book(tmp_path, load_config())
    assert book.tables["invoices"]["account_id"].tolist() == ["A-1"]


def test_parquet_jsonl_xlsx_and_duckdb(tmp_path: Path) -> None:
    df = pd.DataFrame({"account_id": ["007"], "name": ["Bond"], "arr": [5000]})
    for ext, writer in ((".parquet", df.to_parquet), (".xlsx", df.to_excel)):
        folder = tmp_path / ext[1:]
        folder.mkdir()
        kwargs = {"index": False}
        writer(folder / f"accounts{ext}", **kwargs)  # type: ignore[operator]
        assert load_book(folder, load_config()).tables["accounts"]["arr"].iloc[0] == 5000
    folder = tmp_path / "jsonl"
    folder.mkdir()
    (folder / "accounts.jsonl").write_text('{"account_id": "007", "name": "Bond", "arr": 5000}\n')
    book = load_book(folder, load_config())
    assert book.tables["accounts"]["account_id"].iloc[0] == "007"
    db = tmp_path / "book.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE accounts AS SELECT '007' AS account_id, 'Bond' AS name, 5000 AS arr")
    con.close()
    assert load_book(db, load_config()).tables["accounts"]["name"].iloc[0] == "Bond"


def test_events_are_turned_into_usage_and_features(tmp_path: Path) -> None:
    simple_book(tmp_path, [account("A", "Acme")])
    rows = [
        {
            "account_id": "A",
            "user_id": f"u{i % 3}",
            "event": "report_viewed" if i % 2 else "api_call",
            "timestamp": f"2026-0{1 + i % 2}-1{i % 9}T10:00:00Z",
        }
        for i in range(12)
    ]
    write_table(tmp_path, "events", rows)
    book = load_book(tmp_path, load_config())
    usage = book.tables["usage"].set_index("month")
    assert usage.loc["2026-01", "active_users"] == 3
    assert usage.loc["2026-02", "api_calls"] == 0 or usage.loc["2026-01", "api_calls"] > 0
    feats = book.tables["features"]
    assert set(feats["feature"]) == {"report_viewed", "api_call"}
    assert book.derived["usage"] == "usage_v1"


def test_control_characters_are_cleaned_at_the_boundary(tmp_path: Path) -> None:
    simple_book(tmp_path, [account("A", "Bad\x1bName\ufffe Inc")])
    assert load_book(tmp_path, load_config()).tables["accounts"]["name"].iloc[0] == "BadName Inc"


_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_cell, min_size=0, max_size=6), min_size=0, max_size=6),
    raw=st.binary(max_size=64),
)
def test_loader_survives_fuzzed_csv(tmp_path: Path, rows: list[list[str]], raw: bytes) -> None:
    """Whatever the bytes, the loader either loads or raises DataError: never anything else."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["account_id", "name", "arr", "licensed_seats", "renewal_date", "qbr_hold"])
    for r in rows:
        w.writerow(r)
    for content in (buf.getvalue().encode("utf-8"), raw):
        (tmp_path / "accounts.csv").write_bytes(content)
        try:
            book = load_book(tmp_path, load_config())
        except DataError as exc:
            assert "accounts" in str(exc)
        else:
            assert "accounts" in book.tables
