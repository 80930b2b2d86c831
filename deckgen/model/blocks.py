"""The catalogue of named blocks a deck spec (layouts/*.yaml) can place on a slide.

Each block turns an account's metrics into model blocks: formatted values, chart specs, sentences
from content/ templates, and flagged placeholders where a human must speak or data is missing.
Blocks compute nothing new; they choose, format and word what the metrics stage produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deckgen.config import Config
from deckgen.metrics.results import AccountMetrics
from deckgen.model.deck import (
    Block,
    Cell,
    ChartBlock,
    ChartSpec,
    Kpi,
    KpiBlock,
    Paragraph,
    Placeholder,
    Run,
    ScoreBlock,
    Status,
    TableBlock,
    TextBlock,
)
from deckgen.narrative.env import render_text
from deckgen.narrative.formats import Formatter


@dataclass
class DeckContext:
    m: AccountMetrics
    f: Formatter
    config: Config
    charts: dict[str, ChartSpec]
    audience: str
    kind: str
    content_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def text(self, template: str, **kw: Any) -> str:
        return render_text(template, self.content_dir, **self.template_vars(), **kw)

    def template_vars(self) -> dict[str, Any]:
        return {
            "m": self.m,
            "f": self.f,
            "audience": self.audience,
            "kind": self.kind,
            "charts": self.charts,
        }


BlockFn = Callable[[DeckContext], list[Block]]
REGISTRY: dict[str, BlockFn] = {}


def block(name: str) -> Callable[[BlockFn], BlockFn]:
    def register(fn: BlockFn) -> BlockFn:
        REGISTRY[name] = fn
        return fn

    return register


# ------------------------------------------------------------------ small helpers


def ph(prompt: str) -> Placeholder:
    return Placeholder(prompt, "csm")


def missing(what: str) -> Placeholder:
    return Placeholder(what, "data_missing")


def p(*parts: str | Placeholder | Run, bullet: bool = False, level: int = 0) -> Paragraph:
    runs = []
    for part in parts:
        if isinstance(part, Placeholder):
            runs.append(Run(part.marker, placeholder=part))
        elif isinstance(part, Run):
            runs.append(part)
        else:
            runs.append(Run(part))
    return Paragraph(tuple(runs), level=level, bullet=bullet)


def text_block(*paragraphs: Paragraph, heading: str | None = None) -> TextBlock:
    return TextBlock(tuple(paragraphs), heading)


def lines_block(text: str, heading: str | None = None, bullet: bool = True) -> TextBlock:
    return TextBlock(
        tuple(p(line, bullet=bullet) for line in text.splitlines() if line.strip()), heading
    )


def missing_block(what: str, heading: str | None = None) -> TextBlock:
    return text_block(p(missing(what)), heading=heading)


def chart_or_missing(ctx: DeckContext, chart_id: str, what: str) -> list[Block]:
    spec = ctx.charts.get(chart_id)
    return [ChartBlock(spec)] if spec else [missing_block(what)]


def status_cell(status: str | None, label: str | None = None) -> Cell:
    mapping: dict[str, Status] = {
        "green": "green",
        "on_track": "green",
        "complete": "green",
        "yellow": "yellow",
        "at_risk": "yellow",
        "in progress": "yellow",
        "not started": "grey",
        "red": "red",
        "off_track": "red",
        "overdue": "red",
        "blocked": "red",
        "cancelled": "grey",
    }
    st = mapping.get((status or "").lower())
    text = label or (status or "–").replace("_", " ")
    return Cell(text[:1].upper() + text[1:], status=st, align="center")


def band_status(band: str | None) -> Status | None:
    return {"green": "green", "yellow": "yellow", "red": "red"}.get(band or "")  # type: ignore[return-value]


# ------------------------------------------------------------------ cover and agenda


@block("cover")
def cover(ctx: DeckContext) -> list[Block]:
    m, f = ctx.m, ctx.f
    who = m.facts.csm_name or "your Customer Success team"
    date_txt = f.date(m.period.qbr_date) if m.period.qbr_date else f.date(m.period.as_of)
    return [
        text_block(
            p(f"{f.quarter(m.period.quarter)} review · {date_txt}"),
            p(f"Prepared by {who}"),
        )
    ]


AGENDA = (
    ("Opening and objectives", 5),
    ("Your business context", 10),
    ("Value review", 15),
    ("Strategic discussion", 20),
    ("Action planning", 8),
    ("Close", 2),
)


@block("agenda")
def agenda(ctx: DeckContext) -> list[Block]:
    rows = []
    start = 0
    for item, minutes in AGENDA:
        rows.append(
            (
                Cell(f"{start // 60}:{start % 60:02d}"),
                Cell(item),
                Cell(f"{minutes} min", align="right"),
            )
        )
        start += minutes
    return [
        TableBlock(
            ("Start", "Topic", "Time"),
            tuple(rows),
            caption=f"{start} minutes",
            widths=(0.15, 0.65, 0.2),
        )
    ]


# ------------------------------------------------------------------ summary


@block("health_score")
def health_score(ctx: DeckContext) -> list[Block]:
    h, f = ctx.m.health, ctx.f
    if h.score is None:
        return [
            missing_block(
                "health score: no usage, engagement, outcome, support or "
                "relationship data for this account"
            )
        ]
    band = (h.band or "").capitalize()
    caption = f"{band} health"
    if h.overrides:
        caption += " (forced Red: " + "; ".join(h.overrides) + ")"
    if h.missing:
        caption += f" · no data: {', '.join(h.missing)}"
    arrow = {"improving": "up", "declining": "down", "rapid_drop": "down", "stable": "flat"}
    return [
        ScoreBlock(
            "Health score",
            f"{h.score}",
            band_status(h.band),
            caption,
            delta=(f"{f.delta(h.trend.change)} in 30 days" if h.trend.change is not None else None),
            direction=arrow.get(h.trend.direction or ""),  # type: ignore[arg-type]
        )
    ]


@block("key_metrics_table")
def key_metrics_table(ctx: DeckContext) -> list[Block]:
    m, f = ctx.m, ctx.f
    u, v, s = m.usage, m.value, m.support
    rows: list[tuple[Cell, ...]] = []

    def row(label: str, current: str, trend: str, target: str, status: str | None) -> None:
        rows.append(
            (
                Cell(label),
                Cell(current, align="right"),
                Cell(trend, align="right"),
                Cell(target, align="right"),
                status_cell(
                    status,
                    {"green": "On track", "yellow": "Watch", "red": "Act"}.get(status or "", "–"),
                ),
            )
        )

    green = float(ctx.config.get("health.bands.green", 75))
    if u.active_users_30d is not None:
        util = u.seat_utilisation_pct
        row(
            "Active users",
            f.number(u.active_users_30d),
            f.delta_pct(u.users_change_qoq_pct),
            f.number(u.licensed_seats) + " seats" if u.licensed_seats else "–",
            None
            if util is None
            else ("green" if util >= 65 else "yellow" if util >= 35 else "red"),
        )
    if u.feature_breadth_pct is not None:
        fb = u.feature_breadth_pct
        row(
            "Features in use",
            f"{u.features_used} of {u.features_available}",
            "–",
            "≥ 60%",
            "green" if fb >= 60 else "yellow" if fb >= 30 else "red",
        )
    if v.roi_pct is not None:
        row(
            "ROI this quarter",
            f.pct(v.roi_pct),
            _trend_text(ctx),
            "≥ 100%",
            "green" if v.roi_pct >= 100 else "yellow" if v.roi_pct >= 50 else "red",
        )
    if m.health.score is not None:
        row(
            "Health score",
            f"{m.health.score}/100",
            f.delta(m.health.trend.change),
            f"≥ {green:.0f}",
            m.health.band,
        )
    if s.median_resolution_hours is not None:
        row("Median resolution", f"{f.number(s.median_resolution_hours, 1)} h", "–", "–", None)
    if not rows:
        return [missing_block("key metrics: no usage, value or health data")]
    return [
        TableBlock(
            ("Metric", "Current", "Trend", "Target", "Status"),
            tuple(rows),
            widths=(0.32, 0.18, 0.16, 0.16, 0.18),
        )
    ]


def _trend_text(ctx: DeckContext) -> str:
    known = [val for _, val in ctx.m.value.trend if val is not None]
    if len(known) >= 2 and known[-2]:
        return ctx.f.delta_pct((known[-1] - known[-2]) / known[-2] * 100)
    return "–"


@block("value_headline")
def value_headline(ctx: DeckContext) -> list[Block]:
    if ctx.m.value.quarterly_value is None:
        return [
            missing_block(
                f"value data for {ctx.f.quarter(ctx.m.value.quarter)}: "
                "ask the champion for this quarter's results",
                heading="Value",
            )
        ]
    return [lines_block(ctx.text("narrative/value_headline.j2"), heading="Value", bullet=False)]


@block("key_insight")
def key_insight(ctx: DeckContext) -> list[Block]:
    return [
        text_block(
            p(
                ph(
                    "key insight: the one thing this customer's leaders should take "
                    "away from this quarter"
                )
            ),
            heading="Key insight",
        )
    ]


@block("executive_points")
def executive_points(ctx: DeckContext) -> list[Block]:
    points = [line for line in ctx.text("narrative/executive_points.j2").splitlines() if line]
    paras = [p(line, bullet=True) for line in points]
    paras.append(
        p(ph("executive message: the headline you want the C-suite to repeat"), bullet=True)
    )
    return [TextBlock(tuple(paras), heading="This quarter in brief")]


# ------------------------------------------------------------------ business context


@block("business_priorities")
def business_priorities(ctx: DeckContext) -> list[Block]:
    return [
        text_block(
            p(ph("their top 3 business priorities this year, in their words"), bullet=True),
            p(
                ph("how success is measured on their side (the KPIs their leaders report)"),
                bullet=True,
            ),
            p(ph("what changed since the last review: leadership, strategy, market"), bullet=True),
            heading="Confirm with the customer before the call",
        )
    ]


@block("account_profile")
def account_profile(ctx: DeckContext) -> list[Block]:
    m, f, a = ctx.m, ctx.f, ctx.m.facts
    rows = [
        ("Customer since", f.date(a.customer_since)),
        ("Industry", (a.industry or "–").replace("_", " ").capitalize()),
        ("Licensed seats", f.number(m.usage.licensed_seats)),
        (
            "Renewal",
            f"{f.date(a.renewal_date)}"
            + (f" ({f.months_away(a.months_to_renewal)})" if a.renewal_date is not None else ""),
        ),
        ("Executive sponsor", ", ".join(x for x in (a.sponsor_name, a.sponsor_title) if x) or "–"),
        ("Champion", ", ".join(x for x in (a.champion_name, a.champion_title) if x) or "–"),
    ]
    return [
        TableBlock(
            ("Account", ""),
            tuple((Cell(k, bold=True), Cell(v)) for k, v in rows),
            widths=(0.4, 0.6),
        )
    ]


@block("business_changes")
def business_changes(ctx: DeckContext) -> list[Block]:
    return [
        text_block(
            p(ph("key initiatives on their side this quarter and next"), bullet=True),
            p(ph("organisational changes: new leaders, teams, acquisitions"), bullet=True),
            p(ph("where our product fits in those initiatives"), bullet=True),
            heading="Their world",
        )
    ]


# ------------------------------------------------------------------ value


@block("value_kpis")
def value_kpis(ctx: DeckContext) -> list[Block]:
    v, f, cur = ctx.m.value, ctx.f, ctx.m.facts.currency
    if v.quarterly_value is None:
        return [
            missing_block(
                f"value data for {f.quarter(v.quarter)} (value table): "
                "no ROI is shown without the customer's own numbers"
            )
        ]
    roi_status: Status = "green" if (v.roi_pct or 0) >= 100 else "yellow"
    return [
        KpiBlock(
            (
                Kpi(
                    "Value this quarter", f.money(v.quarterly_value, cur), note=f.quarter(v.quarter)
                ),
                Kpi(
                    "ROI",
                    f.pct(v.roi_pct),
                    status=roi_status,
                    note=f"on {f.money(v.investment, cur)} quarterly investment",
                ),
                Kpi("Annualised value", f.money(v.annualised_value, cur), note="run rate × 4"),
            )
        )
    ]


@block("value_by_category_table")
def value_by_category_table(ctx: DeckContext) -> list[Block]:
    v, f, cur = ctx.m.value, ctx.f, ctx.m.facts.currency
    if not v.items:
        return []
    rows = []
    for item in v.items[:6]:
        rows.append(
            (
                Cell(item.category.replace("_", " ").capitalize()),
                Cell(item.label),
                Cell(
                    f.money(item.value, cur) if item.value is not None else "not valued",
                    align="right",
                ),
            )
        )
    return [
        TableBlock(
            ("Category", "What was measured", "Value"),
            tuple(rows),
            caption=v.method,
            widths=(0.25, 0.5, 0.25),
        )
    ]


@block("value_by_category_chart")
def value_by_category_chart(ctx: DeckContext) -> list[Block]:
    return chart_or_missing(ctx, "value_by_category", "value by category (value table)")


@block("value_trend_chart")
def value_trend_chart(ctx: DeckContext) -> list[Block]:
    return chart_or_missing(ctx, "value_trend", "value over the last quarters (value table)")


@block("value_story")
def value_story(ctx: DeckContext) -> list[Block]:
    v, f, cur = ctx.m.value, ctx.f, ctx.m.facts.currency
    valued = [i for i in v.items if i.value is not None]
    item = max(valued, key=lambda i: i.value or 0) if valued else (v.items[0] if v.items else None)
    if item is None:
        measure = articulate = calculate = Cell(
            "", placeholder=missing(f"value rows for {f.quarter(v.quarter)}")
        )
    else:
        unit = f" {item.unit}" if item.unit else ""
        measure = Cell(
            f"{item.label}: baseline {f.number(item.baseline, 1)}{unit}"
            if item.baseline is not None
            else f"{item.label}: no baseline recorded"
        )
        if item.current is not None and item.baseline is not None:
            articulate = Cell(
                f"now {f.number(item.current, 1)}{unit} (from {f.number(item.baseline, 1)}{unit})"
            )
        elif item.quantity is not None:
            articulate = Cell(f"{f.number(item.quantity, 1)}{unit} this quarter")
        else:
            articulate = Cell("", placeholder=missing("current value for this measure"))
        calculate = (
            Cell(f"{f.money(item.value, cur)} this quarter — {item.method}")
            if item.value is not None
            else Cell("", placeholder=missing("a money value for this improvement"))
        )
    rows = (
        (Cell("Identify", bold=True), Cell("", placeholder=ph("the challenge they faced"))),
        (Cell("Measure", bold=True), measure),
        (Cell("Present", bold=True), Cell("", placeholder=ph("what they adopted to solve it"))),
        (Cell("Articulate", bold=True), articulate),
        (Cell("Calculate", bold=True), calculate),
        (Cell("Tie", bold=True), Cell("", placeholder=ph("the strategic goal this supports"))),
    )
    return [TableBlock(("Step", "Story"), rows, widths=(0.18, 0.82))]


# ------------------------------------------------------------------ adoption and support


@block("users_chart")
def users_chart(ctx: DeckContext) -> list[Block]:
    return chart_or_missing(ctx, "users", "monthly active users (usage table)")


@block("feature_chart")
def feature_chart(ctx: DeckContext) -> list[Block]:
    return chart_or_missing(ctx, "features", "feature adoption (features table)")


@block("support_kpis")
def support_kpis(ctx: DeckContext) -> list[Block]:
    s, f = ctx.m.support, ctx.f
    if not s.tickets_by_month and s.tickets_in_quarter is None:
        return [missing_block("support tickets (tickets table)")]
    return [
        KpiBlock(
            (
                Kpi("Tickets this quarter", f.number(s.tickets_in_quarter)),
                Kpi(
                    "Open now",
                    f.number(s.open_tickets),
                    status="red" if s.critical_open_overdue else None,
                    note=f"{s.critical_open_overdue} critical overdue"
                    if s.critical_open_overdue
                    else None,
                ),
                Kpi(
                    "Median resolution",
                    f"{f.number(s.median_resolution_hours, 1)} h"
                    if s.median_resolution_hours is not None
                    else "–",
                ),
                Kpi(
                    "Ticket CSAT",
                    f"{f.number(s.ticket_csat, 1)} / 5" if s.ticket_csat is not None else "–",
                ),
            )
        )
    ]


@block("support_chart")
def support_chart(ctx: DeckContext) -> list[Block]:
    return chart_or_missing(ctx, "support", "ticket volume by month (tickets table)")


# ------------------------------------------------------------------ health


@block("health_chart")
def health_chart(ctx: DeckContext) -> list[Block]:
    return chart_or_missing(ctx, "health", "health dimensions")


@block("health_focus")
def health_focus(ctx: DeckContext) -> list[Block]:
    text = ctx.text("narrative/health_focus.j2")
    blocks: list[Block] = health_score(ctx)
    blocks.append(lines_block(text, heading="Focus areas"))
    return blocks


@block("benchmark_table")
def benchmark_table(ctx: DeckContext) -> list[Block]:
    f = ctx.f
    shown = [b for b in ctx.m.benchmarks if b.shown]
    if not shown:
        smallest = min((b.cohort_size for b in ctx.m.benchmarks), default=0)
        need = int(ctx.config.get("benchmarks.min_cohort", 20))
        return [
            missing_block(
                f"peer benchmarks: the peer group has {smallest} accounts, "
                f"{need} are needed before a comparison is shown"
            )
        ]

    def fmt(b: Any, x: float | None) -> str:
        if x is None:
            return "–"
        return f.pct(x) if b.unit == "%" else f"{f.number(x, 1)} {b.unit}".strip()

    rows = []
    for b in shown:
        note = "Top quartile" if b.in_top_quartile else ""
        rows.append(
            (
                Cell(b.label),
                Cell(fmt(b, b.customer), align="right", bold=True),
                Cell(fmt(b, b.peer_median), align="right"),
                Cell(fmt(b, b.top_quartile), align="right"),
                Cell(note, status="green" if note else None, align="center"),
            )
        )
    cohort = shown[0]
    caption = (
        f"Peers: {cohort.cohort} ({cohort.cohort_size} accounts). "
        "Top quartile = the best 25% of peers; no peer is identified."
    )
    return [
        TableBlock(
            ("Metric", "You", "Peer median", "Top quartile", ""),
            tuple(rows),
            caption=caption,
            widths=(0.34, 0.16, 0.17, 0.17, 0.16),
        )
    ]


# ------------------------------------------------------------------ goals, roadmap, risks, actions


@block("goals_table")
def goals_table(ctx: DeckContext) -> list[Block]:
    f = ctx.f
    if not ctx.m.goals:
        return [missing_block("success-plan goals (goals table)")]
    rows = []
    for g in ctx.m.goals:
        rows.append(
            (
                Cell(g.goal),
                Cell(_with_unit(f, g.target, g.unit), align="right"),
                Cell(_with_unit(f, g.actual, g.unit), align="right"),
                status_cell(g.status),
            )
        )
    return [
        TableBlock(
            ("Goal", "Target", "Actual", "Status"), tuple(rows), widths=(0.5, 0.16, 0.16, 0.18)
        )
    ]


@block("success_plan")
def success_plan(ctx: DeckContext) -> list[Block]:
    return [
        text_block(
            p(ph("next quarter's 2–3 success-plan goals, agreed with the customer"), bullet=True),
            p(ph("how each will be measured, and by when"), bullet=True),
            heading="Success plan for next quarter",
        )
    ]


def _roadmap_rows(ctx: DeckContext, statuses: set[str]) -> list[Any]:
    items = [r for r in ctx.m.roadmap if (r.status or "") in statuses]
    items.sort(key=lambda r: (not r.requested_by_account, r.item))
    return items[:6]


@block("roadmap_shipped")
def roadmap_shipped(ctx: DeckContext) -> list[Block]:
    items = _roadmap_rows(ctx, {"shipped"})
    if not items:
        return [missing_block("shipped roadmap items (roadmap table)", heading="Shipped")]
    return [
        TextBlock(
            tuple(
                p(r.item + (" — you asked for this" if r.requested_by_account else ""), bullet=True)
                for r in items
            ),
            heading="Recently shipped",
        )
    ]


@block("roadmap_next")
def roadmap_next(ctx: DeckContext) -> list[Block]:
    items = _roadmap_rows(ctx, {"next", "horizon"})
    if not items:
        return [missing_block("upcoming roadmap items (roadmap table)", heading="Coming next")]
    return [
        TextBlock(
            tuple(
                p(
                    f"{r.item}"
                    + (f" ({r.timing})" if r.timing else "")
                    + (" — your request" if r.requested_by_account else ""),
                    bullet=True,
                )
                for r in items
            ),
            heading="Coming next",
        )
    ]


SIGNAL_LEVEL = {"red": "High", "yellow": "Medium", "green": "Positive"}


def signal_type(s: Any) -> str:
    """A churn signal that is within its threshold reads as a strength, not a risk."""
    if s.kind == "expansion":
        return "Opportunity"
    return "Risk" if s.status != "green" else "Strength"


def signal_row(s: Any) -> tuple[Cell, ...]:
    """Type, signal, what the data shows, level: one row of a risks-and-opportunities table."""
    return (
        Cell(signal_type(s), bold=True),
        Cell(s.label),
        Cell(s.message),
        status_cell(s.status, SIGNAL_LEVEL[s.status]),
    )


@block("signals_table")
def signals_table(ctx: DeckContext) -> list[Block]:
    if not ctx.m.signals:
        return [missing_block("risk and expansion signals: not enough usage or support data")]
    rows = [signal_row(s) for s in ctx.m.signals]
    return [
        TableBlock(
            ("Type", "Signal", "What the data shows", "Level"),
            tuple(rows),
            widths=(0.14, 0.22, 0.50, 0.14),
        )
    ]


@block("actions_table")
def actions_table(ctx: DeckContext) -> list[Block]:
    f = ctx.f
    if not ctx.m.actions:
        return [missing_block("action items from the last review (actions table)")]
    rows = []
    for a in ctx.m.actions:
        side = (a.side or "").capitalize() or "–"
        rows.append(
            (
                Cell(a.action),
                Cell(a.owner or "–"),
                Cell(side),
                Cell(f.date(a.due_date)),
                status_cell(a.status),
            )
        )
    return [
        TableBlock(
            ("Action", "Owner", "Side", "Due", "Status"),
            tuple(rows),
            widths=(0.42, 0.16, 0.12, 0.14, 0.16),
        )
    ]


@block("next_qbr")
def next_qbr(ctx: DeckContext) -> list[Block]:
    f, a = ctx.f, ctx.m.facts
    nxt = a.next_qbr_date
    when = f.date(nxt) if nxt else None
    return [
        text_block(
            p("Next review: ", when if when else missing("next QBR date (accounts.next_qbr_date)")),
            p(ph("commitments agreed in the room, with owners and dates")),
        )
    ]


# ------------------------------------------------------------------ executive deck


def _with_unit(f: Formatter, value: float | None, unit: str | None) -> str:
    """ "92%", "4 departments", "–": a goal's number as people say it."""
    if value is None:
        return "–"
    if not unit:
        return f.smart(value)
    return f"{f.smart(value)}{unit}" if unit == "%" else f"{f.smart(value)} {unit}"


