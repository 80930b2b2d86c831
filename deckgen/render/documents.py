"""The rest of the QBR package: executive briefing, customer pre-read, post-QBR follow-up.

Why this shape: a QBR is more than a deck (docs/domain.md §9). Before the call the CSM needs an
internal briefing and the customer a one-page pre-read; within a day after it, a follow-up email
with commitments and owners, plus an action plan to track them. They must show the *same* numbers
as the deck, so:

- every number comes from `AccountMetrics` and is formatted by the deck's `Formatter`
  (`formatter_for`): nothing is computed here, documents equal `deckgen metrics --json`;
- the words come from jinja templates under `content/documents/` (CS Ops edit them), rendered by the
  sandboxed, strict text environment; account data enters only as values, never as template source,
  so an account named `{{ 7*7 }}` prints literally;
- judgement (takeaways, objectives, answers) is left as flagged `[[CSM: …]]` placeholders, missing
  data as `[[DATA MISSING: …]]`, the convention of the decks, so `deckgen check` catches them.

Builders (`build_briefing`, `build_preread`, `build_followup`, `build_tracker`) produce a small
render-neutral model of frozen dataclasses (`Doc` → `Section` → blocks). Writers turn it into
`.docx` (through `deckgen.render.docx_writer`), a Markdown twin, and for the action plan an
`.xlsx` and a `.csv` whose every text cell passes `csv_safe` (formula injection).
`render_documents` ties them together with atomic writes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from deckgen.book.text import clean_text
from deckgen.config import Config
from deckgen.errors import RenderError
from deckgen.metrics.results import AccountMetrics, ActionRow, GoalRow
from deckgen.metrics.vocab import ACTION_STATUSES
from deckgen.model.blocks import AGENDA, signal_row, status_cell
from deckgen.model.build import formatter_for
from deckgen.model.deck import MARKER_RE, Cell, Placeholder, Run, Status
from deckgen.narrative.env import render_text
from deckgen.narrative.formats import DASH, Formatter

if TYPE_CHECKING:
    from deckgen.charting.style import ChartStyle
    from deckgen.pipeline import OutputFile, RenderInputs

KINDS = ("briefing", "preread", "followup")
TRACKER_KIND = "action_plan"
Audience = Literal["internal", "customer"]

# ====================================================================== document model


@dataclass(frozen=True)
class Para:
    """A paragraph of runs; `lead` is the opening paragraph, `note` small and muted."""

    runs: tuple[Run, ...]
    style: Literal["body", "lead", "note"] = "body"


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Run, ...], ...]


@dataclass(frozen=True)
class Table:
    """`key_value` tables have no header row; their first column holds labels."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...] = ()
    caption: str | None = None
    key_value: bool = False


@dataclass(frozen=True)
class Flag:
    """A paragraph that is only a placeholder: something the CSM must write or find."""

    placeholder: Placeholder


@dataclass(frozen=True)
class Subheading:
    text: str


DocBlock = Para | Bullets | Table | Flag | Subheading


@dataclass(frozen=True)
class Section:
    heading: str  # "" = no heading (e.g. the sign-off of an email)
    blocks: tuple[DocBlock, ...]


@dataclass(frozen=True)
class Doc:
    """One document for one account, render-neutral: the .docx and .md say the same."""

    kind: str
    title: str
    subtitle: str
    audience: Audience
    account_id: str
    account_name: str
    quarter: str
    author: str
    subject: str
    sections: tuple[Section, ...]
    created: date
    keywords: tuple[str, ...] = ()
    footer: str = ""
    compact: bool = False  # one-page layout (the pre-read)

    @property
    def placeholders(self) -> list[Placeholder]:
        """Every placeholder in reading order; each is rendered exactly once as a marker."""
        found: list[Placeholder] = []
        for section in self.sections:
            for b in section.blocks:
                found += _block_placeholders(b)
        return found


def _block_placeholders(b: DocBlock) -> list[Placeholder]:
    if isinstance(b, Para):
        return [r.placeholder for r in b.runs if r.placeholder]
    if isinstance(b, Bullets):
        return [r.placeholder for item in b.items for r in item if r.placeholder]
    if isinstance(b, Table):
        return [c.placeholder for row in b.rows for c in row if c.placeholder]
    if isinstance(b, Flag):
        return [b.placeholder]
    return []


@dataclass(frozen=True)
class TrackerRow:
    """One line of the action plan: an open action or an open success-plan goal."""

    id: str
    type: Literal["Action", "Goal"]
    item: str
    side: str
    owner: str
    due: date | None
    status: str  # always one of ACTION_STATUSES
    success_criterion: str
    notes: str


TRACKER_COLUMNS = (
    "ID",
    "Type",
    "Item",
    "Side",
    "Owner",
    "Due date",
    "Status",
    "Success criterion",
    "Progress / notes",
)
# Success-plan goal statuses in the action-plan vocabulary (docs/domain.md §9).
GOAL_TO_ACTION_STATUS = {
    "on_track": "in progress",
    "at_risk": "at risk",
    "off_track": "at risk",
    "complete": "complete",
}
_DONE = ("complete", "cancelled")

# ====================================================================== helpers


def ph(prompt: str) -> Placeholder:
    return Placeholder(prompt, "csm")


def missing(what: str) -> Placeholder:
    return Placeholder(what, "data_missing")


def runs_from_text(text: str) -> tuple[Run, ...]:
    """Split a template line into runs, turning `[[CSM: …]]` markers into placeholder runs.

    This is how CS Ops add a placeholder from a template: they type the marker.
    """
    runs: list[Run] = []
    pos = 0
    for match in MARKER_RE.finditer(text):
        if match.start() > pos:
            runs.append(Run(text[pos : match.start()]))
        kind: Literal["csm", "data_missing"] = "csm" if match.group(1) == "CSM" else "data_missing"
        holder = Placeholder(match.group(2), kind)
        runs.append(Run(holder.marker, placeholder=holder))
        pos = match.end()
    if pos < len(text):
        runs.append(Run(text[pos:]))
    return tuple(runs)


