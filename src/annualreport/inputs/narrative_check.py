"""Editors' narrative is Markdown formatting, never code: find what is not, with its line.

Narrative (the notebooks' markdown cells and `params/<p>/<y>/narrative/<chapter>.md`) may use
any Markdown formatting: emphasis, lists, headings, tables, links to web pages and the report's
own sections, and the build's charts (`![text](figures/<name>.png)`). It may not hold

- a raw block or inline (```` ```{=typst} ````, `{=html}`, `{=latex}`),
- an HTML tag (`<script>`, `<iframe>`, `<img ...>`, any `<tag`) or comment (with raw HTML off
  a comment would be printed; the `<!-- replace: x -->` / `<!-- after: x -->` markers of
  narrative files are ours and allowed),
- a link whose scheme is not http, https or mailto (`javascript:`, `file:`, `data:`...),
- an image that is not one of the build's charts (an absolute path, `file:` or web address,
  or an image by reference), or an attribute a browser would run or fetch (`onclick=`, `src=`).

Inline code and fenced code blocks are text, and are not searched (except a fence's raw
`{=format}`). The renderer enforces the same rules again (`templates/safety.lua`); this check
is there to name the file and line.
"""

from __future__ import annotations

import re

SAFE_SCHEMES = ("http", "https", "mailto")
FIGURE = re.compile(r"figures/[\w.-]+")
MARKER_LINE = re.compile(r"^<!--\s*(replace|after):\s*[\w-]+\s*-->\s*$", re.M)
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)  # within a paragraph
RAW = re.compile(r"\{\s*=\s*[A-Za-z]")
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>]+)>")
TAG = re.compile(r"</?[A-Za-z!?]")
TARGET = re.compile(r"\(\s*<?([^)>\n]*)")  # a link's or image's destination (and title), up to ')'
INLINE_TARGET = re.compile(r"\]" + TARGET.pattern)
REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*<?([^\s>]+)", re.M)
IMAGE = re.compile(r"(?<!\\)!\[")
ATTRIBUTE = re.compile(r"\{[^{}]*?\b(on[A-Za-z]+|src|href|srcdoc)\s*=", re.I)


def _scheme(target: str) -> str | None:
    """A URL's scheme as a browser reads it (whitespace and control characters ignored), lower case."""
    squeezed = "".join(c for c in target if c > " ")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", squeezed)
    return match.group(1).lower() if match else None


def _shown(target: str) -> str:
    return " ".join(target.split())[:60]


def _masked(text: str) -> str:
    """text with narrative markers, fenced code and inline code blanked out (same length and
    line breaks, so offsets still give line numbers); a fence's opening line is kept."""
    text = MARKER_LINE.sub(lambda m: " " * len(m.group(0)), text)
    lines = text.split("\n")
    fence = ""
    for i, line in enumerate(lines):
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line[opening.end():].strip():
                fence = ""
            lines[i] = " " * len(line)
        elif opening:
            fence = opening.group(1)
    masked = "\n".join(lines)
    return CODE_SPAN.sub(lambda m: m.group(1) + re.sub(r"[^\n]", " ", m.group(2)) + m.group(1), masked)


def _image_target(text: str, start: int) -> str | None:
    """The destination of the image whose `[` (after `!`) is at `start`, or None if it is not `![...](...)`."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        depth += (c == "[") - (c == "]")
        if depth == 0:
            break
        i += 1
    match = TARGET.match(text, i + 1)
    return match.group(1) if match else None


def unsafe_markdown(text: str) -> list[tuple[int, str]]:
    """(line, what is wrong) for everything in narrative Markdown that is not plain formatting."""
    masked = _masked(text)
    found: list[tuple[int, str]] = []

    def at(offset: int, message: str) -> None:
        found.append((masked.count("\n", 0, offset) + 1, message))

    def link(offset: int, target: str) -> None:
        scheme = _scheme(target)
        if scheme and scheme not in SAFE_SCHEMES:
            at(offset, f"link to '{_shown(target)}': only http, https, mailto and links within the report are allowed")

    for m in RAW.finditer(masked):
        at(m.start(), f"raw block or inline '{masked[m.start():m.start() + 12].split('}')[0]}}}': narrative is "
                      "Markdown; raw Typst, HTML or LaTeX is not allowed")
    for m in AUTOLINK.finditer(masked):
        link(m.start(), m.group(1))
    without_autolinks = AUTOLINK.sub(lambda m: " " * len(m.group(0)), masked)
    for m in TAG.finditer(without_autolinks):
        if masked.startswith("<!--", m.start()):
            at(m.start(), "an HTML comment: it would be printed in the report (only the <!-- replace: name --> "
                          "and <!-- after: name --> markers are allowed)")
        else:
            tag = re.match(r"</?[^\s>]{0,20}", masked[m.start():]).group(0)  # type: ignore[union-attr]
            at(m.start(), f"an HTML tag '{tag}': narrative is Markdown; HTML is not allowed")
    for m in INLINE_TARGET.finditer(masked):
        link(m.start(), m.group(1))
    for m in REFERENCE.finditer(masked):
        link(m.start(), m.group(1))
    for m in IMAGE.finditer(masked):
        target = _image_target(masked, m.start() + 1)
        if target is None:
            at(m.start(), "an image by reference: write images as ![text](figures/<name>.png)")
        elif not FIGURE.fullmatch((target.split() or [""])[0]) or ".." in target:
            at(m.start(), f"an image from '{_shown(target)}': only the build's charts (figures/<name>.png) may be shown")
    for m in ATTRIBUTE.finditer(masked):
        at(m.start(), f"an attribute '{m.group(1)}=': attributes that run script or load files are not allowed")
    return sorted(found)
