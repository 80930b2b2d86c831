"""Import boundaries: the model and the style stay free of drawing libraries.

Checked in a fresh interpreter, since this test process has long since imported everything.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "pptx")


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("deckgen.model.deck", HEAVY),
        ("deckgen.charting.style", HEAVY),
        ("deckgen.charting.values", HEAVY),
        ("deckgen.charting.native", ("matplotlib",)),
        ("deckgen.charting.mpl", ("pptx", "matplotlib.pyplot")),
    ],
)
def test_module_does_not_import(module: str, forbidden: tuple[str, ...]) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(','.join(m for m in {forbidden!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"
