"""The layout of a returns workbook, shared by `returns make` and `returns collect`.

A workbook has an Instructions sheet, one sheet per local dataset, and a very hidden sheet
(`_annualreport`) recording what `make` wrote: the partnership, the year, and for each dataset sheet
its dataset and the key of every row (period, area and filter values). `collect` trusts only that
record: the visible labels are locked and checked against it, so a moved row or a renamed sheet is
reported instead of being read into the wrong place.

Each dataset sheet:

    row 1   the dataset's title           row 2   what it holds
    row 3   how to fill it in              row 5   column headings
    row 6+  one row per area, period and category: the label columns (locked, grey), this year's
            figures (white, to fill in), then last year's figures for reference (locked, grey).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from annualreport.inputs.local_schema import STANDARD_COLUMNS, Dataset, Measure, time_period_code
from annualreport.inputs.textfile import read_csv_text

RECORD_SHEET = "_annualreport"
INSTRUCTIONS_SHEET = "Instructions"
FORMAT = "annualreport returns 1"
TITLE_ROW, DESCRIPTION_ROW, HOW_ROW, HEADER_ROW, FIRST_ROW = 1, 2, 3, 5, 6
NOT_AVAILABLE = "x"
LABELS = ("Area", "Period")

Key = tuple[str, ...]  # the standard columns but time_period, then the filter values


@dataclass(frozen=True)
class SheetRecord:
    """What `make` wrote on one dataset sheet."""

    sheet: str
    dataset: str
    keys: tuple[Key, ...]


def sheet_name(dataset: Dataset) -> str:
    """A sheet name Excel accepts (at most 31 characters, none of []:*?/\\)."""
    name = dataset.title
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name if len(name) <= 31 else name[:32].rsplit(" ", 1)[0].strip()  # whole words


def header(dataset: Dataset) -> list[str]:
    """The column headings of a dataset sheet."""
    return ([*LABELS] + [f.label for f in dataset.filters] + [m.label for m in dataset.measures]
            + [f"Last year: {m.label}" for m in dataset.measures])


def first_measure_column(dataset: Dataset) -> int:
    """1-based column of the first figure to fill in."""
    return len(LABELS) + len(dataset.filters) + 1


def period_label(year: str, time_identifier: str) -> str:
    """'2013-14' or '2013-14, April to September' for a half-year."""
    if "(" in time_identifier:
        return f"{year}, {time_identifier.split('(')[1].rstrip(')')}"
    return year


def area_label(key: Key, partnership_name: str) -> str:
    _, level, _, la_name = key[:4]
    return la_name if level == "Local authority" else partnership_name


def label_cells(key: Key, dataset: Dataset, year: str, partnership_name: str) -> list[str]:
    """The locked label cells of a row: area, period and the filter values."""
    return [area_label(key, partnership_name), period_label(year, key[0]), *key[4:4 + len(dataset.filters)]]


def row_key(row: dict[str, str], dataset: Dataset) -> Key:
    return tuple(row[c] for c in STANDARD_COLUMNS[1:]) + tuple(row[f.name] for f in dataset.filters)


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A local CSV's header and rows, as text (no file: no rows)."""
    if not path.is_file():
        return [], []
    text = read_csv_text(path, path.name).text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), [r for r in reader if any((v or "").strip() for v in r.values())]


def rows_for(rows: list[dict[str, str]], year: str) -> list[dict[str, str]]:
    code = time_period_code(year)
    return [r for r in rows if r.get("time_period", "").strip() == code]


def previous_year(year: str) -> str:
    start = int(year[:4]) - 1
    return f"{start}-{str(start + 1)[2:]}"


def encode_record(partnership: str, year: str, sheets: list[SheetRecord]) -> list[list[str]]:
    """The hidden record sheet's rows (one JSON cell per sheet keeps it readable and exact)."""
    rows = [["format", FORMAT], ["partnership", partnership], ["year", year]]
    rows += [["sheet", s.sheet, s.dataset, json.dumps([list(k) for k in s.keys])] for s in sheets]
    return rows


def decode_record(rows: list[list[object]]) -> tuple[dict[str, str], list[SheetRecord]]:
    """The inverse of encode_record; ValueError when the sheet is not one `make` wrote."""
    fields: dict[str, str] = {}
    sheets = []
    for row in rows:
        cells = ["" if c is None else str(c) for c in row]
        if not cells or not cells[0]:
            continue
        if cells[0] == "sheet" and len(cells) >= 4:
            keys = tuple(tuple(k) for k in json.loads(cells[3]))
            sheets.append(SheetRecord(cells[1], cells[2], keys))
        elif len(cells) >= 2:
            fields[cells[0]] = cells[1]
    if fields.get("format") != FORMAT:
        raise ValueError(f"the record says {fields.get('format')!r}, expected {FORMAT!r}")
    return fields, sheets


def expected_kind(measure: Measure) -> str:
    """What a figure cell may hold, in words (the same words as the sheet's instructions)."""
    return {
        "count": "a whole number of 0 or more, or x",
        "percent": "a percentage from 0 to 100, or x",
        "gbp": "an amount in pounds, or x",
        "rate_per_10k": "a rate of 0 or more, or x",
        "number": "a number, or x",
    }[measure.unit]
