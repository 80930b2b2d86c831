"""Editable python-pptx charts from the same `ChartSpec` the PNG renderer draws.

A CSM can click a native chart, fix a number in its embedded workbook and restyle it, which a
picture does not allow; a batch that never needs editing can use PNGs instead. Both read the
style from `ChartStyle` and share gridlines (`nice_ticks`) and number formatting rules.

Kind mapping: line -> LINE_MARKERS, bar -> COLUMN_CLUSTERED, barh -> BAR_CLUSTERED (first
category on top), stacked_bar -> COLUMN_STACKED, gauge -> DOUGHNUT (see `_gauge`).

Fonts: only sizes and colours are set. The typeface is left to the deck's theme, because the
style's first family (DejaVu Sans, chosen for rendering PNGs on Linux) is rarely installed where
PowerPoint runs, and a designed template's font is what the chart should match.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from typing import Any

from lxml import etree
from pptx.chart.chart import Chart
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
    XL_TICK_MARK,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn as _pptx_qn
from pptx.parts.chart import ChartPart
from pptx.shapes.graphfrm import GraphicFrame
from pptx.text.text import Font
from pptx.util import Emu, Length, Pt

from deckgen.book.text import clean_text
from deckgen.charting.style import ChartStyle, luminance
from deckgen.charting.values import (
    clean_values,
    excel_number_format,
    finite,
    format_label,
    gauge_max,
    gauge_value,
    money_scale,
    nice_ticks,
    tick_decimals,
    validate,
)
from deckgen.charting.workbook import chart_workbook
from deckgen.model.deck import ChartSpec, Series

qn = functools.cache(_pptx_qn)  # python-pptx's builds an object per call; a chart makes dozens


def _reproducible_workbooks() -> None:
    """Give the Excel workbook embedded in every native chart a fixed creation date.

    xlsxwriter stamps `docProps/core.xml` with the clock, so two renders of the same chart would
    differ in bytes; a batch re-run proves "unchanged" by sha256, so the stamp must be constant.
    """
    from datetime import datetime, timezone

    import pptx.chart.xlsx as chart_xlsx
    from xlsxwriter import Workbook

    if getattr(chart_xlsx.Workbook, "_deckgen_fixed", False):
        return

    class FixedDateWorkbook(Workbook):
        _deckgen_fixed = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.set_properties({"created": datetime(2000, 1, 1, tzinfo=timezone.utc)})

    chart_xlsx.Workbook = FixedDateWorkbook


_reproducible_workbooks()

__all__ = ["CHART_TYPES", "add_native_chart", "set_alt_text"]

CHART_TYPES = {
    "line": XL_CHART_TYPE.LINE_MARKERS,
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "barh": XL_CHART_TYPE.BAR_CLUSTERED,
    "stacked_bar": XL_CHART_TYPE.COLUMN_STACKED,
    "gauge": XL_CHART_TYPE.DOUGHNUT,
}
_GAUGE_HOLE = 58  # percent of the doughnut's diameter
_EMU_PER_PT = 12700


def set_alt_text(shape: Any, text: str) -> None:
    """Set a shape's alternative text (`descr` on its `p:cNvPr`), as PowerPoint's Alt Text pane.

    Works for pictures, graphic frames (charts, tables), autoshapes and groups. Screen readers
    and accessibility checkers read `descr`; the chart's numbers belong there. Characters XML
    cannot hold are dropped rather than allowed to raise halfway through writing a deck.
    """
    c_nv_pr = shape._element.find(".//" + qn("p:cNvPr"))
    if c_nv_pr is None:  # pragma: no cover - every p: shape has one
        raise ValueError(f"shape {shape!r} has no p:cNvPr to hold alt text")
    c_nv_pr.set("descr", _xml_safe(text))


def add_native_chart(
    slide: Any,
    spec: ChartSpec,
    left: Length | int,
    top: Length | int,
    width: Length | int,
    height: Length | int,
    style: ChartStyle,
) -> GraphicFrame:
    """Add `spec` to `slide` as an editable chart at the given position (EMU); return its frame.

    NaN and infinite values become blanks (python-pptx's workbook writer raises `TypeError` on
    them, and a blank is honest where a 0 would not be); blanks show as gaps. The frame's alt
    text is `spec.alt_text`. Raises `RenderError` for a spec with mismatched lengths.

    The chart XML is the reference path's (`_add_native_chart_reference`): the first chart of
    each shape (see `_plan`) is made by it and kept as a template; later charts of that shape
    are a copy of the template with their data, formats and colours filled in.
    """
    validate(spec)
    plan = _plan(spec, style, int(width), int(height))
    if plan is None:
        return _add_native_chart_reference(slide, spec, left, top, width, height, style)
    key, fill = plan
    template = _TEMPLATES.get(key)
    if template is None:
        frame = _add_native_chart_reference(slide, spec, left, top, width, height, style)
        if len(_TEMPLATES) >= _MAX_TEMPLATES:
            _TEMPLATES.clear()
        template = copy.deepcopy(frame.chart_part._element)
        external = template.find(qn("c:externalData"))
        if external is not None:  # related per chart part, by python-pptx
            template.remove(external)
        _TEMPLATES[key] = template
        return frame
    chart_space = copy.deepcopy(template)
    fill(chart_space)
    frame = _new_chart_frame(slide, chart_space, _chart_data(spec), left, top, width, height)
    set_alt_text(frame, spec.alt_text)
    return frame


def _add_native_chart_reference(
    slide: Any,
    spec: ChartSpec,
    left: Length | int,
    top: Length | int,
    width: Length | int,
    height: Length | int,
    style: ChartStyle,
) -> GraphicFrame:
    """`add_native_chart` through python-pptx's chart API and styling setters (the reference).

    Slow (~4 ms a chart); used for the first chart of each template key, for charts `_plan`
    does not cover, and by the tests to check the template path against.
    """
    validate(spec)
    chart_type = CHART_TYPES[spec.kind]
    data = _chart_data(spec)
    frame: GraphicFrame = slide.shapes.add_chart(
        chart_type, Emu(int(left)), Emu(int(top)), Emu(int(width)), Emu(int(height)), data
    )
    chart = frame.chart
    chart.has_title = False  # the slide's headline carries the "so what"
    chart.font.size = Pt(style.fonts.tick_size)
    chart.font.color.rgb = _rgb(style.palette.subtle_text)
    if spec.kind == "gauge":
        _gauge(chart, spec, style, int(width), int(height))
    else:
        _category_chart(chart, spec, style, int(width) / _EMU_PER_PT, int(height) / _EMU_PER_PT)
    set_alt_text(frame, spec.alt_text)
    return frame


# --------------------------------------------------------------------------- data


def _chart_data(spec: ChartSpec) -> CategoryChartData:
    data = CategoryChartData()
    if spec.kind == "gauge":
        value = gauge_value(spec)
        vmax = gauge_max(spec)
        shown = min(max(value, 0.0), vmax) if value is not None else 0.0
        # Value, remainder, and a hidden bottom half equal to the whole: with the first slice
        # starting at 270 degrees, the visible top half is the dial.
        name = _xml_safe(spec.series[0].name)
        data.categories = [
            _xml_safe(spec.categories[0]) if spec.categories else name,
            "Remaining",
            "",
        ]
        data.add_series(
            name, (shown, vmax - shown, vmax), number_format=excel_number_format(spec, vmax)
        )
        return data
    data.categories = [_xml_safe(c) for c in spec.categories]
    values = [clean_values(s.values) for s in spec.series]
    fmt = excel_number_format(spec, _max_abs(values))
    for s, vals in zip(spec.series, values, strict=True):
        data.add_series(_xml_safe(s.name), vals, number_format=fmt)
    return data


def _max_abs(values: list[tuple[float | None, ...]]) -> float:
    return max((abs(v) for vals in values for v in vals if v is not None), default=0.0)


# --------------------------------------------------------------------------- category charts


def _category_chart(
    chart: Chart, spec: ChartSpec, style: ChartStyle, width_pt: float, height_pt: float
) -> None:
    pal, fonts = style.palette, style.fonts
    values = [clean_values(s.values) for s in spec.series]
    colours = style.series_colours(spec.series)
    plot = chart.plots[0]
    k = len(spec.series)
    ticks, maximum = _value_scale(spec, values)

    # Legend only when there is more than one series to tell apart.
    chart.has_legend = k > 1
    if k > 1:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        _font(chart.legend.font, fonts.tick_size, pal.text)

    label_fmt = excel_number_format(spec, _max_abs(values))
    value_size = fonts.label_size if k == 1 else fonts.tick_size
    if spec.kind in ("bar", "barh", "stacked_bar"):
        bar_width = style.chart.bar_width
        per_bar = bar_width / k if spec.kind != "stacked_bar" else bar_width
        plot.gap_width = int(min(500, max(0, (1 - bar_width) / per_bar * 100)))
        plot.overlap = 100 if spec.kind == "stacked_bar" else (-8 if k > 1 else 0)
        plot.vary_by_categories = False
        primary = next((i for i, s in enumerate(spec.series) if s.style == "primary"), 0)
        for i, (series, colour) in enumerate(zip(plot.series, colours, strict=True)):
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = _rgb(colour)
            series.invert_if_negative = False
            if spec.point_status and i == primary:
                for j, status in enumerate(spec.point_status):
                    if status is not None and values[i][j] is not None:
                        point = series.points[j]
                        point.format.fill.solid()
                        point.format.fill.fore_color.rgb = _rgb(style.status_colour(status))
            labels = series.data_labels
            labels.show_value = True
            labels.number_format = label_fmt
            labels.number_format_is_linked = False
            if spec.kind == "stacked_bar":
                labels.position = XL_LABEL_POSITION.CENTER
                _font(
                    labels.font,
                    fonts.tick_size,
                    "#FFFFFF" if luminance(colour) < 0.55 else pal.text,
                )
                # A segment thinner than its label would be covered by it: no label there.
                span = maximum - ticks[0]
                min_value = span * fonts.tick_size * 1.4 / max(height_pt * 0.7, 1.0)
                for j, v in enumerate(values[i]):
                    if v is not None and abs(v) < min_value:
                        _hide_point_label(series, j)
            else:
                labels.position = XL_LABEL_POSITION.OUTSIDE_END
                _font(labels.font, value_size, pal.text)
    else:  # line
        for vals, series, s, colour in zip(values, plot.series, spec.series, colours, strict=True):
            _style_line(series, s, colour, style)
            series.smooth = False
            last = max((j for j, v in enumerate(vals) if v is not None), default=None)
            if s.style == "primary" and last is not None:
                label = series.points[last].data_label
                label.position = XL_LABEL_POSITION.RIGHT
                _font(label.font, fonts.label_size, colour, bold=True)
                _set_label_format(series, last, label_fmt)

    _axes(chart, spec, style, ticks, maximum, width_pt)


def _style_line(series: Any, s: Series, colour: str, style: ChartStyle) -> None:
    """Same roles as the PNG: customer solid with markers, references dashed and unmarked."""
    lw = style.chart.line_width
    line = series.format.line
    line.color.rgb = _rgb(colour)
    marker = series.marker
    if s.style == "primary":
        line.width = Pt(lw)
        marker.style = XL_MARKER_STYLE.CIRCLE
        marker.size = max(2, round(style.chart.marker_size * 1.2))
    elif s.style == "secondary":
        line.width = Pt(lw * 0.75)
        marker.style = XL_MARKER_STYLE.CIRCLE
        marker.size = max(2, round(style.chart.marker_size))
    else:
        line.width = Pt(max(lw * 0.6, 1.0) if s.style == "reference" else max(lw * 0.5, 0.8))
        marker.style = XL_MARKER_STYLE.NONE
        if s.style == "reference":
            line.dash_style = MSO_LINE_DASH_STYLE.DASH
    if marker.style == XL_MARKER_STYLE.CIRCLE:
        marker.format.fill.solid()
        marker.format.fill.fore_color.rgb = _rgb(colour)
        marker.format.line.color.rgb = _rgb(style.palette.background)


def _hide_point_label(series: Any, index: int) -> None:
    """Delete one point's data label (a c:dLbl holding only c:idx and c:delete)."""
    d_lbl = series.points[index].data_label._get_or_add_dLbl()
    for child in list(d_lbl):
        if child.tag != qn("c:idx"):
            d_lbl.remove(child)
    etree.SubElement(d_lbl, qn("c:delete")).set("val", "1")


