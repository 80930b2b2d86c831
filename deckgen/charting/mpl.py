"""PNG charts drawn with matplotlib's object-oriented API (for pptx pictures, Slides and email).

Why it is built the way it is:

* `Figure` + `FigureCanvasAgg`, never pyplot: pyplot keeps every figure in a global registry
  (~2.7 MiB each until closed) and picks a GUI backend; a batch of thousands of charts must not.
* One draw per chart. The layout is computed before drawing from measured text extents (tick
  labels, category names, legend, title), in points, then applied with fixed axes positions.
  `tight_layout`/`bbox_inches="tight"` would draw twice (~45% slower) and would also make the
  pixel size depend on the content; here a 6.4 x 3.6 in chart at 150 dpi is always 960 x 540.
* Margins are in points, not fractions, so text keeps its size and breathing room on a small
  4.2 x 3.0 in chart instead of shrinking with it.
* Opaque background (email clients show transparent PNGs on dark backgrounds) and no title in
  the picture: the slide's headline carries the "so what"; `with_title=True` is for email.
* Style comes from `ChartStyle` (charts/style.yaml); the font is the first installed family of
  the style's list, else DejaVu Sans (bundled with matplotlib), chosen once and silently.
* Not thread-safe (matplotlib is not): settings are applied with `rc_context` per chart. Batch
  runs use processes; call `warm_up()` in the parent before forking so fonts and caches are
  loaded once and shared.
"""

from __future__ import annotations

import math
import struct
import textwrap
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle, Wedge
from matplotlib.transforms import Transform, offset_copy

from deckgen.charting.memory import young_garbage
from deckgen.charting.style import ChartStyle, luminance
from deckgen.charting.values import (
    clean_values,
    finite,
    format_label,
    format_ticks,
    gauge_max,
    gauge_value,
    nice_ticks,
    validate,
)
from deckgen.errors import RenderError
from deckgen.model.deck import ChartSpec, Series

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["render_png", "resolve_font_family", "warm_up"]

# Spacing in points. Chosen once for the house look; all margins are built from these and from
# measured text, never from fractions of the figure.
EDGE = 6.0  # outer padding of the picture
TICK_PAD = 4.0  # tick label to axis
LABEL_PAD = 5.0  # axis title to tick labels
LEGEND_GAP = 8.0  # legend to plot area
TITLE_GAP = 8.0  # title to what follows
VALUE_OFFSET = 3.0  # data label to bar end / point
LINE_SPACING = 1.2
MAX_BAR_PT = 54.0  # widest bar (0.75 in): two categories should not give slabs
MAX_BARH_PT = 26.0  # thickest horizontal bar
NO_DATA = "no data"
ELLIPSIS = "…"
PNG_COMPRESS_LEVEL = (
    1  # zlib level for unfiltered rows: 6 costs ~4 ms more a chart for ~20% smaller files
)
MIN_SIZE_IN = 0.5  # below this nothing is legible; callers decide what "too cramped" means
_MEASURE_DPI = 288.0  # text is measured at 4x72 dpi for sub-point precision
_FALLBACK_FAMILY = "DejaVu Sans"
_GENERIC = {"sans-serif", "serif", "monospace", "cursive", "fantasy"}


# --------------------------------------------------------------------------- public API


def render_png(
    spec: ChartSpec,
    style: ChartStyle,
    width_in: float | None = None,
    height_in: float | None = None,
    *,
    with_title: bool = False,
) -> bytes:
    """Draw `spec` as an opaque PNG of exactly width_in x height_in inches at the style's dpi.

    Sizes default to the style's chart size. `with_title=True` draws `spec.so_what` above the
    chart (emails, where no slide headline carries it). Raises `RenderError` for a spec that
    cannot be drawn faithfully (series and categories of different lengths, unknown kind).
    """
    validate(spec)
    w_in = style.chart.width_in if width_in is None else float(width_in)
    h_in = style.chart.height_in if height_in is None else float(height_in)
    if (
        not (math.isfinite(w_in) and math.isfinite(h_in))
        or w_in < MIN_SIZE_IN
        or h_in < MIN_SIZE_IN
    ):
        raise RenderError(f"chart {spec.id!r}: size {w_in} x {h_in} in is too small to draw")
    with young_garbage():  # the figure is a reference cycle: freed here, not by a later full GC
        return _render(spec, style, w_in, h_in, with_title)


def _render(
    spec: ChartSpec, style: ChartStyle, w_in: float, h_in: float, with_title: bool
) -> bytes:
    dpi = style.chart.dpi
    family = resolve_font_family(style.fonts.family)
    with mpl.rc_context(_rc(style, family)):
        fig = Figure(figsize=(w_in, h_in), dpi=dpi, facecolor=style.palette.background)
        canvas = FigureCanvasAgg(fig)
        frame = _Frame(spec, style, fig, w_in * 72.0, h_in * 72.0, family)
        top = frame.draw_title() if with_title else EDGE
        if spec.kind == "gauge":
            _draw_gauge(frame, top)
        elif spec.kind == "barh":
            _draw_barh(frame, top)
        else:
            _draw_columns(frame, top)
        canvas.draw()
        return _encode(canvas, dpi)


def resolve_font_family(families: Sequence[str]) -> str:
    """The first family of `families` that is installed, else DejaVu Sans; never warns."""
    return _resolve_family(tuple(families))


