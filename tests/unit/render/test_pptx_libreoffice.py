"""LibreOffice checks: a rendered deck converts to one PDF page per slide, and the text as
LibreOffice lays it out (real fonts, real wrapping) stays inside its regions.

LibreOffice converts even broken decks, so this complements tests/pptx_lint.py rather than
replacing it. The layout check reads word boxes from `pdftotext -bbox`: no two words overlap
(text spilling out of one box into the next), nothing crosses the footer line or the right
margin, and only footer text sits below the footer line.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deckgen.charting.style import ChartStyle
from deckgen.model.deck import Deck
from deckgen.render.pptx import render_pptx
from tests.unit.render.sample_deck import enterprise_deck, hostile_deck

pytestmark = [pytest.mark.tools, pytest.mark.slow]
PT_PER_IN = 72.0
FOOTER_LINE_IN = 6.9
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def _needs_tools() -> None:
    missing = [t for t in ("soffice", "pdfinfo", "pdftotext") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/setup-system.sh)")


def _to_pdf(pptx: Path, tmp_path: Path) -> Path:
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
    return tmp_path / (pptx.stem + ".pdf")


def _pages(pdf: Path) -> int:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def _layout_problems(pdf: Path, deck: Deck) -> list[str]:
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    footer_words = set(f"{deck.account_name} · {deck.quarter} … Northwind · Confidential".split())
    line = FOOTER_LINE_IN * PT_PER_IN
    problems: list[str] = []
    for number, page in enumerate(re.split(r"<page ", html)[1:], start=1):
        width = float(re.match(r'width="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        words = [
            (float(a), float(b), float(c), float(d), t) for a, b, c, d, t in _WORD.findall(page)
        ]
        for x0, y0, x1, y1, text in words:
            if x1 > width - 0.3 * PT_PER_IN or x0 < 0.3 * PT_PER_IN:
                problems.append(f"page {number}: {text!r} beyond the side margin")
            if number > 1 and y0 < line < y1:
                problems.append(f"page {number}: {text!r} crosses the footer line")
            if number > 1 and y0 >= line and text not in footer_words and not text.isdigit():
                problems.append(f"page {number}: {text!r} below the footer line")
        for a, b in itertools.combinations(words, 2):
            ix = min(a[2], b[2]) - max(a[0], b[0])
            iy = min(a[3], b[3]) - max(a[1], b[1])
            smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
            if ix > 0 and iy > 0 and ix * iy > 0.2 * smaller:
                problems.append(f"page {number}: {a[4]!r} overlaps {b[4]!r}")
    return problems


@pytest.mark.parametrize("template", ["default", "alt"])
@pytest.mark.parametrize("charts", ["image", "native"])
def test_enterprise_deck_in_libreoffice(
    template: str, charts: str, tmp_path: Path, style: ChartStyle, alt_template: Path
) -> None:
    _needs_tools()
    deck = enterprise_deck()
    out = tmp_path / f"deck-{template}-{charts}.pptx"
    report = render_pptx(
        deck,
        out,
        style=style,
        charts=charts,  # type: ignore[arg-type]
        template=alt_template if template == "alt" else None,
    )
    pdf = _to_pdf(out, tmp_path)
    assert _pages(pdf) == report.slides == 15
    if charts == "image":  # native chart labels are laid out by LibreOffice's chart engine
        assert _layout_problems(pdf, deck) == []


@pytest.mark.parametrize("template", ["default", "alt"])
def test_hostile_deck_in_libreoffice(
    template: str, tmp_path: Path, style: ChartStyle, alt_template: Path
) -> None:
    _needs_tools()
    deck = hostile_deck()
    out = tmp_path / "hostile.pptx"
    report = render_pptx(
        deck, out, style=style, template=alt_template if template == "alt" else None
    )
    pdf = _to_pdf(out, tmp_path)
    assert _pages(pdf) == report.slides
    assert _layout_problems(pdf, deck) == []
