"""Which published cells are counts about children, and which figure each one shows.

The table and chart writers (`Chapter.table`, `Chapter.chart`, `Chapter.summary_table`,
`LocalView.table`, `trend_table`, `half_year_table`, `chart`) record, beside each table they
publish, every cell that holds a disclosive count: where it is in the CSV (data row and column),
where it is in the report's table (body row and column of the table `tbl-<stem>`), and the
figure it shows, as a reference:

    ["store", indicator, area_type, area_code, time_period]      a figure of the indicator store
    ["local", dataset, measure, *row key]                          a cell of a local input
                                                                   (row key: see local_tables.row_key)

The registry lives in `records/<chapter>-cells-<stem>.json` (never published). The final gate
(`publication`) reads it to find small counts whatever a table's layout, and the audit of what
was published (`published_audit`) to relate each published cell to its true value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

RECORDS = "records"
Ref = tuple  # ("store", ...) or ("local", ...), see the module docstring


@dataclass
class TableCells:
    """The count cells of one published table or chart."""

    stem: str
    csv: str | None = None  # path of its CSV relative to the build folder, e.g. data/allegations-table-1.csv
    table_id: str | None = None  # the id of its table in the report (HTML and Markdown), e.g. tbl-allegations-table-1
    csv_cells: list[tuple[int, str, Ref]] = field(default_factory=list)  # (data row from 1, column name, ref)
    table_cells: list[tuple[int, int, Ref]] = field(default_factory=list)  # (body row from 0, column from 0, ref)


def registry_path(build_dir: Path, chapter: str, stem: str) -> Path:
    return build_dir / RECORDS / f"{chapter}-cells-{stem}.json"


def write_cells(build_dir: Path, chapter: str, cells: TableCells) -> None:
    """Record the count cells of one table (overwriting an earlier record of the same table)."""
    path = registry_path(build_dir, chapter, cells.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Its fields as they are (vars), not copied deeply as dataclasses.asdict would: the same JSON.
    path.write_text(json.dumps(vars(cells), indent=1) + "\n", encoding="utf-8")


def read_cells(build_dir: Path) -> list[TableCells]:
    """Every table's record, in file-name order."""
    out = []
    for path in sorted((build_dir / RECORDS).glob("*-cells-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(TableCells(data["stem"], data["csv"], data["table_id"],
                              [(r, c, tuple(ref)) for r, c, ref in data["csv_cells"]],
                              [(r, c, tuple(ref)) for r, c, ref in data["table_cells"]]))
    return out
