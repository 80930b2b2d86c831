"""Drawing the deck model's blocks (KPI tiles, score, chart, table, text) on a python-pptx slide.

Every block has a measure step (how tall it wants to be at a width) and a draw step (into a
rectangle the arranger gives it), so `pptx.py` can stack blocks in a template's body region and
split a table onto a continuation slide. All text is sized with real font metrics
(`pptx_text`), never left to autofit. Colours come from the ChartStyle, which carries a user
template's theme colours when one is used.
"""

from __future__ import annotations

import functools
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import quoteattr

from PIL import Image
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.shapes.autoshape import Shape
from pptx.util import Emu

from deckgen.book.text import clean_text
from deckgen.charting import mpl, native
from deckgen.charting.style import ChartStyle
from deckgen.model.deck import (
    MISSING_OPEN,
    PLACEHOLDER_CLOSE,
    PLACEHOLDER_OPEN,
    Cell,
    ChartBlock,
    ChartSpec,
    KpiBlock,
    Paragraph,
    ScoreBlock,
    Status,
    TableBlock,
    TextBlock,
)
from deckgen.render import pptx_template as tpl
from deckgen.render.pptx_text import (
    EMU_PER_IN,
    LINE_HEIGHT,
    Face,
    ParaSpec,
    Token,
    emu_from_pt,
    fit,
    pt,
    scaled_width,
    truncate_to_lines,
    wrap,
)
from deckgen.render.pptx_text import (
    text_height as measure_height,
)

IN = EMU_PER_IN
ARROWS = {"up": "▲", "down": "▼", "flat": "►"}
MARKER_RE = re.compile(
    "("
    + "|".join(re.escape(o) for o in (PLACEHOLDER_OPEN, MISSING_OPEN))
    + r").*?"
    + re.escape(PLACEHOLDER_CLOSE),
    re.DOTALL,
)
_NUMERIC = re.compile(
    r"^[\s+\-−±~≈<>]*[$€£¥₹]?\s?[A-Z]{0,3}\s?[$€£¥₹]?\s?\d[\d.,\s\u00a0\u202f]*"
    r"\s?(%|[KkMmBb]|pts?|h|x|×|d|days?|/100)?\s?[$€£¥₹]?$"
)
_DASHES = {"–", "—", "-", ""}


# --------------------------------------------------------------------------- basics


@functools.lru_cache(maxsize=8192)
def clean(text: str) -> str:
    """Make any string safe for the pptx writer.

    The deck builder already cleans at the boundary; this is the renderer's own guard so a
    stray control character shows as nothing instead of `_x001B_`, and U+FFFE or a lone
    surrogate cannot crash a batch. Cached: the renderer cleans the same labels many times a
    deck (measure, then draw) and the same headings in every deck.
    """
    return clean_text(text)


def rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


@functools.lru_cache(maxsize=1024)
def mix(colour: str, other: str, t: float) -> str:
    """`colour` blended toward `other` by `t` (0 = colour, 1 = other): tints for fills."""
    a = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(other.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))