def _r(*parts: str | Placeholder | Run) -> tuple[Run, ...]:
    out: list[Run] = []
    for part in parts:
        if isinstance(part, Placeholder):
            out.append(Run(part.marker, placeholder=part))
        elif isinstance(part, Run):
            out.append(part)
        elif part:
            out.append(Run(part))
    return tuple(out)


def _para(*parts: str | Placeholder | Run, style: Literal["body", "lead", "note"] = "body") -> Para:
    return Para(_r(*parts), style)


def _cell(
    value: str | Placeholder | None,
    *,
    align: Literal["left", "right", "center"] = "left",
    bold: bool = False,
    status: Status | None = None,
) -> Cell:
    if isinstance(value, Placeholder):
        return Cell("", placeholder=value, align=align)
    return Cell(value if value else DASH, status=status, bold=bold, align=align)


def _label(code: str | None) -> str:
    text = (code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else DASH


def _band_status(band: str | None) -> Status | None:
    return {"green": "green", "yellow": "yellow", "red": "red"}.get(band or "")  # type: ignore[return-value]


def _months_text(months: int | None) -> str:
    if months is None:
        return ""
    if months < 0:
        return "date passed"
    if months == 0:
        return "within a month"
    return f"in {months} month{'s' if months != 1 else ''}"


def _score_status(score: float | None, config: Config) -> Status:
    """A 0-100 score's colour by the configured health bands (the same cut-offs as the deck)."""
    if score is None:
        return "grey"
    if score >= float(config.get("health.bands.green", 75)):
        return "green"
    if score >= float(config.get("health.bands.yellow", 50)):
        return "yellow"
    return "red"


def _audience_for(title: str | None, default: str) -> str:
    """Who a stakeholder is, for tuning talking points (docs/domain.md §7): C-suite hears outcomes
    and ROI, a VP department KPIs, a director or manager adoption and team metrics."""
    t = f" {(title or '').lower()} "
    if not t.strip():
        return default
    c_suite = (
        "chief",
        " ceo",
        " cfo",
        " coo",
        " cto",
        " cio",
        " cro",
        " cmo",
        "president",
        "founder",
        " owner",
        "managing director",
        "general manager",
    )
    if any(k in t for k in c_suite) and "vice president" not in t:
        return "c_suite"
    if any(k in t for k in (" vp", "vice president", "svp", "evp", "head of")):
        return "vp"
    return "director"


def _open(actions: Iterable[ActionRow]) -> list[ActionRow]:
    return [a for a in actions if a.status not in _DONE]


def _open_goals(goals: Iterable[GoalRow]) -> list[GoalRow]:
    return [g for g in goals if g.status != "complete"]


def _unit(unit: str | None) -> str:
    if not unit:
        return ""
    return unit if unit == "%" else f" {unit}"


def _criterion(g: GoalRow, f: Formatter) -> str:
    """Success criterion, e.g. "projects migrated: 76 projects".

    Built from the goal's own metric and target: no new numbers.
    """
    if g.target is None:
        return ""
    what = g.metric or "target"
    return f"{what}: {f.number(g.target, 1 if g.target % 1 else 0)}{_unit(g.unit)}"


def _progress(g: GoalRow, f: Formatter) -> str:
    if g.actual is None:
        return ""
    return f"Now {f.number(g.actual, 1 if g.actual % 1 else 0)}{_unit(g.unit)}"


def _first(lines: list[tuple[Run, ...]], n: int) -> list[tuple[Run, ...]]:
    """At most `n` lines in template order, never dropping a placeholder line: a template's
    `[[CSM: …]]` is a deliberate prompt, while data-driven lines are nice-to-have."""
    flagged = sum(1 for line in lines if any(r.placeholder for r in line))
    room = max(n - flagged, 0)
    kept: list[tuple[Run, ...]] = []
    for line in lines:
        if any(r.placeholder for r in line):
            kept.append(line)
        elif room:
            kept.append(line)
            room -= 1
    return kept


@dataclass
class _Ctx:
    """What every builder needs: the metrics, the deck's formatter, config and template folder."""

    m: AccountMetrics
    f: Formatter
    config: Config
    content_dir: Path | None

    @property
    def cur(self) -> str:
        return self.m.facts.currency

    def lines(self, template: str, **extra: Any) -> list[tuple[Run, ...]]:
        """Render a template; each non-empty line becomes runs (markers become placeholders)."""
        text = render_text(template, self.content_dir, m=self.m, f=self.f, **extra)
        return [runs_from_text(line.strip()) for line in text.splitlines() if line.strip()]


# ====================================================================== shared sections


def _value_blocks(c: _Ctx, *, detail: bool) -> list[DocBlock]:
    """Value headline (the deck's own sentence template), items by category, and for the
    internal briefing the trend over quarters and the method."""
    f, v = c.f, c.m.value
    if v.quarterly_value is None:
        return [
            Flag(
                missing(
                    f"value data for {f.quarter(v.quarter)} (value table): ask the "
                    "champion for this quarter's results"
                )
            )
        ]
    blocks: list[DocBlock] = [Para(r) for r in c.lines("narrative/value_headline.j2")]
    items = [i for i in v.items if i.value is not None] if not detail else list(v.items)
    if items:
        rows = tuple(
            (
                _cell(_label(i.category)),
                _cell(i.label),
                _cell(
                    f.money(i.value, c.cur) if i.value is not None else "not valued", align="right"
                ),
            )
            for i in items[: 8 if detail else 5]
        )
        blocks.append(
            Table(
                ("Category", "What was measured", f"Value, {f.quarter(v.quarter)}"),
                rows,
                widths=(0.24, 0.54, 0.22),
            )
        )
    if detail:
        if v.trend:
            blocks.append(
                Table(
                    tuple(f.quarter(q) for q, _ in v.trend),
                    (
                        tuple(
                            _cell(
                                f.money(val, c.cur) if val is not None else "no data",
                                align="center",
                            )
                            for _, val in v.trend
                        ),
                    ),
                    caption="Value by quarter; quarters without value rows are not estimated.",
                )
            )
        if v.method:
            blocks.append(_para(f"Method: {v.method.rstrip('.')}.", style="note"))
        if v.assumptions:
            blocks.append(
                _para(f"Assumptions: {'; '.join(v.assumptions).rstrip('.')}.", style="note")
            )
    return blocks


def _signal_rows(c: _Ctx) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for reason in c.m.health.overrides:
        rows.append(
            (
                _cell("Risk", bold=True),
                _cell("Forced Red"),
                _cell(reason),
                status_cell("red", "High"),
            )
        )
    rows += [signal_row(s) for s in c.m.signals]
    return rows


def _actions_table(c: _Ctx, actions: Sequence[ActionRow], *, side: bool) -> Table:
    rows = []
    for a in actions:
        row = [_cell(a.action), _cell(a.owner or ph("owner"))]
        if side:
            row.append(_cell(_label(a.side)))
        row += [
            _cell(c.f.date(a.due_date) if a.due_date else ph("due date")),
            status_cell(a.status),
        ]
        rows.append(tuple(row))
    cols = (
        ("Action", "Owner", "Side", "Due", "Status")
        if side
        else ("Action", "Owner", "Due", "Status")
    )
    widths = (0.4, 0.18, 0.11, 0.16, 0.15) if side else (0.47, 0.2, 0.17, 0.16)
    return Table(cols, tuple(rows), widths=widths)


# ====================================================================== briefing


def build_briefing(m: AccountMetrics, config: Config, *, content_dir: Path | None = None) -> Doc:
    """Internal prep for the CSM (docs/domain.md §9): overview, attendees, health, value, risks and
    opportunities with their signals, objectives, anticipated questions, talking points."""
    c = _Ctx(m, formatter_for(m, config), config, content_dir)
    f, a, h = c.f, m.facts, m.health
    review = "executive business review" if a.is_ebr else "business review"

    # -- overview
    health_txt: str | Placeholder
    if h.score is None:
        health_txt = missing(
            "health score: no usage, engagement, outcome, support or relationship data"
        )
    else:
        health_txt = f"{h.score}/100 · {_label(h.band)}"
        if h.trend.change is not None:
            health_txt += f" · {f.delta(h.trend.change)} in 30 days"
            if h.trend.direction:
                health_txt += f" ({_label(h.trend.direction).lower()})"
    renewal: str | Placeholder = (
        f"{f.date(a.renewal_date)} ({_months_text(a.months_to_renewal)})"
        if a.renewal_date
        else missing("contract end date (accounts.renewal_date)")
    )
    nps: str | Placeholder = (
        f"{f.number(a.nps, 0 if float(a.nps).is_integer() else 1)} / 10"
        if a.nps is not None
        else missing("latest NPS rating (accounts.nps)")
    )
    overview_rows: list[tuple[Cell, ...]] = [
        (_cell("Account"), _cell(f"{m.name} ({m.account_id})")),
        (_cell("Tier"), _cell(f"{_label(m.tier)} · {review}")),
        (_cell("ARR"), _cell(f.money(a.arr, c.cur, compact=False))),
        (_cell("Contract end / renewal"), _cell(renewal)),
        (
            _cell("Months to renewal"),
            _cell(str(a.months_to_renewal) if a.months_to_renewal is not None else DASH),
        ),
        (_cell("Health"), _cell(health_txt, status=_band_status(h.band))),
        (_cell("NPS"), _cell(nps)),
    ]
    if a.csat is not None:
        overview_rows.append((_cell("CSAT"), _cell(f"{f.number(a.csat, 1)} / 5")))
    overview_rows += [
        (_cell("Customer since"), _cell(f.date(a.customer_since))),
        (
            _cell("Review"),
            _cell(
                f"{f.quarter(m.period.quarter)} reviewed, meeting on {f.date(m.period.qbr_date)}"
                if m.period.qbr_date
                else f"{f.quarter(m.period.quarter)} reviewed"
            ),
        ),
    ]
    overview: list[DocBlock] = [
        Para(
            runs_from_text(render_text("documents/briefing_intro.j2", content_dir, m=m, f=f)),
            "lead",
        ),
        Table(("", ""), tuple(overview_rows), widths=(0.3, 0.7), key_value=True),
    ]
    notes = [*m.reasons, *m.warnings]
    if notes:
        overview.append(Subheading("Before you share anything"))
        overview.append(Bullets(tuple(_r(n) for n in notes)))

    # -- attendees
    def person(name: str | None, field: str) -> str | Placeholder:
        return name or missing(f"name (accounts.{field})")

    attendees = Table(
        ("Role", "Name", "Title", "Email"),
        (
            (
                _cell("Executive sponsor", bold=True),
                _cell(person(a.sponsor_name, "sponsor_name")),
                _cell(a.sponsor_title),
                _cell(None),
            ),
            (
                _cell("Champion", bold=True),
                _cell(person(a.champion_name, "champion_name")),
                _cell(a.champion_title),
                _cell(a.champion_email),
            ),
            (
                _cell("CSM", bold=True),
                _cell(person(a.csm_name, "csm_name")),
                _cell("Customer Success Manager"),
                _cell(a.csm_email),
            ),
        ),
        widths=(0.18, 0.21, 0.26, 0.35),
    )

    # -- health by dimension
    health: list[DocBlock] = []
    if h.score is not None:
        line = f"Overall {h.score}/100 ({_label(h.band)})"
        if h.trend.change is not None and h.trend.previous is not None:
            line += (
                f": {f.delta(h.trend.change)} in 30 days, from {h.trend.previous}"
                f" ({_label(h.trend.direction).lower()})."
            )
        else:
            line += "; no score 30 days ago to compare with."
        health.append(_para(line))
    for reason in h.overrides:
        health.append(_para(Run("Forced Red: ", bold=True), reason))
    dim_rows = []
    for d in h.dimensions.values():
        weight = f.pct(d.effective_weight * 100)
        if abs(d.effective_weight - d.weight) > 1e-9:
            weight = f"{f.pct(d.weight * 100)} → {weight}"
        drivers = "; ".join(d.flags) or d.note or DASH
        st = _score_status(d.score, config)
        dim_rows.append(
            (
                _cell(_label(d.name), bold=True),
                _cell(f.number(d.score) if d.score is not None else "no data", align="right"),
                _cell(weight, align="right"),
                status_cell(
                    st, {"green": "Green", "yellow": "Yellow", "red": "Red", "grey": "No data"}[st]
                ),
                _cell(drivers),
            )
        )
    if dim_rows:
        health.append(
            Table(
                ("Dimension", "Score", "Weight", "Band", "What drives it"),
                tuple(dim_rows),
                widths=(0.17, 0.09, 0.13, 0.12, 0.49),
            )
        )
    if h.missing:
        health.append(
            _para(
                f"No data for {', '.join(h.missing)}: its weight is spread over "
                "the other dimensions.",
                style="note",
            )
        )
    if not health:
        health.append(Flag(missing("health dimensions: no data for this account")))

    # -- risks and opportunities
    risks: list[DocBlock] = []
    sig_rows = _signal_rows(c)
    if sig_rows:
        risks.append(
            Table(
                ("Type", "Signal", "What the data shows", "Level"),
                tuple(sig_rows),
                widths=(0.14, 0.22, 0.5, 0.14),
            )
        )
    else:
        risks.append(_para("No risk or expansion signal crossed its threshold this quarter."))
    risks.append(
        Flag(
            ph("what the data does not show: budget, politics, competitors, mood in the last calls")
        )
    )

    # -- objectives, questions, talking points
    objectives = Bullets(tuple(c.lines("documents/briefing_objectives.j2")))
    questions = _first(c.lines("documents/briefing_questions.j2"), 5)
    q_table = Table(
        ("They may ask", "Your answer"),
        tuple((Cell("".join(x.text for x in q)), _cell(ph("your answer"))) for q in questions),
        widths=(0.55, 0.45),
    )

    talking: list[DocBlock] = []
    people = [
        (a.sponsor_name, a.sponsor_title, "Executive sponsor", "c_suite"),
        (a.champion_name, a.champion_title, "Champion", "director"),
    ]
    for name, title, role, default in people:
        if not name:
            continue
        audience = _audience_for(title, default)
        heading = f"{name}, {title}" if title else name
        talking.append(Subheading(f"{heading} ({role.lower()})"))
        talking.append(
            Bullets(
                tuple(
                    c.lines(
                        "documents/talking_points.j2",
                        person=name,
                        title=title or "",
                        role=role,
                        audience=audience,
                    )
                )
            )
        )
    if not talking:
        talking.append(
            Flag(missing("sponsor and champion (accounts.sponsor_name, accounts.champion_name)"))
        )

    open_actions = _open(m.actions)
    actions: list[DocBlock] = (
        [_actions_table(c, open_actions, side=True)]
        if open_actions
        else [_para("No open actions from the last review.")]
    )

    sections = (
        Section("Account overview", tuple(overview)),
        Section(
            "Attendees", (attendees, Flag(ph("other attendees, theirs and ours, with their roles")))
        ),
        Section("Health by dimension", tuple(health)),
        Section("Value delivered", tuple(_value_blocks(c, detail=True))),
        Section("Risks and opportunities", tuple(risks)),
        Section("QBR objectives", (objectives,)),
        Section("Anticipated questions", (q_table,)),
        Section("Talking points by stakeholder", tuple(talking)),
        Section("Open actions", tuple(actions)),
    )
    return Doc(
        kind="briefing",
        title=f"Executive briefing: {m.name}",
        subtitle=f"{f.quarter(m.period.quarter)} {review} · "
        f"{f.date(m.period.qbr_date) if m.period.qbr_date else 'date to be set'} · "
        "internal, do not forward",
        audience="internal",
        account_id=m.account_id,
        account_name=m.name,
        quarter=m.period.quarter,
        author=a.csm_name or "Customer Success",
        subject=f"Executive briefing for the {f.quarter(m.period.quarter)} review of {m.name}",
        sections=sections,
        created=m.period.as_of,
        keywords=("QBR", "briefing", m.tier, m.period.quarter),
        footer=f"{m.name} · executive briefing · internal",
    )


# ====================================================================== pre-read


def build_preread(m: AccountMetrics, config: Config, *, content_dir: Path | None = None) -> Doc:
    """One customer-facing page a week before the call: agenda with timings, key metrics with
    their trend, the value headline and the questions to come prepared with."""
    c = _Ctx(m, formatter_for(m, config), config, content_dir)
    f, u, v, s, h = c.f, m.usage, m.value, m.support, m.health

    start = 0
    agenda_rows = []
    for topic, minutes in AGENDA:
        agenda_rows.append(
            (
                _cell(f"{start:02d}′", align="center"),
                _cell(topic),
                _cell(f"{minutes} min", align="right"),
            )
        )
        start += minutes
    agenda = Table(("Start", "Topic", "Time"), tuple(agenda_rows), widths=(0.12, 0.7, 0.18))

    rows: list[tuple[Cell, ...]] = []
    if u.active_users_30d is not None:
        seats = (
            f"of {f.number(u.licensed_seats)} licensed seats ({f.pct(u.seat_utilisation_pct)})"
            if u.licensed_seats
            else ""
        )
        rows.append(
            (
                _cell("Active users", bold=True),
                _cell(f.number(u.active_users_30d), align="right"),
                _cell(
                    f"{f.delta_pct(u.users_change_qoq_pct)} vs last quarter"
                    if u.users_change_qoq_pct is not None
                    else DASH
                ),
                _cell(seats),
            )
        )
    if u.features_used is not None and u.features_available:
        rows.append(
            (
                _cell("Features in use", bold=True),
                _cell(f"{u.features_used} of {u.features_available}", align="right"),
                _cell(DASH),
                _cell(f"{f.pct(u.feature_breadth_pct)} of your plan's features"),
            )
        )
    if v.quarterly_value is not None:
        known = [(q, val) for q, val in v.trend if val is not None and q != v.quarter]
        trend = (
            f"from {f.money(known[-1][1], c.cur)} in {f.quarter(known[-1][0])}" if known else DASH
        )
        rows.append(
            (
                _cell(f"Value delivered, {f.quarter(v.quarter)}", bold=True),
                _cell(f.money(v.quarterly_value, c.cur), align="right"),
                _cell(trend),
                _cell(
                    f"{f.pct(v.roi_pct)} return on the quarter's investment"
                    if v.roi_pct is not None
                    else ""
                ),
            )
        )
    else:
        rows.append(
            (
                _cell(f"Value delivered, {f.quarter(v.quarter)}", bold=True),
                _cell(DASH, align="right"),
                _cell(DASH),
                _cell("to be confirmed with your team"),
            )
        )
    if h.score is not None:
        rows.append(
            (
                _cell("Health score", bold=True),
                _cell(f"{h.score}/100", align="right", status=_band_status(h.band)),
                _cell(
                    f"{f.delta(h.trend.change)} in 30 days" if h.trend.change is not None else DASH
                ),
                _cell(f"{_label(h.band)} band"),
            )
        )
    if s.median_resolution_hours is not None:
        context = "median time to resolve a ticket"
        if s.ticket_csat is not None:
            context += f"; satisfaction {f.number(s.ticket_csat, 1)} / 5"
        rows.append(
            (
                _cell("Support", bold=True),
                _cell(f"{f.number(s.median_resolution_hours, 1)} h", align="right"),
                _cell(f"ticket volume {s.volume_trend}" if s.volume_trend else DASH),
                _cell(context),
            )
        )
    elif s.volume_trend is not None:
        # No ticket resolved in the review quarter: show what is open now instead.
        rows.append(
            (
                _cell("Support", bold=True),
                _cell(f"{f.number(s.open_tickets)} open", align="right"),
                _cell(f"ticket volume {s.volume_trend}"),
                _cell("tickets open today"),
            )
        )
    metrics = Table(
        ("Metric", "Now", "Trend", "Context"), tuple(rows), widths=(0.26, 0.15, 0.27, 0.32)
    )

    value_lines = (
        c.lines("narrative/value_headline.j2")
        if v.quarterly_value is not None
        else [_r(missing(f"value data for {f.quarter(v.quarter)}"))]
    )
    questions = _first(c.lines("documents/preread_questions.j2"), 5)
    who = m.facts.csm_name or "your Customer Success Manager"
    contact = ", ".join(x for x in (who, m.facts.csm_email) if x)
    sections = (
        Section("", tuple(Para(r, "lead") for r in c.lines("documents/preread_intro.j2"))),
        Section("Agenda", (agenda,)),
        Section("Key metrics", (metrics,)),
        Section("Value headline", tuple(Para(r) for r in value_lines)),
        Section("Please come prepared with", (Bullets(tuple(questions)),)),
        Section("", (_para(f"Questions before the review? Contact {contact}.", style="note"),)),
    )
    return Doc(
        kind="preread",
        title=f"{m.name}: {f.quarter(m.period.quarter)} business review",
        subtitle=f"Pre-read for our review on "
        f"{f.date(m.period.qbr_date) if m.period.qbr_date else 'the date we agree'}"
        f" · prepared by {who}",
        audience="customer",
        account_id=m.account_id,
        account_name=m.name,
        quarter=m.period.quarter,
        author=m.facts.csm_name or "Customer Success",
        subject=f"Pre-read for the {f.quarter(m.period.quarter)} business review",
        sections=sections,
        created=m.period.as_of,
        keywords=("QBR", "pre-read", m.period.quarter),
        compact=True,
    )


# ====================================================================== follow-up


def next_review_date(m: AccountMetrics, config: Config) -> date | None:
    """The review after this one: this QBR's date plus the tier's cadence (config
    `cadence_months`), the rule the metrics stage uses when `next_qbr_date` is blank."""
    from deckgen.metrics.periods import add_months
    from deckgen.metrics.tiers import cadence_months

    if m.period.qbr_date is None:
        return None
    result: date = add_months(m.period.qbr_date, cadence_months(m.tier, config))
    return result


def build_followup(m: AccountMetrics, config: Config, *, content_dir: Path | None = None) -> Doc:
    """The post-QBR email draft (docs/domain.md §9): takeaways (placeholders), value delivered,
    commitments on both sides with owner and due date, next-quarter goals with success
    criteria, and the next review date."""
    c = _Ctx(m, formatter_for(m, config), config, content_dir)
    f, a = c.f, m.facts
    subject = " ".join(r.text for r in c.lines("documents/followup_subject.j2")[0])
    to: str | Placeholder = (
        f"{a.champion_name} <{a.champion_email}>"
        if a.champion_name and a.champion_email
        else a.champion_email or missing("champion email (accounts.champion_email)")
    )
    header = Table(
        ("", ""),
        (
            (_cell("To"), _cell(to)),
            (_cell("Cc"), _cell(ph("the executive sponsor and the other attendees"))),
            (_cell("Subject"), _cell(subject)),
            (_cell("Attach"), _cell(document_file_name(m, TRACKER_KIND, "xlsx"))),
        ),
        widths=(0.14, 0.86),
        key_value=True,
    )

    opening = c.lines("documents/followup_opening.j2")
    takeaways = Bullets(
        tuple(
            _r(ph(p))
            for p in (
                "takeaway 1: what we agreed matters most to them",
                "takeaway 2: the decision or feedback from the room",
                "takeaway 3: what changes next quarter",
            )
        )
    )

    def commitments(side: str, mine: str) -> list[DocBlock]:
        acts = [x for x in _open(m.actions) if (x.side or "").lower() == side]
        rows: list[tuple[Cell, ...]] = [
            (
                _cell(x.action),
                _cell(x.owner or ph("owner")),
                _cell(f.date(x.due_date) if x.due_date else ph("due date")),
                status_cell(x.status),
            )
            for x in acts
        ]
        rows.append(
            (
                _cell(ph(f"new commitments {mine} made in the room")),
                Cell(""),
                Cell(""),
                status_cell("not started"),
            )
        )
        return [
            Table(("Action", "Owner", "Due", "Status"), tuple(rows), widths=(0.47, 0.2, 0.17, 0.16))
        ]

    goal_rows: list[tuple[Cell, ...]] = []
    for g in _open_goals(m.goals):
        crit = _criterion(g, f)
        goal_rows.append(
            (
                _cell(g.goal),
                _cell(crit or ph(f"success criterion for “{g.goal}”")),
                _cell(g.owner or ph("owner")),
                _cell(f.date(g.due_date) if g.due_date else ph("due date")),
            )
        )
    goal_rows.append(
        (
            _cell(ph("goal agreed for next quarter")),
            _cell(ph("how we will measure it")),
            Cell(""),
            Cell(""),
        )
    )
    goals = Table(
        ("Goal", "Success criterion", "Owner", "Due"),
        tuple(goal_rows),
        widths=(0.37, 0.29, 0.17, 0.17),
    )

    nxt = next_review_date(m, config)
    if nxt:
        next_para = _para(
            "Our next review: proposed for ",
            Run(f.date(nxt), bold=True),
            f" (every {_cadence_words(m, config)}). ",
            ph("confirm the date agreed in the room"),
        )
    else:
        next_para = _para("Our next review: ", missing("next review date (accounts.next_qbr_date)"))

    sections = (
        Section("Email", (header,)),
        Section("", tuple(Para(r) for r in opening)),
        Section("Key takeaways", (takeaways,)),
        Section("Value delivered", tuple(_value_blocks(c, detail=False))),
        Section("What we committed to", tuple(commitments("vendor", "we"))),
        Section("What your team committed to", tuple(commitments("customer", "your team"))),
        Section("Goals for next quarter", (goals,)),
        Section("Next review", (next_para,)),
        Section("", _closing(c.lines("documents/followup_closing.j2"))),
    )
    return Doc(
        kind="followup",
        title=f"Follow-up email draft: {m.name}",
        subtitle=f"After the {f.quarter(m.period.quarter)} review"
        f"{' on ' + f.date(m.period.qbr_date) if m.period.qbr_date else ''}"
        " · send within 24 hours",
        audience="customer",
        account_id=m.account_id,
        account_name=m.name,
        quarter=m.period.quarter,
        author=a.csm_name or "Customer Success",
        subject=subject,
        sections=sections,
        created=m.period.as_of,
        keywords=("QBR", "follow-up", m.period.quarter),
        footer=f"{m.name} · follow-up draft",
    )


def _closing(lines: list[tuple[Run, ...]]) -> tuple[DocBlock, ...]:
    """The first line is a paragraph; the sign-off lines below it stay together, one per line."""
    if len(lines) < 2:
        return tuple(Para(r) for r in lines)
    signature: list[Run] = []
    for i, line in enumerate(lines[1:]):
        if i:
            signature.append(Run("\n"))
        signature += line
    return (Para(lines[0]), Para(tuple(signature)))


def _cadence_words(m: AccountMetrics, config: Config) -> str:
    from deckgen.metrics.tiers import cadence_months

    n = cadence_months(m.tier, config)
    return {3: "quarter", 6: "six months", 12: "year"}.get(n, f"{n} months")


def build_tracker(m: AccountMetrics, config: Config) -> tuple[TrackerRow, ...]:
    """The action plan seeded from open actions and open success-plan goals.

    Action statuses are already in the follow-up vocabulary (the metrics stage normalised them,
    "overdue" included); goal statuses are mapped with `GOAL_TO_ACTION_STATUS`.
    """
    f = formatter_for(m, config)
    rows: list[TrackerRow] = []
    for i, x in enumerate(_open(m.actions), start=1):
        status = x.status if x.status in ACTION_STATUSES else "in progress"
        rows.append(
            TrackerRow(
                f"A{i}",
                "Action",
                x.action,
                _label(x.side) if x.side else "",
                x.owner or "",
                x.due_date,
                status,
                "",
                "",
            )
        )
    for i, g in enumerate(_open_goals(m.goals), start=1):
        status = GOAL_TO_ACTION_STATUS.get(g.status or "", "not started")
        rows.append(
            TrackerRow(
                f"G{i}",
                "Goal",
                g.goal,
                "Joint",
                g.owner or "",
                g.due_date,
                status,
                _criterion(g, f),
                _progress(g, f),
            )
        )
    return tuple(rows)


# ====================================================================== writers: docx


def _pieces(runs: Sequence[Run]) -> list[Any]:
    from deckgen.render.docx_writer import Piece

    return [
        Piece(r.placeholder.marker, flagged=True) if r.placeholder else Piece(r.text, r.bold)
        for r in runs
    ]


def _cell_spec(cell: Cell) -> Any:
    from deckgen.render.docx_writer import CellSpec, Piece

    pieces = (
        (Piece(cell.placeholder.marker, flagged=True),)
        if cell.placeholder
        else (Piece(cell.text, cell.bold),)
    )
    return CellSpec(pieces, cell.status, cell.align, cell.bold)


def write_docx(
    doc: Doc, path: Path, *, style: ChartStyle | None = None, locale: str = "en_US"
) -> None:
    """Write `doc` as .docx at `path` (callers pass an atomic temp path)."""
    from deckgen.charting.style import load_style
    from deckgen.render.docx_writer import DocxWriter, Theme, page_for_locale

    theme = Theme.from_style(
        style or load_style(), page=page_for_locale(locale), compact=doc.compact
    )
    w = DocxWriter(theme)
    w.title(doc.title, doc.subtitle)
    for section in doc.sections:
        if section.heading:
            w.heading(section.heading, 1)
        for b in section.blocks:
            if isinstance(b, Para):
                w.paragraph(_pieces(b.runs), kind=b.style)
            elif isinstance(b, Bullets):
                # Short lists stay together on one page (talking points, questions).
                together = len(b.items) <= 8
                for i, item in enumerate(b.items):
                    last = i == len(b.items) - 1
                    w.paragraph(_pieces(item), bullet=True, keep_with_next=together and not last)
            elif isinstance(b, Subheading):
                w.heading(b.text, 2)
            elif isinstance(b, Flag):
                w.paragraph(_pieces(_r(b.placeholder)))
            elif isinstance(b, Table):
                w.table(
                    b.columns,
                    [[_cell_spec(x) for x in row] for row in b.rows],
                    widths=b.widths,
                    header=not b.key_value,
                    caption=b.caption,
                    label_column=b.key_value,
                )
    if doc.footer:
        w.footer(doc.footer, page_numbers=not doc.compact)
    w.properties(
        title=doc.title,
        author=doc.author,
        subject=doc.subject,
        keywords=doc.keywords,
        category=f"QBR {doc.kind}",
        created=datetime.combine(doc.created, time(0, 0), tzinfo=timezone.utc),
        language=locale.replace("_", "-"),
    )
    w.save(path)


# ====================================================================== writers: markdown

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_BLOCK_START = re.compile(r"^(\s*)(#|>|[-+=](?=[\s=-]|$)|\d{1,9}[.)](?=\s|$))")


def md_escape(text: str) -> str:
    """Escape user text for Markdown: inline syntax everywhere, no raw HTML, no entities.

    Text is single-line (newlines become spaces) so a value cannot start a heading or list.
    Template syntax such as `{{ 7*7 }}` stays literal (its `*` is escaped).
    """
    one_line = " ".join(clean_text(text).split("\n"))
    escaped = _MD_INLINE.sub(r"\\\1", one_line)
    return _MD_ENTITY.sub("&amp;", escaped)


def _md_block(text: str) -> str:
    """Neutralise a block construct at the start of a line (`# x`, `- x`, `1. x`, `> x`)."""
    m = _MD_BLOCK_START.match(text)
    if not m:
        return text
    lead, token = m.group(1), m.group(2)
    if token[0].isdigit():
        return f"{lead}{token[:-1]}\\{token[-1]}{text[m.end() :]}"
    return f"{lead}\\{token}{text[m.end() :]}"


def _md_runs(runs: Sequence[Run], *, line_start: bool = True) -> str:
    """Runs as inline Markdown; `line_start` when the text begins a line (paragraph, bullet)."""
    out: list[str] = []
    for i, r in enumerate(runs):
        if r.text == "\n" and not r.placeholder:
            out.append("\\\n")  # hard line break
            continue
        if r.placeholder:
            prompt = md_escape(r.placeholder.prompt)
            opener = r.placeholder.marker[: -len(r.placeholder.prompt) - 2]
            out.append(f"**{opener}{prompt}]]**")
            continue
        text = md_escape(r.text)
        if line_start and (i == 0 or runs[i - 1].text == "\n"):
            text = _md_block(text)
        if r.bold and text.strip():
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :]
            text = f"{lead}**{text.strip()}**{trail}"
        out.append(text)
    return "".join(out)


