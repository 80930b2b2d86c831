"""The health score (docs/domain.md §2) pinned to hand-computed values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deckgen.config import Config, load_config
from deckgen.metrics.health import (
    band_for,
    compute_health,
    health_score,
    velocity,
    volume_trend,
)
from deckgen.metrics.inputs import HealthInputs

from .conftest import BookFactory, account_table, one

# A fully specified account. Hand computation (default config):
#   usage: seats 70/100 = 70% -> step 80; breadth 6/10 = 60; depth DAU/MAU 21/70 = 0.3 -> 0.3/0.5
#          = 60; trend +15% -> (15 + 30) / 60 = 75
#          = 0.4*80 + 0.3*60 + 0.2*60 + 0.1*75 = 32 + 18 + 12 + 7.5 = 69.5
#   engagement: touchpoints 8/10 = 80% -> step 80; last exec 30 days ago -> 100 - 30/120*100 = 75;
#          exec attendance 3/4 = 75  -> 0.5*80 + 0.25*75 + 0.25*75 = 77.5
#   outcomes: goals 3/4 = 75; sentiment mean(NPS 8 -> 80, CSAT 4.2 -> (4.2-1)/4*100 = 80) = 80
#          -> 0.6*75 + 0.4*80 = 77
#   support: no critical ticket overdue 100; ticket CSAT 4.0 -> 75; volume 6 vs 10 tickets in
#          90 days = -40% -> declining 100  -> 0.4*100 + 0.4*75 + 0.2*100 = 90
#   relationship: champion stable 100; 2 engaged stakeholders 100; sponsor 100 -> 100
#   health = 69.5*0.35 + 77.5*0.25 + 77*0.20 + 90*0.10 + 100*0.10
#          = 24.325 + 19.375 + 15.4 + 9 + 10 = 78.1 -> 78, green
FULL = HealthInputs(
    licensed_seats=100,
    active_users=70,
    usage_month=2026 * 12 + 10,
    dau=21,
    mau=70,
    users_change_90d_pct=15.0,
    users_90d_before=60.87,
    features_used=6,
    features_available=10,
    touchpoints_total=10,
    touchpoints_completed=8,
    exec_days=30,
    exec_recorded=True,
    reviews_total=4,
    reviews_with_exec=3,
    goals_total=4,
    goals_on_track=3,
    nps=8,
    csat=4.2,
    tickets_present=True,
    ticket_csat=4.0,
    tickets_30d=2,
    tickets_prev_30d=2,
    tickets_window=6,
    tickets_prev_window=10,
    champion_named=True,
    champion_changed=False,
    sponsor_named=True,
    sponsor_engaged=True,
    cancellation_intent=False,
)


def test_full_score_by_hand(cfg: Config) -> None:
    h = compute_health(FULL, cfg)
    d = h.dimensions
    assert d["usage"].parts == {
        "seat_utilisation": 80,
        "feature_breadth": 60,
        "usage_depth": pytest.approx(60),
        "trend": pytest.approx(75),
    }
    assert d["usage"].score == pytest.approx(69.5)
    assert d["engagement"].parts == {"touchpoints": 80, "exec_recency": 75, "exec_attendance": 75}
    assert d["engagement"].score == pytest.approx(77.5)
    assert d["outcomes"].score == pytest.approx(77)
    assert d["support"].parts == {"critical_open": 100, "csat": 75, "volume_trend": 100}
    assert d["support"].score == pytest.approx(90)
    assert d["relationship"].score == pytest.approx(100)
    assert h.score == 78
    assert h.band == h.computed_band == "green"
    assert h.missing == () and h.overrides == () and h.red_flags == ()
    assert {k: v.effective_weight for k, v in d.items()} == pytest.approx(
        {"usage": 0.35, "engagement": 0.25, "outcomes": 0.2, "support": 0.1, "relationship": 0.1}
    )


def test_missing_dimension_weight_is_spread(cfg: Config) -> None:
    # No tickets table: support has no data; the other weights (sum 0.9) are rescaled.
    # (24.325 + 19.375 + 15.4 + 10) / 0.9 = 76.78 -> 77
    h = compute_health(replace(FULL, tickets_present=False, ticket_csat=None), cfg)
    assert h.dimensions["support"].score is None
    assert h.dimensions["support"].effective_weight == 0
    assert h.dimensions["support"].note.startswith("no data")
    assert h.missing == ("support",)
    assert h.dimensions["usage"].effective_weight == pytest.approx(0.35 / 0.9)
    assert h.score == 77


def test_missing_part_weight_is_spread_within_the_dimension(cfg: Config) -> None:
    # No DAU: usage depth has no data -> (32 + 18 + 7.5) / 0.8 = 71.875
    h = compute_health(replace(FULL, dau=None), cfg)
    usage = h.dimensions["usage"]
    assert usage.parts["usage_depth"] is None
    assert usage.score == pytest.approx(71.875)
    assert "usage depth" in usage.note


def test_no_data_at_all(cfg: Config) -> None:
    h = compute_health(HealthInputs(), cfg)
    assert h.score is None and h.band is None and h.computed_band is None
    assert h.missing == ("usage", "engagement", "outcomes", "support", "relationship")
    assert h.trend.change is None and h.trend.direction is None


def test_unknown_booleans_are_no_data_not_zero(cfg: Config) -> None:
    h = compute_health(HealthInputs(nps=9), cfg)
    assert h.missing == ("usage", "engagement", "support", "relationship")
    assert h.score == 90  # only sentiment: NPS 9 -> 90


@pytest.mark.parametrize(
    ("change", "inputs", "expected"),
    [
        (
            "champion",
            {"champion_changed": True},
            "champion changed in the last 90 days (champion departed)",
        ),
        ("cancellation", {"cancellation_intent": True}, "formal cancellation intent received"),
        (
            "p1",
            {"critical_overdue": (("T-9", 8),)},
            "P1/urgent ticket T-9 open 8 business days (more than 5)",
        ),
        (
            "invoice",
            {"overdue_invoice": ("2026-09-01", 5600.0, 58)},
            "invoice of 2026-09-01 (5,600.00) unpaid 58 days past due (more than 30)",
        ),
    ],
)
def test_forced_red(cfg: Config, change: str, inputs: dict[str, object], expected: str) -> None:
    h = compute_health(replace(FULL, **inputs), cfg)  # type: ignore[arg-type]
    assert h.band == "red"
    assert h.computed_band in ("green", "yellow")
    assert h.overrides == (expected,)


def test_invoice_exactly_at_the_limit_is_not_forced(cfg: Config) -> None:
    h = compute_health(replace(FULL, overdue_invoice=("2026-09-01", 100.0, 30)), cfg)
    assert h.overrides == () and h.band == "green"


def test_champion_change_also_lowers_relationship(cfg: Config) -> None:
    # champion stable 0, stakeholders 1 of 2 -> 50, sponsor 100 -> 0.4*0 + 0.3*50 + 0.3*100 = 45
    h = compute_health(replace(FULL, champion_changed=True), cfg)
    assert h.dimensions["relationship"].score == pytest.approx(45)


@pytest.mark.parametrize(
    ("previous", "change", "direction"),
    [
        (72, 6, "improving"),
        (73, 5, "stable"),
        (78, 0, "stable"),
        (83, -5, "stable"),
        (84, -6, "declining"),
        (93, -15, "declining"),
        (94, -16, "rapid_drop"),
    ],
)
def test_velocity_classes(cfg: Config, previous: int, change: int, direction: str) -> None:
    h = compute_health(FULL, cfg, previous=previous)
    assert h.trend.previous == previous
    assert h.trend.change == change
    assert h.trend.direction == direction


def test_velocity_thresholds_come_from_config() -> None:
    cfg = load_config(overrides={"health": {"velocity": {"improving": 10}}})
    assert velocity(8, cfg) == "stable"
    assert velocity(11, cfg) == "improving"


@pytest.mark.parametrize(
    ("score", "band"), [(100, "green"), (75, "green"), (74, "yellow"), (50, "yellow"), (49, "red")]
)
def test_bands(cfg: Config, score: int, band: str) -> None:
    assert band_for(score, cfg) == band


def test_red_flags_are_readable(cfg: Config) -> None:
    weak = replace(
        FULL,
        active_users=15,
        features_used=2,
        users_change_90d_pct=-25.0,
        exec_days=75,
        reviews_with_exec=1,
        nps=6,
        csat=3.1,
    )
    flags = compute_health(weak, cfg).red_flags
    assert "only 15% of licensed seats are active (15 of 100; red flag below 20%)" in flags
    assert "only 2 of 10 features in use (20%; red flag below 30%)" in flags
    assert "active users down 25% over 90 days (red flag beyond -20%)" in flags
    assert "last executive interaction 75 days ago (red flag after 60)" in flags
    assert "executives attended 1 of 4 business reviews (25%; red flag below 50%)" in flags
    assert "NPS 6 (red flag below 7)" in flags
    assert "CSAT 3.1 (red flag below 3.5)" in flags
    never = compute_health(replace(FULL, exec_days=None), cfg)
    assert "no executive interaction on record" in never.red_flags
    assert never.dimensions["engagement"].parts["exec_recency"] == 0


@pytest.mark.parametrize(
    ("now", "before", "window", "prev", "trend"),
    [
        (12, 4, 20, 20, "spike"),  # +200% and 8 more tickets
        (3, 1, 6, 6, "flat"),  # +200% but only 2 more: not a spike
        (2, 2, 6, 10, "declining"),
        (2, 2, 11, 10, "flat"),
        (2, 2, 12, 10, "rising"),
        (0, 0, 0, 0, "flat"),
        (1, 0, 1, 0, "rising"),
    ],
)
def test_ticket_volume_trend(
    cfg: Config, now: int, before: int, window: int, prev: int, trend: str
) -> None:
    inp = replace(
        FULL,
        tickets_30d=now,
        tickets_prev_30d=before,
        tickets_window=window,
        tickets_prev_window=prev,
    )
    assert volume_trend(inp, cfg) == trend


def test_weights_come_from_config() -> None:
    cfg = load_config(
        overrides={
            "health": {
                "weights": {
                    "usage": 1.0,
                    "engagement": 0.0,
                    "outcomes": 0.0,
                    "support": 0.0,
                    "relationship": 0.0,
                }
            }
        }
    )
    assert health_score(FULL, cfg) == 70  # usage alone: 69.5 rounds half up


# ---------------------------------------------------------------- from a book


def _full_book(make_book: BookFactory, **account: object) -> object:
    features = [f"f{i}" for i in range(10)]
    used = features[:6]
    tp_dates = [
        "2026-10-29",
        "2026-09-05",
        "2026-09-15",
        "2026-09-25",
        "2026-10-05",
        "2026-10-15",
        "2026-11-05",
        "2026-11-15",
        "2026-11-20",
        "2026-11-25",
        "2026-01-10",
        "2026-04-10",
        "2026-07-10",
        "2026-08-01",
    ]
    tp_completed = ["true"] * 8 + ["false", "false"] + ["true"] * 4
    tp_exec = ["true"] + ["false"] * 9 + ["true", "true", "true", "false"]
    tp_type = ["meeting"] * 10 + ["ebr"] * 4
    window_days = [
        "2026-11-05",
        "2026-11-20",
        "2026-10-05",
        "2026-10-20",
        "2026-09-05",
        "2026-09-20",
    ]
    older = [f"2026-0{m}-{d:02d}" for m in (6, 7, 8) for d in (5, 15, 25)] + ["2026-08-28"]
    opened = window_days + older
    acct = {
        "licensed_seats": 100,
        "nps": 8,
        "csat": 4.2,
        "champion_name": "Ann",
        "champion_changed": "false",
        "sponsor_name": "Sam",
        "sponsor_engaged": "true",
        "product_type": "collaboration",
        "customer_since": "2023-01-01",
        "next_qbr_date": "2026-12-09",
    }
    acct.update(account)
    return make_book(
        accounts=account_table("A1", **acct),
        usage={
            "account_id": ["A1"] * 4,
            "month": ["2026-08", "2026-09", "2026-10", "2026-11"],
            "active_users": [60, 62, 66, 69],
            "dau": [18, 18, 19, 20.7],
            "mau": [60, 62, 66, 69],
        },
        feature_catalog={"feature": features},
        features={
            "account_id": ["A1"] * 6,
            "month": ["2026-09", "2026-10", "2026-11", "2026-11", "2026-10", "2026-09"],
            "feature": used,
            "events": [10, 20, 30, 40, 50, 60],
        },
        touchpoints={
            "account_id": ["A1"] * len(tp_dates),
            "date": tp_dates,
            "type": tp_type,
            "completed": tp_completed,
            "exec_present": tp_exec,
        },
        goals={
            "account_id": ["A1"] * 4,
            "goal": ["g1", "g2", "g3", "g4"],
            "status": ["on_track", "On track", "complete", "off track"],
            "quarter": ["2026Q3", "2026Q4", "2026Q3", "2026Q4"],
        },
        tickets={
            "account_id": ["A1"] * len(opened),
            "ticket_id": [f"T-{i}" for i in range(len(opened))],
            "opened_at": [f"{d} 10:00:00" for d in opened],
            "resolved_at": [f"{d} 18:00:00" for d in opened],
            "priority": ["p3"] * len(opened),
            "csat": [4] * 6 + [""] * len(older),
        },
    )


def test_full_score_from_a_book(make_book: BookFactory) -> None:
    # The book is built to give exactly FULL's inputs (69 of 100 seats, 60 -> 69 users = +15%,
    # DAU/MAU 20.7/69 = 0.3, ...): the score is the hand-computed 78.
    m = one(_full_book(make_book))  # type: ignore[arg-type]
    h = m.health
    assert h.dimensions["usage"].parts == {
        "seat_utilisation": 80,
        "feature_breadth": 60,
        "usage_depth": pytest.approx(60),
        "trend": pytest.approx(75),
    }
    assert h.dimensions["engagement"].parts == {
        "touchpoints": 80,
        "exec_recency": 75,
        "exec_attendance": 75,
    }
    assert h.dimensions["outcomes"].parts == {"goals": 75, "sentiment": pytest.approx(80)}
    assert h.dimensions["support"].parts == {"critical_open": 100, "csat": 75, "volume_trend": 100}
    assert h.dimensions["relationship"].score == 100
    assert h.score == 78 and h.band == "green"
    assert h.trend.previous is not None


def test_p1_open_more_than_five_business_days_forces_red(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", nps=9),
        tickets={
            "account_id": ["A1", "A1"],
            "ticket_id": ["T-1", "T-2"],
            "opened_at": ["2026-11-10 09:14:00", "2026-11-23 09:00:00"],
            "resolved_at": ["", ""],
            "priority": ["P1", "urgent"],
        },
    )
    m = one(book)
    # T-1: Tue 2026-11-10 -> Sat 2026-11-28 = 14 business days; T-2: 4 business days (not yet)
    assert m.health.overrides == ("P1/urgent ticket T-1 open 14 business days (more than 5)",)
    assert m.health.band == "red"
    assert m.status == "review"
    assert m.support.critical_open_overdue == 1


def test_overdue_invoice_forces_red(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", nps=9),
        invoices={
            "account_id": ["A1", "A1", "A1"],
            "invoice_date": ["2026-09-01", "2026-10-01", "2026-11-01"],
            "amount": [5600, 5600, 5600],
            "status": ["failed", "paid", "open"],
            "due_date": ["2026-10-01", "2026-10-31", "2026-12-01"],
            "paid_at": ["", "2026-10-20", ""],
        },
    )
    h = one(book).health
    assert h.overrides == (
        "invoice of 2026-09-01 (5,600.00) unpaid 58 days past due (more than 30)",
    )


def test_velocity_from_the_book_30_days_earlier(make_book: BookFactory) -> None:
    # Users halve in November: as of 2026-10-29 the account was healthier than now.
    book = make_book(
        accounts=account_table("A1", licensed_seats=100, customer_since="2024-01-01"),
        usage={
            "account_id": ["A1"] * 5,
            "month": ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"],
            "active_users": [90, 90, 90, 90, 30],
        },
    )
    h = one(book).health
    # before: seats 90% -> 100, trend 0% -> 50: (0.4*100 + 0.1*50) / 0.5 = 90
    # now: seats 30% -> 20, trend (30-90)/90 = -66.7% -> 0: (0.4*20) / 0.5 = 16
    assert h.trend.previous == 90
    assert h.score == 16
    assert h.trend.change == -74 and h.trend.direction == "rapid_drop"


def test_no_velocity_before_the_customer_existed(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A1", customer_since="2026-11-09", nps=9),
        usage={"account_id": ["A1"], "month": ["2026-11"], "active_users": [5]},
    )
    h = one(book).health
    assert h.score is not None
    assert h.trend.previous is None and h.trend.direction is None
