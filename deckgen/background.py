"""Run one function in a forked child process while the caller does something else.

Why: a single `deckgen render` is mostly start-up. Importing pandas and preparing the book, and
importing python-pptx and matplotlib, are independent and each take most of a second; on two
cores they overlap when the book is prepared in a child process. Only the function's (small,
picklable) result comes back through a pipe, so the parent never imports what the child did.

`os.fork` is used directly rather than `multiprocessing`/`concurrent.futures`: importing those
costs ~25 ms before the child can even start, and one child with one result needs none of
their machinery. Where there is no fork (Windows) or it fails, the function runs in the calling
process when its result is asked for.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sys
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ChildTraceback(Exception):
    """The child's formatted traceback, chained as the cause of an exception re-raised here."""


class Background(Generic[T]):
    """`fn(*args, **kwargs)` running in a forked child; `result()` waits for it.

    `result()` returns the value or re-raises the child's exception (its traceback chained as a
    `ChildTraceback`); it can be called once. A child that dies without answering raises
    RuntimeError.

    The child runs without the cyclic garbage collector: it lives for one call and then exits,
    so whatever cycles the call leaves are freed with the process, while the collector's passes
    (dozens while pandas is imported and a book loaded: ~6% of `deckgen render`'s preparation)
    would also touch, and so copy, the memory pages it shares with the parent.
    """

    def __init__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        self._call = (fn, args, kwargs)
        self._pid = 0
        self._fd = -1
        self._taken = False
        if hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        _flush_std_streams()  # or the child would write the parent's buffered text again
        read_fd, write_fd = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to spare: run inline instead
            os.close(read_fd)
            os.close(write_fd)
            return
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child(self._call, write_fd)
        os.close(write_fd)
        self._pid, self._fd = pid, read_fd

    def result(self) -> T:
        if self._taken:
            raise RuntimeError("Background.result() was already called")
        self._taken = True
        fn, args, kwargs = self._call
        if not self._pid:
            return fn(*args, **kwargs)
        with os.fdopen(self._fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        if not data:
            raise RuntimeError(
                f"{getattr(fn, '__name__', fn)} died in its child process "
                f"(wait status {status}) before returning a result"
            )
        ok, value, tb = pickle.loads(data)
        if ok:
            return value
        raise value from ChildTraceback(tb)


def _child(call: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]], fd: int) -> None:
    """Run the call, write (ok, value or exception, traceback text) to `fd`, and exit.

    `os._exit` skips the parent's atexit handlers and finalizers, which belong to the parent.
    """
    gc.disable()
    fn, args, kwargs = call
    code = 0
    try:
        try:
            payload = pickle.dumps((True, fn(*args, **kwargs), ""), pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:
            tb = traceback.format_exc()
            try:
                payload = pickle.dumps((False, exc, tb), pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot be pickled: keep its text
                error = RuntimeError(f"{type(exc).__name__}: {exc}")
                payload = pickle.dumps((False, error, tb), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        code = 1  # the parent sees no answer and says so
    finally:
        _flush_std_streams()
        os._exit(code)


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed or replaced streams have nothing to lose
            stream.flush()
