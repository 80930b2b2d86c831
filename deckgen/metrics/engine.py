"""The metrics stage: the book -> one `AccountMetrics` per account, in the accounts' order.

Every table is encoded and grouped by account once (`frames.prepare`); per-account work then reads
small numpy slices. Two passes: the first computes, for every account in the book, what peer
benchmarks need (tier, health, usage and support summaries); the second completes the selected
accounts (value, benchmarks, signals, goals, actions, roadmap, facts, status). One account's bad
data never stops the others: its metrics are replaced by a minimal "blocked" result whose reason
is "metrics failed: ...".

Status: the validation gate (ok / blocked / held / onboarding; no gate = ok); an ok or onboarding
account whose health band is red becomes "review" (manager review before distribution).
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from deckgen.book.gates import Gate
from deckgen.book.load import Book
from deckgen.config import Config
from deckgen.errors import ConfigError
from deckgen.metrics.aggregates import Aggregates
from deckgen.metrics.benchmarks import Cohorts, PeerRecord, benchmark_values
from deckgen.metrics.frames import BookData, prepare
from deckgen.metrics.health import compute_health, health_score
from deckgen.metrics.inputs import HealthInputs, all_health_inputs
from deckgen.metrics.periods import format_quarter, parse_quarter, period_warning, review_period
from deckgen.metrics.results import (
    AccountFacts,
    AccountMetrics,
    AccountStatus,
    Health,
    Period,
    SupportSummary,
    Trend,
    UsageSummary,
    Value,
)
from deckgen.metrics.settings import num, setting
from deckgen.metrics.signals import SignalContext, top_signals
from deckgen.metrics.summaries import (
    ACTION_COLUMNS,
    GOAL_COLUMNS,
    Roadmap,
    account_facts,
    action_rows,
    empty_support,
    empty_usage,
    goal_rows,
    support_summary,
    usage_summary,
)
from deckgen.metrics.tiers import tier_for
from deckgen.metrics.value import VALUE_COLUMNS, compute_value

VELOCITY_DAYS = 30
_OK = Gate("ok", ())


@dataclass(frozen=True)
class _Core:
    """The first pass for one account."""

    pos: int
    tier: str
    period: Period
    warnings: tuple[str, ...]
    inputs: HealthInputs
    health: Health
    usage: UsageSummary
    support: SupportSummary
    bench: Mapping[str, float | None]


def compute_metrics(
    book: Book,
    config: Config,
    *,
    as_of: date,
    quarter: str | None = None,
    gates: Mapping[str, Gate] | None = None,
    account_ids: Collection[str] | None = None,
) -> list[AccountMetrics]:
    """Metrics for every account of `book` (or those in `account_ids`), in the accounts' order.

    Benchmarks always compare against the whole book. `quarter` overrides the review quarter
    (ConfigError when it is not a quarter like "2026Q3").
    """
    if quarter is not None:
        try:
            quarter = format_quarter(*parse_quarter(quarter))
        except ValueError as exc:
            raise ConfigError(f"--quarter: {exc}") from None
    with _gc_paused():
        return _compute(book, config, as_of, quarter, gates, account_ids)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the metrics are built.

    The passes allocate hundreds of thousands of small container objects (dicts, tuples, result
    dataclasses) and almost no reference cycles, so the collector's repeated scans of the whole
    heap (the loaded book included) are ~15% of the stage for nothing. Reference counting still
    frees everything as usual; the collector's previous state is restored on the way out.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _compute(
    book: Book,
    config: Config,
    as_of: date,
    quarter: str | None,
    gates: Mapping[str, Gate] | None,
    account_ids: Collection[str] | None,
) -> list[AccountMetrics]:
    data = prepare(book, config)
    gates = gates or {}
    wanted = None if account_ids is None else {str(a) for a in account_ids}

    failures: dict[str, str] = {}
    periods: dict[str, tuple[Period, str | None]] = {}
    for account in data.accounts:
        try:
            periods[account["account_id"]] = _period(account, config, as_of, quarter)
        except Exception as exc:
            failures[account["account_id"]] = _failure(exc)
    agg = Aggregates(data, config, as_of, [p for p, _ in periods.values()])
    now = all_health_inputs(data, agg, as_of, config)
    before = all_health_inputs(data, agg, as_of - timedelta(days=VELOCITY_DAYS), config)
    end_month = agg.latest_usage_month()

    cores: dict[str, _Core] = {}
    records: list[PeerRecord] = []
    for pos, account in enumerate(data.accounts):
        acct = account["account_id"]
        if acct in failures:
            continue
        try:
            core = _first_pass(
                data, agg, pos, account, periods[acct], now[pos], before[pos], config, end_month
            )
        except Exception as exc:
            failures[acct] = _failure(exc)
            continue
        cores[acct] = core
        if gates.get(acct, _OK).status != "blocked":
            records.append(PeerRecord(acct, core.tier, account.get("industry"), core.bench))
    cohorts = Cohorts(records, config)
    roadmap = Roadmap(data.roadmap)

    out: list[AccountMetrics] = []
    for account in data.accounts:
        acct = account["account_id"]
        if wanted is not None and acct not in wanted:
            continue
        gate = gates.get(acct, _OK)
        if acct in failures:
            out.append(failed_metrics(account, config, as_of, quarter, gate, failures[acct]))
            continue
        try:
            out.append(
                _second_pass(data, agg, account, cores[acct], cohorts, roadmap, gate, config, as_of)
            )
        except Exception as exc:
            out.append(failed_metrics(account, config, as_of, quarter, gate, _failure(exc)))
    return _with_feature_labels(out, book)


def _with_feature_labels(out: list[AccountMetrics], book: Book) -> list[AccountMetrics]:
    """Show features by their catalog `label` (optional column) rather than their event code."""
    catalog = book.tables.get("feature_catalog")
    if catalog is None or "label" not in catalog.columns:
        return out
    labels = {
        str(f): str(lbl)
        for f, lbl in zip(catalog["feature"], catalog["label"], strict=True)
        if f is not None and lbl is not None and str(lbl).strip()
    }
    if not labels:
        return out
    relabelled = []
    for m in out:
        top = tuple((labels.get(name, name), n) for name, n in m.usage.top_features)
        relabelled.append(replace(m, usage=replace(m.usage, top_features=top)))
    return relabelled


def _failure(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"metrics failed: {text}"


def _period(
    account: Mapping[str, Any], config: Config, as_of: date, quarter: str | None
) -> tuple[Period, str | None]:
    period = review_period(
        account.get("next_qbr_date"), as_of, quarter, int(num(config, "value.quarters_shown"))
    )
    return period, period_warning(period, quarter)


def _first_pass(
    data: BookData,
    agg: Aggregates,
    pos: int,
    account: dict[str, Any],
    period_note: tuple[Period, str | None],
    now: HealthInputs,
    before: HealthInputs,
    config: Config,
    end_month: int | None,
) -> _Core:
    acct = account["account_id"]
    tier = tier_for(account.get("arr"), account.get("tier"), config)
    period, note = period_note
    warnings: list[str] = [note] if note else []
    if acct in data.duplicate_ids:
        warnings.append(f"account_id {acct!r} appears more than once: the first row is used")
    since = account.get("customer_since")
    cutoff = agg.as_of - timedelta(days=VELOCITY_DAYS)
    # no velocity for an account that was not a customer yet 30 days ago
    previous = health_score(before, config) if since is None or since <= cutoff else None
    health = compute_health(now, config, previous=previous)
    usage = usage_summary(now, agg, pos, period, end_month)
    support = support_summary(now, agg, pos, period, data.has("tickets"), config)
    return _Core(
        pos,
        tier,
        period,
        tuple(warnings),
        now,
        health,
        usage,
        support,
        benchmark_values(usage, support, health),
    )


def _second_pass(
    data: BookData,
    agg: Aggregates,
    account: dict[str, Any],
    core: _Core,
    cohorts: Cohorts,
    roadmap: Roadmap,
    gate: Gate,
    config: Config,
    as_of: date,
) -> AccountMetrics:
    acct = account["account_id"]
    facts = account_facts(account, as_of, core.health.band, config)
    value = compute_value(
        data.tables["value"].records(acct, VALUE_COLUMNS),
        core.period,
        arr=account.get("arr"),
        currency=facts.currency,
        hourly_rate=account.get("hourly_rate"),
        config=config,
    )
    ctx = SignalContext(
        account=account,
        inputs=core.inputs,
        usage=core.usage,
        agg=agg,
        pos=core.pos,
        period=core.period,
        as_of=as_of,
        currency=facts.currency,
        has_invoices=data.has("invoices"),
    )
    status, reasons = account_status(gate, core.health)
    return AccountMetrics(
        account_id=acct,
        name=facts.name,
        tier=core.tier,
        status=status,
        reasons=reasons,
        period=core.period,
        facts=facts,
        health=core.health,
        value=value,
        benchmarks=cohorts.benchmarks(acct, core.tier, account.get("industry"), core.bench),
        signals=top_signals(ctx, config),
        usage=core.usage,
        support=core.support,
        goals=goal_rows(data.tables["goals"].records(acct, GOAL_COLUMNS)),
        actions=action_rows(data.tables["actions"].records(acct, ACTION_COLUMNS), as_of),
        roadmap=roadmap.rows(acct),
        warnings=core.warnings,
    )


def account_status(gate: Gate, health: Health) -> tuple[AccountStatus, tuple[str, ...]]:
    """The gate's status, turned to "review" when an ok/onboarding account's band is red."""
    status: AccountStatus = gate.status
    reasons = list(gate.reasons)
    if gate.status in ("ok", "onboarding") and health.band == "red":
        status = "review"
        score = "n/a" if health.score is None else str(health.score)
        reasons.append(f"health Red (score {score}): route to manager review first")
        reasons += [f"forced Red: {reason}" for reason in health.overrides]
    return status, tuple(reasons)


# ---------------------------------------------------------------- minimal results


def empty_health() -> Health:
    return Health(None, None, None, {}, (), (), Trend(None, None, None), ())


def empty_value(period: Period, arr: float | None) -> Value:
    return Value(
        quarter=period.quarter,
        quarterly_value=None,
        investment=(arr or 0.0) / 4.0,
        roi_pct=None,
        annualised_value=None,
        by_category={},
        items=(),
        trend=tuple((q, None) for q in period.previous_quarters),
        method="not computed",
        assumptions=(),
    )


def minimal_facts(account: Mapping[str, Any], config: Config) -> AccountFacts:
    def text(key: str) -> str | None:
        v = account.get(key)
        return v if isinstance(v, str) and v else None

    def day(key: str) -> date | None:
        v = account.get(key)
        return v if isinstance(v, date) else None

    arr = account.get("arr")
    return AccountFacts(
        name=text("name") or str(account.get("account_id", "")),
        arr=float(arr) if isinstance(arr, (int, float)) else 0.0,
        currency=(text("currency") or str(setting(config, "currency"))).upper(),
        industry=text("industry"),
        product_type=text("product_type"),
        customer_since=day("customer_since"),
        renewal_date=day("renewal_date"),
        months_to_renewal=None,
        last_qbr_date=day("last_qbr_date"),
        next_qbr_date=day("next_qbr_date"),
        csm_name=text("csm_name"),
        csm_email=text("csm_email"),
        champion_name=text("champion_name"),
        champion_title=text("champion_title"),
        champion_email=text("champion_email"),
        sponsor_name=text("sponsor_name"),
        sponsor_title=text("sponsor_title"),
        nps=None,
        csat=None,
        is_ebr=False,
        onboarding=False,
    )


def failed_metrics(
    account: Mapping[str, Any],
    config: Config,
    as_of: date,
    quarter: str | None,
    gate: Gate | None,
    reason: str,
) -> AccountMetrics:
    """A minimal, renderable-as-blocked result for an account whose metrics could not be
    computed: status "blocked", the gate's reasons plus `reason`."""
    try:
        period, _ = _period(account, config, as_of, quarter)
    except Exception:
        period = review_period(None, as_of, None, 4)
    try:
        tier = tier_for(account.get("arr"), account.get("tier"), config)
    except Exception:
        tier = "tech_touch"
    facts = minimal_facts(account, config)
    reasons = (*(gate.reasons if gate else ()), reason)
    return AccountMetrics(
        account_id=str(account.get("account_id", "")),
        name=facts.name,
        tier=tier,
        status="blocked",
        reasons=reasons,
        period=period,
        facts=facts,
        health=empty_health(),
        value=empty_value(period, facts.arr),
        benchmarks=(),
        signals=(),
        usage=empty_usage(period),
        support=empty_support(),
        goals=(),
        actions=(),
        roadmap=(),
        warnings=(),
    )
