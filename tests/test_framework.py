"""The framework of the year: LSCB chapters and words up to 2018-19, the safeguarding partners' from 2019-20.

The default chapter list, the words and the glossary follow the report's year; the year's params may still
choose any chapters. Builds are real (the shared HIPSS 2022-23, Kingston and Richmond 2023-24 and Lancashire
2013-14 and 2017-18 example builds)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from annualreport.errors import ParamsError
from annualreport.inputs.checks import check_inputs
from annualreport.inputs.framework import LSCB_CHAPTERS, PARTNERS_CHAPTERS, framework_for
from annualreport.inputs.params import load_params
from annualreport.project import Project

NEW_CHAPTERS = {"scrutiny": "Independent scrutiny",
                "reviews": "Rapid reviews and local child safeguarding practice reviews",
                "agencies": "Relevant agencies and education",
                "voice": "Voice of children and families",
                "impact": "Evidence of impact"}


class _Text(HTMLParser):
    """The visible text of an HTML file, with the glossary's text apart (from its heading on)."""

    def __init__(self) -> None:
        super().__init__()
        self.body: list[str] = []
        self.glossary: list[str] = []
        self.skip = 0
        self.in_glossary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        if dict(attrs).get("id") == "glossary":
            self.in_glossary = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            (self.glossary if self.in_glossary else self.body).append(data)


def report_text(build: Path) -> tuple[str, str]:
    """(the report's text before the glossary, the glossary's text), whitespace collapsed and pandoc's
    typographic apostrophes made plain."""
    parser = _Text()
    parser.feed((build / "public" / "report.html").read_text(encoding="utf-8"))
    return tuple(" ".join("".join(part).split()).replace("\u2019", "'") for part in (parser.body, parser.glossary))  # type: ignore[return-value]


def chapters_built(build: Path) -> list[str]:
    book = yaml.safe_load((build / "_quarto.yml").read_text(encoding="utf-8"))["book"]["chapters"]
    return [Path(c).stem for c in book if c.startswith("chapters/")]


def test_the_framework_changes_when_the_arrangements_were_in_place() -> None:
    # Working Together 2018: arrangements in place by 29 September 2019; 2019-20 is the partners' first year.
    assert framework_for("2018-19").id == "lscb" and framework_for("2019-20").id == "partners"
    assert framework_for("2013-14").words["review"] == "serious case review"
    assert "LCSPR" in framework_for("2022-23").words["review"]
    assert not set(NEW_CHAPTERS) & set(framework_for("2018-19").chapters)
    assert set(NEW_CHAPTERS) <= set(framework_for("2019-20").chapters)
    # The health partner: the clinical commissioning group until 30 June 2022, the integrated care board after.
    assert framework_for("2020-21").words["health_partner"] == "the clinical commissioning group"
    assert "until 30 June 2022" in framework_for("2022-23").words["health_partner"]
    assert framework_for("2023-24").words["health_partner"] == "the integrated care board"
    assert framework_for("2023-24").words["guidance"].endswith("2023")