def warm_up(style: ChartStyle | None = None) -> None:
    """Load fonts, glyph caches and formatting data once, before a batch parent forks.

    Forked workers then share these pages instead of each paying the first-chart cost (font
    lookup, FreeType loading, babel data: ~0.3-0.5 s).
    """
    if style is None:
        from deckgen.charting.style import load_style

        style = load_style()
    demo = (Series("a", (1.0, 2.0, None, 3.0)), Series("b", (2.0, 2.0, 2.0, 2.0), "reference"))
    for kind, fmt in (("line", "int"), ("bar", "money"), ("barh", "pct"), ("gauge", "int")):
        spec = ChartSpec(
            id="warm_up",
            kind=kind,  # type: ignore[arg-type]
            categories=("Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"),
            series=demo,
            unit="",
            x_label="Quarter",
            y_label="Value",
            so_what="Warm-up 0123456789 $€%",
            alt_text="",
            value_format=fmt,  # type: ignore[arg-type]
        )
        render_png(spec, style, 2.0, 1.5, with_title=kind == "line")


# --------------------------------------------------------------------------- fonts and text


@lru_cache(maxsize=16)
def _resolve_family(families: tuple[str, ...]) -> str:
    for name in families:
        try:
            path = findfont(FontProperties(family=[name]), fallback_to_default=False)
        except ValueError:
            continue
        if name.lower() in _GENERIC:
            # A generic name resolves through matplotlib's own lists; pin the concrete family so
            # text measurement and drawing use the same face.
            from matplotlib.font_manager import get_font

            return str(get_font(path).family_name)
        return name
    return _FALLBACK_FAMILY


@lru_cache(maxsize=1)
def _measure_renderer() -> RendererAgg:
    return RendererAgg(8, 8, _MEASURE_DPI)


@lru_cache(maxsize=8192)
def _line_width(text: str, family: str, size: float, bold: bool) -> float:
    """Width in points of one line of text as Agg will draw it (cached: labels repeat a lot)."""
    if not text:
        return 0.0
    prop = FontProperties(family=[family], size=size, weight="bold" if bold else "normal")
    width, _, _ = _measure_renderer().get_text_width_height_descent(text, prop, ismath=False)
    return float(width) * 72.0 / _MEASURE_DPI


@lru_cache(maxsize=64)
def _ascent(family: str, size: float) -> float:
    """Height above the baseline of capitals, digits and ascenders, in points."""
    prop = FontProperties(family=[family], size=size)
    _, height, descent = _measure_renderer().get_text_width_height_descent(
        "0Xbdfhkl", prop, ismath=False
    )
    return float(height - descent) * 72.0 / _MEASURE_DPI


def _rc(style: ChartStyle, family: str) -> dict[RcKeyType, Any]:
    p, f = style.palette, style.fonts
    return {
        "font.family": [family],
        "font.size": f.label_size,
        "text.parse_math": False,  # "$12K to $15K" must not become mathtext
        "text.color": p.text,
        "axes.facecolor": p.background,
        "figure.facecolor": p.background,
        "axes.edgecolor": p.subtle_text,
        "axes.linewidth": 0.8,
        "axes.labelcolor": p.subtle_text,
        "axes.labelsize": f.label_size,
        "axes.labelpad": LABEL_PAD,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.axisbelow": True,
        "axes.unicode_minus": True,
        "xtick.labelsize": f.tick_size,
        "ytick.labelsize": f.tick_size,
        "xtick.color": p.subtle_text,
        "ytick.color": p.subtle_text,
        "xtick.major.size": 0.0,
        "ytick.major.size": 0.0,
        "xtick.minor.size": 0.0,
        "ytick.minor.size": 0.0,
        "xtick.major.pad": TICK_PAD,
        "ytick.major.pad": TICK_PAD,
        "grid.color": p.muted,
        "grid.linewidth": 0.7,
        "grid.linestyle": "-",
        "grid.alpha": 1.0,
        "lines.solid_capstyle": "round",
        "lines.solid_joinstyle": "round",
        "legend.frameon": False,
        "legend.fontsize": f.tick_size,
        "legend.labelcolor": p.text,
        "path.simplify": True,
        # Unhinted glyphs draw ~30% faster and look the same at 150 dpi (text is most of the
        # drawing time: ~1 ms per label with matplotlib's text layout).
        "text.hinting": "no_hinting",
    }


