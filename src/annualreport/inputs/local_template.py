"""`annualreport template`: blank, documented local-input files for a coordinator to fill in."""

from __future__ import annotations

import csv
from pathlib import Path

from annualreport.inputs.framework import input_title
from annualreport.inputs.local_schema import (
    DATASETS,
    STANDARD_COLUMNS,
    TEXT_INPUTS,
    UNIT_SYMBOL,
    Dataset,
    time_period_code,
)
from annualreport.inputs.textfile import CSV_MAX_BYTES, CSV_MAX_ROWS, MB, YAML_MAX_BYTES, check_inside

META_COLUMNS = ("col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
                "filter_hint", "filter_grouping_column")


def meta_rows(dataset: Dataset) -> list[dict[str, str]]:
    """The EES `.meta.csv` rows describing a dataset's filter and indicator columns."""
    rows = [{"col_name": f.name, "col_type": "Filter", "label": f.label, "filter_hint": f.hint} for f in dataset.filters]
    rows += [{"col_name": m.name, "col_type": "Indicator", "label": m.label,
              "indicator_unit": UNIT_SYMBOL[m.unit], "indicator_dp": str(m.dp)} for m in dataset.measures]
    return [{k: r.get(k, "") for k in META_COLUMNS} for r in rows]


def write_csv(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def readme(year: str, partnership: str, inputs: set[str] | None = None) -> str:
    """The folder's README: the file formats, then each input (those in `inputs`, else all) described."""
    code = time_period_code(year)
    lines = [
        f"# Local inputs: {partnership}, {year}",
        "",
        "Figures and text that no national dataset holds. Fill in each file; `annualreport check "
        f"--partnership {partnership} --year {year}` lists every problem with its file, row and column.",
        "",
        "## Numbers: tidy CSV (EES style)",
        "",
        "Every CSV has the columns " + ", ".join(f"`{c}`" for c in STANDARD_COLUMNS) + ", then its filters "
        "and indicators. One row per period, area and filter value:",
        "",
        f"- `time_period`: the financial year as six digits (`{code}` for {year}); earlier years may be given "
        "for trends, later ones may not.",
        "- `time_identifier`: `Financial year`, or `Part 1 (April to September)` / `Part 2 (October to March)` "
        "for half-years.",
        "- `geographic_level`: `Local authority` (with the member council's 3-digit `la_code` and `la_name`) or "
        "`Partnership` (both blank) for figures that belong to the partnership as a whole.",
        "- Filters are text; the value `Total` marks the row that the other values add up to.",
        "- Indicators are whole numbers (amounts in pounds may have pence); leave unknown cells as `x` (not "
        "available) rather than 0. Never enter names or anything that identifies a child or a member of staff.",
        "",
        "Each `<name>.meta.csv` describes the columns in DfE's EES meta format; keep it with its CSV.",
        "",
        "## Saving the files",
        "",
        "Save as UTF-8 (best), UTF-16 with a byte-order mark (Excel's \"Unicode Text\") or Windows-1252 (Excel's "
        "\"CSV\" on Windows); any line endings. Keep each CSV under "
        f"{CSV_MAX_BYTES // MB} MB and {CSV_MAX_ROWS:,} rows and each YAML file under {YAML_MAX_BYTES // MB} MB: a "
        "larger file is refused. YAML is indented with spaces, never tabs, and may not use anchors or aliases "
        "(`&name`, `*name`). Keep the files here as files, not links to files elsewhere.",
        "",
        "A file left empty, a CSV with only its header and a YAML list with no items (or only the example) "
        "count as not provided: a draft says so, a final report refuses to build unless the year's params "
        "list the input under `not_provided` with the reason.",
        "",
    ]
    for d in _chosen(DATASETS, inputs):
        lines += [f"### {d.name}.csv: {input_title(d.name, year)}", "", d.description, ""]
        for f in d.filters:
            lines.append(f"- filter `{f.name}`: {f.label} ({f.hint})")
        for m in d.measures:
            derived = f" = {m.numerator} / {m.denominator} x 100" if m.unit == "percent" and m.denominator else ""
            if m.unit == "rate_per_10k":
                derived = f" = {m.numerator} / children aged 0 to 17 x 10,000"
            lines.append(f"- indicator `{m.name}`: {m.label} ({m.unit}, {m.dp} decimal places{derived})")
        lines.append("")
    lines += ["## Lists and text: YAML", ""]
    for t in _chosen(TEXT_INPUTS, inputs):
        lines += [f"### {t.name}: {input_title(t.name, year)}", "", t.description, ""]
        lines += [f"- `{k}`: {v}" for k, v in t.item_keys.items()]
        lines.append("")
    return "\n".join(lines)


def _chosen(specs: tuple, inputs: set[str] | None) -> list:
    return [s for s in specs if inputs is None or s.name in inputs]


def write_templates(dest: Path, partnership: str, year: str, root: Path | None = None,
                    inputs: set[str] | None = None) -> list[Path]:
    """Write blank CSVs with their .meta.csv, commented YAML examples and a README into dest: for the
    inputs named in `inputs` (those of the report's chapters, framework.inputs_of), else for all.

    Existing files (and links, even broken ones) are never overwritten; returns the files written.
    With `root`, a dest that resolves outside it (a folder link pointing elsewhere) is refused
    (TextFileError) before anything is written.
    """
    if root is not None:
        check_inside(dest, root, dest.relative_to(root).as_posix() if dest.is_relative_to(root) else str(dest))
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def new(path: Path) -> bool:
        if path.exists() or path.is_symlink():
            return False
        written.append(path)
        return True

    for d in _chosen(DATASETS, inputs):
        if new(dest / f"{d.name}.csv"):
            write_csv(dest / f"{d.name}.csv", d.columns, [])
        if new(dest / f"{d.name}.meta.csv"):
            write_csv(dest / f"{d.name}.meta.csv", META_COLUMNS, meta_rows(d))
    for t in _chosen(TEXT_INPUTS, inputs):
        if new(dest / t.name):
            example = "\n".join(f"# {line}" for line in t.example.splitlines())
            (dest / t.name).write_text(f"# {t.title}: {t.description}\n# Example:\n{example}\n{t.list_key}: []\n", encoding="utf-8")
    if new(dest / "README.md"):
        (dest / "README.md").write_text(readme(year, partnership, inputs), encoding="utf-8")
    return written
