"""Shared fixtures: the repository style and one realistic spec per chart kind."""

from __future__ import annotations

import pytest

from deckgen.charting.style import ChartStyle, load_style
from deckgen.model.deck import ChartSpec, Series

QUARTERS = ("Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025")


@pytest.fixture(scope="session")
def style() -> ChartStyle:
    return load_style()


def make_specs() -> dict[str, ChartSpec]:
    """Specs as the deck builder makes them (deckgen/model/charts.py), incl. gaps and statuses."""
    return {
        "line": ChartSpec(
            "users",
            "line",
            QUARTERS,
            (
                Series("Active users", (182.0, None, 231.0, 264.0)),
                Series("Licensed seats", (300.0,) * 4, "reference"),
            ),
            "users",
            "Quarter",
            "Active users",
            "Active users up 45% since Q1 2025.",
            "Active users by quarter: Q1 2025 182, Q3 2025 231, Q4 2025 264; seats 300.",
        ),
        "bar": ChartSpec(
            "value_trend",
            "bar",
            QUARTERS,
            (Series("Value", (12500.0, None, 18250.0, 24100.0)),),
            "USD",
            "Quarter",
            "Value (USD)",
            "Quarterly value moved from $12.5K to $24.1K.",
            "Value delivered by quarter: Q1 2025 $12.5K, Q3 2025 $18.2K, Q4 2025 $24.1K.",
            value_format="money",
        ),
        "barh": ChartSpec(
            "health",
            "barh",
            ("Usage", "Engagement", "Outcomes", "Support", "Relationship"),
            (Series("Score", (82.0, 64.0, 41.0, 90.0, 75.0)),),
            "points",
            "Score (0–100)",
            "",
            "Health 68/100; weakest dimension: outcomes (41).",
            "Health by dimension (0–100): Usage 82, Engagement 64, Outcomes 41.",
            point_status=("green", "yellow", "red", "green", "green"),
            y_max=100,
        ),
        "stacked_bar": ChartSpec(
            "tickets",
            "stacked_bar",
            ("2025-07", "2025-08", "2025-09"),
            (
                Series("P1", (1.0, 0.0, 2.0)),
                Series("P2", (4.0, 6.0, None), "secondary"),
                Series("P3", (9.0, 7.0, 12.0), "muted"),
            ),
            "tickets",
            "Month",
            "Tickets opened",
            "Ticket volume is steady.",
            "Tickets opened per month: 2025-07 14, 2025-08 13, 2025-09 14.",
        ),
        "gauge": ChartSpec(
            "health_score",
            "gauge",
            ("Health",),
            (Series("Score", (68.0,)),),
            "points",
            "",
            "Health score",
            "Health 68/100, stable.",
            "Health score 68 of 100 (yellow).",
            point_status=("yellow",),
        ),
    }


def grouped_spec() -> ChartSpec:
    """The benchmark chart: customer vs peer median vs top quartile, in percent."""
    return ChartSpec(
        "benchmark",
        "bar",
        ("Seat utilisation", "Feature breadth", "Exec attendance"),
        (
            Series("You", (72.0, 45.0, 100.0)),
            Series("Peer median", (61.0, 52.0, 67.0), "reference"),
            Series("Top quartile", (84.0, 70.0, 100.0), "secondary"),
        ),
        "%",
        "",
        "Percent",
        "Feature breadth: top performers reach 70%; you are at 45%.",
        "Seat utilisation: you 72%, peer median 61%, top quartile 84%.",
        value_format="pct",
        y_max=100,
    )


@pytest.fixture
def specs() -> dict[str, ChartSpec]:
    return make_specs()