def luminance(colour: str) -> float:
    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def on_colour(fill: str, dark: str) -> str:
    """Readable text colour on `fill`: white on dark fills, the body text colour on light."""
    return "#FFFFFF" if luminance(fill) < 0.6 else dark


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def right(self) -> int:
        return self.x + self.w

    def take_top(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        h = max(0, min(h, self.h))
        top = Rect(self.x, self.y, self.w, h)
        rest = Rect(self.x, self.y + h + gap, self.w, max(0, self.h - h - gap))
        return top, rest

    def split_columns(self, n: int, gap: int) -> list[Rect]:
        w = (self.w - gap * (n - 1)) // n
        return [Rect(self.x + i * (w + gap), self.y, w, self.h) for i in range(n)]


@dataclass
class Ctx:
    """What every drawing function needs: fonts, colours, chart mode, caches and the report."""

    style: ChartStyle
    body_font: str
    head_font: str
    charts: Literal["image", "native"]
    png_cache: dict[str, bytes]
    note: Callable[[str], None]
    markers: list[str] = field(default_factory=list)
    charts_drawn: int = 0
    charts_reused: int = 0

    # Colours used across blocks, derived once from the style.
    @property
    def text(self) -> str:
        return self.style.palette.text

    @property
    def subtle(self) -> str:
        return self.style.palette.subtle_text

    @property
    def primary(self) -> str:
        return self.style.palette.primary

    @property
    def rule(self) -> str:
        return self.style.palette.muted

    @property
    def tile(self) -> str:
        return mix(self.style.palette.primary, "#FFFFFF", 0.94)

    def status(self, status: Status | None) -> str:
        return self.style.status_colour(status or "grey")


# --------------------------------------------------------------------------- text writing


@dataclass(frozen=True)
class Piece:
    """A run to write: text, weight, and whether it is a `[[...]]` placeholder marker."""

    text: str
    bold: bool = False
    placeholder: bool = False
    colour: str | None = None


def pieces_from_text(text: str, *, bold: bool = False, colour: str | None = None) -> list[Piece]:
    """Split plain text so any `[[CSM: ...]]` marker inside it gets the placeholder style."""
    return list(_pieces_from_text(text, bold, colour))


@functools.lru_cache(maxsize=4096)
def _pieces_from_text(text: str, bold: bool, colour: str | None) -> tuple[Piece, ...]:
    """`pieces_from_text`, cached: a deck splits the same cells and labels ~900 times (measure
    at several sizes, then draw); pieces are immutable, so callers can share them."""
    text = clean(text)
    out: list[Piece] = []
    pos = 0
    for m in MARKER_RE.finditer(text):
        if m.start() > pos:
            out.append(Piece(text[pos : m.start()], bold, False, colour))
        out.append(Piece(m.group(0), True, True))
        pos = m.end()
    if pos < len(text) or not out:
        out.append(Piece(text[pos:], bold, False, colour))
    return tuple(out)


def pieces_from_paragraph(para: Paragraph) -> list[Piece]:
    out: list[Piece] = []
    for run in para.runs:
        if run.placeholder is not None:
            out.append(Piece(clean(run.placeholder.marker), True, True))
        else:
            out.extend(pieces_from_text(run.text, bold=run.bold))
    return out


def tokens(pieces: Sequence[Piece]) -> tuple[Token, ...]:
    return tuple(Token(p.text, p.bold) for p in pieces)


def write(
    ctx: Ctx,
    paragraph: Any,
    pieces: Sequence[Piece],
    size: float | None,
    colour: str | None,
    *,
    font: str | None = None,
) -> None:
    """Append runs to a python-pptx paragraph, styling placeholder markers unmistakably.

    `size`/`colour` None inherit from the placeholder (a template's cover text colour). The
    heading font is written as the theme reference "+mj-lt", so the deck follows its theme.
    """
    typeface = "+mj-lt" if font and font == ctx.head_font else font
    for piece in pieces:
        if not piece.text:
            continue
        if piece.placeholder:
            ctx.markers.append(piece.text)
            tpl.add_run(
                paragraph,
                piece.text,
                size=size,
                bold=True,
                colour=ctx.style.placeholder.text,
                highlight=ctx.style.placeholder.fill,
                typeface=typeface,
            )
        else:
            tpl.add_run(
                paragraph,
                piece.text,
                size=size,
                bold=piece.bold,
                colour=piece.colour or colour,
                typeface=typeface,
            )


def pieces_xml(
    ctx: Ctx,
    pieces: Sequence[Piece],
    size: float | None,
    colour: str | None,
    *,
    font: str | None = None,
) -> str:
    """The runs `write` would append, as an XML string (for shapes built as XML)."""
    typeface = "+mj-lt" if font and font == ctx.head_font else font
    out = []
    for piece in pieces:
        if not piece.text:
            continue
        if piece.placeholder:
            ctx.markers.append(piece.text)
            ph = ctx.style.placeholder
            out.append(_run_xml(piece.text, size, True, ph.text, ph.fill, typeface))
        else:
            out.append(
                _run_xml(piece.text, size, piece.bold, piece.colour or colour, None, typeface)
            )
    return "".join(out)


@functools.lru_cache(maxsize=4096, typed=True)
def _run_xml(
    text: str,
    size: float | None,
    bold: bool,
    colour: str | None,
    highlight: str | None,
    typeface: str | None,
) -> str:
    """One piece's runs as XML (cached: table headers, labels and status words repeat)."""
    r_pr = tpl.rpr_xml(size=size, bold=bold, colour=colour, highlight=highlight, typeface=typeface)
    return tpl.runs_xml(text, r_pr)


# What `tpl.set_spacing(p, before_pt=..., line_pct=100)` writes at the start of an `a:pPr`.
_SPACING = (
    '<a:lnSpc><a:spcPct val="100000"/></a:lnSpc><a:spcBef><a:spcPts val="{before}"/></a:spcBef>'
    '<a:spcAft><a:spcPts val="0"/></a:spcAft>'
)
_SPACING_0 = _SPACING.format(before=0)


def _spacing_xml(before_pt: float) -> str:
    return _SPACING_0 if not before_pt else _SPACING.format(before=int(before_pt * 100))


_TEXTBOX = (
    '<p:sp {ns}><p:nvSpPr><p:cNvPr id="{id}" name={name}/><p:cNvSpPr txBox="1"/><p:nvPr/>'
    '</p:nvSpPr><p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/>'
    '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>{fill}{line}</p:spPr>'
    '<p:txBody><a:bodyPr wrap="square" anchor="{anchor}" lIns="{l}" tIns="{t}"'
    ' rIns="{r}" bIns="{b}"><a:noAutofit/></a:bodyPr><a:lstStyle/>{paras}</p:txBody></p:sp>'
)


def textbox(
    slide: Any,
    rect: Rect,
    *,
    anchor: Any = MSO_ANCHOR.TOP,
    insets: tuple[float, float, float, float] = (0, 0, 0, 0),
    name: str = "",
    paras: str = "<a:p/>",
    fill: str | None = None,
    line: str | None = None,
) -> Any:
    """A text box that never autofits (we size the text) and wraps at its width.

    Written as the XML python-pptx's `add_textbox` plus the text-frame setters produce, in one
    parse instead of a dozen element look-ups (a deck has ~40 text boxes). `paras` is the
    paragraphs' XML (see `_para_xml`); `fill` and `line` give the box a solid fill and a 1.25 pt
    dashed line (what the python-pptx fill, line and `tpl.set_dash` setters write).
    """
    shape_id = tpl.next_shape_id(slide)
    left, top, right, bottom = (int(v * IN) for v in insets)
    sp = tpl.parse_shape_xml(
        _TEXTBOX.format(
            ns=tpl.NSDECLS,
            id=shape_id,
            name=quoteattr((name or f"TextBox {shape_id - 1}")[:250]),
            x=int(rect.x),
            y=int(rect.y),
            w=int(rect.w),
            h=int(max(rect.h, 1)),
            anchor=anchor.xml_value,
            l=left,
            t=top,
            r=right,
            b=bottom,
            fill=(
                "<a:noFill/>"
                if fill is None
                else f'<a:solidFill><a:srgbClr val="{tpl.hex_colour(fill)}"/></a:solidFill>'
            ),
            line=(
                ""
                if line is None
                else f'<a:ln w="15875"><a:solidFill><a:srgbClr val="{tpl.hex_colour(line)}"/>'
                '</a:solidFill><a:prstDash val="dash"/></a:ln>'
            ),
            paras=paras,
        )
    )
    tpl.append_shape(slide, sp)
    return Shape(sp, slide.shapes)


def _para_xml(runs: str, p_pr: str = "") -> str:
    """An `a:p` with properties `p_pr` (an `a:pPr` element or nothing) and `runs`."""
    return f"<a:p>{p_pr}{runs}</a:p>" if p_pr or runs else "<a:p/>"


def one_line(
    ctx: Ctx,
    slide: Any,
    rect: Rect,
    text: str,
    *,
    size: float,
    min_size: float,
    colour: str,
    bold: bool = False,
    align: Any = PP_ALIGN.LEFT,
    anchor: Any = MSO_ANCHOR.TOP,
    font: str | None = None,
    max_lines: int = 1,
    name: str = "",
) -> Any:
    """A short label/value: shrink to fit `max_lines` in the box, then truncate with "…"."""
    pieces, fitted, notes = _one_line_layout(
        text, font or ctx.body_font, rect.w, rect.h, size, min_size, colour, bold, max_lines
    )
    for note in notes:
        ctx.note(note)
    # The paragraph as `p.alignment = align`, `tpl.set_spacing(p, line_pct=100)` and `write`
    # would leave it, written into the box's XML.
    p_pr = f"<a:pPr{_algn(align)}>{_SPACING_0}</a:pPr>"
    runs = pieces_xml(ctx, pieces, fitted, colour, font=font)
    return textbox(slide, rect, anchor=anchor, name=name, paras=_para_xml(runs, p_pr))


@functools.lru_cache(maxsize=2048, typed=True)
def _one_line_layout(
    text: str,
    family: str,
    w: int,
    h: int,
    size: float,
    min_size: float,
    colour: str,
    bold: bool,
    max_lines: int,
) -> tuple[tuple[Piece, ...], float, tuple[str, ...]]:
    """`one_line`'s measuring: (pieces to write, their size, notes for the report). Cached by
    all it depends on: the same labels in the same boxes recur in every deck of a batch."""
    notes: list[str] = []
    pieces = _pieces_from_text(text, bold, colour)
    paras = [ParaSpec(tokens(pieces))]
    width = pt(w)
    height = min(pt(h), max_lines * size * LINE_HEIGHT + 0.5)
    result = fit(paras, family, width, height, size, min_size, step=0.5)
    if not result.fits:
        markers = [m.group(0) for m in MARKER_RE.finditer(clean(text))]
        if markers:
            # Never cut a `[[...]]` marker (`deckgen check` must find it whole): show only the
            # markers, as small as needed, over as many lines as the box holds.
            pieces = tuple(Piece(m, True, True) for m in markers)
            result = fit(
                [ParaSpec(tokens(pieces))],
                family,
                width,
                pt(h),
                size,
                min(min_size, 7),
                step=0.5,
            )
            notes.append(f"text around a placeholder dropped to fit: {clean(text)[:60]!r}")
        else:
            room = max(1, min(max_lines, int(pt(h) // (result.size * LINE_HEIGHT))))
            cut = truncate_to_lines(clean(text), family, result.size, width, room, bold=bold)
            if cut != clean(text):
                notes.append(f"text shortened to fit: {clean(text)[:60]!r}")
            pieces = _pieces_from_text(cut, bold, colour)
    return pieces, result.size, tuple(notes)


def _algn(align: Any) -> str:
    """The `algn` attribute python-pptx's `paragraph.alignment = align` sets."""
    return "" if align is None else f' algn="{align.xml_value}"'


# --------------------------------------------------------------------------- KPI tiles

TILE_H = int(1.5 * IN)
TILE_GAP = int(0.18 * IN)
TILE_MIN_W = int(1.7 * IN)


def kpi_grid(block: KpiBlock, width: int) -> tuple[int, int]:
    """(rows, per_row): one row when tiles can be at least TILE_MIN_W wide, else a grid."""
    n = max(1, len(block.kpis))
    rows = max(1, math.ceil(n * (TILE_MIN_W + TILE_GAP) / max(width + TILE_GAP, 1)))
    rows = min(rows, n)
    return rows, math.ceil(n / rows)


def kpi_height(block: KpiBlock, width: int) -> int:
    rows, _ = kpi_grid(block, width)
    return rows * TILE_H + (rows - 1) * TILE_GAP


def draw_kpis(ctx: Ctx, slide: Any, block: KpiBlock, rect: Rect) -> None:
    _, per_row = kpi_grid(block, rect.w)
    tile_w = (rect.w - TILE_GAP * (per_row - 1)) // per_row
    for i, kpi in enumerate(block.kpis):
        r, c = divmod(i, per_row)
        tile = Rect(
            rect.x + c * (tile_w + TILE_GAP), rect.y + r * (TILE_H + TILE_GAP), tile_w, TILE_H
        )
        _kpi_tile(ctx, slide, kpi, tile)


# What python-pptx's `add_shape` plus `strip_shape_style`, the solid fill and the line setters
# produce, built as one XML string (a deck has ~40 tiles, stripes and rings; each cost ~0.4 ms
# through python-pptx's fill and line proxies).
_AUTOSHAPE = (
    '<p:sp {ns}><p:nvSpPr><p:cNvPr id="{id}" name={name}/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
    '<p:spPr><a:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>'
    '<a:prstGeom prst="{prst}">{av}</a:prstGeom><a:solidFill><a:srgbClr val="{fill}"/>'
    '</a:solidFill>{ln}</p:spPr><p:txBody><a:bodyPr rtlCol="0" anchor="ctr"{body}/>'
    '<a:lstStyle/><a:p><a:pPr algn="ctr"/>{runs}</a:p></p:txBody></p:sp>'
)
_BASENAMES = {"roundRect": "Rounded Rectangle", "rect": "Rectangle", "donut": "Donut"}


def autoshape(
    slide: Any,
    prst: str,
    rect: Rect,
    fill: str,
    *,
    adj: float | None = None,
    line: str | None = None,
    name: str = "",
    body: str = "",
    runs: str = "",
) -> Shape:
    """A preset shape with a solid fill and no theme style, and a 1 pt line or none.

    `body` adds attributes to its `a:bodyPr`, `runs` (XML) goes in its centred paragraph."""
    shape_id = tpl.next_shape_id(slide)
    av = (
        "<a:avLst/>"
        if adj is None
        else f'<a:avLst><a:gd name="adj" fmla="val {int(adj * 100000.0)}"/></a:avLst>'
    )
    ln = "<a:ln><a:noFill/></a:ln>"
    if line:
        colour = tpl.hex_colour(line)
        ln = f'<a:ln w="12700"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill></a:ln>'
    sp = tpl.parse_shape_xml(
        _AUTOSHAPE.format(
            ns=tpl.NSDECLS,
            id=shape_id,
            name=quoteattr((name or f"{_BASENAMES[prst]} {shape_id - 1}")[:250]),
            x=int(rect.x),
            y=int(rect.y),
            w=int(rect.w),
            h=int(rect.h),
            prst=prst,
            av=av,
            fill=tpl.hex_colour(fill),
            ln=ln,
            body=body,
            runs=runs,
        )
    )
    tpl.append_shape(slide, sp)
    return Shape(sp, slide.shapes)


def _rounded(
    slide: Any,
    rect: Rect,
    fill: str,
    *,
    radius: float = 0.06,
    line: str | None = None,
    name: str = "",
    body: str = "",
    runs: str = "",
) -> Any:
    adj = radius * IN / max(min(rect.w, rect.h), 1)
    return autoshape(
        slide, "roundRect", rect, fill, adj=adj, line=line, name=name, body=body, runs=runs
    )


def _rect_shape(slide: Any, rect: Rect, fill: str, name: str = "") -> Any:
    return autoshape(slide, "rect", rect, fill, name=name)


def _trend_colour(ctx: Ctx, status: Status | None, direction: str | None) -> str:
    if status:
        return ctx.status(status)
    return {"up": ctx.status("green"), "down": ctx.status("red")}.get(
        direction or "", ctx.status("grey")
    )


def _kpi_tile(ctx: Ctx, slide: Any, kpi: Any, tile: Rect) -> None:
    _rounded(slide, tile, ctx.tile, name=f"KPI {clean(kpi.label)[:40]}")
    pad = int(0.16 * IN)
    if kpi.status:
        _rect_shape(
            slide,
            Rect(tile.x, tile.y + int(0.16 * IN), int(0.06 * IN), tile.h - int(0.32 * IN)),
            ctx.status(kpi.status),
            "Status stripe",
        )
    inner = Rect(tile.x + pad, tile.y + int(0.12 * IN), tile.w - 2 * pad, tile.h - int(0.22 * IN))
    label_r, rest = inner.take_top(int(0.38 * IN))
    value_r, rest = rest.take_top(int(0.5 * IN))
    one_line(
        ctx,
        slide,
        label_r,
        kpi.label,
        size=11,
        min_size=8.5,
        colour=ctx.subtle,
        max_lines=2,
        anchor=MSO_ANCHOR.BOTTOM,
        name="KPI label",
    )
    one_line(
        ctx,
        slide,
        value_r,
        kpi.value,
        size=28,
        min_size=14,
        colour=ctx.text,
        bold=True,
        anchor=MSO_ANCHOR.MIDDLE,
        font=ctx.head_font,
        name="KPI value",
    )
    if kpi.delta or kpi.note:
        pieces: list[Piece] = []
        if kpi.delta:
            arrow = ARROWS.get(kpi.direction or "", "")
            colour = _trend_colour(ctx, kpi.status, kpi.direction)
            pieces.append(Piece(f"{arrow} {clean(kpi.delta)}".strip(), True, False, colour))
        if kpi.note:
            pieces.extend(
                pieces_from_text(("  " if kpi.delta else "") + kpi.note, colour=ctx.subtle)
            )
        paras = [ParaSpec(tokens(pieces))]
        result = fit(paras, ctx.body_font, pt(rest.w), pt(rest.h), 11, 8.5, step=0.5)
        if not result.fits:
            lines = max(1, int(pt(rest.h) // (result.size * LINE_HEIGHT)))
            joined = "".join(pc.text for pc in pieces)
            cut = truncate_to_lines(joined, ctx.body_font, result.size, pt(rest.w), lines)
            first = pieces[0]
            pieces = pieces_from_text(cut, bold=first.bold, colour=first.colour)
            ctx.note(f"KPI note shortened to fit: {joined[:60]!r}")
        runs = pieces_xml(ctx, pieces, result.size, ctx.subtle)
        textbox(slide, rest, name="KPI delta", paras=_para_xml(runs))


# --------------------------------------------------------------------------- score

SCORE_H = int(1.8 * IN)
SCORE_MAX_W = int(6.6 * IN)


def draw_score(ctx: Ctx, slide: Any, block: ScoreBlock, rect: Rect) -> None:
    w = min(rect.w, SCORE_MAX_W)
    tile = Rect(rect.x, rect.y, w, min(rect.h, SCORE_H))
    _rounded(slide, tile, ctx.tile, name=f"Score {clean(block.label)[:40]}")
    band = ctx.status(block.status)
    pad = int(0.2 * IN)
    d = tile.h - 2 * pad
    autoshape(
        slide, "donut", Rect(tile.x + pad, tile.y + pad, d, d), band, adj=0.1, name="Score ring"
    )
    inner = int(d * 0.74)
    one_line(
        ctx,
        slide,
        Rect(tile.x + pad + (d - inner) // 2, tile.y + pad + (d - inner) // 2, inner, inner),
        block.value,
        size=34,
        min_size=14,
        colour=ctx.text,
        bold=True,
        align=PP_ALIGN.CENTER,
        anchor=MSO_ANCHOR.MIDDLE,
        font=ctx.head_font,
        name="Score value",
    )
    x = tile.x + pad + d + int(0.28 * IN)
    col = Rect(x, tile.y + pad - int(0.02 * IN), tile.right - x - pad, d)
    label_r, rest = col.take_top(int(0.34 * IN))
    one_line(
        ctx,
        slide,
        label_r,
        block.label,
        size=15,
        min_size=11,
        colour=ctx.text,
        bold=True,
        font=ctx.head_font,
        name="Score label",
    )
    pill_r, rest = rest.take_top(int(0.3 * IN), int(0.08 * IN))
    band_name = {"green": "Green", "yellow": "Yellow", "red": "Red", "grey": "No data"}[
        block.status or "grey"
    ]
    pill_w = int(pt_to_emu(Face(ctx.body_font, True).width(band_name, 11)) + 0.3 * IN)
    # The pill's text frame as python-pptx's margin, anchor, word-wrap and alignment setters
    # leave it (anchor and alignment are already centred), written into the shape's XML.
    _rounded(
        slide,
        Rect(pill_r.x, pill_r.y, pill_w, pill_r.h),
        band,
        radius=0.15,
        name="Band",
        body=_PILL_BODY,
        runs=pieces_xml(ctx, [Piece(band_name, True)], 11, on_colour(band, ctx.text)),
    )
    if block.delta:
        arrow = ARROWS.get(block.direction or "", "")
        colour = _trend_colour(ctx, None, block.direction)
        trend_r = Rect(
            pill_r.x + pill_w + int(0.16 * IN),
            pill_r.y,
            pill_r.right - pill_r.x - pill_w - int(0.16 * IN),
            pill_r.h,
        )
        one_line(
            ctx,
            slide,
            trend_r,
            f"{arrow} {block.delta}".strip(),
            size=13,
            min_size=9,
            colour=colour,
            bold=True,
            anchor=MSO_ANCHOR.MIDDLE,
            name="Score trend",
        )
    if block.caption:
        one_line(
            ctx,
            slide,
            rest,
            block.caption,
            size=11,
            min_size=9,
            colour=ctx.subtle,
            max_lines=max(1, int(pt(rest.h) // (11 * LINE_HEIGHT))),
            name="Score caption",
        )


_PILL_BODY = f' lIns="{int(0.06 * IN)}" rIns="{int(0.06 * IN)}" tIns="0" bIns="0" wrap="none"'


def pt_to_emu(points: float) -> int:
    return emu_from_pt(points)


# --------------------------------------------------------------------------- charts

CHART_MIN_H = int(2.1 * IN)
HEADLINE_SIZE = 14.0


def headline_height(ctx: Ctx, text: str, width: int) -> tuple[float, int]:
    """(font size, height) of a chart's "so what" headline: up to 3 lines, 14pt down to 11pt."""
    return _headline_height(ctx.body_font, text, width)


@functools.lru_cache(maxsize=1024, typed=True)
def _headline_height(family: str, text: str, width: int) -> tuple[float, int]:
    paras = [ParaSpec(tokens(_pieces_from_text(text, True, None)))]
    result = fit(
        paras,
        family,
        pt(width),
        3 * HEADLINE_SIZE * LINE_HEIGHT,
        HEADLINE_SIZE,
        11,
        step=0.5,
    )
    lines = min(result.lines, 3)
    return result.size, emu_from_pt(lines * result.size * LINE_HEIGHT) + int(0.02 * IN)


def chart_min_height(ctx: Ctx, block: ChartBlock, width: int) -> int:
    return headline_height(ctx, block.chart.so_what, width)[1] + int(0.1 * IN) + CHART_MIN_H


def draw_chart(ctx: Ctx, slide: Any, block: ChartBlock, rect: Rect) -> None:
    spec = block.chart
    size, hh = headline_height(ctx, spec.so_what, rect.w)
    head_r, plot = rect.take_top(hh, int(0.1 * IN))
    one_line(
        ctx,
        slide,
        head_r,
        spec.so_what,
        size=size,
        min_size=size,
        colour=ctx.text,
        bold=True,
        max_lines=3,
        name="Chart headline",
    )
    if plot.h < int(0.8 * IN):
        ctx.note(f"chart '{spec.id}' had almost no room")
    if ctx.charts == "native":
        frame = native.add_native_chart(
            slide, spec, Emu(plot.x), Emu(plot.y), Emu(plot.w), Emu(plot.h), ctx.style
        )
        native.set_alt_text(frame, clean(spec.alt_text))
        tpl.set_shape_name(frame, f"Chart {spec.id}")
        ctx.charts_drawn += 1
        return
    png = _png_for(ctx, spec, plot)
    with Image.open(io.BytesIO(png)) as img:
        iw, ih = img.size
    scale = min(plot.w / iw, plot.h / ih)
    w, h = int(iw * scale), int(ih * scale)
    x = plot.x + (plot.w - w) // 2
    pic = slide.shapes.add_picture(io.BytesIO(png), Emu(x), Emu(plot.y), Emu(w), Emu(h))
    tpl.set_shape_name(pic, f"Chart {spec.id}")
    native.set_alt_text(pic, clean(spec.alt_text))


def _png_for(ctx: Ctx, spec: ChartSpec, plot: Rect) -> bytes:
    """A chart PNG from the per-account cache, drawn once per id and reused.

    The cache key is the chart id; a cached image whose aspect ratio is more than 12% off the
    space available here is redrawn for this shape (keyed id@WxH) rather than letterboxed.
    """
    w_in, h_in = plot.w / IN, plot.h / IN
    for key in (spec.id, f"{spec.id}@{w_in:.1f}x{h_in:.1f}"):
        data = ctx.png_cache.get(key)
        if data is None:
            continue
        with Image.open(io.BytesIO(data)) as img:
            iw, ih = img.size
        if abs((iw / ih) / (w_in / h_in) - 1) <= 0.12:
            ctx.charts_reused += 1
            return data
    data = mpl.render_png(spec, ctx.style, w_in, h_in)
    key = spec.id if spec.id not in ctx.png_cache else f"{spec.id}@{w_in:.1f}x{h_in:.1f}"
    ctx.png_cache[key] = data
    ctx.charts_drawn += 1
    return data


# --------------------------------------------------------------------------- tables

CELL_LR = int(0.08 * IN)
CELL_TB = int(0.06 * IN)


@dataclass
class TablePlan:
    size: float
    widths: list[int]
    aligns: list[str]
    header_h: int
    row_hs: list[int]
    caption_h: int
    caption_size: float = 12.0
    caption_bold: bool = True

    def height(self, rows: Sequence[int] | None = None) -> int:
        idx = range(len(self.row_hs)) if rows is None else rows
        return self.caption_h + self.header_h + sum(self.row_hs[i] for i in idx)


def _cell_pieces(ctx: Ctx, cell: Cell) -> tuple[Piece, ...]:
    return _cell_pieces_for(cell, ctx.status(cell.status) if cell.status else None)


@functools.lru_cache(maxsize=4096)
def _cell_pieces_for(cell: Cell, status_colour: str | None) -> tuple[Piece, ...]:
    """A cell's pieces, its status dot in `status_colour` (cached: a deck plans each table at
    several sizes and draws it; measuring passes None, the dot's colour is not measured)."""
    if cell.placeholder is not None:
        return (Piece(clean(cell.placeholder.marker), True, True),)
    pieces = _pieces_from_text(cell.text, cell.bold, None)
    if cell.status:
        return (Piece("● ", False, False, status_colour), *pieces)
    return pieces


@functools.lru_cache(maxsize=4096)
def _cell_measure(cell: Cell) -> tuple[str, bool, tuple[Token, ...]]:
    """What table planning measures of a cell: its text, whether any of it is bold, tokens."""
    pieces = _cell_pieces_for(cell, None)
    return "".join(p.text for p in pieces), any(p.bold for p in pieces), tokens(pieces)


def is_numeric(text: str) -> bool:
    t = text.strip()
    return t in _DASHES or bool(_NUMERIC.match(t))


def _column_aligns(block: TableBlock) -> list[str]:
    """Right-align a column whose every filled body cell is a number; explicit aligns win."""
    aligns: list[str] = []
    for c in range(len(block.columns)):
        cells = [row[c] for row in block.rows if c < len(row)]
        explicit = {cell.align for cell in cells if cell.align != "left"}
        if len(explicit) == 1:
            aligns.append(explicit.pop())
            continue
        texts = [cell.text for cell in cells if cell.placeholder is None and cell.text.strip()]
        numeric = (
            bool(texts)
            and all(is_numeric(t) for t in texts)
            and any(t.strip() not in _DASHES for t in texts)
        )
        aligns.append("right" if numeric else "left")
    return aligns


def _natural_widths(family: str, block: TableBlock, size: float) -> tuple[list[float], list[float]]:
    """Per column: widest cell on one line, and widest single word (points, with padding)."""
    pad = pt(2 * CELL_LR) + 2
    nat, mins = [], []
    for widest, widest_word in _column_extents(family, block.columns, block.rows):
        nat.append(scaled_width(widest, size) + pad)
        mins.append(min(scaled_width(widest_word, size) + pad, 2.2 * 72))
    return nat, mins


@functools.lru_cache(maxsize=64)
def _column_extents(
    family: str, columns: tuple[str, ...], rows: tuple[tuple[Cell, ...], ...]
) -> tuple[tuple[float, float], ...]:
    """Per column, at the reference size: the widest cell on one line and the widest single
    word (the header is bold). Measured once per table: `_natural_widths` scales them to each
    size it is asked for, and as scaling keeps the order these are the widest at every size."""
    out = []
    for c, head in enumerate(columns):
        widths, words = _text_extent(family, True, clean(head))
        for row in rows:
            if c >= len(row):
                continue
            text, bold, _ = _cell_measure(row[c])
            width, word = _text_extent(family, bold, text)
            widths = max(widths, width)
            words = max(words, word)
        out.append((widths, words))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _text_extent(family: str, bold: bool, text: str) -> tuple[float, float]:
    """(width on one line, widest word) of `text` at the reference size."""
    face = Face(family, bold)
    return face.ref_width(text), max((face.ref_width(w) for w in text.split()), default=0.0)


def _water_fill(nat: list[float], mins: list[float], total: float) -> list[float]:
    """Column widths like a browser's auto table layout.

    Columns whose one-line width is at most an even share of what is left get exactly that
    (short columns such as numbers and statuses never wrap); the long columns split the rest in
    proportion to their one-line width, never below their longest word. Spare room when
    everything fits goes to the columns proportionally, so the table spans the region.
    """
    n = len(nat)
    if sum(nat) <= total:
        extra = total - sum(nat)
        return [w + extra * w / sum(nat) for w in nat]
    widths: list[float | None] = [None] * n
    left = total
    while True:
        open_cols = [i for i in range(n) if widths[i] is None]
        if not open_cols:
            break
        share = left / len(open_cols)
        small = [i for i in open_cols if nat[i] <= share]
        if not small:
            break
        for i in small:
            widths[i] = nat[i]
            left -= nat[i]
    open_cols = [i for i in range(n) if widths[i] is None]
    if open_cols:
        want = sum(nat[i] for i in open_cols)
        for i in open_cols:
            widths[i] = max(mins[i], left * nat[i] / want)
    out = [w or 0.0 for w in widths]
    scale = total / sum(out)  # mins may have pushed past the total: scale back to fit
    return [w * scale for w in out] if scale < 1 else out


def plan_table(ctx: Ctx, block: TableBlock, width: int, size: float) -> TablePlan:
    """Column widths and row heights of `block` at `width` and text `size` (a fresh copy of a
    cached plan: the arranger, `choose_table_plan` and continuation slides plan the same table
    at the same sizes several times a deck)."""
    plan = _plan_table(ctx.body_font, block, width, size)
    return TablePlan(
        plan.size,
        list(plan.widths),
        list(plan.aligns),
        plan.header_h,
        list(plan.row_hs),
        plan.caption_h,
        plan.caption_size,
        plan.caption_bold,
    )


@functools.lru_cache(maxsize=128, typed=True)
def _plan_table(family: str, block: TableBlock, width: int, size: float) -> TablePlan:
    ncol = len(block.columns)
    total = pt(width)
    nat, mins = _natural_widths(family, block, size)
    if block.widths and len(block.widths) == ncol and sum(block.widths) > 0:
        ws = _respect_mins([total * w / sum(block.widths) for w in block.widths], mins, total)
    else:
        ws = _water_fill(nat, mins, total)
    widths = [emu_from_pt(w) for w in ws]
    widths[-1] = width - sum(widths[:-1])
    inner = [pt(w - 2 * CELL_LR) for w in widths]

    def row_h(cells: Sequence[tuple[Token, ...]]) -> int:
        lines = max(
            (len(wrap(toks, family, size, inner[i])) for i, toks in enumerate(cells)),
            default=1,
        )
        return emu_from_pt(lines * size * LINE_HEIGHT) + 2 * CELL_TB + int(0.01 * IN)

    header_h = row_h([(Token(clean(h), True),) for h in block.columns])
    row_hs = [row_h([_cell_measure(cell)[2] for cell in row[:ncol]]) for row in block.rows]
    caption_size, caption_bold, caption_h = _caption_fit(family, block.caption, width)
    return TablePlan(
        size, widths, _column_aligns(block), header_h, row_hs, caption_h, caption_size, caption_bold
    )


CAPTION_GAP = int(0.08 * IN)


def _caption_fit(family: str, caption: str | None, width: int) -> tuple[float, bool, int]:
    """(size, bold, height incl. gap) of a table caption: a bold one-line label at 12pt, or
    a longer note (a method statement) in regular weight, 11 down to 9pt, up to 3 lines."""
    if not caption:
        return 12.0, True, 0
    text = clean(caption)
    if len(wrap((Token(text, True),), family, 12, pt(width))) == 1:
        return 12.0, True, emu_from_pt(12 * LINE_HEIGHT) + CAPTION_GAP
    result = fit(
        [ParaSpec((Token(text),))], family, pt(width), 3 * 11 * LINE_HEIGHT, 11, 9, step=0.5
    )
    lines = min(result.lines, 3)
    return result.size, False, emu_from_pt(lines * result.size * LINE_HEIGHT) + CAPTION_GAP


def _respect_mins(ws: list[float], mins: list[float], total: float) -> list[float]:
    """Given widths (a deck spec's proportions), widen columns narrower than their longest
    word, taking the room from columns that have some to spare, so no word is split."""
    short = [i for i, (w, m) in enumerate(zip(ws, mins, strict=True)) if w < m]
    if not short:
        return ws
    deficit = sum(mins[i] - ws[i] for i in short)
    slack = {i: ws[i] - mins[i] for i in range(len(ws)) if i not in short and ws[i] > mins[i]}
    spare = sum(slack.values())
    if spare < deficit:
        scale = total / sum(mins)
        return [m * scale for m in mins]
    out = list(ws)
    for i in short:
        out[i] = mins[i]
    for i, room in slack.items():
        out[i] -= deficit * room / spare
    return out


def choose_table_plan(
    ctx: Ctx, block: TableBlock, width: int, height: int | None, base: float, floor: float
) -> tuple[TablePlan, bool]:
    """The largest size (base..floor) at which the table fits `height`; else the base size
    (the caller continues the rest on another slide). Returns (plan, fits)."""
    size = base
    plan = plan_table(ctx, block, width, size)
    while height is not None and plan.height() > height and size - 1 >= floor:
        size -= 1
        plan = plan_table(ctx, block, width, size)
    if height is None or plan.height() <= height:
        return plan, True
    return plan_table(ctx, block, width, max(floor, base - 1)), False


ALIGN = {"left": PP_ALIGN.LEFT, "right": PP_ALIGN.RIGHT, "center": PP_ALIGN.CENTER}


def draw_table(
    ctx: Ctx,
    slide: Any,
    block: TableBlock,
    plan: TablePlan,
    rows: Sequence[int],
    rect: Rect,
    *,
    caption: str | None,
) -> int:
    """Draw `rows` (indexes into block.rows) with a repeated header; returns the height used."""
    y = rect.y
    if caption:
        one_line(
            ctx,
            slide,
            Rect(rect.x, y, rect.w, plan.caption_h - CAPTION_GAP),
            caption,
            size=plan.caption_size,
            min_size=plan.caption_size,
            colour=ctx.subtle,
            bold=plan.caption_bold,
            max_lines=3,
            anchor=MSO_ANCHOR.BOTTOM,
            name="Table caption",
        )
        y += plan.caption_h
    ncol = len(block.columns)
    height = plan.header_h + sum(plan.row_hs[i] for i in rows)
    header_fill = ctx.primary
    header_pr = _cell_pr(header_fill, None)
    header_colour = on_colour(header_fill, ctx.text)
    trs = [
        _tr(
            plan.header_h,
            (
                (
                    ALGN[plan.aligns[c]],
                    pieces_xml(ctx, [Piece(clean(head), True)], plan.size, header_colour),
                    header_pr,
                )
                for c, head in enumerate(block.columns)
            ),
        )
    ]
    band = mix(ctx.primary, "#FFFFFF", 0.955)
    for r, index in enumerate(rows, start=1):
        row = block.rows[index]
        cells = []
        for c in range(ncol):
            model = row[c] if c < len(row) else Cell("")
            if model.placeholder is not None:
                fill = ctx.style.placeholder.fill
            elif model.status:
                fill = mix(ctx.status(model.status), "#FFFFFF", 0.84)
            else:
                fill = band if r % 2 == 0 else "#FFFFFF"
            align = ALGN[model.align if model.align != "left" else plan.aligns[c]]
            runs = pieces_xml(ctx, _cell_pieces(ctx, model), plan.size, ctx.text)
            cells.append((align, runs, _cell_pr(fill, ctx.rule)))
        trs.append(_tr(plan.row_hs[index], cells))
    shape_id = tpl.next_shape_id(slide)
    name = f"Table {clean(block.caption or block.columns[0])[:40]}"
    grid = "".join(f'<a:gridCol w="{int(w)}"/>' for w in plan.widths)
    frame = tpl.parse_shape_xml(
        _TABLE.format(
            ns=tpl.NSDECLS,
            id=shape_id,
            name=quoteattr(name[:250]),
            x=int(rect.x),
            y=int(y),
            w=sum(int(w) for w in plan.widths),
            h=plan.header_h + sum(plan.row_hs[i] for i in rows),
            style=tpl.NO_GRID_TABLE_STYLE,
            grid=grid,
            rows="".join(trs),
        )
    )
    tpl.append_shape(slide, frame)
    return (y - rect.y) + height


# What python-pptx's `add_table` and the cell setters produce (see `draw_table`), built as one
# XML string: ~25 cells a table each cost ~0.3 ms through the python-pptx API.
_TABLE = (
    '<p:graphicFrame {ns}><p:nvGraphicFramePr><p:cNvPr id="{id}" name={name}/>'
    '<p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/>'
    '</p:nvGraphicFramePr><p:xfrm><a:off x="{x}" y="{y}"/><a:ext cx="{w}" cy="{h}"/>'
    '</p:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/'
    'table"><a:tbl><a:tblPr firstRow="1" bandRow="0"><a:tableStyleId>{style}'
    "</a:tableStyleId></a:tblPr><a:tblGrid>{grid}</a:tblGrid>{rows}</a:tbl></a:graphicData>"
    "</a:graphic></p:graphicFrame>"
)
ALGN = {"left": "l", "right": "r", "center": "ctr"}


def _tr(height: int, cells: Iterable[tuple[str, str, str]]) -> str:
    tcs = "".join(
        f'<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:pPr algn="{align}"/>{runs}</a:p>'
        f"</a:txBody>{tc_pr}</a:tc>"
        for align, runs, tc_pr in cells
    )
    return f'<a:tr h="{int(height)}">{tcs}</a:tr>'


@functools.lru_cache(maxsize=256)
def _cell_pr(fill: str, rule: str | None) -> str:
    return tpl.cell_pr_xml(
        fill,
        margins=(CELL_LR, CELL_LR, CELL_TB, CELL_TB),
        bottom_rule=(9525, rule) if rule else None,
    )


# --------------------------------------------------------------------------- text blocks

BULLET_INDENT = 0.24  # inches per level


_ParaItem = tuple[ParaSpec, Sequence[Piece], "Paragraph | None"]


def _text_paras(ctx: Ctx, block: TextBlock, size: float) -> list[_ParaItem]:
    return list(_text_items(block, size, ctx.primary))


@functools.lru_cache(maxsize=256, typed=True)
def _text_items(block: TextBlock, size: float, primary: str) -> tuple[_ParaItem, ...]:
    """A text block's paragraphs as (measure spec, pieces, model paragraph), the heading in
    `primary`. Cached: a block is measured at several sizes, then drawn, in one deck."""
    out: list[_ParaItem] = []
    if block.heading:
        pieces = _pieces_from_text(block.heading, True, primary)
        out.append((ParaSpec(tokens(pieces), size_scale=1.12), pieces, None))
    for i, para in enumerate(block.paragraphs):
        pieces = tuple(pieces_from_paragraph(para))
        indent = BULLET_INDENT * (para.level + (1 if para.bullet else 0)) * 72
        before = size * 0.5 if (i or block.heading) else 0.0
        out.append(
            (ParaSpec(tokens(pieces), indent_pt=indent, space_before_pt=before), pieces, para)
        )
    return tuple(out)


@functools.lru_cache(maxsize=256)
def is_all_placeholder(block: TextBlock) -> bool:
    runs = [r for p in block.paragraphs for r in p.runs if r.placeholder or r.text.strip()]
    return bool(runs) and all(r.placeholder is not None for r in runs)


PH_PAD = 0.14  # inches of padding inside a flagged placeholder box


def text_height(ctx: Ctx, block: TextBlock, width: int, size: float) -> int:
    return _text_block_height(ctx.body_font, ctx.primary, block, width, size)


@functools.lru_cache(maxsize=1024, typed=True)
def _text_block_height(family: str, primary: str, block: TextBlock, width: int, size: float) -> int:
    """`text_height`, cached: the arranger and `draw_text` ask for a block's height at the same
    sizes several times a deck."""
    boxed = is_all_placeholder(block)
    w = width - (int(2 * PH_PAD * IN) if boxed else 0)
    paras = [spec for spec, _, _ in _text_items(block, size, primary)]
    h, _ = measure_height(paras, family, size, pt(w))
    return emu_from_pt(h) + (int(2 * PH_PAD * IN) if boxed else 0) + int(0.04 * IN)


def draw_text(
    ctx: Ctx, slide: Any, block: TextBlock, rect: Rect, base: float, floor: float
) -> tuple[float, bool]:
    """Draw a text block in `rect` at the largest size that fits; (size, truncated)."""
    boxed = is_all_placeholder(block)
    pad = int(PH_PAD * IN) if boxed else 0
    inner_w, inner_h = rect.w - 2 * pad, rect.h - 2 * pad
    size = base
    while size > floor and text_height(ctx, block, rect.w, size) > rect.h:
        size -= 0.5
    paras = _text_paras(ctx, block, size)
    truncated = text_height(ctx, block, rect.w, size) > rect.h
    if truncated:
        paras = _truncate_paras(ctx, paras, size, inner_w, inner_h)
    height = rect.h if boxed else min(rect.h, text_height(ctx, block, rect.w, size))
    # Each paragraph as `tpl.set_spacing`, `tpl.set_bullet`, the rtl/alignment setters and
    # `write` would leave it, written into the text box's XML in one parse.
    xml = []
    for spec, pieces, para in paras:
        margin = int(spec.indent_pt / 72 * IN)
        if para is not None and para.bullet:
            attrs = f' marL="{margin}" indent="{-int(BULLET_INDENT * 0.85 * IN)}"'
            bullet = (
                f'<a:buClr><a:srgbClr val="{ctx.primary.lstrip("#").upper()}"/></a:buClr>'
                '<a:buFont typeface="Arial"/><a:buChar char="•"/>'
            )
        else:
            attrs = f' marL="{margin}" indent="0"'
            bullet = "<a:buNone/>"
        if _is_rtl(pieces):
            attrs += ' rtl="1" algn="r"'
        colour = ctx.primary if para is None else ctx.text
        runs = pieces_xml(ctx, pieces, size * spec.size_scale, colour)
        p_pr = f"<a:pPr{attrs}>{_spacing_xml(spec.space_before_pt)}{bullet}</a:pPr>"
        xml.append(_para_xml(runs, p_pr))
    textbox(
        slide,
        Rect(rect.x, rect.y, rect.w, height),
        insets=(PH_PAD, PH_PAD, PH_PAD, PH_PAD) if boxed else (0, 0, 0, 0),
        name="Placeholder" if boxed else "Text",
        paras="".join(xml) or "<a:p/>",
        fill=ctx.style.placeholder.fill if boxed else None,
        line=ctx.style.placeholder.border if boxed else None,
    )
    return size, truncated


def _is_rtl(pieces: Sequence[Piece]) -> bool:
    """A paragraph whose first strong character is Arabic/Hebrew reads right to left."""
    for ch in "".join(p.text for p in pieces):
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return True
        if bidi == "L":
            return False
    return False


def _truncate_paras(
    ctx: Ctx, paras: list[_ParaItem], size: float, width: int, height: int
) -> list[_ParaItem]:
    """Cut text that cannot fit even at the floor size, keeping every placeholder marker.

    Whole paragraphs are kept while they fit, the next is cut with "…"; markers that fell in
    the cut text are re-added as a last paragraph (shrinking the room for the rest), because a
    lost `[[CSM: ...]]` would let an unfinished deck pass `deckgen check`.
    """
    wanted = [p.text for _, pieces, _ in paras for p in pieces if p.placeholder]
    reserve = 0
    while True:
        out = _cut_paras(ctx, paras, size, width, height - reserve)
        kept = {p.text for _, pieces, _ in out for p in pieces if p.placeholder}
        lost = list(dict.fromkeys(m for m in wanted if m not in kept))
        if not lost:
            return out
        pieces = [piece for m in lost for piece in (Piece(m, True, True), Piece(" "))]
        spec = ParaSpec(tokens(pieces), space_before_pt=size * 0.5)
        need_pt, _ = measure_height([spec], ctx.body_font, size, pt(width))
        need = emu_from_pt(need_pt + size * 0.5)
        if need >= height:
            return [(ParaSpec(spec.tokens), pieces, None)]
        if need > reserve:
            reserve = need
            continue
        return [*out, (spec, pieces, None)]


def _cut_paras(
    ctx: Ctx, paras: list[_ParaItem], size: float, width: int, height: int
) -> list[_ParaItem]:
    out: list[_ParaItem] = []
    used = 0.0
    limit = pt(height)
    for spec, pieces, para in paras:
        s = size * spec.size_scale
        lines = wrap(spec.tokens, ctx.body_font, s, pt(width) - spec.indent_pt)
        need = len(lines) * s * LINE_HEIGHT + (spec.space_before_pt if out else 0)
        if used + need <= limit:
            out.append((spec, pieces, para))
            used += need
            continue
        room = int((limit - used - (spec.space_before_pt if out else 0)) // (s * LINE_HEIGHT))
        if room >= 1:
            text = "".join(p.text for p in pieces)
            cut = truncate_to_lines(text, ctx.body_font, s, pt(width) - spec.indent_pt, room)
            bold = bool(pieces) and pieces[0].bold
            out.append((spec, pieces_from_text(cut, bold=bold), para))
        elif out:
            # No room for even a line of the next paragraph: end the last one with "…" so the
            # reader sees that text follows (in the notes).
            last_spec, last_pieces, last_para = out[-1]
            ls = size * last_spec.size_scale
            last_w = pt(width) - last_spec.indent_pt
            text = "".join(p.text for p in last_pieces)
            n = len(wrap(last_spec.tokens, ctx.body_font, ls, last_w))
            cut = truncate_to_lines(text, ctx.body_font, ls, last_w, n, force=True)
            out[-1] = (last_spec, pieces_from_text(cut), last_para)
        break
    return out
