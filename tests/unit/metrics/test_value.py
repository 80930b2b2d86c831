"""Value and ROI (docs/domain.md §4): conservative, never extrapolated."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from deckgen.config import Config, load_config
from deckgen.metrics.periods import review_period
from deckgen.metrics.value import NOT_VALUED, compute_value, value_item

from .conftest import BookFactory, account_table, one

PERIOD = review_period(date(2026, 12, 9), date(2026, 11, 28), None, 4)  # 2026Q3


def row(quarter: str = "2026Q3", **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "quarter": quarter,
        "category": "revenue_impact",
        "label": "x",
        "baseline": None,
        "current": None,
        "unit": None,
        "quantity": None,
        "value": None,
    }
    base.update(kw)
    return base


def test_roi_280_pct(cfg: Config) -> None:
    # $70K of value on $100K ARR: investment 100K / 4 = 25K -> ROI 70K / 25K = 280%
    v = compute_value(
        [row(value=70_000)], PERIOD, arr=100_000, currency="USD", hourly_rate=None, config=cfg
    )
    assert v.quarterly_value == 70_000
    assert v.investment == 25_000
    assert v.roi_pct == pytest.approx(280.0)
    assert v.annualised_value == 280_000
    assert v.by_category == {"revenue_impact": 70_000}
    assert any("run rate" in a for a in v.assumptions)


def test_time_savings_hours_times_the_accounts_rate(cfg: Config) -> None:
    item = value_item(
        row(category="time_savings", quantity=120, unit="hours"), "2026Q3", 95.0, "rate", "USD"
    )
    assert item.value == 120 * 95
    assert "120 hours saved x 95 USD per hour" in item.method


def test_time_savings_default_rate_from_config() -> None:
    cfg = load_config(overrides={"value": {"hourly_rate": 80}})
    v = compute_value(
        [row(category="time_savings", quantity=100)],
        PERIOD,
        arr=100_000,
        currency="USD",
        hourly_rate=None,
        config=cfg,
    )
    assert v.quarterly_value == 8_000
    assert "hourly rate 80 USD (config default value.hourly_rate)" in v.assumptions
    own = compute_value(
        [row(category="time_savings", quantity=100)],
        PERIOD,
        arr=100_000,
        currency="USD",
        hourly_rate=120,
        config=cfg,
    )
    assert own.quarterly_value == 12_000
    assert "hourly rate 120 USD (the account's hourly_rate)" in own.assumptions


def test_supplied_value_wins_over_any_formula(cfg: Config) -> None:
    item = value_item(
        row(category="time_savings", quantity=10, value=999), "2026Q3", 75, "r", "USD"
    )
    assert item.value == 999 and item.method == "value supplied by the customer"


def test_cost_reduction_baseline_minus_current_when_money(cfg: Config) -> None:
    money = value_item(
        row(category="cost_reduction", baseline=10_000, current=6_500, unit="USD"),
        "2026Q3",
        75,
        "r",
        "USD",
    )
    assert money.value == 3_500
    dollar = value_item(
        row(category="cost_reduction", baseline=100, current=40, unit="$"), "2026Q3", 75, "r", "USD"
    )
    assert dollar.value == 60


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        (
            {"category": "cost_reduction", "baseline": 40, "current": 25, "unit": "tickets"},
            "not money",
        ),
        ({"category": "cost_reduction", "baseline": 40, "current": 25, "unit": "EUR"}, "EUR"),
        ({"category": "cost_reduction", "baseline": 40, "unit": "USD"}, "both needed"),
        ({"category": "time_savings", "baseline": 40, "current": 25, "unit": "hours"}, "quantity"),
        ({"category": "risk_avoidance", "quantity": 3, "unit": "incidents"}, NOT_VALUED),
        ({"category": "quality", "baseline": 8, "current": 5, "unit": "%"}, NOT_VALUED),
        ({"category": "revenue_impact", "quantity": 500_000, "unit": "USD"}, NOT_VALUED),
    ],
)
def test_conservative_none_when_not_valuable(kw: dict[str, Any], why: str) -> None:
    item = value_item(row(**kw), "2026Q3", 75, "r", "USD")
    assert item.value is None
    assert item.method.startswith("not valued")
    assert why.replace("not valued: ", "") in item.method


def test_quarter_without_rows_is_missing_not_zero(cfg: Config) -> None:
    v = compute_value(
        [row("2026Q1", value=10_000), row("2026Q3", value=12_000)],
        PERIOD,
        arr=100_000,
        currency="USD",
        hourly_rate=None,
        config=cfg,
    )
    assert v.trend == (("2025Q4", None), ("2026Q1", 10_000), ("2026Q2", None), ("2026Q3", 12_000))
    none = compute_value(
        [row("2026Q2", value=5)], PERIOD, arr=100_000, currency="USD", hourly_rate=None, config=cfg
    )
    assert none.quarterly_value is None and none.roi_pct is None and none.annualised_value is None
    assert none.items == ()
    assert "No value was recorded for 2026Q3" in none.method


def test_only_unvaluable_rows_give_no_value(cfg: Config) -> None:
    v = compute_value(
        [row(category="quality", baseline=8, current=5, unit="%")],
        PERIOD,
        arr=100_000,
        currency="USD",
        hourly_rate=None,
        config=cfg,
    )
    assert len(v.items) == 1 and v.quarterly_value is None and v.roi_pct is None
    assert any("not valued" in a for a in v.assumptions)


def test_zero_arr_has_no_roi(cfg: Config) -> None:
    v = compute_value(
        [row(value=5_000)], PERIOD, arr=0, currency="USD", hourly_rate=None, config=cfg
    )
    assert v.quarterly_value == 5_000 and v.investment == 0 and v.roi_pct is None


def test_value_through_the_book(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", arr=100_000, hourly_rate=100, next_qbr_date="2026-12-09"),
        value={
            "account_id": ["A1"] * 5,
            "quarter": ["2026Q3", "2026Q3", "2026Q3", "2026Q2", "2026-Q3"],
            "category": [
                "time_savings",
                "cost_reduction",
                "risk_avoidance",
                "time_savings",
                "Revenue Impact",
            ],
            "label": ["Reporting", "Tools retired", "Incidents", "Reporting", "Upsell"],
            "baseline": ["", "20000", "4", "", ""],
            "current": ["", "12000", "1", "", ""],
            "unit": ["hours", "USD", "incidents", "hours", "USD"],
            "quantity": ["200", "", "3", "150", ""],
            "value": ["", "", "", "", "42000"],
        },
    )
    v = one(book).value
    # 200 h x 100 + (20000 - 12000) + 42000 = 70000; risk avoidance without a value: not valued
    assert v.quarter == "2026Q3"
    assert v.quarterly_value == 70_000
    assert v.roi_pct == pytest.approx(280.0)
    assert v.by_category == {
        "time_savings": 20_000,
        "cost_reduction": 8_000,
        "revenue_impact": 42_000,
    }
    assert [i.value for i in v.items] == [20_000, 8_000, None, 42_000]
    assert dict(v.trend)["2026Q2"] == 15_000
    assert dict(v.trend)["2026Q1"] is None
