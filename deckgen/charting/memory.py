"""Free a render's reference cycles as soon as it ends, not at the next full collection.

matplotlib figures (figure <-> canvas <-> axes <-> artists, ~2,000 objects and a multi-MiB Agg
buffer a chart) and python-pptx packages (part <-> package, with the deck's XML trees and
pictures) are reference cycles: only the cyclic GC frees them. Drawing allocates enough to run
young collections mid-render, which promote the still-live figure or deck to the oldest
generation; that is collected only when it has grown by a quarter, which in a process holding a
large book means after hundreds of MiB of dead charts and decks (a batch worker, when workers
were still forked from the process holding the book, grew from 40 to 160 MiB over 30 image
decks).

`young_garbage()` keeps the collector off while a render runs, so nothing it allocates is
promoted, and then collects the young generation only: the render's cycles are freed at once,
at the cost of a young collection (~1 ms), and the old generation (the book) is never scanned.
Nested scopes defer to the outermost one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["young_garbage"]

_depth = 0


@contextmanager
def young_garbage() -> Iterator[None]:
    """Run the block with the cyclic GC paused, then collect what it left (generation 0)."""
    global _depth
    if _depth or not gc.isenabled():
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    _depth += 1
    gc.disable()
    try:
        yield
    finally:
        _depth -= 1
        gc.enable()
        gc.collect(0)
