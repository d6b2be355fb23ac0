"""Text from partners and editors is text; rendering cannot reach outside the build (issues 13 and 14).

One build carries a payload (script, event handlers, javascript: links, raw HTML, raw Typst
reading store.json, a Typst package import, network and file images, a formula) in every text
input; headless Chromium, pypdf and a local HTTP server check what came out. The escaping
function, the narrative check, the renderer's own defences and its limits are tested on their
own with the real pandoc and Typst.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import nbformat
import pandas as pd
import pypandoc
import pytest
import yaml
from conftest import REPO, copy_project, run_cli, seed_cache
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from test_report import text_of

from annualreport.errors import RenderError
from annualreport.render.markdown_text import inline, paragraphs, plain_line
from annualreport.inputs.narrative_check import unsafe_markdown
from annualreport.render.outputs import Outputs, pipe_table, spreadsheet_safe
from annualreport.render.embedded import EmbeddedRenderer, RenderLimits
from annualreport.render.html_embed import embed_images
from annualreport.render.typst_compile import compile_pdf

PANDOC = pypandoc.get_pandoc_path()
CHROMIUM = Path("/usr/bin/chromium")
BUILD = ("build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")
FORMULA = "=cmd|' /C calc'!A0"


# -- a local web server that records every request ------------------------------------------
class Server:
    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                outer.requests.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"fetched")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


# -- the escaping function: pandoc reads back exactly the text ---------------------------------
def pandoc_json(markdown: str, *extra: str) -> dict:
    proc = subprocess.run([PANDOC, "--from", "markdown", "--to", "json", *extra], input=markdown,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def words(inlines: list[dict]) -> str:
    """The text of inlines that must be only words and spaces: any other element fails."""
    out = []
    for node in inlines:
        assert node["t"] in ("Str", "Space", "SoftBreak"), node
        out.append(node["c"] if node["t"] == "Str" else " ")
    return "".join(out)


def read_back(markdown: str) -> list[str]:
    """The paragraphs pandoc reads from markdown, as plain text (any block but a paragraph fails)."""
    blocks = pandoc_json(markdown)["blocks"]
    assert all(b["t"] == "Para" for b in blocks), blocks
    return [words(b["c"]) for b in blocks]


MARKDOWNISH = ["<", ">", "|", "*", "_", "#", "`", "[", "]", "(", ")", "{", "}", "!", "\\", "$", "@", "^", "~",
               "=", "+", "-", ".", ":", ";", "%", "&", "'", '"', "\n", " ", "\t", "1", "a", "é", "\u00a0",
               "\u2028", "\ufeff", "\u200b", "\x00", "\x85", "http://", "javascript:", "<script>", "```",
               "{=typst}", "#read(", "1. ", "- ", "> ", "---", "--", "...", "\n\n", "    ", "&amp;", "<!--",
               "[^1]", "@cite", "$x$", "\\newpage", ":smile:"]
TEXT = st.lists(st.sampled_from(MARKDOWNISH), max_size=40).map("".join) | st.text()


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_inline_text_reads_back_as_typed(text: str) -> None:
    assert " ".join(read_back(inline(text))) == plain_line(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_paragraphs_read_back_as_typed_paragraphs_kept(text: str) -> None:
    # What no output can show (control characters, a byte order mark) is not there: a line holding only
    # that is a blank line, between two paragraphs, as the person who typed it sees it.
    shown = "".join(c for c in text if c.isspace() or (c != "\ufeff" and unicodedata.category(c) not in ("Cc", "Cs", "Cn")))
    expected = [plain_line(p) for p in re.split(r"\n[ \t\r\f\v]*\n", shown.replace("\r\n", "\n").replace("\r", "\n"))]
    assert read_back(paragraphs(text)) == [p for p in expected if p]


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXT, min_size=2, max_size=4))
def test_table_cells_read_back_as_typed_and_keep_their_columns(cells: list[str]) -> None:
    markdown = pipe_table([f"h{i}" for i in range(len(cells))], [cells], [10] * len(cells), "Caption", "t")
    tables = [b for b in pandoc_json(markdown)["blocks"] if b["t"] == "Table"]
    assert len(tables) == 1
    body_rows = tables[0]["c"][4][0][3]  # TableBody -> its rows
    assert len(body_rows) == 1
    shown = [" ".join(words(block["c"]) for block in cell[4]) for cell in body_rows[0][1]]
    assert shown == [plain_line(c) for c in cells]


def test_a_partner_heading_is_one_heading_whatever_it_holds() -> None:
    name = "Police ## <b>x</b> {#sec-summary .unnumbered} `code`"
    blocks = pandoc_json(f"### {inline(name)} {{.unnumbered}}\n")["blocks"]
    assert [b["t"] for b in blocks] == ["Header"]
    assert words(blocks[0]["c"][2]) == name


# -- published CSVs never hold a formula ---------------------------------------------------
def test_csv_text_that_looks_like_a_formula_is_quoted_numbers_stay_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame({"Agency": [FORMULA, "+SUM(A1)", "@x", "-2+3", "\tTab", "Police"],
                          "Shown": ["-5", "-1,234", "-2.5%", "[c]", "-", "£1,200"],
                          "Count": [1.0, -5.0, 3.0, 0.0, 2.0, 7.0]})
    path = Outputs(tmp_path, "governance").write_csv("governance-table-1", frame)
    written = pd.read_csv(tmp_path / path, dtype=str, keep_default_na=False)
    assert list(written.Agency) == ["'" + FORMULA, "'+SUM(A1)", "'@x", "'-2+3", "'\tTab", "Police"]
    assert list(written.Shown) == ["-5", "-1,234", "-2.5%", "[c]", "'-", "£1,200"]
    assert list(written.Count) == ["1", "-5", "3", "0", "2", "7"]
    assert spreadsheet_safe(-5) == -5


# -- editors' narrative: formatting yes, code no -------------------------------------------
@pytest.mark.parametrize("text, line, says", [
    ("Intro.\n\n```{=typst}\n#read(\"store.json\")\n```\n", 3, "raw block or inline '{=typst}'"),
    ("One\ntwo `x`{=html} three\n", 2, "raw block or inline '{=html}'"),
    ("A\n\nB <script>alert('xss1')</script>\n", 3, "an HTML tag '<script'"),
    ("<iframe src=\"file:///etc/passwd\">", 1, "an HTML tag '<iframe'"),
    ("x\n<img src=x onerror=alert(1)>\n", 2, "an HTML tag '<img'"),
    ("a <!-- a note to self -->", 1, "an HTML comment"),
    ("\n\n[click](javascript:alert(1))", 3, "link to 'javascript:alert(1'"),
    ("[click](\n  JaVa\tScRiPt:alert(1))", 1, "link to 'JaVa ScRiPt:alert(1'"),
    ("<vbscript:msgbox>", 1, "link to 'vbscript:msgbox'"),
    ("[a][r]\n\n[r]: file:///etc/passwd", 3, "link to 'file:///etc/passwd'"),
    ("[a](data:text/html;base64,PHNjcmlwdD4=)", 1, "link to 'data:text/html;base64"),
    ("![](/etc/passwd)", 1, "an image from '/etc/passwd'"),
    ("![x](http://127.0.0.1:9/y.png)", 1, "an image from 'http://127.0.0.1:9/y.png'"),
    ("![x](file:///etc/passwd)", 1, "an image from 'file:///etc/passwd'"),
    ("![x](figures/../store.json)", 1, "an image from 'figures/../store.json'"),
    ("![x][chart]\n\n[chart]: figures/a.png", 1, "an image by reference"),
    ("[x]{onclick=\"alert(1)\"}", 1, "an attribute 'onclick='"),
])
def test_narrative_that_is_code_is_named_with_its_line(text: str, line: int, says: str) -> None:
    problems = unsafe_markdown(text)
    assert any(n == line and says in what for n, what in problems), problems


@pytest.mark.parametrize("text", [
    "Plain *emphasis*, **strong**, a [web page](https://www.gov.uk/x) and [a section](#sec-summary).",
    "<!-- replace: intro -->\nThe text {{ cp_plans.value }}.\n<!-- after: intro -->\n- a list\n- of items",
    "![Referrals rose](figures/front_door-1.png){#fig-x fig-alt=\"Referrals\"}",
    "Children aged <5 and ratios a < b; mail <safeguarding@example.org> or see <https://example.org>.",
    "Code is text: `<script>` and\n\n```\n<iframe src=\"file:///etc/passwd\">\n```\n",
    "## Heading {.unnumbered}\n\n| A | B |\n|---|---|\n| 1 | 2 |",
])
def test_narrative_formatting_is_allowed(text: str) -> None:
    assert unsafe_markdown(text) == []


# -- the renderer's own defences, on Markdown that never went through the escaping -------------
def book(folder: Path, chapter_markdown: str, title: str = "A report") -> Path:
    """A minimal book project as the build writes it: _quarto.yml, index.qmd and one chapter."""
    folder.mkdir(parents=True)
    (folder / "_quarto.yml").write_text(yaml.safe_dump({"book": {
        "title": title, "subtitle": "1 April 2013 to 31 March 2014", "chapters": ["index.qmd", "chapter.qmd"]}}))
    (folder / "index.qmd").write_text("# About {.unnumbered}\n\nText.\n")
    (folder / "chapter.qmd").write_text(chapter_markdown, encoding="utf-8")
    (folder / "store.json").write_text('{"secret": "STORE-SECRET-1234"}')
    (folder / "inputs").mkdir()
    (folder / "inputs" / "raw.csv").write_text("INPUT-SECRET-5678\n")
    return folder


def test_raw_html_and_raw_typst_in_the_markdown_are_shown_as_text(tmp_path: Path, server: Server) -> None:
    before = len(server.requests)
    project = book(tmp_path / "b", f"""# Partner text

