"""The hand-written PNG encoder is lossless and standard: any decoder reads back the canvas."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from deckgen.charting.mpl import _encode


def test_png_round_trips_the_canvas_pixels_and_dpi() -> None:
    fig = Figure(figsize=(3.0, 2.0), dpi=150, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.bar(["a", "b", "c"], [3, 1, 2], color=["#1F4E79", "#D1495B", "#2A9D61"])
    ax.set_title("Ünïcode ✓ 72%")
    canvas.draw()
    png = _encode(canvas, 150)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.mode == "RGB" and image.size == (450, 300)
    assert round(image.info["dpi"][0]) == 150
    expected = np.asarray(canvas.buffer_rgba())[:, :, :3]
    assert np.array_equal(np.asarray(image), expected)
    assert len(set(map(tuple, np.asarray(image).reshape(-1, 3)[::97]))) > 3  # not blank
