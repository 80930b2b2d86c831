"""Hostile account data goes through the whole pipeline as inert text."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from pptx import Presentation

from tests.acceptance.conftest import AS_OF, SAMPLE, invoke
from tests.pptx_lint import lint_pptx

EVIL_NAME = (
    "{{ config }} {% raw %}<script>alert('x')</script> \u202eRTL\u202c 株式会社 🚀 Bad\x1bName "
    + "x" * 300
)
EVIL_ID = "../../CON"


def hostile_book(tmp_path: Path) -> Path:
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    for table in book.glob("*.csv"):
        rows = list(csv.reader(table.open(encoding="utf-8", newline="")))
        if not rows or "account_id" not in rows[0]:
            continue
        col = rows[0].index("account_id")
        for row in rows[1:]:
            if row[col] == "A-0016":
                row[col] = EVIL_ID
                if table.stem == "accounts":
                    row[rows[0].index("name")] = EVIL_NAME
        with table.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
    return book


def test_hostile_account_renders_safely(tmp_path: Path) -> None:
    book = hostile_book(tmp_path)
    out = tmp_path / "out"
    result = invoke("render", book, "--account", EVIL_ID, "--as-of", AS_OF, "--out", out)
    assert result.exit_code == 0, result.output + (result.stderr or "")
    [deck] = list(out.rglob("*.pptx"))
    assert deck.parent == out.resolve() or deck.parent == out
    assert deck.name.startswith("con-file_") and len(deck.name) < 120
    assert not list(tmp_path.glob("CON*")) and not (tmp_path.parent / "CON").exists()
    prs = Presentation(str(deck))
    text = "\n".join(sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame)
    assert "{{ config }}" in text and "<script>" in text  # literal, never evaluated
    assert "\x1b" not in text and "_x001B_" not in text
    assert prs.core_properties.title.startswith("{{ config }}")
    assert lint_pptx(deck) == []


def test_line_breaks_inside_table_cells_render(tmp_path: Path) -> None:
    """A quoted CSV field may hold a line feed: the cell shows two lines, the deck renders."""
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    for name, column in (("goals", "goal"), ("actions", "action")):
        table = book / f"{name}.csv"
        rows = list(csv.DictReader(table.open(encoding="utf-8", newline="")))
        for row in rows:
            if row["account_id"] == "A-0001":
                row[column] += "\nsecond line"
        with table.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    out = tmp_path / "out"
    result = invoke(
        "render",
        book,
        "--account",
        "A-0001",
        "--deck",
        "enterprise",
        "--as-of",
        AS_OF,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output + (result.stderr or "")
    [deck] = list(out.rglob("*.pptx"))
    cells = [
        cell.text
        for slide in Presentation(str(deck)).slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert any(c.endswith("\nsecond line") or c.endswith("\vsecond line") for c in cells), cells
    assert lint_pptx(deck) == []
