"""Native (editable) charts survive a save and reopen with their type, data and alt text."""

from __future__ import annotations

import dataclasses
import io
import math
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn
from pptx.util import Inches

from deckgen.charting import native
from deckgen.charting.mpl import render_png
from deckgen.charting.native import add_native_chart, set_alt_text
from deckgen.charting.style import ChartStyle
from deckgen.errors import RenderError
from deckgen.model.deck import ChartSpec, Series

from .conftest import grouped_spec, make_specs

SAMPLE_BOOK = Path(__file__).resolve().parents[3] / "samples" / "book"

EXPECTED_TYPE = {
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "barh": XL_CHART_TYPE.BAR_CLUSTERED,
    "stacked_bar": XL_CHART_TYPE.COLUMN_STACKED,
    "gauge": XL_CHART_TYPE.DOUGHNUT,
}


def round_trip(spec: ChartSpec, style: ChartStyle, size: tuple[float, float] = (6.4, 3.6)) -> Any:
    """Add `spec` to a one-slide deck, save, reopen; return the reopened graphic frame."""
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    add_native_chart(slide, spec, Inches(0.5), Inches(0.5), Inches(size[0]), Inches(size[1]), style)
    buf = io.BytesIO()
    prs.save(buf)
    buf.seek(0)
    reopened = Presentation(buf)
    frames = [s for s in reopened.slides[0].shapes if s.has_chart]
    assert len(frames) == 1
    return frames[0]


def descr(shape: Any) -> str | None:
    c_nv_pr = shape._element.find(".//" + qn("p:cNvPr"))
    return None if c_nv_pr is None else c_nv_pr.get("descr")


def chart_xml(frame: Any) -> str:
    return frame.chart.part.blob.decode("utf-8")


@pytest.mark.parametrize("kind", ["line", "bar", "barh", "stacked_bar"])
def test_category_kinds_round_trip(style: ChartStyle, kind: str) -> None:
    spec = make_specs()[kind]
    frame = round_trip(spec, style)
    chart = frame.chart
    if kind == "line":
        # Added as LINE_MARKERS; python-pptx reads the type back as LINE as soon as one series
        # (the dashed reference) has its markers turned off, so check the XML instead.
        xml = chart_xml(frame)
        assert "<c:lineChart>" in xml and '<c:marker val="1"/>' in xml
        assert '<c:symbol val="circle"/>' in xml and '<c:symbol val="none"/>' in xml
    else:
        assert chart.chart_type == EXPECTED_TYPE[kind]
    plot = chart.plots[0]
    assert tuple(plot.categories) == spec.categories
    assert [s.name for s in plot.series] == [s.name for s in spec.series]
    for got, want in zip(plot.series, spec.series, strict=True):
        assert tuple(got.values) == want.values  # None preserved as a blank
    assert descr(frame) == spec.alt_text
    assert chart.has_legend == (len(spec.series) > 1)
    assert not chart.has_title  # the slide headline carries the "so what"


def test_gauge_is_a_half_doughnut(style: ChartStyle) -> None:
    spec = make_specs()["gauge"]
    frame = round_trip(spec, style)
    chart = frame.chart
    assert chart.chart_type == XL_CHART_TYPE.DOUGHNUT
    assert tuple(chart.plots[0].series[0].values) == (68.0, 32.0, 100.0)
    xml = chart_xml(frame)
    assert '<c:firstSliceAng val="270"/>' in xml
    assert style.status.yellow.lstrip("#") in xml  # band colour on the value slice
    assert chart.has_title and chart.chart_title.text_frame.text == "68"
    assert descr(frame) == spec.alt_text


def test_nan_and_inf_become_blanks(style: ChartStyle) -> None:
    spec = dataclasses.replace(
        make_specs()["line"],
        series=(Series("Active users", (1.0, math.nan, math.inf, 2.0)),),
    )
    frame = round_trip(spec, style)
    assert tuple(frame.chart.plots[0].series[0].values) == (1.0, None, None, 2.0)
    gauge = dataclasses.replace(make_specs()["gauge"], series=(Series("Score", (math.nan,)),))
    assert round_trip(gauge, style).chart.chart_type == XL_CHART_TYPE.DOUGHNUT


def test_grouped_bars_and_number_formats(style: ChartStyle) -> None:
    frame = round_trip(grouped_spec(), style)
    chart = frame.chart
    assert len(chart.plots[0].series) == 3
    assert chart.has_legend
    assert chart.value_axis.maximum_scale >= 100
    xml = chart_xml(frame)
    assert 'formatCode="#,##0&quot;%&quot;"' in xml  # literal %: values are 0-100
    for colour in (style.palette.primary, style.palette.reference, style.palette.secondary):
        assert colour.lstrip("#") in xml


def test_money_axis_and_labels(style: ChartStyle) -> None:
    xml = chart_xml(round_trip(make_specs()["bar"], style))
    assert "&quot;$&quot;#,##0.0,&quot;K&quot;" in xml  # labels: $12.5K
    assert "&quot;$&quot;#,##0,&quot;K&quot;" in xml  # axis: $5K, $10K...


