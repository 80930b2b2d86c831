"""`deckgen.background.Background`: a function run in a forked child, its result collected later."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from deckgen.background import Background, ChildTraceback
from deckgen.errors import DataError

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


def _pid_and(value: object) -> tuple[int, object]:
    return os.getpid(), value


def _fail(message: str) -> None:
    raise DataError(message)


def _die() -> None:
    os._exit(3)


class _Unpicklable(Exception):
    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("not picklable")


def _fail_unpicklable() -> None:
    raise _Unpicklable("odd error")


@needs_fork
def test_result_comes_from_a_child_process() -> None:
    pid, value = Background(_pid_and, {"a": [1, 2]}).result()
    assert pid != os.getpid()
    assert value == {"a": [1, 2]}


@needs_fork
def test_exceptions_are_re_raised_with_the_childs_traceback() -> None:
    with pytest.raises(DataError, match="no account 'X'") as exc:
        Background(_fail, "no account 'X'").result()
    assert exc.value.exit_code == 1
    assert isinstance(exc.value.__cause__, ChildTraceback)
    assert "_fail" in str(exc.value.__cause__)


@needs_fork
def test_an_exception_that_cannot_be_pickled_keeps_its_text() -> None:
    with pytest.raises(RuntimeError, match="_Unpicklable: odd error"):
        Background(_fail_unpicklable).result()


@needs_fork
def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(RuntimeError, match="_die died in its child process"):
        Background(_die).result()


def test_without_fork_the_call_runs_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(os, "fork"):
        monkeypatch.delattr(os, "fork")
    job = Background(_pid_and, 7)
    assert job.result() == (os.getpid(), 7)


@needs_fork
def test_what_the_child_imports_stays_in_the_child() -> None:
    code = (
        "import sys\n"
        "from deckgen.background import Background\n"
        "def load():\n"
        "    import pandas\n"
        "    return pandas.__name__\n"
        "print(Background(load).result(), 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["pandas", "False"]


@needs_fork
def test_the_result_is_taken_once() -> None:
    job = Background(_pid_and, 1)
    job.result()
    with pytest.raises(RuntimeError, match="already called"):
        job.result()


def test_a_failed_fork_runs_the_call_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork, raising=False)
    assert Background(_pid_and, 2).result() == (os.getpid(), 2)
