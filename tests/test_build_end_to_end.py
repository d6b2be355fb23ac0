"""End to end: the example report built by the CLI with the embedded renderer, HTML and PDF checked."""

from __future__ import annotations

import csv
import functools
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from conftest import REPO, SharedBuild, copy_built, run_cli, sha256
from pypdf import PdfReader


def published(file: str, column: str, level: str, period: str, la_code: str = "") -> str:
    """A value read straight from a national file, independently of the package's loader."""
    with (REPO / "data" / "national" / file).open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["time_period"] == period and row["geographic_level"] == level and (not la_code or row["old_la_code"] == la_code):
                return f"{int(row[column]):,}"
    raise AssertionError(f"{file}: no {level} row for {period}")


class _Paragraphs(HTMLParser):
    """Collects the visible text of each <p>, <td> and caption, and notes code elements."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.code_tags = 0
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("pre", "code"):
            self.code_tags += 1
        if tag in ("p", "figcaption", "caption"):
            self._current = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "figcaption", "caption") and self._current is not None:
            self.blocks.append(" ".join("".join(self._current).split()))
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)


def html_blocks(path: Path) -> _Paragraphs:
    parser = _Paragraphs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pdf_text(path: Path) -> list[str]:
    """The text of each page (pypdf's reading; the same PDF is read once per run, by its bytes)."""
    return list(_pdf_text(path.read_bytes()))


@functools.lru_cache(maxsize=8)
def _pdf_text(pdf: bytes) -> tuple[str, ...]:
    return tuple(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# What every page but the cover carries around the text: the DRAFT mark, the header, the page number.
FURNITURE = re.compile(r"DRAFT|.+: annual report \d{4}-\d{2}|Page \d+ of \d+")


def pdf_body(path: Path) -> str:
    """The PDF's text on one line, each page's furniture (FURNITURE) left out: a paragraph that runs
    on to the next page reads as one, wherever the pages happen to break."""
    lines = [line for page in pdf_text(path) for line in page.splitlines() if not FURNITURE.fullmatch(line.strip())]
    return " ".join(" ".join(lines).split())


CP = ("d5_cpps_at31march_by_duration_2013_to_2025.csv", "CPP_At31")
REFERRALS = ("c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv", "referral_count")


def test_published_figures_are_the_issue_figures() -> None:
    assert published(*CP, "Local authority", "2014", "888") == "1,079"
    assert published(*REFERRALS, "Local authority", "2014", "888") == "19,460"


def test_html_states_figures_with_england_beside_them(lancashire_build: Path) -> None:
    html = lancashire_build / "public" / "report.html"
    parsed = html_blocks(html)
    for file, column in (CP, REFERRALS):
        own = published(file, column, "Local authority", "2014", "888")
        england = published(file, column, "National", "2014")
        assert any(own in b and f"England had {england}" in b for b in parsed.blocks), (own, england)


def test_pdf_states_figures_with_england_beside_them(lancashire_build: Path) -> None:
    text = pdf_body(lancashire_build / "public" / "report.pdf")
    for file, column in (CP, REFERRALS):
        own = published(file, column, "Local authority", "2014", "888")
        england = published(file, column, "National", "2014")
        assert re.search(rf"{re.escape(own)} in 2013-14\. This was [^.]*\. For comparison, England had {re.escape(england)}", text), own


def test_no_code_is_visible(lancashire_build: Path) -> None:
    parsed = html_blocks(lancashire_build / "public" / "report.html")
    assert parsed.code_tags == 0
    html_text = (lancashire_build / "public" / "report.html").read_text(encoding="utf-8")
    pdf = " ".join(pdf_text(lancashire_build / "public" / "report.pdf"))
    for snippet in ("open_chapter", "import ", "ch.headline", "build_dir ="):
        assert snippet not in html_text
        assert snippet not in pdf


def test_html_is_self_contained_with_navigable_contents(lancashire_build: Path) -> None:
    html = (lancashire_build / "public" / "report.html").read_text(encoding="utf-8")
    nav = re.search(r'<nav id="TOC".*?</nav>', html, re.S)
    assert nav, "no table of contents"
    targets = re.findall(r'href="#([^"]+)"', nav.group(0))
    assert {"sec-summary", "sec-front-door", "sec-child-protection", "sec-local-context"} <= set(targets)
    for target in targets:
        assert f'id="{target}"' in html, f"contents link to missing #{target}"
    assert not re.search(r'<img[^>]+src="(?!data:)', html), "an image is not embedded"
    assert "<script src=" not in html and '<link rel="stylesheet" href=' not in html


def test_pdf_has_contents_and_page_numbers(lancashire_build: Path) -> None:
    reader = PdfReader(lancashire_build / "public" / "report.pdf")
    assert len(reader.pages) >= 4
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert any("child protection" in t for t in titles), titles
    pages = pdf_text(lancashire_build / "public" / "report.pdf")
    assert "Lancashire Safeguarding Children" in pages[0] and "Page 1" not in pages[0]  # the cover
    assert "Contents" in pages[1]
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in text, f"page {number} has no 'Page N of M': {text[-80:]!r}"


def test_book_project_is_written(lancashire_build: Path) -> None:
    config = (lancashire_build / "_quarto.yml").read_text(encoding="utf-8")
    assert "type: book" in config and "chapters/front_door.ipynb" in config
    nb = nbformat.read(lancashire_build / "chapters" / "front_door.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all("remove-input" in c.metadata.get("tags", []) for c in code)
    assert any(o.get("output_type") in ("display_data", "execute_result") for c in code for o in c.outputs)
    for chart in ("front_door-1", "child_protection-1"):
        assert (lancashire_build / "figures" / f"{chart}.png").stat().st_size > 10_000
        assert (lancashire_build / "public" / "data" / f"{chart}.csv").read_text().startswith("indicator,area_name,year,value,state")


def test_another_year_builds_with_only_a_params_file(lancashire_2017_run: SharedBuild) -> None:
    proc = lancashire_2017_run  # built with --jobs 2 (conftest.py)
    assert proc.returncode == 0, proc.stderr
    folder = lancashire_2017_run.folder
    text = pdf_body(folder / "public" / "report.pdf")
    referrals = published(*REFERRALS, "Local authority", "2018", "888")
    england = published(*REFERRALS, "National", "2018")
    assert re.search(rf"{re.escape(referrals)} in 2017-18\. This was [^.]*\. For comparison, England had {re.escape(england)}", text)
    # progress is readable without a terminal: one line per chapter, with counts
    assert re.search(r"child_protection executed \(\d+\.\d s\) \[\d+/14\]", proc.stderr)


def test_failing_chapter_names_chapter_and_cell_and_keeps_previous_report(lancashire_build: Path, tmp_path: Path) -> None:
    args = ("build", "--partnership", "lancashire", "--year", "2013-14", "--renderer", "embedded")
    project = copy_built(lancashire_build, tmp_path / "project")  # a project whose report was built
    folder = project / "build" / "lancashire" / "2013-14"
    before = {p: sha256(folder / p) for p in ("public/report.html", "public/report.pdf", "store.csv")}

    notebook = project / "notebooks" / "child_protection.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    bad = nbformat.v4.new_code_cell("rate = 1079 / 0  # a planted fault")
    nb.cells.insert(4, bad)
    nbformat.write(nb, notebook)

    second = run_cli(project, *args)
    assert second.returncode == 1
    message = second.stderr
    assert "chapter 'child_protection' failed" in message
    assert "rate = 1079 / 0" in message and "ZeroDivisionError" in message
    assert {p: sha256(folder / p) for p in before} == before, "the previous report was changed"
    kept = project / "build" / "lancashire" / "2013-14.failed" / "chapters" / "child_protection.ipynb"
    assert str(kept.relative_to(project)) in message
    executed = nbformat.read(kept, as_version=4)
    assert any(o.get("output_type") == "error" for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    # the other chapters still ran (or were reused from the first build's cache)
    assert re.search(r"front_door (executed|cached)", message) and re.search(r"local_context (executed|cached)", message)


def test_typo_in_params_key_names_file_and_key(project: Path) -> None:
    path = project / "params" / "lancashire" / "2013-14.yml"
    path.write_text(path.read_text().replace("history_years:", "histroy_years:"))
    proc = run_cli(project, "build", "--partnership", "lancashire", "--year", "2013-14")
    assert proc.returncode == 1
    assert "params/lancashire/2013-14.yml" in proc.stderr
    assert "key 'histroy_years'" in proc.stderr and "unknown key" in proc.stderr and "history_years" in proc.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()
