"""LibreOffice smoke test: a rendered deck converts to a PDF with one page per slide.

LibreOffice converts even broken decks, so this complements tests/pptx_lint.py rather than
replacing it: it proves the deck renders in a second application, with real fonts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deckgen.charting.style import ChartStyle
from deckgen.render.pptx import render_pptx
from tests.unit.render.sample_deck import enterprise_deck, hostile_deck

pytestmark = [pytest.mark.tools, pytest.mark.slow]


def _needs_tools() -> None:
    missing = [t for t in ("soffice", "pdfinfo") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/setup-system.sh)")


def _pages(pptx: Path, tmp_path: Path) -> int:
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(pptx),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / (pptx.stem + ".pdf")
    info = subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


@pytest.mark.parametrize("template", ["default", "alt"])
def test_pdf_page_count_matches_slides(
    template: str, tmp_path: Path, style: ChartStyle, alt_template: Path
) -> None:
    _needs_tools()
    out = tmp_path / f"deck-{template}.pptx"
    report = render_pptx(
        enterprise_deck(),
        out,
        style=style,
        charts="native",
        template=alt_template if template == "alt" else None,
    )
    assert _pages(out, tmp_path) == report.slides == 15


def test_hostile_deck_converts(tmp_path: Path, style: ChartStyle) -> None:
    _needs_tools()
    out = tmp_path / "hostile.pptx"
    report = render_pptx(hostile_deck(), out, style=style)
    assert _pages(out, tmp_path) == report.slides