def _thin_category_labels(cat_ax: Any, spec: ChartSpec, style: ChartStyle, width_pt: float) -> None:
    """Show every k-th category label when they cannot all fit (twelve months on 4 in).

    PowerPoint would otherwise rotate or wrap them; the PNG thins them the same way. The width
    is estimated (digits and lower case average ~0.55 em), since the theme font is unknown here.
    """
    skip = _label_skip(spec, style, width_pt)
    if skip <= 1:
        return
    ax = cat_ax._element
    el = ax.find(qn("c:tickLblSkip"))
    if el is None:
        el = etree.Element(qn("c:tickLblSkip"))
        follower = next(
            (
                ax.find(qn(t))
                for t in ("c:tickMarkSkip", "c:noMultiLvlLbl", "c:extLst")
                if ax.find(qn(t)) is not None
            ),
            None,
        )
        if follower is not None:
            follower.addprevious(el)
        else:
            ax.append(el)
    el.set("val", str(skip))


def _label_skip(spec: ChartSpec, style: ChartStyle, width_pt: float) -> int:
    """Every how many categories a label is shown (see `_thin_category_labels`)."""
    n = len(spec.categories)
    widest = max((len(c) for c in spec.categories), default=0) * style.fonts.tick_size * 0.55
    slot = width_pt * 0.85 / max(n, 1)
    return math.ceil((widest + style.fonts.tick_size) / slot) if widest > slot * 0.92 else 1


