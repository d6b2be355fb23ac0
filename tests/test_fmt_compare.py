"""Rounding half-up as DfE does, and polarity-aware words for change and comparison."""

from __future__ import annotations

from annualreport.chapters.compare import compare_words, describe_change, size_word, target_words
from annualreport.chapters.fmt import format_value, join_words, period_label, round_half_up


def test_half_up_not_bankers() -> None:
    assert str(round_half_up(2.5, 0)) == "3"
    assert str(round_half_up(0.125, 2)) == "0.13"
    assert str(round_half_up(31.05, 1)) == "31.1"
    assert round(2.5) == 2  # what Python would have printed


def test_format_value() -> None:
    assert format_value(19460, "count", 0) == "19,460"
    assert format_value(31.0, "percent", 1) == "31.0%"
    assert format_value(798.5555, "rate_per_10k", 1) == "798.6"
    assert format_value(None, "count", 0, "suppressed") == "[c]"
    assert period_label(2014) == "2013-14"


def test_lower_is_better_falling_is_improvement() -> None:
    change = describe_change(27.6, 31.0, "percent", 1, "low", 1.0, 2013, 2014)
    assert change.direction == "up" and change.judgement == "declined"
    assert change.sentence == "rose from 27.6% in 2012-13 to 31.0% in 2013-14 (up 3.4 percentage points)"
    assert describe_change(16.7, 12.5, "percent", 1, "low", 1.0, 2013, 2014).judgement == "improved"


def test_one_percentage_point_is_singular_and_a_missing_year_is_named() -> None:
    assert describe_change(26.0, 25.0, "percent", 0, "low", 1.0, 2013, 2014).sentence.endswith("(down 1 percentage point)")
    assert describe_change(26.0, 24.0, "percent", 0, "low", 1.0, 2013, 2014).sentence.endswith("(down 2 percentage points)")
    assert describe_change(None, 5, "count", 0, "none", 1.0, 2013, 2014).sentence == (
        "cannot be compared with the previous year, because there is no figure for 2012-13")
    assert join_words(["Hampshire", "Isle of Wight", "Portsmouth", "Southampton"]) == (
        "Hampshire, Isle of Wight, Portsmouth and Southampton")


def test_no_polarity_is_not_judged_and_small_changes_are_no_change() -> None:
    assert describe_change(883, 1079, "count", 0, "none", 1.0, 2013, 2014).judgement == "not judged"
    same = describe_change(243057, 243690, "count", 0, "none", 1.0, 2013, 2014)
    assert same.judgement == "no change" and "much the same as 243,057" in same.sentence
    assert describe_change(None, 5, "count", 0, "none", 1.0, 2013, 2014).judgement == "not available"


def test_comparison_words() -> None:
    assert compare_words(31.0, 23.5, 1, "low") == ("higher than", "worse")
    assert compare_words(12.5, 15.8, 1, "low") == ("lower than", "better")
    assert compare_words(44.3, 42.1, 1, "none") == ("higher than", "")
    assert compare_words(31.04, 30.96, 1, "low") == ("the same as", "")


def test_size_words_follow_the_stated_thresholds() -> None:
    assert describe_change(15528, 19460, "count", 0, "none", 1.0, 2013, 2014).sentence.startswith("rose sharply from 15,528")
    assert describe_change(100, 104, "count", 0, "none", 1.0, 2013, 2014).sentence.startswith("rose slightly from 100")
    assert describe_change(100, 110, "count", 0, "none", 1.0, 2013, 2014).sentence.startswith("rose from 100")
    assert size_word(0.5, "percent") == "slightly " and size_word(6.0, "percent") == "sharply " and size_word(3.4, "percent") == ""


def test_targets_respect_polarity() -> None:
    assert target_words(77.9, 80, "percent", 0, "high") == "against a target of 80%: not met"
    assert target_words(91.0, 90, "percent", 0, "high") == "against a target of 90%: met"
    assert target_words(22.0, 25, "percent", 1, "low") == "against a target of 25%: met"
    assert target_words(None, 25, "percent", 1, "low") == "against a target of 25%: cannot be assessed"
    assert target_words(22.0, 22.5, "percent", 1, "low") == "against a target of 22.5%: met"
