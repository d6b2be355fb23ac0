"""The indicator store, checked against values read straight from the published files."""

from __future__ import annotations

import csv
import gc
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO

from annualreport.inputs.params import load_params
from annualreport.project import Project
from annualreport.publication.suppression import SUPPRESSED
from annualreport.store import KEYS_DIR, PUBLIC_STORE, STORE_CSV, STORE_META
from annualreport.store.chapter_part import chapter_store_file
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


def test_figures_and_series_read_the_rows_of_the_table(tmp_path: Path) -> None:
    """A figure is its row of the table (missing quartiles None, in the table's order); a series is a
    new frame each time, so a chapter that changes one changes no other."""
    project = Project(REPO)
    build_store(project, load_params(project, "kingston-richmond", "2023-24"), tmp_path)
    store = Store.load(tmp_path)
    records = store.frame.to_dict("records")
    for row in records[::37]:
        f = store.figure(row["indicator"], row["area_type"], int(row["time_period"]), row["area_code"])
        first = next(r for r in records if (r["indicator"], r["area_type"], r["time_period"], r["area_code"])
                     == (row["indicator"], row["area_type"], row["time_period"], row["area_code"]))
        assert (f.area_name, f.state, f.note) == (first["area_name"], first["state"], first["note"])
        assert f.quartile == (None if pd.isna(first["quartile"]) else int(first["quartile"]))
        assert f.value == (None if pd.isna(first["value"]) else float(first["value"]))
    frame = store.frame
    expected = frame[(frame.indicator == "cp_rate") & frame.area_type.isin(["partnership", "england"])]
    taken = store.series("cp_rate", ["partnership", "england"])
    pd.testing.assert_frame_equal(taken, expected)
    taken.loc[:, "value"] = -1.0
    pd.testing.assert_frame_equal(store.series("cp_rate", ["partnership", "england"]), expected)
    assert set(store.series("cp_rate").area_type) == set(frame[frame.indicator == "cp_rate"].area_type)


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


def test_the_store_rows_kept_for_the_chapters_keys_are_left_out_of_garbage_collections(tmp_path: Path) -> None:
    """A batch keeps the rows of the last stores read (for the chapters' cache keys): as tuples of
    text, which the garbage collector stops tracking, so its full collections do not walk them."""
    (tmp_path / STORE_CSV).write_text("indicator,area_type,value\nreferrals,partnership,12\ncp_plans,england,7\n",
                                      encoding="utf-8")
    (tmp_path / STORE_META).write_text('{"indicators": {"referrals": {}, "cp_plans": {}}}', encoding="utf-8")
    (tmp_path / KEYS_DIR).mkdir()
    chapter_store_file(tmp_path, "front_door", 'ch.headline("referrals")')
    gc.collect()
    kept = [row for row in gc.get_objects() if type(row) in (list, tuple) and len(row) == 3
            and all(type(cell) is str for cell in row) and tuple(row[:2]) == ("referrals", "partnership")]
    assert not kept and "referrals,partnership,12" in (tmp_path / KEYS_DIR / "store-front_door.json").read_text()