@dataclass
class _Frame:
    """One chart being drawn: the spec, the style and the figure, with sizes in points."""

    spec: ChartSpec
    style: ChartStyle
    fig: Figure
    w: float
    h: float
    family: str

    # ---- text measurement (points)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        return max(
            (_line_width(line, self.family, size, bold) for line in text.split("\n")), default=0.0
        )

    def height(self, size: float, lines: int = 1) -> float:
        return size * LINE_SPACING * lines

    @property
    def tick(self) -> float:
        return self.style.fonts.tick_size

    @property
    def label(self) -> float:
        return self.style.fonts.label_size

    def fit(self, text: str, max_w: float, size: float, max_lines: int, bold: bool = False) -> str:
        """Wrap `text` at spaces to `max_w` points in at most `max_lines` lines; a line that
        still overflows (one long word, or the rest of the text) ends with an ellipsis.

        Wraps by characters estimated from one measurement, then checks the lines, so a long
        label costs a few measurements rather than one per word. Words are never split.
        """
        text = " ".join(text.split())
        full = self.width(text, size, bold)
        if not text or full <= max_w:
            return text
        chars = max(1, int(max_w / (full / len(text))))
        while True:
            lines = textwrap.wrap(text, chars, break_long_words=False) or [text]
            if len(lines) > max_lines:
                lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
            crowded = any(
                " " in line and self.width(line, size, bold) > max_w for line in lines[:-1]
            )
            if not crowded or chars <= 1:
                break
            chars -= max(1, chars // 8)
        return "\n".join(self.shorten(line, max_w, size, bold) for line in lines)

    def shorten(self, line: str, max_w: float, size: float, bold: bool = False) -> str:
        """`line`, or as much of it as fits followed by an ellipsis."""
        width = self.width(line, size, bold)
        if width <= max_w:
            return line
        keep = max(1, int(len(line) * max_w / width))
        while keep > 1 and self.width(line[:keep].rstrip() + ELLIPSIS, size, bold) > max_w:
            keep -= 1
        return line[:keep].rstrip() + ELLIPSIS

    # ---- placement helpers

    def axes(self, left: float, bottom: float, right: float, top: float) -> Axes:
        """Axes whose plot area has the given margins in points (fixed layout, no tight_layout)."""
        plot_w = max(self.w - left - right, 12.0)
        plot_h = max(self.h - top - bottom, 12.0)
        return self.fig.add_axes((left / self.w, bottom / self.h, plot_w / self.w, plot_h / self.h))

    def draw_title(self) -> float:
        """Draw `so_what` at the top left (email use); return the top margin it leaves."""
        size = self.style.fonts.title_size
        text = self.fit(self.spec.so_what, self.w - 2 * EDGE, size, 3, bold=True)
        self.fig.text(
            EDGE / self.w,
            1 - EDGE / self.h,
            text,
            ha="left",
            va="top",
            fontsize=size,
            fontweight="bold",
            color=self.style.palette.text,
            linespacing=LINE_SPACING,
        )
        return EDGE + self.height(size, text.count("\n") + 1) + TITLE_GAP

    def legend(self, entries: list[tuple[Series, str]], top: float, lines: bool) -> float:
        """Legend in a row (or rows) at the top left; return the new top margin.

        Above the plot rather than inside it, so it never covers data; only for >1 series.
        Drawn as plain artists: matplotlib's `Legend` costs ~10 ms a chart for two entries.
        """
        size = self.tick
        handle_w = 1.8 * size
        text_gap = 0.5 * size
        col_gap = 1.4 * size
        row_h = size * 1.45
        avail = self.w - 2 * EDGE
        x, row = EDGE, 0
        for s, colour in entries:
            name = self.fit(s.name, avail * 0.6, size, 1)
            entry_w = handle_w + text_gap + self.width(name, size)
            if x > EDGE and x + entry_w > EDGE + avail:
                x, row = EDGE, row + 1
            y = top + row * row_h + size * 0.6  # vertical centre of this row, from the top
            if lines:
                lw, ls, marker = _line_look(s, self.style)
                self.fig.add_artist(
                    Line2D(
                        [x / self.w, (x + handle_w) / self.w],
                        [1 - y / self.h] * 2,
                        transform=self.fig.transFigure,
                        color=colour,
                        linewidth=lw,
                        linestyle=ls,
                    )
                )
                if marker:
                    self.fig.add_artist(
                        Line2D(
                            [(x + handle_w / 2) / self.w],
                            [1 - y / self.h],
                            transform=self.fig.transFigure,
                            color=colour,
                            marker=marker,
                            markersize=self.style.chart.marker_size * 0.8,
                            markeredgecolor=self.style.palette.background,
                            markeredgewidth=1.0,
                        )
                    )
            else:
                box = size * 0.8
                self.fig.add_artist(
                    Rectangle(
                        ((x + (handle_w - box * 1.4) / 2) / self.w, 1 - (y + box / 2) / self.h),
                        box * 1.4 / self.w,
                        box / self.h,
                        transform=self.fig.transFigure,
                        facecolor=colour,
                        edgecolor="none",
                    )
                )
            self.fig.text(
                (x + handle_w + text_gap) / self.w,
                1 - y / self.h,
                name,
                ha="left",
                va="center_baseline",
                fontsize=size,
                color=self.style.palette.text,
            )
            x += entry_w + col_gap
        return top + (row + 1) * row_h + LEGEND_GAP

    # ---- axes furniture drawn directly (Tick objects cost ~1.5 ms each to build and lay out)

    def value_axis(
        self, ax: Axes, ticks: Sequence[float], labels: Sequence[str], horizontal: bool
    ) -> None:
        """Gridlines and tick labels for the value axis (y for columns, x for barh)."""
        pal = self.style.palette
        if horizontal:
            grid_t: Transform = ax.get_xaxis_transform()
            label_t = offset_copy(grid_t, fig=self.fig, y=-TICK_PAD, units="points")
        else:
            grid_t = ax.get_yaxis_transform()
            label_t = offset_copy(grid_t, fig=self.fig, x=-TICK_PAD, units="points")
        lo = ax.get_xlim()[0] if horizontal else ax.get_ylim()[0]
        grid = [t for t in ticks if t != lo]
        if self.style.chart.grid and grid:
            if horizontal:
                ax.vlines(
                    grid,
                    0,
                    1,
                    transform=grid_t,
                    colors=pal.muted,
                    linewidth=0.7,
                    zorder=0.5,
                    clip_on=False,
                )
            else:
                ax.hlines(
                    grid,
                    0,
                    1,
                    transform=grid_t,
                    colors=pal.muted,
                    linewidth=0.7,
                    zorder=0.5,
                    clip_on=False,
                )
        for t, text in zip(ticks, labels, strict=True):
            if horizontal:
                ax.text(
                    t,
                    0,
                    text,
                    transform=label_t,
                    ha="center",
                    va="top",
                    fontsize=self.tick,
                    color=pal.subtle_text,
                )
            else:
                ax.text(
                    0,
                    t,
                    text,
                    transform=label_t,
                    ha="right",
                    va="center_baseline",
                    fontsize=self.tick,
                    color=pal.subtle_text,
                )

    def category_axis(self, ax: Axes, labels: Sequence[str], horizontal: bool, size: float) -> None:
        """Category names under the columns (or left of the bars for barh)."""
        colour = self.style.palette.subtle_text
        if horizontal:
            t = offset_copy(ax.get_yaxis_transform(), fig=self.fig, x=-TICK_PAD, units="points")
            for j, text in enumerate(labels):
                if text:
                    ax.text(
                        0,
                        j,
                        text,
                        transform=t,
                        ha="right",
                        va="center_baseline",
                        multialignment="right",
                        fontsize=size,
                        color=colour,
                        linespacing=1.1,
                    )
        else:
            # Baseline-aligned, one Text per line: "top" alignment follows each label's tallest
            # glyph ("Feb" with its b sits lower than "Oct"), and a multi-line Text anchors its
            # *last* baseline, which would push the first line up into the bars.
            base = ax.get_xaxis_transform()
            step = size * LINE_SPACING
            first = TICK_PAD + _ascent(self.family, size)
            for j, text in enumerate(labels):
                for i, line in enumerate(text.split("\n") if text else ()):
                    t = offset_copy(base, fig=self.fig, y=-(first + i * step), units="points")
                    ax.text(
                        j,
                        0,
                        line,
                        transform=t,
                        ha="center",
                        va="baseline",
                        fontsize=size,
                        color=colour,
                    )

    def axis_titles(self, left: float, bottom: float, right: float, top: float) -> None:
        """x_label centred under the plot at the bottom edge, y_label rotated at the left edge.

        Each is shortened with an ellipsis rather than allowed past the plot it names.
        """
        colour = self.style.palette.subtle_text
        plot_w, plot_h = self.w - left - right, self.h - top - bottom
        if self.spec.x_label:
            text = self.fit(self.spec.x_label, plot_w, self.label, 1)
            centre = left + plot_w / 2
            self.fig.text(
                centre / self.w,
                EDGE / self.h,
                text,
                ha="center",
                va="bottom",
                fontsize=self.label,
                color=colour,
            )
        if self.spec.y_label:
            text = self.fit(self.spec.y_label, plot_h + top * 0.5, self.label, 1)
            centre = bottom + plot_h / 2
            self.fig.text(
                EDGE / self.w,
                centre / self.h,
                text,
                ha="left",
                va="center",
                rotation=90,
                fontsize=self.label,
                color=colour,
            )

    def no_data(self, ax: Axes) -> None:
        ax.text(
            0.5,
            0.5,
            "No data",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=self.label,
            color=self.style.palette.subtle_text,
        )


# --------------------------------------------------------------------------- shared pieces


def _series_values(spec: ChartSpec) -> list[tuple[float | None, ...]]:
    return [clean_values(s.values) for s in spec.series]


def _max_ticks(extent_pt: float) -> int:
    """How many gridlines the plot's extent affords: about one per 40-50 points."""
    return 6 if extent_pt >= 200 else 5 if extent_pt >= 120 else 4


def _value_ticks(
    spec: ChartSpec, lo: float, hi: float, extent_pt: float
) -> tuple[list[float], list[str]]:
    """Gridline values from 0 (or the lowest negative) to a round number >= data and y_max."""
    y_max = finite(spec.y_max)
    top = max(hi, y_max) if y_max is not None else hi
    if top <= lo:
        top = lo + 1.0
    ticks = nice_ticks(lo, top, _max_ticks(extent_pt), integer=spec.value_format == "int")
    return ticks, format_ticks(ticks, spec)


def _headroom(lo: float, hi: float, top_tick: float, room_pt: float, plot_pt: float) -> float:
    """Upper axis limit leaving `room_pt` above the largest value for its label or marker."""
    frac = min(room_pt / max(plot_pt, 1.0), 0.45)
    needed = (hi - frac * lo) / (1 - frac) if hi > 0 else hi
    return max(top_tick, needed)


def _bar_colours(spec: ChartSpec, style: ChartStyle, index: int, base: str) -> list[str]:
    """Per-point status colours apply to the customer's own series (the first primary one)."""
    primary = next((i for i, s in enumerate(spec.series) if s.style == "primary"), 0)
    if not spec.point_status or index != primary:
        return [base] * len(spec.categories)
    return [base if st is None else style.status_colour(st) for st in spec.point_status]


def _fit_categories(
    fr: _Frame, cats: Sequence[str], slot_pt: float, thin: bool
) -> tuple[list[str], int, float]:
    """Category labels that fit their slot, with the line count and font size used.

    Lines (trends over months) may show every k-th label, always keeping the last. Bars must
    keep every label: they wrap on two lines, then step the size down a little, and only then
    shorten with an ellipsis (a chart with seven long names on 4 in wants to be a barh).
    """
    size = fr.tick
    room = slot_pt * 0.92
    widest = max((fr.width(c, size) for c in cats), default=0.0)
    if widest <= room:
        return list(cats), 1, size
    if thin:
        step = math.ceil((widest + size) / slot_pt)
        n = len(cats)
        return [c if (n - 1 - i) % step == 0 else "" for i, c in enumerate(cats)], 1, size
    fitted: list[str] = []
    for size in (fr.tick, fr.tick - 1.0, fr.tick - 1.5):
        fitted = [fr.fit(c, room, size, 2) for c in cats]
        if not any(ELLIPSIS in f and ELLIPSIS not in c for f, c in zip(fitted, cats, strict=True)):
            break
    return fitted, max(f.count("\n") + 1 for f in fitted), size


def _encode(canvas: FigureCanvasAgg, dpi: int) -> bytes:
    """RGB PNG (no alpha: the background is opaque anyway) with the dpi recorded.

    Written directly with zlib and PNG filter type 0: charts are mostly flat colour, so
    unfiltered rows at zlib level 1 compress as well as Pillow's adaptive filtering does
    (slightly smaller, in fact) at a third of the time, which was a quarter of a chart's cost.
    The pHYs dpi lets PowerPoint insert the picture at its intended physical size.
    """
    width, height = canvas.get_width_height(physical=True)
    rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(height, width, 4)
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "None" for every scanline
    # RGB copied straight into the scanlines (a view: splitting the contiguous last axis), with
    # no temporary array, and the rows handed to zlib as a buffer: ~2.5 ms less a chart.
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[:, :, :3]
    ppm = round(dpi / 0.0254)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _png_chunk(b"IDAT", zlib.compress(rows.data, PNG_COMPRESS_LEVEL)),
            _png_chunk(b"IEND", b""),
        )
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


