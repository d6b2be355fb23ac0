"""The last check before a report is published: no small count in any published file, any layout.

Chapters publish through helpers that suppress small numbers, but a chapter's own code could
write a table that does not. The gate reads back what is published, in the folder it is given
(report.html, data/*.csv; the PDF's tables through the Markdown pandoc made it from):

- every count about children that the table writers registered (`cell_registry`), whatever the
  table's layout (long, year-per-column, half-year, category), in its CSV, in the HTML table and
  in the Markdown table: a number from 1 to the threshold minus 1 is a finding, and so is a cell
  showing the very value the report suppresses (its true small count);
- every CSV nobody registered (a chapter's own): each whole number from 1 to the threshold minus 1
  in a column that is not a percentage, rate or year is a finding (long layouts by their unit);
- the arithmetic audit (`published_audit`): a hidden count a reader could pin down to fewer than
  `threshold` values is a finding.

Each finding names the file, row and column. A final report refuses to build while there is one;
a draft is built and the build says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from annualreport.publication.cell_registry import read_cells
from annualreport.publication.html_reading import HtmlReading
from annualreport.inputs.checks import Problem
from annualreport.inputs.local_tables import row_key
from annualreport.inputs.local_schema import DATASET_BY_NAME, DATASETS
from annualreport.publication.published_audit import audit_published, local_frames
from annualreport.publication.published_cells import number, published_cells, read_csv_rows
from annualreport.store import STORE_CSV, STORE_META
from annualreport.store.figures import Store
from annualreport.publication.suppression import store_cells

NOT_COUNTS = re.compile(r"%|percent|rate|per 10,000|£|year|decimals|time_period", re.IGNORECASE)
KIND = "unsuppressed small number"


def _finding(file: str, row: int, column: str, found: str, threshold: int, kind: str = KIND, why: str = "") -> Problem:
    expected = why or f"no count from 1 to {threshold - 1} in a published file (suppress it)"
    return Problem(file, row, column, found, expected, kind)


def _true_values(private: Path, frames: dict[str, pd.DataFrame]) -> dict[tuple, float | None]:
    """The true value of every registered reference (store figures and local cells); `frames`:
    the build's local inputs as the report shows them (published_audit.local_frames)."""
    values: dict[tuple, float | None] = {}
    if (private / STORE_CSV).is_file() and (private / STORE_META).is_file():
        values |= {("store", *k): v for k, v in store_cells(Store.load(private).frame).items()}
    for name, frame in frames.items():
        dataset = DATASET_BY_NAME[name]
        keys = row_key(frame, dataset)
        for m in dataset.measures:
            for key, v in zip(keys, frame[m.name]):
                values[("local", name, m.name, *key)] = None if v != v else float(v)
    return values


def _unregistered_csv(path: Path, name: str, indicators: dict[str, dict], threshold: int) -> list[Problem]:
    header, rows = read_csv_rows(path)
    problems = []
    count_labels = {m.label for d in DATASETS for m in d.measures if m.unit == "count" and m.disclosive}
    for i, row in enumerate(rows, start=2):
        record = dict(zip(header, row))
        if "indicator" in record and "value" in record:
            columns = ["value"] if indicators.get(record["indicator"], {}).get("unit") == "count" else []
        elif "unit" in record and "value" in record:
            columns = ["value"] if record["unit"] == "count" else []
        else:
            columns = [c for c in header if c in count_labels or not NOT_COUNTS.search(c)]
        for column in columns:
            text = record.get(column, "")
            value = number(text) if not text.strip().endswith("%") else None
            if value is not None and value.is_integer() and 0 < value < threshold:
                problems.append(_finding(name, i, column, f"{value:g}", threshold))
    return problems


def small_counts(public: Path, private: Path, indicators: dict[str, dict], threshold: int,
                 markdown: str | dict | None = None, pages: dict[str, HtmlReading] | None = None) -> list[Problem]:
    """Every finding of the gate in `public` (what is published), using the records in `private`
    (`pages`: the published HTML pages as read by html_reading.html_pages, read here when not given)."""
    problems: list[Problem] = []
    frames = local_frames(private)
    truth = _true_values(private, frames)
    cells = list(published_cells(public, private, markdown, pages))
    for cell in cells:
        value = number(cell.text)
        true = truth.get(cell.ref)
        if value is not None and 0 < value < threshold:
            problems.append(_finding(cell.file, cell.row, cell.column, cell.text, threshold))
        elif value is not None and true is not None and 0 < true < threshold and value == true:
            problems.append(_finding(cell.file, cell.row, cell.column, cell.text, threshold, "suppressed value published",
                                     "the cell suppressed ([c]): the report hides this count"))
    registered = {t.csv for t in read_cells(private) if t.csv}
    for path in sorted((public / "data").glob("*.csv")):
        name = f"data/{path.name}"
        if name not in registered:
            problems += _unregistered_csv(path, name, indicators, threshold)
    audit = audit_published(public, private, threshold, markdown, cells, frames)
    for cell, r in audit.failures:
        problems.append(_finding(cell.file, cell.row, cell.column, f"{cell.text} with feasible range {r}", threshold,
                                 "suppressed count can be worked out",
                                 f"at least {threshold} possible values for a hidden count (suppress more cells)"))
    return problems
