"""render_pptx end to end: every block kind, both templates, both chart modes, hostile text."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pptx.enum.text import PP_ALIGN

from deckgen.charting.style import ChartStyle
from deckgen.check import find_placeholders
from deckgen.model.deck import Deck, Slide, TableBlock
from deckgen.render.pptx import RenderReport, render_pptx
from deckgen.render.pptx_template import TemplateError
from tests.pptx_lint import assert_clean_pptx
from tests.unit.render.sample_deck import (
    CSM_PRIORITIES,
    HOSTILE,
    LONG_NAME,
    MISSING_NPS,
    enterprise_deck,
    hostile_deck,
)

WHEN = datetime(2026, 10, 2, 9, 30, tzinfo=timezone.utc)
SAMPLE_TITLES = {"Presentation title goes here", "How to use this template"}


def _render(
    deck: Deck, out: Path, template: Path | None, charts: str, style: ChartStyle
) -> RenderReport:
    return render_pptx(
        deck,
        out,
        template=template,
        charts=charts,  # type: ignore[arg-type]
        style=style,
        png_cache={},
        created=WHEN,
    )


@pytest.fixture(
    scope="module", params=["default-image", "default-native", "alt-image", "alt-native"]
)
def rendered(
    request: Any, tmp_path_factory: pytest.TempPathFactory, style: ChartStyle, alt_template: Path
) -> tuple[Deck, Path, RenderReport, str]:
    template_name, charts = request.param.split("-")
    deck = enterprise_deck()
    out = tmp_path_factory.mktemp("pptx") / f"{request.param}.pptx"
    template = alt_template if template_name == "alt" else None
    report = _render(deck, out, template, charts, style)
    return deck, out, report, request.param


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, style: ChartStyle
) -> tuple[Deck, Path, RenderReport]:
    deck = hostile_deck()
    out = tmp_path_factory.mktemp("pptx") / "hostile.pptx"
    return deck, out, _render(deck, out, None, "image", style)


def _title(slide: Any) -> str:
    for ph in slide.placeholders:
        if ph.placeholder_format.type in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE):
            return str(ph.text_frame.text)
    return ""


def _walk(shapes: Any) -> Iterator[Any]:
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _walk(shape.shapes)
        else:
            yield shape


def _texts(slide: Any) -> list[str]:
    out: list[str] = []
    for shape in _walk(slide.shapes):
        if shape.has_text_frame:
            out.extend(p.text for p in shape.text_frame.paragraphs)
        if getattr(shape, "has_table", False) and shape.has_table:
            out.extend(c.text for row in shape.table.rows for c in row.cells)
    return out


def _tables(slide: Any) -> list[Any]:
    return [s.table for s in slide.shapes if getattr(s, "has_table", False) and s.has_table]


# --------------------------------------------------------------------------- enterprise deck


def test_slide_count_and_titles(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    deck, out, report, _ = rendered
    prs = Presentation(str(out))
    assert len(prs.slides) == len(deck.slides) == report.slides == 15
    assert [_title(s) for s in prs.slides] == [m.title for m in deck.slides]
    assert prs.slide_width == 12192000 and prs.slide_height == 6858000


def test_structure_is_clean(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    assert_clean_pptx(rendered[1])


def test_charts_present_with_alt_text(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    deck, out, _, name = rendered
    prs = Presentation(str(out))
    adoption = prs.slides[7]  # "Adoption and engagement": users + features charts
    specs = {b.chart.alt_text for b in deck.slides[7].blocks if b.kind == "chart"}
    if name.endswith("image"):
        shapes = [s for s in adoption.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    else:
        shapes = [s for s in adoption.shapes if getattr(s, "has_chart", False) and s.has_chart]
    assert len(shapes) == 2
    descr = {s._element.find(".//{*}cNvPr").get("descr") for s in shapes}
    assert descr == specs
    # The "so what" sentence is shown as the chart's headline.
    texts = _texts(adoption)
    for block in deck.slides[7].blocks:
        assert block.chart.so_what in texts  # type: ignore[union-attr]


def test_table_cells_numbers_and_status(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    _, out, _, _ = rendered
    prs = Presentation(str(out))
    (table,) = _tables(prs.slides[2])  # executive summary: key metrics
    assert [c.text for c in table.rows[0].cells] == [
        "Metric",
        "Current",
        "Trend",
        "Target",
        "Status",
    ]
    assert table.cell(1, 0).text == "Active users"
    assert table.cell(1, 1).text == "748"
    assert table.cell(1, 1).text_frame.paragraphs[0].alignment == PP_ALIGN.RIGHT
    assert table.cell(1, 0).text_frame.paragraphs[0].alignment == PP_ALIGN.LEFT
    assert table.cell(1, 4).text.endswith("On track")
    assert table.cell(4, 1).text == MISSING_NPS.marker
    # Status cells are tinted, and differently for green and yellow.
    green = table.cell(1, 4).fill.fore_color.rgb
    yellow = table.cell(3, 4).fill.fore_color.rgb
    assert green != yellow


def test_notes_list_placeholders_on_every_slide(
    rendered: tuple[Deck, Path, RenderReport, str],
) -> None:
    deck, out, _, _ = rendered
    prs = Presentation(str(out))
    for model, slide in zip(deck.slides, prs.slides, strict=True):
        notes = slide.notes_slide.notes_text_frame.text
        assert "Placeholders to fill:" in notes
        if model.notes:
            assert model.notes in notes
        for ph in model.placeholders:
            assert ph.marker in notes
    assert CSM_PRIORITIES.marker in prs.slides[3].notes_slide.notes_text_frame.text
    assert "Placeholders to fill: none." in prs.slides[1].notes_slide.notes_text_frame.text


def test_placeholders_found_by_check(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    deck, out, report, _ = rendered
    found = find_placeholders(out)
    assert found == report.placeholders
    markers = {m for _, m in found}
    assert CSM_PRIORITIES.marker in markers and MISSING_NPS.marker in markers
    assert (4, CSM_PRIORITIES.marker) in found
    assert all(m.startswith(("[[CSM: ", "[[DATA MISSING: ")) and m.endswith("]]") for m in markers)
    # Every placeholder the model lists on a slide is on that slide.
    for number, model in enumerate(deck.slides, start=1):
        for ph in model.placeholders:
            assert (number, ph.marker) in found


def test_core_properties(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    deck, out, _, _ = rendered
    cp = Presentation(str(out)).core_properties
    assert cp.author == deck.author
    assert cp.last_modified_by == deck.author
    assert cp.title == deck.title
    assert cp.subject == deck.subject
    assert "QBR" in cp.keywords
    assert cp.created == WHEN.replace(tzinfo=None)
    assert cp.modified == WHEN.replace(tzinfo=None)
    assert cp.revision == 1
    with zipfile.ZipFile(out) as zf:
        props = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("docProps/"))
    assert b"python-pptx" not in props and b"Steve Canny" not in props and b"2013-" not in props


def test_template_specific(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    _, out, report, name = rendered
    prs = Presentation(str(out))
    titles = {_title(s) for s in prs.slides}
    assert not titles & SAMPLE_TITLES
    used = {s.slide_layout.name for s in prs.slides}
    with zipfile.ZipFile(out) as zf:
        slide_parts = [n for n in zf.namelist() if n.startswith("ppt/slides/slide")]
        pres_xml = zf.read("ppt/presentation.xml")
    assert len(slide_parts) == 15
    if name.startswith("alt"):
        assert report.template_slides_removed == 2
        assert b"sectionLst" not in pres_xml
        assert used == {"Cover", "Body", "Split"}
        # The template's brand colour (theme accent1) is used for the table header.
        (table,) = _tables(prs.slides[2])
        assert str(table.cell(0, 0).fill.fore_color.rgb) == "00796B"
    else:
        assert report.template_slides_removed == 0
        assert used == {"Title Slide", "Title and Content", "Two Content"}


def test_slide_numbers_and_footer(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    deck, out, _, _ = rendered
    prs = Presentation(str(out))
    for i, slide in enumerate(prs.slides, start=1):
        nums = [
            ph
            for ph in slide.placeholders
            if ph.placeholder_format.type == PP_PLACEHOLDER.SLIDE_NUMBER
        ]
        if i == 1:
            assert not nums  # the cover has none
            continue
        assert len(nums) == 1
        assert nums[0]._element.xpath(".//a:fld[@type='slidenum']")
        footers = [
            ph.text_frame.text
            for ph in slide.placeholders
            if ph.placeholder_format.type == PP_PLACEHOLDER.FOOTER
        ]
        assert footers == [f"{deck.account_name} · {deck.quarter}"]


def test_no_empty_placeholders_left(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    prs = Presentation(str(rendered[1]))
    for slide in prs.slides:
        for ph in slide.placeholders:
            assert ph.text_frame.text.strip() or ph._element.xpath(".//a:fld")


def test_shapes_stay_on_the_slide(rendered: tuple[Deck, Path, RenderReport, str]) -> None:
    """Nothing drawn past the slide edges or into the footer zone (6.9 in and below)."""
    prs = Presentation(str(rendered[1]))
    footer_top = int(6.9 * 914400)
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if shape.is_placeholder and shape.placeholder_format.type in (
                PP_PLACEHOLDER.FOOTER,
                PP_PLACEHOLDER.SLIDE_NUMBER,
            ):
                continue
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= prs.slide_width, (number, shape.name)
            if number > 1:
                assert shape.top + shape.height <= footer_top, (number, shape.name)


def test_png_cache_draws_each_chart_once(style: ChartStyle, tmp_path: Path) -> None:
    deck = enterprise_deck()
    cache: dict[str, bytes] = {}
    first = render_pptx(deck, tmp_path / "a.pptx", style=style, png_cache=cache)
    assert first.charts_drawn == 5 and set(cache) >= {
        "users",
        "features",
        "health",
        "support",
        "value_by_category",
    }
    again = render_pptx(deck, tmp_path / "b.pptx", style=style, png_cache=cache)
    assert again.charts_drawn == 0 and again.charts_reused == 5


def test_renders_to_a_stream(style: ChartStyle) -> None:
    import io

    buf = io.BytesIO()
    render_pptx(enterprise_deck(), buf, style=style, charts="native")
    buf.seek(0)
    assert len(Presentation(buf).slides) == 15
    buf.seek(0)
    assert_clean_pptx(buf)


def test_layout_override_must_exist(style: ChartStyle, tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"no layout named 'Nope'.*Title and Content"):
        render_pptx(
            enterprise_deck(), tmp_path / "x.pptx", style=style, layout_names={"content": "Nope"}
        )


# --------------------------------------------------------------------------- hostile text


def test_long_table_continues(hostile: tuple[Deck, Path, RenderReport]) -> None:
    _, out, report = hostile
    prs = Presentation(str(out))
    titles = [_title(s) for s in prs.slides]
    start = titles.index("All action items")
    assert titles[start + 1] == "All action items (cont.)"
    rows: list[str] = []
    for slide in list(prs.slides)[start:]:
        for table in _tables(slide):
            assert table.cell(0, 0).text == "Action"  # header repeated
            rows += [table.cell(r, 0).text for r in range(1, len(table.rows))]
    assert rows == [
        f"Action {i}: follow up on item {i} with the operations team" for i in range(1, 35)
    ]
    assert any("table continued on slide" in a for a in report.adjustments)
    cont_notes = prs.slides[start + 1].notes_slide.notes_text_frame.text
    assert f"Continued from slide {start + 1}." in cont_notes
    assert "Placeholders to fill:" in cont_notes


def test_hostile_strings_are_literal(hostile: tuple[Deck, Path, RenderReport]) -> None:
    deck, out, _ = hostile
    prs = Presentation(str(out))
    strings_slide = _texts(prs.slides[1])
    for value in HOSTILE.values():
        assert value in strings_slide
    assert _title(prs.slides[2]) == HOSTILE["template"]
    table_texts = [c.text for t in _tables(prs.slides[2]) for row in t.rows for c in row.cells]
    assert HOSTILE["markup"] in table_texts and LONG_NAME in table_texts
    # The 300-character name: whole on the cover (shrunk), cut on slide 2 with the full
    # title kept in the notes.
    assert len(LONG_NAME) >= 300
    assert _title(prs.slides[0]) == LONG_NAME
    assert _title(prs.slides[1]).endswith("…")
    assert f"Full title: Account: {LONG_NAME}" in prs.slides[1].notes_slide.notes_text_frame.text
    assert Presentation(str(out)).core_properties.author == deck.author
    with zipfile.ZipFile(out) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("ppt/slides/slide"))
    assert b"<script>" not in xml and b"&lt;script&gt;" in xml
    assert b"_x00" not in xml


def test_cut_text_keeps_every_marker(hostile: tuple[Deck, Path, RenderReport]) -> None:
    _, out, report = hostile
    prs = Presentation(str(out))
    story = len(prs.slides)
    markers = [m for n, m in find_placeholders(out) if n == story]
    assert markers == ["[[CSM: Check paragraph 3]]", "[[CSM: Check paragraph 17]]"]
    assert any("text cut to fit" in a for a in report.adjustments)
    assert "Full text:" in prs.slides[story - 1].notes_slide.notes_text_frame.text


def test_control_characters_are_dropped(style: ChartStyle, tmp_path: Path) -> None:
    bad = "Acme\x1b Corp\ufffe\x00 \ue000Ltd"
    deck = Deck(
        "enterprise",
        "X",
        bad,
        bad,
        bad,
        "Q3 2026",
        (Slide("a", "content", bad, blocks=(TableBlock(("A",), ()),)),),
    )
    out = tmp_path / "ctl.pptx"
    render_pptx(deck, out, style=style)
    prs = Presentation(str(out))
    assert _title(prs.slides[0]) == "Acme Corp Ltd"
    assert prs.core_properties.author == "Acme Corp Ltd"
    assert_clean_pptx(out)


def test_unknown_chart_mode(style: ChartStyle, tmp_path: Path) -> None:
    from deckgen.errors import RenderError

    with pytest.raises(RenderError):
        render_pptx(enterprise_deck(), tmp_path / "x.pptx", style=style, charts="svg")  # type: ignore[arg-type]


def test_odd_slides_on_a_foreign_template(style: ChartStyle, tmp_path: Path) -> None:
    """python-pptx's own 4:3 default as a "customer template" (no Two Content layout), with
    slides that exercise the fallbacks: blocks on a cover, one block on a two-column slide,
    an empty content slide, a title-only slide."""
    foreign = tmp_path / "foreign.pptx"
    prs = Presentation()
    prs.slide_layouts.remove(next(x for x in prs.slide_layouts if x.name == "Two Content"))
    prs.save(str(foreign))
    base = enterprise_deck()
    kpis = next(b for b in base.slides[5].blocks if b.kind == "kpis")
    chart = base.slides[7].blocks[0]
    slides = (
        Slide("cover", "title", "Cover with tiles", subtitle="Sub", blocks=(kpis,)),
        Slide("one", "two_content", "One block, two columns", blocks=(chart,)),
        Slide("two", "two_content", "Two blocks", blocks=(chart, kpis)),
        Slide("empty", "content", "Nothing here yet"),
        Slide("only", "title_only", "Title only", blocks=(kpis,)),
        Slide("sec", "section", "Section", subtitle="With a subtitle"),
        Slide("odd", "mystery_layout", "Unknown layout name"),
    )
    deck = Deck("enterprise", "X-1", "Acme", "Acme QBR", "Ana", "Q3 2026", slides)
    out = tmp_path / "odd.pptx"
    report = render_pptx(deck, out, template=foreign, style=style, png_cache={})
    assert_clean_pptx(out)
    result = Presentation(str(out))
    assert [_title(s) for s in result.slides] == [s.title for s in slides]
    assert report.layouts["two_content"] == "Title and Content"
    assert any("no 'two_content' layout" in a for a in report.adjustments)
    assert any("unknown layout 'mystery_layout'" in a for a in report.adjustments)
    for slide in result.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= result.slide_width
            assert shape.top + shape.height <= result.slide_height
    # The single chart on a two-column slide spans both columns.
    (pic,) = [s for s in result.slides[1].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert pic.width > result.slide_width * 0.6
