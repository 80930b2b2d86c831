"""Value delivered and ROI (docs/domain.md §4). Money is in the account's currency.

Per `value` row (one measured improvement in one quarter), the money value is:
- the `value` column, when the customer supplied it (any category);
- time_savings: `quantity` (hours saved in the quarter) x hourly rate (the account's
  `hourly_rate`, else config `value.hourly_rate`);
- cost_reduction: `baseline` - `current`, when `unit` is money (the account's currency code, another
  currency code only when it is the account's, or a currency symbol);
- revenue_impact, risk_avoidance, quality, and anything else: only a supplied `value`. Nothing is
  extrapolated: an item without a money basis is listed with value None and says why.

    quarterly value  = sum of the valued items of the review quarter (None when the quarter has
                       no valued item: "data missing", never 0)
    investment       = ARR / 4                         (one quarter of the subscription)
    ROI %            = quarterly value / investment x 100   (None when investment <= 0)
    annualised value = quarterly value x 4             (a run rate, not a forecast)

Example: 70,000 of value on 100,000 ARR -> investment 25,000 -> ROI 280%.
The trend lists each shown quarter's total, None for quarters without valued items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from deckgen.config import Config
from deckgen.metrics.periods import quarter_from_index, quarter_index
from deckgen.metrics.results import Period, Value, ValueItem
from deckgen.metrics.settings import num

CURRENCY_SYMBOLS = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
}
NOT_VALUED = "not valued: no money value supplied"


def _opt(value: Any) -> float | None:
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f


def _num(x: float) -> str:
    """1234 -> "1,234"; 12.5 -> "12.50"."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _money_unit(unit: str | None, currency: str) -> tuple[bool, str | None]:
    """(is money in the account's currency, why not when it is another currency)."""
    if not unit:
        return False, None
    u = unit.strip()
    if u in CURRENCY_SYMBOLS:
        ok = currency.upper() in CURRENCY_SYMBOLS[u]
        return ok, None if ok else f"unit {u!r} is not the account currency {currency}"
    code = u.upper()
    if code == currency.upper():
        return True, None
    if len(code) == 3 and code.isalpha() and code in _ISO_CODES:
        return False, f"unit {code} is not the account currency {currency}"
    return False, None


# common ISO 4217 codes: a unit like "EUR" on a USD account is money, but not the account's
_ISO_CODES = frozenset(
    {
        "USD", "EUR", "GBP", "JPY", "CNY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
        "PLN", "CZK", "HUF", "INR", "BRL", "MXN", "ZAR", "SGD", "HKD", "KRW", "TRY", "ILS",
        "AED", "SAR", "RUB", "THB", "IDR", "MYR", "PHP", "TWD", "CLP", "COP", "ARS",
    }
)  # fmt: skip


def value_item(
    row: Mapping[str, Any], quarter: str, rate: float, rate_source: str, currency: str
) -> ValueItem:
    """One row's money value and how it was obtained."""
    category = (row.get("category") or "").strip().lower()
    label = row.get("label") or category.replace("_", " ")
    unit = row.get("unit")
    baseline, current = _opt(row.get("baseline")), _opt(row.get("current"))
    quantity, supplied = _opt(row.get("quantity")), _opt(row.get("value"))
    value: float | None = None
    if supplied is not None:
        value, method = supplied, "value supplied by the customer"
    elif category == "time_savings":
        if quantity is not None:
            value = quantity * rate
            method = (
                f"{_num(quantity)} hours saved x {_num(rate)} {currency} per hour ({rate_source})"
            )
        else:
            method = "not valued: no hours saved (quantity) supplied"
    elif category == "cost_reduction":
        is_money, why = _money_unit(unit, currency)
        if is_money and baseline is not None and current is not None:
            value = baseline - current
            method = f"previous cost {_num(baseline)} - new cost {_num(current)} {currency}"
        elif why:
            method = f"not valued: {why}"
        elif baseline is None or current is None:
            method = "not valued: baseline and current cost are both needed"
        else:
            method = f"not valued: baseline and current are in {unit or 'no unit'}, not money"
    else:
        method = NOT_VALUED
    return ValueItem(
        category=category,
        label=str(label),
        quarter=quarter,
        baseline=baseline,
        current=current,
        unit=unit,
        quantity=quantity,
        value=value,
        method=method,
    )


