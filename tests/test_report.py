"""The whole report: every chapter, accessible charts, glossary, LADO figures, draft and final."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import yaml
from conftest import REPO
from test_build_end_to_end import pdf_body, pdf_text

from annualreport.render.book import glossary_terms
from annualreport.inputs.narrative import unknown_acronyms

LOCAL = REPO / "data" / "local" / "lancashire" / "2013-14"
CHAPTERS = yaml.safe_load((REPO / "params" / "lancashire" / "2013-14.yml").read_text())["chapters"]


def heading(chapter: str) -> str:
    nb = nbformat.read(REPO / "notebooks" / f"{chapter}.ipynb", as_version=4)
    first = nb.cells[0].source.splitlines()[0]
    return re.sub(r"\s*\{#.*\}$", "", first.lstrip("# ")).strip()


def local_value(file: str, column: str, **where: str) -> str:
    """A figure read straight from a local input CSV, formatted with thousands separators."""
    with (LOCAL / file).open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["time_period"] == "201314" and all(row[k] == v for k, v in where.items()):
                return f"{int(float(row[column])):,}"
    raise LookupError((file, column, where))


def text_of(html: str) -> str:
    class Text(HTMLParser):
        parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Text()
    parser.parts = []
    parser.feed(re.sub(r"<(style|script)[^>]*>.*?</\1>", "", html, flags=re.S))
    return " ".join(" ".join(parser.parts).split())


def one_line(text: str) -> str:
    return " ".join(text.split())


# One figure per chapter that the chapter must state (from the store or its local inputs).
def expected_figures() -> dict[str, str]:
    return {
        "summary": "19,460",
        "local_context": "243,690",
        "front_door": "19,460",
        "child_protection": "1,079",
        "looked_after": "Not available",
        "outside_home": local_value("cse_referrals.csv", "referrals", police_division="Total", time_identifier="Part 2 (October to March)"),
        "allegations": local_value("lado_outcomes.csv", "allegations", outcome="Total"),
        "learning": local_value("child_deaths.csv", "deaths_reviewed", category="Total"),
        "training": local_value("training.csv", "attendees", course_type="Total"),
        "quality_assurance": "Supervision",
        "governance": local_value("budget.csv", "amount_gbp", budget_line_type="Income", budget_line="Total"),
        "priorities": "2014-15",
        "partner_updates": "Police",
        "appendix": "Not provided: section 11 audit results",
    }


def chapter_slice(text: str, chapter: str) -> str:
    """The text of one chapter: from its heading to the next chapter's heading."""
    index = CHAPTERS.index(chapter)
    start = text.index(heading(chapter), text.rindex("About this report"))
    end = text.index(heading(CHAPTERS[index + 1]), start) if index + 1 < len(CHAPTERS) else len(text)
    return text[start:end]


def test_every_chapter_has_its_heading_and_a_figure_in_both_outputs(lancashire_build: Path) -> None:
    html = text_of((lancashire_build / "public" / "report.html").read_text(encoding="utf-8"))
    pdf = pdf_body(lancashire_build / "public" / "report.pdf")
    for chapter, figure in expected_figures().items():
        for name, text in (("HTML", html), ("PDF", pdf)):
            assert heading(chapter) in text, (name, chapter)
            assert figure.lower() in chapter_slice(text, chapter).lower(), (name, chapter, figure)


def test_lado_chapter_reproduces_the_lado_report(lancashire_build: Path) -> None:
    pdf = pdf_body(lancashire_build / "public" / "report.pdf")
    html = text_of((lancashire_build / "public" / "report.html").read_text(encoding="utf-8"))
    for text in (pdf, html):
        lado = chapter_slice(text, "allegations")
        assert "The LADO managed 779 allegations in 2013-14" in lado
        # 518 of 665 concluded within a month (the LADO report printed 77%, truncating 77.9%); 585 within 3 months
        assert ("77.9% were resolved within one month, against a target of 80%: not met. Within three months, "
                "88.0% were resolved, against a target of 90%: not met.") in lado
        for outcome, count in (("Substantiated", 86), ("Unsubstantiated", 144), ("Unfounded", 25), ("False", 8),
                               ("Malicious", 8), ("No further action after consideration", 379), ("Awaiting outcome", 129)):
            assert f"{outcome} {count}" in lado, outcome


