"""Batch workers: forked from the warm server, not from the process holding the book, yet
running with the caller's environment and directory of the moment the pool is made."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from deckgen.workers import start_server, worker_pool

_SEEN: dict[str, object] = {}


def _remember(value: str) -> None:
    _SEEN["init"] = value


def _probe() -> dict[str, object]:
    return {
        "init": _SEEN.get("init"),
        "mark": os.environ.get("DECKGEN_TEST_WORKER_MARK"),
        "cwd": os.getcwd(),
        "ppid": os.getppid(),
        "pandas": "pandas" in sys.modules,
        "renderer_warm": "pptx" in sys.modules and "matplotlib" in sys.modules,
    }


def test_a_worker_runs_the_initializer_with_the_callers_environment_and_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_server()  # started before the variable and directory below exist, as in a test run
    monkeypatch.setenv("DECKGEN_TEST_WORKER_MARK", "set after the server started")
    monkeypatch.chdir(tmp_path)
    with worker_pool(1, _remember, ("the run's inputs",)) as pool:
        seen = pool.submit(_probe).result(timeout=60)
    assert seen["init"] == "the run's inputs"
    assert seen["mark"] == "set after the server started"
    assert Path(str(seen["cwd"])).resolve() == tmp_path.resolve()


@pytest.mark.skipif(sys.platform == "win32", reason="no fork server on Windows")
def test_a_worker_starts_warm_without_the_book_the_caller_holds() -> None:
    import pandas  # noqa: F401 - what loading a book imports, in this process only

    with worker_pool(1, _remember, ("x",)) as pool:
        seen = pool.submit(_probe).result(timeout=60)
    assert seen["ppid"] != os.getpid()  # forked from the server, not from this process
    assert seen["pandas"] is False
    assert seen["renderer_warm"] is True
