"""Renderers: the notebook-to-Markdown step honours Quarto's tags; Quarto's absence is a clear error; the
embedded renderer hands the HTML to the final gate before the PDF is made, and uses the wheel's pandoc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image
from test_text_safety import book

from annualreport.execution.cache import ChapterCache
from annualreport.render import DOCUMENT
from annualreport.render.embedded import EmbeddedRenderer
from annualreport.render.markdown_read import write_reading
from annualreport.render.notebook_md import notebook_to_markdown
from annualreport.render.pandoc_run import pandoc_binary
from annualreport.render.pandoc_write import YIELD, Output, write_outputs
from annualreport.render.render_cache import RenderCache


def test_tags_hide_code_and_outputs(tmp_path: Path) -> None:
    nb = new_notebook()
    shown = new_code_cell("secret_code = 1", outputs=[new_output("display_data", data={"text/markdown": "**shown**"})])
    shown.metadata["tags"] = ["remove-input"]
    removed = new_code_cell("other = 2", outputs=[new_output("stream", name="stdout", text="hidden")])
    removed.metadata["tags"] = ["remove-cell"]
    warning = new_code_cell("x", outputs=[new_output("stream", name="stderr", text="a warning")])
    warning.metadata["tags"] = ["remove-input"]
    nb.cells = [new_markdown_cell("# Title"), shown, removed, warning]
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    md = notebook_to_markdown(path, tmp_path / "out")
    assert md == "# Title\n\n**shown**\n"


def test_quarto_renderer_without_quarto_says_how_to_install(project: Path) -> None:
    env = os.environ.copy()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "quarto").exists())
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "quarto", env=env)
    assert proc.returncode == 1
    assert "Quarto is not installed" in proc.stderr and "environment.yml" in proc.stderr and "--renderer embedded" in proc.stderr
    assert "indicator store" not in proc.stderr and "executed" not in proc.stderr  # said before any work, not after it
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def test_a_quarto_pdf_that_is_not_pdf_ua_is_refused_saying_why(lancashire_build: Path, tmp_path: Path) -> None:
    """An older Quarto ignores `pdf-standard: ua-1`: its untagged PDF is refused, never published."""
    import typst

    from annualreport.errors import RenderError
    from annualreport.render.quarto import require_pdf_ua

    plain = tmp_path / "report.pdf"
    plain.write_bytes(typst.compile(b"= Report\n\nText.", format="pdf"))
    with pytest.raises(RenderError, match="not PDF/UA-1.*--renderer embedded"):
        require_pdf_ua(plain)
    require_pdf_ua(lancashire_build / "public" / "report.pdf")  # the embedded renderer's PDF passes


def test_the_html_is_handed_over_before_the_pdf_is_made_and_a_refusal_leaves_no_output(tmp_path: Path) -> None:
    project = book(tmp_path / "b", "# Chapter\n\n| Area | Count |\n|---|---|\n| North | 12 |\n")
    seen: list[tuple[bool, bool, bool]] = []

    def gate() -> None:  # what the build's final gate finds in the folder when it is called
        seen.append(((project / "report.html").is_file(), (project / DOCUMENT).is_file(),
                     (project / "report.pdf").exists()))

    html, pdf, docx = EmbeddedRenderer().render(project, html_ready=gate)
    assert seen == [(True, True, False)]  # once, with the HTML and pandoc's reading, before the PDF
    assert "North" in html.read_text(encoding="utf-8") and pdf.is_file() and docx.is_file()

    again = book(tmp_path / "c", "# Chapter\n\nText.\n")

    def refuse() -> None:
        raise RuntimeError("the gate refused the report")

    with pytest.raises(RuntimeError, match="the gate refused the report"):
        EmbeddedRenderer(workers=1).render(again, html_ready=refuse)
    # No output, no reading of the Markdown, no sandbox: only the book as it was (and the empty .render/).
    assert sorted(str(p.relative_to(again)) for p in again.rglob("*")) == [
        ".render", "_quarto.yml", "chapter.qmd", "index.qmd", "inputs", "inputs/raw.csv", "store.json"]


def test_the_embedded_renderer_uses_the_wheels_pandoc_even_with_a_newer_one_on_path(tmp_path: Path) -> None:
    """pypandoc's own lookup would take the newest pandoc it finds: here a 'pandoc 99.0' first on PATH."""
    fake = tmp_path / "bin" / "pandoc"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'pandoc 99.0'\nexit 0\n")
    fake.chmod(0o755)
    project = book(tmp_path / "b", "# Chapter\n\nText.\n")
    script = ("import sys; from pathlib import Path; from annualreport.render.embedded import EmbeddedRenderer as R; "
              "print(R().version()); print(*R().render(Path(sys.argv[1])))")
    proc = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr
    version = proc.stdout.splitlines()[0]
    assert version.startswith("pandoc 3.") and "99.0" not in version
    assert "Text." in (project / "report.html").read_text(encoding="utf-8")
    assert (project / "report.pdf").read_bytes().startswith(b"%PDF")


