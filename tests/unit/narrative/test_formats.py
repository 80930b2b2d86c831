from __future__ import annotations

from datetime import date

import pytest

from deckgen.narrative.formats import Formatter, direction


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (70_000, "USD", "$70K"),
        (1_234_567, "EUR", "€1.2M"),
        (950, "USD", "$950"),
        (None, "USD", "–"),
        (5_000, "XYZ", "XYZ5,000"),
    ],
)
def test_money(value: float | None, currency: str, expected: str) -> None:
    assert Formatter().money(value, currency) == expected


def test_percentages_and_deltas() -> None:
    f = Formatter()
    assert f.pct(280.4) == "280%"
    assert f.delta_pct(-12.3) == "−12%"
    assert f.delta_pct(4) == "+4%"
    assert f.delta(0) == "±0"
    assert f.smart(76.0) == "76" and f.smart(68.84) == "68.8"


def test_locale_changes_separators() -> None:
    assert Formatter("de_DE", "EUR").number(12345.6, 1) == "12.345,6"


def test_dates_quarters_and_horizons() -> None:
    f = Formatter()
    assert f.date(date(2026, 12, 9)) == "Dec 9, 2026"
    assert f.quarter("2026Q3") == "Q3 2026"
    assert f.months_away(0) == "within a month" and f.months_away(1) == "in 1 month"


def test_direction() -> None:
    assert (direction(5), direction(-5), direction(1), direction(None)) == (
        "up",
        "down",
        "flat",
        None,
    )
