"""The chapters that show national figures, in real builds of Lancashire 2013-14 and 2017-18."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from annualreport.chapters.chapter import _areas


# lancashire_build (2013-14) and lancashire_2017 (2017-18) are shared builds (conftest.py).


def chapter_text(build: Path, chapter: str) -> str:
    """Everything a chapter showed: its outputs' Markdown and text, with Markdown's backslash escapes removed."""
    nb = json.loads((build / "chapters" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            text = data.get("text/markdown") or data.get("text/plain") or o.get("text") or ""
            out.append("".join(text))
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(out))  # table text is escaped Markdown: read it as shown


def all_x_rows(build: Path) -> list[tuple[str, str]]:
    """(table, indicator) whose partnership row is [x] in every year, over every table of the report."""
    bad = []
    name = json.loads((build / "store.json").read_text(encoding="utf-8"))["short_name"]
    for path in sorted((build / "public" / "data").glob("*table*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f) if r.get("area") == name]
        by_indicator: dict[str, list[str]] = {}
        for r in rows:
            by_indicator.setdefault(r["indicator"], []).append(r["value"])
        bad += [(path.name, ind) for ind, values in by_indicator.items() if all(v == "[x]" for v in values)]
    return bad


def test_lancashire_2013_14_states_children_looked_after_with_history_back_to_2011(lancashire_build: Path) -> None:
    text = chapter_text(lancashire_build, "looked_after")
    assert ("In Lancashire, the number of **children looked after at 31 March** was 1,592 in 2013-14. "
            "This was a rise from 1,475 in 2012-13") in text
    assert "England had 68,840" in text
    assert "| Children looked after at 31 March | Lancashire | 1,296 | 1,324 | 1,475 | 1,592 |" in text
    assert "Not available for 2009-10: the national files held here start in 2010-11" in text
    assert "We computed the figures for 2012-13 to 2013-14" in text  # the rate: DfE's SFR published none


def test_lancashire_2017_18_states_the_pathway_and_plans_by_category(lancashire_2017: Path) -> None:
    cp = chapter_text(lancashire_2017, "child_protection")
    assert "In Lancashire, the number of **section 47 enquiries** was 4,485 in 2017-18. This was a fall from 5,470 in 2016-17" in cp
    assert ("the number of **initial child protection conferences** was 1,682 in 2017-18. "
            "This was a sharp fall from 2,277 in 2016-17") in cp
    assert "| Child protection plans at 31 March (category breakdown) | Lancashire | 1,079 | 936 | 1,460 | 1,406 | 1,245 |" in cp
    assert "| Plans at 31 March: neglect | Lancashire | 451 | 282 | 489 | 431 | 426 |" in cp
    assert "| Plans at 31 March: emotional abuse | Lancashire | 373 | 374 | 696 | 596 | 498 |" in cp
    cla = chapter_text(lancashire_2017, "looked_after")
    assert "to 1,950 in 2017-18" in cla and "to 79 in 2017-18" in cla
    assert "DfE's releases for 2014-15 to 2016-17 publish no placement-stability figures by local authority" in cla


@pytest.mark.parametrize("which", ["2013-14", "2017-18"])
def test_no_table_has_a_partnership_row_of_only_x(which: str, lancashire_build: Path, lancashire_2017: Path) -> None:
    build = lancashire_build if which == "2013-14" else lancashire_2017
    assert all_x_rows(build) == []


def test_appendix_names_each_release_and_the_store_each_figures_source(lancashire_2017: Path) -> None:
    appendix = chapter_text(lancashire_2017, "appendix")
    assert "we use the latest release that covers it" in appendix
    assert "SFR36/2014" in appendix and "year ending 31 March 2022" in appendix
    with (lancashire_2017 / "store.csv").open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["indicator"] == "cla_at31" and r["area_type"] == "partnership"]
    sources = {r["time_period"]: r["source"] for r in rows}
    assert sources["2014"].startswith("SFR36_CLA2014.csv (SFR36/2014")
    assert sources["2018"].startswith("cla_number_and_rate_per_10k_children.csv (") and "31 March 2022" in sources["2018"]


def test_a_tables_areas_come_once_each_in_the_order_of_their_first_row() -> None:
    """A table's rows: each area of the series once, where its first row is, named as that row names
    it, as grouping the frame by area type and code (unsorted) gives them."""
    series = pd.DataFrame({"area_type": ["member", "partnership", "member", "england", "member", "partnership"],
                           "area_code": ["888", "partnership", "889", "E92000001", "888", "partnership"],
                           "area_name": ["Lancashire", "Pennine", "Blackburn", "England", "Lancashire (old)",
                                         "Pennine"]})
    areas = list(_areas(series).items())
    assert areas == [(("member", "888"), "Lancashire"), (("partnership", "partnership"), "Pennine"),
                     (("member", "889"), "Blackburn"), (("england", "E92000001"), "England")]
    assert areas == [(key, group.area_name.iloc[0])
                     for key, group in series.groupby(["area_type", "area_code"], sort=False)]