<script src="http://127.0.0.1:{server.port}/x.js"></script> <iframe src="file:///etc/passwd"></iframe>
<img src=x onerror="document.title='P'+'WNED'"> <link rel="stylesheet" href="http://127.0.0.1:{server.port}/c.css">

```{{=typst}}
#read("store.json") #read("inputs/raw.csv")
```

`#read("store.json")`{{=typst}} `<b>bold</b>`{{=html}} \\newpage \\input{{/etc/passwd}}

[clickable]{{onclick="document.title='x'" style="color: red"}}
""", title="Lancashire <b>Board</b> #read(\"store.json\") *x*")
    html_path, pdf_path, _ = EmbeddedRenderer().render(project)
    html = html_path.read_text(encoding="utf-8")
    assert server.requests[before:] == []
    assert not re.search(r"<(script|iframe|link)\b", html)
    assert not re.search(r"<[^>]*\s(on\w+|style)\s*=", html)  # no event handler or style attribute on any element
    assert "&lt;script src=“http://127.0.0.1" in html and "&lt;iframe" in html  # shown, as text
    assert "root:x:0:0" not in html and "cm9vdDp4OjA6" not in html  # /etc/passwd, or its base64
    assert '<title>Lancashire &lt;b&gt;Board&lt;/b&gt; #read("store.json") *x*</title>' in " ".join(html.split())
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in html
    pdf = "".join("".join(p.extract_text() for p in PdfReader(pdf_path).pages).split())
    assert "STORE-SECRET" not in pdf and "INPUT-SECRET" not in pdf
    assert '#read("store.json")#read("inputs/raw.csv")' in pdf
    assert 'Lancashire<b>Board</b>#read("store.json")*x*' in pdf


@pytest.mark.parametrize("markdown, says", [
    ("![](http://127.0.0.1:{port}/y.png)", "image 'http://127.0.0.1:{port}/y.png'"),
    ("![](/etc/passwd)", "image '/etc/passwd'"),
    ("![](file:///etc/passwd)", "image 'file:///etc/passwd'"),
    ("![](store.json)", "image 'store.json'"),
    ("![](figures/../store.json)", "image 'figures/../store.json'"),
    ("[click](javascript:alert(1))", "link to 'javascript:alert(1)'"),
    ("[click](JAVASCRIPT:alert(1))", "link to 'JAVASCRIPT:alert(1)'"),
    ("[x](vbscript:msgbox(1))", "link to 'vbscript:msgbox(1)'"),
    ("[file](file:///etc/passwd)", "link to 'file:///etc/passwd'"),
    ("[d](data:text/html,x)", "link to 'data:text/html,x'"),
])
def test_renderer_refuses_images_from_outside_and_script_links(tmp_path: Path, server: Server, markdown: str,
                                                                says: str) -> None:
    before = len(server.requests)
    project = book(tmp_path / "b", "# Chapter\n\n" + markdown.format(port=server.port) + "\n")
    with pytest.raises(RenderError) as e:
        EmbeddedRenderer().render(project)
    assert "refused by annualreport's safety filter" in str(e.value) and says.format(port=server.port) in str(e.value)
    assert "reading the Markdown with pandoc failed" in str(e.value)  # before any output is written
    assert server.requests[before:] == []
    assert not (project / "report.html").exists() and not (project / "report.pdf").exists()


def test_no_element_keeps_an_attribute_a_browser_would_run_or_fetch(tmp_path: Path) -> None:
    """Every kind of element that carries attributes: header, span, code, link, image, div, code
    block, table, figure, and spans inside lists, quotes and definitions."""
    project = book(tmp_path / "b", """# Head {#h onclick="x" style="c" data-ok="1"}