# --------------------------------------------------------------------------- line, bar, stacked


def _draw_columns(fr: _Frame, top: float) -> None:
    """Categories along x, values up: `line`, `bar` (grouped when several series), `stacked_bar`."""
    spec, style = fr.spec, fr.style
    pal = style.palette
    kind = spec.kind
    values = _series_values(spec)
    colours = style.series_colours(spec.series)
    n = len(spec.categories)
    k = len(values)

    if kind == "stacked_bar":
        cols = list(zip(*values, strict=True))
        pos = [sum(v for v in col if v is not None and v > 0) for col in cols]
        neg = [sum(v for v in col if v is not None and v < 0) for col in cols]
        lo, hi = min([0.0, *neg]), max([0.0, *pos])
    else:
        known = [v for vals in values for v in vals if v is not None]
        lo, hi = min([0.0, *known]), max([0.0, *known])
    has_data = any(v is not None for vals in values for v in vals)

    # --- margins (points), from measured text, before anything is drawn
    if k > 1:
        top = fr.legend(list(zip(spec.series, colours, strict=True)), top, kind == "line")
    top += fr.height(fr.tick) / 2  # the top tick label is centred on its gridline
    est_plot_h = fr.h - top - EDGE - 2 * fr.height(fr.tick)
    if spec.x_label:
        est_plot_h -= fr.height(fr.label)
    ticks, tick_labels = _value_ticks(spec, lo, hi, est_plot_h)
    left = EDGE + max(fr.width(t, fr.tick) for t in tick_labels) + TICK_PAD
    if spec.y_label:
        left += fr.height(fr.label) + LABEL_PAD
    right = EDGE

    last_labels: list[tuple[int, float, str, str]] = []  # (index, value, text, colour)
    x_pad = 0.5
    if kind == "line":
        x_pad = 0.3
        for vals, s, colour in zip(values, spec.series, colours, strict=True):
            idx = max((i for i, v in enumerate(vals) if v is not None), default=None)
            if s.style == "primary" and idx is not None:
                value = vals[idx]
                assert value is not None
                last_labels.append((idx, value, format_label(value, spec), colour))
        if last_labels:
            need = (
                style.chart.marker_size / 2
                + VALUE_OFFSET
                + 1
                + max(fr.width(t, fr.label, bold=True) for _, _, t, _ in last_labels)
            )
            slot_est = (fr.w - left - EDGE - need) / max(n - 1 + 2 * x_pad, 1)
            right = EDGE + max(0.0, need - x_pad * slot_est)
    else:
        # Half the last category label may hang past the last slot's centre.
        right = EDGE

    plot_w = fr.w - left - right
    slot = plot_w / max(n - 1 + 2 * x_pad, 1)
    cat_labels, cat_lines, cat_size = _fit_categories(
        fr, spec.categories, slot, thin=kind == "line"
    )
    bottom = EDGE + fr.height(cat_size, cat_lines) + TICK_PAD
    if spec.x_label:
        bottom += fr.height(fr.label) + LABEL_PAD
    plot_h = fr.h - top - bottom

    ax = fr.axes(left, bottom, right, top)
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.spines["bottom"].set_color(pal.subtle_text)

    # --- limits: from 0 (or the lowest negative) with room above the top value for its label
    value_size = fr.label if k == 1 else fr.tick
    if kind == "line":
        room = max(style.chart.marker_size / 2 + 2, fr.height(fr.label) / 2)
    else:
        room = VALUE_OFFSET + fr.height(value_size)
    y_top = _headroom(lo, hi, ticks[-1], room, plot_h)
    y_bottom = ticks[0]
    if lo < 0 and kind != "line":
        y_bottom = min(ticks[0], lo - (y_top - lo) * min(room / max(plot_h, 1.0), 0.45))
    ax.set_ylim(y_bottom, y_top)
    ax.set_xlim(-x_pad, n - 1 + x_pad)
    fr.value_axis(ax, ticks, tick_labels, horizontal=False)
    fr.category_axis(ax, cat_labels, horizontal=False, size=cat_size)
    fr.axis_titles(left, bottom, right, top)
    if lo < 0:
        ax.axhline(0, color=pal.subtle_text, linewidth=0.8, zorder=2)

    if kind == "line":
        _plot_lines(fr, ax, values, colours, last_labels)
    elif kind == "bar":
        _plot_bars(fr, ax, values, colours, slot, value_size)
    else:
        _plot_stacks(fr, ax, values, colours, slot, plot_h, y_top - y_bottom, value_size)
    if not has_data and kind == "line":  # bars already say "no data" per category
        fr.no_data(ax)