@block("alignment_table")
def alignment_table(ctx: DeckContext) -> list[Block]:
    f = ctx.f
    goals = list(ctx.m.goals[:3])
    rows = []
    for i in range(3):
        g = goals[i] if i < len(goals) else None
        outcome = (
            Cell(
                f"{g.goal}: {_with_unit(f, g.actual, g.unit)} against a target of "
                f"{_with_unit(f, g.target, g.unit)}"
            )
            if g and g.target is not None
            else Cell(g.goal)
            if g
            else Cell("", placeholder=ph("supporting outcome"))
        )
        rows.append(
            (
                Cell("", placeholder=ph(f"their priority #{i + 1}")),
                outcome,
                status_cell(g.status) if g else Cell("–"),
            )
        )
    return [
        TableBlock(
            ("Their priority", "What we delivered", "Status"),
            tuple(rows),
            widths=(0.38, 0.44, 0.18),
        )
    ]


@block("next_quarter_goals")
def next_quarter_goals(ctx: DeckContext) -> list[Block]:
    open_goals = [g for g in ctx.m.goals if g.status not in ("complete",)][:3]
    paras = [p(f"Carry forward: {g.goal}", bullet=True) for g in open_goals]
    paras.append(p(ph("2–3 goals for next quarter, each with a measure and an owner"), bullet=True))
    return [TextBlock(tuple(paras), heading="Proposed goals")]


