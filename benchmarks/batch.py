"""Batch throughput: the sample book scaled up, rendered with 1 and 2 workers.

    python benchmarks/batch.py [--accounts 2000] [--limit 200] [--charts image,native] [--jobs 1,2]

Generates a book of `--accounts` accounts with the sample generator, computes metrics once, then
renders the enterprise deck of the first `--limit` accounts that get one, with 1 and then 2
worker processes, for each chart mode. Workers come from `deckgen.workers`, as in `deckgen
batch`: forked from a warm server that never holds the book, each task carrying one account's
metrics. Reports decks per second, the peak memory of the largest
worker (at the start, the middle and the end of the run, to show it stays flat), and a
projection for 10,000 accounts. Targets on 2 cores: >= 6 enterprise decks/s with
matplotlib charts, >= 30/s with native charts, <= 150 MiB per worker, flat over the batch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import generated_book

_STATE: dict[str, object] = {}


def private_mib() -> float:
    """Memory this process owns (Private_Clean + Private_Dirty): what a forked worker adds on
    top of the pages it shares with the parent. RSS would count the shared book again."""
    total = 0
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


def _init(state: dict[str, object]) -> None:
    """Once per worker, as `deckgen.batch._worker_init`: the run's config, dates and options."""
    _STATE.update(state)


def _render(m: object, modules: frozenset[str] | None) -> float:
    """One enterprise deck; returns this process's private memory (MiB) afterwards.

    The account's metrics come with the task, pickled, as `deckgen batch` sends them (see
    `deckgen.batch._worker_task`).
    """
    from deckgen.pipeline import PreparedAccount, render_decks

    config, as_of, quarter = _STATE["common"]  # type: ignore[misc]
    inputs = PreparedAccount(config, as_of, quarter, m, modules)  # type: ignore[arg-type]
    render_decks(
        inputs,
        m,  # type: ignore[arg-type]
        Path(str(_STATE["out"])),
        kinds=["enterprise"],  # type: ignore[arg-type]
        charts=str(_STATE["charts"]),
    )
    return private_mib()


def run(prepared: object, ms: list[object], jobs: int) -> tuple[float, list[float]]:
    from deckgen.workers import worker_pool

    modules = [prepared.product_modules(m) for m in ms]  # type: ignore[attr-defined]
    t = time.perf_counter()
    if jobs == 1:
        _init(_STATE)
        peaks = [_render(m, mod) for m, mod in zip(ms, modules, strict=True)]
    else:
        with worker_pool(jobs, _init, (dict(_STATE),)) as pool:
            peaks = list(pool.map(_render, ms, modules, chunksize=4))
    return time.perf_counter() - t, peaks


def _phases(peaks: list[float]) -> str:
    """Largest private memory among the first, middle and last tenth of the decks."""
    n = max(1, len(peaks) // 10)
    mid = len(peaks) // 2
    parts = (peaks[:n], peaks[mid - n // 2 : mid - n // 2 + n], peaks[-n:])
    return "→".join(f"{max(p):.0f}" for p in parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--limit", type=int, default=200, help="decks rendered per measurement")
    ap.add_argument("--charts", default="image,native")
    ap.add_argument("--jobs", default="1,2", help="worker counts to measure, e.g. 2")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "deckgen-bench")
    args = ap.parse_args()

    from deckgen.batch import _warm_up
    from deckgen.pipeline import prepare
    from deckgen.workers import start_server

    start_server()  # as `deckgen batch` does: the workers' server warms up while the book loads
    book = generated_book(args.work / f"book-{args.accounts}", args.accounts)
    t = time.perf_counter()
    prepared = prepare(book, as_of=date(2026, 11, 28))
    print(
        f"book {args.accounts} accounts: load + validate + metrics {time.perf_counter() - t:.1f} s"
    )
    ids = [
        m
        for m in prepared.metrics
        if m.status in ("ok", "review") and m.tier in ("enterprise", "mid_market")
    ]
    ids = ids[: args.limit]
    _warm_up()  # for the 1-worker rows, which render in this process
    _STATE["common"] = (prepared.config, prepared.as_of, prepared.quarter)
    print(
        f"{'charts':<8} {'workers':>7} {'decks':>6} {'seconds':>8} {'decks/s':>8} "
        f"{'private MiB/worker':>18} {'start→mid→end':>17} {'10k accounts':>13}"
    )
    print(f"(this process, with the book loaded: {private_mib():.0f} MiB private; not in workers)")
    for charts in args.charts.split(","):
        _STATE["charts"] = charts
        for jobs in (int(j) for j in args.jobs.split(",")):
            _STATE["out"] = tempfile.mkdtemp(prefix=f"bench-{charts}-{jobs}-")
            seconds, peaks = run(prepared, ids, jobs)
            rate = len(ids) / seconds
            projection = 10_000 / rate / 60
            print(
                f"{charts:<8} {jobs:>7} {len(ids):>6} {seconds:>8.1f} {rate:>8.1f} "
                f"{max(peaks):>18.0f} {_phases(peaks):>17} {projection:>10.1f} min"
            )


if __name__ == "__main__":
    main()
