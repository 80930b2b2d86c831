"""Peer benchmarks (docs/domain.md §5): cohorts, suppression, median and top quartile."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from deckgen.book.gates import Gate
from deckgen.config import Config
from deckgen.metrics.benchmarks import Cohorts, PeerRecord, percentile_without

from .conftest import BookFactory, account_table, run


def _book(make_book: BookFactory, n: int, industries: list[str] | None = None) -> Any:
    ids = [f"A{i:02d}" for i in range(n)]
    return make_book(
        accounts=account_table(
            *ids, arr=200_000, licensed_seats=100, industry=industries or ["software"] * n
        ),
        usage={
            "account_id": ids,
            "month": ["2026-11"] * n,
            "active_users": [50 + i for i in range(n)],  # adoption 50%, 51%, ...
        },
    )


def _adoption(m: Any) -> Any:
    (b,) = [b for b in m.benchmarks if b.metric == "user_adoption_pct"]
    return b


def test_suppressed_below_20_peers(make_book: BookFactory) -> None:
    ms = run(_book(make_book, 20))
    b = _adoption(ms[0])
    assert b.cohort_size == 19  # the account itself is never its own peer
    assert not b.shown
    assert b.peer_median is None and b.top_quartile is None and not b.in_top_quartile
    assert b.customer == 50.0
    shown = _adoption(run(_book(make_book, 21))[0])
    assert shown.cohort_size == 20 and shown.shown


def test_median_and_top_quartile_with_25_accounts(make_book: BookFactory) -> None:
    ms = run(_book(make_book, 25))
    low = _adoption(ms[0])
    # peers of A00: 51..74 (24 values): median 62.5; 75th pct at 0.75*23 = 17.25 -> 68 + 0.25
    assert low.shown and low.cohort_size == 24
    assert low.cohort == "enterprise · software"  # 24 software peers >= 20
    assert low.peer_median == pytest.approx(62.5)
    assert low.top_quartile == pytest.approx(68.25)
    assert not low.in_top_quartile
    high = _adoption(ms[24])
    # peers of A24: 50..73: median 61.5, 75th pct 67.25; 74 is top quartile
    assert high.peer_median == pytest.approx(61.5)
    assert high.top_quartile == pytest.approx(67.25)
    assert high.in_top_quartile
    assert high.higher_is_better and high.unit == "%"


def test_industry_cohort_when_large_enough(make_book: BookFactory) -> None:
    industries = ["healthcare"] * 21 + ["retail"] * 4
    ms = run(_book(make_book, 25, industries))
    health = _adoption(ms[0])
    assert health.cohort == "enterprise · healthcare" and health.cohort_size == 20
    retail = _adoption(ms[24])
    assert retail.cohort == "enterprise" and retail.cohort_size == 24


def test_blocked_accounts_are_not_peers(make_book: BookFactory) -> None:
    book = _book(make_book, 21)
    gates = {"A20": Gate("blocked", ("broken",))}
    b = _adoption(run(book, gates=gates)[0])
    assert b.cohort_size == 19 and not b.shown


def test_benchmarks_use_the_whole_book_when_filtering(make_book: BookFactory) -> None:
    ms = run(_book(make_book, 25), account_ids=["A00"])
    assert [m.account_id for m in ms] == ["A00"]
    assert _adoption(ms[0]).cohort_size == 24


def test_lower_is_better_uses_the_25th_percentile(cfg: Config) -> None:
    records = [
        PeerRecord(f"P{i}", "smb", None, {"resolution_hours": float(i)}) for i in range(1, 26)
    ]
    (b,) = [
        b
        for b in Cohorts(records, cfg).benchmarks("P3", "smb", None, {"resolution_hours": 3.0})
        if b.metric == "resolution_hours"
    ]
    peers = [float(i) for i in range(1, 26) if i != 3]
    assert not b.higher_is_better and b.cohort_size == 24
    assert b.peer_median == pytest.approx(float(np.median(peers)))
    assert b.top_quartile == pytest.approx(float(np.percentile(peers, 25)))
    assert b.in_top_quartile  # 3 hours is faster than the best quartile's bound


def test_never_reveals_peer_identities(make_book: BookFactory) -> None:
    m = run(_book(make_book, 25))[0]
    text = repr(m.benchmarks)
    assert all(f"A{i:02d}" not in text for i in range(1, 25))


def test_percentile_without_matches_numpy() -> None:
    vals = np.sort(np.array([3.0, 9.0, 1.0, 7.0, 5.0, 11.0]))
    for k in range(len(vals)):
        for pct in (25, 50, 75):
            expected = np.percentile(np.delete(vals, k), pct)
            assert percentile_without(vals, k, pct) == pytest.approx(expected)
