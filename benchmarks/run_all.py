"""Every benchmark, one after the other: `python benchmarks/run_all.py [--quick]`.

Prints each script's report. `--quick` uses smaller books and fewer repeats (a couple of
minutes); the full run takes about ten on 2 cores. Figures and profiles: docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    quick = args.quick
    runs = [
        (
            "metrics",
            [
                "bench_metrics.py",
                "--accounts",
                "1000" if quick else "5000",
                "--events",
                "1000000" if quick else "10000000",
            ],
        ),
        ("charts", ["bench_charts.py"]),
        ("decks vs naive reference", ["bench_decks.py", "--repeat", "3" if quick else "7"]),
        ("emails", ["bench_email.py"]),
        (
            "batch",
            [
                "batch.py",
                "--accounts",
                "500" if quick else "2000",
                "--limit",
                "40" if quick else "120",
            ],
        ),
    ]
    failed = 0
    for title, cmd in runs:
        print(f"\n=== {title}: python benchmarks/{' '.join(cmd)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]])
        failed += result.returncode != 0
        print(f"--- {title}: {time.perf_counter() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
