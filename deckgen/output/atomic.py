"""Atomic writes: a reader (or a crashed run) never sees a half-written file.

Write to a hidden temp file in the same folder, flush and fsync, then `os.replace`, which is
atomic on POSIX and Windows when source and target share a file system.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path next to `target`; rename it over `target` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:60]}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def clean_stale_temps(folder: Path) -> int:
    """Remove temp files left by a killed run (they are never valid outputs)."""
    removed = 0
    if folder.is_dir():
        for p in folder.rglob(".*.tmp"):
            with contextlib.suppress(OSError):
                p.unlink()
                removed += 1
    return removed
