"""Money, numbers, percentages, deltas and dates, formatted in one place for one locale.

Every renderer shows the same strings because the deck model carries these, already formatted.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.numbers import format_compact_currency, format_currency, format_decimal

DASH = "–"


class Formatter:
    def __init__(self, locale: str = "en_US", currency: str = "USD") -> None:
        self.locale = locale
        self.currency = currency

    def money(self, value: float | None, currency: str | None = None, compact: bool = True) -> str:
        if value is None:
            return DASH
        return _money(value, currency or self.currency, self.locale, compact)

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return DASH
        return _number(value, digits, self.locale)

    def smart(self, value: float | None) -> str:
        """Whole numbers without decimals, others with one: 76 not 76.0, 68.8 stays."""
        if value is None:
            return DASH
        return self.number(value, 0 if float(value).is_integer() or abs(value) >= 100 else 1)

    def months_away(self, months: int | None) -> str:
        if months is None:
            return DASH
        if months <= 0:
            return "within a month"
        return f"in {months} month{'s' if months != 1 else ''}"

    def pct(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return DASH
        return f"{self.number(value, digits)}%"

    def delta_pct(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return DASH
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        return f"{sign}{self.number(abs(value), digits)}%"

    def delta(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return DASH
        sign = "+" if value > 0 else ("−" if value < 0 else "±")
        return f"{sign}{self.number(abs(value), digits)}"

    def date(self, value: date | None) -> str:
        if value is None:
            return DASH
        from babel.dates import format_date

        return format_date(value, format="medium", locale=self.locale)

    def quarter(self, q: str) -> str:
        """ "2026Q3" -> "Q3 2026"."""
        if len(q) == 6 and q[4] == "Q":
            return f"{q[4:]} {q[:4]}"
        return q


def direction(value: float | None, flat_band: float = 2.0) -> str | None:
    if value is None:
        return None
    if value > flat_band:
        return "up"
    if value < -flat_band:
        return "down"
    return "flat"


# Formatting is pure and babel parses the pattern on every call (~40 µs): a deck formats ~100
# numbers, many of them the same (peer medians, quarters), and a batch repeats them across accounts.


@lru_cache(maxsize=4096)
def _number(value: float, digits: int, locale: str) -> str:
    fmt = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    return format_decimal(
        round(value, digits) if digits else round(value), format=fmt, locale=locale
    )


@lru_cache(maxsize=4096)
def _money(value: float, currency: str, locale: str, compact: bool) -> str:
    try:
        if compact and abs(value) >= 10_000:
            return format_compact_currency(value, currency, locale=locale, fraction_digits=1)
        return format_currency(
            round(value), currency, locale=locale, format="¤#,##0", currency_digits=False
        )
    except Exception:
        return f"{currency} {format_decimal(round(value), locale=locale)}"
