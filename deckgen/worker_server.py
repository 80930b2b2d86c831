"""Imported once, by the fork server batch workers are forked from (see `deckgen.workers`).

Importing it imports and warms the deck renderer and matplotlib (fonts, chart style, the
default template, text templates) in the server, so that every worker forked from it starts
warm and shares those pages instead of loading them again. Nothing imports it otherwise.
"""

from __future__ import annotations

import contextlib
import gc
import os


def _warm() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Best effort: a worker that starts cold warms up on its first account instead.
    with contextlib.suppress(Exception):
        from deckgen.batch import _warm_up

        _warm_up()
    # What the warm-up made lives as long as the server: freezing it keeps the workers' garbage
    # collector from walking (and so copying) those shared pages.
    gc.collect()
    gc.freeze()


_warm()
