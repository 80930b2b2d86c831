"""The chart workbook writer gives exactly the bytes python-pptx and xlsxwriter give.

Each dataset is checked on the fast path (a template learnt from a *different* chart of the same
shape), member by member against a stock xlsxwriter workbook, and as a whole blob against
python-pptx's `xlsx_blob`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any
from unittest import mock
from xml.etree import ElementTree

import pptx.chart.xlsx as chart_xlsx
import pytest
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from xlsxwriter import Workbook

from deckgen.charting import native, workbook
from deckgen.charting.style import ChartStyle
from deckgen.model.deck import ChartSpec, Series

Values = Sequence[Any]
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def chart_data(
    categories: Sequence[Any],
    series: Sequence[tuple[str, Values]],
    number_format: str | Sequence[str] = "#,##0",
) -> CategoryChartData:
    data = CategoryChartData()
    data.categories = list(categories)
    formats = [number_format] * len(series) if isinstance(number_format, str) else number_format
    for (name, values), fmt in zip(series, formats, strict=True):
        data.add_series(name, values, number_format=fmt)
    return data


DATASETS: dict[str, CategoryChartData] = {
    "plain": chart_data(
        ("Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"),
        [("Active users", (182.0, 205.0, 231.0, 264.0)), ("Licensed seats", (300.0,) * 4)],
    ),
    "none_values": chart_data(
        ("Jan", "Feb", "Mar"),
        [("A", (None, 2.0, None)), ("B", (None, None, None)), ("C", (1.0, 2.0, 3.0))],
    ),
    "unicode": chart_data(
        ("第一季度", "Café crème", "🚀 Launch", "مرحبا", "e\u0301", "Ünïcödé 𝔘"),
        [("売上 (百万円)", (1.5, 2.5, 3.5, 4.5, 5.5, 6.5)), ("😀 Δ", (1, 2, 3, 4, 5, 6))],
    ),
    "xml_special": chart_data(
        ('<&>"', "a & b < c > d", "]]>", "'single'", "&amp; literal", '"quoted"'),
        [('Name <"&">', (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)), ("x>y", (6, 5, 4, 3, 2, 1))],
    ),
    "long_names": chart_data(
        ("C" * 300, "Feature breadth " * 40, "x" * 16383),
        [("Series " + "n" * 250, (72.0, 45.0, 100.0)), ("Peer median " * 30, (61, 52, 67))],
    ),
    "one_category": chart_data(("Health",), [("Score", (68.0,))]),
    "many_series": chart_data(
        [f"Month {i}" for i in range(40)],  # rows past 16: several row-span blocks
        [(f"S{j}", [float(i * j) for i in range(40)]) for j in range(30)],  # columns past Z
    ),
    "numbers": chart_data(
        ("int", "float", "tiny", "huge", "third", "neg zero", "neg", "big int", "zero"),
        [
            ("ints", (1, 2, 3, 10**15, 7, 0, -5, 2**62, 0)),
            (
                "floats",
                (0.1, 2.0, 1e-7, 1e20, 1 / 3, -0.0, -1234.5678, 1.7976931348623157e308, 0.0),
            ),
            ("mixed", (1, 2.5, 3, 4.25, 5, 6.125, 7, 8.0, 9)),
        ],
        ("#,##0", "#,##0.0", "General"),
    ),
    "duplicate_strings": chart_data(
        ("Usage", "Usage", "Support", "P1"),
        [("P1", (1.0, 2.0, 3.0, 4.0)), ("Usage", (4.0, 3.0, 2.0, 1.0)), ("P1", (0, 0, 0, 0))],
    ),
    "empty_strings": chart_data(  # as the gauge's: an empty category and an empty series name
        ("Health", "Remaining", ""),
        [("", (68.0, 32.0, 100.0)), ("Named", (1.0, 2.0, 3.0))],
    ),
    "whitespace_and_escapes": chart_data(
        (
            " leading",
            "trailing ",
            "\ttab",
            "line\nbreak",
            "_x0041_ literal",
            "ctl\x01\x1f",
            "nb\xa0",
        ),
        [(" Series ", (1.0,) * 7), ("_xABCD_\ufffe", (2.0,) * 7), ("end\n", (3.0,) * 7)],
    ),
    "number_formats": chart_data(
        ("Q1", "Q2", "Q3"),
        [("Money", (12500.0, None, 18250.0)), ("Pct", (61.0, 52.0, 67.0)), ("Gen", (1, 2, 3))],
        ('"$"#,##0.0,"K";-"$"#,##0.0,"K";"$"0', '#,##0"%"', "General"),
    ),
    "numeric_categories": chart_data((2023, 2024, 2025), [("Revenue", (1.0, 2.0, 3.0))]),
    "no_strings": chart_data((1.5, 2.5), [("", (1.0, 2.0)), ("", (3.0, None))]),
}


def xlsxwriter_blob(data: CategoryChartData) -> bytes:
    """The workbook python-pptx's writer makes with a stock xlsxwriter Workbook (fixed date)."""

    class StockWorkbook(Workbook):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.set_properties({"created": dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)})

    with mock.patch.object(chart_xlsx, "Workbook", StockWorkbook):
        return bytes(chart_xlsx.CategoryWorkbookWriter(data).xlsx_blob)


