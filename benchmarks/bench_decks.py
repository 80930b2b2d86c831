"""Deck rendering speed: deckgen's executive and enterprise decks vs a naive reference build.

    python benchmarks/bench_decks.py [--repeat 7] [--account A-0016]

Measured in one process, on one core, after a warm-up: per deck wall time (median and best) and
CPU time (median; `time.process_time`, which other jobs on a shared machine do not inflate), for
image charts and native charts, and a naive python-pptx + pyplot build of the same 15-slide deck
as a CS Ops engineer would script it, so figures are comparable as ratios across machines.
The warm-up fills deckgen's per-process caches (prepared template, slide prototypes), as the
first deck of a batch does. Rendering one account again and again also lets the measuring caches
answer everything; the "other accounts" rows render every other enterprise and
mid-market account of the sample book once each (after the same warm-up), as a batch does.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SAMPLE, peak_rss_mib


def time_both(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median wall, best wall, median CPU) seconds over `repeat` runs after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def naive_enterprise_deck(m: object) -> bytes:
    """The reference: default template, pyplot with tight bbox, notes on every slide."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    usage = m.usage  # type: ignore[attr-defined]
    for i in range(15):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = f"Slide {i + 1}"
        if i in (5, 7, 8, 9, 10):
            fig, ax = plt.subplots(figsize=(6.4, 3.6))
            ax.plot(list(usage.quarters), [v or 0 for v in usage.active_users_by_quarter])
            ax.set_xlabel("Quarter")
            ax.set_ylabel("Users")
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
            plt.close(fig)
            buf.seek(0)
            slide.shapes.add_picture(buf, Inches(1), Inches(1.5), width=Inches(8))
        else:
            box = slide.shapes.add_textbox(Inches(1), Inches(1.5), Inches(8), Inches(4))
            box.text_frame.text = "Some text " * 20
        slide.notes_slide.notes_text_frame.text = "Talking points"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--account", default="A-0016")
    args = ap.parse_args()

    from deckgen.charting.style import load_style
    from deckgen.model.build import build_deck, charts_for
    from deckgen.pipeline import prepare
    from deckgen.render.pptx import render_pptx

    prepared = prepare(SAMPLE, as_of=date(2026, 11, 28))
    m = prepared.account(args.account)
    style = load_style()
    tmp = Path(tempfile.mkdtemp())

    def deck(kind: str, charts: str, cache: bool) -> None:
        specs = charts_for(m, prepared.config)
        d = build_deck(m, prepared.config, kind, charts=specs)
        render_pptx(
            d,
            tmp / f"{kind}-{charts}.pptx",
            charts=charts,  # type: ignore[arg-type]
            style=style,
            png_cache={} if not cache else shared,
        )

    shared: dict[str, bytes] = {}

    def row(label: str, fn: Callable[[], object]) -> float:
        med, best, cpu = time_both(fn, args.repeat)
        ratio = naive / med if naive else 1.0
        times = f"{med * 1000:7.0f}ms {best * 1000:7.0f}ms {cpu * 1000:7.0f}ms"
        print(f"{label:<44} {times} {ratio:8.2f}x")
        return med

    print(f"{'build':<44} {'median':>8} {'best':>8} {'cpu':>8} {'vs naive':>9}")
    naive = 0.0
    naive = row("naive python-pptx + pyplot (15 slides)", lambda: naive_enterprise_deck(m))
    for kind in ("enterprise", "executive"):
        for charts in ("image", "native"):
            row(f"deckgen {kind}, {charts} charts", lambda k=kind, c=charts: deck(k, c, False))
    shared.clear()
    deck("enterprise", "image", True)
    row("deckgen enterprise, image, charts cached", lambda: deck("enterprise", "image", True))

    others = [
        a
        for a in prepared.metrics
        if a.account_id != args.account
        and a.status in ("ok", "review")
        and a.tier in ("enterprise", "mid_market")
    ]
    for charts in ("native", "image"):
        wall, cpu = [], []
        for other in others:
            specs = charts_for(other, prepared.config)
            d = build_deck(other, prepared.config, "enterprise", charts=specs)
            w, c = time.perf_counter(), time.process_time()
            render_pptx(d, tmp / "other.pptx", charts=charts, style=style, png_cache={})  # type: ignore[arg-type]
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
        med = statistics.median(wall)
        label = f"deckgen enterprise, {charts}, {len(others)} other accounts"
        print(
            f"{label:<44} {med * 1000:7.0f}ms {min(wall) * 1000:7.0f}ms "
            f"{statistics.median(cpu) * 1000:7.0f}ms {naive / med:8.2f}x"
        )
    print(f"peak memory {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
