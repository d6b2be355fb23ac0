"""Tag the header cells of each table row in the PDF's structure tree.

A screen reader announces a cell with its headers. Typst tags a table's column headers (TH, scope
Column) but has no way, in the compiler we ship, to say that the first cells of a row label it
(the indicator, the area): they come out as data cells (TD). This pass rewrites those cells as TH
with scope Row, gives each an ID, and lists that ID among the /Headers of the other cells of its
row, the way PDF/UA-1 (ISO 14289-1, 7.5) and the PDF 1.7 Table attributes describe it.

How many of each table's first columns are row headers comes from the Markdown, by way of
writers.lua (one count per table, in document order, 0 for a table typed in narrative text). The
tables of the structure tree are taken in the same order; if the two counts of tables differ the
build stops with a RenderError rather than tagging the wrong cells. The file is written again
with a content-derived /ID, so the same input gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pikepdf

from annualreport.errors import RenderError

CELLS = (pikepdf.Name.TD, pikepdf.Name.TH)


def _kids(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The structure elements directly below `element` (marked content and references left out)."""
    kids = element.get("/K")
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return [k for k in items if isinstance(k, pikepdf.Dictionary) and "/S" in k]


def _tables(element: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
    """Every Table structure element below `element`, in document order."""
    for kid in _kids(element):
        if kid.S == pikepdf.Name.Table:
            yield kid
        else:
            yield from _tables(kid)


def _body_rows(table: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The table's rows outside its header: TR elements of TBody and TFoot, or directly under Table."""
    rows = []
    for kid in _kids(table):
        if kid.S == pikepdf.Name.TR:
            rows.append(kid)
        elif kid.S in (pikepdf.Name.TBody, pikepdf.Name.TFoot):
            rows += [r for r in _kids(kid) if r.S == pikepdf.Name.TR]
    return rows


def _table_attributes(cell: pikepdf.Dictionary) -> pikepdf.Dictionary:
    """The cell's attribute dictionary of owner /Table, added if it has none."""
    attributes = cell.get("/A")
    items = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes] if attributes is not None else []
    for item in items:
        if isinstance(item, pikepdf.Dictionary) and item.get("/O") == pikepdf.Name.Table:
            return item
    own = pikepdf.Dictionary(O=pikepdf.Name.Table)
    cell.A = pikepdf.Array([own, *items])
    return own


def _tag_rows(table: pikepdf.Dictionary, number: int, columns: int, ids: dict[str, pikepdf.Dictionary]) -> int:
    """Make the first `columns` cells of each body row row headers; returns how many were tagged."""
    tagged = 0
    for y, row in enumerate(_body_rows(table)):
        cells = [c for c in _kids(row) if c.S in CELLS]
        names = []
        for x, cell in enumerate(cells[:columns]):
            name = f"annualreport-t{number}-r{y}-c{x}"
            cell.S = pikepdf.Name.TH
            cell.ID = pikepdf.String(name)
            _table_attributes(cell).Scope = pikepdf.Name.Row
            ids[name] = cell
            names.append(name)
            tagged += 1
        for cell in cells[columns:]:
            attributes = _table_attributes(cell)
            headers = list(attributes.get("/Headers", pikepdf.Array()))
            attributes.Headers = pikepdf.Array(headers + [pikepdf.String(n) for n in names])
    return tagged


def mark_row_headers(path: Path, counts: list[int]) -> int:
    """Tag the row headers of the PDF at `path` in place; `counts` gives each table's number of
    row-header columns in document order. Returns the number of cells tagged."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        root = pdf.Root.get("/StructTreeRoot")
        if root is None:
            raise RenderError(f"{path.name}: the PDF has no structure tree to tag row headers in")
        tables = list(_tables(root))
        if len(tables) != len(counts):
            raise RenderError(f"{path.name}: {len(counts)} tables in the report's text but {len(tables)} in the "
                              "PDF's structure tree: cannot tell which cells head their rows")
        ids: dict[str, pikepdf.Dictionary] = {}
        tagged = sum(_tag_rows(t, i, n, ids) for i, (t, n) in enumerate(zip(tables, counts), 1) if n)
        if ids:
            if "/IDTree" not in root:
                root.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array()))
            tree = pikepdf.NameTree(root.IDTree)
            for name, cell in ids.items():
                tree[name] = cell
        pdf.save(path, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return tagged


def read_counts(path: Path) -> list[int]:
    """The counts writers.lua wrote: one whole number per line."""
    try:
        return [int(line) for line in path.read_text(encoding="utf-8").split()]
    except (OSError, ValueError) as exc:
        raise RenderError(f"cannot read the tables' row-header counts from {path.name}: {exc}") from None