def _md_cell(cell: Cell) -> str:
    runs = _r(cell.placeholder) if cell.placeholder else (Run(cell.text, cell.bold),)
    return _md_runs(runs, line_start=False)


def to_markdown(doc: Doc) -> str:
    """The Markdown twin: same sections, numbers and `[[…]]` markers as the .docx."""
    lines = [f"# {md_escape(doc.title)}", "", f"*{md_escape(doc.subtitle)}*", ""]
    for section in doc.sections:
        if section.heading:
            lines += [f"## {md_escape(section.heading)}", ""]
        for b in section.blocks:
            if isinstance(b, Para):
                lines += [_md_runs(b.runs), ""]
            elif isinstance(b, Bullets):
                lines += [f"- {_md_runs(item)}" for item in b.items] + [""]
            elif isinstance(b, Subheading):
                lines += [f"### {md_escape(b.text)}", ""]
            elif isinstance(b, Flag):
                lines += [_md_runs(_r(b.placeholder)), ""]
            elif isinstance(b, Table) and b.key_value:
                lines += [
                    f"- **{md_escape(row[0].text)}:** {_md_cell(row[1])}" for row in b.rows
                ] + [""]
            elif isinstance(b, Table):
                align = {"left": ":---", "right": "---:", "center": ":---:"}
                first = b.rows[0] if b.rows else ()
                lines.append("| " + " | ".join(md_escape(c) for c in b.columns) + " |")
                lines.append(
                    "| "
                    + " | ".join(
                        align[first[i].align] if i < len(first) else "---"
                        for i in range(len(b.columns))
                    )
                    + " |"
                )
                lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
                lines.append("")
                if b.caption:
                    lines += [f"*{md_escape(b.caption)}*", ""]
    if doc.footer:
        lines += ["---", "", f"*{md_escape(doc.footer)}*", ""]
    return "\n".join(lines).rstrip() + "\n"


