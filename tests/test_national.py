"""Reading EES files as published: BOM, column order, and symbols kept as states."""

from __future__ import annotations

from pathlib import Path

import pytest

from annualreport.errors import InputError
from annualreport.store.national import Cell, State, read_ees


@pytest.mark.parametrize("raw,state", [("c", State.SUPPRESSED), ("x", State.NOT_AVAILABLE), ("z", State.NOT_APPLICABLE),
                                       ("low", State.LOW), ("k", State.LOW), ("u", State.LOW_RELIABILITY), ("", State.NOT_AVAILABLE)])
def test_symbols_are_states_not_numbers(raw: str, state: State) -> None:
    cell = Cell.parse(raw)
    assert cell.value is None and cell.state is state


def test_numbers() -> None:
    assert Cell.parse("1079") == Cell(1079.0, State.VALUE)
    assert Cell.parse(" 31.0 ").value == 31.0


def test_garbage_is_an_error_naming_where() -> None:
    with pytest.raises(InputError, match="file.csv, row 3: 'n/a' is neither a number nor an EES symbol"):
        Cell.parse("n/a", "file.csv, row 3")


def test_bom_and_column_order(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("\ufefftime_period,time_identifier,geographic_level,country_code,country_name,la_name,new_la_code\n"
                     "2014,Reporting year,National,E92000001,England,,\n".encode("utf-8"))
    frame = read_ees(path)
    assert list(frame.columns)[:2] == ["time_period", "time_identifier"]
    assert frame.time_period.tolist() == [2014]


def test_missing_mandatory_columns(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    path.write_text("time_period,geographic_level\n2014,National\n")
    with pytest.raises(InputError, match="missing mandatory EES column"):
        read_ees(path)


def test_a_row_with_a_field_too_many_is_named_by_check(tmp_path: Path) -> None:
    """A national file with an unquoted comma in one row: `check` names the file and row, exits 1,
    and prints no traceback (it used to crash with pandas' ParserError)."""
    import shutil

    from conftest import REPO, copy_project, run_cli

    project = copy_project(tmp_path / "project")
    national = project / "data" / "national"
    national.unlink()
    shutil.copytree(REPO / "data" / "national", national)
    path = national / "b1_children_in_need_2013_to_2025.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\r\n") + ",Lancashire, and district\n"
    path.write_text("".join(lines), encoding="utf-8")
    proc = run_cli(project, "check", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "ParserError" not in out
    assert "b1_children_in_need_2013_to_2025.csv" in out and "b1_children_in_need_2013_to_2025.csv, row 5: wrong layout: found 21 fields where the header has 19" in out