@block("the_ask")
def the_ask(ctx: DeckContext) -> list[Block]:
    text = ctx.text("narrative/ask_context.j2")
    return [
        text_block(
            p(
                ph(
                    "the one clear ask of this executive (decision, introduction, "
                    "sponsorship or expansion)"
                )
            ),
            heading="Our ask",
        ),
        lines_block(text, heading="Context for the ask"),
    ]


# ------------------------------------------------------------------ onboarding


@block("onboarding_kpis")
def onboarding_kpis(ctx: DeckContext) -> list[Block]:
    u, f = ctx.m.usage, ctx.f
    if u.active_users_30d is None:
        return [missing_block("usage in the last 30 days (usage table)")]
    return [
        KpiBlock(
            (
                Kpi("Active users (30 days)", f.number(u.active_users_30d)),
                Kpi("Seats activated", f.pct(u.seat_utilisation_pct)),
                Kpi("Features in use", f"{u.features_used or 0} of {u.features_available or '–'}"),
            )
        )
    ]


@block("onboarding_summary")
def onboarding_summary(ctx: DeckContext) -> list[Block]:
    return [
        text_block(
            p(ph("onboarding milestones reached and still open"), bullet=True),
            p(ph("first wins the team has seen"), bullet=True),
            heading="Onboarding progress",
        )
    ]


@block("benchmark_chart")
def benchmark_chart(ctx: DeckContext) -> list[Block]:
    spec = ctx.charts.get("benchmark")
    if spec is None:
        return []  # the table beside it already says why nothing is compared
    return [ChartBlock(spec)]