# ====================================================================== writers: tracker


def _safe(value: object) -> str:
    from deckgen.output.manifest import csv_safe

    return csv_safe(clean_text("" if value is None else str(value)))


def _tracker_cells(row: TrackerRow) -> list[str]:
    return [
        _safe(x)
        for x in (
            row.id,
            row.type,
            row.item,
            row.side,
            row.owner,
            row.due.isoformat() if row.due else "",
            row.status,
            row.success_criterion,
            row.notes,
        )
    ]


def tracker_csv(rows: Sequence[TrackerRow]) -> str:
    """CSV twin of the action plan; every cell through `csv_safe` (formula injection)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(TRACKER_COLUMNS)
    for row in rows:
        w.writerow(_tracker_cells(row))
    return buf.getvalue()


def write_tracker_xlsx(
    rows: Sequence[TrackerRow],
    path: Path,
    *,
    title: str,
    author: str,
    created: date,
    style: ChartStyle | None = None,
    spare_rows: int = 30,
) -> None:
    """The action plan as a spreadsheet the CSM keeps updating after the call.

    Styled header, frozen header row, filters, a drop-down on Status limited to the follow-up
    vocabulary (docs/domain.md §9) and status colours. Text cells pass `csv_safe`: openpyxl stores
    any string starting with "=" as a formula. Due dates stay real dates so the sheet sorts by them.
    """
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    from deckgen.charting.style import load_style
    from deckgen.render.docx_writer import tint

    st = style or load_style()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Action plan"
    ws.append(list(TRACKER_COLUMNS))
    for row in rows:
        cells: list[Any] = _tracker_cells(row)
        cells[5] = row.due  # a real date (None stays empty); dates cannot carry a formula
        ws.append(cells)
    last = max(len(rows) + 1 + spare_rows, 2)

    header_fill = PatternFill("solid", fgColor=st.palette.primary.lstrip("#"))
    rule = Side(style="thin", color=tint(st.palette.reference, 0.55).lstrip("#"))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 20
    for r in range(2, last + 1):
        for col in range(1, len(TRACKER_COLUMNS) + 1):
            cell = ws.cell(row=r, column=col)
            cell.alignment = Alignment(vertical="top", wrap_text=col in (3, 8, 9))
            cell.border = Border(bottom=rule)
        ws.cell(row=r, column=6).number_format = "yyyy-mm-dd"

    widths = (6, 9, 52, 11, 22, 12, 14, 30, 30)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{chr(64 + len(TRACKER_COLUMNS))}{last}"

    vocab = ",".join(ACTION_STATUSES)
    dv = DataValidation(
        type="list",
        formula1=f'"{vocab}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Unknown status",
        error="Pick a status from the list: " + ", ".join(ACTION_STATUSES),
    )
    ws.add_data_validation(dv)
    dv.add(f"G2:G{last}")
    colours = {
        "complete": st.status.green,
        "in progress": st.palette.secondary,
        "at risk": st.status.yellow,
        "blocked": st.status.red,
        "overdue": st.status.red,
        "cancelled": st.status.grey,
    }
    for status, colour in colours.items():
        fill = PatternFill(
            "solid", fgColor=tint(colour, 0.75).lstrip("#"), bgColor=tint(colour, 0.75).lstrip("#")
        )
        ws.conditional_formatting.add(
            f"G2:G{last}", FormulaRule(formula=[f'$G2="{status}"'], fill=fill)
        )

    props = wb.properties
    props.title = _safe(title)[:255]
    props.creator = _safe(author)[:255]
    props.lastModifiedBy = _safe(author)[:255]
    props.created = props.modified = datetime.combine(created, time(0, 0))
    wb.save(str(path))


# ====================================================================== orchestration

BUILDERS = {"briefing": build_briefing, "preread": build_preread, "followup": build_followup}


def document_file_name(m: AccountMetrics, kind: str, ext: str) -> str:
    """`<account_stem>_<kind>_<quarter>.<ext>`, the deck naming scheme (safe slugs)."""
    from deckgen.pipeline import deck_file_name

    return deck_file_name(m, kind, ext)


def build_document(
    kind: str, m: AccountMetrics, config: Config, *, content_dir: Path | None = None
) -> Doc:
    try:
        builder = BUILDERS[kind]
    except KeyError:
        raise RenderError(f"unknown document kind {kind!r}; known: {', '.join(KINDS)}") from None
    return builder(m, config, content_dir=content_dir)


def render_documents(
    prepared: RenderInputs,
    m: AccountMetrics,
    folder: Path,
    kinds: list[str],
    *,
    content_dir: Path | None = None,
    style: ChartStyle | None = None,
) -> list[OutputFile]:
    """Build and write an account's documents atomically; returns what was written.

    Per kind: `<stem>_<kind>_<quarter>.docx` and `.md`; "followup" adds the action plan
    `<stem>_action_plan_<quarter>.xlsx` and `.csv`. Every document is built in memory before any
    file is written, so an error in one template leaves no partial set behind.
    """
    from deckgen.charting.style import load_style
    from deckgen.output.atomic import atomic_path, write_bytes
    from deckgen.output.paths import safe_join
    from deckgen.pipeline import OutputFile

    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise RenderError(
            f"unknown document kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}"
        )
    config = prepared.config
    locale = str(config.get("locale", "en_US"))
    st = style or load_style()
    docs = [build_document(k, m, config, content_dir=content_dir) for k in kinds]

    written: list[OutputFile] = []

    def record(kind: str, target: Path, placeholders: int) -> None:
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        written.append(OutputFile(kind, target, placeholders, digest))

    for doc in docs:
        count = len(doc.placeholders)
        target = safe_join(folder, document_file_name(m, doc.kind, "docx"))
        with atomic_path(target) as tmp:
            write_docx(doc, tmp, style=st, locale=locale)
        record(doc.kind, target, count)
        md_target = safe_join(folder, document_file_name(m, doc.kind, "md"))
        write_bytes(md_target, to_markdown(doc).encode("utf-8"))
        record(doc.kind, md_target, count)
        if doc.kind == "followup":
            rows = build_tracker(m, config)
            xlsx = safe_join(folder, document_file_name(m, TRACKER_KIND, "xlsx"))
            with atomic_path(xlsx) as tmp:
                write_tracker_xlsx(
                    rows,
                    tmp,
                    title=f"Action plan: {m.name}",
                    author=doc.author,
                    created=doc.created,
                    style=st,
                )
            record(TRACKER_KIND, xlsx, 0)
            csv_target = safe_join(folder, document_file_name(m, TRACKER_KIND, "csv"))
            # UTF-8 with BOM: Excel opens it with the right encoding on double-click.
            write_bytes(csv_target, tracker_csv(rows).encode("utf-8-sig"))
            record(TRACKER_KIND, csv_target, 0)
    return written
