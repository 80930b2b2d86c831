"""Digital QBR emails rendered per second on the sample book, the way a batch renders them.

    python benchmarks/bench_email.py [--jobs 2] [--rounds 3] [--book samples/book]

The book is loaded and its metrics computed once (not timed), as `deckgen batch` does; the parent
warms matplotlib, fonts, the chart style and the jinja templates, then forks `--jobs` workers
that each render whole emails: charts drawn once per account (opaque PNGs), templates, CSS
inlining, the MIME message serialised to bytes. File writes are left out (they depend on the
disk, not on deckgen). Every smb and tech_touch account that gets an email is rendered
`--rounds` times. Prints emails per second overall and for the accounts that have all three
charts (value trend, users, features): the figure the target (>= 12/s on 2 cores) is about.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_STATE: dict[str, Any] = {}


def _timed_render_png(*args: Any, **kwargs: Any) -> bytes:
    """`render_png`, timed: the benchmark reports chart time apart from the rest."""
    start = time.perf_counter()
    try:
        return _STATE["render_png"](*args, **kwargs)
    finally:
        _STATE["chart_s"] += time.perf_counter() - start


def _render(account_id: str) -> tuple[str, int, float, float]:
    """Render one email in a worker: (account id, charts, seconds, of which charts)."""
    from deckgen.render.email import build_email, to_message

    prepared = _STATE["prepared"]
    m = prepared.account(account_id)
    _STATE["chart_s"] = 0.0
    start = time.perf_counter()
    rendered = build_email(prepared, m)
    to_message(rendered, m, prepared.config).as_bytes()
    return account_id, len(rendered.images), time.perf_counter() - start, _STATE["chart_s"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--book", type=Path, default=REPO / "samples" / "book")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)

    os.environ.setdefault("MPLBACKEND", "Agg")
    from deckgen.charting import mpl
    from deckgen.charting.mpl import warm_up
    from deckgen.pipeline import prepare
    from deckgen.render.email import build_email

    t0 = time.perf_counter()
    prepared = prepare(args.book, as_of=args.as_of)
    load_s = time.perf_counter() - t0
    eligible = [
        m.account_id
        for m in prepared.metrics
        if m.tier in ("smb", "tech_touch")
        and m.status in ("ok", "review")
        and not m.facts.onboarding
    ]
    if not eligible:
        print("no smb/tech_touch account gets an email in this book", file=sys.stderr)
        return 1
    warm_up()
    build_email(prepared, prepared.account(eligible[0]))  # templates, style, inliner: warm
    _STATE["prepared"] = prepared
    _STATE["render_png"] = mpl.render_png
    mpl.render_png = _timed_render_png
    work = eligible * args.rounds

    ctx = mp.get_context("fork")
    start = time.perf_counter()
    with ctx.Pool(args.jobs) as pool:
        results = pool.map(_render, work, chunksize=2)
    wall = time.perf_counter() - start

    charts = [n for _, n, _, _ in results]
    per_email = [s for _, _, s, _ in results]
    three = [s for _, n, s, _ in results if n == 3]
    chart_s = sum(c for _, _, _, c in results)
    cpu_rate = len(results) / sum(per_email)  # one core's rate
    print(f"book: {args.book} ({len(prepared.metrics)} accounts, metrics in {load_s:.1f} s)")
    print(
        f"emails: {len(eligible)} smb/tech_touch accounts x {args.rounds} rounds = "
        f"{len(results)}; charts per email: mean {statistics.mean(charts):.2f}, "
        f"{len(three) // args.rounds} accounts with 3"
    )
    print(
        f"per email: median {statistics.median(per_email) * 1000:.0f} ms, "
        f"p90 {statistics.quantiles(per_email, n=10)[-1] * 1000:.0f} ms (one core)"
    )
    print(
        f"time in charts: {chart_s / sum(per_email):.0%} "
        f"({chart_s / max(1, sum(charts)) * 1000:.0f} ms per chart); the rest "
        f"(templates, CSS inlining, MIME): {(sum(per_email) - chart_s) / len(results) * 1000:.0f} "
        f"ms per email"
    )
    if three:
        three_rate = args.jobs * len(three) / sum(three)
        print(
            f"with 3 charts: median {statistics.median(three) * 1000:.0f} ms per email -> "
            f"{three_rate:.1f} emails/s on {args.jobs} cores (ideal scaling)"
        )
    print(
        f"throughput: {len(results) / wall:.1f} emails/s on {args.jobs} workers "
        f"(wall clock; {cpu_rate:.1f}/s per core)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
