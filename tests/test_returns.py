"""Returns from partners in Excel: `returns make` writes workbooks, `returns collect` reads them back.

Real workbooks written by openpyxl and edited as a partner would (cells typed over), read back
through the CLI into a copy of the project."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import yaml

from conftest import REPO, run_cli, sha256

LOCAL = Path("data/local/lancashire/2013-14")


def make(project: Path, *args: str, year: str = "2013-14") -> list[Path]:
    result = run_cli(project, "returns", "make", "-p", "lancashire", "-y", year, *args)
    assert result.returncode == 0, result.stderr
    return [project / line for line in result.stdout.split()]


def collect(project: Path, *files: Path, year: str = "2013-14"):
    return run_cli(project, "returns", "collect", "-p", "lancashire", "-y", year, *map(str, files))


def hashes(folder: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(folder.iterdir())}


def test_make_then_collect_round_trips_the_local_inputs_exactly(project: Path) -> None:
    [book] = make(project)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == "Instructions"
    assert wb["_annualreport"].sheet_state == "veryHidden"
    sheet = wb["LADO outcomes of allegations"]
    assert sheet.protection.sheet, "labels are locked"
    assert sheet["A6"].protection.locked and not sheet["D6"].protection.locked  # label locked, figure open
    assert sheet.data_validations.dataValidation, "every figure cell is validated"
    for name in (LOCAL / "lado_outcomes.csv", LOCAL / "budget.csv"):  # the year's figures it was made from go
        lines = (project / name).read_text().splitlines(keepends=True)
        (project / name).write_text("".join(line for line in lines if not line.startswith("201314,")))
    result = collect(project, book)
    assert result.returncode == 0, result.stdout + result.stderr
    assert hashes(project / LOCAL) == hashes(REPO / LOCAL)
    assert "lado_outcomes.csv: 8 row(s) for 2013-14" in result.stdout


def test_a_new_year_shows_last_years_figures_and_writes_only_what_was_filled(project: Path) -> None:
    year_file = project / "params/lancashire/2014-15.yml"
    params = yaml.safe_load((project / "params/lancashire/2013-14.yml").read_text())
    params["year"] = "2014-15"
    year_file.write_text(yaml.safe_dump(params))
    [book] = make(project, year="2014-15")
    wb = openpyxl.load_workbook(book)
    sheet = wb["LADO time to resolution"]
    header = [c.value for c in sheet[5]]
    assert header[:4] == ["Area", "Period", "Time to resolution", "Allegations concluded"]
    rows = {r[2]: r for r in sheet.iter_rows(min_row=6, values_only=True) if r[2]}
    assert rows["Within 1 month"][1] == "2014-15"
    assert rows["Within 1 month"][3] is None, "this year's figure is left for the partner"
    assert rows["Within 1 month"][4] is not None, "last year's figure is beside it"
    for row, value in zip(range(6, 11), (300, 60, 30, 10, 400)):  # four bands and the Total
        sheet.cell(row, 4, value)
    wb.save(book)
    result = collect(project, book, year="2014-15")
    assert result.returncode == 0, result.stdout + result.stderr
    written = sorted((project / "data/local/lancashire/2014-15").glob("*.csv"))
    assert [p.name for p in written] == ["lado_timescales.csv", "lado_timescales.meta.csv"]
    lines = written[0].read_text().splitlines()
    assert lines[1:] == [f"201415,Financial year,Local authority,888,Lancashire,{band},{n}" for band, n in
                         zip(("Within 1 month", "1 to 3 months", "3 to 12 months", "Over 12 months", "Total"), (300, 60, 30, 10, 400))]


def test_every_fault_is_named_by_workbook_sheet_and_cell_and_nothing_is_written(project: Path, tmp_path: Path) -> None:
    [book] = make(project)
    wb = openpyxl.load_workbook(book)
    outcomes = wb["LADO outcomes of allegations"]
    outcomes["D6"] = "about forty"          # not a number
    outcomes["D7"] = -3                     # a negative count
    outcomes["D8"] = 2.5                    # not a whole number
    outcomes["A9"] = "Blackpool"            # a locked label changed
    outcomes["C5"] = "Result"               # a heading changed
    outcomes["D10"] = None                  # blank in a sheet that has figures
    outcomes["D18"] = 4                     # figures in a spare row without a category
    deaths = wb["Child deaths reviewed"]
    deaths["F6"] = 140                      # a percentage over 100
    sectors = wb["LADO allegations by employment"]
    sectors["D6"] = sectors["D6"].value + 1  # the Total no longer adds up (found by check's own rule)
    del wb["Budget"]                        # a sheet removed
    wb.save(book)
    other = tmp_path / "notes.xlsx"
    other.write_bytes(b"not a workbook")
    before = hashes(project / LOCAL)
    result = collect(project, book, other)
    assert result.returncode == 1
    name = book.name
    expected = [
        f"{name}, sheet LADO outcomes of allegations, cell D6: Allegations: found 'about forty'",
        f"{name}, sheet LADO outcomes of allegations, cell D7: Allegations: found -3",
        f"{name}, sheet LADO outcomes of allegations, cell D8: Allegations: found 2.5",
        f"{name}, sheet LADO outcomes of allegations, cell A9: the row's label was changed: found 'Blackpool'",
        f"{name}, sheet LADO outcomes of allegations, cell C5: the heading was changed",
        f"{name}, sheet LADO outcomes of allegations, cell D10: Allegations: blank in a sheet that has figures",
        f"{name}, sheet LADO outcomes of allegations, cell C18: Outcome: a row with figures needs its category",
        f"{name}, sheet Child deaths reviewed, cell F6: With modifiable factors (%): found 140",
        f"{name}, sheet Budget: the sheet is missing or was renamed",
        "notes.xlsx: cannot be read as an Excel workbook",
    ]
    lines = result.stdout.splitlines()
    for text in expected:
        assert sum(line.startswith(text) for line in lines) == 1, (text, result.stdout)
    assert len(lines) == len(expected), result.stdout
    assert "nothing was written" in result.stderr
    assert hashes(project / LOCAL) == before
    # with the cell faults mended, the total that no longer adds up is still caught, at its cell
    wb = openpyxl.load_workbook(make(project, "--force")[0])
    sectors = wb["LADO allegations by employment"]
    sectors["D6"] = sectors["D6"].value + 1
    outcomes = wb["LADO outcomes of allegations"]  # adds up on its own, but not to the sectors' total
    total = next(row for row in range(6, 30) if outcomes.cell(row, 3).value == "Total")
    outcomes["D6"], outcomes[f"D{total}"] = outcomes["D6"].value + 5, outcomes[f"D{total}"].value + 5
    wb.save(book)
    result = collect(project, book)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert lines[0].startswith(f"{name}, sheet LADO allegations by employment, cell D") and "total disagrees with its parts" in lines[0]
    assert lines[1].startswith(f"{name}, sheet LADO outcomes of allegations, cell D{total}: files disagree: found "
                               "lado_outcomes.csv") and "784 but lado_allegations_by_sector.csv" in lines[1]
    assert hashes(project / LOCAL) == before


def test_a_workbook_per_agency_and_a_dataset_returned_twice(project: Path) -> None:
    partnership = project / "params/lancashire.yml"
    text = partnership.read_text()
    partnership.write_text(text + "returns:\n  Lancashire Constabulary: [cse_referrals, missing_children]\n"
                                  "  Health: [child_deaths]\n")
    books = make(project, "--by-agency")
    assert [b.name for b in books] == ["lancashire-constabulary.xlsx", "health.xlsx", "lancashire.xlsx"]
    assert openpyxl.load_workbook(books[0]).sheetnames == ["Instructions", "Child sexual exploitation",
                                                           "Children missing from home or", "_annualreport"]
    assert "already made are never overwritten" in run_cli(project, "returns", "make", "-p", "lancashire", "-y",
                                                           "2013-14", "--by-agency").stderr
    single = make(project)[0]
    result = collect(project, books[0], single)
    assert result.returncode == 1
    assert "is also returned in lancashire-constabulary.xlsx" in result.stdout
    partnership.write_text(text + "returns:\n  Police: [cse_referals]\n")
    result = run_cli(project, "returns", "make", "-p", "lancashire", "-y", "2013-14", "--by-agency")
    assert result.returncode != 0 and "unknown local dataset 'cse_referals'" in result.stdout + result.stderr


def test_a_workbook_for_another_year_is_refused(project: Path) -> None:
    year = "2012-13"
    [book] = make(project)
    params = yaml.safe_load((project / "params/lancashire/2013-14.yml").read_text())
    params["year"] = year
    (project / f"params/lancashire/{year}.yml").write_text(yaml.safe_dump(params))
    result = collect(project, book, year=year)
    assert result.returncode == 1 and "made for lancashire 2013-14, not lancashire 2012-13" in result.stdout