class Figures(HTMLParser):
    """Each <figure id="fig-..."> with the alt text of its image; other images (the cover's logos) apart."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.others: list[str] = []
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "figure":
            self._current = a.get("id", "")
        if tag == "img" and self._current is not None:
            self.figures[self._current or f"img-{len(self.figures)}"] = a.get("alt") or ""
        elif tag == "img":
            self.others.append(a.get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._current = None


def test_every_image_has_alt_text_with_a_figure_from_its_data_and_a_table_and_csv(lancashire_build: Path) -> None:
    html = (lancashire_build / "public" / "report.html").read_text(encoding="utf-8")
    parser = Figures()
    parser.feed(html)
    assert len(parser.figures) >= 6
    assert parser.others == ["Lancashire Safeguarding Children Board logo"]  # the cover's logo
    for fig_id, alt in parser.figures.items():
        assert alt.strip(), f"{fig_id} has no alt text"
        stem = fig_id.removeprefix("fig-")
        data = lancashire_build / "public" / "data" / f"{stem}.csv"
        assert data.is_file(), f"{fig_id}: no CSV of its data"
        values = [row["value"] for row in csv.DictReader(data.open()) if row["value"]]
        shown = {f"{float(v):,.1f}" for v in values} | {f"{float(v):,.0f}" for v in values}
        assert any(v in alt for v in shown), (fig_id, alt, sorted(shown)[:5])
        chapter = stem.rsplit("-", 1)[0]
        assert re.search(rf'id="tbl-{chapter}-table-\d+"', html), f"{fig_id}: no table in its chapter"


def test_every_acronym_used_is_in_the_glossary(lancashire_build: Path) -> None:
    html = text_of((lancashire_build / "public" / "report.html").read_text(encoding="utf-8"))
    terms = glossary_terms()
    assert unknown_acronyms(html, terms) == []
    glossary = html[html.index("Glossary", html.index("Inputs not provided")):]
    for used in ("LADO", "CDOP", "LSCB", "DfE"):
        assert f"{used} {terms[used]}" in glossary


def test_figures_tables_and_chapters_are_numbered_once(lancashire_build: Path) -> None:
    raw = (lancashire_build / "public" / "report.html").read_text(encoding="utf-8")
    html = text_of(raw)
    for kind in ("Figure", "Table"):
        numbers = [int(n) for n in re.findall(rf"{kind} (\d+):", html)]
        assert numbers == list(range(1, len(numbers) + 1)), kind
    chapters = re.findall(r'<h1[^>]*><span class="header-section-number">(\d+)</span>', raw)
    assert [int(n) for n in chapters] == list(range(1, len(CHAPTERS) + 1))


def test_draft_has_watermark_banner_and_missing_inputs(lancashire_build: Path) -> None:
    pages = pdf_text(lancashire_build / "public" / "report.pdf")
    assert all("DRAFT" in page for page in pages), "a page without the DRAFT watermark"
    assert 'class="draft-banner"' in (lancashire_build / "public" / "report.html").read_text(encoding="utf-8")
    appendix = chapter_slice(one_line(" ".join(pages)), "appendix")
    assert "Not provided: section 11 audit results" in appendix


def test_manifest_records_executed_or_cached(lancashire_build: Path) -> None:
    log = json.loads((lancashire_build / "manifest.json").read_text())["chapters"]
    assert set(log) == set(CHAPTERS)
    assert {entry["status"] for entry in log.values()} <= {"executed", "cached"}
