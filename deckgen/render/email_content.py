"""What the digital QBR email says, as plain values the email templates place.

This module chooses, words and formats what the metrics stage produced (`AccountMetrics`) for a
customer reader; it computes no new metric. Every sentence quotes a number the metrics carry, and
a section whose data is missing is left empty here so the template can say so plainly or leave it
out: a tech-touch customer gets no call to correct a made-up figure.

Internal material never reaches the customer: health dimensions, risk flags, churn signals and
roadmap dates for items not shipped stay in the decks and briefings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from deckgen.config import Config
from deckgen.metrics.results import AccountMetrics, GoalRow, RoadmapRow
from deckgen.narrative.formats import Formatter

# Thresholds that pick the sentences of "what is working" and "opportunities". They choose
# wording, not scores; signal thresholds that already exist in the config are read from there.
SEATS_WELL_USED_PCT = 70.0  # "most of your seats are active" from here
SEATS_UNDERUSED_PCT = 50.0  # "invite the rest of your team" below this
BREADTH_GOOD_PCT = 60.0  # "you use most of the product" from here
USERS_GREW_PCT = 5.0  # quarter-over-quarter growth worth celebrating
USERS_FELL_PCT = -10.0  # quarter-over-quarter decline worth a refresher offer
FAST_SUPPORT_HOURS = 24.0  # median resolution worth mentioning


@dataclass(frozen=True)
class Tile:
    """One headline number: "Time saved · 320 h · in Q3 2026"."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class NewItem:
    """A roadmap item relevant to the reader; `note` says why it is in their email."""

    title: str
    description: str
    note: str
    requested: bool


@dataclass(frozen=True)
class GoalItem:
    goal: str
    detail: str


@dataclass(frozen=True)
class EmailChart:
    """A chart as the template places it: `cid` for the `<img src="cid:...">`, sizes in CSS px."""

    id: str
    cid: str
    caption: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class EmailView:
    """Everything the shipped templates use. Custom templates also get `m` (the metrics), `f`
    (the formatter) and `config`, so CS Ops can place any other value the book has."""

    account_id: str
    company: str
    quarter: str  # "Q3 2026"
    next_quarter: str  # "Q4 2026"
    first_name: str | None
    recipient_name: str | None
    csm_name: str | None
    csm_email: str | None
    sender_company: str
    headline: str  # one sentence with the quarter's main numbers: intro and preheader
    impact: tuple[Tile, ...]
    impact_items: tuple[str, ...]  # "Manual data pulls: 320 hours saved", one per value row
    usage: tuple[Tile, ...]
    positives: tuple[str, ...]
    opportunities: tuple[str, ...]
    whats_new: tuple[NewItem, ...]
    goals: tuple[GoalItem, ...]
    links: dict[str, str]  # only the configured ones: dashboard, office_hours, goals, unsubscribe
    office_hours: str
    footer: str
    postal_address: str
    charts: dict[str, EmailChart]
    colours: dict[str, str]


# --------------------------------------------------------------------------- helpers


def next_quarter(q: str) -> str:
    """ "2026Q3" -> "2026Q4", "2026Q4" -> "2027Q1"; anything else is returned unchanged."""
    if len(q) == 6 and q[4] == "Q" and q[:4].isdigit() and q[5] in "1234":
        year, n = int(q[:4]), int(q[5])
        return f"{year + 1}Q1" if n == 4 else f"{year}Q{n + 1}"
    return q


def link(template: str, account_id: str) -> str | None:
    """A configured URL template with `{account_id}` filled in, URL-quoted; None when unset.

    `str.replace`, not `str.format`: a URL may hold other braces, and an account id must never
    be able to reach into a format string.
    """
    template = (template or "").strip()
    if not template:
        return None
    return template.replace("{account_id}", quote(account_id, safe=""))


def first_name(full: str | None) -> str | None:
    """The first word of a contact's name for the greeting; CS Ops can use the full name instead."""
    words = (full or "").split()
    return words[0] if words else None


def _amount(f: Formatter, value: float | None, unit: str | None) -> str:
    if value is None:
        return "–"
    digits = 0 if abs(value - round(value)) < 0.05 else 1
    if unit == "%":
        return f.pct(value, digits)
    return f"{f.number(value, digits)} {unit}".strip() if unit else f.number(value, digits)


# --------------------------------------------------------------------------- sections

_ITEM_VERBS = {"time_savings": "saved", "cost_reduction": "saved", "risk_avoidance": "avoided"}


