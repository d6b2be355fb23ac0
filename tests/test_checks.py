"""`annualreport check`: the real Lancashire inputs pass; a broken copy with one fault of each kind
gives exactly one line per fault naming file, row and column, exits non-zero and builds nothing."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from conftest import run_cli

LOCAL = Path("data/local/lancashire/2013-14")


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell, addressing rows as a spreadsheet does (the header is row 1)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def rename_column(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_text(header.replace(old, new) + "\n" + rest, encoding="utf-8")


def duplicate_row(path: Path, row: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(row, lines[row - 1])
    path.write_text("".join(lines), encoding="utf-8")


def test_lancashire_inputs_pass(project: Path) -> None:
    proc = run_cli(project, "check", "--partnership", "lancashire", "--year", "2013-14", "--project", str(project))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "not provided (declared in params): section11_audit" in proc.stderr


def test_broken_copy_lists_every_fault_once(project: Path) -> None:
    local = project / LOCAL
    (local / "private_fostering.csv").unlink()                                      # missing file
    rename_column(local / "training.csv", "attendees", "atendees")                  # misspelt column
    set_cell(local / "lado_timescales.csv", 3, "allegations", "forty-seven")        # wrong type
    set_cell(local / "cse_referrals.csv", 2, "referrals", "-260")                   # negative count
    set_cell(local / "board_attendance.csv", 2, "attendance_percent", "120")        # percentage over 100
    duplicate_row(local / "lado_outcomes.csv", 2)                                   # duplicate row (becomes row 3)
    set_cell(local / "missing_children.csv", 2, "la_code", "999")                   # unknown LA code
    set_cell(local / "child_deaths.csv", 2, "time_period", "201415")                # period after the report year
    set_cell(local / "budget.csv", 11, "amount_gbp", "390490")                      # total disagrees with parts
    set_cell(local / "missing_children.csv", 3, "children_rate_per_10k", "61.2")    # rate disagrees with count/population

    proc = run_cli(project, "check", "--partnership", "lancashire", "--year", "2013-14", "--project", str(project))
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    expected = [
        ("private_fostering.csv:", "missing file"),
        ("training.csv, row 1, column 'atendees':", "misspelt column", "'attendees'"),
        ("lado_timescales.csv, row 3, column 'allegations':", "wrong type", "'forty-seven'"),
        ("cse_referrals.csv, row 2, column 'referrals':", "negative count", "-260"),
        ("board_attendance.csv, row 2, column 'attendance_percent':", "percentage out of range", "120"),
        ("lado_outcomes.csv, row 3:", "duplicate row", "row 2"),
        ("missing_children.csv, row 2, column 'la_code':", "unknown LA code", "'999'"),
        ("child_deaths.csv, row 2, column 'time_period':", "period does not match the year", "201415"),
        ("budget.csv, row 11, column 'amount_gbp':", "total disagrees with its parts", "391,171"),
        ("missing_children.csv, row 3, column 'children_rate_per_10k':", "rate disagrees with count / population", "59.8"),
    ]
    assert len(lines) == len(expected), "\n".join(lines)
    for parts in expected:
        matching = [line for line in lines if all(p in line for p in parts)]
        assert len(matching) == 1, (parts, lines)
        assert matching[0].startswith(str(LOCAL))

    build = run_cli(project, "build", "--partnership", "lancashire", "--year", "2013-14")
    assert build.returncode == 1
    assert "inputs failed their checks; nothing was built" in build.stderr
    assert "duplicate row" in build.stderr
    assert not (project / "build" / "lancashire").exists() or not any((project / "build" / "lancashire").iterdir())


def test_template_writes_blank_documented_inputs_without_overwriting(project: Path) -> None:
    proc = run_cli(project, "template", "--partnership", "kingston-richmond", "--year", "2023-24", "--project", str(project))
    assert proc.returncode == 0, proc.stderr
    folder = project / "data" / "local" / "kingston-richmond" / "2023-24"
    assert (folder / "lado_outcomes.csv").read_text().startswith("time_period,time_identifier,geographic_level,la_code,la_name,outcome,allegations")
    assert "Indicator,Allegations" in (folder / "lado_outcomes.meta.csv").read_text()
    assert "201314" not in (folder / "README.md").read_text() and "202324" in (folder / "README.md").read_text()
    (folder / "training.csv").write_text("kept\n")
    again = run_cli(project, "template", "--partnership", "kingston-richmond", "--year", "2023-24", "--project", str(project))
    assert again.returncode == 0 and (folder / "training.csv").read_text() == "kept\n"
    check = run_cli(project, "check", "--partnership", "kingston-richmond", "--year", "2023-24", "--project", str(project))
    assert check.returncode == 1 and "no data for the report year" in check.stdout


def row_of(path: Path, prefix: str) -> int:
    """The spreadsheet row (header = 1) of the first line starting with `prefix`."""
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if line.startswith(prefix))


def test_files_that_disagree_are_named_with_both_values(project: Path) -> None:
    local = project / LOCAL
    outcomes = local / "lado_outcomes.csv"
    year = "201314,Financial year,Local authority,888,Lancashire,"
    # 12 more allegations by outcome than by sector: the outcomes file still adds up on its own
    substantiated, total = row_of(outcomes, year + "Substantiated"), row_of(outcomes, year + "Total")
    set_cell(outcomes, substantiated, "allegations", "98")
    set_cell(outcomes, total, "allegations", "791")
    set_cell(local / "training.csv", row_of(local / "training.csv", "201314,Financial year,Partnership,,,Face to face"),
             "places", "2000")  # 2,152 attended
    with (local / "budget.csv").open("a", encoding="utf-8") as f:  # income 391,171 less spending 415,694 is -24,523
        f.write("201314,Financial year,Partnership,,,Reserve,Opening balance,292941\n"
                "201314,Financial year,Partnership,,,Reserve,Closing balance,268000\n")
    proc = run_cli(project, "check", "--partnership", "lancashire", "--year", "2013-14", "--project", str(project))
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    sector_total = row_of(local / "lado_allegations_by_sector.csv", "201314,Financial year,Local authority,888,Lancashire,Total")
    expected = [
        (f"lado_outcomes.csv, row {total}, column 'allegations': files disagree", "791", f"lado_allegations_by_sector.csv row {sector_total}",
         "779", "Lancashire 2013-14", "expected the same"),
        ("training.csv, row 2, column 'places': files disagree", "(places) 2,000", "(attendees) 2,152", "expected at least as many"),
        ("budget.csv, row 11, column 'amount_gbp': files disagree", "391,171", "415,694", "= -24,523", "268,000", "292,941", "= -24,941"),
    ]
    assert len(lines) == len(expected), "\n".join(lines)
    for parts in expected:
        assert sum(all(p in line for p in parts) for line in lines) == 1, (parts, lines)


def test_national_files_are_checked_again_when_one_changes(project: Path, tmp_path: Path) -> None:
    """The national files' check is remembered in the user's cache folder, keyed by their hashes: a
    changed file is checked again (and its fault found), an unchanged set is answered from the cache,
    and nothing is written in the project."""
    from test_data_add import own_national

    national = own_national(project)
    env = {**os.environ, "ANNUALREPORT_CACHE_DIR": str(tmp_path / "cache")}
    args = ("check", "-p", "lancashire", "-y", "2013-14", "--project", str(project))
    before = sorted(p for p in project.rglob("*"))
    first = run_cli(project, *args, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    entries = list((tmp_path / "cache" / "national-check").glob("*.json"))
    assert len(entries) == 1 and json.loads(entries[0].read_text()) == []

    c1 = national / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
    original = c1.read_text(encoding="utf-8")
    row = "2014,Reporting year,Local authority,E92000001,England,E12000002,North West,888,E10000017,Lancashire,Referrals and Re-referrals,19460,"
    assert row in original
    c1.write_text(original.replace(row, row.replace(",19460,", ",19460x,")), encoding="utf-8")
    changed = run_cli(project, *args, env=env)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert ("data/national/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv, row 1839, "
            "column 'referral_count': wrong type: found '19460x'; expected a number or an EES symbol") in changed.stdout

    # As it was: the first answer, from the cache (a problem planted in its entry shows it was used).
    c1.write_text(original, encoding="utf-8")
    planted = {"file": "data/national/catalog.yml", "row": None, "column": None, "found": "a planted entry",
               "expected": "", "kind": "planted", "input": "", "line": None}
    entries[0].write_text(json.dumps([planted]))
    again = run_cli(project, *args, env=env)
    assert again.returncode == 1 and "data/national/catalog.yml: planted: a planted entry" in again.stdout
    assert len(list((tmp_path / "cache" / "national-check").glob("*.json"))) == 2
    assert sorted(p for p in project.rglob("*")) == before
