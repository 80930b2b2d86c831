"""Which accounts a batch run covers: by QBR week, date range, horizon, or all; then a shard.

The QBR date is the account's `next_qbr_date`, or its `last_qbr_date` plus its tier's cadence.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from deckgen.config import Config
from deckgen.errors import ConfigError
from deckgen.metrics.results import AccountMetrics


@dataclass(frozen=True)
class Selection:
    start: date | None  # inclusive; None with end None = all accounts
    end: date | None
    label: str
    shard: tuple[int, int] | None = None  # (index 1..N, N)

    def contains(self, d: date | None) -> bool:
        if self.start is None and self.end is None:
            return True
        if d is None:
            return False
        return (self.start is None or d >= self.start) and (self.end is None or d <= self.end)


def parse_week(text: str) -> tuple[date, date]:
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text.strip(), flags=re.IGNORECASE)
    if not m:
        raise ConfigError(f"--week: expected an ISO week like 2026-W50, got {text!r}")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ConfigError(f"--week: {text!r} is not a week of {year}") from None
    return monday, monday + timedelta(days=6)


def parse_horizon(text: str) -> int:
    m = re.fullmatch(r"(\d+)\s*([dw]?)", text.strip().lower())
    if not m:
        raise ConfigError(f"--due-within: expected a number of days like 14d or 2w, got {text!r}")
    n = int(m.group(1))
    return n * 7 if m.group(2) == "w" else n


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ConfigError(f"--shard: expected I/N with 1 <= I <= N (e.g. 2/8), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def build_selection(
    *,
    week: str | None,
    date_from: date | None,
    date_to: date | None,
    due_within: str | None,
    all_accounts: bool,
    as_of: date,
    shard: str | None = None,
) -> Selection:
    chosen = sum(
        x for x in (bool(week), bool(date_from or date_to), bool(due_within), all_accounts)
    )
    if chosen != 1:
        raise ConfigError("choose exactly one of --week, --from/--to, --due-within or --all")
    sh = parse_shard(shard)
    if week:
        start, end = parse_week(week)
        return Selection(start, end, f"QBR week {week.upper()} ({start} to {end})", sh)
    if date_from or date_to:
        if not (date_from and date_to):
            raise ConfigError("--from and --to go together")
        if date_to < date_from:
            raise ConfigError("--to is before --from")
        return Selection(date_from, date_to, f"QBR dates {date_from} to {date_to}", sh)
    if due_within:
        days = parse_horizon(due_within)
        return Selection(
            as_of, as_of + timedelta(days=days), f"QBR due within {days} days of {as_of}", sh
        )
    return Selection(None, None, "all accounts", sh)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    import calendar

    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def qbr_date(m: AccountMetrics, config: Config) -> date | None:
    if m.facts.next_qbr_date is not None:
        return m.facts.next_qbr_date
    if m.facts.last_qbr_date is not None:
        cadence = int(config.get(f"cadence_months.{m.tier}", 3) or 3)
        return _add_months(m.facts.last_qbr_date, cadence)
    return None


def in_shard(account_id: str, shard: tuple[int, int] | None) -> bool:
    """Stable across machines and runs (no Python hash randomisation)."""
    if shard is None:
        return True
    index, count = shard
    h = int.from_bytes(hashlib.sha256(account_id.encode("utf-8")).digest()[:8], "big")
    return h % count == index - 1


def select(
    metrics: list[AccountMetrics], selection: Selection, config: Config
) -> list[tuple[AccountMetrics, date | None]]:
    out = []
    for m in metrics:
        d = qbr_date(m, config)
        if selection.contains(d) and in_shard(m.account_id, selection.shard):
            out.append((m, d))
    return out
