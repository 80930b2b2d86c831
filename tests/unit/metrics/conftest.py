"""Tiny books for the metrics tests, built through the real loader (CSV -> load_book)."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from deckgen.book.load import Book, load_book
from deckgen.config import Config, load_config
from deckgen.metrics.engine import compute_metrics
from deckgen.metrics.results import AccountMetrics

AS_OF = date(2026, 11, 28)

BookFactory = Callable[..., Book]
_counter = itertools.count()


def write_csv(folder: Path, name: str, columns: Mapping[str, Sequence[Any]]) -> None:
    """One table from a dict of equal-length columns; None and "" are written as blanks."""
    header = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    assert all(len(v) == n for v in columns.values()), f"{name}: ragged columns"
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for i in range(n):
            w.writerow(["" if columns[c][i] is None else columns[c][i] for c in header])


def account_table(*ids: str, **columns: Sequence[Any] | Any) -> dict[str, list[Any]]:
    """An accounts table for `ids`; each keyword is a column (a list, or one value for all)."""
    n = len(ids)
    table: dict[str, list[Any]] = {
        "account_id": list(ids),
        "name": [f"Customer {i}" for i in ids],
        "arr": [100000] * n,
    }
    for key, value in columns.items():
        table[key] = list(value) if isinstance(value, (list, tuple)) else [value] * n
    return table


@pytest.fixture
def cfg() -> Config:
    return load_config()


@pytest.fixture
def make_book(tmp_path: Path) -> BookFactory:
    """`make_book(accounts={...}, usage={...}, ...)` -> a loaded `Book` (CSV via the loader)."""

    def build(config: Config | None = None, **tables: Mapping[str, Sequence[Any]]) -> Book:
        folder = tmp_path / f"book{next(_counter)}"
        folder.mkdir()
        for name, columns in tables.items():
            write_csv(folder, name, columns)
        return load_book(folder, config or load_config())

    return build


def run(
    book: Book, config: Config | None = None, as_of: date = AS_OF, **kw: Any
) -> list[AccountMetrics]:
    return compute_metrics(book, config or load_config(), as_of=as_of, **kw)


def one(book: Book, config: Config | None = None, as_of: date = AS_OF, **kw: Any) -> AccountMetrics:
    (m,) = run(book, config, as_of, **kw)
    return m