def _set_label_format(series: Any, index: int, number_format: str) -> None:
    """Give one point's label a number format (python-pptx exposes it only series-wide)."""
    d_lbl = series.points[index].data_label._dLbl
    if d_lbl is None:  # pragma: no cover - created by the position setter just before
        return
    num_fmt = d_lbl.find(qn("c:numFmt"))
    if num_fmt is None:
        num_fmt = etree.SubElement(d_lbl, qn("c:numFmt"))
        # c:numFmt must follow c:idx/c:delete/c:layout/c:tx and precede c:spPr/c:txPr/...
        anchor = next(
            (
                d_lbl.find(qn(t))
                for t in ("c:tx", "c:layout", "c:idx")
                if d_lbl.find(qn(t)) is not None
            ),
            None,
        )
        if anchor is not None:
            anchor.addnext(num_fmt)
    num_fmt.set("formatCode", number_format)
    num_fmt.set("sourceLinked", "0")


def _value_scale(
    spec: ChartSpec, values: list[tuple[float | None, ...]]
) -> tuple[list[float], float]:
    """Gridlines as in the PNG (from 0 or the lowest negative to >= data and y_max), and the
    axis maximum, a little above the top gridline when the tallest bar's label needs room."""
    if spec.kind == "stacked_bar":
        cols = list(zip(*values, strict=True))
        lo = min([0.0, *(sum(v for v in c if v is not None and v < 0) for c in cols)])
        hi = max([0.0, *(sum(v for v in c if v is not None and v > 0) for c in cols)])
    else:
        known = [v for vals in values for v in vals if v is not None]
        lo, hi = min([0.0, *known]), max([0.0, *known])
    y_max = finite(spec.y_max)
    top = max(hi, y_max) if y_max is not None else hi
    ticks = nice_ticks(lo, top if top > lo else lo + 1.0, 6, integer=spec.value_format == "int")
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    maximum = ticks[-1]
    if spec.kind != "line" and hi > maximum - 0.15 * step:
        maximum += 0.25 * step
    return ticks, maximum