def impact_tiles(m: AccountMetrics, f: Formatter) -> tuple[tuple[Tile, ...], tuple[str, ...]]:
    """Time saved, value and ROI of the review quarter, and one line per valued item.

    Hours saved are the `quantity` of the quarter's time-savings rows, added up: the rows the
    value stage already valued, in their own unit.
    """
    v = m.value
    q = f.quarter(v.quarter)
    tiles: list[Tile] = []
    hours = [
        it.quantity
        for it in v.items
        if it.category == "time_savings"
        and (it.unit or "").lower() in ("hours", "hour", "h")
        and it.quantity is not None
    ]
    if hours:
        tiles.append(Tile("Time saved", f"{f.number(sum(hours))} h", f"in {q}"))
    if v.quarterly_value is not None:
        tiles.append(
            Tile("Value delivered", f.money(v.quarterly_value, m.facts.currency), f"in {q}")
        )
        if v.roi_pct is not None:
            tiles.append(
                Tile(
                    "Return on investment",
                    f.pct(v.roi_pct),
                    f"on {f.money(v.investment, m.facts.currency)} a quarter",
                )
            )
    lines = []
    for it in v.items:
        verb = _ITEM_VERBS.get(it.category)
        if verb and it.quantity is not None and it.unit:
            lines.append(f"{it.label}: {_amount(f, it.quantity, it.unit)} {verb}")
        elif it.baseline is not None and it.current is not None and it.unit:
            lines.append(
                f"{it.label}: from {_amount(f, it.baseline, it.unit)} to "
                f"{_amount(f, it.current, it.unit)}"
            )
        elif it.value is not None:
            lines.append(f"{it.label}: {f.money(it.value, m.facts.currency)}")
    return tuple(tiles), tuple(lines[:3])


def usage_tiles(m: AccountMetrics, f: Formatter) -> tuple[Tile, ...]:
    """Active / licensed users, features used / available, engagement score (the health score)."""
    u = m.usage
    tiles: list[Tile] = []
    if u.active_users_30d is not None:
        note = (
            f"of {f.number(u.licensed_seats)} licensed seats"
            if u.licensed_seats
            else "in the last 30 days"
        )
        tiles.append(Tile("Active users", f.number(u.active_users_30d), note))
    if u.features_used is not None:
        note = f"of {u.features_available} available" if u.features_available else "in use"
        tiles.append(Tile("Features used", f.number(u.features_used), note))
    if m.health.score is not None:
        change = m.health.trend.change
        note = f"{f.delta(change)} in 30 days" if change else "out of 100"
        tiles.append(Tile("Engagement score", f"{m.health.score}/100", note))
    return tuple(tiles)


def positives(m: AccountMetrics, f: Formatter, limit: int = 2) -> tuple[str, ...]:
    """Up to `limit` things that are going well, each stating the number behind it."""
    u, s = m.usage, m.support
    out: list[str] = []
    done = [g for g in m.goals if g.status == "complete"]
    if done:
        out.append(f"You reached your goal “{done[0].goal}”.")
    if u.users_change_qoq_pct is not None and u.users_change_qoq_pct >= USERS_GREW_PCT:
        out.append(f"Your active users grew {f.pct(u.users_change_qoq_pct)} on last quarter.")
    if (
        u.seat_utilisation_pct is not None
        and u.seat_utilisation_pct >= SEATS_WELL_USED_PCT
        and u.active_users_30d is not None
        and u.licensed_seats
    ):
        out.append(
            f"{f.number(u.active_users_30d)} of your {f.number(u.licensed_seats)} "
            f"licensed seats were active in the last 30 days."
        )
    if (
        u.feature_breadth_pct is not None
        and u.feature_breadth_pct >= BREADTH_GOOD_PCT
        and u.features_used is not None
        and u.features_available
    ):
        out.append(
            f"Your team uses {u.features_used} of the {u.features_available} features in your plan."
        )
    if (
        s.tickets_in_quarter
        and s.median_resolution_hours is not None
        and s.median_resolution_hours <= FAST_SUPPORT_HOURS
    ):
        n = s.tickets_in_quarter
        out.append(
            f"Your {n} support request{'s' if n != 1 else ''} in "
            f"{f.quarter(m.period.quarter)} {'were' if n != 1 else 'was'} resolved in a "
            f"median of {f.number(s.median_resolution_hours, 1)} hours."
        )
    if u.top_features:
        name, events = u.top_features[0]
        out.append(
            f"{name} is your most-used feature, with {f.number(events)} uses in "
            f"{f.quarter(m.period.quarter)}."
        )
    return tuple(out[:limit])


def opportunities(
    m: AccountMetrics, f: Formatter, config: Config, limit: int = 2
) -> tuple[str, ...]:
    """Up to `limit` recommendations, each from a usage number and a threshold.

    The expansion thresholds are the signal settings of the config (`signals.seats_used_pct`,
    `signals.usage_growth_pct`), so the email recommends what the decks flag. Risk signals
    about the relationship (champion changes, renewal, payments) are never worded for the
    customer.
    """
    u = m.usage
    out: list[str] = []
    seats_full = float(config.get("signals.seats_used_pct", 80))
    growth = float(config.get("signals.usage_growth_pct", 20))
    util = u.seat_utilisation_pct
    if util is not None and u.active_users_30d is not None and u.licensed_seats:
        seats = (
            f"{f.number(u.active_users_30d)} of your {f.number(u.licensed_seats)} licensed seats"
        )
        if util >= seats_full:
            out.append(f"{seats} are in use: add seats before new colleagues have to wait.")
        elif util < SEATS_UNDERUSED_PCT:
            out.append(
                f"{seats} were active in the last 30 days: invite the colleagues who "
                f"have not started yet."
            )
    if (
        u.feature_breadth_pct is not None
        and u.feature_breadth_pct < BREADTH_GOOD_PCT
        and u.features_used is not None
        and u.features_available
    ):
        out.append(
            f"You use {u.features_used} of {u.features_available} features: a "
            f"20-minute walkthrough in office hours shows what the others can do "
            f"for your team."
        )
    if u.users_change_qoq_pct is not None:
        if u.users_change_qoq_pct <= USERS_FELL_PCT:
            out.append(
                f"Active users fell {f.pct(abs(u.users_change_qoq_pct))} on last "
                f"quarter: a short refresher session can bring your team back."
            )
        elif u.users_change_qoq_pct >= growth:
            out.append(
                f"Active users grew {f.pct(u.users_change_qoq_pct)}: a good moment to "
                f"roll out to another team."
            )
    return tuple(out[:limit])


