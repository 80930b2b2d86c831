"""Briefing, pre-read, follow-up and action plan built from a hand-made `AccountMetrics`.

Each test writes real files and reopens them (python-docx, openpyxl, csv): sections, the account's
own numbers formatted by the deck's Formatter, flagged placeholders found by `deckgen check`'s docx
reader, hostile names kept literal, and the action plan's status vocabulary.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from openpyxl import load_workbook

from deckgen.check_docx import find_docx_placeholders
from deckgen.config import Config, load_config
from deckgen.metrics.results import (
    AccountFacts,
    AccountMetrics,
    ActionRow,
    Dimension,
    GoalRow,
    Health,
    Period,
    RoadmapRow,
    Signal,
    SupportSummary,
    Trend,
    UsageSummary,
    Value,
    ValueItem,
)
from deckgen.metrics.vocab import ACTION_STATUSES
from deckgen.model.build import formatter_for
from deckgen.pipeline import Prepared
from deckgen.render.documents import (
    KINDS,
    Bullets,
    Doc,
    build_briefing,
    build_followup,
    build_preread,
    build_tracker,
    md_escape,
    render_documents,
    to_markdown,
    tracker_csv,
    write_docx,
    write_tracker_xlsx,
)

HOSTILE_NAME = (
    '<script>alert(1)</script> {{ 7*7 }} =HYPERLINK("http://x.test") \x1b\x07 שלום 株式会社'
)
HOSTILE_CLEAN = HOSTILE_NAME.replace("\x1b", "").replace("\x07", "")
HOSTILE_ACTION = '=HYPERLINK("http://evil.test","click")'

BRIEFING_HEADINGS = [
    "Account overview",
    "Attendees",
    "Health by dimension",
    "Value delivered",
    "Risks and opportunities",
    "QBR objectives",
    "Anticipated questions",
    "Talking points by stakeholder",
    "Open actions",
]
PREREAD_HEADINGS = ["Agenda", "Key metrics", "Value headline", "Please come prepared with"]
FOLLOWUP_HEADINGS = [
    "Email",
    "Key takeaways",
    "Value delivered",
    "What we committed to",
    "What your team committed to",
    "Goals for next quarter",
    "Next review",
]


def _dim(name: str, score: float | None, weight: float, flags: tuple[str, ...] = ()) -> Dimension:
    return Dimension(name, score, weight, weight, {}, flags)


def make_metrics(**changes: Any) -> AccountMetrics:
    """A realistic enterprise account; `changes` replace top-level fields (or facts via `facts`)."""
    period = Period(
        "2026Q3",
        date(2026, 7, 1),
        date(2026, 9, 30),
        date(2026, 11, 28),
        date(2026, 12, 9),
        ("2025Q4", "2026Q1", "2026Q2", "2026Q3"),
    )
    facts = AccountFacts(
        name="Acme Logistics",
        arr=312_000.0,
        currency="USD",
        industry="logistics",
        product_type="project_management",
        customer_since=date(2022, 3, 1),
        renewal_date=date(2027, 3, 31),
        months_to_renewal=4,
        last_qbr_date=date(2026, 9, 2),
        next_qbr_date=date(2026, 12, 9),
        csm_name="Dana Whitfield",
        csm_email="dana.whitfield@example.com",
        champion_name="Sam Okoro",
        champion_title="Director of Operations",
        champion_email="sam.okoro@example.org",
        sponsor_name="Lee Park",
        sponsor_title="Chief Operating Officer",
        nps=8.0,
        csat=4.3,
        is_ebr=True,
        onboarding=False,
    )
    health = Health(
        score=72,
        band="yellow",
        computed_band="yellow",
        dimensions={
            "usage": _dim("usage", 81.0, 0.35),
            "engagement": _dim(
                "engagement",
                63.0,
                0.25,
                ("last executive interaction 64 days ago (red flag after 60)",),
            ),
            "outcomes": _dim("outcomes", 70.0, 0.2),
            "support": _dim("support", 88.0, 0.1),
            "relationship": _dim("relationship", 40.0, 0.1),
        },
        overrides=(),
        missing=(),
        trend=Trend(66, 6, "improving"),
        red_flags=("last executive interaction 64 days ago (red flag after 60)",),
    )
    value = Value(
        quarter="2026Q3",
        quarterly_value=61_300.0,
        investment=78_000.0,
        roi_pct=78.58974,
        annualised_value=245_200.0,
        by_category={"time_savings": 42_000.0, "quality": 19_300.0},
        items=(
            ValueItem(
                "time_savings",
                "Weekly reporting",
                "2026Q3",
                12.0,
                3.0,
                "hours",
                560.0,
                42_000.0,
                "560 hours saved x $75/h",
            ),
            ValueItem(
                "quality",
                "Shipping errors",
                "2026Q3",
                3.1,
                1.2,
                "%",
                None,
                19_300.0,
                "customer-supplied value",
            ),
        ),
        trend=(("2025Q4", None), ("2026Q1", 51_000.0), ("2026Q2", 57_200.0), ("2026Q3", 61_300.0)),
        method="Quarterly value is the sum of the valued items",
        assumptions=("hourly rate 75 USD",),
    )
    m = AccountMetrics(
        account_id="A-0100",
        name="Acme Logistics",
        tier="enterprise",
        status="ok",
        reasons=(),
        period=period,
        facts=facts,
        health=health,
        value=value,
        benchmarks=(),
        signals=(
            Signal(
                "risk",
                "renewal_soon",
                "Renewal approaching",
                123.0,
                90.0,
                "days",
                "yellow",
                "Renewal on 2027-03-31: confirm the renewal conversation has started.",
                90.0,
            ),
            Signal(
                "expansion",
                "seats_near_full",
                "Seats nearly all used",
                86.0,
                80.0,
                "%",
                "green",
                "602 of 700 licensed seats (86%) were active in 2026-11.",
                50.0,
            ),
        ),
        usage=UsageSummary(
            700,
            602,
            86.0,
            period.previous_quarters,
            (500.0, 530.0, 560.0, 590.0),
            12.0,
            5.4,
            0.31,
            6,
            8,
            75.0,
            (("pm_boards", 1200),),
        ),
        support=SupportSummary((("2026-11", 3),), 11, 2, 0, 6.5, 1.2, 4.4, "declining"),
        goals=(
            GoalRow(
                "Move all client projects onto the platform",
                "projects migrated",
                76.0,
                68.8,
                "projects",
                "on_track",
                "Sam Okoro",
                date(2026, 12, 31),
                "2026Q4",
            ),
            GoalRow(
                "Roll out to a second department",
                "departments live",
                3.0,
                3.0,
                "departments",
                "complete",
                "Lee Park",
                date(2026, 9, 30),
                "2026Q3",
            ),
            GoalRow(
                "Cut weekly status reporting time",
                None,
                None,
                None,
                None,
                "off_track",
                None,
                None,
                None,
            ),
        ),
        actions=(
            ActionRow(
                "Arrange a roadmap session",
                "Solutions Engineering",
                "vendor",
                date(2026, 11, 24),
                "overdue",
                None,
            ),
            ActionRow(
                "Approve the EMEA rollout plan",
                "Sam Okoro",
                "customer",
                date(2026, 12, 17),
                "blocked",
                None,
            ),
            ActionRow(
                "Share the 2027 priorities",
                "Lee Park",
                "customer",
                date(2026, 10, 21),
                "complete",
                date(2026, 10, 21),
            ),
            ActionRow("Set up SSO", None, "vendor", None, "not started", None),
        ),
        roadmap=(RoadmapRow("Gantt export", None, "next", "Q1 2027", "planning", True),),
    )
    facts_changes = changes.pop("facts", None)
    if facts_changes:
        m = dataclasses.replace(m, facts=dataclasses.replace(m.facts, **facts_changes))
    return dataclasses.replace(m, **changes)


def hostile_metrics() -> AccountMetrics:
    m = make_metrics(
        name=HOSTILE_NAME,
        facts={
            "name": HOSTILE_NAME,
            "champion_name": "{{ 7*7 }} ⁦Rivka⁩ כהן",
            "csm_name": "=cmd|' /C calc'!A0",
        },
    )
    actions = (
        ActionRow(HOSTILE_ACTION, "@SUM(A1)", "vendor", date(2027, 1, 15), "in progress", None),
        ActionRow("-2+3 # not a heading\n- not a list", "+1", "customer", None, "at risk", None),
    )
    return dataclasses.replace(m, actions=actions)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


def _write(doc: Doc, folder: Path) -> Path:
    path = folder / f"{doc.kind}.docx"
    write_docx(doc, path)
    return path


def _headings(path: Path) -> list[str]:
    paras = Document(str(path)).paragraphs
    return [p.text for p in paras if p.style is not None and p.style.name == "Heading 1"]


def _prepared(config: Config, m: AccountMetrics) -> Prepared:
    """Only `config` is read by the document renderer; no book or validation report needed."""
    return Prepared(cast(Any, None), config, cast(Any, None), [m], date(2026, 11, 28), None)


def _all_text(path: Path) -> str:
    d = Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    for s in d.sections:
        parts += [p.text for p in s.footer.paragraphs]
    return "\n".join(parts)


BUILDERS = {"briefing": build_briefing, "preread": build_preread, "followup": build_followup}
HEADINGS = {
    "briefing": BRIEFING_HEADINGS,
    "preread": PREREAD_HEADINGS,
    "followup": FOLLOWUP_HEADINGS,
}


@pytest.mark.parametrize("kind", KINDS)
def test_sections_in_docx_and_markdown(kind: str, config: Config, tmp_path: Path) -> None:
    doc = BUILDERS[kind](make_metrics(), config)
    path = _write(doc, tmp_path)
    assert _headings(path) == HEADINGS[kind]
    md = to_markdown(doc)
    assert re.findall(r"^## (.+)$", md, re.M) == HEADINGS[kind]


def test_briefing_numbers_equal_the_metrics(config: Config, tmp_path: Path) -> None:
    m = make_metrics()
    f = formatter_for(m, config)
    text = _all_text(_write(build_briefing(m, config), tmp_path))
    assert f.money(m.facts.arr, "USD", compact=False) in text  # $312,000
    assert f"{m.health.score}/100" in text
    assert f.pct(m.value.roi_pct) in text  # 79%
    assert f.money(m.value.quarterly_value, "USD") in text  # $61.3K
    assert f.date(m.facts.renewal_date) in text
    assert "8 / 10" in text  # NPS
    assert "Sam Okoro" in text and "Lee Park" in text and "Dana Whitfield" in text
    for d in m.health.dimensions.values():
        assert f.number(d.score) in text
    for s in m.signals:
        assert s.message in text


def test_preread_and_followup_numbers(config: Config, tmp_path: Path) -> None:
    m = make_metrics()
    f = formatter_for(m, config)
    pre = _all_text(_write(build_preread(m, config), tmp_path))
    for expected in (
        f.number(m.usage.active_users_30d),
        f.pct(m.value.roi_pct),
        f.money(m.value.quarterly_value, "USD"),
        f"{m.health.score}/100",
        "00′",
        "58′",
        "20 min",
    ):
        assert expected in pre
    follow = _all_text(_write(build_followup(m, config), tmp_path))
    assert f.money(m.value.quarterly_value, "USD") in follow
    assert "Arrange a roadmap session" in follow  # open vendor action
    assert "Share the 2027 priorities" not in follow  # completed: not a commitment
    assert "projects migrated: 76 projects" in follow  # success criterion of an open goal
    assert "Mar 9, 2027" in follow  # next review = QBR date + the enterprise cadence (3 months)


@pytest.mark.parametrize("kind", KINDS)
def test_placeholders_are_flagged_and_found(kind: str, config: Config, tmp_path: Path) -> None:
    doc = BUILDERS[kind](make_metrics(), config)
    path = _write(doc, tmp_path)
    found = find_docx_placeholders(path)
    assert [mk for _, mk in found] == [p.marker for p in doc.placeholders]
    assert found and all(loc.startswith(("paragraph ", "table ")) for loc, _ in found)
    md = to_markdown(doc)
    assert len(re.findall(r"\[\[(?:CSM|DATA MISSING): ", md)) == len(doc.placeholders)
    # Styled unmistakably: yellow highlight, bold, amber text.
    runs = [r for p in Document(str(path)).paragraphs for r in p.runs if r.text.startswith("[[")]
    assert runs
    for r in runs:
        assert r.font.highlight_color == WD_COLOR_INDEX.YELLOW and r.bold
        assert str(r.font.color.rgb) == "8A5A00"


def test_missing_data_becomes_data_missing_placeholders(config: Config, tmp_path: Path) -> None:
    m = make_metrics(facts={"sponsor_name": None, "sponsor_title": None, "nps": None})
    m = dataclasses.replace(
        m,
        value=dataclasses.replace(
            m.value, quarterly_value=None, roi_pct=None, annualised_value=None, items=()
        ),
    )
    doc = build_briefing(m, config)
    markers = [mk for _, mk in find_docx_placeholders(_write(doc, tmp_path))]
    assert "[[DATA MISSING: name (accounts.sponsor_name)]]" in markers
    assert "[[DATA MISSING: latest NPS rating (accounts.nps)]]" in markers
    assert any(mk.startswith("[[DATA MISSING: value data for Q3 2026") for mk in markers)
    assert "ROI" not in " ".join(
        p.text for p in Document(str(tmp_path / "briefing.docx")).paragraphs if "Value" in p.text
    )


def test_core_properties_name_the_csm(config: Config, tmp_path: Path) -> None:
    path = _write(build_briefing(make_metrics(), config), tmp_path)
    cp = Document(str(path)).core_properties
    assert cp.author == "Dana Whitfield" and cp.last_modified_by == "Dana Whitfield"
    assert cp.title == "Executive briefing: Acme Logistics"
    assert cp.created is not None and cp.created.year == 2026
    assert "python-docx" not in f"{cp.author}{cp.comments}{cp.last_modified_by}"
    assert cp.language == "en-US"
    with zipfile.ZipFile(path) as z:
        assert b"<Application>deckgen</Application>" in z.read("docProps/app.xml")
        assert not [n for n in z.namelist() if "thumbnail" in n]  # the template's blank page


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_names_stay_literal(kind: str, config: Config, tmp_path: Path) -> None:
    m = hostile_metrics()
    doc = BUILDERS[kind](m, config)
    path = _write(doc, tmp_path)
    d = Document(str(path))
    title = d.paragraphs[0].text
    assert HOSTILE_CLEAN in title  # markup, template syntax, RTL and CJK kept as typed
    assert "49" not in title and "\x1b" not in _all_text(path)
    text = _all_text(path)
    if kind != "preread":
        assert "{{ 7*7 }}" in text  # the champion's name, printed, never evaluated
    md = to_markdown(doc)
    assert "<script>" not in md and "\\<script\\>" in md
    assert "{{ 7\\*7 }}" in md and "{{ 49 }}" not in md
    assert "\n# not" not in md and "\n- not a list" not in md  # no heading/list from data
    assert d.core_properties.author == "=cmd|' /C calc'!A0"  # plain text in a docx


def test_tracker_neutralises_formulas_and_uses_the_vocabulary(
    tmp_path: Path, config: Config
) -> None:
    m = hostile_metrics()
    rows = build_tracker(m, config)
    assert [r.id for r in rows] == ["A1", "A2", "G1", "G2"]  # open actions, then open goals
    assert {r.status for r in rows} <= set(ACTION_STATUSES)

    parsed = list(csv.reader(io.StringIO(tracker_csv(rows))))
    assert parsed[0][6] == "Status"
    assert parsed[1][2] == "'" + HOSTILE_ACTION and parsed[1][4] == "'@SUM(A1)"
    assert parsed[2][2].startswith("'-2+3") and parsed[2][4] == "+1"  # a number stays a number
    assert {r[6] for r in parsed[1:]} <= set(ACTION_STATUSES)

    xlsx = tmp_path / "plan.xlsx"
    write_tracker_xlsx(
        rows,
        xlsx,
        title=f"Action plan: {m.name}",
        author=m.facts.csm_name or "",
        created=date(2026, 11, 28),
    )
    wb = load_workbook(xlsx)
    ws = wb["Action plan"]
    assert ws.freeze_panes == "A2"
    assert ws["C2"].value == "'" + HOSTILE_ACTION and ws["C2"].data_type == "s"
    assert ws["E2"].value == "'@SUM(A1)"
    assert all(not str(c.value or "").startswith("=") for row in ws.iter_rows() for c in row)
    assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("1F4E79")
    assert ws.column_dimensions["C"].width > ws.column_dimensions["A"].width
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1 and dvs[0].type == "list" and "G2" in str(dvs[0].sqref)
    assert dvs[0].formula1.strip('"').split(",") == list(ACTION_STATUSES)
    statuses = [ws.cell(row=r, column=7).value for r in range(2, ws.max_row + 1)]
    assert {s for s in statuses if s} <= set(ACTION_STATUSES)
    assert wb.properties.creator == "'=cmd|' /C calc'!A0"


def test_goal_statuses_map_into_the_action_vocabulary(config: Config) -> None:
    rows = {r.item: r for r in build_tracker(make_metrics(), config)}
    assert rows["Move all client projects onto the platform"].status == "in progress"
    assert rows["Cut weekly status reporting time"].status == "at risk"  # off_track
    assert "Roll out to a second department" not in rows  # complete goals are not seeded
    assert rows["Move all client projects onto the platform"].notes == "Now 68.8 projects"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien & Sons", "O'Brien & Sons"),
        ("a_b*c", "a\\_b\\*c"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("[link](http://x)", "\\[link\\](http://x)"),
        ("AT&amp;T", "AT&amp;amp;T"),
        ("pipe | cell", "pipe \\| cell"),
        ("two\nlines", "two lines"),
    ],
)
def test_md_escape(raw: str, expected: str) -> None:
    assert md_escape(raw) == expected


def test_render_documents_writes_every_file(config: Config, tmp_path: Path) -> None:
    m = make_metrics()
    files = render_documents(_prepared(config, m), m, tmp_path, ["briefing", "preread", "followup"])
    names = sorted(f.path.name for f in files)
    stem = "a-0100_acme-logistics"
    assert names == sorted(
        [f"{stem}_{k}_2026Q3.{ext}" for k in KINDS for ext in ("docx", "md")]
        + [f"{stem}_action_plan_2026Q3.xlsx", f"{stem}_action_plan_2026Q3.csv"]
    )
    for f in files:
        assert f.path.parent == tmp_path.resolve()
        assert hashlib.sha256(f.path.read_bytes()).hexdigest() == f.sha256
        if f.path.suffix == ".docx":
            assert f.placeholders == len(find_docx_placeholders(f.path)) > 0
        if f.path.suffix == ".md":
            text = f.path.read_text(encoding="utf-8")
            assert f.placeholders == len(re.findall(r"\[\[(?:CSM|DATA MISSING): ", text))
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_render_documents_rejects_unknown_kinds(config: Config, tmp_path: Path) -> None:
    from deckgen.errors import RenderError

    m = make_metrics()
    with pytest.raises(RenderError, match="unknown document kind"):
        render_documents(_prepared(config, m), m, tmp_path, ["briefing", "brochure"])
    assert not list(tmp_path.iterdir())


def test_talking_points_follow_the_stakeholder(config: Config) -> None:
    md = to_markdown(build_briefing(make_metrics(), config))
    sponsor = md.split("### Lee Park")[1].split("###")[0]
    champion = md.split("### Sam Okoro")[1].split("##")[0]
    assert "Outcomes:" in sponsor  # C-suite: outcomes and ROI
    assert "Adoption:" in champion  # director: adoption and team metrics
    assert "[[CSM: what Lee Park personally needs to hear from this review]]" in sponsor


def test_check_docx_reports_tables_and_split_runs(tmp_path: Path) -> None:
    d = Document()
    p = d.add_paragraph("Intro ")
    p.add_run("[[CSM: fir")
    p.add_run("st]] and [[DATA MISSING: nps]]")
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 1).text = "[[CSM: answer]]"
    d.sections[0].footer.paragraphs[0].text = "[[CSM: footer]]"
    path = tmp_path / "x.docx"
    d.save(str(path))
    assert find_docx_placeholders(path) == [
        ("paragraph 1", "[[CSM: first]]"),
        ("paragraph 1", "[[DATA MISSING: nps]]"),
        ("table 1, row 1, column 2", "[[CSM: answer]]"),
        ("footer, paragraph 1", "[[CSM: footer]]"),
    ]


def test_question_lists_never_drop_the_csm_prompt(config: Config) -> None:
    m = make_metrics()
    m = dataclasses.replace(m, usage=dataclasses.replace(m.usage, feature_breadth_pct=40.0))
    doc = build_preread(m, config)
    questions = next(s for s in doc.sections if s.heading == "Please come prepared with")
    bullets = questions.blocks[0]
    assert isinstance(bullets, Bullets) and len(bullets.items) == 5
    assert bullets.items[-1][0].placeholder is not None  # the data-driven 6th line gave way
