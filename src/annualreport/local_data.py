"""Local inputs as a chapter reads them: typed tables, suppressed for publication.

The build copies the partnership-year's local inputs into the build folder (`inputs/`), so a
build holds everything it was made from; the copy's text is UTF-8 whatever the original's encoding
(every input is read by `textfile`'s one reader, YAML by `yamlfile`'s safe loader). A table is read with its numbers as floats (NaN where
the cell is a symbol or blank) and, for publication, passed through the same disclosure control
as the store: small counts hidden, with secondary suppression along every filter's Total line,
and percentages made from a hidden count hidden too.
"""

from __future__ import annotations

import io
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from .local_schema import DATASET_BY_NAME, STANDARD_COLUMNS, TEXT_BY_NAME, Dataset, TextInput
from .suppression import suppress
from .textfile import YAML_MAX_BYTES, decode, links_outside, read_csv_text, read_text
from .yamlfile import parse_yaml, read_yaml

INPUTS = "inputs"
NOT_PROVIDED = "not_provided.json"
STATE = "__state"  # suffix of a measure's state column


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
    """The items of a YAML text input (priorities.yml, ...), or None when not provided (no file, no
    items, or only the template's example)."""
    spec = TEXT_BY_NAME[name]
    path = folder / name
    if not path.is_file():
        return None
    return text_items(read_yaml(path, path.name).data, spec) or None


@cache
def _example_items(name: str) -> tuple[Any, ...]:
    spec = TEXT_BY_NAME[name]
    data, _ = parse_yaml(decode(spec.example.encode("utf-8"), f"the {name} template"))
    return tuple(data[spec.list_key])


def text_items(data: Any, spec: TextInput) -> list:
    """The items of a loaded text input; [] when it has none, or only the template's example items
    (a file the coordinator has not filled in yet)."""
    items = data.get(spec.list_key) if isinstance(data, dict) else None
    if not isinstance(items, list) or all(item in _example_items(spec.name) for item in items):
        return []
    return items


def copy_local_inputs(source: Path, dest: Path, root: Path) -> None:
    """Copy a partnership-year's local inputs into a build (`inputs/`), the text inputs decoded by the
    one reader and written as UTF-8 with "\n" line endings, so the chapters, the cache and `verify`
    see one encoding whatever the coordinator's tools wrote. Other files are copied as they are; a
    link to a place outside the project is refused (TextFileError), never followed."""
    outside = links_outside(source, root, lambda p: p.relative_to(source).as_posix())
    if outside:
        raise outside[0]
    dest.mkdir(parents=True, exist_ok=True)
    inputs = {f"{n}.csv" for n in DATASET_BY_NAME} | {f"{n}.meta.csv" for n in DATASET_BY_NAME} | set(TEXT_BY_NAME)
    for path in sorted(source.iterdir()):
        if path.is_dir():
            shutil.copytree(path, dest / path.name)
        elif path.name in inputs and path.name.endswith(".csv"):
            (dest / path.name).write_text(read_csv_text(path, path.name).text, encoding="utf-8", newline="")
        elif path.name in inputs:
            (dest / path.name).write_text(read_text(path, path.name, max_bytes=YAML_MAX_BYTES).text, encoding="utf-8", newline="")
        else:
            shutil.copy2(path, dest / path.name)


def read_not_provided(folder: Path) -> dict[str, str]:
    """Inputs the build did not have: name -> the reason stated in the report."""
    path = folder / NOT_PROVIDED
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
