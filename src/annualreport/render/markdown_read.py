"""Pandoc's reading of the book's Markdown, kept chapter by chapter: after an editor changes one
chapter's text, only that chapter is read again, not the whole book (0.1 s instead of 0.3 s on the
example, and that on the critical path of every rebuild).

The book is read as one document in which a marker (an empty Div of class `annualreport-part`)
stands between chapters. The markers are taken out of the reading (report.json, which the writers
and the final gate read), and what lay between them is each chapter's reading, kept in
build/.cache/reading/ by the SHA-256 of the chapter's Markdown and of how it is read (pandoc, the
safety filter, our code: the build's environment digest).

A later render whose book is mostly kept reads only the other chapters, each on its own and
followed by a marker, and puts the readings together in book order. A chapter read on its own is
read as it is within the book, except where the Markdown reader carries something from one chapter
to another. So the pieces are used only when none of that can happen; otherwise the whole book is
read again (`splice_problem` says why):
- an identifier in two chapters: pandoc makes a heading's identifier unique across the document
  ("summary", then "summary-1");
- a footnote label in two chapters, a reference link definition, an example list (`(@)`) or a
  citation (`@name`, which a Twitter handle is too): each is resolved or numbered across the document;
- bracketed text in one chapter naming a heading in another: pandoc makes it a link to that heading;
- a chapter that sets metadata (a YAML block), or that leaves a div open (it would run on into the
  next chapter: its marker does not come out last), or that holds a marker itself.

As it writes report.json, the reading also says which of its blocks hold an image or a link
(`write_reading`): the writers' pass over images and links visits those blocks only
(templates/write-all.lua), not every word of the book three times.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from annualreport.inputs.result_cache import write_whole
from annualreport.render.pandoc_ast import plain_text

if TYPE_CHECKING:
    from annualreport.store.store_cache import Faults

VERSION = "reading-1"
KEEP = 600  # chapter readings kept: every chapter of several reports and years, with a few edits each
MARKER = "::: {.annualreport-part}\n:::"
MARKER_CLASS = "annualreport-part"
JOIN = f"\n\n{MARKER}\n\n"
# Elements whose content starts with their attributes (identifier, classes, key-values); a
# Header's come after its level.
ATTR_FIRST = {"Div", "Span", "CodeBlock", "Code", "Table", "Figure", "Image", "Link"}

FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:", re.MULTILINE)
EXAMPLE = re.compile(r"\(@[\w-]*\)")
BRACKETED = re.compile(r"\[([^\[\]\n]+)\]")

Run = Callable[[list[str], str], None]  # pandoc's arguments, the step's name for an error


def book_markdown(parts: list[str]) -> str:
    """The book's Markdown as pandoc reads it whole: the chapters with a marker between each two."""
    return JOIN.join(parts)


def _loose(text: str) -> str:
    """Text compared the way pandoc would match a bracketed name to a heading, and more loosely:
    letters and digits only, in lower case (or the words, when there are none)."""
    return re.sub(r"[\W_]+", "", text.lower()) or " ".join(text.lower().split())


def piece(blocks: list) -> dict:
    """A chapter's reading: its blocks, every identifier set on one of its elements, the text of each
    of its headings (loosely, `_loose`) and whether it cites (`@name`): what `splice_problem` looks at."""
    ids: set[str] = set()
    headings: set[str] = set()
    cites = False

    def walk(node: Any) -> None:
        nonlocal cites
        if isinstance(node, dict):
            kind, content = node.get("t"), node.get("c")
            cites = cites or kind == "Cite"
            if kind == "Header":
                ids.add(content[1][0])
                headings.add(_loose(plain_text(content[2])))
            elif kind in ATTR_FIRST:
                ids.add(content[0][0])
            if content is not None:
                walk(content)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    ids.discard("")
    return {"blocks": blocks, "ids": sorted(ids), "headings": sorted(headings), "cites": cites}


