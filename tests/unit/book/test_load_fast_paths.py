"""The loader's fast paths (pyarrow CSV reading, pyarrow number parsing, shared strings) give
exactly what the plain pandas paths give, and fall back to them whenever they cannot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deckgen.book import load
from deckgen.errors import DataError

CSVS = {
    "plain": "a,b\n1,x\n2,y\n",
    "text_kept": 'a,b\nNA,null\n,""\n  ,N/A\n"q ""x""",5\'6" tall\n',
    "multiline": 'a,b\n"two\nlines",1\n\n\nz,2\n',
    "bom_crlf": "\ufeffa,b\r\n1,2\r\n",
    "header_only": "a,b\n",
    "short_row": "a,b\n1\n2,3\n",
    "duplicate_header": "a,b,a\n1,2,3\n",
}


def _c_engine(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df[load.ROW] = range(2, len(df) + 2)
    return df


@pytest.mark.parametrize("name", sorted(CSVS))
def test_csv_reading_matches_the_c_engine(tmp_path: Path, name: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(CSVS[name], encoding="utf-8")
    got = load._read_csv(path, "utf-8-sig")
    pd.testing.assert_frame_equal(got, _c_engine(path))
    # a short row is the C engine's to pad; everything else is read by pyarrow
    assert (load._read_csv_arrow(path, "utf-8-sig") is None) == (name == "short_row")


def test_ragged_row_still_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("a,b\n1,2\n3,4\n5,6,7\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 4 has 3 fields but the header has 2"):
        load._read_csv(path, "utf-8-sig")


def test_other_encodings_use_the_c_engine(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("a,b\ncaf\xe9,1\n".encode("cp1252"))
    assert load._read_csv_arrow(path, "cp1252") is None
    assert load._read_csv(path, "cp1252")["a"].tolist() == ["caf\xe9"]


NUMBER_CELLS = [
    ["1", "2", "", "40"],
    ["1.5", "-2.25", "1e3", "+.5", "1E-3", ""],
    ["-0", "0", "5"],  # negative zero: the pandas path decides
    ["-0.0", "1.5"],
    [" 12 ", "3"],  # padded: the pandas path
    ["$1,200", "(5,000)", "EUR 3", "7"],
    ["abc", "nan", "inf", "-Infinity", "1"],
    ["0x10", "1_000", "9223372036854775808", "18446744073709551616"],
    ["0.1", "0.7", "123456.789012345678", "3.0000000000000004"],
]


@pytest.mark.parametrize("cells", NUMBER_CELLS)
def test_number_parsing_matches_pandas(cells: list[str]) -> None:
    raw = pd.Series(cells, dtype="str")
    got = load._parse_number(raw)
    direct = pd.to_numeric(raw, errors="coerce").astype("float64")
    todo = direct.isna() & (raw.str.strip() != "")
    if todo.any():
        direct[todo] = load._parse_money(raw[todo])
    assert got.dtype == "float64"
    np.testing.assert_array_equal(np.signbit(got.to_numpy()), np.signbit(direct.to_numpy()))
    pd.testing.assert_series_equal(got, direct)


def test_random_numbers_parse_exactly_as_pandas() -> None:
    rng = np.random.default_rng(7)
    cells = [repr(float(x)) for x in rng.random(2000) * 1e6]
    cells += [f"{x:.3f}" for x in rng.random(2000) * 1e4]
    cells += [f"{x:.17g}" for x in rng.standard_normal(2000)]
    raw = pd.Series(cells, dtype="str")
    assert load._arrow_numbers(raw) is not None  # the fast path is taken
    expected = pd.to_numeric(raw, errors="coerce").astype("float64")
    pd.testing.assert_series_equal(load._parse_number(raw), expected)


def test_strings_become_the_same_objects_as_astype_object() -> None:
    values = pd.Series(["a", "b", "a", None, "b", "a", "a", "a"], dtype="str", name="x")
    got = load._to_object(values)
    expected = values.astype("object")
    assert got.dtype == object and got.name == "x"
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert [v if isinstance(v, str) else "NaN" for v in got] == [
        v if isinstance(v, str) else "NaN" for v in expected
    ]
    assert math.isnan(got[3])


def test_quarters_normalise_as_the_substitution_does() -> None:
    cells = ["2026Q1", "2026 q2", "2026-Q3", " 2026Q4 ", "2026\u00a0Q1", "2026Q5", "", "Q1 2026"]
    stripped = pd.Series(cells, dtype="str").str.strip()
    expected = stripped.str.replace(
        load._QUARTER, lambda m: f"{m.group(1)}Q{m.group(2)}", regex=True
    )
    pd.testing.assert_series_equal(load._normalise_quarters(stripped), expected)
    canonical = pd.Series(["2026Q1", "2025Q4"], dtype="str")
    assert load._normalise_quarters(canonical) is canonical
