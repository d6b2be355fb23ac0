"""Open the PDF's outline (bookmarks) when a reader opens the report.

Typst writes the outline but no `/PageMode`, so a viewer shows the pages only. This adds
`/PageMode /UseOutlines` to the document catalog by an incremental update: the catalog is written
again, with the one entry added, after the end of the file, followed by a cross-reference section
for that object and a trailer pointing back to Typst's (`/Prev`). Typst's bytes are kept as they
are (its PDF/UA-1 tags and metadata untouched), and the same input gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from annualreport.errors import RenderError

TRAILER = re.compile(rb"trailer\s*<<(?P<body>.*?)>>\s*startxref\s+(?P<xref>\d+)\s+%%EOF\s*$", re.S)
ROOT = re.compile(rb"/Root\s+(\d+)\s+(\d+)\s+R")
SIZE = re.compile(rb"/Size\s+(\d+)")


def open_outline(path: Path) -> None:
    """Rewrite `path` so that viewers open it with the outline shown; RenderError if the PDF is not
    laid out as Typst writes it (a classic cross-reference table and an uncompressed catalog)."""
    data = path.read_bytes()
    trailer = TRAILER.search(data[-2048:])
    root = ROOT.search(trailer.group("body")) if trailer else None
    if trailer is None or root is None:
        raise RenderError(f"{path.name}: cannot set the PDF to open its outline: no classic trailer with /Root")
    number, generation = int(root.group(1)), int(root.group(2))
    catalog = re.search(rb"(?:^|[\r\n])%d %d obj\s*<<(?P<body>.*?)>>\s*endobj" % (number, generation), data, re.S)
    if catalog is None:
        raise RenderError(f"{path.name}: cannot set the PDF to open its outline: catalog object {number} not found")
    body = catalog.group("body")
    if b"/PageMode" in body:
        return
    offset = len(data) + (0 if data.endswith(b"\n") else 1)
    update = b"%d %d obj\n<</PageMode/UseOutlines%s>>\nendobj\n" % (number, generation, body)
    xref = offset + len(update)
    trailer_body = trailer.group("body").strip()
    trailer_body = re.sub(rb"/Prev\s+\d+", b"", trailer_body) + b"/Prev %s" % trailer.group("xref")
    tail = (b"xref\n%d 1\n%010d %05d n \ntrailer\n<<%s>>\nstartxref\n%d\n%%%%EOF\n"
            % (number, offset, generation, trailer_body, xref))
    path.write_bytes(data + (b"" if data.endswith(b"\n") else b"\n") + update + tail)
