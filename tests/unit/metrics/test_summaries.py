"""Usage, support, goals, actions, roadmap and account facts."""

from __future__ import annotations

from datetime import date

import pytest

from deckgen.metrics.summaries import action_row_status, roadmap_rows
from deckgen.metrics.vocab import action_status, goal_status

from .conftest import AS_OF, BookFactory, account_table, one


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("On Track", "on_track"),
        ("on_track", "on_track"),
        ("green", "on_track"),
        ("At-Risk", "at_risk"),
        ("off track", "off_track"),
        ("Done", "complete"),
        ("completed", "complete"),
        ("whatever", None),
        (None, None),
    ],
)
def test_goal_status(raw: str | None, expected: str | None) -> None:
    assert goal_status(raw) == expected


@pytest.mark.parametrize(
    ("raw", "due", "done", "expected"),
    [
        ("In Progress", date(2026, 12, 15), None, "in progress"),
        ("in_progress", date(2026, 11, 1), None, "overdue"),  # past due, not done
        ("blocked", date(2026, 11, 1), None, "overdue"),
        ("done", date(2026, 11, 1), None, "complete"),
        ("cancelled", date(2026, 11, 1), None, "cancelled"),
        ("", date(2026, 12, 15), None, "not started"),
        (None, None, None, "not started"),
        ("waiting on legal", None, None, "in progress"),
        ("in progress", date(2026, 11, 1), date(2026, 10, 30), "complete"),
        ("at risk", date(2026, 12, 1), None, "at risk"),
        ("Not Started", date(2026, 11, 28), None, "not started"),  # due today is not past due
    ],
)
def test_action_status(raw: str | None, due: date | None, done: date | None, expected: str) -> None:
    assert action_row_status(raw, due, done, AS_OF) == expected


def test_action_vocabulary() -> None:
    assert action_status("To Do") == "not started"
    assert action_status("closed") == "complete"


def test_roadmap_requested_by() -> None:
    items = [
        {"item": "A", "status": "shipped", "requested_ids": frozenset({"A-1", "007"})},
        {"item": "B", "status": "next", "requested_ids": frozenset()},
    ]
    rows = roadmap_rows(items, "007")
    assert [(r.item, r.requested_by_account) for r in rows] == [("A", True), ("B", False)]


def test_summaries_from_a_book(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table(
            "007",
            licensed_seats=50,
            renewal_date="2027-02-15",
            customer_since="2026-10-20",
            next_qbr_date="2026-12-09",
            currency="eur",
        ),
        usage={
            "account_id": ["007"] * 6,
            "month": ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"],
            "active_users": [10, 20, 30, 40, 41, 45],
            "dau": [1, 2, 3, 4, 5, 9],
        },
        features={
            "account_id": ["007"] * 4,
            "month": ["2026-07", "2026-08", "2026-09", "2026-10"],
            "feature": ["chat", "docs", "chat", "video"],
            "events": [100, 300, 50, 999],
        },
        tickets={
            "account_id": ["007"] * 3,
            "ticket_id": ["T1", "T2", "T3"],
            "opened_at": ["2026-07-01 09:00", "2026-08-01 09:00", "2026-11-20 09:00"],
            "resolved_at": ["2026-07-01 13:00", "2026-08-02 09:00", ""],
            "priority": ["p2", "p3", "p3"],
            "csat": [5, 3, ""],
            "first_response_hours": [1, 3, ""],
        },
        goals={
            "account_id": ["007", "007"],
            "goal": ["Adopt", "Expand"],
            "status": ["Green", "???"],
            "quarter": ["2026Q4", ""],
            "target": [80, ""],
        },
        actions={
            "account_id": ["007"],
            "action": ["Send proposal"],
            "due_date": ["2026-11-01"],
            "status": ["in progress"],
        },
        roadmap={"item": ["Guest access", "Gantt"], "requested_by": ["A-1; 007", ""]},
    )
    m = one(book)
    u = m.usage
    assert m.period.quarter == "2026Q3"
    assert u.quarters == ("2025Q4", "2026Q1", "2026Q2", "2026Q3")
    assert u.active_users_by_quarter == (None, None, 10.0, 30.0)
    assert u.users_change_qoq_pct == pytest.approx(200.0)
    assert u.active_users_30d == 45 and u.seat_utilisation_pct == pytest.approx(90.0)
    assert u.dau_mau == pytest.approx(0.2)
    assert u.top_features == (("docs", 300), ("chat", 150))
    assert u.features_used == 2 and u.features_available == 3  # observed features, no catalog
    assert u.months[-1] == "2026-11" and len(u.months) == 12
    assert u.active_users_by_month[-6:] == (10, 20, 30, 40, 41, 45)
    assert u.active_users_by_month[0] is None
    s = m.support
    assert s.tickets_in_quarter == 2 and s.open_tickets == 1
    assert s.median_resolution_hours == pytest.approx((4 + 24) / 2)
    assert s.median_first_response_hours == pytest.approx(2.0)
    assert s.ticket_csat == pytest.approx(4.0)
    assert [n for _, n in s.tickets_by_month] == [0, 1, 1, 0, 0, 1]
    assert s.tickets_by_month[0][0] == "2026-06"
    assert [(g.goal, g.status, g.quarter) for g in m.goals] == [
        ("Adopt", "on_track", "2026Q4"),
        ("Expand", None, None),
    ]
    assert [(a.action, a.status) for a in m.actions] == [("Send proposal", "overdue")]
    assert [(r.item, r.requested_by_account) for r in m.roadmap] == [
        ("Guest access", True),
        ("Gantt", False),
    ]
    f = m.facts
    assert f.months_to_renewal == 2
    assert f.onboarding  # customer for 39 days < 60
    assert f.currency == "EUR"
    assert f.renewal_date == date(2027, 2, 15)
