"""Local inputs as a chapter reads them: typed tables, suppressed for publication.

The build copies the partnership-year's local inputs into the build folder (`inputs/`), so a
build holds everything it was made from. A table is read with its numbers as floats (NaN where
the cell is a symbol or blank) and, for publication, passed through the same disclosure control
as the store: small counts hidden, with secondary suppression along every filter's Total line,
and percentages made from a hidden count hidden too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from .local_schema import DATASET_BY_NAME, STANDARD_COLUMNS, TEXT_BY_NAME, Dataset
from .suppression import suppress

INPUTS = "inputs"
NOT_PROVIDED = "not_provided.json"
STATE = "__state"  # suffix of a measure's state column


def read_local(folder: Path, name: str) -> pd.DataFrame | None:
    """The dataset `name` from folder/<name>.csv, or None when it was not provided."""
    dataset = DATASET_BY_NAME[name]
    path = folder / f"{name}.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if frame.empty:
        return None
    for m in dataset.measures:
        text = frame[m.name].str.strip().str.replace(",", "", regex=False)
        numbers = pd.to_numeric(text, errors="coerce")
        frame[m.name + STATE] = ["value" if n == n else ("not available" if t in ("", "x") else "suppressed" if t == "c" else "not applicable")
                                 for n, t in zip(numbers, text)]
        frame[m.name] = numbers
    return frame


def public_local(frame: pd.DataFrame, dataset: Dataset, threshold: int) -> pd.DataFrame:
    """The table as it may be published: small counts and what would reveal them suppressed."""
    out = frame.copy()
    filters = [f.name for f in dataset.filters]
    keys = list(range(len(out)))
    for m in dataset.measures:
        if m.unit != "count" or not m.disclosive:
            continue
        cells = {k: (None if pd.isna(v) else float(v)) for k, v in zip(keys, out[m.name])}
        lines = []
        for flt in dataset.filters:
            if not flt.exhaustive:
                continue
            others = [c for c in (*STANDARD_COLUMNS, *filters) if c != flt.name]
            for _, group in out.groupby(others, sort=False, dropna=False):
                total = group.index[group[flt.name] == "Total"]
                parts = group.index[group[flt.name] != "Total"]
                if len(total) == 1 and len(parts):
                    lines.append((int(total[0]), [int(p) for p in parts]))
        hidden = suppress(cells, lines, threshold)
        out.loc[list(hidden), m.name] = float("nan")
        out.loc[list(hidden), m.name + STATE] = "suppressed"
    for m in dataset.measures:
        if m.unit in ("percent", "rate_per_10k") and m.numerator:
            parts = [p for p in (m.numerator, m.denominator) if p]
            mask = pd.concat([out[p + STATE] == "suppressed" for p in parts], axis=1).any(axis=1)
            out.loc[mask, m.name] = float("nan")
            out.loc[mask, m.name + STATE] = "suppressed"
    return out


def read_items(folder: Path, name: str) -> list[dict] | None:
    """The items of a YAML text input (priorities.yml, ...), or None when not provided."""
    spec = TEXT_BY_NAME[name]
    path = folder / name
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get(spec.list_key) or []
    return items or None


def read_not_provided(folder: Path) -> dict[str, str]:
    """Inputs the build did not have: name -> the reason stated in the report."""
    path = folder / NOT_PROVIDED
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
