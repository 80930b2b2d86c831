"""find_placeholders: markers in text, tables and groups are found; notes are not counted."""

from __future__ import annotations

from pathlib import Path

from pptx import Presentation
from pptx.util import Inches

from deckgen.check import find_placeholders


def _deck(tmp_path: Path) -> Path:
    prs = Presentation()
    blank = prs.slide_layouts[6]
    one = prs.slides.add_slide(blank)
    box = one.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    para = box.text_frame.paragraphs[0]
    # A marker split over runs, as PowerPoint leaves it after an edit.
    for piece in ("Intro [[CSM: write ", "the intro", "]] and [[DATA MISSING: NPS]]"):
        para.add_run().text = piece
    one.notes_slide.notes_text_frame.text = "Placeholders to fill: [[CSM: in the notes]]"
    two = prs.slides.add_slide(blank)
    table = two.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1)).table
    table.cell(1, 1).text = "[[CSM: table cell]]"
    group = two.shapes.add_group_shape()
    inner = group.shapes.add_group_shape()
    deep = inner.shapes.add_textbox(Inches(1), Inches(3), Inches(3), Inches(1))
    deep.text_frame.text = "[[CSM: grouped]]"
    three = prs.slides.add_slide(blank)
    three.shapes.add_textbox(
        Inches(1), Inches(1), Inches(3), Inches(1)
    ).text_frame.text = "[[ not a marker ]] [CSM: single brackets]"
    path = tmp_path / "d.pptx"
    prs.save(str(path))
    return path


def test_find_placeholders(tmp_path: Path) -> None:
    assert find_placeholders(_deck(tmp_path)) == [
        (1, "[[CSM: write the intro]]"),
        (1, "[[DATA MISSING: NPS]]"),
        (2, "[[CSM: table cell]]"),
        (2, "[[CSM: grouped]]"),
    ]


def test_accepts_str_path(tmp_path: Path) -> None:
    assert len(find_placeholders(str(_deck(tmp_path)))) == 4