def _line_look(s: Series, style: ChartStyle) -> tuple[float, Any, str]:
    """Line width, dash and marker by series role: the customer's line dominates."""
    lw = style.chart.line_width
    if s.style == "primary":
        return lw, "-", "o"
    if s.style == "secondary":
        return lw * 0.75, "-", "o"
    if s.style == "reference":
        return max(lw * 0.6, 1.0), (0, (4, 3)), ""
    return max(lw * 0.5, 0.8), "-", ""


def _plot_lines(
    fr: _Frame,
    ax: Axes,
    values: list[tuple[float | None, ...]],
    colours: Sequence[str],
    last_labels: list[tuple[int, float, str, str]],
) -> None:
    style = fr.style
    bg = style.palette.background
    order = {"muted": 0, "reference": 1, "secondary": 2, "primary": 3}
    for s, vals, colour in zip(fr.spec.series, values, colours, strict=True):
        y = np.array([np.nan if v is None else v for v in vals], dtype=float)
        x = np.arange(len(y), dtype=float)
        lw, ls, marker = _line_look(s, style)
        z = 3 + order.get(s.style, 0)
        ms = style.chart.marker_size * (1.0 if s.style == "primary" else 0.8)
        ax.plot(
            x,
            y,
            color=colour,
            linewidth=lw,
            linestyle=ls,
            marker=marker or None,
            markersize=ms,
            markerfacecolor=colour,
            markeredgecolor=bg,
            markeredgewidth=1.2,
            zorder=z,
            clip_on=False,
        )
        if not marker:
            # A value between two gaps has no segment to draw: show it as a dot, not nothing.
            alone = [
                i
                for i in range(len(y))
                if not np.isnan(y[i])
                and (i == 0 or np.isnan(y[i - 1]))
                and (i == len(y) - 1 or np.isnan(y[i + 1]))
            ]
            if alone:
                ax.plot(
                    x[alone],
                    y[alone],
                    linestyle="none",
                    marker="o",
                    markersize=ms * 0.7,
                    color=colour,
                    zorder=z,
                    clip_on=False,
                )
    shift = offset_copy(
        ax.transData, fig=fr.fig, x=style.chart.marker_size / 2 + VALUE_OFFSET + 1, units="points"
    )
    for idx, value, text, colour in last_labels:
        ax.text(
            idx,
            value,
            text,
            transform=shift,
            ha="left",
            va="center_baseline",
            fontsize=fr.label,
            fontweight="bold",
            color=colour,
            clip_on=False,
        )


