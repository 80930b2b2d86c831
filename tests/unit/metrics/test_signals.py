"""Churn and expansion signals (docs/domain.md §3): only with data behind them, ranked."""

from __future__ import annotations

from typing import Any

import pytest

from deckgen.config import load_config
from deckgen.metrics.results import Signal

from .conftest import BookFactory, account_table, one

MONTHS = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def _usage(users: list[float], **cols: list[Any]) -> dict[str, list[Any]]:
    n = len(users)
    table: dict[str, list[Any]] = {
        "account_id": ["A1"] * n,
        "month": MONTHS[-n:],
        "active_users": users,
    }
    table.update(cols)
    return table


def _by_code(signals: tuple[Signal, ...]) -> dict[str, Signal]:
    return {s.code: s for s in signals}


def test_no_data_no_signals(make_book: BookFactory) -> None:
    m = one(make_book(accounts=account_table("A1", renewal_date="2027-08-01")))
    assert m.signals == ()


def test_users_decline_and_its_numbers(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", licensed_seats=200, renewal_date="2027-08-01"),
        usage=_usage([100, 100, 100, 100, 90, 65]),
    )
    s = _by_code(one(book).signals)["users_decline"]
    assert s.kind == "risk" and s.status == "red"
    assert s.value == pytest.approx(-35.0) and s.threshold == -30
    assert s.message == "Active users fell 35% in 90 days, from 100 in 2026-08 to 65 in 2026-11."


def test_users_decline_between_20_and_30_pct_is_yellow(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", renewal_date="2027-08-01"),
        usage=_usage([100, 100, 100, 75]),
    )
    assert _by_code(one(book).signals)["users_decline"].status == "yellow"


def test_champion_changed_and_renewal(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table(
            "A1",
            champion_changed="yes",
            champion_name="Dana Lee",
            champion_title="Interim VP Ops",
            renewal_date="2026-12-18",
        )
    )
    sig = _by_code(one(book).signals)
    assert sig["champion_changed"].status == "red"
    assert "Dana Lee (Interim VP Ops)" in sig["champion_changed"].message
    renewal = sig["renewal_soon"]
    assert renewal.status == "yellow" and renewal.value == 20
    assert "confirm the renewal conversation" in renewal.message
    assert list(sig) == ["champion_changed", "renewal_soon"]  # red before yellow


def test_seat_expansion_and_collaboration_dau_mau(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table(
            "A1", licensed_seats=100, product_type="collaboration", renewal_date="2027-08-01"
        ),
        usage=_usage([90], dau=[18], mau=[90]),
    )
    sig = _by_code(one(book).signals)
    assert sig["seats_near_full"].kind == "expansion"
    assert sig["seats_near_full"].value == pytest.approx(90.0)
    assert sig["dau_mau"].status == "red" and sig["dau_mau"].value == pytest.approx(0.2)
    assert sig["dau_mau"].message == (
        "DAU/MAU was 0.20 in 2026-11, below the 0.30 disengagement threshold."
    )
    codes = [s.code for s in one(book).signals]
    assert codes.index("dau_mau") < codes.index("seats_near_full")  # risks first


def test_api_platform_quarter_over_quarter(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table(
            "A1", product_type="api_platform", next_qbr_date="2026-12-09", renewal_date="2027-08-01"
        ),
        usage=_usage([10] * 8, api_calls=[1000, 1000, 1000, 1000, 700, 700, 700, 700]),
    )
    s = _by_code(one(book).signals)["api_volume_qoq"]
    # 2026Q2 = 3000 calls, 2026Q3 = 1000 + 700 + 700 = 2400: -20% is not beyond -20% -> yellow
    assert s.value == pytest.approx(-20.0) and s.status == "yellow"
    worse = make_book(
        accounts=account_table("A1", product_type="api_platform", renewal_date="2027-08-01"),
        usage=_usage([10] * 8, api_calls=[1000, 1000, 1000, 500, 500, 500, 500, 500]),
    )
    assert _by_code(one(worse).signals)["api_volume_qoq"].status == "red"


