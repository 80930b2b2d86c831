"""What the digital QBR email says, as plain values the email templates place.

This module chooses, words and formats what the metrics stage produced (`AccountMetrics`) for a
customer reader; it computes no new metric. Every sentence quotes a number the metrics carry, and
a section whose data is missing is left empty here so the template can say so plainly or leave it
out: a tech-touch customer gets no call to correct a made-up figure.

Internal material never reaches the customer: health dimensions, red flags, relationship and
commercial signals (champion changes, renewal, billing) and dates of roadmap items not yet
shipped stay in the decks and briefings. Usage signals are reworded as recommendations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from deckgen.config import Config
from deckgen.metrics.results import AccountMetrics, GoalRow, RoadmapRow, Signal
from deckgen.narrative.formats import Formatter

# Thresholds that pick the sentences of "what is working" and "opportunities". They choose
# wording, not scores; signal thresholds that already exist in the config are read from there.
SEATS_WELL_USED_PCT = 70.0  # "most of your seats are active" from here
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
class Links:
    """The configured links with the account filled in; None = not configured, not shown."""

    dashboard: str | None
    office_hours: str | None
    goals: str | None
    unsubscribe: str | None


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
    links: Links
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
    # The fewest decimals (up to 2) that show the value: 64, 2.4, 0.42.
    digits = next((d for d in (0, 1) if abs(round(value, d) - value) < 0.005), 2)
    if unit == "%":
        return f.pct(value, digits)
    if not unit or unit.strip().lower() in ("ratio", "score", "number", "count"):
        return f.number(value, digits)
    return f"{f.number(value, digits)} {unit.strip()}"


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
        tiles.append(Tile("Time saved", f"{_amount(f, sum(hours), None)} h", f"in {q}"))
    if v.quarterly_value is not None:
        tiles.append(
            Tile("Value delivered", f.money(v.quarterly_value, m.facts.currency), f"in {q}")
        )
        if v.roi_pct is not None:
            tiles.append(
                Tile(
                    "ROI",
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
        note = (
            ""
            if change is None
            else (f"{f.delta(change)} in 30 days" if change else "no change in 30 days")
        )
        tiles.append(Tile("Engagement score", f"{m.health.score}/100", note))
    return tuple(tiles)


def _signal_sentence(sig: Signal, f: Formatter) -> tuple[str, str] | None:
    """(topic, customer sentence) for a signal that may be worded for the customer, else None.

    Only usage signals are; relationship and commercial ones (champion changed, renewal, billed
    revenue, ticket spikes) stay internal. A product metric in its healthy (green) range is no
    recommendation.
    """
    v = sig.value
    if v is None:
        return None
    code = sig.code
    if sig.kind == "risk" and sig.status == "green":
        return None
    if code == "users_decline":
        return (
            "users",
            f"Active users fell {f.pct(abs(v))} over the last 90 days: a short "
            f"refresher session in office hours can bring your team back.",
        )
    if code == "active_seat_ratio":
        return (
            "seats",
            f"{f.pct(v)} of your licensed seats were active last month: invite "
            f"the colleagues who have not started yet.",
        )
    if code == "dau_mau":
        return (
            "habit",
            f"On a typical day, {f.pct(v * 100)} of your monthly users open the "
            f"product: making it the home of your daily team updates builds the "
            f"habit.",
        )
    if code == "dashboard_views":
        return (
            "habit",
            f"Your team opens dashboards {f.number(v, 1)} times per person a week: "
            f"scheduled dashboard emails bring the numbers to them.",
        )
    if code == "sequences_per_rep":
        return (
            "habit",
            f"Each rep runs {f.number(v, 1)} sequences a month: shared sequence "
            f"templates make outreach a routine.",
        )
    if code == "deflection_rate":
        return (
            "habit",
            f"{f.pct(v)} of requests are answered by self-service: articles for "
            f"your most frequent questions would answer more of them.",
        )
    if code == "api_volume_qoq" and v < 0:
        return (
            "users",
            f"API calls were down {f.pct(abs(v))} on last quarter: if your "
            f"integration changed, we can help you move it over.",
        )
    if code == "seats_near_full":
        return (
            "seats",
            f"{f.pct(v)} of your licensed seats are in use: add seats before new "
            f"colleagues have to wait.",
        )
    if code == "usage_growth":
        return (
            "growth",
            f"Active users grew {f.pct(v)} on last quarter: a good moment to roll "
            f"out to another team.",
        )
    if code == "api_growth":
        return (
            "growth",
            f"API calls grew {f.pct(v)} on last quarter: let us check your plan's "
            f"limits with you before you reach them.",
        )
    return None


def positives(
    m: AccountMetrics, f: Formatter, limit: int = 2, avoid: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """Up to `limit` things that are going well, each stating the number behind it.

    Topics in `avoid` (those the opportunities already speak about) are used only when there
    is nothing else to praise, so the email does not say the same thing twice.
    """
    u, s = m.usage, m.support
    q = f.quarter(m.period.quarter)
    found: list[tuple[str, str]] = []
    done = [g for g in m.goals if g.status == "complete"]
    if done:
        found.append(("goals", f"You reached your goal “{done[0].goal}”."))
    new = next((sig for sig in m.signals if sig.code == "new_features" and sig.value), None)
    if new is not None and new.value is not None:
        n = round(new.value)
        found.append(
            ("features", f"Your team started using {n} new feature{'s' if n != 1 else ''} in {q}.")
        )
    if u.users_change_qoq_pct is not None and u.users_change_qoq_pct >= USERS_GREW_PCT:
        found.append(
            ("growth", f"Your active users grew {f.pct(u.users_change_qoq_pct)} on last quarter.")
        )
    util, active, seats = u.seat_utilisation_pct, u.active_users_30d, u.licensed_seats
    if util is not None and util >= SEATS_WELL_USED_PCT and active is not None and seats:
        found.append(
            (
                "seats",
                f"{f.number(active)} of your {f.number(seats)} licensed seats were active "
                f"in the last 30 days.",
            )
        )
    used, available = u.features_used, u.features_available
    if (
        u.feature_breadth_pct is not None
        and u.feature_breadth_pct >= BREADTH_GOOD_PCT
        and used is not None
        and available
    ):
        found.append(
            ("features", f"Your team uses {used} of the {available} features in your plan.")
        )
    hours = s.median_resolution_hours
    if s.tickets_in_quarter and hours is not None and hours <= FAST_SUPPORT_HOURS:
        n = s.tickets_in_quarter
        found.append(
            (
                "support",
                f"Your {n} support request{'s were' if n != 1 else ' was'} "
                f"resolved in a median of {f.number(hours, 1)} hours in {q}.",
            )
        )
    known = [(q_, v) for q_, v in m.value.trend if v is not None]
    if len(known) >= 2 and known[-1][0] == m.value.quarter and known[-1][1] > known[-2][1] > 0:
        (pq, prev), (_, cur) = known[-2], known[-1]
        found.append(
            (
                "value",
                f"The value you get from the product grew from "
                f"{f.money(prev, m.facts.currency)} in {f.quarter(pq)} to "
                f"{f.money(cur, m.facts.currency)} in {q}.",
            )
        )
    if m.health.band == "green" and m.health.score is not None:
        found.append(
            ("score", f"Your engagement score is {m.health.score}/100, in the healthy range.")
        )
    fresh = [text for topic, text in found if topic not in avoid]
    repeat = [text for topic, text in found if topic in avoid]
    return tuple([*fresh, *repeat][:limit])


def opportunities(
    m: AccountMetrics, f: Formatter, config: Config, limit: int = 2
) -> tuple[tuple[str, str], ...]:
    """Up to `limit` recommendations: the account's usage signals first (in the metrics'
    ranking), then usage numbers the signals leave unsaid; one per topic (seats, habit, ...).

    The seat threshold is the config's signal setting (`signals.seats_used_pct`), so the email
    recommends what the decks flag. Returns (topic, sentence) pairs; the topics keep "what is
    working" from repeating them.
    """
    u = m.usage
    found: list[tuple[str, str]] = []
    for sig in m.signals:
        said = _signal_sentence(sig, f)
        if said is not None:
            found.append(said)
    if u.users_change_qoq_pct is not None and u.users_change_qoq_pct <= USERS_FELL_PCT:
        found.append(
            (
                "users",
                f"Active users fell {f.pct(abs(u.users_change_qoq_pct))} on last "
                f"quarter: a short refresher session can bring your team back.",
            )
        )
    seats_full = float(config.get("signals.seats_used_pct", 80))
    util, active, seats = u.seat_utilisation_pct, u.active_users_30d, u.licensed_seats
    if util is not None and active is not None and seats and util < seats_full and seats > active:
        found.append(
            (
                "seats",
                f"{f.number(seats - active)} of your {f.number(seats)} licensed "
                f"seats were not used in the last 30 days: invite the colleagues "
                f"who have not started yet.",
            )
        )
    used, available = u.features_used, u.features_available
    if used is not None and available and used < available:
        found.append(
            (
                "features",
                f"You use {used} of the {available} features in your plan: a "
                f"20-minute walkthrough in office hours shows what the others "
                f"can do for your team.",
            )
        )
    out: list[tuple[str, str]] = []
    for topic, sentence in found:
        if all(topic != t for t, _ in out):
            out.append((topic, sentence))
    return tuple(out[:limit])


def whats_new(
    m: AccountMetrics, f: Formatter, limit: int, modules: frozenset[str] | None = None
) -> tuple[NewItem, ...]:
    """Their own requests first (any status), then shipped items of their product's modules.

    `modules` are the product modules the account's product offers (from the book's feature
    catalog); None when the book cannot tell, and then every shipped item counts. Dates are
    shown only for shipped items, so the email promises nothing the roadmap may move.
    """
    requested = [r for r in m.roadmap if r.requested_by_account]
    shipped = [
        r
        for r in m.roadmap
        if not r.requested_by_account
        and r.status == "shipped"
        and (modules is None or (r.module or "").strip().casefold() in modules)
    ]

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


def product_modules(catalog: Any, product_type: str | None) -> frozenset[str] | None:
    """Modules (casefolded) of the account's product from a feature catalog table with
    `module` and `product_type` columns; None when the book cannot tell."""
    if catalog is None or not product_type:
        return None
    if "module" not in catalog.columns or "product_type" not in catalog.columns:
        return None
    rows = catalog[catalog["product_type"].astype(str).str.casefold() == product_type.casefold()]
    found = {str(x).strip().casefold() for x in rows["module"].dropna()}
    return frozenset(found) or None


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


def links_for(m: AccountMetrics, config: Config) -> Links:
    def get(name: str) -> str | None:
        return link(str(config.get(f"email.links.{name}", "") or ""), m.account_id)

    return Links(get("dashboard"), get("office_hours"), get("goals"), get("unsubscribe"))


def headline(m: AccountMetrics, f: Formatter, impact: tuple[Tile, ...]) -> str:
    """The quarter in one sentence, from the impact tiles or else the usage numbers."""
    q = f.quarter(m.period.quarter)
    by = {t.label: t.value for t in impact}
    roi = by.get("ROI")
    tail = f", a {roi} return on your subscription" if roi else ""
    if "Time saved" in by:
        hours = by["Time saved"].removesuffix(" h")
        return f"Your team saved {hours} hours in {q}{tail}."
    if "Value delivered" in by:
        return f"Your team got {by['Value delivered']} of value from the product in {q}{tail}."
    u = m.usage
    if u.active_users_30d is not None and u.licensed_seats:
        return (
            f"{f.number(u.active_users_30d)} of your {f.number(u.licensed_seats)} seats "
            f"were active in the last 30 days."
        )
    return f"Here is how {q} went for your team."


def email_view(
    m: AccountMetrics,
    f: Formatter,
    config: Config,
    charts: dict[str, EmailChart],
    colours: dict[str, str],
    modules: frozenset[str] | None = None,
) -> EmailView:
    """The whole view of one account's email (charts already drawn by the caller)."""
    impact, items = impact_tiles(m, f)
    recommended = opportunities(m, f, config)
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
        positives=positives(m, f, avoid=frozenset(t for t, _ in recommended)),
        opportunities=tuple(text for _, text in recommended),
        whats_new=whats_new(m, f, int(config.get("email.roadmap_items", 3)), modules),
        goals=open_goals(m, f),
        links=links_for(m, config),
        office_hours=str(config.get("email.office_hours", "") or ""),
        footer=str(config.get("email.footer", "") or ""),
        postal_address=str(config.get("email.postal_address", "") or ""),
        charts=charts,
        colours=colours,
    )
