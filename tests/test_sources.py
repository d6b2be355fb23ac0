"""Every national source read through data/national/catalog.yml, pinned to figures DfE published.

Each pin is a value as printed in that file (Lancashire 888, Leicestershire 855 and England, and
README spot checks in data/national/history/SOURCES.md), read back through the catalog's mapping
onto canonical names, so a wrong rename, label, layout or release shows here first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from annualreport.store.indicators import INDICATORS
from annualreport.store.sources import dataset_frame, load_catalog, normalised
from annualreport.store.figures import Area, area_figure

NATIONAL = (REPO / "data" / "national").resolve()
H = "history/"
CLA22, CLA23, CLA24 = (H + "cla_ees_2022_release_2018_to_2022/", H + "cla_ees_2023_release_2019_to_2023/",
                       H + "cla_ees_2024_release_2020_to_2024/")
CIN22 = H + "cin_ees_2022_release_2013_to_2022/"
SFR = H + "cla_sfr_underlying_2011_to_2017/"
AT31 = {"population_type": "Children looked after on 31 March each year"}
EET = {"care_leaver_age": "19 to 21 years", "breakdown": "Total in education, employment or training"}
SUITABLE = {"care_leaver_age": "19 to 21 years", "breakdown": "Accommodation considered suitable"}
THREE = {"cla_group": "CLA on 31 March", "placement_stability": "With 3 or more placements during the year"}
INCIDENTS = {"cla_group": "Number of missing incidents during the year"}
MISSING = {"cla_group": "Children who had a missing incident during the year"}


def cell(path: str, dataset: str, column: str, code: str, period: int, filters: dict[str, str] | None = None) -> str:
    """One cell of one file, as the catalog maps it (code: 'E' for England, else a DfE LA code)."""
    frame = normalised(NATIONAL, path, dataset)
    level = "National" if code == "E" else "Local authority"
    sel = frame[(frame.level == level) & (frame.code == ("E92000001" if code == "E" else code)) & (frame.time_period == period)]
    for key, value in (filters or {}).items():
        sel = sel[sel[key] == value]
    assert len(sel) == 1, (path, column, code, period, len(sel))
    return str(sel.iloc[0][column])


# (file, dataset, column, filters, period, {area: value as published})
PINS = [
    # children looked after at 31 March: the old SFR files, one a year (no rates), then three EES releases
    (SFR + "2011/SFR21_CLA.csv", "cla_number", "children_count", AT31, 2011, {"E": "65520", "888": "1296", "855": "352"}),
    (SFR + "2012/SFR20_CLA2012.csv", "cla_number", "children_count", AT31, 2012, {"E": "67050", "888": "1324", "855": "373"}),
    (SFR + "2013/SFR36_CLA2013.csv", "cla_number", "children_count", AT31, 2013, {"E": "68110", "888": "1475", "855": "435"}),
    (SFR + "2014/SFR36_CLA2014.csv", "cla_number", "children_count", AT31, 2014, {"E": "68840", "888": "1592", "855": "456"}),
    (SFR + "2015/SFR34_CLA2015.csv", "cla_number", "children_count", AT31, 2015, {"E": "69540", "888": "1609", "855": "472"}),
    (SFR + "2016/SFR41_CLA2016.csv", "cla_number", "children_count", AT31, 2016, {"E": "70440", "888": "1665", "855": "469"}),
    (SFR + "2017/SFR50_CLA2017.csv", "cla_number", "children_count", AT31, 2017, {"E": "72670", "888": "1848", "855": "509"}),
    (CLA22 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "children_count", AT31, 2018, {"E": "75360", "888": "1950", "855": "554"}),
    (CLA22 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "rate_per_10000", AT31, 2018, {"E": "64", "888": "79", "855": "40"}),
    (CLA23 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "children_count", AT31, 2019, {"E": "78140", "888": "2115", "855": "583"}),
    (CLA23 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "rate_per_10000", AT31, 2019, {"E": "66", "888": "85", "855": "42"}),
    (CLA24 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "children_count", AT31, 2020, {"E": "80000", "888": "2095", "855": "654"}),
    (CLA24 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "rate_per_10000", AT31, 2020, {"E": "68", "888": "84", "855": "47"}),
    # care leavers aged 19 to 21: EET and suitable accommodation (SFR: EET is the sum of HE, other education, training or employment)
    (SFR + "2014/SFR36_FormerCareLeavers2014.csv", "care_leavers_activity", "care_leaver_count", EET, 2014,
     {"E": "12310", "888": "175", "855": "x"}),
    (SFR + "2015/SFR34_FormerCareLeavers2015.csv", "care_leavers_activity", "care_leaver_count", EET, 2015,
     {"E": "12590", "888": "134", "855": "93"}),
    (SFR + "2016/SFR41_CareLeavers2016.csv", "care_leavers_accommodation", "care_leaver_count", SUITABLE, 2016,
     {"E": "21500", "888": "321", "855": "137"}),
    (SFR + "2016/SFR41_Missing2016.csv", "missing", "number", MISSING, 2016, {"E": "8670", "888": "136", "855": "68"}),
    (SFR + "2017/SFR50_CareLeavers19to212017.csv", "care_leavers_activity", "care_leaver_count", EET, 2017,
     {"E": "13400", "888": "172", "855": "x"}),
    (SFR + "2014/SFR36_FormerCareLeavers2014.csv", "care_leavers_accommodation", "care_leaver_count", SUITABLE, 2014,
     {"E": "21120", "888": "336", "855": "118"}),
    (CLA22 + "la_care_leavers_activity.csv", "care_leavers_activity", "care_leaver_count", EET, 2018, {"E": "14640", "888": "188", "855": "83"}),
    (CLA22 + "la_care_leavers_activity.csv", "care_leavers_activity", "care_leaver_percent", EET, 2018, {"E": "51", "888": "43", "855": "48"}),
    (CLA23 + "la_care_leavers_activity.csv", "care_leavers_activity", "care_leaver_count", EET, 2019, {"E": "15640", "888": "251", "855": "104"}),
    (CLA24 + "la_care_leavers_activity.csv", "care_leavers_activity", "care_leaver_count", EET, 2020, {"E": "16430", "888": "260", "855": "120"}),
    (CLA22 + "la_care_leavers_accommodation_suitability.csv", "care_leavers_accommodation", "care_leaver_count", SUITABLE, 2018,
     {"E": "23480", "888": "389", "855": "154"}),
    (CLA23 + "la_care_leavers_accommodation_suitability.csv", "care_leavers_accommodation", "care_leaver_percent", SUITABLE, 2019,
     {"E": "85", "888": "94", "855": "90"}),
    (CLA24 + "la_care_leavers_accommodation_suitability.csv", "care_leavers_accommodation", "care_leaver_count", SUITABLE, 2020,
     {"E": "26350", "888": "551", "855": "183"}),
    # placement stability: 3 or more placements (SFR CLA_3Pla; EES 2022 `characteristic`, later `placement_stability`)
    (SFR + "2014/SFR36_CLA2014.csv", "placement_stability", "children_count", THREE, 2014, {"E": "7520", "888": "136", "855": "53"}),
    (CLA22 + "la_cla_at_31_march_placement_stability_indicator.csv", "placement_stability", "children_count", THREE, 2018,
     {"E": "8080", "888": "190", "855": "51"}),
    (CLA23 + "la_cla_placement_stability.csv", "placement_stability", "children_percent", THREE, 2019, {"E": "11", "888": "11", "855": "9"}),
    (CLA24 + "la_cla_placement_stability.csv", "placement_stability", "children_count", THREE, 2020, {"E": "8700", "888": "177", "855": "51"}),
    # missing from care (EES 2022 `cla_group`, 2023 on `CLA_group`; SFR files from 2015)
    (SFR + "2015/SFR34_Missing2015.csv", "missing", "number", MISSING, 2015, {"E": "6110", "888": "117", "855": "21"}),
    (SFR + "2017/SFR50_Missing_2017.csv", "missing", "number", INCIDENTS, 2017, {"E": "60720", "888": "909", "855": "396"}),
    (CLA22 + "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv", "missing", "number", INCIDENTS, 2018,
     {"E": "70170", "888": "1151", "855": "286"}),
    (CLA23 + "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv", "missing", "number", INCIDENTS, 2019,
     {"E": "74010", "888": "1501", "855": "343"}),
    (CLA24 + "la_children_who_were_missing_or_away_from_placement_without_authorisation.csv", "missing", "number", INCIDENTS, 2020,
     {"E": "81430", "888": "2005", "855": "270"}),
    # children in need census: the 2022 release's breakdowns and the 2025 section 47 file
    (CIN22 + "c4_children_in_need_section_47s_and_icpcs_2013_to_2022.csv", "s47_icpc", "Section47", {}, 2018,
     {"E": "198090", "888": "4485", "855": "1226"}),
    (CIN22 + "c4_children_in_need_section_47s_and_icpcs_2013_to_2022.csv", "s47_icpc", "Section47_rate", {}, 2018,
     {"E": "166.9", "888": "181", "855": "88.6"}),
    (H + "cin_ees_2025_release/c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv", "s47_icpc", "ICPC", {}, 2025,
     {"E": "72100", "888": "1374", "855": "748"}),
    (CIN22 + "d4_cpps_at31march_by_category_of_abuse_2013_to_2022.csv", "cpp_category_at31", "Neglect_Initial", {}, 2018,
     {"E": "25820", "888": "426", "855": "202"}),
    (CIN22 + "d4_cpps_at31march_by_category_of_abuse_2013_to_2022.csv", "cpp_category_at31", "Emotional_Initial", {}, 2018,
     {"E": "18860", "888": "498", "855": "95"}),
    (CIN22 + "d2_cpps_starting_by_category_of_abuse_2013_to_2022.csv", "cpp_category_starts", "CPP_start", {}, 2018,
     {"E": "68770", "888": "1513", "855": "537"}),
    (CIN22 + "b3_cin_primary_need_2013_to_2022.csv", "cin_primary_need", "N1_Abuse_or_neglect", {}, 2018,
     {"E": "215270", "888": "5673", "855": "957"}),
    (CIN22 + "c2_children_in_need_assessments_duration_2014_to_2022.csv", "assessments", "Assessments_completed", {}, 2018,
     {"E": "631090", "888": "14846", "855": "4447"}),
    (CIN22 + "c2_children_in_need_assessments_duration_2014_to_2022.csv", "assessments", "Within_45_days", {}, 2018,
     {"E": "521870", "888": "11623", "855": "3687"}),
    (CIN22 + "c5_children_in_need_referrals_by_source_2014_to_2022.csv", "referral_sources", "Police", {}, 2018,
     {"E": "186920", "888": "3693", "855": "2218"}),
    (CIN22 + "d6_cpps_reviewed_within_timescales_2013_to_2022.csv", "cpp_reviews", "Reviewed_within_timescales_percent", {}, 2018,
     {"E": "90.5", "888": "93.3", "855": "94.9"}),
]


@pytest.mark.parametrize("path, dataset, column, filters, period, expected", PINS,
                         ids=[f"{Path(p[0]).name}:{p[2]}:{p[4]}" for p in PINS])
def test_each_source_gives_the_published_figures(path: str, dataset: str, column: str, filters: dict, period: int,
                                                 expected: dict[str, str]) -> None:
    for code, value in expected.items():
        got = cell(path, dataset, column, code, period, filters)
        assert got == value or float(got) == float(value), (code, got, value)


def test_every_catalogued_file_is_pinned_or_shipped() -> None:
    """Each history file of the catalog has a pin above (the shipped files have theirs in test_store)."""
    pinned = {p[0] for p in PINS}
    catalog = load_catalog(NATIONAL)
    history = {f.path for f in catalog.files if f.path.startswith(H)}
    unpinned = sorted(history - pinned)
    assert not unpinned, unpinned


def test_every_catalogued_file_is_in_the_folder_and_nothing_else_is() -> None:
    catalog = load_catalog(NATIONAL)
    on_disk = {str(p.relative_to(NATIONAL)) for p in NATIONAL.rglob("*.csv")}
    assert {f.path for f in catalog.files} == on_disk - {"la_cla_swcount.csv", "c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"}


def test_a_revised_year_takes_the_later_release() -> None:
    """Lancashire's 2019-20 rate was 83 in the 2022 release and 84 in the 2024 release; England's
    2021-22 count was 82,170 in 2022 and is revised in every later release: the store has the latest."""
    assert cell(CLA22 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "rate_per_10000", "888", 2020, AT31) == "83"
    lancs = area_figure(NATIONAL, INDICATORS["cla_rate"], Area("member", "888", "Lancashire"), 2020)
    assert lancs.value == 84 and "year ending 31 March 2024" in lancs.source
    first = cell(CLA22 + "cla_number_and_rate_per_10k_children.csv", "cla_number", "children_count", "E", 2022, AT31)
    latest = cell("cla_number_and_rate_per_10k_children.csv", "cla_number", "children_count", "E", 2022, AT31)
    england = area_figure(NATIONAL, INDICATORS["cla_at31"], Area("england", "E92000001", "England"), 2022)
    assert first == "82170" and float(latest) != 82170
    assert england.value == float(latest) and england.source.startswith("cla_number_and_rate_per_10k_children.csv (")
    assert "2025" in england.source


def test_each_year_of_a_dataset_comes_from_one_release() -> None:
    frame = dataset_frame(NATIONAL, "cla_number")
    per_year = frame.groupby("time_period")["source"].nunique()
    assert (per_year == 1).all(), per_year
    assert frame[frame.time_period == 2019].source.iloc[0].startswith("cla_number_and_rate_per_10k_children.csv (")
    assert "31 March 2023" in frame[frame.time_period == 2019].source.iloc[0]


def test_a_rate_dfe_did_not_publish_is_computed_and_says_so() -> None:
    f = area_figure(NATIONAL, INDICATORS["cla_rate"], Area("member", "888", "Lancashire"), 2014)
    population = area_figure(NATIONAL, INDICATORS["child_population"], Area("member", "888", "Lancashire"), 2014)
    assert f.value == pytest.approx(1592 / population.value * 10_000)
    assert f.note.startswith("computed by us") and "ONS mid-2013 estimate" in f.note
    assert f.source.startswith("computed by us")


@pytest.mark.parametrize("code, period, words", [
    ("839", 2018, "Bournemouth, Christchurch and Poole did not exist in 2017-18: it was created on 1 April 2019"),
    ("940", 2020, "North Northamptonshire did not exist in 2019-20: it was created on 1 April 2021"),
    ("943", 2023, "Westmorland and Furness did not exist in 2022-23: it was created on 1 April 2023"),
    ("928", 2022, "Northamptonshire no longer existed in 2021-22: it was replaced on 1 April 2021"),
])
def test_successor_councils_say_what_came_before(code: str, period: int, words: str) -> None:
    f = area_figure(NATIONAL, INDICATORS["cla_at31"], Area("member", code, code), period)
    assert f.state == "not applicable" and f.note.startswith(words)


def test_two_reports_of_a_batch_asking_at_once_read_each_source_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's reports are threads of one process: they share the national files read, and never
    both read the same one (they did: the first reports of every batch read everything twice)."""
    import threading

    from annualreport.store import figures, sources

    for cached in (figures.published, figures._published, sources._dataset_frame, sources.normalised):
        cached.cache_clear()  # as a fresh process: nothing read yet
    built: list[str] = []
    build = figures.Published.__init__

    def counted(self: figures.Published, national_dir: Path, indicator) -> None:  # type: ignore[no-untyped-def]
        built.append(indicator.id)
        build(self, national_dir, indicator)

    monkeypatch.setattr(figures.Published, "__init__", counted)
    ids = [i for i, ind in INDICATORS.items() if ind.source]
    start = threading.Barrier(2)

    def report() -> None:
        start.wait()
        for i in ids:
            figures.published(NATIONAL, i)

    threads = [threading.Thread(target=report) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(built) == sorted(ids)
    datasets = {INDICATORS[i].source.dataset for i in ids}  # type: ignore[union-attr]
    assert sources._dataset_frame.cache_info().misses == len(datasets)
