"""The store against the published files: pinned figures for several LAs and years, every
English LA in every year, and the `indicators` command."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from annualreport.inputs.params import Member, Partnership, ReportParams, ReportYear
from annualreport.project import Project
from annualreport.inputs.reference import local_authorities
from annualreport.store.figures import Store, build_store

PROJECT = Project(REPO)


def store_for(codes: list[str], year: str, history_years: int = 4) -> Store:
    """The store of a partnership of the given councils, built in memory."""
    las = local_authorities(PROJECT.reference_dir)
    members = [Member(name=las[c].name, la_code=c, gss_code="E00000000") for c in codes]
    partnership = Partnership(name="Test", short_name="Test", members=members, region=las[codes[0]].region)
    report = ReportYear(year=year, chapters=["summary"], history_years=history_years)
    return build_store(PROJECT, ReportParams("test", partnership, report, Path(), Path()))


FIRST, LAST = 2014, 2025  # the years (ending 31 March) the national files cover
EVERY_YEAR = dict(year=f"{LAST - 1}-{str(LAST)[2:]}", history_years=LAST - FIRST)  # one store showing them all


def member_rows(store: Store, period: int) -> list[tuple]:
    year = store.frame[(store.frame.area_type == "member") & (store.frame.time_period == period)]
    return sorted(zip(year.indicator, year.value.fillna(-1), year.state, year.note))


# Figures read by eye from the published files (data/national), pinned here.
PINNED = [
    # (LA, report year, indicator, period, value or state)
    ("888", "2013-14", "referrals", 2014, 19460),
    ("888", "2013-14", "rereferral_percent", 2014, 31.0),
    ("888", "2013-14", "cp_plans", 2014, 1079),
    ("888", "2013-14", "cp_2years", 2014, 13),
    ("888", "2017-18", "referrals", 2018, 11398),
    ("888", "2017-18", "rereferral_percent", 2018, 19.7),
    ("888", "2023-24", "referrals", 2024, 6419),
    ("888", "2023-24", "rereferral_percent", 2024, 16.6),
    ("314", "2017-18", "referrals", 2018, 1044),
    ("314", "2017-18", "rereferral_percent", 2018, 13.8),
    ("314", "2017-18", "cp_plans", 2018, 138),
    ("314", "2017-18", "cin_at31", 2018, 785),
    ("314", "2023-24", "referrals", 2024, 1543),
    ("314", "2023-24", "cp_plans", 2024, 163),
    ("318", "2013-14", "referrals", 2014, 943),
    ("318", "2013-14", "rereferral_percent", 2014, 12.9),
    ("318", "2013-14", "cp_plans", 2014, 90),
    ("318", "2023-24", "rereferral_percent", 2024, 15.3),
    ("318", "2020-21", "cp_2years", 2021, "suppressed"),  # published as 'c'
]


@pytest.mark.parametrize("la,year,indicator,period,expected", PINNED)
def test_pinned_figures(la: str, year: str, indicator: str, period: int, expected: float | str) -> None:
    figure = store_for([la], year).figure(indicator, "member", period, area_code=la)
    if isinstance(expected, str):
        assert figure.state == expected and figure.value is None
    else:
        assert figure.state == "value" and figure.value == pytest.approx(expected)


def test_england_values_and_comparators() -> None:
    store = store_for(["888"], "2013-14")
    assert store.figure("referrals", "england").value == 657780
    assert store.figure("rereferral_percent", "england").value == 23.5
    assert store.figure("cp_plans", "england").value == 48300
    assert store.figure("rereferral_percent", "region").area_name == "North West"
    f = store.figure("rereferral_percent")
    assert (f.direction, f.judgement, f.rag) == ("up", "declined", "red")
    assert f.quartile == 4  # 31.0% re-referrals: among the highest (worst) in England that year
    assert store.figure("cp_2years_percent").quartile in (1, 2)


@pytest.fixture(scope="module")
def every_council() -> Store:
    """One store whose members are every council in England, with every year in its history. A
    member's figures do not depend on the other members (the test below checks this), so this one
    store holds each council's figures as its own report's store would, at a sixth of the cost of
    153 stores."""
    return store_for(sorted(local_authorities(PROJECT.reference_dir)), **EVERY_YEAR)


@pytest.mark.slow
@pytest.mark.xdist_group("every-council")
def test_every_la_every_year_has_figures_or_a_reason(every_council: Store) -> None:
    las = local_authorities(PROJECT.reference_dir)
    national = [i for i, info in every_council.meta["indicators"].items() if not info.get("local")]
    members = every_council.frame[every_council.frame.area_type == "member"]
    assert sorted(members.area_code.unique()) == sorted(las)
    sizes = members.groupby(["area_code", "time_period"]).size()
    assert len(sizes) == len(las) * (LAST - FIRST + 1) and members.time_period.between(FIRST, LAST).all()
    assert (sizes == len(national)).all()  # no local inputs here: the national indicators only
    values = members[members.state == "value"]
    assert values.value.notna().all()
    for code, end, state, note in zip(members.area_code, members.time_period, members.state, members.note):
        if state != "value":  # no data for the council that year, a symbol the publisher gave instead, a series
            # or breakdown not published that year, or a council that did not exist: each with its reason
            label = f"{end - 1}-{str(end)[2:]}"
            period = f"{las[code].name} in {label}"
            reasons = (f"no data for {period}", f"published as {state} for {period}",
                       f"not available for {label}: ", f"DfE published no figure for {label}")
            changed = (f" did not exist in {label}: it ", f" no longer existed in {label}: it ")
            assert note.startswith(reasons) or any(c in note for c in changed), (code, end, state, note)
    without = set(sizes.index) - set(zip(values.area_code, values.time_period))
    # Councils that were replaced have no figures after they stopped, each with its reason above.
    assert ("928", 2022) in without  # Northamptonshire, split in 2021
    assert ("909", 2024) in without  # Cumbria, reorganised in 2023
    assert ("888", 2024) not in without


@pytest.mark.xdist_group("every-council")  # one worker builds the store of every council
@pytest.mark.parametrize("code", ["888", "318", "928", "909"])  # two councils as they are, two reorganised
def test_a_councils_figures_are_its_own_whoever_else_is_in_the_store(code: str, every_council: Store) -> None:
    """What lets the test above read every council from one store: a council's rows (figures, states,
    notes, judgements, quartiles) are the same in a store of its own as in the store of every council."""
    own = store_for([code], **EVERY_YEAR)
    theirs = every_council.frame[(every_council.frame.area_type == "member") & (every_council.frame.area_code == code)]
    mine = own.frame[own.frame.area_type == "member"]
    assert len(mine) > 0 and theirs.reset_index(drop=True).equals(mine.reset_index(drop=True))


@pytest.mark.parametrize("code", ["888", "318", "928", "909"])  # two councils as they are, two reorganised
def test_a_year_has_the_same_figures_in_its_own_report_as_in_a_later_reports_history(code: str) -> None:
    """What lets the test above read every year from one store per council: a council's figures for
    a year are the same whichever report year's store shows them."""
    every = store_for([code], **EVERY_YEAR)
    for end in range(FIRST, LAST + 1):
        own = store_for([code], f"{end - 1}-{str(end)[2:]}")
        assert member_rows(own, end) == member_rows(every, end), (code, end)


def test_indicators_command_writes_csv_with_england_beside(project: Path) -> None:
    proc = run_cli(project, "indicators", "--partnership", "lancashire", "--year", "2013-14", "--project", str(project))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    now = {r["indicator"]: r for r in rows if r["area_type"] == "partnership" and r["year"] == "2013-14"}
    assert (now["referrals"]["formatted"], now["referrals"]["england"]) == ("19,460", "657780")
    assert (now["rereferral_percent"]["formatted"], now["rereferral_percent"]["england"]) == ("31.0%", "23.5")
    assert (now["cp_plans"]["formatted"], now["cp_plans"]["england"]) == ("1,079", "48300")
    assert now["rereferral_percent"]["sn_mean"] and now["rereferral_percent"]["sn_median"]