VALUE_COLUMNS = ("quarter", "category", "label", "baseline", "current", "unit", "quantity", "value")


def compute_value(
    rows: Sequence[Mapping[str, Any]],
    period: Period,
    *,
    arr: float | None,
    currency: str,
    hourly_rate: float | None,
    config: Config,
) -> Value:
    """The account's value and ROI for the review quarter, with the quarterly trend.

    `rows` are the account's `value` rows as mappings (`quarter` as a quarter index or a
    "YYYYQn" string)."""
    default_rate = num(config, "value.hourly_rate")
    if hourly_rate is not None and hourly_rate > 0:
        rate, rate_source = float(hourly_rate), "the account's hourly_rate"
    else:
        rate, rate_source = default_rate, "config default value.hourly_rate"
    investment = (arr or 0.0) / 4.0
    wanted = {quarter_index(q): q for q in period.previous_quarters}
    review_idx = quarter_index(period.quarter)
    by_quarter: dict[int, list[ValueItem]] = {}
    for row in rows:
        q = row.get("quarter")
        if isinstance(q, str):
            q = quarter_index(q)
        if q is None or q != q or int(q) not in wanted:
            continue
        qi = int(q)
        by_quarter.setdefault(qi, []).append(
            value_item(row, quarter_from_index(qi), rate, rate_source, currency)
        )
    items = tuple(by_quarter.get(review_idx, ()))
    valued = [it for it in items if it.value is not None]
    quarterly = sum(it.value for it in valued if it.value is not None) if valued else None
    roi = quarterly / investment * 100.0 if quarterly is not None and investment > 0 else None
    annualised = quarterly * 4.0 if quarterly is not None else None
    by_category: dict[str, float] = {}
    for it in valued:
        by_category[it.category] = by_category.get(it.category, 0.0) + (it.value or 0.0)
    trend = tuple((q, _quarter_total(by_quarter.get(qi, ()))) for qi, q in sorted(wanted.items()))
    return Value(
        quarter=period.quarter,
        quarterly_value=quarterly,
        investment=investment,
        roi_pct=roi,
        annualised_value=annualised,
        by_category=by_category,
        items=items,
        trend=trend,
        method=_method(period.quarter, items, valued),
        assumptions=_assumptions(items, rate, rate_source, currency, investment, period),
    )


def _quarter_total(items: Sequence[ValueItem]) -> float | None:
    vals = [it.value for it in items if it.value is not None]
    return sum(vals) if vals else None


def _method(quarter: str, items: Sequence[ValueItem], valued: Sequence[ValueItem]) -> str:
    if not items:
        return f"No value was recorded for {quarter}, so no value or ROI is shown."
    unvalued = len(items) - len(valued)
    tail = (
        f"; {unvalued} item(s) without a money basis are listed but not valued" if unvalued else ""
    )
    return (
        f"Quarterly value is the sum of {len(valued)} valued item(s) recorded for {quarter} "
        "(customer-supplied values as given, time savings as hours saved x hourly rate, cost "
        f"reductions as previous - new cost){tail}; ROI = quarterly value / (ARR / 4) x 100."
    )


def _assumptions(
    items: Sequence[ValueItem],
    rate: float,
    rate_source: str,
    currency: str,
    investment: float,
    period: Period,
) -> tuple[str, ...]:
    out = []
    if any(it.category == "time_savings" and " hours saved x " in it.method for it in items):
        out.append(f"hourly rate {_num(rate)} {currency} ({rate_source})")
    out.append(f"quarterly investment = ARR / 4 = {investment:,.2f} {currency}")
    out.append("annualised value = the review quarter's value x 4 (a run rate, not a forecast)")
    out.append("quarters without value data are shown as missing, never filled in or extrapolated")
    skipped = [it for it in items if it.value is None]
    if skipped:
        out.append(
            f"{len(skipped)} item(s) in {period.quarter} not valued: "
            + "; ".join(
                f"{it.label} ({it.method.removeprefix('not valued: ')})" for it in skipped[:5]
            )
        )
    return tuple(out)