def _axis_number_format(spec: ChartSpec, ticks: list[float]) -> str:
    """The value axis's tick label format: as many decimals as the gridlines need."""
    if spec.value_format == "money":
        divisor, _ = money_scale(max(abs(t) for t in ticks))
        decimals = tick_decimals([t / divisor for t in ticks], 2)
    else:
        decimals = tick_decimals(ticks)
    return excel_number_format(spec, max(abs(t) for t in ticks), decimals)


def _axes(
    chart: Chart,
    spec: ChartSpec,
    style: ChartStyle,
    ticks: list[float],
    maximum: float,
    width_pt: float,
) -> None:
    pal, fonts = style.palette, style.fonts
    horizontal = spec.kind == "barh"
    cat_ax, val_ax = chart.category_axis, chart.value_axis
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    val_ax.minimum_scale = ticks[0]
    val_ax.maximum_scale = maximum
    val_ax.major_unit = step
    val_ax.tick_labels.number_format = _axis_number_format(spec, ticks)
    val_ax.tick_labels.number_format_is_linked = False
    _font(val_ax.tick_labels.font, fonts.tick_size, pal.subtle_text)
    val_ax.major_tick_mark = XL_TICK_MARK.NONE
    val_ax.minor_tick_mark = XL_TICK_MARK.NONE
    val_ax.has_major_gridlines = style.chart.grid
    if style.chart.grid:
        grid = val_ax.major_gridlines.format.line
        grid.color.rgb = _rgb(pal.muted)
        grid.width = Pt(0.75)
    val_ax.format.line.fill.background()  # no value-axis line: gridlines are enough

    _font(cat_ax.tick_labels.font, fonts.tick_size, pal.subtle_text)
    cat_ax.major_tick_mark = XL_TICK_MARK.NONE
    cat_ax.minor_tick_mark = XL_TICK_MARK.NONE
    cat_ax.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # below negatives, not over them
    cat_ax.format.line.color.rgb = _rgb(pal.subtle_text)
    cat_ax.format.line.width = Pt(0.75)
    cat_ax.has_major_gridlines = False
    if horizontal:
        cat_ax.reverse_order = True  # first category on top, as read...
        # ...and the value axis crosses at the last category, which is now at the bottom.
        # (python-pptx's `value_axis.crosses` writes the other axis's element, hence raw XML.)
        crosses = val_ax._element.find(qn("c:crosses"))
        if crosses is not None:
            crosses.set("val", "max")
    elif spec.kind == "line":
        _thin_category_labels(cat_ax, spec, style, width_pt)

    # Titles: x_label names the horizontal axis, y_label the vertical one, whatever the kind.
    cat_title = spec.y_label if horizontal else spec.x_label
    val_title = spec.x_label if horizontal else spec.y_label
    for axis, title in ((cat_ax, cat_title), (val_ax, val_title)):
        axis.has_title = bool(title)
        if title:
            tf = axis.axis_title.text_frame
            tf.text = _xml_safe(title)
            for paragraph in tf.paragraphs:
                for run in paragraph.runs:
                    _font(run.font, fonts.label_size, pal.subtle_text, bold=False)


