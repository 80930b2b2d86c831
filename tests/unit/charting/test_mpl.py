"""PNG charts: valid, exactly sized, opaque, in the house colours, gaps left as gaps."""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from deckgen.charting.mpl import render_png, resolve_font_family
from deckgen.charting.style import ChartStyle
from deckgen.errors import RenderError
from deckgen.model.deck import ChartSpec, Series

from .conftest import grouped_spec, make_specs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as img:
        assert img.mode == "RGB"  # opaque: no alpha channel for email clients to show as black
        return np.asarray(img.convert("RGB")).astype(int)


def count_colour(arr: np.ndarray, hex_colour: str, tolerance: int = 3) -> int:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(arr - rgb).max(axis=2) <= tolerance).sum())


def main_colour(spec: ChartSpec, style: ChartStyle) -> str:
    """The colour a kind's data must show: the gauge's band, otherwise the primary series."""
    if spec.kind == "gauge":
        assert spec.point_status[0] is not None
        return style.status_colour(spec.point_status[0])
    if spec.kind == "barh":
        return style.status.green  # point_status recolours the customer's bars
    return style.palette.primary


@pytest.mark.parametrize("kind", ["line", "bar", "barh", "stacked_bar", "gauge"])
@pytest.mark.parametrize(("width", "height"), [(None, None), (4.2, 3.0)])
def test_each_kind_renders_a_sized_opaque_png(
    style: ChartStyle, kind: str, width: float | None, height: float | None
) -> None:
    spec = make_specs()[kind]
    png = render_png(spec, style, width, height)
    assert png.startswith(PNG_SIGNATURE)
    arr = pixels(png)
    w_in = width or style.chart.width_in
    h_in = height or style.chart.height_in
    assert arr.shape[:2] == (round(h_in * style.chart.dpi), round(w_in * style.chart.dpi))
    assert count_colour(arr, main_colour(spec, style)) > 200  # not blank: data drawn
    assert count_colour(arr, style.palette.background) > arr.shape[0] * arr.shape[1] * 0.5
    with Image.open(io.BytesIO(png)) as img:  # dpi recorded, so PowerPoint sizes it right
        assert round(img.info["dpi"][0]) == style.chart.dpi


def test_grouped_bars_show_every_series_colour(style: ChartStyle) -> None:
    arr = pixels(render_png(grouped_spec(), style))
    for colour in (style.palette.primary, style.palette.reference, style.palette.secondary):
        assert count_colour(arr, colour) > 200


def test_point_status_colours_bars(style: ChartStyle) -> None:
    spec = dataclasses.replace(make_specs()["bar"], point_status=("green", None, "red", None))
    arr = pixels(render_png(spec, style))
    assert count_colour(arr, style.status.red) > 200
    assert count_colour(arr, style.status.green) > 200
    assert count_colour(arr, style.palette.primary) > 200  # the bar without a status


def test_none_is_a_gap_never_a_zero(style: ChartStyle) -> None:
    spec = dataclasses.replace(
        make_specs()["line"],
        series=(Series("Active users", (None, None, 231.0, 264.0)),),
    )
    arr = pixels(render_png(spec, style))
    left = arr[:, : arr.shape[1] * 45 // 100]
    assert count_colour(left, style.palette.primary) == 0  # nothing drawn at 0 for Q1/Q2
    assert count_colour(arr, style.palette.primary) > 200


@pytest.mark.parametrize("kind", ["line", "bar", "barh", "stacked_bar", "gauge"])
def test_all_missing_nan_and_inf_do_not_crash(style: ChartStyle, kind: str) -> None:
    spec = make_specs()[kind]
    bad = tuple(
        Series(s.name, tuple((math.nan, None, math.inf)[i % 3] for i in range(len(s.values))))
        for s in spec.series
    )
    assert render_png(dataclasses.replace(spec, series=bad), style).startswith(PNG_SIGNATURE)


def test_negative_values_and_long_labels(style: ChartStyle) -> None:
    spec = ChartSpec(
        "net", "bar",
        tuple(f"A rather long category name number {i}" for i in range(7)),
        (Series("Net", (-1200.0, 500.0, 0.0, 3.0, None, 12.0, -7.5)),),
        "EUR", "Category", "Net value (EUR)", "s", "a", value_format="money", currency="EUR",
    )  # fmt: skip
    for size in ((6.4, 3.6), (4.2, 3.0), (2.0, 1.2)):
        assert render_png(spec, style, *size).startswith(PNG_SIGNATURE)


def test_title_only_on_request(style: ChartStyle) -> None:
    spec = make_specs()["bar"]
    plain = pixels(render_png(spec, style))[:30, :300]  # top left, where the title goes
    titled = pixels(render_png(spec, style, with_title=True))[:30, :300]
    assert count_colour(plain, style.palette.text, 40) == 0
    assert count_colour(titled, style.palette.text, 40) > 50


def test_rendering_is_deterministic(style: ChartStyle) -> None:
    spec = grouped_spec()
    assert render_png(spec, style) == render_png(spec, style)


def test_palette_override_changes_the_picture(style: ChartStyle) -> None:
    themed = style.with_palette(primary="#7B2CBF")
    arr = pixels(render_png(make_specs()["line"], themed))
    assert count_colour(arr, "#7B2CBF") > 200
    assert count_colour(arr, style.palette.primary) == 0


def test_missing_fonts_fall_back_silently(
    style: ChartStyle, caplog: pytest.LogCaptureFixture
) -> None:
    odd = dataclasses.replace(
        style, fonts=dataclasses.replace(style.fonts, family=("No Such Font", "Nor This"))
    )
    assert resolve_font_family(odd.fonts.family) == "DejaVu Sans"
    with caplog.at_level(logging.WARNING):
        render_png(make_specs()["line"], odd)
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")]


def test_mismatched_spec_is_a_render_error(style: ChartStyle) -> None:
    spec = dataclasses.replace(make_specs()["line"], categories=("Q1", "Q2"))
    with pytest.raises(RenderError, match="'users'"):
        render_png(spec, style)


def test_no_pyplot_and_no_figure_registry() -> None:
    code = (
        "import sys\n"
        "from deckgen.charting.mpl import render_png, warm_up\n"
        "from deckgen.charting.style import load_style\n"
        "warm_up(load_style())\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert 'pptx' not in sys.modules, 'pptx imported by the PNG renderer'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
