"""Plain-value results of the metrics stage: the hand-off every renderer and test reads.

`AccountMetrics.as_json()` is the object `deckgen metrics --json` prints. Money is in the account's
currency, percentages are 0-100, dates are ISO strings in JSON. No DataFrame passes this seam.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

Band = Literal["green", "yellow", "red"]
AccountStatus = Literal["ok", "blocked", "held", "onboarding", "review"]


@dataclass(frozen=True)
class Period:
    """The review quarter and the as-of date for trailing windows."""

    quarter: str  # e.g. "2026Q3"
    start: date
    end: date  # inclusive
    as_of: date
    qbr_date: date | None
    # the quarters shown in trends, oldest first, ending with `quarter`
    previous_quarters: tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    """One health dimension, 0-100, or None when the book has no data for it."""

    name: str
    score: float | None
    weight: float  # configured weight
    effective_weight: float  # after spreading the weight of dimensions with no data
    parts: dict[str, float | None]  # sub-scores 0-100 (None = no data)
    flags: tuple[str, ...] = ()  # red flags raised inside this dimension, human-readable
    note: str = ""  # e.g. "no data: no touchpoints in 90 days"


@dataclass(frozen=True)
class Trend:
    previous: int | None  # score 30 days before as_of, when computable
    change: int | None
    direction: Literal["improving", "stable", "declining", "rapid_drop"] | None


@dataclass(frozen=True)
class Health:
    score: int | None
    band: Band | None
    computed_band: Band | None  # band from the score alone, before forced overrides
    dimensions: dict[str, Dimension]
    overrides: tuple[str, ...]  # reasons for forced Red
    missing: tuple[str, ...]  # dimensions with no data
    trend: Trend
    red_flags: tuple[str, ...]


@dataclass(frozen=True)
class ValueItem:
    category: str
    label: str
    quarter: str
    baseline: float | None
    current: float | None
    unit: str | None
    quantity: float | None
    value: float | None  # money in the quarter; None when it cannot be valued
    method: str  # how `value` was computed, one sentence


@dataclass(frozen=True)
class Value:
    quarter: str
    quarterly_value: float | None  # None when the quarter has no value rows (data missing)
    investment: float  # ARR / 4
    roi_pct: float | None
    annualised_value: float | None
    by_category: dict[str, float]
    items: tuple[ValueItem, ...]  # the review quarter's items
    # (quarter, value) for the shown quarters, None = no data
    trend: tuple[tuple[str, float | None], ...]
    method: str
    assumptions: tuple[str, ...]


@dataclass(frozen=True)
class Benchmark:
    # user_adoption_pct, feature_utilisation_pct, resolution_hours, tickets_per_month, health_score
    metric: str
    label: str
    unit: str
    customer: float | None
    peer_median: float | None
    top_quartile: float | None  # the better quartile (75th pct, or 25th when lower is better)
    cohort: str  # e.g. "enterprise · healthcare" or "enterprise"
    cohort_size: int
    higher_is_better: bool
    shown: bool  # False when the cohort is below the minimum: never display then
    in_top_quartile: bool


@dataclass(frozen=True)
class Signal:
    kind: Literal["risk", "expansion"]
    code: str
    label: str
    value: float | None
    threshold: float | None
    unit: str
    status: Band
    message: str  # one sentence from real numbers
    rank: float  # higher = more important


@dataclass(frozen=True)
class UsageSummary:
    licensed_seats: int | None
    active_users_30d: int | None  # latest month
    seat_utilisation_pct: float | None
    quarters: tuple[str, ...]
    active_users_by_quarter: tuple[float | None, ...]  # mean monthly active users per quarter
    users_change_90d_pct: float | None
    users_change_qoq_pct: float | None
    dau_mau: float | None
    features_used: int | None
    features_available: int | None
    feature_breadth_pct: float | None
    top_features: tuple[tuple[str, int], ...]  # (feature, events in review quarter), top 5
    months: tuple[str, ...] = ()  # monthly series for trend charts
    active_users_by_month: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class SupportSummary:
    tickets_by_month: tuple[tuple[str, int], ...]  # last 6 months
    tickets_in_quarter: int | None
    open_tickets: int
    critical_open_overdue: int
    median_resolution_hours: float | None
    median_first_response_hours: float | None
    ticket_csat: float | None
    volume_trend: Literal["declining", "flat", "rising", "spike"] | None


@dataclass(frozen=True)
class GoalRow:
    goal: str
    metric: str | None
    target: float | None
    actual: float | None
    unit: str | None
    status: str | None  # normalised: on_track, at_risk, off_track, complete
    owner: str | None
    due_date: date | None
    quarter: str | None


@dataclass(frozen=True)
class ActionRow:
    action: str
    owner: str | None
    side: str | None
    due_date: date | None
    status: str  # normalised to the follow-up vocabulary; "overdue" when past due and not done
    completed_at: date | None


@dataclass(frozen=True)
class RoadmapRow:
    item: str
    description: str | None
    status: str | None
    timing: str | None
    module: str | None
    requested_by_account: bool


@dataclass(frozen=True)
class AccountFacts:
    """Account fields the decks show as they are (cleaned, typed), not computed."""

    name: str
    arr: float
    currency: str
    industry: str | None
    product_type: str | None
    customer_since: date | None
    renewal_date: date | None
    months_to_renewal: int | None
    last_qbr_date: date | None
    next_qbr_date: date | None
    csm_name: str | None
    csm_email: str | None
    champion_name: str | None
    champion_title: str | None
    champion_email: str | None
    sponsor_name: str | None
    sponsor_title: str | None
    nps: float | None
    csat: float | None
    is_ebr: bool
    onboarding: bool


@dataclass(frozen=True)
class AccountMetrics:
    account_id: str
    name: str
    tier: str
    status: AccountStatus
    reasons: tuple[str, ...]
    period: Period
    facts: AccountFacts
    health: Health
    value: Value
    benchmarks: tuple[Benchmark, ...]
    signals: tuple[Signal, ...]  # ranked, top `signals.max_shown`
    usage: UsageSummary
    support: SupportSummary
    goals: tuple[GoalRow, ...]
    actions: tuple[ActionRow, ...]
    roadmap: tuple[RoadmapRow, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready dict: the documented fields first, then the supporting detail."""
        raw = _jsonable(asdict(self))
        assert isinstance(raw, dict)
        head = {
            k: raw[k]
            for k in (
                "account_id",
                "name",
                "tier",
                "status",
                "reasons",
                "health",
                "value",
                "benchmarks",
                "signals",
            )
        }
        head.update({k: v for k, v in raw.items() if k not in head})
        return head


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return None
        return round(obj, 4)
    return obj