# --------------------------------------------------------------------------- gauge


def _gauge(chart: Chart, spec: ChartSpec, style: ChartStyle, width: int, height: int) -> None:
    """Half-donut dial: a DOUGHNUT whose hidden bottom half is a third slice as large as the scale.

    The data are (value, max - value, max); the first slice starts at 270 degrees (9 o'clock),
    so value and remainder fill the top half and the third slice, without fill or line, the
    bottom half. The score sits in the hole as the chart title (overlaid, manually placed), so
    the chart stays one shape. Chart layouts are fractions of the frame, so the whole circle
    must fit in it: the dial is the top half of a circle as tall as the frame, and the frame's
    lower half stays empty (a frame about as wide as it is tall wastes least). Editing the
    value in the workbook means editing the remainder too (Excel's usual gauge trick), and the
    number in the title is static text. Where that matters, use the PNG gauge or a ScoreBlock.
    """
    pal, fonts = style.palette, style.fonts
    value = gauge_value(spec)
    status = spec.point_status[0] if spec.point_status else None
    colour = style.status_colour(status) if status else pal.primary
    chart.has_legend = False
    plot = chart.plots[0]
    plot.vary_by_categories = True
    doughnut = plot._element
    doughnut.find(qn("c:firstSliceAng")).set("val", "270")
    doughnut.find(qn("c:holeSize")).set("val", str(_GAUGE_HOLE))
    series = plot.series[0]
    fills = (colour, pal.muted, None)
    for j, fill in enumerate(fills):
        point = series.points[j]
        if fill is None:
            point.format.fill.background()
        else:
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _rgb(fill)
        point.format.line.fill.background()

    # Geometry: a square plot area, as large as fits, centred horizontally, at the top.
    side = min(width * 0.96, height * 0.98)
    x = (width - side) / 2 / width
    y = 0.01
    _manual_layout(chart._chartSpace.chart.plotArea, x, y, side / width, side / height, inner=True)

    # The score as an overlaid title, its baseline just above the circle's centre.
    number = format_label(value, spec) if value is not None else "no data"
    size_pt = min(fonts.title_size * 3.2, side / _EMU_PER_PT * 0.2)
    size_pt = max(size_pt, fonts.label_size)
    chart.has_title = True
    title = chart.chart_title
    tf = title.text_frame
    tf.text = number
    run = tf.paragraphs[0].runs[0]
    _font(run.font, size_pt, pal.text if value is not None else pal.subtle_text, bold=True)
    est_w = len(number) * size_pt * 0.62 * _EMU_PER_PT  # digits are ~0.6 em wide
    est_h = size_pt * 1.25 * _EMU_PER_PT
    centre_y = y * height + side / 2
    title_el = chart._chartSpace.chart.find(qn("c:title"))
    _manual_layout(
        title_el,
        max(0.0, (width - est_w) / 2 / width),
        max(0.0, (centre_y - est_h) / height),
        None,
        None,
        inner=False,
    )
    overlay = title_el.find(qn("c:overlay"))
    if overlay is None:
        overlay = etree.SubElement(title_el, qn("c:overlay"))
    overlay.set("val", "1")


