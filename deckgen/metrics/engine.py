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

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from deckgen.book.gates import Gate
from deckgen.book.load import Book
from deckgen.config import Config
from deckgen.metrics.benchmarks import Cohorts, PeerRecord, benchmark_values
from deckgen.metrics.frames import BookData, prepare
from deckgen.metrics.health import compute_health, health_score
from deckgen.metrics.inputs import HealthInputs, health_inputs
from deckgen.metrics.periods import month_index, period_warning, review_period
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
    account_facts,
    action_rows,
    empty_support,
    empty_usage,
    goal_rows,
    roadmap_rows,
    support_summary,
    usage_summary,
)
from deckgen.metrics.tiers import tier_for
from deckgen.metrics.value import compute_value

VELOCITY_DAYS = 30
_OK = Gate("ok", ())


@dataclass(frozen=True)
class _Core:
    """The first pass for one account."""

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

    Benchmarks always compare against the whole book. `quarter` overrides the review quarter.
    """
    data = prepare(book, config)
    gates = gates or {}
    wanted = None if account_ids is None else {str(a) for a in account_ids}
    end_month = _latest_usage_month(data, as_of)

    cores: dict[str, _Core] = {}
    failures: dict[str, str] = {}
    records: list[PeerRecord] = []
    for account in data.accounts:
        acct = account["account_id"]
        try:
            core = _first_pass(data, account, config, as_of, quarter, end_month)
        except Exception as exc:  # noqa: BLE001 - one account's data must not stop the book
            failures[acct] = _failure(exc)
            continue
        cores[acct] = core
        if gates.get(acct, _OK).status != "blocked":
            records.append(PeerRecord(acct, core.tier, account.get("industry"), core.bench))
    cohorts = Cohorts(records, config)

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
            out.append(_second_pass(data, account, cores[acct], cohorts, gate, config, as_of))
        except Exception as exc:  # noqa: BLE001
            out.append(failed_metrics(account, config, as_of, quarter, gate, _failure(exc)))
    return out


def _failure(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"metrics failed: {text}"


def _latest_usage_month(data: BookData, as_of: date) -> int | None:
    months = data.tables["usage"].cols["month"]
    months = months[~np.isnan(months) & (months <= month_index(as_of))]
    return int(months.max()) if len(months) else None


def _period(
    account: Mapping[str, Any], config: Config, as_of: date, quarter: str | None
) -> tuple[Period, str | None]:
    period = review_period(
        account.get("next_qbr_date"), as_of, quarter, int(num(config, "value.quarters_shown"))
    )
    return period, period_warning(period, quarter)


def _first_pass(
    data: BookData,
    account: dict[str, Any],
    config: Config,
    as_of: date,
    quarter: str | None,
    end_month: int | None,
) -> _Core:
    acct = account["account_id"]
    tier = tier_for(account.get("arr"), account.get("tier"), config)
    period, note = _period(account, config, as_of, quarter)
    warnings: list[str] = [note] if note else []
    if acct in data.duplicate_ids:
        warnings.append(f"account_id {acct!r} appears more than once: the first row is used")
    now = health_inputs(data, account, as_of, config)
    before = health_inputs(data, account, as_of - timedelta(days=VELOCITY_DAYS), config)
    health = compute_health(now, config, previous=health_score(before, config))
    usage = usage_summary(
        now, data.rows("usage", acct), data.rows("features", acct), period, as_of, end_month
    )
    support = support_summary(
        now, data.rows("tickets", acct), period, as_of, data.has("tickets"), config
    )
    return _Core(tier, period, tuple(warnings), now, health, usage, support,
                 benchmark_values(usage, support, health))


def _second_pass(
    data: BookData,
    account: dict[str, Any],
    core: _Core,
    cohorts: Cohorts,
    gate: Gate,
    config: Config,
    as_of: date,
) -> AccountMetrics:
    acct = account["account_id"]
    facts = account_facts(account, as_of, core.health.band, config)
    value = compute_value(
        data.rows("value", acct),
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
        usage_rows=data.rows("usage", acct),
        features=data.rows("features", acct),
        invoices=data.rows("invoices", acct),
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
        goals=goal_rows(data.rows("goals", acct)),
        actions=action_rows(data.rows("actions", acct), as_of),
        roadmap=roadmap_rows(data.roadmap, acct),
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
    except Exception:  # noqa: BLE001 - even the period may be what failed
        period = review_period(None, as_of, None, 4)
    try:
        tier = tier_for(account.get("arr"), account.get("tier"), config)
    except Exception:  # noqa: BLE001
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
