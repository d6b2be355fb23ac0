"""A report a partnership would publish (issue 8): the PDF's layout on every page, its cover and frame,
tables with row headers, the HTML's navigation and CSV downloads, and report.docx.

The three examples are the run's shared builds (conftest.py), built by the CLI: Lancashire 2013-14,
Kingston and Richmond 2023-24, and the SYNTHETIC four-council fixture (2022-23) with every national
chapter and partners' logos added.
"""

from __future__ import annotations

import base64
import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn

from pdf_layout import layout_problems

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLES = {"lancashire": "2013-14", "kingston-richmond": "2023-24", "hipss": "2022-23"}
FOOTER = r"Page \d+ of \d+"


@pytest.fixture(scope="module")
def examples(lancashire_build: Path, kingston_build: Path, hipss_build: Path) -> dict[str, Path]:
    """The three examples, as built once for the whole run (conftest.py)."""
    return {"lancashire": lancashire_build, "kingston-richmond": kingston_build, "hipss": hipss_build}


def short_title(build: Path) -> str:
    params = yaml.safe_load((build / "manifest.json").read_text(encoding="utf-8"))["params"]
    partnership = next(v for k, v in params.items() if k.count("/") == 1)
    return f"{partnership['short_name']}: annual report {build.name}"


def pdftotext(pdf: Path, *args: str, mode: str = "-layout") -> str:
    """The PDF's text: laid out as on the page (-layout), or in the order the PDF draws it (-raw), where
    the DRAFT mark, drawn first behind the text, is not read into the lines it crosses."""
    return subprocess.run(["pdftotext", mode, *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


# -- the layout check, shown to fail -----------------------------------------------------------

def test_the_layout_check_finds_overlaps_text_off_the_text_area_and_missing_rows(tmp_path: Path) -> None:
    """The check itself: a page with two lines printed over each other, a line in the side margin, a
    line under the footer, and an HTML table whose second row the PDF does not have."""
    import typst

    (tmp_path / "bad.typ").write_text(
        '#set page(paper: "a4", margin: (x: 2.2cm, y: 2.4cm), footer: align(center)[Page 1 of 1])\n'
        "Alpha beta gamma delta on the first line.\n"
        "#place(top + left, dy: 1pt)[Overprinted words collide here.]\n\n"
        "#place(top + left, dx: -2cm, dy: 3cm)[In the margin]\n"
        "#place(bottom + left, dy: 2cm)[Below the footer]\n"
        "#table(columns: 2, [Area], [Value], [Lancashire], [243,690])\n", encoding="utf-8")
    typst.compile(str(tmp_path / "bad.typ"), output=str(tmp_path / "bad.pdf"), ignore_system_fonts=True)
    (tmp_path / "bad.html").write_text(
        "<table><caption>Table 1: Children</caption><thead><tr><th>Area</th><th>Value</th></tr></thead><tbody>"
        "<tr><td>Lancashire</td><td>243,690</td></tr><tr><td>England</td><td>11,473,080</td></tr></tbody></table>",
        encoding="utf-8")
    problems = layout_problems(tmp_path / "bad.pdf", tmp_path / "bad.html", r"", FOOTER)
    assert any("overlaps" in p and "Overprinted" in p + "Alpha" for p in problems), problems
    assert any("In the margin" in p and "outside the text area" in p for p in problems), problems
    assert any("Below the footer" in p and "bottom margin but is not the page footer" in p for p in problems), problems
    assert [p for p in problems if "table row missing" in p] == [
        "table row missing from the PDF's text (Table 1: Children): England | 11,473,080"]


@pytest.mark.parametrize("partnership", list(EXAMPLES))
def test_every_page_of_every_example_is_laid_out_within_its_text_area(examples: dict[str, Path], partnership: str) -> None:
    """No two lines overlap, nothing but the header and "Page N of M" lies outside the text area, and
    every row of every table is on a page, whole (the watermark is left out)."""
    public = examples[partnership] / "public"
    problems = layout_problems(public / "report.pdf", public / "report.html", re.escape(short_title(examples[partnership])),
                               FOOTER)
    assert problems == []


# -- the PDF's front and frame -------------------------------------------------------------------

def test_the_lancashire_pdf_has_a_cover_with_its_logo_and_page_n_of_m(examples: dict[str, Path]) -> None:
    pdf = examples["lancashire"] / "public" / "report.pdf"
    pages = pdftotext(pdf).split("\f")[:-1]
    cover = " ".join(pages[0].split())
    assert "Lancashire Safeguarding Children Board" in cover and "Annual report 2013-14" in cover
    assert "1 April 2013 to 31 March 2014" in cover and "Draft for the board" in cover
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(images) == 1  # the logo
    assert "Page" not in cover
    for n, page in enumerate(pages[1:], start=2):
        assert f"Page {n} of {len(pages)}" in page, n
        assert "Lancashire: annual report 2013-14" in page, n
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "AtkinsonHyperlegible-Regular" in fonts  # the sans body, from its wheel


def test_the_text_starts_on_the_page_after_the_contents(examples: dict[str, Path]) -> None:
    pdf = examples["lancashire"] / "public" / "report.pdf"
    pages = [" ".join(p.split()) for p in pdftotext(pdf, mode="-raw").split("\f")]
    first = next(i for i, p in enumerate(pages) if "This is the annual report of the Lancashire" in p)
    assert pages[first].split("Lancashire: annual report 2013-14 ", 1)[-1].startswith("About this report"), pages[first][:200]
    leaders = ". . . . ."  # a contents entry's dots, as pdftotext reads them
    assert leaders in pages[first - 1] and leaders not in pages[first]  # the contents end on the page before


def test_the_foreword_is_signed_by_the_years_signatories(examples: dict[str, Path]) -> None:
    text = " ".join(pdftotext(examples["lancashire"] / "public" / "report.pdf", mode="-raw").split())
    foreword = text[text.index("Foreword This report"):text.index("Summary at a glance The key")]
    assert foreword.rstrip().endswith("Jane Booth Independent Chair, Lancashire Safeguarding Children Board")


def test_the_priorities_table_continues_across_pages_with_its_header_repeated(examples: dict[str, Path]) -> None:
    pages = pdftotext(examples["lancashire"] / "public" / "report.pdf").split("\f")
    start = next(i for i, p in enumerate(pages) if re.search(r"Table \d+: Priorities for 2013-14 and progress", p))
    header = re.compile(r"^\s*Priority\s+Status\s+Progress\s*$", re.M)
    assert header.search(pages[start]) and header.search(pages[start + 1])
    assert "Listen and respond" in pages[start] and "LADO: take part in the" in pages[start + 1]  # first, last rows


def test_the_hipss_cover_shows_the_partners_logos(examples: dict[str, Path]) -> None:
    pdf = examples["hipss"] / "public" / "report.pdf"
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    assert len(images) == 2


# -- tables shaped for reading -------------------------------------------------------------------

def html_tables(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {m.group(1): m.group(0) for m in re.finditer(r'<table id="([^"]+)".*?</table>', text, re.S)}


def cells(table: str, section: str) -> list[list[tuple[str, str]]]:
    """(tag with attributes, text) of each cell of each row of thead or tbody."""
    part = re.search(rf"<{section}>(.*?)</{section}>", table, re.S)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", part.group(1), re.S) if part else []
    return [[(m.group(1), html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip())
             for m in re.finditer(r"<(t[hd][^>]*)>(.*?)</t[hd]>", row, re.S)] for row in rows]


@pytest.mark.parametrize("partnership", list(EXAMPLES))
def test_tables_have_row_headers_and_no_blank_labels_or_empty_years(examples: dict[str, Path], partnership: str) -> None:
    tables = html_tables(examples[partnership] / "public" / "report.html")
    assert tables
    for name, table in tables.items():
        head, body = cells(table, "thead"), cells(table, "tbody")
        assert all(tag.startswith("th") and 'scope="col"' in tag for row in head for tag, _ in row), name
        labels = [h for h, _ in head[0]]
        for row in body:
            assert row[0][0].startswith("th") and 'scope="row"' in row[0][0], (name, row)
            assert all(text for tag, text in row if tag.startswith("th")), (name, row)  # a label is never blank
        if "Area" in [t for _, t in head[0]]:  # a national table: no year in which no area has a figure
            for j, (_, year) in enumerate(head[0]):
                if re.fullmatch(r"\d{4}-\d{2}", year):
                    assert any(row[j][1] not in ("[x]", "[z]") for row in body), (name, year)
        assert labels


def test_national_tables_say_where_the_series_begins_and_partnerships_get_a_table_per_indicator(
        examples: dict[str, Path]) -> None:
    text = " ".join((examples["lancashire"] / "public" / "report.html").read_text(encoding="utf-8").split())
    assert "The table starts in 2012-13: no area has figures for 2009-10 to 2011-12" in text
    hipss = html_tables(examples["hipss"] / "public" / "report.html")
    national = [t for t in hipss.values() if "<th" in t and ">Area<" in t]
    assert national
    for table in national:
        head = [t for _, t in cells(table, "thead")[0]]
        assert head[0] == "Area" and "Indicator" not in head  # one table per indicator: areas as rows
        assert len(cells(table, "tbody")) <= 10


def test_budget_sections_and_the_cse_grid(examples: dict[str, Path]) -> None:
    tables = html_tables(examples["lancashire"] / "public" / "report.html")
    budget = next(t for t in tables.values() if "Income, expenditure and reserve" in t)
    rows = [[text for _, text in row] for row in cells(budget, "tbody")]
    assert ["Income", "Total income", "£391,171"] in rows and ["Expenditure", "Total expenditure", "£415,694"] in rows
    assert ["Reserve", "Combined Reserve", "£268,418"] in rows
    assert not any(r[1] == "Total" for r in rows)
    cse = next(t for t in tables.values() if "Child sexual exploitation referrals" in t)
    head = [text for _, text in cells(cse, "thead")[0]]
    assert head[:1] == ["Half-year"] and {"West", "South", "East", "Total"} <= set(head)
    assert len(cells(cse, "tbody")) == 6  # three years of half-years, not half-year x division


def test_text_columns_are_left_aligned_and_figures_right_aligned(examples: dict[str, Path]) -> None:
    tables = html_tables(examples["lancashire"] / "public" / "report.html")
    priorities = next(t for t in tables.values() if "Priorities for 2013-14 and progress" in t)
    assert all("text-align: left" in tag for row in cells(priorities, "tbody") for tag, _ in row)
    summary = next(t for t in tables.values() if "Summary at a glance" in t)
    head = [(tag, text) for tag, text in cells(summary, "thead")[0]]
    aligned = {text: "right" if "right" in tag else "left" for tag, text in head}
    assert aligned == {"Indicator": "left", "2012-13": "right", "2013-14": "right", "Change": "left",
                       "Judgement": "left", "England": "right"}


# -- the HTML: navigation, phones, CSV downloads ------------------------------------------------

def test_the_html_has_a_skip_link_a_main_landmark_and_labelled_contents(examples: dict[str, Path]) -> None:
    text = (examples["lancashire"] / "public" / "report.html").read_text(encoding="utf-8")
    body = text[text.index("<body>"):]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link"' in first_link and 'href="#main"' in first_link
    assert text.count('<main id="main">') == 1
    assert re.search(r'<nav id="TOC" role="doc-toc" aria-label="Contents">', text)
    assert all('role="region"' in d and "aria-label=" in d and 'tabindex="0"' in d
               for d in re.findall(r'<div class="table-scroll"[^>]*>', text))
    assert "@media print" in text


def _measure_in_chromium(html: Path, width: int, tmp_path: Path) -> tuple[int, int]:
    """(scrollWidth, clientWidth) of the report shown `width` CSS pixels wide. Headless Chromium's window
    is at least 500 px wide, so the report, unchanged (its CSP too), is shown in a frame that wide, and
    a script of the page around it measures the frame's document."""
    frame = html_lib.escape(html.read_text(encoding="utf-8"), quote=True)
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(
        f'<!DOCTYPE html><html><head><title>probe</title></head><body style="margin:0">'
        f'<iframe id="f" style="width:{width}px;height:900px;border:0" srcdoc="{frame}"></iframe><script>'
        "document.getElementById('f').addEventListener('load',()=>{"
        "const e=document.getElementById('f').contentDocument.documentElement;"
        "document.title='W'+e.scrollWidth+'x'+e.clientWidth;});</script></body></html>", encoding="utf-8")
    proc = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                           f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=800,1000",
                           "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=180)
    found = re.search(r"<title>W(\d+)x(\d+)</title>", proc.stdout)
    assert found, proc.stderr[-2000:]
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("partnership", ["lancashire", "hipss"])
def test_the_html_does_not_scroll_sideways_at_320_px(examples: dict[str, Path], partnership: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed (/usr/bin/chromium)")
    scroll, client = _measure_in_chromium(examples[partnership] / "public" / "report.html", 320, tmp_path)
    assert 280 <= client <= 320 and scroll <= client, (scroll, client)


def test_csv_links_work_from_a_copy_of_the_html_on_its_own(examples: dict[str, Path], tmp_path: Path) -> None:
    public = examples["lancashire"] / "public"
    moved = tmp_path / "elsewhere" / "report.html"
    moved.parent.mkdir()
    shutil.copyfile(public / "report.html", moved)
    text = moved.read_text(encoding="utf-8")
    links = re.findall(r'<a href="data:text/csv;charset=utf-8;base64,([^"]+)"[^>]*\sdownload="([^"]+)">([^<]+)</a>', text)
    links = [(content, name, " ".join(words.split())) for content, name, words in links]
    assert len(links) == len(list((public / "data").glob("*.csv")))
    for content, name, words in links:
        assert base64.b64decode(content) == (public / "data" / name).read_bytes(), name
        assert re.fullmatch(r"Download the data for (Figure|Table) \d+ \(CSV\)", words), words
    assert ("Download the data for Figure 2 (CSV)", "front_door-1.csv") in [(w, n) for _, n, w in links]
    assert not re.search(r'href="data/', text)  # no link that depends on the folder beside it
    pdf = " ".join(pdftotext(public / "report.pdf").split())
    assert "The data for Figure 2 is the file front_door-1.csv, published with this report (see the appendix)" in pdf


# -- Word -----------------------------------------------------------------------------------------

def test_report_docx_has_headings_repeating_table_headers_alt_text_and_contents(examples: dict[str, Path]) -> None:
    build = examples["lancashire"]
    doc = Document(str(build / "public" / "report.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    html = (build / "public" / "report.html").read_text(encoding="utf-8")
    chapters = [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", h)).split())
                for h in re.findall(r'<h1 data-number="[^"]*"[^>]*>(.*?)</h1>', html, re.S)]
    assert chapters and all(any(c.split(" ", 1)[1] in h for h in headings) for c in chapters), (chapters, headings)
    assert len(doc.tables) == len(html_tables(build / "public" / "report.html"))
    for table in doc.tables:
        first = table.rows[0]._tr
        assert first.find(qn("w:trPr")) is not None and first.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    pictures = doc.element.body.findall(".//" + qn("wp:docPr"))
    assert len(pictures) == len(list((build / "figures").glob("*.png")))
    assert all(p.get("descr") for p in pictures)
    assert "TOC" in doc.element.body.xml  # the contents field
    captions = [p.text for p in doc.paragraphs if p.style.name in ("Table Caption", "Image Caption")]
    assert any(c.startswith("Table 1:") for c in captions) and any(c.startswith("Figure 1:") for c in captions)


def test_a_second_render_of_the_same_book_gives_the_same_bytes(examples: dict[str, Path], tmp_path: Path) -> None:
    from annualreport.render.embedded import EmbeddedRenderer

    build = examples["lancashire"]
    book = tmp_path / "book"
    shutil.copytree(build, book, ignore=shutil.ignore_patterns("public"))
    shutil.copytree(build / "public" / "data", book / "data")
    outputs = EmbeddedRenderer().render(book, draft=True, year_end=2014)
    for path in outputs:
        assert path.read_bytes() == (build / "public" / path.name).read_bytes(), path.name


def test_pdf_and_word_data_links_go_to_the_data_location_named_in_params(tmp_path: Path) -> None:
    """The writers' filter (writers.lua) on its own: with `data-url` the PDF's link goes there; in HTML only the build's
    own CSV files are embedded, and a link to a data file that is not there stops the render."""
    import pypandoc

    from annualreport.render.pandoc_run import template

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "front_door-1.csv").write_text("year,value\n2013-14,19460\n", encoding="utf-8")
    (tmp_path / "report.md").write_text("![Referrals](figures/front_door-1.png){#fig-front_door-1}\n\n"
                                        "[Download the data for this chart (CSV)](data/front_door-1.csv).\n",
                                        encoding="utf-8")

    def render(to: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([pypandoc.get_pandoc_path(), "report.md", "--lua-filter", template("writers.lua"),
                               "--to", to, *extra], cwd=tmp_path, capture_output=True, text=True)

    typst = render("typst", "--metadata", "data-url=https://www.example.org.uk/report/data/").stdout
    assert ('#link("https://www.example.org.uk/report/data/front_door-1.csv")[Download the data for Figure 1 (CSV): '
            "front\\_door-1.csv]") in typst
    html = render("html5").stdout
    assert "data:text/csv;charset=utf-8;base64," + base64.b64encode(b"year,value\n2013-14,19460\n").decode() in html
    (tmp_path / "data" / "front_door-1.csv").unlink()
    failed = render("html5")
    assert failed.returncode != 0 and "data/front_door-1.csv is not one of the build's data files" in failed.stderr


def test_the_html_embeds_each_csv_whole_whatever_its_length(tmp_path: Path) -> None:
    """writers.lua's base64: files of every length modulo 3 (padded with one '=', two or none), empty,
    and with bytes above 127 (UTF-8), each embedded exactly as Python's base64 encodes it."""
    import pypandoc

    from annualreport.render.pandoc_run import template

    contents = [b"", b"a", b"ab", b"abc", b"year,value\n2013-14,19460\n",
                "area,note\nSt Helens,\u00a3 \u2013 [c]\n".encode()]
    (tmp_path / "data").mkdir()
    lines = []
    for i, content in enumerate(contents):
        (tmp_path / "data" / f"t-{i}.csv").write_bytes(content)
        lines.append(f"[Download the data for this table (CSV)](data/t-{i}.csv)\n")
    (tmp_path / "report.md").write_text("\n".join(lines), encoding="utf-8")
    html = subprocess.run([pypandoc.get_pandoc_path(), "report.md", "--lua-filter", template("writers.lua"),
                           "--to", "html5"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    embedded = re.findall(r'href="data:text/csv;charset=utf-8;base64,([^"]*)"', html)
    assert embedded == [base64.b64encode(content).decode() for content in contents]