def _manual_layout(
    parent: Any, x: float, y: float, w: float | None, h: float | None, *, inner: bool
) -> None:
    """Replace `parent`'s c:layout with a manual one (fractions of the chart space)."""
    layout = parent.find(qn("c:layout"))
    if layout is None:
        layout = etree.Element(qn("c:layout"))
        # c:layout comes first in c:plotArea, and after c:tx in c:title.
        tx = parent.find(qn("c:tx"))
        if tx is not None:
            tx.addnext(layout)
        else:
            parent.insert(0, layout)
    for child in list(layout):
        layout.remove(child)
    manual = etree.SubElement(layout, qn("c:manualLayout"))
    if inner:
        etree.SubElement(manual, qn("c:layoutTarget")).set("val", "inner")
    etree.SubElement(manual, qn("c:xMode")).set("val", "edge")
    etree.SubElement(manual, qn("c:yMode")).set("val", "edge")
    etree.SubElement(manual, qn("c:x")).set("val", f"{x:.4f}")
    etree.SubElement(manual, qn("c:y")).set("val", f"{y:.4f}")
    if w is not None:
        etree.SubElement(manual, qn("c:w")).set("val", f"{w:.4f}")
    if h is not None:
        etree.SubElement(manual, qn("c:h")).set("val", f"{h:.4f}")


# --------------------------------------------------------------------------- templates

# Chart XML (a `c:chartSpace`) made by the reference path, one per key from `_plan`: everything
# in the XML that is not filled in by the plan's fill function is a function of the key.
_TEMPLATES: dict[tuple[Any, ...], Any] = {}
_MAX_TEMPLATES = 512

_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_SER_NAME = f"{_C}tx/{_C}strRef/{_C}strCache/{_C}pt/{_C}v"
_SER_CATS = f"{_C}cat/{_C}strRef/{_C}strCache"
_SER_VALS = f"{_C}val/{_C}numRef/{_C}numCache"

