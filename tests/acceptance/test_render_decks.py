"""`deckgen render` and `deckgen check` on the sample book, inspected the way a CSM would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.util import Emu

from tests.acceptance.conftest import AS_OF, SAMPLE, invoke
from tests.pptx_lint import lint_pptx

ENTERPRISE_TITLES = [
    "Quarterly Business Review",
    "Agenda",
    "Executive summary",
    "Your business: priorities this year",
    "Your business: what has changed",
    "Value delivered this quarter",
    "Value story",
    "Adoption and engagement",
    "Support experience",
    "Health indicators",
    "How you compare with peers",
    "Strategic discussion: goals vs actuals",
    "Product roadmap",
    "Risks and opportunities",
    "Action items and next steps",
]
EXECUTIVE_TITLES = [
    "Executive summary",
    "Business outcomes delivered",
    "Strategic alignment with your priorities",
    "Next-quarter plan",
    "Discussion: one clear ask",
]


def slide_texts(slide: Any) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            parts += [c.text for r in shape.table.rows for c in r.cells]
    return "\n".join(parts)


def titles(prs: Any) -> list[str]:
    return [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]


def by_kind(paths: list[Path], kind: str) -> Path:
    return next(p for p in paths if f"_{kind}_" in p.name)


def test_strategic_account_gets_executive_and_enterprise_decks(
    rendered_decks: Any, sample_metrics: Any
) -> None:
    paths = rendered_decks["A-0001"]
    assert sorted(p.name for p in paths) == [
        "a-0001_northwind-logistics_enterprise_2026Q3.pptx",
        "a-0001_northwind-logistics_executive_2026Q3.pptx",
    ]
    ent = Presentation(str(by_kind(paths, "enterprise")))
    exe = Presentation(str(by_kind(paths, "executive")))
    assert len(ent.slides) == 15 and titles(ent) == ENTERPRISE_TITLES
    assert len(exe.slides) == 5 and titles(exe) == EXECUTIVE_TITLES
    assert ent.core_properties.author == sample_metrics["A-0001"]["facts"]["csm_name"]
    assert "python-pptx" not in (ent.core_properties.last_modified_by or "")
    assert ent.core_properties.title.startswith("Northwind Logistics")


def test_every_slide_has_notes(rendered_decks: Any) -> None:
    for paths in rendered_decks.values():
        for path in paths:
            for slide in Presentation(str(path)).slides:
                assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip()


def test_numbers_on_slides_equal_metrics(rendered_decks: Any, sample_metrics: Any) -> None:
    m = sample_metrics["A-0001"]
    ent = Presentation(str(by_kind(rendered_decks["A-0001"], "enterprise")))
    summary = slide_texts(ent.slides[2])
    assert str(m["health"]["score"]) in summary
    assert f"{round(m['value']['roi_pct'])}%" in summary
    value_slide = slide_texts(ent.slides[5])
    assert f"{round(m['value']['roi_pct'])}%" in value_slide
    adoption = slide_texts(ent.slides[7])
    assert adoption  # chart slide: headline sentence present
    users = m["usage"]["active_users_30d"]
    assert f"{users:,}" in summary


def test_charts_are_present_with_alt_text(rendered_decks: Any) -> None:
    ent = Presentation(str(by_kind(rendered_decks["A-0001"], "enterprise")))
    pictures = [sh for s in ent.slides for sh in s.shapes if sh.shape_type == 13]
    assert len(pictures) >= 5
    for pic in pictures:
        descr = pic._element.nvPicPr.cNvPr.get("descr")
        assert descr and any(ch.isdigit() for ch in descr)


def test_native_charts_are_editable(tmp_path: Path) -> None:
    result = invoke(
        "render",
        SAMPLE,
        "--account",
        "A-0016",
        "--as-of",
        AS_OF,
        "--out",
        tmp_path,
        "--charts",
        "native",
    )
    assert result.exit_code == 0, result.output
    prs = Presentation(str(next(tmp_path.glob("*.pptx"))))
    charts = [
        sh
        for s in prs.slides
        for sh in s.shapes
        if getattr(sh, "has_chart", False) and sh.has_chart
    ]
    assert len(charts) >= 5
    assert all(sh.chart.plots[0].categories for sh in charts)


def test_placeholders_are_flagged_and_found_by_check(rendered_decks: Any) -> None:
    path = by_kind(rendered_decks["A-0001"], "executive")
    result = invoke("check", path)
    assert result.exit_code == 1
    assert "[[CSM: the one clear ask" in result.stdout
    assert "slide 5" in result.stdout


def test_check_passes_when_every_placeholder_is_filled(rendered_decks: Any, tmp_path: Path) -> None:
    from deckgen.check import find_placeholders

    src = by_kind(rendered_decks["A-0001"], "executive")
    prs = Presentation(str(src))
    for slide in prs.slides:
        for shape in slide.shapes:
            frames = [shape.text_frame] if shape.has_text_frame else []
            if getattr(shape, "has_table", False) and shape.has_table:
                frames += [c.text_frame for r in shape.table.rows for c in r.cells]
            for tf in frames:
                for para in tf.paragraphs:
                    for run in para.runs:
                        if "[[" in run.text:
                            run.text = "Filled in by the CSM"
    done = tmp_path / "done.pptx"
    prs.save(str(done))
    assert find_placeholders(done) == []
    result = invoke("check", done)
    assert result.exit_code == 0 and "no placeholders left" in result.stdout


def test_onboarding_account_gets_the_short_variant(rendered_decks: Any) -> None:
    [path] = rendered_decks["A-0010"]
    prs = Presentation(str(path))
    assert "_onboarding_" in path.name and len(prs.slides) == 4
    assert "Your first weeks" in titles(prs)


def test_missing_data_is_flagged_not_invented(tmp_path: Path) -> None:
    # A-0025 has no value rows at all.
    result = invoke("render", SAMPLE, "--account", "A-0025", "--as-of", AS_OF, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    prs = Presentation(str(next(tmp_path.glob("*.pptx"))))
    value = slide_texts(prs.slides[5])
    assert "[[DATA MISSING: value data for Q3 2026" in value
    assert "ROI" not in value.replace("no ROI is shown", "")


def test_held_and_blocked_accounts_render_nothing(tmp_path: Path) -> None:
    for acct, word in (("A-0002", "held"), ("A-0004", "blocked")):
        result = invoke("render", SAMPLE, "--account", acct, "--as-of", AS_OF, "--out", tmp_path)
        assert result.exit_code == 1 and f"is {word}" in result.stderr
    assert not list(tmp_path.glob("*.pptx"))


def test_unknown_account_suggests(tmp_path: Path) -> None:
    result = invoke("render", SAMPLE, "--account", "a-0001", "--as-of", AS_OF, "--out", tmp_path)
    assert result.exit_code == 1 and "did you mean 'A-0001'" in result.stderr


def test_generated_decks_pass_structural_lint(rendered_decks: Any) -> None:
    for paths in rendered_decks.values():
        for path in paths:
            assert lint_pptx(path) == [], path


def test_slides_are_16_by_9(rendered_decks: Any) -> None:
    prs = Presentation(str(rendered_decks["A-0001"][0]))
    assert round(Emu(prs.slide_width).inches, 2) == 13.33


@pytest.mark.tools
def test_libreoffice_renders_one_page_per_slide(rendered_decks: Any, tmp_path: Path) -> None:
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed (scripts/setup-system.sh installs it)")
    for path in rendered_decks["A-0001"]:
        subprocess.run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        pdf = tmp_path / (path.stem + ".pdf")
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        pages = int(
            next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:"))
        )
        assert pages == len(Presentation(str(path)).slides)
