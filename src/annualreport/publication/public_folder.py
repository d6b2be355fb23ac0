"""The public folder: what may be published, apart from what may not.

Each build folder holds `public/`, with exactly what a partnership may put on its website:
`report.html`, `report.pdf` (and Quarto's `_book/` website when Quarto rendered it) and the
suppressed CSV of every chart and table in `public/data/`, so the HTML's relative "Data for this
chart" links keep working inside public/. Everything else stays beside it for the audit: the local
inputs (raw, unsuppressed), the indicator store, the executed notebooks, the chapters' records,
the chart images, the Quarto project and manifest.json (which holds the SHA-256 of every input).
"""

from __future__ import annotations

import os
from pathlib import Path

PUBLIC = "public"
# What public/ may hold: these names at its top, and CSV files under data/.
PUBLIC_FILES = ("report.html", "report.pdf", "report.docx")
PUBLIC_FOLDERS = ("data", "_book")


def assemble_public(build: Path, outputs: list[Path]) -> list[Path]:
    """Move the rendered outputs and the chart and table CSVs of `build` into build/public/.

    Returns the public outputs (report.html, report.pdf ...) in the order the renderer gave them.
    """
    public = build / PUBLIC
    public.mkdir()
    moved = []
    for output in outputs:
        if output.name not in PUBLIC_FILES:
            raise ValueError(f"{output.name} is not a public output")
        os.replace(output, public / output.name)
        moved.append(public / output.name)
    for name in PUBLIC_FOLDERS:
        if (build / name).is_dir():
            os.replace(build / name, public / name)
    return moved


def unexpected_public_files(public: Path) -> list[str]:
    """Files in public/ that are not public outputs (an empty list for a sound build)."""
    out = []
    for path in sorted(public.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(public)
        top = rel.parts[0]
        if len(rel.parts) == 1 and top in PUBLIC_FILES:
            continue
        if top == "data" and len(rel.parts) == 2 and path.suffix == ".csv":
            continue
        if top == "_book":
            continue
        out.append(rel.as_posix())
    return out
