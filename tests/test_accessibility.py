"""Accessibility of the example reports (issue 9), on the run's shared builds (conftest.py) of
Lancashire 2013-14, Kingston and Richmond 2023-24 and the four-council HIPSS fixture:

- axe-core (WCAG 2.0/2.1/2.2 A and AA, and best practice) in headless Chromium finds no violation in the HTML;
- every PDF is PDF/UA-1, read with pikepdf: XMP pdfuaid:part 1, DisplayDocTitle, /Lang, the outline
  open, every Figure with /Alt, tables with header cells, headings that never skip a level;
- every line chart's alt text describes the same change, in the same direction and years, as its
  caption, and every series colour has at least 3:1 contrast with the background it is drawn on;
  nothing in any chart is drawn at its edge (a label cut off);
- the generated sentences are short and plain (no sentence over 25 words or with more than three
  figures, no file names, no nested brackets, no "1 percentage points", 18 words on average at most).

Chromium is Debian's package and axe-core npm's (`make browser` installs both), so nothing is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import nbformat
import numpy as np
import pikepdf
import pytest

from annualreport.chapters.charts import MUTED, contrast_ratio
from conftest import REPO

AXE = REPO / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
EXAMPLES = ["lancashire", "kingston-richmond", "hipss"]


@pytest.fixture(params=[pytest.param(f"{name}_build", id=example) for name, example in
                        zip(("lancashire", "kingston", "hipss"), EXAMPLES)])
def report(request: pytest.FixtureRequest) -> Path:
    """The example's report, as built once for the whole run (conftest.py)."""
    return request.getfixturevalue(request.param)


# -- axe-core in headless Chromium -----------------------------------------------------------
RUNNER = """
<script>%s</script>
<script>
axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]}).then(function (r) {
  var pre = document.createElement("pre");
  pre.id = "axe-results";
  pre.textContent = JSON.stringify(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(function (n) { return n.html.slice(0, 200); })};
  }));
  document.body.appendChild(pre);
});
</script>
"""


def axe_violations(html: Path, work: Path) -> list[dict]:
    """Run axe-core over a copy of the report in headless Chromium; the violations it finds.

    The report's Content-Security-Policy forbids scripts, so the copy has it removed and axe added
    at the end of the body; nothing else of the page changes. The page is rasterised at a quarter of
    its resolution (the device scale factor): axe reads the layout and styles, in CSS pixels, never
    the pixels drawn, and drawing the long report at full resolution took half the run's CPU."""
    text = html.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
    runner = RUNNER % (AXE.read_text(encoding="utf-8"), json.dumps(AXE_TAGS))
    text = text.replace("</body>", runner + "</body>")
    page = work / "axe.html"
    page.write_text(text, encoding="utf-8")
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={work / 'profile'}",
                           "--force-device-scale-factor=0.25", "--virtual-time-budget=60000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=300)
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"axe did not report (chromium exit {proc.returncode}): {proc.stderr[-2000:]}"
    import html as html_module
    return json.loads(html_module.unescape(found.group(1)))


@pytest.mark.slow
def test_axe_finds_no_violation(report: Path, tmp_path: Path) -> None:
    assert AXE.is_file(), "axe-core is not installed: run `make browser`"
    assert Path(CHROMIUM).exists(), "Chromium is not installed: run `make browser`"
    html = (report / "public" / "report.html").read_text(encoding="utf-8")
    assert '<nav id="TOC"' in html and html.count("<main") == 1  # the page axe checks has its contents and main
    violations = axe_violations(report / "public" / "report.html", tmp_path)
    assert violations == [], json.dumps(violations, indent=1)


