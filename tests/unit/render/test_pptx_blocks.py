"""Block drawing: shapes built as one XML string equal what the python-pptx setters write, and
the measuring caches hand out answers that cannot be mutated or mixed up between fonts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Pt

from deckgen.charting.style import ChartStyle
from deckgen.model.deck import Cell, Paragraph, Placeholder, Run, ScoreBlock, TableBlock, TextBlock
from deckgen.render import pptx_blocks as bk
from deckgen.render import pptx_template as tpl
from deckgen.render.pptx_text import (
    ParaSpec,
    Token,
    fit,
    font_file,
    text_height,
    truncate_to_lines,
)

IN = bk.IN
PH = Placeholder("note", "Say what the customer got")
ARABIC = "مرحبا بكم في المراجعة الفصلية للأعمال"
LONG = "Renewal risk is moderate because two champions left and weekly usage fell 14%. " * 5


def _ctx(style: ChartStyle, body: str = "Calibri", head: str = "Calibri Light") -> bk.Ctx:
    notes: list[str] = []
    return bk.Ctx(style, body, head, "native", {}, notes.append)


def _slide() -> Any:
    prs = Presentation()
    return prs.slides.add_slide(prs.slide_layouts[6])


def _xml(element: Any) -> str:
    return etree.tostring(element, encoding="unicode")


def _text_box_by_setters(
    ctx: bk.Ctx, slide: Any, block: TextBlock, rect: bk.Rect, size: float, boxed: bool
) -> Any:
    """The text box `draw_text` drew through python-pptx's setters before it wrote XML."""
    shape = bk.textbox(
        slide,
        rect,
        insets=(bk.PH_PAD,) * 4 if boxed else (0, 0, 0, 0),
        name="Placeholder" if boxed else "Text",
    )
    if boxed:
        shape.fill.solid()
        shape.fill.fore_color.rgb = bk.rgb(ctx.style.placeholder.fill)
        shape.line.color.rgb = bk.rgb(ctx.style.placeholder.border)
        shape.line.width = Pt(1.25)
        tpl.set_dash(shape, "dash")
    tf = shape.text_frame
    for i, (spec, pieces, para) in enumerate(bk._text_paras(ctx, block, size)):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        tpl.set_spacing(p, before_pt=spec.space_before_pt, line_pct=100)
        margin = int(spec.indent_pt / 72 * IN)
        if para is not None and para.bullet:
            indent = int(bk.BULLET_INDENT * 0.85 * IN)
            tpl.set_bullet(p, "•", indent_emu=indent, margin_emu=margin, colour=ctx.primary)
        else:
            tpl.set_bullet(p, None, margin_emu=margin)
        if bk._is_rtl(pieces):
            p._p.get_or_add_pPr().set("rtl", "1")
            p.alignment = PP_ALIGN.RIGHT
        colour = ctx.primary if para is None else ctx.text
        bk.write(ctx, p, pieces, size * spec.size_scale, colour)
    return shape


@pytest.mark.parametrize("boxed", [False, True], ids=["text", "placeholder-box"])
def test_draw_text_xml_equals_the_setters(style: ChartStyle, boxed: bool) -> None:
    ctx = _ctx(style)
    if boxed:
        block = TextBlock((Paragraph((Run("", placeholder=PH),)),))
    else:
        block = TextBlock(
            (
                Paragraph((Run("Adoption grew & support calmed <down>."),)),
                Paragraph((Run("Bold bullet", bold=True), Run(" then plain")), bullet=True),
                Paragraph((Run("Nested "), Run("", placeholder=PH)), level=1, bullet=True),
                Paragraph((Run(ARABIC),)),
                Paragraph((Run("two\nlines"),), level=2),
            ),
            heading="What changed",
        )
    rect = bk.Rect(0, 0, 8 * IN, 4 * IN)
    slide = _slide()
    size, truncated = bk.draw_text(ctx, slide, block, rect, 16, 16)
    assert not truncated
    drawn = slide.shapes[-1]
    height = rect.h if boxed else min(rect.h, bk.text_height(ctx, block, rect.w, size))
    expected = _text_box_by_setters(
        _ctx(style), _slide(), block, bk.Rect(0, 0, rect.w, height), size, boxed
    )
    assert _xml(drawn._element) == _xml(expected._element)
    if not boxed:
        assert 'rtl="1"' in _xml(drawn._element)  # the Arabic paragraph


