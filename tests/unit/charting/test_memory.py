"""A render leaves no reference cycles behind for a later full collection (batch memory)."""

from __future__ import annotations

import gc
import weakref

from deckgen.charting import mpl
from deckgen.charting.memory import young_garbage
from deckgen.charting.style import load_style
from deckgen.model.deck import ChartSpec, Series


def test_young_garbage_frees_cycles_and_restores_gc() -> None:
    class Node:
        other: object

    with young_garbage():
        assert not gc.isenabled()
        with young_garbage():  # nested scopes defer to the outermost
            a, b = Node(), Node()
            a.other, b.other = b, a
            ref = weakref.ref(a)
            del a, b
        assert not gc.isenabled()
        assert ref() is not None  # a cycle: only the collector frees it
    assert gc.isenabled()
    assert ref() is None  # freed when the outermost scope ended


def test_render_png_leaves_no_cyclic_garbage() -> None:
    style = load_style()
    spec = ChartSpec(
        id="t",
        kind="bar",
        categories=("a", "b"),
        series=(Series("s", (1.0, 2.0)),),
        unit="",
        x_label="",
        y_label="",
        so_what="",
        alt_text="",
        value_format="int",
    )
    mpl.render_png(spec, style, 3.0, 2.0)  # warm caches
    gc.collect()
    mpl.render_png(spec, style, 3.0, 2.0)
    assert gc.collect() == 0