# pandoc's own priority (nice), as a Lua filter reads it from /proc/self/stat (field 19) while it runs, for each output
NICE_FILTER = """local f = io.open("/proc/self/stat"); local stat = f:read("a"); f:close()
local fields = {}
for w in stat:match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = w end
local out = io.open("nice-" .. FORMAT .. ".txt", "w"); out:write(fields[17]); out:close()
return {}
"""


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads a process's priority from /proc (Linux)")
def test_the_output_nobody_waits_for_is_written_at_a_lower_priority(tmp_path: Path) -> None:
    (tmp_path / "nice.lua").write_text(NICE_FILTER, encoding="utf-8")
    (tmp_path / "in.json").write_text('{"pandoc-api-version":[1,23,1],"meta":{},"blocks":[]}', encoding="utf-8")
    outputs = [Output("html", "rendering HTML", "html5", "out.html"), Output("plain", "writing text", "plain", "out.txt"),
               Output("docx", "writing Word", "docx", "out.docx", background=True)]
    written: list[str] = []
    write_outputs(tmp_path, "in.json", outputs, 60, {}, lambda out: written.append(out.name), str(tmp_path / "nice.lua"))
    assert written == ["html", "plain", "docx"]
    seen = [int((tmp_path / f"nice-{f}.txt").read_text(encoding="utf-8")) for f in ("html5", "plain", "docx")]
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == [own, own, min(19, own + YIELD)]
    assert (tmp_path / "out.docx").read_bytes().startswith(b"PK")


def test_one_pandoc_writes_each_output_as_its_own_command_line_would(tmp_path: Path) -> None:
    """templates/write-all.lua against `pandoc --from json --to FORMAT` with the same options: the same bytes."""
    (tmp_path / "report.md").write_text("---\ntitle: T\nlang: en-GB\n---\n\n# One\n\nText with a [link](https://"
                                        "example.org).\n\n| Area | Count |\n|---|---|\n| North | 12 |\n\n## Two\n",
                                        encoding="utf-8")
    subprocess.run([pandoc_binary(), "report.md", "-o", "report.json"], cwd=tmp_path, check=True)
    (tmp_path / "head.txt").write_text("<meta name=\"x\" content=\"y\">\n", encoding="utf-8")
    (tmp_path / "meta.yml").write_text("fontsize: 11pt\ntitle: not this one\n", encoding="utf-8")
    (tmp_path / "filter.lua").write_text("return {{Str = function(s) if s.text == 'Text' then return pandoc.Str(FORMAT) end end}}",
                                         encoding="utf-8")
    outputs = [Output("typst", "typst", "typst", "new.typ", metadata_files=["meta.yml"]),
               Output("html", "html", "html5", "new.html", includes={"header-includes": ["head.txt"]},
                      metadata={"pagetitle": "P", "document-css": False}, options={"wrap_text": "none"})]
    write_outputs(tmp_path, "report.json", outputs, 60, {}, lambda out: None, str(tmp_path / "filter.lua"))
    common = ["report.json", "--from", "json", "--standalone", "--toc", "--toc-depth=2", "--number-sections",
              "--lua-filter", "filter.lua"]
    subprocess.run([pandoc_binary(), *common, "--to", "typst", "--metadata-file", "meta.yml", "-o", "old.typ"],
                   cwd=tmp_path, check=True)
    subprocess.run([pandoc_binary(), *common, "--to", "html5", "--include-in-header", "head.txt", "--metadata",
                    "pagetitle=P", "--metadata", "document-css=false", "--wrap=none", "-o", "old.html"], cwd=tmp_path, check=True)
    for old, new in (("old.typ", "new.typ"), ("old.html", "new.html")):
        assert (tmp_path / new).read_bytes() == (tmp_path / old).read_bytes(), new
    assert "typst with" in (tmp_path / "new.typ").read_text(encoding="utf-8")  # the filter saw each FORMAT
    assert "html5 with" in (tmp_path / "new.html").read_text(encoding="utf-8")
    assert '<meta name="x" content="y">' in (tmp_path / "new.html").read_text(encoding="utf-8")


def test_a_book_rendered_before_is_handed_over_from_the_cache_as_a_render_would(tmp_path: Path) -> None:
    project = book(tmp_path / "b", "# Chapter\n\n| Area | Count |\n|---|---|\n| North | 12 |\n")
    warnings: list[str] = []
    faults = ChapterCache(tmp_path / "cache" / "chapters", warn=warnings.append)  # the build's one fault channel
    cache = RenderCache(tmp_path / "cache" / "render", "environment-1", faults)
    made = EmbeddedRenderer().render(project, html_ready=lambda: None, cache=cache)
    rendered = {p.name: p.read_bytes() for p in [*made, project / DOCUMENT]}
    assert cache.reused == 0 and len(list(cache.folder.iterdir())) == 1
    for path in [*made, project / DOCUMENT]:
        path.unlink()
    seen: list[tuple[bool, bool, bool]] = []

    def gate() -> None:
        seen.append(((project / "report.html").is_file(), (project / DOCUMENT).is_file(), (project / "report.pdf").exists()))

    kept = EmbeddedRenderer().render(project, html_ready=gate, cache=cache)
    assert cache.reused == 1
    assert seen == [(True, True, False)]  # handed to the gate as a render hands it: the HTML first
    assert {p.name: p.read_bytes() for p in [*kept, project / DOCUMENT]} == rendered
    for path in kept:
        path.unlink()

    def refuse() -> None:
        raise RuntimeError("the gate refused the report")

    with pytest.raises(RuntimeError, match="the gate refused"):
        EmbeddedRenderer().render(project, html_ready=refuse, cache=cache)
    assert not [p.name for p in project.glob("report.*")] and not (project / DOCUMENT).exists()
    # --force: rendered again, the entry replaced
    again = RenderCache(cache.folder, "environment-1", faults, refresh=True)
    EmbeddedRenderer().render(project, cache=again)
    assert again.reused == 0 and warnings == []