def _bars(
    ax: Axes,
    centres: Sequence[float],
    bases: Sequence[float],
    lengths: Sequence[float],
    thickness: float,
    colours: Sequence[str],
    *,
    horizontal: bool = False,
    edge: str | None = None,
) -> None:
    """Rectangles as one PolyCollection: ~10x cheaper than `ax.bar`, which builds a Rectangle
    patch per bar and updates the data limits for each (ours are set by hand)."""
    half = thickness / 2
    verts = []
    for c, b, n in zip(centres, bases, lengths, strict=True):
        if horizontal:
            verts.append([(b, c - half), (b + n, c - half), (b + n, c + half), (b, c + half)])
        else:
            verts.append([(c - half, b), (c + half, b), (c + half, b + n), (c - half, b + n)])
    ax.add_collection(
        PolyCollection(
            verts,
            facecolors=list(colours),
            edgecolors=edge or "none",
            linewidths=0.6 if edge else 0.0,
            antialiaseds=True,
            zorder=2,
        ),
        autolim=False,
    )


def _plot_bars(
    fr: _Frame,
    ax: Axes,
    values: list[tuple[float | None, ...]],
    colours: Sequence[str],
    slot: float,
    value_size: float,
) -> None:
    spec, style = fr.spec, fr.style
    pal = style.palette
    k = len(values)
    group = min(style.chart.bar_width, k * MAX_BAR_PT / max(slot, 1.0))
    width = group / k
    bar_pt = width * slot
    primary = next((i for i, s in enumerate(spec.series) if s.style == "primary"), 0)
    # Labels must fit over their bar; if not, try smaller text, then label only the customer.
    labels = [[format_label(v, spec) if v is not None else "" for v in vals] for vals in values]
    widest = max((fr.width(t, value_size) for row in labels for t in row), default=0.0)
    only_primary = False
    if k > 1 and widest > bar_pt + 2:
        value_size = max(fr.tick - 1.5, 6.5)
        widest = max((fr.width(t, value_size) for row in labels for t in row), default=0.0)
        only_primary = widest > bar_pt + 2
        if only_primary:  # the customer's label may overhang its neighbours' unlabelled bars
            value_size = fr.tick
    no_data_text = NO_DATA if fr.width(NO_DATA, fr.tick - 1) <= slot * group else "–"
    above = offset_copy(ax.transData, fig=fr.fig, y=VALUE_OFFSET, units="points")
    below = offset_copy(ax.transData, fig=fr.fig, y=-VALUE_OFFSET, units="points")
    for i, (vals, colour) in enumerate(zip(values, colours, strict=True)):
        offset = (i - (k - 1) / 2) * width
        fills = _bar_colours(spec, style, i, colour)
        shown = [(j, v) for j, v in enumerate(vals) if v is not None]
        if shown:  # one call per series: each ax.bar call costs about a millisecond
            _bars(
                ax,
                [j + offset for j, _ in shown],
                [0.0] * len(shown),
                [v for _, v in shown],
                width * (0.92 if k > 1 else 1.0),
                [fills[j] for j, _ in shown],
            )
        for j, v in enumerate(vals):
            if v is None:
                if k == 1 or i == primary:
                    ax.text(
                        j + offset,
                        0,
                        no_data_text,
                        ha="center",
                        va="bottom",
                        fontsize=fr.tick - 1,
                        color=pal.subtle_text,
                    )
            elif not only_primary or i == primary:
                ax.text(
                    j + offset,
                    v,
                    labels[i][j],
                    transform=above if v >= 0 else below,
                    ha="center",
                    va="bottom" if v >= 0 else "top",
                    fontsize=value_size,
                    color=pal.text,
                    clip_on=False,
                )