def test_status_colours_points(style: ChartStyle) -> None:
    xml = chart_xml(round_trip(make_specs()["barh"], style))
    assert style.status.red.lstrip("#") in xml
    assert style.status.green.lstrip("#") in xml


def test_barh_reads_top_down_with_the_value_axis_below(style: ChartStyle) -> None:
    frame = round_trip(make_specs()["barh"], style)
    cat_ax = frame.chart.category_axis._element
    val_ax = frame.chart.value_axis._element
    assert cat_ax.find(qn("c:scaling")).find(qn("c:orientation")).get("val") == "maxMin"
    assert val_ax.find(qn("c:crosses")).get("val") == "max"


def test_many_months_thin_their_labels(style: ChartStyle) -> None:
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    months = tuple(f"{m} 2025" for m in names)
    spec = dataclasses.replace(
        make_specs()["line"],
        categories=months,
        series=(Series("MAU", tuple(float(i) for i in range(12))),),
    )
    xml = chart_xml(round_trip(spec, style, (4.2, 3.0)))
    assert "<c:tickLblSkip" in xml


def test_mismatched_spec_is_a_render_error(style: ChartStyle) -> None:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    spec = dataclasses.replace(make_specs()["bar"], categories=("Q1",))
    with pytest.raises(RenderError):
        add_native_chart(slide, spec, 0, 0, Inches(4), Inches(3), style)


def test_set_alt_text_on_a_picture(style: ChartStyle) -> None:
    spec = make_specs()["bar"]
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    pic = slide.shapes.add_picture(io.BytesIO(render_png(spec, style, 3.0, 2.0)), 0, 0)
    set_alt_text(pic, spec.alt_text + "\x1b\ufffe")  # control characters must not break save
    buf = io.BytesIO()
    prs.save(buf)
    buf.seek(0)
    shape = Presentation(buf).slides[0].shapes[0]
    assert descr(shape) == spec.alt_text


def _plain_workbook_blob(data: Any) -> bytes:
    """The embedded workbook as xlsxwriter's own packager writes it."""
    import pptx.chart.xlsx as chart_xlsx
    from xlsxwriter.packager import Packager

    fast = chart_xlsx.Workbook

    class Plain(fast):  # type: ignore[misc, valid-type]
        def _get_packager(self) -> Any:
            return Packager()

    chart_xlsx.Workbook = Plain
    try:
        return bytes(chart_xlsx.CategoryWorkbookWriter(data).xlsx_blob)
    finally:
        chart_xlsx.Workbook = fast


def test_embedded_workbook_is_xlsxwriters_with_a_fixed_date(style: ChartStyle) -> None:
    import openpyxl
    from pptx.chart.xlsx import CategoryWorkbookWriter

    from deckgen.charting.native import _chart_data

    hostile = ChartSpec(
        id="hostile",
        kind="bar",
        categories=("<b>&amp;</b>", " padded ", "Ünïcødé 中文", "=1+1"),
        series=(
            Series("A & <B>", (1.5, None, -2.0, 1e-9)),
            Series(" x ", (float("nan"), 3.0, 4.0, 5.0)),
        ),
        unit="$",
        x_label="",
        y_label="",
        so_what="h",
        alt_text="alt",
        value_format="money",
    )
    specs = [*make_specs().values(), grouped_spec(), hostile]
    for _ in range(2):  # cold, then warm cache
        for spec in specs:
            data = _chart_data(spec)
            blob = CategoryWorkbookWriter(data).xlsx_blob
            assert blob == _plain_workbook_blob(data), spec.kind
    rows = list(openpyxl.load_workbook(io.BytesIO(blob)).active.values)
    assert rows[0] == (None, "A & <B>", " x ")
    assert rows[1] == ("<b>&amp;</b>", 1.5, None)
    assert rows[3] == ("Ünïcødé 中文", -2.0, 4)


# --------------------------------------------------------------------------- chart templates

HOSTILE = "<&\"'>{{x}}"


def _variant(spec: ChartSpec, case: str, k: int) -> ChartSpec:
    """`spec` with `k` series (gauges keep one) and the feature `case` exercised."""
    n = len(spec.categories)
    series = list(spec.series)
    styles = ("primary", "reference", "secondary")
    while len(series) < k:
        i = len(series)
        base = series[0].values
        vals = tuple(None if v is None else v * (0.6 + 0.2 * i) for v in base)
        series.append(Series(f"Series {i}", vals, styles[i]))
    series = series[:k] if spec.kind != "gauge" else series[:1]
    changes: dict[str, Any] = {"series": tuple(series)}
    if case == "none":
        changes["series"] = tuple(
            dataclasses.replace(
                s, values=tuple(None if j == 1 else v for j, v in enumerate(s.values))
            )
            for s in series
        )
    elif case == "negative":
        changes["series"] = tuple(
            dataclasses.replace(
                s,
                values=tuple(
                    None if v is None else (-v if j % 2 else v) for j, v in enumerate(s.values)
                ),
            )
            for s in series
        )
    elif case == "hostile":
        changes["series"] = tuple(dataclasses.replace(s, name=HOSTILE + s.name) for s in series)
        changes["categories"] = tuple(HOSTILE + c for c in spec.categories)
        changes["x_label"] = HOSTILE
        changes["y_label"] = HOSTILE
    elif case == "status":
        cycle = ("green", "yellow", "red", None)
        changes["point_status"] = tuple(cycle[j % 4] for j in range(n))
    elif case in ("pct", "money", "int"):
        changes["value_format"] = case
    return dataclasses.replace(spec, **changes)


