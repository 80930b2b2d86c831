"""Digital QBR emails rendered per second on the sample book, the way a batch renders them.

    python benchmarks/bench_email.py [--jobs 2] [--rounds 3] [--book samples/book]

The book is loaded and its metrics computed once (not timed), as `deckgen batch` does; the parent
warms matplotlib, fonts, the chart style and the jinja templates, then forks `--jobs` workers
that each render whole emails: charts drawn once per account (opaque PNGs), templates, CSS
inlining, the MIME message serialised to bytes. File writes are left out (they depend on the
disk, not on deckgen). Every smb and tech_touch account that gets an email is rendered
`--rounds` times, then only those with all three charts (value trend, users, features): that
second figure is the one the target (>= 12 emails/s on 2 cores) is about. Chart time is
reported apart from the rest (templates, CSS inlining, MIME). Besides the wall-clock rate, the
rate the workers' own CPU time allows (jobs / CPU seconds per email) is printed: on a shared
machine it is the steadier of the two.
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


def _render(account_id: str) -> tuple[str, int, float, float, float]:
    """Render one email in a worker: (account id, charts, seconds, of which charts, CPU s)."""
    from deckgen.render.email import build_email, to_message

    prepared = _STATE["prepared"]
    m = prepared.account(account_id)
    _STATE["chart_s"] = 0.0
    start, cpu = time.perf_counter(), time.process_time()
    rendered = build_email(prepared, m)
    to_message(rendered, m, prepared.config).as_bytes()
    return (
        account_id,
        len(rendered.images),
        time.perf_counter() - start,
        _STATE["chart_s"],
        time.process_time() - cpu,
    )


def _run(work: list[str], jobs: int) -> tuple[list[tuple[str, int, float, float, float]], float]:
    """Render `work` in `jobs` forked workers; the results and the wall-clock seconds."""
    ctx = mp.get_context("fork")
    start = time.perf_counter()
    with ctx.Pool(jobs) as pool:
        results = pool.map(_render, work, chunksize=2)
    return results, time.perf_counter() - start


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
    from deckgen.model.build import charts_for
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
    wanted = [str(c) for c in prepared.config.get("email.charts", [])]
    three_charts = [
        a
        for a in eligible
        if sum(c in charts_for(prepared.account(a), prepared.config) for c in wanted) == 3
    ]
    print(
        f"book: {args.book} ({len(prepared.metrics)} accounts, metrics in {load_s:.1f} s); "
        f"{len(eligible)} smb/tech_touch emails, {len(three_charts)} of them with 3 charts; "
        f"{args.jobs} workers, {args.rounds} rounds"
    )
    for label, accounts in (("all emails", eligible), ("3-chart emails", three_charts)):
        if not accounts:
            continue
        results, wall = _run(accounts * args.rounds, args.jobs)
        charts = [r[1] for r in results]
        per_email = [r[2] for r in results]
        chart_s = sum(r[3] for r in results)
        cpu_s = sum(r[4] for r in results)
        print(
            f"{label}: {len(results) / wall:.1f} emails/s on {args.jobs} workers (wall clock), "
            f"{args.jobs * len(results) / cpu_s:.1f}/s from CPU time ({len(results)} emails, "
            f"{statistics.mean(charts):.2f} charts each); per email median "
            f"{statistics.median(per_email) * 1000:.0f} ms, p90 "
            f"{statistics.quantiles(per_email, n=10)[-1] * 1000:.0f} ms; charts "
            f"{chart_s / sum(per_email):.0%} of the time "
            f"({chart_s / max(1, sum(charts)) * 1000:.0f} ms each), the rest "
            f"{(sum(per_email) - chart_s) / len(results) * 1000:.0f} ms per email"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