def _plot_stacks(
    fr: _Frame,
    ax: Axes,
    values: list[tuple[float | None, ...]],
    colours: Sequence[str],
    slot: float,
    plot_h: float,
    span: float,
    value_size: float,
) -> None:
    """Stacks with totals on top; segments are labelled inside only where the label fits."""
    spec, style = fr.spec, fr.style
    pal = style.palette
    n, k = len(spec.categories), len(values)
    width = min(style.chart.bar_width, MAX_BAR_PT / max(slot, 1.0))
    bar_pt = width * slot
    pt_per_unit = plot_h / max(span, 1e-12)
    pos_base = [0.0] * n
    neg_base = [0.0] * n
    inner_size = fr.tick
    for vals, colour in zip(values, colours, strict=True):
        text_colour = "#FFFFFF" if luminance(colour) < 0.55 else pal.text
        xs: list[float] = []
        heights: list[float] = []
        bottoms: list[float] = []
        for j, v in enumerate(vals):
            if v is None or v == 0:
                continue
            base = pos_base if v > 0 else neg_base
            xs.append(j)
            heights.append(v)
            bottoms.append(base[j])
            label = format_label(v, spec)
            if (
                k > 1
                and abs(v) * pt_per_unit >= fr.height(inner_size) + 2
                and fr.width(label, inner_size) <= bar_pt - 4
            ):
                ax.text(
                    j,
                    base[j] + v / 2,
                    label,
                    ha="center",
                    va="center_baseline",
                    fontsize=inner_size,
                    color=text_colour,
                    zorder=3,
                )
            base[j] += v
        if xs:
            _bars(ax, xs, bottoms, heights, width, [colour] * len(xs), edge=pal.background)
    above = offset_copy(ax.transData, fig=fr.fig, y=VALUE_OFFSET, units="points")
    below = offset_copy(ax.transData, fig=fr.fig, y=-VALUE_OFFSET, units="points")
    for j in range(n):
        col = [vals[j] for vals in values]
        if all(v is None for v in col):
            text = NO_DATA if fr.width(NO_DATA, fr.tick - 1) <= slot else "–"
            ax.text(
                j, 0, text, ha="center", va="bottom", fontsize=fr.tick - 1, color=pal.subtle_text
            )
            continue
        total = pos_base[j] + neg_base[j]
        up = pos_base[j] > 0 or neg_base[j] == 0
        ax.text(
            j,
            pos_base[j] if up else neg_base[j],
            format_label(total, spec),
            transform=above if up else below,
            ha="center",
            va="bottom" if up else "top",
            fontsize=value_size,
            fontweight="bold" if k > 1 else "normal",
            color=pal.text,
            clip_on=False,
        )


# --------------------------------------------------------------------------- horizontal bars


