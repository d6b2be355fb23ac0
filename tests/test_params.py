"""Params validation: every problem names the file, the key (with its line) and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from annualreport.errors import ParamsError
from annualreport.inputs.names import check_year
from annualreport.inputs.params import load_params
from annualreport.project import Project


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def problems(project: Path, partnership: str = "lancashire", year: str = "2013-14") -> str:
    with pytest.raises(ParamsError) as info:
        load_params(Project(project), partnership, year)
    return str(info.value)


def test_example_params_load(project: Path) -> None:
    params = load_params(Project(project), "lancashire", "2013-14")
    assert params.report.time_period == 2014
    assert [m.la_code for m in params.partnership.members] == ["888"]
    two = load_params(Project(project), "kingston-richmond", "2023-24")
    assert [m.la_code for m in two.partnership.members] == ["314", "318"]


def test_unknown_key_names_file_key_line_and_allowed_keys(project: Path) -> None:
    edit(project / "params" / "lancashire" / "2013-14.yml", "status:", "stauts:")
    msg = problems(project)
    assert msg.startswith("params/lancashire/2013-14.yml")
    assert "key 'stauts' (line 3): unknown key; expected one of: year, status, chapters" in msg


def test_nested_unknown_key(project: Path) -> None:
    edit(project / "params" / "lancashire.yml", "  colour:", "  color:")
    msg = problems(project)
    assert "params/lancashire.yml" in msg and "key 'branding.color'" in msg and "colour" in msg


def test_wrong_type_and_bad_values_are_all_listed(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    edit(path, "history_years: 4", "history_years: four")
    edit(path, "status: draft", "status: published")
    msg = problems(project)
    assert "key 'history_years'" in msg and "'four'" in msg
    assert "key 'status'" in msg and "'draft' or 'final'" in msg


def test_unknown_la_code_and_wrong_gss(project: Path) -> None:
    path = project / "params" / "lancashire.yml"
    edit(path, 'la_code: "888"', 'la_code: "999"')
    assert "key 'members.0.la_code' (line 6): unknown LA code '999'" in problems(project)
    edit(path, 'la_code: "999"', 'la_code: "888"')
    edit(path, "gss_code: E10000017", "gss_code: E10000018")
    assert "'E10000018' is not Lancashire's GSS code (expected E10000017)" in problems(project)


def test_la_code_must_be_three_digits(project: Path) -> None:
    edit(project / "params" / "lancashire.yml", 'la_code: "888"', "la_code: 888")
    assert "key 'members.0.la_code'" in problems(project)


def test_year_form() -> None:
    assert check_year("2013-14") == 2014
    assert check_year("1999-00") == 2000
    for bad in ("2013/14", "2013-15", "13-14", "2013"):
        with pytest.raises(ValueError, match="financial year such as '2013-14'"):
            check_year(bad)


def test_year_in_file_must_match_and_chapters_must_exist(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    edit(path, "  - front_door", "  - front_dor")
    msg = problems(project)
    assert "no notebook for chapter 'front_dor'" in msg and "front_door" in msg
    edit(path, "year: 2013-14", "year: 2014-15")
    assert "does not match the file name" in problems(project)


def test_missing_partnership_or_year_lists_what_exists(project: Path) -> None:
    assert "known: kingston-richmond, lancashire" in problems(project, partnership="lancs")
    assert "years with params: 2013-14, 2017-18" in problems(project, year="2015-16")
    assert "--year 2015/16" in problems(project, year="2015/16")


def test_invalid_yaml(project: Path) -> None:
    (project / "params" / "lancashire" / "2013-14.yml").write_text("year: [2013-14\n")
    assert "not valid YAML" in problems(project)


def test_all_expands_to_every_partnership_and_year(project: Path) -> None:
    from annualreport.cli import _expand

    pairs = _expand(Project(project), ("all",), ("all",))
    assert pairs == [("kingston-richmond", "2023-24"), ("lancashire", "2013-14"), ("lancashire", "2017-18")]
    assert _expand(Project(project), ("lancashire",), ("2013-14", "2013-14")) == [("lancashire", "2013-14")]


def test_unknown_target_is_named(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    path.write_text(path.read_text().replace("  board_attendance: 80", "  board_atendance: 80"))
    msg = problems(project)
    assert "key 'targets.board_atendance': no indicator or local measure of that name" in msg and "board_attendance" in msg


def test_a_partnership_adds_its_own_glossary_terms(project: Path) -> None:
    from annualreport.render.book import glossary_terms

    partnership = project / "params" / "lancashire.yml"
    partnership.write_text(partnership.read_text() + "glossary:\n  LCC: Lancashire County Council, the council\n  ICB: Integrated care board\n")
    year = project / "params" / "lancashire" / "2013-14.yml"
    year.write_text(year.read_text() + "glossary:\n  ICB: Integrated care board, the NHS body for the area\n")
    terms = glossary_terms(load_params(Project(project), "lancashire", "2013-14"))
    assert terms["ICB"] == "Integrated care board, the NHS body for the area"  # the year's entry wins
    assert terms["LCC"] == "Lancashire County Council, the council"
    assert "similar areas" in terms and "percentage point" in terms  # terms as well as acronyms
    year.write_text(year.read_text() + "  HIPS: [not, a, text]\n")
    assert "glossary" in problems(project)


def test_a_logo_that_is_missing_a_link_or_a_path_is_refused_naming_the_key_and_line(project: Path) -> None:
    partnership = project / "params" / "lancashire.yml"
    edit(partnership, "file: lscb-logo.png", "file: missing.png")
    msg = problems(project)
    assert msg.startswith("params/lancashire.yml")
    assert "key 'branding.logo.file' (line 17): params/lancashire/branding/missing.png not found" in msg
    edit(partnership, "file: missing.png", "file: ../../secret.png")
    assert "key 'branding.logo.file' (line 17): expected a file name such as 'logo.svg'" in problems(project)
    edit(partnership, "file: ../../secret.png", "file: linked.png")
    (project / "params" / "lancashire" / "branding" / "linked.png").symlink_to("/etc/hostname")
    assert "params/lancashire/branding/linked.png is a symbolic link; copy the file in instead" in problems(project)


def test_signatories_and_the_data_location_are_checked(project: Path) -> None:
    params = load_params(Project(project), "lancashire", "2013-14")
    assert [(s.name, s.role) for s in params.report.signatories] == [
        ("Jane Booth", "Independent Chair, Lancashire Safeguarding Children Board")]
    assert [p.name for p in params.logo_files] == ["lscb-logo.png"]
    edit(project / "params" / "lancashire" / "2013-14.yml", "  - name: Jane Booth\n", "  - nme: Jane Booth\n")
    assert "key 'signatories.0.nme'" in problems(project)
    edit(project / "params" / "lancashire.yml", "  colour:", "  data_url: javascript:alert(1)\n  colour:")
    assert "key 'branding.data_url'" in problems(project)