@pytest.mark.parametrize("align", [PP_ALIGN.LEFT, PP_ALIGN.CENTER, None])
def test_one_line_xml_equals_the_setters(style: ChartStyle, align: Any) -> None:
    ctx = _ctx(style)
    slide = _slide()
    rect = bk.Rect(0, 0, 6 * IN, int(0.5 * IN))
    text = "Quarterly [[CSM: add the win]] & more"
    kw: dict[str, Any] = dict(size=14, min_size=14, colour="#334455", bold=True, name="L")
    shape = bk.one_line(ctx, slide, rect, text, align=align, font=ctx.head_font, **kw)

    expected = bk.textbox(_slide(), rect, anchor=MSO_ANCHOR.TOP, name="L")
    p = expected.text_frame.paragraphs[0]
    p.alignment = align
    tpl.set_spacing(p, line_pct=100)
    pieces = bk.pieces_from_text(text, bold=True, colour="#334455")
    bk.write(_ctx(style), p, pieces, 14, "#334455", font=ctx.head_font)
    assert _xml(shape._element) == _xml(expected._element)
    assert ctx.markers == ["[[CSM: add the win]]"]


def test_score_pill_xml_equals_the_setters(style: ChartStyle) -> None:
    ctx = _ctx(style)
    slide = _slide()
    block = ScoreBlock(label="Health", value="72", status="yellow", caption="", delta=None)
    bk.draw_score(ctx, slide, block, bk.Rect(0, 0, 6 * IN, bk.SCORE_H))
    pill = next(s for s in slide.shapes if s.name == "Band")

    expected = bk._rounded(
        _slide(),
        bk.Rect(pill.left, pill.top, pill.width, pill.height),
        ctx.status("yellow"),
        radius=0.15,
        name="Band",
    )
    tf = expected.text_frame
    tf.margin_left = tf.margin_right = Emu(int(0.06 * IN))
    tf.margin_top = tf.margin_bottom = Emu(0)
    tf.vertical_anchor = MSO_ANCHOR.MIDDLE
    tf.word_wrap = False
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.CENTER
    bk.write(ctx, p, [bk.Piece("Yellow", True)], 11, bk.on_colour(ctx.status("yellow"), ctx.text))
    # Shape ids differ (the pill is not the first shape on its slide): compare from spPr on.
    got, want = _xml(pill._element), _xml(expected._element)
    assert got[got.index("<p:spPr") :] == want[want.index("<p:spPr") :]


def test_plan_table_hands_out_copies(style: ChartStyle) -> None:
    ctx = _ctx(style)
    block = TableBlock(
        ("Goal", "Status"),
        ((Cell("Cut onboarding time"), Cell("On track", status="green")),) * 3,
        caption="Goals",
    )
    first = bk.plan_table(ctx, block, 6 * IN, 12)
    first.row_hs[0] = 1
    first.widths.clear()
    second = bk.plan_table(ctx, block, 6 * IN, 12)
    assert second.row_hs[0] != 1 and len(second.widths) == 2
    assert second == bk.plan_table(ctx, block, 6 * IN, 12)