def members(blob: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        assert zf.testzip() is None
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def twin(data: CategoryChartData) -> CategoryChartData:
    """Other data of the same shape (number formats, strings or not): teaches the template."""
    cells = workbook._Cells(data)
    formats = [s.number_format for s in data]
    has_strings = cells.key[1]
    out = chart_data(
        ("w1", "w2") if has_strings else (1, 2),
        [("tw" if has_strings else "", (9.0, 8.0)) for _ in formats],
        formats,
    )
    assert workbook._Cells(out).key == cells.key
    return out


@pytest.fixture
def fresh_templates() -> Iterator[None]:
    saved = dict(workbook._TEMPLATES)
    workbook._TEMPLATES.clear()
    yield
    workbook._TEMPLATES.clear()
    workbook._TEMPLATES.update(saved)


def fast(data: CategoryChartData) -> bytes:
    """`chart_workbook(data)` from a template learnt from `twin(data)`, never python-pptx's."""
    workbook.chart_workbook(twin(data))
    assert workbook._TEMPLATES[workbook._Cells(data).key] is not None

    def no_xlsxwriter(self: object) -> bytes:
        raise AssertionError("fell back to python-pptx's writer")

    with mock.patch.object(CategoryChartData, "xlsx_blob", property(no_xlsxwriter)):
        return workbook.chart_workbook(data)


@pytest.mark.parametrize("name", list(DATASETS))
def test_fast_path_writes_xlsxwriters_members_and_blob(name: str, fresh_templates: None) -> None:
    data = DATASETS[name]
    blob = fast(data)
    assert members(blob) == members(xlsxwriter_blob(data))  # names, order and bytes
    assert blob == data.xlsx_blob  # the zip container too
    assert fast(data) == blob


def test_chart_data_with_nan_has_blank_cells(fresh_templates: None) -> None:
    spec = ChartSpec(
        "nan",
        "bar",
        ("a", "b", "c", "d"),
        (Series("Value", (1.0, math.nan, math.inf, 4.0)),),
        "",
        "",
        "",
        "",
        "",
    )
    data = native._chart_data(spec)
    assert list(data[0].values) == [1.0, None, None, 4.0]
    blob = fast(data)
    assert blob == data.xlsx_blob
    assert read_cells(blob)[1] == ["Value", 1.0, None, None, 4.0]


@pytest.mark.parametrize(
    ("categories", "series"),
    [
        (("=SUM(A1)", "b"), [("s", (1.0, 2.0))]),  # xlsxwriter writes a formula
        (("a", "b"), [("{=A1}", (1.0, 2.0))]),  # an array formula
        (("https://example.com", "b"), [("s", (1.0, 2.0))]),  # a hyperlink
        (("a", "b"), [("mailto:csm@example.com", (1.0, 2.0))]),
        (("<r>rich</r>", "b"), [("s", (1.0, 2.0))]),  # written as rich text
        (("a", "b"), [("s", (True, 2.0))]),  # a boolean cell
        ((dt.date(2025, 1, 1), dt.date(2025, 2, 1)), [("s", (1.0, 2.0))]),  # date categories
        (("a", "b"), [("s", (1.0,))]),  # fewer values than categories
        (("a", "b"), [("s", (10**400, 2.0))]),  # an int no float can hold
        (("a", "x" * 16384), [("s", (1.0, 2.0))]),  # long enough to be truncated
    ],
)
def test_what_it_does_not_write_goes_to_python_pptx(
    categories: Sequence[Any], series: Sequence[tuple[str, Values]], fresh_templates: None
) -> None:
    data = chart_data(categories, series)
    for _ in range(2):  # the second time with a template for the shape, if it has one
        try:
            want: bytes | type[Exception] = data.xlsx_blob
        except Exception as exc:  # whatever python-pptx raises, chart_workbook raises
            want = type(exc)
        if isinstance(want, bytes):
            assert workbook.chart_workbook(data) == want
        else:
            with pytest.raises(want):
                workbook.chart_workbook(data)
        workbook.chart_workbook(twin(chart_data(("a",), [("s", (1.0,))] * len(series))))


def test_multi_level_categories_go_to_python_pptx(fresh_templates: None) -> None:
    data = CategoryChartData()
    east = data.add_category("East")
    east.add_sub_category("Q1")
    east.add_sub_category("Q2")
    data.add_series("s", (1.0, 2.0))
    workbook.chart_workbook(chart_data(("a",), [("s", (1.0,))]))
    assert workbook.chart_workbook(data) == data.xlsx_blob


def test_nan_raises_as_python_pptx_does(fresh_templates: None) -> None:
    data = chart_data(("a", "b"), [("s", (1.0, math.nan))])
    workbook.chart_workbook(chart_data(("a",), [("s", (1.0,))]))
    with pytest.raises(TypeError):
        data.xlsx_blob  # noqa: B018
    with pytest.raises(TypeError):
        workbook.chart_workbook(data)


def test_a_shape_whose_check_fails_stays_with_python_pptx(fresh_templates: None) -> None:
    data = DATASETS["plain"]
    with mock.patch.object(workbook, "_assemble", return_value=b"not the workbook"):
        assert workbook.chart_workbook(data) == data.xlsx_blob
    assert workbook._TEMPLATES[workbook._Cells(data).key] is None
    assert workbook.chart_workbook(data) == data.xlsx_blob


def test_a_clock_dated_workbook_is_not_templated(fresh_templates: None) -> None:
    data = DATASETS["plain"]
    with mock.patch.object(chart_xlsx, "Workbook", Workbook):
        workbook.chart_workbook(data)
    assert workbook._TEMPLATES[workbook._Cells(data).key] is None


# --------------------------------------------------------------------------- in a deck


def read_cells(blob: bytes) -> list[list[Any]]:
    """An embedded workbook's sheet as columns of cell values, read from its XML."""
    parts = dict(members(blob))
    strings = []
    if "xl/sharedStrings.xml" in parts:
        sst = ElementTree.fromstring(parts["xl/sharedStrings.xml"])
        strings = ["".join(si.itertext()) for si in sst.iter(f"{MAIN}si")]
    sheet = ElementTree.fromstring(parts["xl/worksheets/sheet1.xml"])
    cells: dict[tuple[int, int], Any] = {}
    for c in sheet.iter(f"{MAIN}c"):
        col, row = re.fullmatch(r"([A-Z]+)(\d+)", c.get("r", "")).groups()  # type: ignore[union-attr]
        v = c.find(f"{MAIN}v")
        value = (
            None
            if v is None
            else strings[int(v.text or "")]
            if c.get("t") == "s"
            else float(v.text or "")
        )
        index = 0
        for ch in col:
            index = index * 26 + ord(ch) - 64
        cells[(index - 1, int(row) - 1)] = value
    width = max(col for col, _ in cells) + 1
    height = max(row for _, row in cells) + 1
    return [[cells.get((col, row)) for row in range(height)] for col in range(width)]


def test_rendered_native_decks_embed_the_charts_numbers(style: ChartStyle) -> None:
    from deckgen.render.pptx import render_pptx
    from tests.unit.render.sample_deck import enterprise_deck

    when = dt.datetime(2026, 10, 2, 9, 30, tzinfo=dt.timezone.utc)
    decks = []
    # The first render may make its charts by the reference path (xlsxwriter's workbooks) and
    # teach both template caches; the later ones take the template paths. Same bytes throughout.
    for _ in range(3):
        buf = io.BytesIO()
        render_pptx(enterprise_deck(), buf, charts="native", style=style, created=when)
        decks.append(buf.getvalue())
    assert len({hashlib.sha256(deck).hexdigest() for deck in decks}) == 1

    prs = Presentation(io.BytesIO(decks[2]))
    charts = [sh.chart for s in prs.slides for sh in s.shapes if getattr(sh, "has_chart", False)]
    assert len(charts) >= 5
    for chart in charts:
        columns = read_cells(chart.part.chart_workbook.xlsx_part.blob)
        plot = chart.plots[0]
        assert columns[0][1:] == [c or None for c in plot.categories]
        for column, series in zip(columns[1:], plot.series, strict=True):
            assert column[0] == (series.name or None)
            assert tuple(column[1:]) == tuple(series.values)