def _other_data(spec: ChartSpec, factor: float) -> ChartSpec:
    """`spec` with other numbers (times `factor`) and labels, usually of the same shape."""
    series = tuple(
        dataclasses.replace(
            s,
            name=s.name[::-1] + "!",
            values=tuple(None if v is None else v * factor for v in s.values),
        )
        for s in spec.series
    )
    cats = tuple(c[::-1] for c in spec.categories)
    return dataclasses.replace(
        spec,
        series=series,
        categories=cats,
        x_label=spec.x_label[::-1] if spec.x_label else spec.x_label,
        y_label=spec.y_label.upper() if spec.y_label else spec.y_label,
        alt_text="other " + spec.alt_text,
    )


def _chart_parts(frame: Any) -> tuple[bytes, bytes]:
    part = frame.chart_part
    xml = etree.tostring(etree.fromstring(part.blob), method="c14n")
    return xml, part.chart_workbook.xlsx_part.blob


TEMPLATE_CASES = [
    (kind, k, case)
    for kind in ("line", "bar", "barh", "stacked_bar", "gauge")
    for k in ((1,) if kind == "gauge" else (1, 2, 3))
    for case in ("plain", "none", "negative", "hostile", "status", "pct", "money", "int")
]


@pytest.mark.parametrize(("kind", "k", "case"), TEMPLATE_CASES)
def test_template_path_equals_reference(
    style: ChartStyle, monkeypatch: pytest.MonkeyPatch, kind: str, k: int, case: str
) -> None:
    monkeypatch.setattr(native, "_TEMPLATES", {})
    first = _variant(make_specs()[kind], case, k)
    box = (Inches(0.5), Inches(0.5), Inches(6.4), Inches(3.6))

    def key(spec: ChartSpec) -> Any:
        plan = native._plan(spec, style, int(box[2]), int(box[3]))
        assert plan is not None
        return plan[0]

    # Other data of the same shape, so that the second chart is filled into the first's template.
    second = next(
        other
        for other in (_other_data(first, f) for f in (10, 1.25, 2, 0.5, 1))
        if key(other) == key(first)
    )
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    for spec in (first, second, first):
        fast = add_native_chart(slide, spec, *box, style)
        ref = native._add_native_chart_reference(slide, spec, *box, style)
        assert _chart_parts(fast) == _chart_parts(ref)
        assert descr(fast) == descr(ref)
    assert len(native._TEMPLATES) == 1


def test_titles_with_line_breaks_use_the_reference_path(style: ChartStyle) -> None:
    spec = dataclasses.replace(make_specs()["bar"], x_label="two\nlines")
    assert native._plan(spec, style, 6_000_000, 3_000_000) is None
    frame = round_trip(spec, style)
    assert frame.chart.category_axis.axis_title.text_frame.text == "two\nlines"


def _deck_charts(path: Any) -> dict[str, bytes]:
    out = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("ppt/charts/chart"):
                out[name] = etree.tostring(etree.fromstring(z.read(name)), method="c14n")
            elif name.startswith("ppt/embeddings/"):
                out[name] = z.read(name)
    return out


def test_sample_decks_charts_equal_reference(
    style: ChartStyle, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chart of the enterprise and executive native decks of 15 sample accounts."""
    from deckgen.model.build import build_deck, charts_for
    from deckgen.pipeline import prepare
    from deckgen.render.pptx import render_pptx

    monkeypatch.setattr(native, "_TEMPLATES", {})
    prepared = prepare(SAMPLE_BOOK, as_of=date(2026, 11, 28))
    compared = 0
    for m in prepared.metrics[:15]:
        for kind in ("enterprise", "executive"):
            deck = build_deck(m, prepared.config, kind, charts=charts_for(m, prepared.config))
            render_pptx(deck, tmp_path / "fast.pptx", charts="native", style=style)
            with monkeypatch.context() as mp:
                mp.setattr(native, "add_native_chart", native._add_native_chart_reference)
                render_pptx(deck, tmp_path / "ref.pptx", charts="native", style=style)
            fast, ref = _deck_charts(tmp_path / "fast.pptx"), _deck_charts(tmp_path / "ref.pptx")
            assert fast.keys() == ref.keys()
            for name in ref:
                assert fast[name] == ref[name], (m.account_id, kind, name)
            compared += len(ref)
    assert compared > 100
    assert 0 < len(native._TEMPLATES) < compared // 2  # templates were reused