def _draw_barh(fr: _Frame, top: float) -> None:
    """Categories down the side, first on top (ranked lists: top features, health dimensions)."""
    spec, style = fr.spec, fr.style
    pal = style.palette
    values = _series_values(spec)
    colours = style.series_colours(spec.series)
    n = len(spec.categories)
    k = len(values)
    known = [v for vals in values for v in vals if v is not None]
    lo, hi = min([0.0, *known]), max([0.0, *known])

    if k > 1:
        top = fr.legend(list(zip(spec.series, colours, strict=True)), top, lines=False)
    else:
        top += 2.0
    cats = [fr.fit(c, fr.w * 0.38, fr.tick, 2) for c in spec.categories]
    left = EDGE + max(fr.width(c, fr.tick) for c in cats) + TICK_PAD
    if spec.y_label:
        left += fr.height(fr.label) + LABEL_PAD
    bottom = EDGE + fr.height(fr.tick) + TICK_PAD
    if spec.x_label:
        bottom += fr.height(fr.label) + LABEL_PAD
    ticks, tick_labels = _value_ticks(spec, lo, hi, (fr.w - left - EDGE) * 0.8)
    right = EDGE + fr.width(tick_labels[-1], fr.tick) / 2  # last tick label is centred
    plot_w = fr.w - left - right
    plot_h = fr.h - top - bottom

    ax = fr.axes(left, bottom, right, top)
    ax.xaxis.set_visible(False)
    ax.yaxis.set_visible(False)
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_color(pal.subtle_text)

    value_size = fr.label if k == 1 else fr.tick
    labels = [[format_label(v, spec) if v is not None else "" for v in vals] for vals in values]
    widest = max((fr.width(t, value_size) for row in labels for t in row), default=0.0)
    x_top = _headroom(lo, hi, ticks[-1], VALUE_OFFSET + widest + 2, plot_w)
    ax.set_xlim(ticks[0], x_top)
    ax.set_ylim(n - 0.5, -0.5)  # first category on top
    fr.value_axis(ax, ticks, tick_labels, horizontal=True)
    fr.category_axis(ax, cats, horizontal=True, size=fr.tick)
    fr.axis_titles(left, bottom, right, top)

    slot = plot_h / n
    group = min(style.chart.bar_width, k * MAX_BARH_PT / max(slot, 1.0))
    thick = group / k
    primary = next((i for i, s in enumerate(spec.series) if s.style == "primary"), 0)
    right_of = offset_copy(ax.transData, fig=fr.fig, x=VALUE_OFFSET, units="points")
    left_of = offset_copy(ax.transData, fig=fr.fig, x=-VALUE_OFFSET, units="points")
    for i, (vals, colour) in enumerate(zip(values, colours, strict=True)):
        offset = (i - (k - 1) / 2) * thick
        fills = _bar_colours(spec, style, i, colour)
        shown = [(j, v) for j, v in enumerate(vals) if v is not None]
        if shown:
            _bars(
                ax,
                [j + offset for j, _ in shown],
                [0.0] * len(shown),
                [v for _, v in shown],
                thick * (0.9 if k > 1 else 1.0),
                [fills[j] for j, _ in shown],
                horizontal=True,
            )
        for j, v in enumerate(vals):
            if v is None:
                if k == 1 or i == primary:
                    ax.text(
                        0,
                        j + offset,
                        f" {NO_DATA}",
                        ha="left",
                        va="center_baseline",
                        fontsize=fr.tick - 1,
                        color=pal.subtle_text,
                    )
                continue
            ax.text(
                v,
                j + offset,
                labels[i][j],
                transform=right_of if v >= 0 else left_of,
                ha="left" if v >= 0 else "right",
                va="center_baseline",
                fontsize=value_size,
                color=pal.text,
                clip_on=False,
            )
    if lo < 0:
        ax.axvline(0, color=pal.subtle_text, linewidth=0.8, zorder=2)
    if not known:
        fr.no_data(ax)


# --------------------------------------------------------------------------- gauge


def _draw_gauge(fr: _Frame, top: float) -> None:
    """One score as a half donut: track in muted grey, value arc in its band colour.

    The band comes from `point_status[0]` (the deck builder knows forced-red rules the score
    alone does not show); without it the arc takes the primary colour.
    """
    spec, style = fr.spec, fr.style
    pal = style.palette
    value = gauge_value(spec)
    vmax = gauge_max(spec)
    status = spec.point_status[0] if spec.point_status else None
    colour = style.status_colour(status) if status else pal.primary

    caption = spec.y_label or spec.x_label
    under = fr.height(fr.tick) + 2  # 0 / 100 under the arc ends
    cap_h = fr.height(fr.label) + 2 if caption else 0.0
    avail_w = fr.w - 2 * EDGE
    avail_h = fr.h - top - EDGE - under - cap_h
    r = max(min(avail_w / 2, avail_h, fr.w * 0.36), 10.0)  # a dial, not a wall of colour
    box_w, box_h = 2 * r, r + under + cap_h
    left = (fr.w - box_w) / 2
    bottom = EDGE + max(0.0, (fr.h - top - EDGE - box_h) / 2)
    ax = fr.fig.add_axes((left / fr.w, bottom / fr.h, box_w / fr.w, box_h / fr.h))
    ax.set_xlim(-1, 1)
    ax.set_ylim(-(under + cap_h) / r, 1)
    ax.set_axis_off()

    ring = 0.22
    ax.add_patch(Wedge((0, 0), 1, 0, 180, width=ring, facecolor=pal.muted, edgecolor="none"))
    if value is not None:
        frac = min(max(value / vmax, 0.0), 1.0)
        if frac > 0:
            ax.add_patch(
                Wedge(
                    (0, 0), 1, 180 - 180 * frac, 180, width=ring, facecolor=colour, edgecolor="none"
                )
            )
    number = format_label(value, spec) if value is not None else NO_DATA
    inner = (1 - ring) * r
    size = min(fr.style.fonts.title_size * 4.0, inner * 0.55)
    if value is None:
        size = min(fr.label * 1.4, size)
    while size > fr.label and fr.width(number, size, bold=True) > inner * 1.5:
        size -= 1
    ax.text(
        0,
        0.04,
        number,
        ha="center",
        va="baseline",
        fontsize=size,
        fontweight="bold",
        color=pal.text if value is not None else pal.subtle_text,
    )
    ends = format_ticks([0.0, vmax], spec)
    for xpos, text in ((-1 + ring / 2, ends[0]), (1 - ring / 2, ends[1])):
        ax.text(xpos, -2 / r, text, ha="center", va="top", fontsize=fr.tick, color=pal.subtle_text)
    if caption:
        ax.text(
            0,
            -(under + 2) / r,
            caption,
            ha="center",
            va="top",
            fontsize=fr.label,
            color=pal.subtle_text,
        )
