"""Change over time and comparison, with words that respect polarity.

An arrow says which way a figure moved; the judgement says whether that is better or worse,
which depends on the indicator's polarity (for re-referrals lower is better). Changes within
the tolerance (a relative change, in percent) are 'no change'. Percentages change by
percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from annualreport.chapters.fmt import format_number, format_value, period_label, round_half_up

# Size words, stated in every report's methodology: a change is "slight" below the first threshold
# and "sharp" from the second (relative % for counts and rates; percentage points for percentages).
SIZE_THRESHOLDS = {"relative": (5.0, 20.0), "points": (1.0, 5.0)}
SIZE_RULE = ("a change is called slight when it is under 5% (under 1 percentage point for percentages) and "
             "sharp when it is 20% or more (5 percentage points or more)")


ADJECTIVE = {"slightly": "slight", "sharply": "sharp"}


def size_word(change: float, unit: str) -> str:
    slight, sharp = SIZE_THRESHOLDS["points" if unit == "percent" else "relative"]
    return "slightly " if abs(change) < slight else "sharply " if abs(change) >= sharp else ""


def target_words(value: float | None, target: float, unit: str, decimals: int, polarity: str) -> str:
    """'against a target of 80%: not met' (met when at or beyond the target in the better direction)."""
    shown = format_value(target, unit, decimals if target != int(target) else 0)  # 'a target of 80%', not 80.0%
    if value is None:
        return f"against a target of {shown}: cannot be assessed"
    v, t = round_half_up(value, decimals), round_half_up(target, decimals)
    met = v >= t if polarity != "low" else v <= t
    return f"against a target of {shown}: {'met' if met else 'not met'}"


@dataclass(frozen=True)
class Change:
    direction: str  # "up", "down", "same" or "unknown"
    judgement: str  # "improved", "declined", "no change", "not judged" or "not available"
    sentence: str   # e.g. "rose from 1,011 in 2012-13 to 1,079 in 2013-14 (up 6.7%)"
    since: str = ""  # the same change from the previous year only, e.g. "a rise from 1,011 in 2012-13 (up 6.7%)"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "same": "►"}.get(self.direction, "–")


def judge_change(previous: float | None, current: float | None, decimals: int, polarity: str,
                 tolerance: float) -> tuple[str, str]:
    """(direction, judgement) of a change, as `describe_change` gives them, without its sentences:
    what the store records for every figure (tens of thousands per report)."""
    if previous is None or current is None:
        return "unknown", "not available"
    # Compare what the reader sees: rounded values, so the words never contradict the figures.
    prev_r, cur_r = round_half_up(previous, decimals), round_half_up(current, decimals)
    direction = "same" if cur_r == prev_r else "up" if cur_r > prev_r else "down"
    if cur_r == prev_r or abs(_relative(prev_r, cur_r)) < tolerance:
        return direction, "no change"
    if polarity == "none":
        return direction, "not judged"
    return direction, "improved" if (direction == "up") == (polarity == "high") else "declined"


def _relative(prev_r: Decimal, cur_r: Decimal) -> float:
    """The relative change between two rounded values, in percent (0 from 0)."""
    return float((cur_r - prev_r) / prev_r * 100) if prev_r else 0.0


def describe_change(previous: float | None, current: float | None, unit: str, decimals: int,
                    polarity: str, tolerance: float, prev_period: int, period: int) -> Change:
    """Compare two values of one indicator; all arguments as stored (unrounded)."""
    direction, judgement = judge_change(previous, current, decimals, polarity, tolerance)
    if previous is None or current is None:
        missing = period_label(prev_period) if previous is None else period_label(period)
        return Change(direction, judgement,
                      f"cannot be compared with the previous year, because there is no figure for {missing}",
                      f"not comparable with the previous year, as there is no figure for {missing}")
    prev_text = format_value(previous, unit, decimals)
    cur_text = format_value(current, unit, decimals)
    if judgement == "no change":
        words = f"was {cur_text} in {period_label(period)}, much the same as {prev_text} in {period_label(prev_period)}"
        return Change(direction, judgement, words, f"much the same as {prev_text} in {period_label(prev_period)}")
    prev_r, cur_r = round_half_up(previous, decimals), round_half_up(current, decimals)
    verb = "rose" if direction == "up" else "fell"
    if unit == "percent":
        points = format_number(abs(float(cur_r - prev_r)), decimals)
        size = f"{points} percentage point{'' if points == '1' else 's'}"
        adverb = size_word(float(cur_r - prev_r), unit).strip()
    else:
        relative = _relative(prev_r, cur_r)
        size = f"{format_number(abs(relative), 0)}%"
        adverb = size_word(relative, unit).strip()
    verb = f"{verb} {adverb}".strip()
    moved = f"({'up' if direction == 'up' else 'down'} {size})"
    sentence = f"{verb} from {prev_text} in {period_label(prev_period)} to {cur_text} in {period_label(period)} {moved}"
    noun = f"{ADJECTIVE.get(adverb, '')} {'rise' if direction == 'up' else 'fall'}".strip()
    since = f"{'an' if noun[0] in 'aeiou' else 'a'} {noun} from {prev_text} in {period_label(prev_period)} {moved}"
    return Change(direction, judgement, sentence, since)


def compare_words(value: float | None, other: float | None, decimals: int, polarity: str) -> tuple[str, str]:
    """('higher than' | 'lower than' | 'the same as', 'better' | 'worse' | '') on rounded values."""
    if value is None or other is None:
        return "not comparable with", ""
    a, b = round_half_up(value, decimals), round_half_up(other, decimals)
    if a == b:
        return "the same as", ""
    higher = a > b
    word = "higher than" if higher else "lower than"
    if polarity == "none":
        return word, ""
    return word, "better" if higher == (polarity == "high") else "worse"
