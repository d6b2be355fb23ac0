"""The partnership's own figures as indicators: declared once, in the store per council and for the
partnership, usable in narrative, listed by the CLI, and one value in every sentence, table and chart."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from annualreport.inputs.local_indicators import LOCAL_BY_ID, LOCAL_INDICATORS, check_declarations
from annualreport.inputs.narrative import fill, placeholders
from annualreport.inputs.params import load_params
from annualreport.project import Project
from annualreport.store.figures import Store, build_store
from annualreport.store.indicators import INDICATORS
from conftest import REPO, copy_fixture, copy_project, run_cli

HIPSS = ("850", "921", "851", "852")


def test_every_local_indicator_names_a_real_dataset_measure_and_filter_values() -> None:
    assert check_declarations(INDICATORS) == []
    assert {"lado_allegations", "lado_within_1_month", "lado_within_3_months", "board_attendance",
            "training_attendees", "budget_income", "private_fostering_notifications"} <= set(LOCAL_BY_ID)


def fixture_rows(name: str) -> list[dict[str, str]]:
    """A fixture's local file, read independently of the package (csv module)."""
    path = REPO / "tests" / "fixtures" / "hipss" / "data" / "local" / "hipss" / "2022-23" / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def true_total(name: str, column: str, period: str = "202223", code: str | None = None) -> int:
    return sum(int(r["allegations"]) for r in fixture_rows(name)
               if r["time_period"] == period and r[column] == "Total" and (code is None or r["la_code"] == code))


@pytest.fixture(scope="module")
def hipss_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    project = copy_fixture(copy_project(tmp_path_factory.mktemp("hipss")))
    return build_store(Project(project), load_params(Project(project), "hipss", "2022-23"))


def test_the_store_has_each_councils_local_figures_and_the_partnerships_sum(hipss_store: Store) -> None:
    for code in HIPSS:
        assert hipss_store.figure("lado_allegations", "member", area_code=code).value == true_total("lado_outcomes", "outcome", code=code)
    partnership = hipss_store.figure("lado_allegations")
    assert partnership.value == true_total("lado_outcomes", "outcome") and partnership.state == "value"
    assert "lado_outcomes.csv" in partnership.source
    # A percentage is recomputed from the summed counts, never averaged over councils.
    rows = [r for r in fixture_rows("lado_timescales") if r["time_period"] == "202223"]
    within = sum(int(r["allegations"]) for r in rows if r["time_to_resolution"] == "Within 1 month")
    concluded = sum(int(r["allegations"]) for r in rows if r["time_to_resolution"] == "Total")
    assert hipss_store.figure("lado_within_1_month").value == pytest.approx(within / concluded * 100)
    # Private fostering: the file's own Partnership rows, three years, with the direction of travel.
    pf = [r for r in fixture_rows("private_fostering") if r["geographic_level"] == "Partnership"]
    for row in pf:
        period = int(row["time_period"][:2] + row["time_period"][4:])
        assert hipss_store.figure("private_fostering_notifications", period=period).value == int(row["notifications"])
    assert hipss_store.figure("private_fostering_notifications").direction in ("up", "down", "same")
    # A dataset the partnership did not provide: no figure, and the reason.
    missing = hipss_store.figure("reported_missing")
    assert missing.value is None and "not provided" in missing.note


def test_the_public_store_hides_exactly_what_the_local_suppression_decided(hipss_store: Store) -> None:
    decided = {tuple(k) for k in hipss_store.meta["local_hidden"]}
    assert decided  # the fixture has small council counts
    public = hipss_store.public().frame
    local = public[public.indicator.isin(list(LOCAL_BY_ID))]
    hidden = {(r.indicator, r.area_type, r.area_code, r.time_period) for r in local.itertuples() if r.state == "suppressed"}
    assert hidden == decided
    # Every hidden council count was small, or hidden so that a small one cannot be worked out.
    true = hipss_store.frame.set_index(["indicator", "area_type", "area_code", "time_period"]).value
    assert any(0 < true[k] < 6 for k in decided if LOCAL_BY_ID[k[0]].unit == "count")