def whats_new(m: AccountMetrics, f: Formatter, limit: int) -> tuple[NewItem, ...]:
    """Their own requests first (any status), then shipped items; dates only for shipped ones,
    so the email promises nothing the roadmap may move."""
    requested = [r for r in m.roadmap if r.requested_by_account]
    shipped = [r for r in m.roadmap if not r.requested_by_account and r.status == "shipped"]

    def note(r: RoadmapRow) -> str:
        live = r.status == "shipped"
        when = f" since {f.quarter(r.timing)}" if live and r.timing else ""
        if r.requested_by_account:
            return (
                f"You asked for this: live{when}" if live else "You asked for this: on our roadmap"
            )
        return f"New{when}"

    return tuple(
        NewItem(r.item, r.description or "", note(r), r.requested_by_account)
        for r in [*requested, *shipped][: max(0, limit)]
    )


def open_goals(m: AccountMetrics, f: Formatter, limit: int = 3) -> tuple[GoalItem, ...]:
    """Goals not yet complete, those of the coming quarter first."""
    nq = next_quarter(m.period.quarter)
    pending = [g for g in m.goals if g.status not in ("complete", "cancelled")]
    pending.sort(key=lambda g: (g.quarter != nq, g.due_date or m.period.end))

    def detail(g: GoalRow) -> str:
        parts = []
        if g.target is not None:
            parts.append(f"target {_amount(f, g.target, g.unit)}")
        if g.actual is not None:
            parts.append(f"now {_amount(f, g.actual, g.unit)}")
        if g.due_date is not None:
            parts.append(f"by {f.date(g.due_date)}")
        return ", ".join(parts)

    return tuple(GoalItem(g.goal, detail(g)) for g in pending[:limit])


def links_for(m: AccountMetrics, config: Config) -> dict[str, str]:
    out = {}
    for name in ("dashboard", "office_hours", "goals", "unsubscribe"):
        url = link(str(config.get(f"email.links.{name}", "") or ""), m.account_id)
        if url:
            out[name] = url
    return out


def headline(m: AccountMetrics, f: Formatter, impact: tuple[Tile, ...]) -> str:
    """The quarter in one sentence, from the impact tiles or else the usage numbers."""
    q = f.quarter(m.period.quarter)
    by = {t.label: t.value for t in impact}
    roi = by.get("Return on investment")
    tail = f", a {roi} return on your subscription" if roi else ""
    if "Time saved" in by:
        hours = by["Time saved"].removesuffix(" h")
        return f"Your team saved {hours} hours in {q}{tail}."
    if "Value delivered" in by:
        return f"Your team got {by['Value delivered']} of value from the product in {q}{tail}."
    u = m.usage
    if u.active_users_30d is not None and u.licensed_seats:
        return (f"{f.number(u.active_users_30d)} of your {f.number(u.licensed_seats)} seats "
                f"were active in the last 30 days.")
    return f"Here is how {q} went for your team."


def email_view(
    m: AccountMetrics,
    f: Formatter,
    config: Config,
    charts: dict[str, EmailChart],
    colours: dict[str, str],
) -> EmailView:
    """The whole view of one account's email (charts already drawn by the caller)."""
    impact, items = impact_tiles(m, f)
    return EmailView(
        account_id=m.account_id,
        company=m.name,
        quarter=f.quarter(m.period.quarter),
        next_quarter=f.quarter(next_quarter(m.period.quarter)),
        first_name=first_name(m.facts.champion_name),
        recipient_name=m.facts.champion_name,
        csm_name=m.facts.csm_name,
        csm_email=m.facts.csm_email,
        sender_company=str(config.get("email.company", "") or ""),
        headline=headline(m, f, impact),
        impact=impact,
        impact_items=items,
        usage=usage_tiles(m, f),
        positives=positives(m, f),
        opportunities=opportunities(m, f, config),
        whats_new=whats_new(m, f, int(config.get("email.roadmap_items", 3))),
        goals=open_goals(m, f),
        links=links_for(m, config),
        office_hours=str(config.get("email.office_hours", "") or ""),
        footer=str(config.get("email.footer", "") or ""),
        postal_address=str(config.get("email.postal_address", "") or ""),
        charts=charts,
        colours=colours,
    )
