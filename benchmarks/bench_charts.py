"""Time each chart kind as a PNG (matplotlib) and as a native python-pptx chart.

    python benchmarks/bench_charts.py [-n 25] [--width 6.4 --height 3.6]

Prints the median and p90 of N runs per kind, after `warm_up()` (as a batch parent would before
forking), so first-chart costs (font loading, caches) are excluded. Charts use realistic QBR
data: quarterly users with licensed seats, top-5 features, health by dimension with statuses,
value by quarter with a gap, a 3-series benchmark, monthly tickets by priority, a health gauge.

The last two columns time a native chart's embedded workbook alone (median CPU ms): python-pptx's
`xlsx_blob` (xlsxwriter) and deckgen's `chart_workbook` (the same bytes; see
deckgen/charting/workbook.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

from pptx import Presentation
from pptx.util import Inches

from deckgen.charting.mpl import render_png, warm_up
from deckgen.charting.native import _chart_data, add_native_chart
from deckgen.charting.style import ChartStyle, load_style
from deckgen.charting.workbook import chart_workbook
from deckgen.model.deck import ChartSpec, Series

QUARTERS = ("Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025")


def specs() -> list[ChartSpec]:
    """One representative spec per kind (grouped bars as `bar` with three series)."""
    return [
        ChartSpec(
            "users",
            "line",
            QUARTERS,
            (
                Series("Active users", (182.0, 205.0, 231.0, 264.0)),
                Series("Licensed seats", (300.0,) * 4, "reference"),
            ),
            "users",
            "Quarter",
            "Active users",
            "Active users up 45%.",
            "alt",
        ),
        ChartSpec(
            "value",
            "bar",
            QUARTERS,
            (Series("Value", (12500.0, None, 18250.0, 24100.0)),),
            "USD",
            "Quarter",
            "Value (USD)",
            "Value up.",
            "alt",
            value_format="money",
        ),
        ChartSpec(
            "benchmark",
            "bar",
            ("Seat utilisation", "Feature breadth", "Exec attendance"),
            (
                Series("You", (72.0, 45.0, 100.0)),
                Series("Peer median", (61.0, 52.0, 67.0), "reference"),
                Series("Top quartile", (84.0, 70.0, 100.0), "secondary"),
            ),
            "%",
            "",
            "Percent",
            "Benchmarks.",
            "alt",
            value_format="pct",
            y_max=100,
        ),
        ChartSpec(
            "health",
            "barh",
            ("Usage", "Engagement", "Outcomes", "Support", "Relationship"),
            (Series("Score", (82.0, 64.0, 41.0, 90.0, 75.0)),),
            "points",
            "Score (0–100)",
            "",
            "Health 68.",
            "alt",
            point_status=("green", "yellow", "red", "green", "green"),
            y_max=100,
        ),
        ChartSpec(
            "tickets",
            "stacked_bar",
            ("2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"),
            (
                Series("P1", (1.0, 0.0, 2.0, 1.0, 0.0, 1.0)),
                Series("P2", (4.0, 6.0, 3.0, 5.0, 2.0, 3.0), "secondary"),
                Series("P3", (9.0, 7.0, 12.0, 6.0, 8.0, 5.0), "muted"),
            ),
            "tickets",
            "Month",
            "Tickets opened",
            "Tickets down.",
            "alt",
        ),
        ChartSpec(
            "score",
            "gauge",
            ("Health",),
            (Series("Score", (68.0,)),),
            "points",
            "",
            "Health score",
            "Health 68/100.",
            "alt",
            point_status=("yellow",),
        ),
    ]


def _time(fn: Callable[[], object], n: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per run (CPU time is steadier on a shared machine)."""
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=25, help="runs per kind (default 25)")
    parser.add_argument("--width", type=float, default=None, help="PNG width in inches")
    parser.add_argument("--height", type=float, default=None, help="PNG height in inches")
    args = parser.parse_args()

    style: ChartStyle = load_style()
    t0 = time.perf_counter()
    warm_up(style)
    print(f"warm_up: {(time.perf_counter() - t0) * 1000:.0f} ms")
    w = args.width or style.chart.width_in
    h = args.height or style.chart.height_in
    print(f"PNG {w} x {h} in at {style.chart.dpi} dpi; native {w} x {h} in; n={args.n}\n")
    print("median (p90) in ms, wall clock and CPU time of this process\n")
    print(
        f"{'chart':<10} {'kind':<12} {'PNG wall':>15} {'PNG cpu':>8} {'KB':>4}   "
        f"{'native wall':>15} {'native cpu':>10}   {'xlsx_blob':>9} {'workbook':>8}"
    )
    prs = Presentation()
    layout = prs.slide_layouts[6]
    for spec in specs():
        png = render_png(spec, style, w, h)
        png_runs = _time(partial(render_png, spec, style, w, h), args.n)
        slide = prs.slides.add_slide(layout)

        def native(spec: ChartSpec = spec, slide: object = slide) -> object:
            return add_native_chart(
                slide, spec, Inches(0.5), Inches(0.5), Inches(w), Inches(h), style
            )

        native_runs = _time(native, args.n)
        data = _chart_data(spec)
        assert chart_workbook(data) == data.xlsx_blob  # the first call learns the template
        xlsx_runs = _time(partial(getattr, data, "xlsx_blob"), args.n * 4)
        workbook_runs = _time(partial(chart_workbook, data), args.n * 4)
        print(
            f"{spec.id:<10} {spec.kind:<12} {_stat(png_runs[0]):>15} "
            f"{statistics.median(png_runs[1]):>8.1f} {len(png) / 1024:>4.0f}   "
            f"{_stat(native_runs[0]):>15} {statistics.median(native_runs[1]):>10.1f}   "
            f"{statistics.median(xlsx_runs[1]):>9.3f} {statistics.median(workbook_runs[1]):>8.3f}"
        )


def _stat(runs: list[float]) -> str:
    p90 = sorted(runs)[min(len(runs) - 1, int(len(runs) * 0.9))]
    return f"{statistics.median(runs):.1f} ({p90:.1f})"


if __name__ == "__main__":
    main()
