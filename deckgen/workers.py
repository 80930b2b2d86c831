"""Where batch workers come from: a warm process that never holds a book.

Why not fork the workers from the batch's own process, which has the book loaded? A forked
worker shares its parent's memory pages until it writes to one, and Python's allocator hands
the worker's new objects the free slots left in the parent's memory. A parent that loaded and
measured a 10,000-account book has ~24 MiB of such slots scattered over its heap (the
temporaries of loading and computing); a worker rendering image-chart decks reached more of them
with every deck, so its private memory kept rising (81 -> 89 -> 101 MiB over 4,700 decks; in
the parent's arenas alone, 52 -> 80 MiB between the 300th and the 1,200th deck) although a
single process rendering the same decks stays flat. Forked from the server below, the same
worker stays at 71 -> 75 -> 75 MiB.

So workers are forked from multiprocessing's *fork server*: a separate process, started before
the book is loaded, that imports and warms the renderers (`deckgen.worker_server`) and nothing
else. Its warm-up overlaps the book's loading on another core; every worker starts warm, shares
the server's pages, and finds almost no free slots there to spread into. What a worker needs of
the run arrives once, through the pool's initializer (config, dates, options, the parent's
environment and working directory); each task carries one account's metrics.

Where there is no fork server (Windows), workers are spawned: slower to start, same results.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

SERVER_PRELOAD = "deckgen.worker_server"


def _method() -> str:
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def start_server() -> None:
    """Start the fork server now, in the background, so that its warm-up overlaps whatever the
    caller does next (loading the book). Idempotent; returns at once."""
    if _method() != "forkserver":
        return
    from multiprocessing import forkserver

    ctx = mp.get_context("forkserver")
    # Only effective before the server's first start; a server already running (an earlier
    # batch in the same process) was started with the same preload.
    ctx.set_forkserver_preload([SERVER_PRELOAD])
    forkserver.ensure_running()


def worker_pool(
    jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """`jobs` worker processes forked from the warm server; each runs `initializer(*initargs)`
    first, with the caller's environment variables and working directory as they are now."""
    start_server()
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=mp.get_context(_method()),
        initializer=_init,
        initargs=(dict(os.environ), os.getcwd(), initializer, initargs),
    )


def _init(
    env: dict[str, str], cwd: str, initializer: Callable[..., None], initargs: tuple[Any, ...]
) -> None:
    # The server was started earlier, perhaps by another batch in this process: its
    # environment and directory are those of that moment, not this run's.
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    initializer(*initargs)
