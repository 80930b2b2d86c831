"""Calendar arithmetic: quarters ("2026Q3"), months ("2026-09"), trailing windows, business days.

Quarters are calendar quarters. A quarter *index* is `year * 4 + (q - 1)` and a month index is
`year * 12 + (month - 1)`, so consecutive periods differ by one; the engine stores periods as these
integers (as floats, NaN = missing) for fast comparisons.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from deckgen.metrics.results import Period

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
EPOCH = date(1970, 1, 1)
_EPOCH_ORD = EPOCH.toordinal()


# ---------------------------------------------------------------- quarters


@lru_cache(maxsize=4096)
def parse_quarter(text: str) -> tuple[int, int]:
    """`"2026Q3"` (also `"2026-Q3"`, `"2026 q3"`) -> `(2026, 3)`; ValueError otherwise."""
    m = _QUARTER.match(str(text))
    if not m:
        raise ValueError(f"not a quarter: {text!r} (expected YYYYQn, for example 2026Q3)")
    return int(m.group(1)), int(m.group(2))


def format_quarter(year: int, q: int) -> str:
    return f"{year}Q{q}"


@lru_cache(maxsize=4096)
def quarter_index(text: str) -> int:
    """`"2026Q3"` -> 2026 * 4 + 2."""
    y, q = parse_quarter(text)
    return y * 4 + q - 1


def quarter_from_index(index: int) -> str:
    return format_quarter(index // 4, index % 4 + 1)


def quarter_of(d: date) -> str:
    """The calendar quarter containing `d`."""
    return format_quarter(d.year, (d.month - 1) // 3 + 1)


def shift_quarter(text: str, n: int) -> str:
    """The quarter `n` quarters after `text` (before, when `n` < 0)."""
    return quarter_from_index(quarter_index(text) + n)


def previous_quarters(text: str, n: int) -> tuple[str, ...]:
    """The `n` quarters ending with `text`, oldest first (`n` < 1 gives just `text`)."""
    n = max(1, int(n))
    return tuple(shift_quarter(text, k) for k in range(-(n - 1), 1))


def quarter_start(text: str) -> date:
    y, q = parse_quarter(text)
    return date(y, 3 * q - 2, 1)


def quarter_end(text: str) -> date:
    """The last day of the quarter (inclusive)."""
    y, q = parse_quarter(text)
    return date(y, 3 * q, calendar.monthrange(y, 3 * q)[1])


def last_complete_quarter(d: date) -> str:
    """The last quarter that ended before `d` (the quarter before the one containing `d`)."""
    return shift_quarter(quarter_of(d), -1)


# ---------------------------------------------------------------- months


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@lru_cache(maxsize=4096)
def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(d: date, k: int) -> date:
    """`d` moved by `k` calendar months, the day clamped to the target month's length."""
    m = d.month - 1 + k
    y = d.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def days_in_month(index: int) -> int:
    return calendar.monthrange(index // 12, index % 12 + 1)[1]


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (negative when `end` is earlier).

    2026-11-28 -> 2027-02-15 is 2 (the third month is not complete)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months


# ---------------------------------------------------------------- days


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return d.toordinal() - _EPOCH_ORD


def date_from_day(day: float) -> date:
    return date.fromordinal(_EPOCH_ORD + int(np.floor(day)))


def trailing_window(as_of: date, days: int) -> tuple[date, date]:
    """The trailing `days`-day window ending with `as_of`, both ends inclusive.

    `trailing_window(2026-11-28, 30)` is 2026-10-30 .. 2026-11-28 (30 days)."""
    return as_of - timedelta(days=days - 1), as_of


def business_days_between(start: date, end: date) -> int:
    """Weekdays (Mon-Fri) in `[start, end)`: a ticket opened on a Monday has been open 5 business
    days on the next Monday. Negative when `end` is before `start`."""
    return int(np.busday_count(np.datetime64(start, "D"), np.datetime64(end, "D")))


def business_days_since(days: np.ndarray, as_of: date) -> np.ndarray:
    """Vectorised `business_days_between` from day numbers (floats, NaN allowed -> 0) to `as_of`."""
    d = np.nan_to_num(np.floor(days), nan=float(day_number(as_of))).astype("int64")
    begin = d.astype("datetime64[D]")
    return np.busday_count(begin, np.datetime64(as_of, "D"))


# ---------------------------------------------------------------- review period


def review_period(
    qbr_date: date | None,
    as_of: date,
    quarter_override: str | None = None,
    quarters_shown: int = 4,
) -> Period:
    """The review quarter and the trend quarters for one account.

    The review quarter is the last complete quarter before the QBR date (`qbr_date`, else
    `as_of`), unless `quarter_override` (`--quarter`) is given. A quarter that has not ended by
    `as_of` is not complete yet (a QBR in January 2027 prepared on 2026-11-28 cannot review
    2026Q4): then the last quarter complete as of `as_of` is used (`period_warning` says so).
    `previous_quarters` holds `quarters_shown` quarters, oldest first, ending with the review
    quarter.
    """
    if quarter_override:
        y, q = parse_quarter(quarter_override)
        quarter = format_quarter(y, q)
    else:
        quarter = last_complete_quarter(qbr_date or as_of)
        if quarter_end(quarter) >= as_of:
            quarter = last_complete_quarter(as_of)
    return Period(
        quarter=quarter,
        start=quarter_start(quarter),
        end=quarter_end(quarter),
        as_of=as_of,
        qbr_date=qbr_date,
        previous_quarters=previous_quarters(quarter, quarters_shown),
    )


def period_warning(period: Period, quarter_override: str | None = None) -> str | None:
    """A sentence when `review_period` moved the review quarter back because the quarter before
    the QBR date is not complete as of `as_of`; None otherwise."""
    if quarter_override:
        return None
    wanted = last_complete_quarter(period.qbr_date or period.as_of)
    if wanted == period.quarter:
        return None
    return (
        f"review quarter {period.quarter}: {wanted} (the quarter before the QBR on "
        f"{(period.qbr_date or period.as_of).isoformat()}) is not complete as of "
        f"{period.as_of.isoformat()}"
    )
