"""Quarter and calendar arithmetic, and the review period."""

from __future__ import annotations

from datetime import date

import pytest

from deckgen.metrics.periods import (
    add_months,
    business_days_between,
    last_complete_quarter,
    month_index,
    month_text,
    months_between,
    parse_quarter,
    period_warning,
    previous_quarters,
    quarter_end,
    quarter_from_index,
    quarter_index,
    quarter_of,
    quarter_start,
    review_period,
    shift_quarter,
    trailing_window,
)


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q3", "2026 q3", " 2026Q3 "])
def test_parse_quarter_accepts_common_spellings(text: str) -> None:
    assert parse_quarter(text) == (2026, 3)


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q3 2026", "2026", ""])
def test_parse_quarter_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quarter(text)


def test_quarter_of_dates() -> None:
    assert quarter_of(date(2026, 1, 1)) == "2026Q1"
    assert quarter_of(date(2026, 3, 31)) == "2026Q1"
    assert quarter_of(date(2026, 4, 1)) == "2026Q2"
    assert quarter_of(date(2026, 11, 28)) == "2026Q4"


def test_shift_and_previous_quarters_cross_years() -> None:
    assert shift_quarter("2026Q1", -1) == "2025Q4"
    assert shift_quarter("2025Q4", 1) == "2026Q1"
    assert shift_quarter("2026Q3", -8) == "2024Q3"
    assert previous_quarters("2026Q2", 4) == ("2025Q3", "2025Q4", "2026Q1", "2026Q2")
    assert previous_quarters("2026Q2", 1) == ("2026Q2",)
    assert quarter_from_index(quarter_index("2026Q3")) == "2026Q3"


def test_quarter_start_and_end_are_inclusive_calendar_bounds() -> None:
    assert quarter_start("2026Q3") == date(2026, 7, 1)
    assert quarter_end("2026Q3") == date(2026, 9, 30)
    assert quarter_end("2024Q1") == date(2024, 3, 31)
    assert quarter_end("2026Q4") == date(2026, 12, 31)


def test_last_complete_quarter() -> None:
    assert last_complete_quarter(date(2026, 12, 10)) == "2026Q3"
    assert last_complete_quarter(date(2026, 10, 1)) == "2026Q3"
    assert last_complete_quarter(date(2026, 9, 30)) == "2026Q2"
    assert last_complete_quarter(date(2026, 1, 15)) == "2025Q4"


def test_review_period_uses_the_qbr_date() -> None:
    p = review_period(date(2026, 12, 10), date(2026, 11, 28), None, 4)
    assert p.quarter == "2026Q3"
    assert (p.start, p.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert p.previous_quarters == ("2025Q4", "2026Q1", "2026Q2", "2026Q3")
    assert p.qbr_date == date(2026, 12, 10)
    assert p.as_of == date(2026, 11, 28)
    assert period_warning(p) is None


def test_review_period_without_qbr_date_uses_as_of() -> None:
    p = review_period(None, date(2026, 8, 15), None, 4)
    assert p.quarter == "2026Q2"
    assert p.qbr_date is None


def test_review_period_never_reviews_an_unfinished_quarter() -> None:
    # A QBR in January 2027 would review 2026Q4, which has not ended on 2026-11-28.
    p = review_period(date(2027, 1, 12), date(2026, 11, 28), None, 4)
    assert p.quarter == "2026Q3"
    warning = period_warning(p)
    assert warning is not None and "2026Q4" in warning and "not complete" in warning


def test_quarter_override_wins() -> None:
    p = review_period(date(2026, 12, 10), date(2026, 11, 28), "2025Q4", 2)
    assert p.quarter == "2025Q4"
    assert p.previous_quarters == ("2025Q3", "2025Q4")
    assert period_warning(p, "2025Q4") is None


def test_months() -> None:
    assert month_text(month_index(date(2026, 11, 28))) == "2026-11"
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 3, 15), -6) == date(2025, 9, 15)
    assert months_between(date(2026, 11, 28), date(2027, 2, 15)) == 2
    assert months_between(date(2026, 11, 28), date(2027, 2, 28)) == 3
    assert months_between(date(2026, 11, 28), date(2026, 12, 10)) == 0
    assert months_between(date(2026, 11, 28), date(2026, 9, 1)) == -2


def test_trailing_window_is_inclusive() -> None:
    start, end = trailing_window(date(2026, 11, 28), 30)
    assert (start, end) == (date(2026, 10, 30), date(2026, 11, 28))
    assert (end - start).days + 1 == 30


def test_business_days() -> None:
    monday = date(2026, 11, 9)
    assert business_days_between(monday, date(2026, 11, 16)) == 5  # next Monday
    assert business_days_between(monday, date(2026, 11, 17)) == 6
    assert business_days_between(date(2026, 11, 14), date(2026, 11, 16)) == 0  # Sat -> Mon
    assert business_days_between(date(2026, 11, 10), date(2026, 11, 28)) == 14
