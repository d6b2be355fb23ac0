"""Local inputs as a chapter reads them: typed tables, suppressed for publication.

A table is read from the build's copy of the inputs (local_data.copy_local_inputs) with its
numbers as floats (NaN where the cell is a symbol or blank) and, for publication, passed through the
same disclosure control as the store: small counts hidden, with further cells hidden along every
line a reader can add up (each filter's Total, members against the partnership, half-years against
the year) until no hidden count can be pinned down, and percentages made from a hidden count hidden
too. Only the cells some output publishes take part: the partnership's rows, and a member council's
rows where a local indicator (local_indicators) is made of them; other council cells are unknown to
a reader.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Hashable

import pandas as pd

from annualreport.inputs.local_data import ANNUAL, HALF_YEARS, PARTNERSHIP, STATE
from annualreport.inputs.local_indicators import published_terms
from annualreport.inputs.local_schema import DATASET_BY_NAME, STANDARD_COLUMNS, Dataset
from annualreport.inputs.textfile import read_csv_text
from annualreport.publication.disclosure_audit import Line
from annualreport.publication.suppression import suppress


def read_local(folder: Path, name: str) -> pd.DataFrame | None:
    """The dataset `name` from folder/<name>.csv, or None when it was not provided."""
    dataset = DATASET_BY_NAME[name]
    path = folder / f"{name}.csv"
    if not path.is_file():
        return None
    text = read_csv_text(path, path.name).text
    if not text.strip():
        return None  # an empty file: not provided (a draft says so; a final refuses it)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if frame.empty:
        return None
    for m in dataset.measures:
        text = frame[m.name].str.strip().str.replace(",", "", regex=False)
        numbers = pd.to_numeric(text, errors="coerce")
        frame[m.name + STATE] = ["value" if n == n else ("not available" if t in ("", "x") else "suppressed" if t == "c" else "not applicable")
                                 for n, t in zip(numbers, text)]
        frame[m.name] = numbers
    return frame


def row_key(frame: pd.DataFrame, dataset: Dataset) -> list[tuple[str, ...]]:
    """Each row's identity: its standard columns and filters (what the registry of published cells names)."""
    columns = [*STANDARD_COLUMNS, *(f.name for f in dataset.filters)]
    return [tuple(str(v) for v in row) for row in frame[columns].itertuples(index=False)]


def with_partnership_rows(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """The table with the partnership's rows added where a file of several councils has none.

    Counts (and pounds) are the members' sum when every member has a value; a percentage is
    recomputed from the summed counts; anything else has no partnership figure. The true values:
    suppression comes after, over members and partnership together (see `public_local`)."""
    levels = frame.geographic_level
    if frame[levels != PARTNERSHIP].la_code.nunique() <= 1:
        return frame.reset_index(drop=True)
    keys = ["time_period", "time_identifier", *(f.name for f in dataset.filters)]
    have = set(map(tuple, frame.loc[levels == PARTNERSHIP, keys].astype(str).itertuples(index=False)))
    counts = [m for m in dataset.measures if m.unit in ("count", "gbp")]
    rows = []
    for key, group in frame[levels != PARTNERSHIP].groupby(keys, sort=False):
        if tuple(map(str, key)) in have:
            continue
        row = dict(zip(keys, key)) | {"geographic_level": PARTNERSHIP, "la_code": "", "la_name": ""}
        for m in counts:
            states = set(group[m.name + STATE])
            row[m.name] = group[m.name].sum() if states == {"value"} else float("nan")
            row[m.name + STATE] = "value" if states == {"value"} else sorted(states - {"value"})[0]
        for m in dataset.measures:
            if m.unit == "percent" and m.numerator and m.denominator:
                num, den = row[m.numerator], row[m.denominator]
                if num == num and den == den and den != 0:
                    row[m.name], row[m.name + STATE] = num / den * 100, "value"
                else:  # a part suppressed in the input makes the percentage suppressed ([c]), not unavailable
                    states = {row[m.numerator + STATE], row[m.denominator + STATE]}
                    row[m.name] = float("nan")
                    row[m.name + STATE] = "suppressed" if "suppressed" in states else "not available"
            elif m not in counts:
                row[m.name], row[m.name + STATE] = float("nan"), "not applicable"
        rows.append(row)
    return pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True) if rows else frame.reset_index(drop=True)