def test_axe_reports_the_violations_it_finds(tmp_path: Path) -> None:
    """The check above can fail: a page with grey text on white and an image without alt text."""
    page = tmp_path / "planted.html"
    page.write_text('<!DOCTYPE html><html lang="en-GB"><head><title>Planted</title></head><body><main>'
                    '<h1>Planted</h1><p style="color:#bbbbbb;background:#ffffff">Text too pale to read.</p>'
                    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>', encoding="utf-8")
    found = {v["id"] for v in axe_violations(page, tmp_path)}
    assert {"color-contrast", "image-alt"} <= found, found


# -- PDF/UA-1 ---------------------------------------------------------------------------------
def struct_elements(node: object, out: list[pikepdf.Dictionary]) -> list[pikepdf.Dictionary]:
    """Every structure element under node, in reading order."""
    if isinstance(node, pikepdf.Array):
        for kid in node:
            struct_elements(kid, out)
    elif isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            out.append(node)
        if "/K" in node:
            struct_elements(node.K, out)
    return out


def test_pdf_is_pdf_ua_1(report: Path) -> None:
    with pikepdf.open(report / "public" / "report.pdf") as pdf:
        root = pdf.Root
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
            title = xmp.get("dc:title")
        assert title and "Annual Report" in title
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(root.Lang) == "en-GB"
        assert root.PageMode == pikepdf.Name.UseOutlines and len(pdf.open_outline().root) > 0
        elements = struct_elements(root.StructTreeRoot.K, [])
        kinds = [str(e.S) for e in elements]
        figures = [str(e.get("/Alt", "")) for e in elements if e.S == pikepdf.Name.Figure]
        charts = sorted((report / "figures").glob("*.png"))
        chart_alts = [alt for alt in figures if alt.startswith(("Line chart of", "Bar chart of"))]
        assert len(chart_alts) == len(charts) > 0
        for alt in chart_alts:
            assert alt.endswith("linked below the chart."), alt
        logos = [alt for alt in figures if alt not in chart_alts]  # the cover's logos, with their alt text from params
        assert all("logo" in alt.lower() for alt in logos), logos
        assert kinds.count("/Table") > 0 and kinds.count("/TH") >= kinds.count("/Table")
        levels = [int(k[2:]) for k in kinds if re.fullmatch(r"/H\d", k)]
        assert levels[0] == 1
        for before, after in zip(levels, levels[1:]):
            assert after <= before + 1, f"a heading skips from level {before} to {after}"


def test_pdf_tables_have_row_headers_as_the_html_does(report: Path) -> None:
    """The cells that label their rows are TH with scope Row in the PDF's structure tree, as many as the
    HTML's <th scope="row">, and every other cell of such a row names its row header among its /Headers."""
    html = (report / "public" / "report.html").read_text(encoding="utf-8")
    with pikepdf.open(report / "public" / "report.pdf") as pdf:
        tree = pikepdf.NameTree(pdf.Root.StructTreeRoot.IDTree)
        row_heads = 0
        for element in struct_elements(pdf.Root.StructTreeRoot.K, []):
            if element.S != pikepdf.Name.TR:
                continue
            cells = [c for c in struct_elements(element.K, []) if c.S in (pikepdf.Name.TH, pikepdf.Name.TD)]
            attrs = [next(a for a in (c.A if isinstance(c.A, pikepdf.Array) else [c.A]) if a.get("/O") == pikepdf.Name.Table)
                     for c in cells]
            heads = [bytes(c.ID).decode() for c, a in zip(cells, attrs) if a.get("/Scope") == pikepdf.Name.Row]
            row_heads += len(heads)
            for name in heads:
                assert tree[name].S == pikepdf.Name.TH
            for c, a in zip(cells, attrs):
                if c.S == pikepdf.Name.TD:
                    assert set(heads) <= {str(h) for h in a.get("/Headers", [])}
    assert row_heads > 0 and row_heads == len(re.findall(r'<th [^>]*scope="row"', html))


def test_row_headers_refused_when_tables_do_not_match(lancashire_build: Path, tmp_path: Path) -> None:
    """If the report's text and the PDF disagree on how many tables there are, no cell is guessed at:
    RenderError, and the PDF is left as it was."""
    from annualreport.errors import RenderError
    from annualreport.render.pdf_row_headers import mark_row_headers

    pdf = tmp_path / "report.pdf"
    shutil.copy(lancashire_build / "public" / "report.pdf", pdf)
    before = pdf.read_bytes()
    with pytest.raises(RenderError, match="tables in the report's text"):
        mark_row_headers(pdf, [1])
    assert pdf.read_bytes() == before


# -- charts: alt text agrees with the caption; contrast ---------------------------------------
DIRECTION = re.compile(r"\b(rose|fell|much the same|cannot be compared)\b")
YEAR = re.compile(r"\b\d{4}-\d{2}\b")


def published_alts(html: Path) -> dict[str, str]:
    """figure stem -> the alt text of its image in the published HTML."""
    import html as html_module

    text = html.read_text(encoding="utf-8")
    out = {}
    for tag in re.findall(r"<img [^>]*>", text):
        alt = re.search(r'alt="([^"]*)"', tag)
        fig = re.search(r'data-figure="([^"]+)"|id="fig-([^"]+)"', tag)
        if alt:
            out[html_module.unescape(alt.group(1))] = fig.group(0) if fig else ""
    return out


def test_chart_alt_text_agrees_with_caption_and_colours_contrast(report: Path) -> None:
    charts = sorted((report / "figures").glob("*.png"))
    records = [report / "records" / f"{c.stem}.json" for c in charts if (report / "records" / f"{c.stem}.json").is_file()]
    assert records, "no line chart recorded"
    alts = published_alts(report / "public" / "report.html")
    for path in records:
        chart = json.loads(path.read_text(encoding="utf-8"))
        title, alt = chart["title"], chart["alt"]
        assert alt in alts, f"{path.stem}: the recorded alt text is not the published one"
        in_title, in_alt = DIRECTION.findall(title), DIRECTION.findall(alt)
        assert in_title and in_alt[:1] == in_title[:1], f"{path.stem}: caption says {in_title}, alt text says {in_alt}"
        assert YEAR.findall(title) == YEAR.findall(alt.split(". ", 1)[1]), (title, alt)
        assert len(re.findall(r"[.!?](?:\s|$)", alt)) <= 3 and alt.endswith("Full figures in the data file linked below the chart.")
        colours = dict(chart["colours"])
        background = colours.pop("background")
        assert len([c for c in colours.values() if c != MUTED]) <= 4, f"{path.stem}: more than four emphasised series"
        for area, colour in colours.items():
            assert contrast_ratio(colour, background) >= 3.0, f"{path.stem}: {area} {colour} on {background}"
        # The PNG as drawn: the background is the colour most pixels have, and every series colour is drawn.
        pixels = (mpimg.imread(report / "figures" / f"{path.stem}.png")[..., :3] * 255).round().astype(np.int64).reshape(-1, 3)
        packed = (pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2]  # one 0xRRGGBB number per pixel
        values, counts = np.unique(packed, return_counts=True)
        assert "#%06X" % values[counts.argmax()] == background.upper()
        drawn = {"#%06X" % v for v in values}
        for area, colour in colours.items():
            assert colour.upper() in drawn, f"{path.stem}: {area}'s colour {colour} is not in the chart"
    for path in charts:  # nothing is cut off: a frame 3 pixels wide round every chart is background only
        pixels = (mpimg.imread(path)[..., :3] * 255).round().astype(np.int64)
        frame = np.concatenate([pixels[:3].reshape(-1, 3), pixels[-3:].reshape(-1, 3), pixels[:, :3].reshape(-1, 3),
                                pixels[:, -3:].reshape(-1, 3)])
        assert (frame == 255).all(), f"{path.name}: something is drawn at the edge of the chart (a label cut off?)"


# -- generated text ---------------------------------------------------------------------------
# Numbers that are part of a name or unit, not figures: years, 'per 10,000', 'aged 0 to 17', '31 March'.
NOT_FIGURES = re.compile(r"\b\d{4}-\d{2}\b|\bmid-\d{4}\b|per 10,000|aged 0 to 17|\b0 to 17\b|\b19 to 21\b|31 March|"
                         r"1 April|section (?:11|47)|\b12 months|45 working days|\b\d+ (?:years?|months?|miles)\b|"
                         r"\b(?:19|20)\d{2}\b|\bSFR\d+/\d{4}|[Ll]evel \d|\b\d+ or more\b")
FIGURE = re.compile(r"£?\d[\d,]*(?:\.\d+)?%?")
FILE_NAME = re.compile(r"\b[\w-]+\.(?:csv|xlsx|ods|json|ipynb|yml|py)\b(?!\))")


def generated_sentences(build: Path) -> list[str]:
    """The sentences the code wrote: the Markdown output of every chapter's code cells (a partner's own
    words and the tables left out), the filled foreword and the front page, and the charts' alt text."""
    texts = [(build / "index.qmd").read_text(encoding="utf-8")]
    for path in sorted((build / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown" and cell.get("id") == "summary-3":
                texts.append(cell.source)
            if cell.cell_type != "code" or path.stem == "partner_updates":
                continue
            for out in cell.get("outputs", []):
                md = out.get("data", {}).get("text/markdown")
                if md:
                    texts.append("".join(md) if isinstance(md, list) else md)
    sentences = []
    for text in texts:
        for alt in re.findall(r'fig-alt="([^"]*)"', text):
            sentences += re.split(r"(?<=[.!?])\s+", alt)
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith(("|", ":", "#", "![", "Data:", "Data for this chart", "[x] not available")):
                continue
            if "Reason given:" in line:  # the partnership's own words follow
                line = line.split("Reason given:")[0]
            line = re.sub(r"[*_\\]", "", re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", line)).lstrip("- ")
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", line) if s]
    return sentences


def test_generated_text_is_plain(report: Path) -> None:
    sentences = generated_sentences(report)
    assert len(sentences) > 30
    problems = []
    for s in sentences:
        words = len(s.split())
        figures = FIGURE.findall(NOT_FIGURES.sub("", s))
        if words > 25:
            problems.append(f"{words} words: {s}")
        if len(figures) > 3:
            problems.append(f"{len(figures)} figures {figures}: {s}")
        if FILE_NAME.search(s):
            problems.append(f"file name: {s}")
        if re.search(r"\([^()]*\(", s):
            problems.append(f"nested brackets: {s}")
        if re.search(r"(?<![\d.,])1 percentage points\b", s):
            problems.append(f"number agreement: {s}")
    assert not problems, "\n".join(problems)
    average = sum(len(s.split()) for s in sentences) / len(sentences)
    assert average <= 18, f"average sentence is {average:.1f} words"


def test_a_pdf_that_cannot_meet_pdf_ua_is_refused_saying_why(tmp_path: Path) -> None:
    from annualreport.errors import RenderError
    from annualreport.render.typst_compile import compile_pdf

    (tmp_path / "packages").mkdir()
    source = tmp_path / "report.typ"
    source.write_text('#set document(title: "T")\n#set text(lang: "en")\n= Chapter\n=== Skipped a level\nText.\n')
    with pytest.raises(RenderError, match=r"cannot be made accessible \(PDF/UA-1\)[\s\S]*skipped from heading level 1 to 3"):
        compile_pdf(source, tmp_path / "report.pdf", tmp_path, tmp_path / "packages", 0, 60)
    assert not (tmp_path / "report.pdf").exists()
    source.write_text('#set document(title: "T")\n#set text(lang: "en")\n= Chapter\n== Next level\nText.\n')
    compile_pdf(source, tmp_path / "report.pdf", tmp_path, tmp_path / "packages", 0, 60)
    assert (tmp_path / "report.pdf").stat().st_size > 0