Fill = Callable[[Any], None]


def _plan(spec: ChartSpec, style: ChartStyle, width: int, height: int) -> tuple[Any, Fill] | None:
    """The template key of `spec`'s chart and the function filling a copy of the template.

    None for a chart the templates do not cover (it is made by the reference path): a title
    python-pptx would split into paragraphs or escape (line breaks, control characters).
    """
    if spec.kind == "gauge":
        return _gauge_plan(spec, style, width, height)
    return _category_plan(spec, style, width / _EMU_PER_PT, height / _EMU_PER_PT)


def _plain(text: str) -> bool:
    """True if python-pptx's text setters store `text` as one run, unchanged."""
    return all(ch >= " " or ch == "\t" for ch in text)


def _category_plan(
    spec: ChartSpec, style: ChartStyle, width_pt: float, height_pt: float
) -> tuple[Any, Fill] | None:
    horizontal = spec.kind == "barh"
    cat_title = spec.y_label if horizontal else spec.x_label
    val_title = spec.x_label if horizontal else spec.y_label
    titles = [_xml_safe(t) if t else "" for t in (cat_title, val_title)]
    if not all(_plain(t) for t in titles):
        return None
    values = [clean_values(s.values) for s in spec.series]
    colours = style.series_colours(spec.series)
    ticks, maximum = _value_scale(spec, values)
    label_fmt = excel_number_format(spec, _max_abs(values))
    points: dict[int, str] = {}  # per-point fills of the primary series (bar kinds)
    hidden: tuple[tuple[int, ...], ...] = ()
    last: tuple[int | None, ...] = ()
    skip = 1
    if spec.kind in ("bar", "barh", "stacked_bar"):
        primary = next((i for i, s in enumerate(spec.series) if s.style == "primary"), 0)
        if spec.point_status:
            for j, status in enumerate(spec.point_status):
                if status is not None and values[primary][j] is not None:
                    points[j] = str(_rgb(style.status_colour(status)))
        if spec.kind == "stacked_bar":
            fonts = style.fonts
            span = maximum - ticks[0]
            min_value = span * fonts.tick_size * 1.4 / max(height_pt * 0.7, 1.0)
            hidden = tuple(
                tuple(j for j, v in enumerate(vals) if v is not None and abs(v) < min_value)
                for vals in values
            )
    else:
        last = tuple(
            max((j for j, v in enumerate(vals) if v is not None), default=None)
            if s.style == "primary"
            else None
            for vals, s in zip(values, spec.series, strict=True)
        )
        skip = _label_skip(spec, style, width_pt)
    key = (
        spec.kind,
        len(spec.categories),
        tuple(s.style for s in spec.series),
        tuple(colours),
        spec.value_format,
        tuple(points),
        hidden,
        last,
        skip,
        bool(titles[0]),
        bool(titles[1]),
        style,
    )
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    axis_fmt = _axis_number_format(spec, ticks)
    names = [_xml_safe(s.name) for s in spec.series]
    categories = [_xml_safe(c) for c in spec.categories]

    def fill(chart_space: Any) -> None:
        for ser, name, vals in zip(chart_space.iter(f"{_C}ser"), names, values, strict=True):
            _fill_series(ser, name, categories, vals, label_fmt)
            for num_fmt in ser.iter(f"{_C}numFmt"):  # data labels
                num_fmt.set("formatCode", label_fmt)
            for d_pt in ser.iterfind(f"{_C}dPt"):
                colour = points[int(d_pt.find(f"{_C}idx").get("val"))]
                d_pt.find(f"{_C}spPr/{_A}solidFill/{_A}srgbClr").set("val", colour)
        plot_area = chart_space.find(f"{_C}chart/{_C}plotArea")
        cat_ax = plot_area.find(f"{_C}catAx")
        val_ax = plot_area.find(f"{_C}valAx")
        scaling = val_ax.find(f"{_C}scaling")
        scaling.find(f"{_C}max").val = maximum
        scaling.find(f"{_C}min").val = ticks[0]
        val_ax.find(f"{_C}majorUnit").val = step
        val_ax.find(f"{_C}numFmt").set("formatCode", axis_fmt)
        for axis, title in ((cat_ax, titles[0]), (val_ax, titles[1])):
            if title:
                axis.find(f"{_C}title/{_C}tx/{_C}rich/{_A}p/{_A}r/{_A}t").text = title

    return key, fill


