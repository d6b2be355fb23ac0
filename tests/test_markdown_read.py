"""Pandoc's reading of the book, kept chapter by chapter (render/markdown_read.py): a rebuild reads again
only the chapters whose Markdown changed, and what it puts together is pandoc's reading of the whole
book, byte for byte; where one chapter's reading depends on another's, the whole book is read."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from annualreport.execution.cache import ChapterCache
from annualreport.render.embedded import EmbeddedRenderer
from annualreport.render.markdown_read import ReadingCache, book_markdown, write_reading
from annualreport.render.pandoc_run import pandoc_binary

BOOK = {"title": "A report", "subtitle": "1 April 2013 to 31 March 2014"}


def reading(folder: Path, parts: list[str], readings: ReadingCache | None = None, book: dict = BOOK) -> tuple[dict, list[str]]:
    """The renderer's reading of `parts` in a fresh folder: the document, and the chapters it read on their own."""
    folder.mkdir(parents=True)
    (folder / "report.md").write_text(book_markdown(parts), encoding="utf-8")
    EmbeddedRenderer().read(parts, folder, book, readings)
    document = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return document, sorted(p.name for p in folder.glob("part-*.md"))


def cache(tmp_path: Path) -> ReadingCache:
    warnings: list[str] = []
    return ReadingCache(tmp_path / "reading", "environment-1", ChapterCache(tmp_path / "chapters", warn=warnings.append))


def test_a_rebuild_reads_only_the_chapter_an_editor_changed_and_gets_the_whole_books_reading(
        lancashire_build: Path, tmp_path: Path) -> None:
    project = tmp_path / "report"
    shutil.copytree(lancashire_build, project, ignore=shutil.ignore_patterns("public", "inputs"))
    parts, book = EmbeddedRenderer().chapter_markdown(project)
    kept = cache(tmp_path)
    first, alone = reading(tmp_path / "1", parts, kept, book)
    assert alone == [] and len(list(kept.folder.glob("*.json"))) == len(parts)  # read whole, kept by chapter
    # The markers between chapters change nothing: the reading is the one of the chapters simply joined.
    assert first == reading(tmp_path / "joined", ["\n\n".join(parts)], None, book)[0]

    front_door = next(i for i, text in enumerate(parts) if text.startswith("# Front door"))
    edited = list(parts)
    edited[front_door] = edited[front_door].replace("A referral is a request", "A referral, an editor writes, is a request")
    spliced, alone = reading(tmp_path / "2", edited, kept, book)
    assert alone == [f"part-{front_door}.md"]
    whole, _ = reading(tmp_path / "3", edited, None, book)
    assert spliced == whole and spliced != first
    again, alone = reading(tmp_path / "4", edited, kept, book)  # every chapter kept now
    assert alone == [] and again == whole


CHAPTERS = [
    "# One {#sec-one}\n\nText one.\n",
    "# Two\n\nText two, with a note.[^a] See [the site][s].\n\n[^a]: Note A.\n",
    "# Three\n\n## Next steps\n\nText three.\n",
]
# Edits to the first chapter after which its reading on its own, put beside the others' kept
# readings, is not the whole book's reading: each must make the whole book be read again.
DEPENDENT = {
    "a heading another chapter has": "# One\n\n## Next steps\n\nMore.\n",  # the third's becomes next-steps-1
    "a note defined in another chapter": "# One\n\nText.[^a]\n",
    "a heading of another chapter named in brackets": "# One\n\nSee [Next steps].\n",
    "a reference link another chapter uses": "# One\n\n[s]: https://example.org/\n",
    "a div left open": "# One\n\n::: {.note}\nText.\n",  # it runs on to the end of the book
    "metadata": "---\nabstract: An abstract.\n---\n\n# One\n",
}


