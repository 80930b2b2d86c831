"""Shared helpers for the benchmark scripts: timing, peak memory, a generated book."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "book"


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_it(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> tuple[float, float]:
    """(median seconds, min seconds) over `repeat` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), min(runs)


def generated_book(folder: Path, accounts: int, events: int = 0) -> Path:
    """A book made by the sample generator (cached in `folder` between runs)."""
    marker = folder / f".made-{accounts}-{events}"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            str(ROOT / "samples" / "generate.py"),
            "--out",
            str(folder),
            "--accounts",
            str(accounts),
        ]
        if events:
            cmd += ["--events", str(events)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        marker.touch()
    return folder