def test_caches_are_keyed_by_font(style: ChartStyle) -> None:
    """A wide and a narrow face must not share cached answers for the same text."""
    paras = [ParaSpec((Token(LONG),))]
    narrow, wide = "Liberation Sans", "DejaVu Sans Mono"
    if font_file(narrow) == font_file(wide):
        pytest.skip("one font file stands in for both families on this machine")
    assert text_height(paras, narrow, 12, 300) != text_height(paras, wide, 12, 300)
    assert fit(paras, narrow, 300, 200, 14, 8) != fit(paras, wide, 300, 200, 14, 8)
    assert truncate_to_lines(LONG, narrow, 12, 300, 2) != truncate_to_lines(LONG, wide, 12, 300, 2)
    block = TableBlock(("Note",), ((Cell(LONG),),))
    assert bk.plan_table(_ctx(style, narrow), block, 4 * IN, 12) != bk.plan_table(
        _ctx(style, wide), block, 4 * IN, 12
    )
    text = TextBlock((Paragraph((Run(LONG),)),))
    assert bk.text_height(_ctx(style, narrow), text, 4 * IN, 12) != bk.text_height(
        _ctx(style, wide), text, 4 * IN, 12
    )


def test_pieces_from_text_returns_a_fresh_list() -> None:
    first = bk.pieces_from_text("Plan [[CSM: owner]] next", bold=True)
    first.append(bk.Piece("extra"))
    second = bk.pieces_from_text("Plan [[CSM: owner]] next", bold=True)
    assert [p.text for p in second] == ["Plan ", "[[CSM: owner]]", " next"]
    assert [p.placeholder for p in second] == [False, True, False]


def test_text_block_heading_follows_the_primary_colour(style: ChartStyle) -> None:
    """The cached paragraphs are keyed by the colour their heading is drawn in."""
    block = TextBlock((Paragraph((Run("Body"),)),), heading="Heading")
    ctx = _ctx(style)
    other = _ctx(style)
    other.style = replace(style, palette=replace(style.palette, primary="#123456"))
    assert bk._text_paras(ctx, block, 14)[0][1][0].colour == ctx.primary
    assert bk._text_paras(other, block, 14)[0][1][0].colour == "#123456"


def _natural_widths_measured_per_size(
    family: str, block: TableBlock, size: float
) -> tuple[list[float], list[float]]:
    """Natural widths the way they were measured before `_column_extents`: every string at
    every size."""
    pad = bk.pt(2 * bk.CELL_LR) + 2
    nat, mins = [], []
    for c, head in enumerate(block.columns):
        head_face = bk.Face(family, True)
        widths = [head_face.width(bk.clean(head), size)]
        words = [max((head_face.width(w, size) for w in bk.clean(head).split()), default=0)]
        for row in block.rows:
            if c >= len(row):
                continue
            pieces = bk._cell_pieces_for(row[c], None)
            text = "".join(p.text for p in pieces)
            face = bk.Face(family, any(p.bold for p in pieces))
            widths.append(face.width(text, size))
            words.append(max((face.width(w, size) for w in text.split()), default=0))
        nat.append(max(widths) + pad)
        mins.append(min(max(words) + pad, 2.2 * 72))
    return nat, mins


@pytest.mark.parametrize("family", ["Liberation Sans", "Calibri", "DejaVu Sans Mono"])
def test_natural_widths_scaled_from_one_measurement_equal_measuring_per_size(family: str) -> None:
    words = ["Renewal", "risk", "WWW", "iii", "Onboarding", "1,234", "$98,765.43", "—", "", "  "]
    rows = tuple(
        (
            Cell(" ".join(words[(i + k) % len(words)] for k in range(i % 5))),
            Cell(words[i % len(words)], bold=i % 2 == 0, status="green" if i % 3 else None),
            Cell(LONG[: i * 7]) if i != 4 else Cell("", placeholder=PH),
        )
        for i in range(12)
    )
    block = TableBlock(("Goal owner", "Status", "Note"), rows)
    for size in (8, 9, 9.5, 10, 11, 12, 12.5, 13, 14, 18, 28):
        assert bk._natural_widths(family, block, size) == _natural_widths_measured_per_size(
            family, block, size
        )