@pytest.mark.parametrize("edit", sorted(DEPENDENT))
def test_an_edit_that_another_chapters_reading_depends_on_makes_the_whole_book_be_read(tmp_path: Path, edit: str) -> None:
    kept = cache(tmp_path)
    reading(tmp_path / "first", CHAPTERS, kept)
    edited = [DEPENDENT[edit], *CHAPTERS[1:]]
    whole, _ = reading(tmp_path / "whole", edited)
    # Put together naively, the chapters' own readings (and the book's metadata) would not be the whole book's.
    naive = [reading(tmp_path / f"alone-{i}", [text])[0] for i, text in enumerate(edited)]
    assert [b for d in naive for b in d["blocks"]] != whole["blocks"] or naive[1]["meta"] != whole["meta"]
    assert reading(tmp_path / "cached", edited, kept)[0] == whole


def test_example_lists_numbered_across_chapters_are_read_whole(tmp_path: Path) -> None:
    kept = cache(tmp_path)
    chapters = [CHAPTERS[0], "# Two\n\n(@) The first example.\n", CHAPTERS[2]]
    reading(tmp_path / "first", chapters, kept)
    edited = [chapters[0], chapters[1], "# Three\n\n(@) The second example.\n"]
    whole, _ = reading(tmp_path / "whole", edited)
    numbers = [b["c"][0][0] for b in whole["blocks"] if b["t"] == "OrderedList"]
    assert numbers == [1, 2]  # numbered across the book; read on its own, the second would be 1
    assert reading(tmp_path / "cached", edited, kept)[0] == whole


def test_a_citation_numbered_after_another_chapters_notes_makes_the_whole_book_be_read(tmp_path: Path) -> None:
    kept = cache(tmp_path)
    reading(tmp_path / "first", CHAPTERS, kept)
    edited = [*CHAPTERS[:2], "# Three\n\nFollow @LancsSCB.\n"]  # a handle is a citation to pandoc
    whole, _ = reading(tmp_path / "whole", edited)
    alone, _ = reading(tmp_path / "alone", edited[2:])
    assert json.dumps(whole["blocks"][-1]) != json.dumps(alone["blocks"][-1])  # its note number counts the book's
    assert reading(tmp_path / "cached", edited, kept)[0] == whole


def test_a_damaged_kept_reading_is_read_again(tmp_path: Path) -> None:
    kept = cache(tmp_path)
    first, _ = reading(tmp_path / "first", CHAPTERS, kept)
    entries = sorted(kept.folder.glob("*.json"))
    assert len(entries) == 3
    entries[0].write_text('{"blocks": [', encoding="utf-8")
    again, alone = reading(tmp_path / "again", CHAPTERS, kept)
    assert len(alone) == 1 and again == first


def test_the_reading_lists_the_blocks_that_hold_an_image_or_a_link_and_is_written_as_before(tmp_path: Path) -> None:
    """write_reading: report.json is the bytes json.dumps would write, and the blocks listed are those with
    an image or a link anywhere inside them (a div, a table cell, a footnote, a caption); text that only
    reads like one in JSON does not count; a link in the metadata lists none (every block must be visited)."""
    text = ("# Plain\n\nWords only, and '{\"t\":\"Link\"' typed as text.\n\n"
            "::: {.box}\nInside a [div](https://example.org).\n:::\n\n"
            "| Area | Note |\n|---|---|\n| North | ![a chart](figures/x.png) |\n\n"
            "A footnote.[^1]\n\n[^1]: With a [link](data/x.csv).\n\n"
            "![A caption with a [link](https://example.org)](figures/y.png)\n\nThe end, café.\n")
    (tmp_path / "in.md").write_text(text, encoding="utf-8")
    subprocess.run([pandoc_binary(), "in.md", "-o", "in.json"], cwd=tmp_path, check=True)
    document = json.loads((tmp_path / "in.json").read_text(encoding="utf-8"))
    kinds = [block["t"] for block in document["blocks"]]
    assert kinds == ["Header", "Para", "Div", "Table", "Para", "Figure", "Para"]
    assert write_reading(tmp_path / "out.json", document) == [2, 3, 4, 5]
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == json.dumps(document, ensure_ascii=False,
                                                                              separators=(",", ":"))
    document["meta"]["title"] = {"t": "MetaInlines", "c": [{"t": "Link", "c": [["", [], []], [], ["https://x.org", ""]]}]}
    assert write_reading(tmp_path / "out.json", document) is None
