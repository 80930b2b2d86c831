"""The renderer's per-process caches: prepared templates, slide and notes prototypes, XML-built
shapes. Decks made from a cached template must be independent of each other and identical to
decks made from a cold cache, with unique shape ids and clean packages."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation

from deckgen.charting.style import ChartStyle
from deckgen.model.deck import Cell, Deck, Paragraph, Run, Slide, TableBlock, TextBlock
from deckgen.render import pptx_template as tpl
from deckgen.render.pptx import render_pptx
from deckgen.render.pptx_text import Token, wrap
from tests.pptx_lint import assert_clean_pptx, lint_pptx
from tests.unit.render.sample_deck import enterprise_deck

WHEN = datetime(2026, 10, 2, 9, 30, tzinfo=timezone.utc)


def _bytes(deck: Deck, style: ChartStyle, template: Path | None = None) -> bytes:
    out = io.BytesIO()
    render_pptx(
        deck, out, template=template, charts="native", style=style, png_cache={}, created=WHEN
    )
    return out.getvalue()


def _slide_xml(blob: bytes) -> dict[str, bytes]:
    """Slide and notes parts, canonicalised (embedded workbooks carry their own timestamps)."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {
            name: etree.tostring(etree.fromstring(zf.read(name)), method="c14n")
            for name in zf.namelist()
            if name.startswith(("ppt/slides/", "ppt/notesSlides/", "ppt/charts/"))
            and name.endswith(".xml")
        }


def _small_deck(name: str) -> Deck:
    table = TableBlock(
        ("Goal", "Target"),
        ((Cell(f'{name} <goal> & "more"'), Cell("75%")), (Cell(" "), Cell("1"))),
        caption="Goals",
    )
    text = TextBlock((Paragraph((Run(f"Hello {name} <b>not bold</b> & co"),), bullet=True),))
    return Deck(
        kind="executive",
        account_id=name,
        account_name=name,
        title=f"QBR {name}",
        author="CSM",
        quarter="Q3 2026",
        slides=(
            Slide("cover", "title", f"QBR {name}", notes=f"Notes for {name}"),
            Slide("goals", "content", f"Goals for {name}", blocks=(table, text), notes="n"),
        ),
    )


def test_cold_and_warm_cache_give_the_same_deck(style: ChartStyle) -> None:
    tpl.clear_template_cache()
    cold = _bytes(enterprise_deck(), style)
    warm = _bytes(enterprise_deck(), style)
    assert _slide_xml(cold) == _slide_xml(warm)
    assert lint_pptx(io.BytesIO(warm)) == []


def test_decks_from_the_cached_template_are_independent(style: ChartStyle) -> None:
    first = _bytes(_small_deck("Acme"), style)
    second = _bytes(_small_deck("Globex"), style)
    again = _bytes(_small_deck("Acme"), style)
    assert _slide_xml(first) == _slide_xml(again)  # nothing of Globex leaked into the cache
    for blob, other in ((first, "Globex"), (second, "Acme")):
        text = b"".join(_slide_xml(blob).values())
        assert other.encode() not in text
    prs = Presentation(io.BytesIO(second))
    assert len(prs.slides) == 2
    assert prs.slides[1].notes_slide.notes_text_frame.text.startswith("n")
    assert "Globex" in prs.slides[0].notes_slide.notes_text_frame.text


def test_shape_ids_unique_and_text_escaped(style: ChartStyle) -> None:
    blob = _bytes(_small_deck("A&B <x>"), style)
    assert_clean_pptx(io.BytesIO(blob))  # includes unique shape ids per slide
    prs = Presentation(io.BytesIO(blob))
    for slide in prs.slides:
        ids = [shape.shape_id for shape in slide.shapes]
        assert len(ids) == len(set(ids))
    texts = [
        cell.text
        for shape in prs.slides[1].shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert 'A&B <x> <goal> & "more"' in texts
    assert " " in texts  # a whitespace-only cell keeps its run
    body = [s.text_frame.text for s in prs.slides[1].shapes if s.name == "Text"]
    assert body == ["Hello A&B <x> <b>not bold</b> & co"]


def test_edited_template_is_picked_up(
    tmp_path: Path, style: ChartStyle, alt_template: Path
) -> None:
    target = tmp_path / "corp.pptx"
    shutil.copy(tpl.default_template_path(), target)
    first = tpl.prepared_template(target)
    assert tpl.prepared_template(target) is first
    shutil.copy(alt_template, target)
    target.touch()
    second = tpl.prepared_template(target)
    assert second is not first
    assert second.theme != first.theme or second.blob != first.blob


def test_missing_template_is_an_error_not_cached(tmp_path: Path) -> None:
    with pytest.raises(tpl.TemplateError):
        tpl.prepared_template(tmp_path / "nope.pptx")


def test_partname_counter_matches_python_pptx() -> None:
    prs = tpl.open_template(None)
    expected = prs.part.package.next_partname("/ppt/charts/chart%d.xml")
    tpl.install_partname_counter(prs)
    assert prs.part.package.next_partname("/ppt/charts/chart%d.xml") == expected
    assert prs.part.package.next_partname("/ppt/charts/chart%d.xml") != expected


def test_wrap_cache_returns_fresh_lists() -> None:
    tokens = (Token("one two three four five six"),)
    lines = wrap(tokens, "Arial", 12, 60)
    lines.append("mutated")
    assert "mutated" not in wrap(tokens, "Arial", 12, 60)
