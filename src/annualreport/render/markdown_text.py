"""Text typed by people (partners, coordinators, params) as pandoc Markdown that shows it as typed.

Everything a partner agency or a coordinator supplies as text (partner updates, priorities,
the challenge log, audit findings, every text cell of a local CSV, the partnership's name) is
*text*, not Markdown: it must reach the HTML and the PDF exactly as typed, never as raw HTML,
raw Typst or LaTeX, a link, an image, a citation, maths or formatting. Pandoc's Markdown
(`all_symbols_escapable`) reads any ASCII punctuation character preceded by a backslash as
that character, so escaping every punctuation character turns any text into Markdown that
means exactly that text: `<script>` stays `<script>`, `|` stays a character inside a pipe
table cell, `*`, `_`, `#`, `$`, `@`, `[`, `{`, `'` and `--` stay as typed (no smart quotes or
dashes either).

Whitespace is the one thing not kept as typed: runs of spaces, tabs and line breaks become one
space (a table cell or heading is one line), and `paragraphs` keeps blank-line-separated
paragraphs. Control characters and byte order marks, which no output can show, are dropped.
"""

from __future__ import annotations

import re
import string
import unicodedata

_ESCAPE = {ord(c): "\\" + c for c in string.punctuation}


def _printable(text: str) -> str:
    """text with control, surrogate and unassigned code points and byte order marks dropped
    (whitespace kept; pandoc drops a byte order mark wherever it is)."""
    return "".join(c for c in text if c.isspace() or (c != "\ufeff" and unicodedata.category(c) not in ("Cc", "Cs", "Cn")))


def plain_line(text: object) -> str:
    """The text on one line: control characters dropped, every run of whitespace one space."""
    return " ".join(_printable(str(text)).split())


def inline(text: object) -> str:
    """Markdown for text shown inline (a table cell, a heading, a sentence): one line, as typed."""
    return plain_line(text).translate(_ESCAPE)


def paragraphs(text: object) -> str:
    """Markdown for text of one or more paragraphs (separated by a blank line), each as typed."""
    blocks = re.split(r"\n[ \t\r\f\v]*\n", _printable(str(text)).replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(line for line in (inline(b) for b in blocks) if line)


def attribute(text: object) -> str:
    """Text for a double-quoted pandoc attribute value (e.g. an image's fig-alt): one line, no quote."""
    return plain_line(text).replace("\\", "\\\\").replace('"', "'")