def test_params_without_chapters_get_the_year_s_and_explicit_chapters_win(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    text = path.read_text(encoding="utf-8")
    listed = re.search(r"chapters:\n(?:  - \w+\n)+", text)
    assert listed
    path.write_text(text.replace(listed.group(0), ""), encoding="utf-8")
    assert load_params(Project(project), "lancashire", "2013-14").report.chapters == list(LSCB_CHAPTERS)
    assert load_params(Project(project), "kingston-richmond", "2023-24").report.chapters == list(PARTNERS_CHAPTERS)

    # A 2013-14 report may choose a chapter of the other framework; its list is kept as written.
    path.write_text(text.replace(listed.group(0), "chapters:\n  - summary\n  - reviews\n  - governance\n  - appendix\n"),
                    encoding="utf-8")
    assert load_params(Project(project), "lancashire", "2013-14").report.chapters == ["summary", "reviews", "governance",
                                                                                      "appendix"]
    path.write_text(text.replace(listed.group(0), "chapters: []\n"), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(Project(project), "lancashire", "2013-14")
    assert "key 'chapters'" in str(info.value) and "leave the key out" in str(info.value)


def test_check_asks_only_for_the_inputs_of_the_report_s_chapters(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    problems = check_inputs(Project(project), load_params(Project(project), "lancashire", "2013-14"))
    assert not [p for p in problems if p.input in ("scrutiny.yml", "reviews.yml")]  # no LSCB chapter shows them
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - learning\n", "  - learning\n  - reviews\n"), encoding="utf-8")
    problems = check_inputs(Project(project), load_params(Project(project), "lancashire", "2013-14"))
    asked = [p for p in problems if p.input == "reviews.yml"]
    assert [p.kind for p in asked] == ["missing file"] and "reviews.yml" in asked[0].file
    assert not [p for p in problems if p.input == "scrutiny.yml"]


def test_a_2022_23_report_has_the_safeguarding_partners_chapters_and_words(hipss_build: Path) -> None:
    assert chapters_built(hipss_build) == list(PARTNERS_CHAPTERS)  # no `chapters:` in its params
    text, glossary = report_text(hipss_build)
    for title in NEW_CHAPTERS.values():
        assert title in text, title
    assert "safeguarding partners" in text and "the partnership" in text
    assert "Local child safeguarding practice reviews (LCSPRs) and the child death overview panel" in text
    assert "the integrated care board (the clinical commissioning group until 30 June 2022)" in text
    assert "Attendance at partnership meetings" in text
    # Serious case reviews belong to history: only the glossary says what LCSPRs replaced.
    assert not re.search(r"serious case review", text, re.I)
    assert "LCSPRs replaced serious case reviews in 2019" in glossary
    assert not re.search(r"\bthe board\b|\bboard meetings\b|Board attendance|Independent Chair", text, re.I)
    html = (hipss_build / "public" / "report.html").read_text(encoding="utf-8")
    assert "draft for the safeguarding partners" in html and "draft for the board" not in html
    # The fixture's own text, and the national panel's themes set against it.
    assert "Young scrutineers" in text and "Designated safeguarding leads" in text
    assert "Critical thinking and challenge Rapid review 2022-02" in text
    assert "Responding to changing risk and need Not found this year" in text
    assert "Our reviews also found: Fathers and male carers." in text
    assert "Little progress was made in one area: Children's mental health." in text
    for term in ("LCSPR", "safeguarding partners", "relevant agencies", "rapid review"):
        assert term in glossary, term


def test_a_chapter_without_its_input_says_it_was_not_provided(kingston_build: Path) -> None:
    assert chapters_built(kingston_build) == list(PARTNERS_CHAPTERS)
    text, _ = report_text(kingston_build)
    for title in ("independent scrutiny", "rapid reviews and local child safeguarding practice reviews",
                  "relevant agencies and education", "voice of children and families", "evidence of impact"):
        assert f"Not provided for 2023-24: {title}." in text, title
    assert "Working Together to Safeguard Children 2023 asks" in text


def test_lscb_years_keep_their_chapters_and_words(lancashire_build: Path, lancashire_2017: Path) -> None:
    assert chapters_built(lancashire_2017) == list(LSCB_CHAPTERS)  # 2017-18's params list no chapters
    for build in (lancashire_build, lancashire_2017):
        text, glossary = report_text(build)
        assert "Serious case reviews and the child death overview panel" in text
        assert "The board holds partners to account. Its members' attendance and the partnership's budget" in text
        assert not any(title in text for title in NEW_CHAPTERS.values())
        assert "LCSPR" not in text + glossary and "safeguarding partners" not in text
        assert "draft for the board and its committees" in (build / "public" / "report.html").read_text(encoding="utf-8")
    text, _ = report_text(lancashire_build)
    assert "Overall attendance at board meetings was" in text and "independent scrutiny" not in text.lower()


def test_check_reads_the_new_inputs_like_the_others(project: Path) -> None:
    """The safeguarding partners' text inputs are checked by the one checker: a wrong status and a misspelt
    key are named with the file, the item and the line; the template's blank file is 'not provided yet'."""
    from conftest import copy_fixture, run_cli

    copy_fixture(project)
    folder = project / "data" / "local" / "hipss" / "2022-23"
    (folder / "reviews.yml").write_text(
        "items:\n  - review: Rapid review 2023-01\n    kind: rapid review\n    status: pending\n"
        "    themes: Critical thinking and challenge\n    lerning: Shared in a briefing.\n", encoding="utf-8")
    (folder / "voice.yml").unlink()
    made = run_cli(project, "template", "-p", "hipss", "-y", "2022-23", "--project", str(project))
    assert made.returncode == 0 and "data/local/hipss/2022-23/voice.yml" in made.stdout  # and nothing overwritten
    problems = check_inputs(Project(project), load_params(Project(project), "hipss", "2022-23"))
    by_file = {(Path(p.file).name, p.kind): p for p in problems}
    assert by_file["reviews.yml", "unknown status"].line == 4 and "LCSPR commissioned" in by_file["reviews.yml", "unknown status"].expected
    assert "'learning' (misspelt key)" in by_file["reviews.yml", "unknown key"].expected
    assert by_file["voice.yml", "no items"].input == "voice.yml"  # blank template: not provided yet, for a draft


def test_template_writes_the_inputs_of_the_year_s_chapters_only(project: Path) -> None:
    """An LSCB year gets no safeguarding-partners text inputs; a partners year gets them, titled in its words."""
    from conftest import run_cli

    for year, folder in (("2017-18", "lancashire"), ("2023-24", "kingston-richmond")):
        made = run_cli(project, "template", "-p", folder, "-y", year, "--project", str(project))
        assert made.returncode == 0, made.stderr
    lscb = project / "data" / "local" / "lancashire" / "2017-18"
    partners = project / "data" / "local" / "kingston-richmond" / "2023-24"
    assert not (lscb / "scrutiny.yml").exists() and (lscb / "board_attendance.csv").exists()
    assert "scrutiny.yml" not in (lscb / "README.md").read_text(encoding="utf-8")
    assert (partners / "scrutiny.yml").exists() and (partners / "reviews.yml").exists()
    assert "Attendance at partnership meetings by agency" in (partners / "README.md").read_text(encoding="utf-8")
