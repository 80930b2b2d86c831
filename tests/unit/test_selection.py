from __future__ import annotations

from datetime import date

import pytest

from deckgen.errors import ConfigError
from deckgen.selection import build_selection, in_shard, parse_horizon, parse_shard, parse_week


def test_iso_week() -> None:
    assert parse_week("2026-W50") == (date(2026, 12, 7), date(2026, 12, 13))
    with pytest.raises(ConfigError, match="not a week"):
        parse_week("2026-W54")


def test_horizon_and_shard_parsing() -> None:
    assert parse_horizon("14d") == 14 and parse_horizon("2w") == 14
    assert parse_shard("2/8") == (2, 8) and parse_shard(None) is None
    for bad in ("0/4", "5/4", "x"):
        with pytest.raises(ConfigError):
            parse_shard(bad)


def test_exactly_one_selection() -> None:
    kw = dict(date_from=None, date_to=None, due_within=None, as_of=date(2026, 11, 28))
    with pytest.raises(ConfigError, match="exactly one"):
        build_selection(week="2026-W50", all_accounts=True, **kw)  # type: ignore[arg-type]
    sel = build_selection(week=None, all_accounts=False, **{**kw, "due_within": "14d"})  # type: ignore[arg-type]
    assert sel.contains(date(2026, 12, 12)) and not sel.contains(date(2026, 12, 13))


def test_shards_partition_ids_stably() -> None:
    ids = [f"A-{i:04d}" for i in range(500)]
    parts = [[a for a in ids if in_shard(a, (k, 4))] for k in range(1, 5)]
    assert sorted(a for part in parts for a in part) == ids
    assert all(80 < len(p) < 170 for p in parts)
    assert in_shard("A-0001", (1, 4)) == in_shard("A-0001", (1, 4))
