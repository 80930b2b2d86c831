"""`deckgen check` for Word documents: `[[CSM: …]]` / `[[DATA MISSING: …]]` markers left in a .docx.

Why: the briefing, pre-read and follow-up drafts carry the same flagged placeholders as the decks;
one that survives into a document sent to a customer is the failure `deckgen check` exists to
prevent. Word splits text into runs at will (spell-check, edits, formatting), so markers are
searched in each paragraph's joined text, never run by run. Body paragraphs, tables (nested ones
too), headers and footers are searched, in reading order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from deckgen.model.deck import MARKER_RE


def _markers(text: str) -> list[str]:
    return [m.group(0) for m in MARKER_RE.finditer(text)]


def _table_hits(table: Any, where: str) -> Iterator[tuple[str, str]]:
    for r, row in enumerate(table.rows, start=1):
        seen: set[int] = set()
        for c, cell in enumerate(row.cells, start=1):
            # A merged cell is returned once per grid column it spans: report it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            here = f"{where}, row {r}, column {c}"
            for para in cell.paragraphs:
                for marker in _markers(para.text):
                    yield here, marker
            for n, inner in enumerate(cell.tables, start=1):
                yield from _table_hits(inner, f"{here}, table {n}")


def find_docx_placeholders(path: str | Path | IO[bytes]) -> list[tuple[str, str]]:
    """`[(location, marker), ...]` for every placeholder marker in the document.

    Locations: "paragraph 12" (body paragraphs counted from 1, empty ones included),
    "table 2, row 3, column 1" (body tables counted from 1), "header, paragraph 1" or
    "footer, table 1, row 1, column 2". Raises `docx.opc.exceptions.PackageNotFoundError` or
    `ValueError` for a file that is not a Word document.
    """
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Document(str(path) if isinstance(path, Path) else path)
    hits: list[tuple[str, str]] = []
    n_para = n_table = 0
    for item in doc.iter_inner_content():
        if isinstance(item, Paragraph):
            n_para += 1
            hits += [(f"paragraph {n_para}", mk) for mk in _markers(item.text)]
        elif isinstance(item, Table):
            n_table += 1
            hits += list(_table_hits(item, f"table {n_table}"))
    seen_parts: set[int] = set()
    for section in doc.sections:
        for label, part in (("header", section.header), ("footer", section.footer)):
            if part.is_linked_to_previous or id(part.part) in seen_parts:
                continue
            seen_parts.add(id(part.part))
            for i, para in enumerate(part.paragraphs, start=1):
                hits += [(f"{label}, paragraph {i}", mk) for mk in _markers(para.text)]
            for i, table in enumerate(part.tables, start=1):
                hits += list(_table_hits(table, f"{label}, table {i}"))
    return hits
