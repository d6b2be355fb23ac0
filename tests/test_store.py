"""The indicator store, checked against values read straight from the published files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from annualreport.inputs.params import load_params
from annualreport.project import Project
from annualreport.publication.suppression import SUPPRESSED
from annualreport.store import PUBLIC_STORE, STORE_CSV, STORE_META
from annualreport.store.figures import Store, build_store, write_public_store

C1 = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
D5 = "d5_cpps_at31march_by_duration_2013_to_2025.csv"
POP = "ons_mid-year_population_estimates_2012_to_2024.csv"


def raw(file: str, column: str, period: int, la_code: str | None = None) -> str:
    with (REPO / "data" / "national" / file).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            level_ok = row["geographic_level"] == ("Local authority" if la_code else "National")
            if row["time_period"] == str(period) and level_ok and (la_code is None or row["old_la_code"] == la_code):
                return row[column]
    raise LookupError((file, column, period, la_code))


@pytest.fixture(scope="module")
def lancashire(tmp_path_factory: pytest.TempPathFactory) -> Store:
    project = Project(REPO)
    return build_store(project, load_params(project, "lancashire", "2013-14"), tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def kingston_richmond(tmp_path_factory: pytest.TempPathFactory) -> Store:
    project = Project(REPO)
    return build_store(project, load_params(project, "kingston-richmond", "2023-24"), tmp_path_factory.mktemp("store"))


def test_issue_figures(lancashire: Store) -> None:
    assert lancashire.figure("referrals").value == 19460
    assert lancashire.figure("rereferral_percent").value == 31.0
    assert lancashire.figure("cp_plans").value == 1079
    assert lancashire.figure("cp_plans", "england").value == float(raw(D5, "CPP_At31", 2014))
    assert lancashire.figure("referrals", "england").value == float(raw(C1, "referral_count", 2014))


def test_rates_use_the_mid_year_population_before_31_march(lancashire: Store) -> None:
    population = float(raw(POP, "population_estimate", 2013, "888"))
    assert lancashire.figure("child_population").value == population
    assert lancashire.figure("cp_rate").value == pytest.approx(1079 / population * 10_000)


def test_history_years_without_data_are_not_available_with_a_reason(lancashire: Store) -> None:
    f = lancashire.figure("referrals", period=2011)
    assert f.value is None and f.state == "not available"
    assert "no data for Lancashire in 2010-11" in f.note


def test_store_round_trips_through_csv(lancashire: Store, tmp_path: Path) -> None:
    project = Project(REPO)
    build_store(project, load_params(project, "lancashire", "2013-14"), tmp_path)
    again = Store.load(tmp_path)
    for ind in ("referrals", "rereferral_percent", "cp_rate"):
        assert again.figure(ind).value == pytest.approx(lancashire.figure(ind).value)
        assert again.figure(ind, "sn_mean").value == pytest.approx(lancashire.figure(ind, "sn_mean").value)


def test_partnership_of_two_councils_sums_counts_and_recomputes_rates(kingston_richmond: Store) -> None:
    referrals = [float(raw(C1, "referral_count", 2024, c)) for c in ("314", "318")]
    rereferrals = [float(raw(C1, "rereferral_count", 2024, c)) for c in ("314", "318")]
    assert kingston_richmond.figure("referrals").value == sum(referrals)
    # recomputed from summed counts, not the mean of the two published percentages
    assert kingston_richmond.figure("rereferral_percent").value == pytest.approx(sum(rereferrals) / sum(referrals) * 100)
    for code in ("314", "318"):
        assert kingston_richmond.figure("rereferral_percent", "member", area_code=code).value == float(raw(C1, "rereferral_percent", 2024, code))


def test_statistical_neighbours_mean_excludes_members(kingston_richmond: Store) -> None:
    codes = kingston_richmond.meta["statistical_neighbours"]["codes"]
    assert "314" not in codes and "318" not in codes and len(codes) >= 10
    values = [float(raw(C1, "rereferral_percent", 2024, c)) for c in codes]
    assert kingston_richmond.figure("rereferral_percent", "sn_mean").value == pytest.approx(sum(values) / len(values))


def test_counts_have_no_neighbour_comparator(lancashire: Store) -> None:
    assert lancashire.figure("referrals", "sn_mean").state == "not applicable"


def test_polarity_comes_from_dfe_dictionary(lancashire: Store) -> None:
    assert lancashire.indicator("rereferral_percent")["polarity"] == "low"
    assert lancashire.indicator("referrals")["polarity"] == "none"


@pytest.mark.parametrize("example", ["lancashire_build", "hipss_build"])  # hipss: small counts, local figures hidden
def test_the_public_view_written_for_the_chapters_is_the_one_they_would_make(example: str, tmp_path: Path,
                                                                            request: pytest.FixtureRequest) -> None:
    build = request.getfixturevalue(example)
    for name in (STORE_CSV, STORE_META):
        shutil.copyfile(build / name, tmp_path / name)
    made = Store.load_public(tmp_path)  # no file yet: made as a chapter run by hand makes it
    assert not (tmp_path / PUBLIC_STORE).exists()
    write_public_store(tmp_path)
    read = Store.load_public(tmp_path)
    assert (made.frame.state == SUPPRESSED).sum() > 0  # something is suppressed in both
    assert list(read.frame.dtypes) == list(made.frame.dtypes)
    assert read.frame.equals(made.frame) and read.meta == made.meta