def test_api_signal_needs_complete_quarters(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", product_type="api_platform", renewal_date="2027-08-01"),
        usage=_usage([10] * 8, api_calls=[1000, "", 1000, 500, 500, 500, 500, 500]),
    )
    assert "api_volume_qoq" not in _by_code(one(book).signals)


def test_analytics_dashboard_views(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", product_type="analytics", renewal_date="2027-08-01"),
        usage=_usage([20, 20]),
        features={
            "account_id": ["A1"] * 3,
            "month": ["2026-10", "2026-10", "2026-11"],
            "feature": ["Dashboards", "reports", "dashboards"],
            "events": [300, 50, 80],
        },
    )
    s = _by_code(one(book).signals)["dashboard_views"]
    # 2026-11 is in progress on the 28th: 80 views / 20 users / (28 days / 7) = 1.0 per week
    assert s.value == pytest.approx(1.0) and s.status == "red"


def test_customer_support_without_deflection_data_has_no_product_signal(
    make_book: BookFactory,
) -> None:
    book = make_book(
        accounts=account_table("A1", product_type="customer_support", renewal_date="2027-08-01"),
        usage=_usage([20, 20]),
        features={"account_id": ["A1"], "month": ["2026-11"], "feature": ["macros"], "events": [5]},
    )
    assert "deflection_rate" not in _by_code(one(book).signals)


def test_ticket_spike_with_low_csat(make_book: BookFactory) -> None:
    opened = ["2026-10-20"] + [f"2026-11-{d:02d}" for d in range(2, 12)]
    book = make_book(
        accounts=account_table("A1", renewal_date="2027-08-01"),
        tickets={
            "account_id": ["A1"] * len(opened),
            "ticket_id": [f"T{i}" for i in range(len(opened))],
            "opened_at": opened,
            "resolved_at": opened,
            "priority": ["p3"] * len(opened),
            "csat": [2] * len(opened),
        },
    )
    s = _by_code(one(book).signals)["ticket_spike"]
    assert s.status == "red"
    assert s.message == (
        "Tickets rose from 1 to 10 in the last 30 days (+900%) with ticket CSAT 2.0/5 (below 3)."
    )


def test_mrr_down(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", next_qbr_date="2026-12-09", renewal_date="2027-08-01"),
        invoices={
            "account_id": ["A1", "A1", "A1"],
            "invoice_date": ["2026-04-01", "2026-07-01", "2026-08-01"],
            "amount": [30000, 10000, 9500],
            "status": ["paid", "paid", "void"],
        },
    )
    s = _by_code(one(book).signals)["mrr_down"]
    assert s.value == pytest.approx(-66.666, abs=0.01)
    assert "rule out a billing-data error" in s.message


def test_new_features_adopted_this_quarter(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", next_qbr_date="2026-12-09", renewal_date="2027-08-01"),
        features={
            "account_id": ["A1"] * 4,
            "month": ["2026-05", "2026-08", "2026-09", "2026-11"],
            "feature": ["chat", "chat", "whiteboard", "video"],
            "events": [10, 10, 5, 5],
        },
    )
    s = _by_code(one(book).signals)["new_features"]
    assert (
        s.value == 1 and s.message == "1 feature(s) used for the first time in 2026Q3: whiteboard."
    )


def test_at_most_max_shown(make_book: BookFactory) -> None:
    cfg = load_config(overrides={"signals": {"max_shown": 2}})
    book = make_book(
        config=cfg,
        accounts=account_table(
            "A1",
            licensed_seats=100,
            product_type="collaboration",
            champion_changed="true",
            renewal_date="2026-12-18",
        ),
        usage=_usage([100, 100, 100, 95], dau=[50, 50, 50, 18], mau=[100, 100, 100, 95]),
    )
    signals = one(book, cfg).signals
    assert len(signals) == 2
    assert all(s.kind == "risk" and s.status == "red" for s in signals)
    assert signals[0].rank >= signals[1].rank