def splice_problem(parts: list[str], pieces: list[dict]) -> str | None:
    """Why the chapters' readings (`pieces`, of the Markdown `parts`) may not be put together as the
    reading of the whole book, or None when they may (see the module docstring)."""
    seen_ids: dict[str, int] = {}
    seen_notes: dict[str, int] = {}
    for i, (text, reading) in enumerate(zip(parts, pieces)):
        if REFERENCE_DEFINITION.search(text):
            return f"chapter {i + 1} defines a reference link"
        if EXAMPLE.search(text):
            return f"chapter {i + 1} has an example list"
        if reading["cites"]:
            return f"chapter {i + 1} cites (@name)"
        for x in reading["ids"]:
            if seen_ids.setdefault(x, i) != i:
                return f"identifier '{x}' is in chapters {seen_ids[x] + 1} and {i + 1}"
        for x in set(FOOTNOTE.findall(text)):
            if seen_notes.setdefault(x, i) != i:
                return f"footnote '{x}' is in chapters {seen_notes[x] + 1} and {i + 1}"
    for i, text in enumerate(parts):
        names = {_loose(b) for b in BRACKETED.findall(text)}
        for j, reading in enumerate(pieces):
            if j != i and names.intersection(reading["headings"]):
                return f"chapter {i + 1} names a heading of chapter {j + 1} in brackets"
    return None


def split_reading(document: dict, count: int) -> list[list] | None:
    """The blocks of each chapter between the markers of a whole-book reading (the markers are taken
    out of `document`), or None when it does not hold `count` chapters (one ran into the next)."""
    chapters: list[list] = [[]]
    for block in document["blocks"]:
        if _is_marker(block):
            chapters.append([])
        else:
            chapters[-1].append(block)
    document["blocks"] = [b for blocks in chapters for b in blocks]
    return chapters if len(chapters) == count else None


def _is_marker(block: dict) -> bool:
    return block.get("t") == "Div" and block["c"][0][1] == [MARKER_CLASS] and block["c"][1] == []


class ReadingCache:
    """Chapters' readings by key, one JSON file each; the newest KEEP are kept."""

    def __init__(self, folder: Path, environment: str, faults: Faults, refresh: bool = False) -> None:
        self.folder = folder
        self.environment = environment
        self.faults = faults
        self.refresh = refresh  # --force: read the whole book again (and keep its chapters)

    def key(self, settings: str, text: str) -> str:
        material = "\n".join([VERSION, self.environment, settings, text])
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict | None:
        """The chapter reading kept under `key` (see `piece`), or None."""
        if self.refresh or self.faults.off:
            return None
        path = self.folder / f"{key}.json"
        try:
            reading = json.loads(path.read_text(encoding="utf-8"))
            os.utime(path)  # recently used: kept longest
        except (OSError, ValueError):
            return None  # none, or a damaged one: the chapter is read again
        return reading if isinstance(reading, dict) and set(reading) == {"blocks", "ids", "headings", "cites"} else None

    def put(self, entries: dict[str, dict]) -> None:
        """Keep the chapter readings `entries` (key -> `piece`), each file written whole (write_whole)."""
        if self.faults.off or not entries:
            return
        try:
            for key, reading in entries.items():
                text = _json(reading).encode("utf-8")
                write_whole(self.folder / f"{key}.json", lambda f: f.write(text))
            kept = sorted((p.stat().st_mtime_ns, p) for p in self.folder.glob("*.json"))
            for _, old in kept[:max(0, len(kept) - KEEP)]:
                old.unlink(missing_ok=True)
        except OSError as e:
            self.faults.fault(e)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_book(parts: list[str], root: Path, read: list[str], settings: str, run: Run,
              cache: ReadingCache | None, workers: int) -> list[int] | None:
    """Pandoc's reading of the book whose chapters' Markdown is `parts`, written to root/report.json.

    `read`: pandoc's arguments for reading Markdown (format, filters, metadata), run in `root` by
    `run`; `settings`: what of them decides a chapter's reading (the format and the safety filter).
    The book's Markdown is root/report.md (`book_markdown`). With `cache`, chapters read before are
    taken from it and only the others are read, each on its own, when that gives the same reading
    (see the module docstring); otherwise, and without a cache, the whole book is read.
    Returns the blocks that hold an image or a link (`write_reading`).
    """
    if cache is None:
        return _read_whole(root, read, run, len(parts))[2]
    keys = [cache.key(settings, text) for text in parts]
    kept = [cache.get(k) for k in keys]
    missing = [i for i, reading in enumerate(kept) if reading is None]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        empty = pool.submit(_empty, root, read, run)  # the book's metadata, read beside the chapters
        if sum(len(parts[i]) for i in missing) <= sum(map(len, parts)) // 2:
            readings = dict(zip(missing, pool.map(lambda i: _read_alone(parts[i], i, root, read, run), missing)))
            document = _put_together(parts, kept, readings, empty.result())
            if document is not None:
                found = write_reading(root / "report.json", document)
                cache.put({keys[i]: kept[i] for i in missing})  # type: ignore[misc]
                return found
        meta, chapters, found = _read_whole(root, read, run, len(parts))
        if chapters is None or meta != empty.result()["meta"]:
            return found
        pieces = [piece(blocks) for blocks in chapters]
        if splice_problem(parts, pieces) is None:
            cache.put(dict(zip(keys, pieces)))
        return found