def _gauge_plan(
    spec: ChartSpec, style: ChartStyle, width: int, height: int
) -> tuple[Any, Fill] | None:
    value = gauge_value(spec)
    number = format_label(value, spec) if value is not None else "no data"
    if not number or not _plain(number):
        return None
    status = spec.point_status[0] if spec.point_status else None
    colour = style.status_colour(status) if status else style.palette.primary
    key = ("gauge", colour, width, height, len(number), value is None, style)
    vmax = gauge_max(spec)
    shown = min(max(value, 0.0), vmax) if value is not None else 0.0
    name = _xml_safe(spec.series[0].name)
    categories = [_xml_safe(spec.categories[0]) if spec.categories else name, "Remaining", ""]
    values = (shown, vmax - shown, vmax)
    fmt = excel_number_format(spec, vmax)

    def fill(chart_space: Any) -> None:
        _fill_series(chart_space.find(f".//{_C}ser"), name, categories, values, fmt)
        title = chart_space.find(f"{_C}chart/{_C}title")
        title.find(f"{_C}tx/{_C}rich/{_A}p/{_A}r/{_A}t").text = number

    return key, fill


def _fill_series(
    ser: Any,
    name: str,
    categories: list[str],
    values: tuple[float | None, ...],
    number_format: str,
) -> None:
    """A series' name, category labels and values, as python-pptx's chart XML writer has them."""
    ser.find(_SER_NAME).text = name
    for v, label in zip(ser.find(_SER_CATS).iterfind(f"{_C}pt/{_C}v"), categories, strict=True):
        v.text = label
    cache = ser.find(_SER_VALS)
    cache.find(f"{_C}formatCode").text = number_format
    for pt in cache.findall(f"{_C}pt"):
        cache.remove(pt)
    for j, value in enumerate(values):
        if value is not None:
            pt = etree.SubElement(cache, f"{_C}pt", idx=str(j))
            etree.SubElement(pt, f"{_C}v").text = f"{value}"  # as python-pptx formats it


def _new_chart_frame(
    slide: Any,
    chart_space: Any,
    data: CategoryChartData,
    left: Length | int,
    top: Length | int,
    width: Length | int,
    height: Length | int,
) -> GraphicFrame:
    """What `slide.shapes.add_chart` does, with `chart_space` as the chart part's XML.

    The embedded workbook is python-pptx's `data.xlsx_blob`, byte for byte, from `chart_workbook`
    (~0.1 ms instead of ~1 ms: see deckgen/charting/workbook.py).
    """
    package = slide.part.package
    part = ChartPart(
        package.next_partname(ChartPart.partname_template), CT.DML_CHART, package, chart_space
    )
    part.chart_workbook.update_from_xlsx_blob(chart_workbook(data))
    r_id = slide.part.relate_to(part, RT.CHART)
    shapes = slide.shapes
    graphic_frame = shapes._add_chart_graphicFrame(
        r_id, Emu(int(left)), Emu(int(top)), Emu(int(width)), Emu(int(height))
    )
    shapes._recalculate_extents()
    frame: GraphicFrame = shapes._shape_factory(graphic_frame)
    return frame


# --------------------------------------------------------------------------- helpers


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


def _font(font: Font, size: float, colour: str, bold: bool | None = None) -> None:
    font.size = Pt(size)
    font.color.rgb = _rgb(colour)
    if bold is not None:
        font.bold = bold


def _xml_safe(text: str) -> str:
    """Text as XML can hold it (see `clean_text`).

    Strings should already be clean (cleaned once at the book boundary); this keeps a stray
    control character from aborting a whole deck at save time. Idempotent on clean text.
    """
    return clean_text(text)
