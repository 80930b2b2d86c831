"""Documents for real accounts of the sample book, through `prepare` (no CLI).

A-0001 is a strategic account in good health; A-0009 is mid-market, billed in GBP, forced Red by
an unpaid invoice, with an apostrophe and an ampersand in its name. Every generated file is
reopened; numbers are checked against `AccountMetrics.as_json()`, the object `deckgen metrics
--json` prints. The `tools` test converts each .docx with LibreOffice, as a CSM's PDF export would.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from deckgen.check_docx import find_docx_placeholders
from deckgen.metrics.vocab import ACTION_STATUSES
from deckgen.model.build import formatter_for
from deckgen.pipeline import OutputFile, Prepared, prepare
from deckgen.render.documents import (
    KINDS,
    build_document,
    build_tracker,
    render_documents,
    to_markdown,
)

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = ("A-0001", "A-0009")


@pytest.fixture(scope="module")
def prepared() -> Prepared:
    return prepare(ROOT / "samples" / "book", as_of=date(2026, 11, 28))


@pytest.fixture(scope="module")
def rendered(
    prepared: Prepared, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[OutputFile]]:
    out = tmp_path_factory.mktemp("documents")
    return {
        aid: render_documents(prepared, prepared.account(aid), out, list(KINDS)) for aid in ACCOUNTS
    }


def _file(files: list[OutputFile], kind: str, suffix: str) -> OutputFile:
    return next(f for f in files if f.kind == kind and f.path.suffix == suffix)


def _text(path: Path) -> str:
    d = Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def _headings(path: Path) -> list[str]:
    paras = Document(str(path)).paragraphs
    return [p.text for p in paras if p.style is not None and p.style.name == "Heading 1"]


@pytest.mark.parametrize("aid", ACCOUNTS)
def test_files_and_sections(aid: str, rendered: dict[str, list[OutputFile]]) -> None:
    files = rendered[aid]
    assert {(f.kind, f.path.suffix) for f in files} == {
        *((k, s) for k in KINDS for s in (".docx", ".md")),
        ("action_plan", ".xlsx"),
        ("action_plan", ".csv"),
    }
    briefing = _headings(_file(files, "briefing", ".docx").path)
    assert briefing[:4] == [
        "Account overview",
        "Attendees",
        "Health by dimension",
        "Value delivered",
    ]
    assert {
        "Risks and opportunities",
        "QBR objectives",
        "Anticipated questions",
        "Talking points by stakeholder",
    } <= set(briefing)
    assert _headings(_file(files, "preread", ".docx").path) == [
        "Agenda",
        "Key metrics",
        "Value headline",
        "Please come prepared with",
    ]
    followup = _headings(_file(files, "followup", ".docx").path)
    assert followup[:3] == ["Email", "Key takeaways", "Value delivered"]
    assert {
        "What we committed to",
        "What your team committed to",
        "Goals for next quarter",
        "Next review",
    } <= set(followup)


@pytest.mark.parametrize("aid", ACCOUNTS)
def test_numbers_equal_deckgen_metrics(
    aid: str, prepared: Prepared, rendered: dict[str, list[OutputFile]]
) -> None:
    m = prepared.account(aid)
    j = m.as_json()  # what `deckgen metrics --json` prints for this account
    f = formatter_for(m, prepared.config)
    cur = j["facts"]["currency"]
    briefing = _text(_file(rendered[aid], "briefing", ".docx").path)
    assert f.money(j["facts"]["arr"], cur, compact=False) in briefing
    assert f"{j['health']['score']}/100" in briefing
    assert f.pct(j["value"]["roi_pct"]) in briefing
    assert f.money(j["value"]["quarterly_value"], cur) in briefing
    assert j["name"] in briefing and j["facts"]["champion_name"] in briefing
    preread = _text(_file(rendered[aid], "preread", ".docx").path)
    for expected in (
        f.pct(j["value"]["roi_pct"]),
        f"{j['health']['score']}/100",
        f.number(j["usage"]["active_users_30d"]),
    ):
        assert expected in preread
    followup = _text(_file(rendered[aid], "followup", ".docx").path)
    assert f.money(j["value"]["quarterly_value"], cur) in followup
    if aid == "A-0009":
        assert "£" in briefing and "O'Brien & Sons" in briefing


@pytest.mark.parametrize("aid", ACCOUNTS)
def test_placeholders_counted_and_found(aid: str, rendered: dict[str, list[OutputFile]]) -> None:
    for f in rendered[aid]:
        if f.path.suffix == ".docx":
            found = find_docx_placeholders(f.path)
            assert len(found) == f.placeholders > 0
            assert all(re.fullmatch(r"\[\[(CSM|DATA MISSING): .+\]\]", mk) for _, mk in found)
        elif f.path.suffix == ".md":
            md = f.path.read_text(encoding="utf-8")
            assert len(re.findall(r"\[\[(?:CSM|DATA MISSING): ", md)) == f.placeholders
    followup = find_docx_placeholders(_file(rendered[aid], "followup", ".docx").path)
    assert sum("takeaway" in mk for _, mk in followup) == 3


@pytest.mark.parametrize("aid", ACCOUNTS)
def test_action_plan_seeded_from_open_items(
    aid: str, prepared: Prepared, rendered: dict[str, list[OutputFile]]
) -> None:
    m = prepared.account(aid)
    open_actions = [a for a in m.actions if a.status not in ("complete", "cancelled")]
    open_goals = [g for g in m.goals if g.status != "complete"]
    with open(_file(rendered[aid], "action_plan", ".csv").path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(open_actions) + len(open_goals)
    assert {r["Status"] for r in rows} <= set(ACTION_STATUSES)
    assert [r["Item"] for r in rows if r["Type"] == "Action"] == [a.action for a in open_actions]
    ws = load_workbook(_file(rendered[aid], "action_plan", ".xlsx").path)["Action plan"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][6] == "Status"
    assert {ws.cell(row=r, column=7).value for r in range(2, len(rows) + 2)} <= set(ACTION_STATUSES)


def test_every_account_of_the_book_builds(prepared: Prepared) -> None:
    """Onboarding, held, blocked, no-value, CJK and comma/quote names: all build (in memory)."""
    for m in prepared.metrics:
        for kind in KINDS:
            doc = build_document(kind, m, prepared.config)
            assert doc.placeholders and to_markdown(doc).startswith("# ")
        assert {r.status for r in build_tracker(m, prepared.config)} <= set(ACTION_STATUSES)


@pytest.mark.tools
@pytest.mark.slow
def test_libreoffice_converts_each_docx(
    rendered: dict[str, list[OutputFile]], tmp_path: Path
) -> None:
    soffice, pdfinfo = shutil.which("soffice"), shutil.which("pdfinfo")
    if not soffice or not pdfinfo:
        pytest.skip("LibreOffice/poppler not installed (scripts/setup-system.sh)")
    docx = [f.path for files in rendered.values() for f in files if f.path.suffix == ".docx"]
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
            *map(str, docx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for path in docx:
        pdf = tmp_path / f"{path.stem}.pdf"
        info = subprocess.run(
            [pdfinfo, str(pdf)], check=True, capture_output=True, text=True
        ).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
        assert pages >= 1, path.name
        if "_preread_" in path.name:
            assert pages == 1, f"{path.name}: the pre-read must fit one page, got {pages}"