def test_anything_a_render_reads_changes_its_key_and_a_cache_that_cannot_be_written_is_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    (root / "figures").mkdir(parents=True)
    (root / "report.md").write_text("# Chapter\n")
    (root / "figures" / "chart.png").write_bytes(b"png")
    warnings: list[str] = []
    faults = ChapterCache(tmp_path / "cache" / "chapters", warn=warnings.append)
    cache = RenderCache(tmp_path / "cache" / "render", "environment-1", faults)
    settings = {"book": {"title": "Annual report"}, "draft": False, "year_end": 2014}
    keys = {cache.key(root, settings)}
    assert cache.key(root, settings) in keys  # the same book, the same key
    keys.add(RenderCache(cache.folder, "environment-2", faults).key(root, settings))  # pandoc, Typst, our code
    keys.add(cache.key(root, {**settings, "draft": True}))
    keys.add(cache.key(root, {**settings, "book": {"title": "Another"}}))
    (root / "figures" / "chart.png").write_bytes(b"another chart")
    keys.add(cache.key(root, settings))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1500000000")  # the PDF's date
    keys.add(cache.key(root, settings))
    assert len(keys) == 6
    entry = cache.folder / ("0" * 64)
    entry.mkdir(parents=True)
    (entry / "report.html").write_text("half an entry")
    assert cache.get("0" * 64) is None  # damaged: rendered again
    (tmp_path / "a-file").write_text("")
    unwritable = RenderCache(tmp_path / "a-file" / "render", "environment-1", faults)
    unwritable.put("1" * 64, {"report.html": root / "report.md"})
    unwritable.put("2" * 64, {"report.html": root / "report.md"})
    assert faults.off and len(warnings) == 1 and "cannot be used" in warnings[0]


def test_the_pass_over_images_and_links_visits_the_blocks_that_hold_them_with_the_same_bytes(tmp_path: Path) -> None:
    """writers.lua's pass over images and links, run on the blocks markdown_read lists (write_reading)
    instead of the whole document: the same Typst, HTML and Word; and it is those blocks that it changes
    (listing none leaves the links as they were read)."""
    (tmp_path / "report.md").write_text(
        "---\ntitle: T\n---\n\n# One {#sec-one}\n\nWords.\n\n![Chart](figures/a.png){#fig-a fig-alt=\"A line\"}\n\n"
        "[Data](data/a.csv)\n\n::: {.box}\nA [site](https://example.org) in a div.[^1]\n:::\n\n"
        "[^1]: A note with [the data](data/a.csv).\n\n| Area | Count |\n|---|---|\n| North | 12 |\n\n"
        "# Appendix {#sec-appendix}\n\nThe end.\n", encoding="utf-8")
    (tmp_path / "figures").mkdir()
    Image.new("RGB", (4, 3), "#12436D").save(tmp_path / "figures" / "a.png")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("area,count\nNorth,12\n", encoding="utf-8")
    subprocess.run([pandoc_binary(), "report.md", "-o", "read.json"], cwd=tmp_path, check=True)
    listed = write_reading(tmp_path / "report.json", json.loads((tmp_path / "read.json").read_text(encoding="utf-8")))
    assert listed is not None and 0 < len(listed) < 6
    env = {"SOURCE_DATE_EPOCH": "1700000000", "ANNUALREPORT_ROW_HEADERS": str(tmp_path / "rows.txt")}

    for suffix, blocks in (("-all", None), ("-listed", listed), ("-none", [])):
        outputs = [Output(name, name, fmt, f"out{suffix}.{ext}")
                   for name, fmt, ext in (("typst", "typst", "typ"), ("html", "html5", "html"), ("docx", "docx", "docx"))]
        write_outputs(tmp_path, "report.json", outputs, 60, env, lambda out: None, image_link_blocks=blocks)
    for ext in ("typ", "html", "docx"):
        assert (tmp_path / f"out-listed.{ext}").read_bytes() == (tmp_path / f"out-all.{ext}").read_bytes(), ext
    html = (tmp_path / "out-all.html").read_text(encoding="utf-8")
    assert "data:text/csv;charset=utf-8;base64," in html and 'alt="A line"' in html
    assert (tmp_path / "out-none.html").read_bytes() != (tmp_path / "out-all.html").read_bytes()
    assert "data/a.csv" in (tmp_path / "out-none.html").read_text(encoding="utf-8")