def test_local_indicators_work_in_narrative_with_their_targets(project: Path) -> None:
    store = build_store(Project(project), load_params(Project(project), "lancashire", "2013-14")).public()
    values = placeholders(store)
    text = fill("The LADO managed {{ lado_allegations.value }} allegations; {{ lado_within_1_month.target_sentence }}.",
                values, "test")
    assert text == "The LADO managed 779 allegations; against a target of 80%: not met."
    assert store.figure("lado_within_1_month").rag == "red" and store.figure("board_attendance").value == pytest.approx(107 / 141 * 100)
    assert "lado_allegations.england" not in values  # no national comparator for the partnership's own figures


def test_the_cli_lists_local_indicators_and_every_placeholder_with_its_meaning(project: Path) -> None:
    proc = run_cli(project, "indicators", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode == 0, proc.stderr
    listed = {line.split(",")[0] for line in proc.stdout.splitlines()[1:]}
    assert {i.id for i in LOCAL_INDICATORS} <= listed
    proc = run_cli(project, "placeholders", "-p", "lancashire", "-y", "2013-14", "--meaning")
    assert proc.returncode == 0, proc.stderr
    meaning = {line.split("}}")[0].strip("{ ").strip(): line.split("}}", 1)[1].strip() for line in proc.stdout.splitlines()}
    assert meaning["lado_allegations.value"].startswith("Allegations managed by the LADO (the partnership's own figure)")
    assert meaning["cla_at31.value"].startswith("Children looked after at 31 March (national statistics)")
    assert all(meaning.values())


# -- the built report ------------------------------------------------------------------------------

def csv_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "public" / "data" / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_lado_total_is_one_number_in_every_sentence_table_and_chart(hipss_build: Path) -> None:
    total = true_total("lado_outcomes", "outcome")
    assert total == true_total("lado_allegations_by_sector", "employment_sector")  # the fixture's files agree
    shown = f"{total:,}"
    html = (hipss_build / "public" / "report.html").read_text(encoding="utf-8")
    sentence = re.search(r"The LADO managed <strong>([\d,]+) allegations</strong>", html)
    assert sentence is not None and sentence.group(1) == shown
    data = hipss_build / "public" / "data"
    tables = {p.name: csv_rows(hipss_build, p.name) for p in sorted(data.glob("allegations-table-*.csv"))}
    by_council = next(rows for rows in tables.values() if rows and "Area" in rows[0])
    assert by_council[-1]["Allegations managed"] == shown
    outcomes = next(rows for rows in tables.values() if rows and "Outcome" in rows[0])
    assert next(r for r in outcomes if r["Outcome"] == "Total")["Allegations"] == shown
    sectors = next(rows for rows in tables.values() if rows and "Employment sector" in rows[0])
    assert next(r for r in sectors if r["Employment sector"] == "Total")["2022-23"] == shown
    # The charts: their bars add up to the total where every bar is shown.
    for chart in ("allegations-1.csv", "allegations-2.csv"):
        bars = csv_rows(hipss_build, chart)
        if all(b["state"] == "value" for b in bars):
            assert sum(float(b["value"]) for b in bars) == total
    # The summary at a glance: the report year's column of its row.
    row = re.search(r"scope=\"row\">Allegations managed by the\s+LADO</th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>", html)
    assert row is not None and row.group(1) == shown
    store = json.loads((hipss_build / "store.json").read_text(encoding="utf-8"))
    assert "lado_allegations" in store["indicators"]


def test_a_partnership_total_is_not_hidden_for_an_unpublished_council_part(hipss_build: Path) -> None:
    sectors = next(rows for p in sorted((hipss_build / "public" / "data").glob("allegations-table-*.csv"))
                   for rows in [csv_rows(hipss_build, p.name)] if rows and "Employment sector" in rows[0])
    small_parts = {r["employment_sector"] for r in fixture_rows("lado_allegations_by_sector")
                   if r["time_period"] == "202223" and 0 < int(r["allegations"]) < 6}
    assert small_parts  # councils have small counts in several sectors ...
    for row in sectors:  # ... yet no partnership figure is hidden: no council's sector figure is published
        assert row["2022-23"] != "[c]", row
    fostering = csv_rows(hipss_build, "outside_home-table-2.csv")[0]
    partnership = next(r for r in fixture_rows("private_fostering")
                       if r["geographic_level"] == "Partnership" and r["time_period"] == "202223")
    assert fostering["Notifications received"] == partnership["notifications"]


def test_the_by_council_table_shows_what_the_public_store_shows(hipss_build: Path) -> None:
    public = Store.load(hipss_build).public()
    table = next(rows for p in sorted((hipss_build / "public" / "data").glob("allegations-table-*.csv"))
                 for rows in [csv_rows(hipss_build, p.name)] if rows and "Area" in rows[0])
    names = {m["name"]: m["la_code"] for m in public.meta["members"]}
    hidden = 0
    for row in table:
        code = names.get(row["Area"])
        figure = public.figure("lado_allegations", "member" if code else "partnership", area_code=code)
        cell = row["Allegations managed"]
        assert (cell == "[c]") == (figure.state == "suppressed")
        hidden += cell == "[c]"
    assert [r["Area"] for r in table][-1] == public.meta["short_name"]


def test_a_share_of_a_suppressed_count_is_suppressed_never_not_available(tmp_path: Path) -> None:
    from annualreport.store.local_figures import LocalFigures

    (tmp_path / "private_fostering.csv").write_text(
        "time_period,time_identifier,geographic_level,la_code,la_name,notifications,arrangements,visited_in_time,"
        "visited_in_time_percent\n"
        "202223,Financial year,Local authority,850,Hampshire,40,30,x,x\n"
        "202223,Financial year,Local authority,921,Isle of Wight,12,c,9,x\n", encoding="utf-8")
    local = LocalFigures(tmp_path, {"850": "Hampshire", "921": "Isle of Wight"}, "HIPS", [2022, 2023], 6, {}, 1.0)
    share = LOCAL_BY_ID["private_fostering_visited_percent"]
    assert local.figure(share, "member", "921", 2023).state == "suppressed"  # 'c' arrangements: [c]
    assert local.figure(share, "member", "850", 2023).state == "not available"  # 'x' visits: [x]
    assert local.figure(share, "partnership", "partnership", 2023).state == "suppressed"  # x and c: [c]
    assert local.figure(LOCAL_BY_ID["private_fostering_notifications"], "partnership", "partnership", 2023).value == 52


def test_a_council_s_lado_files_that_disagree_fail_check_naming_both(project: Path) -> None:
    """In the four-council fixture, one council's outcomes total no longer matches its sector total (the
    outcomes file still adds up on its own): `check` names both files, rows and totals, and the council."""
    copy_fixture(project)
    path = project / "data" / "local" / "hipss" / "2022-23" / "lado_outcomes.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    prefix = "202223,Financial year,Local authority,851,Portsmouth (SYNTHETIC),"
    for i, line in enumerate(lines):
        if line.startswith(prefix + "Awaiting outcome,"):
            lines[i] = line.replace(line.rsplit(",", 1)[1], str(int(line.rsplit(",", 1)[1]) - 1) + "\n")
        if line.startswith(prefix + "Total,"):
            total_row, total = i + 1, int(line.rsplit(",", 1)[1])
            lines[i] = f"{prefix}Total,{total - 1}\n"
    path.write_text("".join(lines), encoding="utf-8")
    proc = run_cli(project, "check", "-p", "hipss", "-y", "2022-23")
    assert proc.returncode == 1
    faults = [line for line in proc.stdout.splitlines() if "files disagree" in line]
    assert len(faults) == 1, proc.stdout
    assert f"lado_outcomes.csv, row {total_row}, column 'allegations'" in faults[0]
    assert f"(Total) {total - 1} but lado_allegations_by_sector.csv row" in faults[0]
    assert f"(Total) {total}, for Portsmouth (SYNTHETIC) 2022-23" in faults[0]
