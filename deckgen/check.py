"""Find `[[CSM: ...]]` / `[[DATA MISSING: ...]]` markers left in a generated deck.

Used by `deckgen check` before a deck is shared: every placeholder the renderer wrote is an
unmistakable marker, and a CSM who filled the deck in PowerPoint deletes them. Speaker notes are
not scanned on purpose: the renderer lists a slide's placeholders there as a to-do list, which is
meant to stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from deckgen.model.deck import MARKER_RE


def find_placeholders(pptx_path: str | Path | IO[bytes]) -> list[tuple[int, str]]:
    """(slide number, marker) for every marker on the slides, in slide and shape order.

    Looks in every shape's text, table cells, grouped shapes (at any depth) and chart titles;
    a marker split over several runs (PowerPoint splits runs when text is edited) is still
    found because whole paragraphs are matched.
    """
    from pptx import Presentation

    prs = Presentation(str(pptx_path) if isinstance(pptx_path, Path) else pptx_path)
    found: list[tuple[int, str]] = []
    for number, slide in enumerate(prs.slides, start=1):
        for text in _slide_texts(slide.shapes):
            found.extend((number, m.group(0)) for m in MARKER_RE.finditer(text))
    return found


def _slide_texts(shapes: Any) -> Iterator[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _slide_texts(shape.shapes)
            continue
        if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield from _paragraphs(shape.text_frame)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield from _paragraphs(cell.text_frame)
        if getattr(shape, "has_chart", False) and shape.has_chart:
            chart = shape.chart
            if chart.has_title and chart.chart_title.has_text_frame:
                yield from _paragraphs(chart.chart_title.text_frame)


def _paragraphs(text_frame: Any) -> Iterator[str]:
    # Whole text frame, so a marker broken across paragraphs by a line break is found too.
    yield "\n".join(p.text for p in text_frame.paragraphs)