def _read_whole(root: Path, read: list[str], run: Run, count: int) -> tuple[dict, list[list] | None, list[int] | None]:
    """The whole book (root/report.md) read at once into root/report.json, the markers taken out: its
    metadata, each chapter's blocks (None when it does not hold `count` chapters), and the blocks
    that hold an image or a link (`write_reading`)."""
    run([*read, "--to", "json", "report.md", "-o", "report.json"], "reading the Markdown")
    document = json.loads((root / "report.json").read_text(encoding="utf-8"))
    chapters = split_reading(document, count)
    return document["meta"], chapters, write_reading(root / "report.json", document)


# What an image or a link looks like in pandoc's JSON as _json writes it. Text that merely reads
# like this is written escaped ('{\"t\":...') and does not match.
IMAGE_OR_LINK = ('{"t":"Image"', '{"t":"Link"')


def write_reading(path: Path, document: dict) -> list[int] | None:
    """Write pandoc's reading `document` to `path` (as _json writes it: pandoc reads it back as it
    wrote it); return the positions of its blocks that hold an image or a link anywhere inside them,
    or None when its metadata holds one (then no block may be left out of a pass over them).

    The blocks are written one by one and joined, the same bytes as writing the document at once
    (a JSON array is its items joined by commas), so each block's text is at hand to look in."""
    blocks = [_json(block) for block in document["blocks"]]
    texts = {key: f"[{','.join(blocks)}]" if key == "blocks" else _json(value) for key, value in document.items()}
    path.write_text("{" + ",".join(f"{_json(key)}:{text}" for key, text in texts.items()) + "}", encoding="utf-8")
    if any(mark in texts["meta"] for mark in IMAGE_OR_LINK):
        return None
    return [i for i, text in enumerate(blocks) if any(mark in text for mark in IMAGE_OR_LINK)]


def _empty(root: Path, read: list[str], run: Run) -> dict:
    """Pandoc's reading of an empty document: the metadata of the command line and metadata file alone."""
    (root / "empty.md").write_text("", encoding="utf-8")
    run([*read, "--to", "json", "empty.md", "-o", "empty.json"], "reading the Markdown")
    return json.loads((root / "empty.json").read_text(encoding="utf-8"))


def _read_alone(text: str, i: int, root: Path, read: list[str], run: Run) -> dict:
    """Pandoc's reading of one chapter's Markdown on its own, followed by a marker."""
    (root / f"part-{i}.md").write_text(text + JOIN, encoding="utf-8")
    run([*read, "--to", "json", f"part-{i}.md", "-o", f"part-{i}.json"], "reading the Markdown")
    return json.loads((root / f"part-{i}.json").read_text(encoding="utf-8"))


def _put_together(parts: list[str], kept: list[dict | None], readings: dict[int, dict], empty: dict) -> dict | None:
    """The book's reading from the chapters kept and those just read on their own (`readings`, which
    go into `kept`), or None when they may not be put together."""
    for i, document in readings.items():
        blocks = document["blocks"]
        if document["meta"] != empty["meta"] or not blocks or not _is_marker(blocks[-1]) \
                or any(_is_marker(b) for b in blocks[:-1]):
            return None  # it sets metadata, or it ran past its marker into what follows
        kept[i] = piece(blocks[:-1])
    pieces = [reading for reading in kept if reading is not None]
    if len(pieces) != len(parts) or splice_problem(parts, pieces) is not None:
        return None
    return {**empty, "blocks": [b for reading in pieces for b in reading["blocks"]]}