def partnership_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a report shows: the partnership's, or a single council's where it is the partnership."""
    if (frame.geographic_level == PARTNERSHIP).any():
        frame = frame[frame.geographic_level == PARTNERSHIP]
    return frame.reset_index(drop=True)


def local_lines(frame: pd.DataFrame, dataset: Dataset) -> tuple[list[Line], dict[Hashable, None]]:
    """What a reader knows of a table's counts, as lines (total, parts) over row positions.

    Along each exhaustive filter, the 'Total' row is the sum of the others; a partnership row is
    the sum of its member councils' rows; a financial year is the sum of its two half-years where
    both are given. Returns the lines and the unknown cells they need (a member council missing
    from one group of rows: a reader knows it exists but not its count).

    Plain Python over the columns' values (groups in order of first appearance, as pandas'
    `groupby(sort=False)`): a table has tens of rows, and this runs in every gate and chapter."""
    filters = [f.name for f in dataset.filters]
    values = {c: [_canonical(v) for v in frame[c].tolist()] for c in (*STANDARD_COLUMNS, *filters)}
    level, code, period = values["geographic_level"], values["la_code"], values["time_identifier"]
    lines: list[Line] = []
    unknown: dict[Hashable, None] = {}

    def groups(by: list[str]) -> dict[tuple, list[int]]:
        found: dict[tuple, list[int]] = {}
        for row, key in enumerate(zip(*(values[c] for c in by))):
            found.setdefault(key, []).append(row)
        return found

    for flt in dataset.filters:
        if flt.exhaustive:
            others = [c for c in (*STANDARD_COLUMNS, *filters) if c != flt.name]
            for rows in groups(others).values():
                total = [r for r in rows if values[flt.name][r] == "Total"]
                parts = [r for r in rows if values[flt.name][r] != "Total"]
                if len(total) == 1 and parts:
                    lines.append((total[0], parts))
    members = sorted({c for c, lv in zip(code, level) if lv != PARTNERSHIP})
    if PARTNERSHIP in level and members:
        for key, rows in groups(["time_period", "time_identifier", *filters]).items():
            total = [r for r in rows if level[r] == PARTNERSHIP]
            if len(total) != 1:
                continue
            present = [r for r in rows if level[r] != PARTNERSHIP]
            codes = {code[r] for r in present}
            absent = [("absent", c, *map(str, key)) for c in members if c not in codes]
            unknown |= dict.fromkeys(absent)
            lines.append((total[0], present + absent))
    for rows in groups(["geographic_level", "la_code", "time_period", *filters]).values():
        halves = [r for r in rows if period[r] in HALF_YEARS]
        year = [r for r in rows if period[r] == ANNUAL]
        if len(year) == 1 and sorted(period[r] for r in halves) == list(HALF_YEARS):
            lines.append((year[0], halves))
    return lines, unknown


_NAN = float("nan")


def _canonical(value: Any) -> Any:
    """One NaN object for every missing value, so that missing values group together (tuples
    compare their items by identity first), as pandas' `groupby(dropna=False)` groups them."""
    return _NAN if value != value else value


def published_rows(frame: pd.DataFrame, dataset: Dataset) -> dict[str, set[int]] | None:
    """The rows of each measure that some output publishes, or None when every row is published.

    A report shows the partnership's rows; a member council's row is published only where a local
    indicator is made of it (local_indicators: the store's per-council figures and the chapters'
    tables by council). Without partnership rows (one council that is the partnership) every row is
    the partnership's and published."""
    frame = frame.reset_index(drop=True)
    member = frame.geographic_level != PARTNERSHIP
    if not (~member).any():
        return None
    out: dict[str, set[int]] = {}
    annual = member & (frame.time_identifier == ANNUAL)
    for m in dataset.measures:
        rows = set(frame.index[~member])
        for where in published_terms(dataset.name).get(m.name, []):
            match = annual.copy()
            for column, values in where:
                match &= frame[column].isin(values)
            rows |= set(frame.index[match])
        out[m.name] = rows
    return out


def public_local(frame: pd.DataFrame, dataset: Dataset, threshold: int) -> pd.DataFrame:
    """The table as it may be published: small counts and what would reveal them suppressed.

    Only published cells (`published_rows`) take part: a council's cell that no output shows is
    unknown to a reader, so it is neither suppressed for being small nor a reason to hide a total.
    Every published disclosive count is protected over all the table's lines (`local_lines`) at
    once: the filters' totals, members against the partnership, half-years against the year. A
    percentage made from a hidden count is hidden ([c]). The one decision for these cells: the
    chapters' tables and the store's local figures both read it (`public_table`)."""
    out = frame.reset_index(drop=True).copy()
    lines, unknown = local_lines(out, dataset)
    shown = published_rows(out, dataset)
    for m in dataset.measures:
        if m.unit != "count" or not m.disclosive:
            continue
        rows_shown = shown[m.name] if shown is not None else set(out.index)
        cells: dict[Hashable, float | None] = {k: (None if pd.isna(v) or k not in rows_shown else float(v))
                                               for k, v in enumerate(out[m.name])}
        hidden = suppress(cells | unknown, lines, threshold)
        rows = sorted(c for c in hidden if isinstance(c, int))
        out.loc[rows, m.name] = float("nan")
        out.loc[rows, m.name + STATE] = "suppressed"
    for m in dataset.measures:
        if m.unit in ("percent", "rate_per_10k") and m.numerator:
            parts = [p for p in (m.numerator, m.denominator) if p]
            mask = pd.concat([out[p + STATE] == "suppressed" for p in parts], axis=1).any(axis=1)
            out.loc[mask, m.name] = float("nan")
            out.loc[mask, m.name + STATE] = "suppressed"
    return out


def public_table(raw: pd.DataFrame, dataset: Dataset, threshold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(true, public): a read table with the partnership's rows added, and its public view, row for row."""
    true = with_partnership_rows(raw, dataset)
    return true, public_local(true, dataset, threshold)
