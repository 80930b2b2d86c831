"""What the PNG and native renderers share: spec checks, value cleaning and number formatting.

Kept free of matplotlib and python-pptx so either renderer can be imported without the other.
Value labels reuse `deckgen.narrative.formats.Formatter`, so the number on a bar is the very
string the "so what" sentence and the alt text quote.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

from deckgen.errors import RenderError
from deckgen.model.deck import ChartSpec
from deckgen.narrative.formats import Formatter

KINDS = ("line", "bar", "barh", "stacked_bar", "gauge")
MINUS = "\u2212"  # typographic minus for ticks: a hyphen looks like a dash next to digits
GAUGE_MAX = 100.0


def finite(value: object) -> float | None:
    """`value` as a float, or None when it is missing, NaN, infinite or not a number.

    NaN must never reach python-pptx (its workbook writer raises TypeError) nor be drawn as 0.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clean_values(values: Iterable[object]) -> tuple[float | None, ...]:
    return tuple(finite(v) for v in values)


def validate(spec: ChartSpec) -> None:
    """Raise `RenderError` for a spec no backend can draw faithfully.

    A mismatch between categories and values would otherwise shift every bar by one in silence
    (python-pptx) or fail deep inside matplotlib with a message naming no chart.
    """
    where = f"chart {spec.id!r} ({spec.kind})"
    if spec.kind not in KINDS:
        raise RenderError(f"{where}: unknown kind; expected one of {', '.join(KINDS)}")
    if not spec.series:
        raise RenderError(f"{where}: no series")
    if not spec.categories and spec.kind != "gauge":
        raise RenderError(f"{where}: no categories")
    n = len(spec.categories)
    for s in spec.series:
        if spec.kind == "gauge" and not s.values:
            raise RenderError(f"{where}: series {s.name!r} has no value")
        if spec.kind != "gauge" and len(s.values) != n:
            raise RenderError(
                f"{where}: series {s.name!r} has {len(s.values)} values for {n} categories"
            )
    if spec.point_status and spec.kind != "gauge" and len(spec.point_status) != n:
        raise RenderError(f"{where}: {len(spec.point_status)} point statuses for {n} categories")
    if spec.y_max is not None and finite(spec.y_max) is None:
        raise RenderError(f"{where}: y_max must be a finite number")


def gauge_value(spec: ChartSpec) -> float | None:
    """The single score a gauge shows: the first value of the first series."""
    return finite(spec.series[0].values[0]) if spec.series[0].values else None


def gauge_max(spec: ChartSpec) -> float:
    y_max = finite(spec.y_max)
    return y_max if y_max is not None and y_max > 0 else GAUGE_MAX


@lru_cache(maxsize=64)
def _formatter(currency: str) -> Formatter:
    return Formatter("en_US", currency)


@lru_cache(maxsize=64)
def currency_symbol(code: str) -> str:
    """ "$" for USD, "€" for EUR, "CHF" for CHF: what babel shows in en_US, or the code itself."""
    try:
        from babel.numbers import get_currency_symbol

        return str(get_currency_symbol(code, locale="en_US"))
    except Exception:  # an unknown code is shown as typed, never a crash
        return code


def format_label(value: float, spec: ChartSpec) -> str:
    """A data label: the same string the narrative would print for this value."""
    f = _formatter(spec.currency)
    if spec.value_format == "money":
        return f.money(value, spec.currency, compact=True)
    if spec.value_format == "pct":
        digits = 1 if abs(value) < 10 and abs(value - round(value)) >= 0.05 else 0
        return f.pct(value, digits)
    if spec.value_format == "decimal":
        return f.number(value, 1)
    return f.number(value)


def tick_decimals(ticks: Sequence[float], limit: int = 3) -> int:
    """Fewest decimals that still tell every tick apart exactly (2.5 steps need one)."""
    for d in range(limit + 1):
        if all(abs(round(t, d) - t) <= 1e-9 * max(1.0, abs(t)) for t in ticks):
            return d
    return limit


def money_scale(max_abs: float) -> tuple[float, str]:
    """Divisor and suffix so one axis uses one unit: $0, $2.5K, $5K rather than $7,500, $10K."""
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if max_abs >= divisor:
            return divisor, suffix
    return 1.0, ""


def format_ticks(ticks: Sequence[float], spec: ChartSpec) -> list[str]:
    """Axis tick labels for `value_format`, with one scale and one precision for the whole axis."""
    if not ticks:
        return []
    fmt = spec.value_format
    if fmt == "money":
        divisor, suffix = money_scale(max(abs(t) for t in ticks))
        scaled = [t / divisor for t in ticks]
        d = tick_decimals(scaled, 2)
        symbol = currency_symbol(spec.currency)
        return [
            f"{MINUS if s < 0 else ''}{symbol}{abs(s):,.{d}f}{suffix}" if s else f"{symbol}0"
            for s in scaled
        ]
    d = 0 if fmt == "int" else tick_decimals(ticks)
    out = []
    for t in ticks:
        text = f"{abs(t):,.{d}f}"
        if round(t, d) < 0:
            text = MINUS + text
        out.append(text + ("%" if fmt == "pct" else ""))
    return out


def nice_ticks(lo: float, hi: float, max_ticks: int = 6, integer: bool = False) -> list[float]:
    """Round tick positions covering [lo, hi] in steps of 1, 2, 2.5 or 5 x 10^k.

    Shared by both renderers so the PNG and the native chart show the same gridlines.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("tick range must be finite")
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, max_ticks - 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = 10.0 * magnitude
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = m * magnitude
        if integer and candidate < 1:
            continue
        if integer and m == 2.5 and candidate < 10:
            continue  # 2.5-steps of single units would need fractional ticks
        if math.ceil(hi / candidate - 1e-9) - math.floor(lo / candidate + 1e-9) + 1 <= max_ticks:
            step = candidate
            break
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def excel_number_format(spec: ChartSpec, max_abs: float, decimals: int | None = None) -> str:
    """An Excel number format for native charts that reads like `format_label`/`format_ticks`.

    Percentages are 0-100 in the model, so "%" is a literal (Excel's % would multiply by 100).
    Money uses one scale per chart chosen from the largest value (Excel formats cannot switch
    unit per value reliably across PowerPoint, LibreOffice and Google Slides). `decimals`
    (in the scaled unit) is given for axes, whose ticks are known; labels get one decimal when
    scaled.
    """
    fmt = spec.value_format
    if fmt == "money":
        symbol = currency_symbol(spec.currency).replace('"', "")
        divisor, suffix = money_scale(max_abs)
        commas = {1e9: ",,,", 1e6: ",,", 1e3: ",", 1.0: ""}[divisor]
        if decimals is None:
            decimals = 1 if suffix else 0
        frac = "." + "0" * decimals if decimals else ""
        if not suffix:
            return f'"{symbol}"#,##0{frac}'
        # positive;negative;zero - so the baseline reads "$0", not "$0K" or "$0.0K"
        scaled = f'"{symbol}"#,##0{frac}{commas}"{suffix}"'
        return f'{scaled};-{scaled};"{symbol}"0'
    if decimals is None:
        decimals = 1 if fmt == "decimal" else 0
    if fmt == "int":
        decimals = 0
    frac = "." + "0" * decimals if decimals else ""
    return f'#,##0{frac}"%"' if fmt == "pct" else f"#,##0{frac}"
