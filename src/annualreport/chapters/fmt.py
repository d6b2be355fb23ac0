"""Number formatting for the report: DfE's half-up rounding, thousands separators, units."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

STATE_WORDS = {
    "suppressed": "[c]",
    "not available": "[x]",
    "not applicable": "[z]",
    "rounds to zero": "[low]",
    "low reliability": "[u]",
}


def round_half_up(value: float, decimals: int) -> Decimal:
    """Round as DfE does (0.05 -> 0.1), never banker's rounding; works on the shortest repr."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def format_number(value: float, decimals: int) -> str:
    return f"{round_half_up(value, decimals):,.{decimals}f}"


def format_value(value: float | None, unit: str, decimals: int, state: str = "value") -> str:
    """'19,460', '31.0%', '798.6', '£37,835'; a symbol such as '[x]' when there is no value."""
    if value is None or state != "value":
        return STATE_WORDS.get(state, "[x]")
    text = format_number(value, decimals)
    return f"{text}%" if unit == "percent" else f"£{text}" if unit == "gbp" else text


def period_label(time_period: int) -> str:
    """The financial year that ends on 31 March of time_period: 2014 -> '2013-14'."""
    return f"{time_period - 1}-{str(time_period)[2:]}"


def join_words(items: list[str]) -> str:
    """A list as a reader says it: 'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""
