"""Fixtures shared by the renderer tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckgen.charting.style import ChartStyle, load_style
from deckgen.resources import data_path


@pytest.fixture(scope="session")
def style() -> ChartStyle:
    return load_style()


@pytest.fixture(scope="session")
def alt_template() -> Path:
    return Path(data_path("layouts", "alt-template.pptx"))