[span]{onclick="a" STYLE="b" .k} `code`{onmouseover="z" src="q"} [link](https://x.org){onclick="l"}

::: {.note onload="d" href="h"}
Div text *emph [inner]{style="s"}*
:::

```{.python onclick="c" srcdoc="x"}
print(1)
```

| a | b |
|---|---|
| 1 | [x]{onclick="t"} |

: Caption {#tbl-x onclick="tt" style="w"}

![Chart](figures/b.png){#fig-b onclick="fig" fig-alt="A chart"}

- list [item]{ontouch="y"}

> quote `c`{formaction="q"}

Term
: Definition [d]{onfocus="f" background="g"}
""")
    (project / "figures").mkdir()
    shutil.copyfile(REPO / "params" / "lancashire" / "branding" / "lscb-logo.png", project / "figures" / "b.png")
    html = EmbeddedRenderer().render(project)[0].read_text(encoding="utf-8")
    assert not re.search(r"<[^>]*\s(on\w+|style|href=\"h|srcdoc|formaction|background)\s*=", html, re.IGNORECASE)
    assert 'data-ok="1"' in html and 'class="k"' in html  # harmless attributes stay


def test_the_html_embeds_the_builds_charts_and_logos_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "figures").mkdir()
    (tmp_path / "front" / "branding").mkdir(parents=True)
    png = b"\x89PNG\r\n\x1a\n-a-chart"
    (tmp_path / "figures" / "a-1.png").write_bytes(png)
    (tmp_path / "front" / "branding" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.png").write_bytes(b"SECRET")
    (tmp_path / "figures" / "link.png").symlink_to(tmp_path / "secret.png")
    page = ('<img class="logo" src="front/branding/logo.svg" alt="Logo"><p><code>src="figures/none.png"</code></p>'
            '<img src="figures/a-1.png"\nalt="Chart" /><img src="figures/a-1.png" alt="Again" />')
    html = embed_images(page, tmp_path)
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert html.count(f'src="{uri}"') == 2 and 'src="data:image/svg+xml;base64,' in html
    assert '<code>src="figures/none.png"</code>' in html  # text, even text that looks like an attribute, is left alone
    for bad, says in [('<img src="secret.png">', "'secret.png' is not one of the build's charts or logos"),
                      ('<img src="/etc/passwd">', "'/etc/passwd' is not one of"),
                      ('<img src="figures/../secret.png">', "'figures/../secret.png' is not one of"),
                      ('<img src="figures/a-1.txt">', "'figures/a-1.txt' is not one of"),
                      ('<img src="figures/link.png">', "figures/link.png is not in the build"),
                      ('<img src="figures/gone.png">', "figures/gone.png is not in the build"),
                      ('<video src="figures/a-1.png" controls="">', "a <video> element showing 'figures/a-1.png'")]:
        with pytest.raises(RenderError, match=re.escape(says)):
            embed_images(bad, tmp_path)


def test_a_video_in_the_markdown_is_refused_not_left_for_the_browser_to_fetch(tmp_path: Path) -> None:
    project = book(tmp_path / "b", "# Chapter\n\n![A clip](figures/clip.mp4)\n")
    (project / "figures").mkdir()
    (project / "figures" / "clip.mp4").write_bytes(b"not really a video")
    with pytest.raises(RenderError, match="the report shows images only"):
        EmbeddedRenderer().render(project)
    assert not (project / "report.html").exists()


def test_typst_sees_only_its_folder_and_no_packages(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "store.json").write_text('{"secret": 1}')
    packages = tmp_path / "packages"
    packages.mkdir()
    (root / "outside.typ").write_text('#read("../store.json")\n')
    with pytest.raises(RenderError, match="typst failed to compile outside.typ") as e:
        compile_pdf(root / "outside.typ", tmp_path / "a.pdf", root, packages, 0, 60)
    assert "would escape the project root" in str(e.value)
    (root / "import.typ").write_text('#import "@preview/x:0.1.0": *\nHello\n')
    start = time.monotonic()
    with pytest.raises(RenderError, match="typst failed to compile import.typ") as e:
        compile_pdf(root / "import.typ", tmp_path / "b.pdf", root, packages, 0, 60)
    assert time.monotonic() - start < 20
    assert "failed to download package" in str(e.value) and "Connection refused" in str(e.value)
    assert "never downloaded" in str(e.value) and list(packages.iterdir()) == []
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "b.pdf").exists()


# -- limits: time and size, each naming its step -----------------------------------------------
def test_each_render_step_has_a_time_limit_naming_it(tmp_path: Path) -> None:
    project = book(tmp_path / "b", "# Chapter\n\nText.\n")
    with pytest.raises(RenderError, match=r"reading the Markdown with pandoc took longer than 0\.001 s and was stopped"):
        EmbeddedRenderer(RenderLimits(pandoc_seconds=0.001)).render(project)
    with pytest.raises(RenderError, match=r"rendering PDF with typst took longer than 0\.001 s and was stopped"):
        EmbeddedRenderer(RenderLimits(typst_seconds=0.001)).render(project)
    assert not (project / "report.pdf").exists()
    html, pdf, docx = EmbeddedRenderer().render(project)  # and with the default limits it renders
    assert html.exists() and pdf.exists() and docx.exists()


def add_notebook(project: Path, name: str, printed: str) -> None:
    """Add to the book a chapter notebook whose one cell printed `printed`."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(text)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=printed)])]
    nbformat.write(nb, project / f"{name}.ipynb")
    config = yaml.safe_load((project / "_quarto.yml").read_text())
    config["book"]["chapters"].append(f"{name}.ipynb")
    (project / "_quarto.yml").write_text(yaml.safe_dump(config))


def test_a_chapter_that_printed_too_much_is_named(tmp_path: Path) -> None:
    project = book(tmp_path / "b", "# Chapter\n")
    add_notebook(project, "noisy", "x" * 3_000_000)
    with pytest.raises(RenderError, match=r"stitching the book: chapter 'noisy' \(noisy.ipynb\) "
                                          r"is 2\.9 MB, more than the 2\.0 MB the whole book may hold"):
        EmbeddedRenderer(RenderLimits(markdown_bytes=2 * 2**20)).render(project)
    project = book(tmp_path / "c", "# Chapter\n")
    add_notebook(project, "first", "x" * 1_500_000)
    add_notebook(project, "second", "x" * 1_500_000)
    with pytest.raises(RenderError, match=r"stitching the book: with chapter 'second' \(second.ipynb\) \(1\.4 MB of "
                                          r"Markdown\) the book holds more than the 2\.0 MB it may hold"):
        EmbeddedRenderer(RenderLimits(markdown_bytes=2 * 2**20)).render(project)
    assert not (project / "report.html").exists()


def test_printed_text_cannot_close_its_code_block(tmp_path: Path) -> None:
    project = book(tmp_path / "b", "# Chapter\n")
    add_notebook(project, "printed", "before\n```\n<script>alert(1)</script>\n````{=html}\n<b>x</b>\n````\nafter")
    html = EmbeddedRenderer().render(project)[0].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x" not in html


# -- one build with a payload in every text input ----------------------------------------------
def payload(where: str, port: int) -> str:
    """Script, event handler, javascript: link, raw HTML, raw Typst reading the store, a package
    import, images from the network and the file system: everything text must never do."""
    return (f"Text from {where}: <script>document.title='XSS'+'1'.repeat(3)</script> "
            f"<img src=x onerror=\"document.body.setAttribute(['data','xss'].join('-'),'{where}')\"> "
            f"[click](javascript:alert('xss1')) <b>raw html</b> <iframe src=\"file:///etc/passwd\"></iframe> "
            f"<script src=\"http://127.0.0.1:{port}/x.js\"></script> ![](http://127.0.0.1:{port}/y.png) ![](/etc/passwd) "
            f"`#read(\"store.json\").slice(0, 300)`{{=typst}} #import \"@preview/x:0.1.0\" a | b * _c_ # $d$ @e")


TYPST_BLOCK = "```{=typst}\n#read(\"store.json\").slice(0, 300)\n```"
YAML_FIELDS = {"partner_updates.yml": ("partner", "update"), "priorities.yml": ("priority", "progress"),
               "challenge_log.yml": ("raised_with", "issue", "response"), "audit_findings.yml": ("audit", "findings", "actions")}


def plant_payloads(project: Path, port: int) -> dict[str, str]:
    """Put a payload into each text input; returns input -> the text it must show as typed."""
    folder = project / "data" / "local" / "lancashire" / "2013-14"
    shown = {}
    for name, keys in YAML_FIELDS.items():
        path = folder / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        item = next(i for i in data["items"] if i.get("year", "2013-14") == "2013-14")
        for key in keys:
            item[key] = payload(f"{name}:{key}", port)
        if name == "partner_updates.yml":  # a body of several paragraphs, one a raw Typst block
            item["update"] = payload(f"{name}:update", port) + "\n\n" + TYPST_BLOCK + "\n\nLast paragraph."
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        shown |= {f"{name}:{k}": str(item[k]) for k in keys}
    csv = folder / "board_attendance.csv"
    text = csv.read_text(encoding="utf-8")
    agency = FORMULA + " " + payload("board_attendance.csv:agency", port).replace('"', "'").replace(",", ";")
    csv.write_text(text.replace(",Cafcass,", f',"{agency}",', 1), encoding="utf-8")
    shown["board_attendance.csv:agency"] = agency
    return shown


@pytest.fixture(scope="module")
def payload_build(tmp_path_factory: pytest.TempPathFactory, server: Server,
                  lancashire_build: Path) -> tuple[Path, dict[str, str], list[str]]:
    """The example built with a payload in every text input; the server's requests during the build.
    The chapters that read a changed input are executed; the others are reused from the example's cache."""
    project = seed_cache(copy_project(tmp_path_factory.mktemp("payload") / "project"), lancashire_build)
    shown = plant_payloads(project, server.port)
    before = len(server.requests)
    proc = run_cli(project, *BUILD)
    assert proc.returncode == 0, proc.stderr
    return project, shown, server.requests[before:]


def squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.xdist_group("text-safety-payload")  # these share one module-scoped build: one worker
def test_payload_build_fetched_and_read_nothing(payload_build: tuple[Path, dict[str, str], list[str]]) -> None:
    project, _, requests = payload_build
    assert requests == []
    html = (project / "build" / "lancashire" / "2013-14" / "public" / "report.html").read_text(encoding="utf-8")
    assert "root:x:0:0" not in html and "cm9vdDp4OjA6" not in html
    assert "Content-Security-Policy" in html


@pytest.mark.xdist_group("text-safety-payload")  # these share one module-scoped build: one worker
def test_payload_is_dead_text_in_chromium(payload_build: tuple[Path, dict[str, str], list[str]], server: Server,
                                          tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed (/usr/bin/chromium)")
    project, shown, _ = payload_build
    before = len(server.requests)
    html = project / "build" / "lancashire" / "2013-14" / "public" / "report.html"
    proc = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=3000",
                           "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=180)
    dom = proc.stdout
    assert "About this report" in dom, proc.stderr[-2000:]
    assert "XSS111" not in dom and "data-xss=" not in dom  # no script or handler ran
    assert not re.search(r"<(script|iframe|object|embed)\b", dom, re.I)
    assert not re.search(r"\shref=\"\s*javascript:", dom, re.I)
    assert not re.search(r"<[^>]+\son[a-z]+=", dom, re.I)
    assert all(src.startswith("data:image/png") for src in re.findall(r"<img[^>]*\ssrc=\"([^\"]*)\"", dom))
    text = squeezed(text_of(dom))
    for where, typed in shown.items():
        assert squeezed(typed) in text, where
    assert server.requests[before:] == []


@pytest.mark.xdist_group("text-safety-payload")  # these share one module-scoped build: one worker
def test_payload_shows_as_typed_in_the_pdf_and_typst_ran_none_of_it(
        payload_build: tuple[Path, dict[str, str], list[str]]) -> None:
    project, shown, _ = payload_build
    folder = project / "build" / "lancashire" / "2013-14"
    pdf = squeezed("".join(page.extract_text() for page in PdfReader(folder / "public" / "report.pdf").pages))
    for where, typed in shown.items():
        assert squeezed(typed) in pdf, where
    store = squeezed((folder / "store.json").read_text(encoding="utf-8"))
    assert store[:40] not in pdf


@pytest.mark.xdist_group("text-safety-payload")  # these share one module-scoped build: one worker
def test_formula_in_a_partner_table_is_published_quoted(payload_build: tuple[Path, dict[str, str], list[str]]) -> None:
    project, shown, _ = payload_build
    data = project / "build" / "lancashire" / "2013-14" / "public" / "data"
    cells = [cell for path in sorted(data.glob("*.csv"))
             for cell in pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel()]
    assert "'" + shown["board_attendance.csv:agency"] in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not re.fullmatch(r"-[\d,.]+%?", c))]


@pytest.mark.xdist_group("text-safety-payload")  # these share one module-scoped build: one worker
def test_narrative_with_code_is_refused_naming_file_and_line(
        payload_build: tuple[Path, dict[str, str], list[str]]) -> None:
    project, _, _ = payload_build
    folder = project / "params" / "lancashire" / "2013-14" / "narrative"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.md").write_text("<!-- after: intro -->\nFine text.\n\n```{=typst}\n#read(\"store.json\")\n```\n"
                                       "\nAnd <iframe src=\"file:///etc/passwd\"></iframe>\n", encoding="utf-8")
    report = project / "build" / "lancashire" / "2013-14" / "public" / "report.html"
    before = report.read_bytes()
    try:
        proc = run_cli(project, *BUILD)
    finally:
        shutil.rmtree(folder)
    assert proc.returncode == 1
    assert "params/lancashire/2013-14/narrative/summary.md, line 4: raw block or inline '{=typst}'" in proc.stderr
    assert "params/lancashire/2013-14/narrative/summary.md, line 8: an HTML tag '<iframe'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert report.read_bytes() == before
