"""Metrics on a large book, and raw events into usage/features.

    python benchmarks/bench_metrics.py [--accounts 5000] [--events 10000000] [--work DIR]

Reports load + validate + metrics time for an N-account book, and the DuckDB extraction time for
an M-row raw event export, with peak memory. Targets (2 cores): 5,000 accounts under 5 s; 10
million events under 30 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import generated_book, peak_rss_mib


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "deckgen-bench")
    args = ap.parse_args()

    from deckgen.book.load import load_book
    from deckgen.book.validate import validate
    from deckgen.config import load_config
    from deckgen.metrics.engine import compute_metrics

    as_of = date(2026, 11, 28)
    book_dir = generated_book(args.work / f"book-{args.accounts}", args.accounts)
    cfg = load_config()
    # wall time (perf_counter) and CPU time of this process (process_time: all its threads; on a
    # shared machine it is the steadier figure)
    w0, c0 = time.perf_counter(), time.process_time()
    book = load_book(book_dir, cfg)
    w1, c1 = time.perf_counter(), time.process_time()
    report = validate(book, cfg, as_of)
    w2, c2 = time.perf_counter(), time.process_time()
    metrics = compute_metrics(book, cfg, as_of=as_of, gates=report.gates)
    w3, c3 = time.perf_counter(), time.process_time()
    rows = sum(len(df) for df in book.tables.values())
    print(f"book: {args.accounts} accounts, {rows:,} rows          wall      cpu")
    print(f"  load      {w1 - w0:6.2f} s {c1 - c0:6.2f} s")
    print(f"  validate  {w2 - w1:6.2f} s {c2 - c1:6.2f} s")
    print(f"  metrics   {w3 - w2:6.2f} s {c3 - c2:6.2f} s   ({len(metrics)} accounts)")
    print(
        f"  total     {w3 - w0:6.2f} s {c3 - c0:6.2f} s   peak memory {peak_rss_mib():.0f} MiB  "
        "(target < 5 s)"
    )

    if args.events:
        ev_dir = args.work / f"events-{args.events}"
        generated_book(ev_dir, 500, args.events)
        for name in ("usage.csv", "features.csv"):
            (ev_dir / name).unlink(missing_ok=True)  # force derivation from events
        t0 = time.perf_counter()
        ev_book = load_book(ev_dir, cfg)
        t1 = time.perf_counter()
        print(
            f"events: {args.events:,} raw rows -> usage {len(ev_book.tables['usage']):,} rows, "
            f"features {len(ev_book.tables['features']):,} rows"
        )
        print(
            f"  load + extraction {t1 - t0:6.2f} s   peak memory {peak_rss_mib():.0f} MiB "
            "(target < 30 s)"
        )


if __name__ == "__main__":
    main()
