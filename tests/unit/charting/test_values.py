"""Value cleaning, ticks and number formats shared by the PNG and native renderers."""

from __future__ import annotations

import math
from typing import Any

import pytest

from deckgen.charting.values import (
    clean_values,
    excel_number_format,
    finite,
    format_label,
    format_ticks,
    nice_ticks,
    validate,
)
from deckgen.errors import RenderError
from deckgen.model.deck import ChartSpec, Series


def spec(fmt: str = "int", currency: str = "USD", **kw: Any) -> ChartSpec:
    base: dict[str, Any] = {
        "id": "t",
        "kind": "bar",
        "categories": ("a", "b"),
        "series": (Series("s", (1.0, 2.0)),),
        "unit": "",
        "x_label": "",
        "y_label": "",
        "so_what": "",
        "alt_text": "",
        "value_format": fmt,
        "currency": currency,
    }
    base.update(kw)
    return ChartSpec(**base)


def test_finite_maps_missing_nan_and_inf_to_none() -> None:
    assert clean_values([1, None, math.nan, math.inf, -math.inf, "x", 2.5]) == (
        1.0, None, None, None, None, None, 2.5,
    )  # fmt: skip
    assert finite(True) is None  # a bool is not a measurement


@pytest.mark.parametrize(
    ("lo", "hi", "integer", "expected"),
    [
        (0, 100, False, [0, 20, 40, 60, 80, 100]),
        (0, 12500, False, [0, 2500, 5000, 7500, 10000, 12500]),
        (0, 3, True, [0, 1, 2, 3]),
        (0, 0.5, False, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
        (-30, 80, False, [-50, 0, 50, 100]),
    ],
)
def test_nice_ticks(lo: float, hi: float, integer: bool, expected: list[float]) -> None:
    assert nice_ticks(lo, hi, 6, integer=integer) == expected


def test_nice_ticks_never_fractional_for_counts() -> None:
    assert all(t == int(t) for t in nice_ticks(0, 1, 6, integer=True))


def test_tick_formats_use_one_unit_and_precision_per_axis() -> None:
    assert format_ticks([0, 2500, 5000, 7500, 10000], spec("money")) == [
        "$0", "$2.5K", "$5.0K", "$7.5K", "$10.0K",
    ]  # fmt: skip
    assert format_ticks([0, 5000, 10000], spec("money")) == ["$0", "$5K", "$10K"]
    assert format_ticks([-1e6, 0, 1e6, 2e6], spec("money", "EUR")) == [
        "−€1M", "€0", "€1M", "€2M",
    ]  # fmt: skip
    assert format_ticks([0, 25, 50], spec("pct")) == ["0%", "25%", "50%"]
    assert format_ticks([0, 5000, 10000], spec("int")) == ["0", "5,000", "10,000"]
    assert format_ticks([0, 2.5, 5], spec("decimal")) == ["0.0", "2.5", "5.0"]


def test_labels_match_the_narrative_formatter() -> None:
    assert format_label(12500, spec("money")) == "$12.5K"
    assert format_label(9500, spec("money")) == "$9,500"
    assert format_label(1_250_000, spec("money", "EUR")).startswith("€1.")
    assert format_label(12840, spec("int")) == "12,840"
    assert format_label(72, spec("pct")) == "72%"
    assert format_label(4.5, spec("pct")) == "4.5%"
    assert format_label(4.26, spec("decimal")) == "4.3"


def test_excel_formats() -> None:
    assert excel_number_format(spec("pct"), 100) == '#,##0"%"'  # literal %, values are 0-100
    assert excel_number_format(spec("int"), 12000) == "#,##0"
    money = excel_number_format(spec("money"), 24100)
    assert money.startswith('"$"#,##0.0,"K"') and money.endswith(';"$"0')
    assert excel_number_format(spec("money", "EUR"), 2.4e6, decimals=0).startswith('"€"#,##0,,"M"')
    assert excel_number_format(spec("money"), 950) == '"$"#,##0'


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"series": (Series("s", (1.0,)),)}, "1 values for 2 categories"),
        ({"point_status": ("red",)}, "point statuses"),
        ({"series": ()}, "no series"),
        ({"kind": "pie"}, "unknown kind"),
        ({"y_max": math.nan}, "y_max"),
    ],
)
def test_validate_names_the_chart(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError, match=f"chart 't'.*{message}"):
        validate(spec(**kw))
