"""The national statistics read through their catalog (store/catalog.py), one dataset at a time.

`dataset_frame` turns every file of a dataset into one long table in canonical names and keeps,
for each year, the rows of the latest release that covers it (releases revise earlier years), with
a `source` column naming the file and release each row came from. A build keeps these frames
between processes (store/national_cache.py).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import pandas as pd

from annualreport.errors import InputError
from annualreport.store import national_cache
from annualreport.store.catalog import CATALOG, Catalog, Dataset, FileEntry, load_catalog
from annualreport.store.national import SYMBOLS, read_csv_cells, read_ees

ENGLAND = "E92000001"
LEVELS = ("National", "Regional", "Local authority")
KEY_COLUMNS = ["level", "code", "region", "time_period", "row"]  # row: the file's row, as a spreadsheet counts it


# -- reading one file into canonical names ----------------------------------------------------
def _sum_cells(values: list[str]) -> str:
    """The sum of published cells, or the symbol of the first part that is not a number."""
    total = 0.0
    for raw in values:
        text = raw.strip()
        if text.lower() in SYMBOLS:
            return text or "x"
        try:
            total += float(text.replace(",", ""))
        except ValueError:
            return "x"
    return f"{total:g}"


def _add_sums(frame: pd.DataFrame, entry: FileEntry) -> pd.DataFrame:
    for name, parts in entry.sums.items():
        missing = [p for p in parts if p not in frame.columns]
        if missing:
            raise InputError(f"{entry.path}: catalog sums {name} from column(s) {', '.join(missing)}, which the file lacks")
        frame[name] = [_sum_cells(list(row)) for row in frame[parts].itertuples(index=False)]
    return frame


def _region_key(catalog: Catalog) -> dict[str, str]:
    return {r.lower(): r for r in catalog.regions}


def _normalise_ees(catalog: Catalog, entry: FileEntry, dataset: Dataset) -> pd.DataFrame:
    frame = read_ees(catalog.root / entry.path).copy()
    if entry.symbols:
        frame = frame.map(lambda v: entry.symbols.get(v.strip(), v) if isinstance(v, str) else v)
    frame = _add_sums(frame, entry)
    frame = frame.rename(columns=entry.rename)
    for column, mapping in entry.labels.items():
        if column in frame.columns:
            frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v))
    frame = frame[frame["geographic_level"].isin(LEVELS)]
    level = frame["geographic_level"]
    code = frame["old_la_code"].where(level == "Local authority", frame["region_name"].where(level == "Regional", ENGLAND))
    out = pd.DataFrame({"level": level, "code": code, "region": frame.get("region_name", ""), "time_period": frame["time_period"],
                        "row": frame.index + 2})
    for column in dataset.filters + dataset.values:
        if column in frame.columns:
            out[column] = frame[column]
    return out


def _normalise_sfr(catalog: Catalog, entry: FileEntry, dataset: Dataset) -> pd.DataFrame:
    layout = catalog.sfr_layout
    frame = _add_sums(read_csv_cells(catalog.root / entry.path), entry)
    missing = [c for c in (layout["level"], layout["la_code"], layout["name"]) if c not in frame.columns]
    missing += [m.column for m in entry.measures if m.column not in frame.columns]
    if missing:
        raise InputError(f"{entry.path}: missing column(s) {', '.join(missing)} that the catalog declares")
    level = frame[layout["level"]].str.strip().str.upper().map(layout["levels"])
    regions = _region_key(catalog)
    region = frame[layout["name"]].str.strip().str.lower().map(regions)
    code = frame[layout["la_code"]].str.strip().where(level == "Local authority", region.where(level == "Regional", ENGLAND))
    keep = level.notna() & code.notna()
    base = pd.DataFrame({"level": level, "code": code, "region": "", "time_period": entry.years[0], "row": frame.index + 2})[keep]
    symbols = {**{str(k): str(v) for k, v in (layout.get("symbols") or {}).items()}, **entry.symbols}
    parts = []
    for m in entry.measures:
        part = base.copy()
        for column, value in m.filters.items():
            part[column] = value
        part[m.value] = frame.loc[keep, m.column].str.strip().map(lambda v: symbols.get(v, v))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@lru_cache(maxsize=128)
def normalised(national_dir: Path, path: str, dataset: str) -> pd.DataFrame:
    """One catalogued file's rows of one dataset, in canonical names (cached)."""
    catalog = load_catalog(national_dir)
    entry = next(f for f in catalog.files if f.path == path and f.dataset == dataset)
    ds = catalog.datasets[dataset]
    frame = _normalise_sfr(catalog, entry, ds) if entry.layout == "sfr" else _normalise_ees(catalog, entry, ds)
    frame["time_period"] = frame["time_period"].astype(int)
    frame["source"] = entry.label
    return frame


# The reports of a batch are threads of one process: without this, two reports starting together
# would both read and normalise every national file (a batch's first seconds, twice over). Held
# while a file is read into the caches here and in figures.published; re-entrant, as one calls the other.
READING = threading.RLock()


def dataset_frame(national_dir: Path, dataset: str) -> pd.DataFrame:
    """Every year of a dataset, each year's rows from the latest release that covers it (cached,
    read once however many threads ask for it at once)."""
    with READING:
        return _dataset_frame(national_dir, dataset)


@lru_cache(maxsize=64)
def _dataset_frame(national_dir: Path, dataset: str) -> pd.DataFrame:
    catalog = load_catalog(national_dir)
    if dataset not in catalog.datasets:
        raise InputError(f"{national_dir / CATALOG}: no dataset '{dataset}' (known: {', '.join(catalog.datasets)})")
    return national_cache.dataset_frame(national_dir, dataset, [national_dir / CATALOG, *catalog.paths({dataset})],
                                        lambda: _read_dataset(national_dir, catalog, dataset))


def _read_dataset(national_dir: Path, catalog: Catalog, dataset: str) -> pd.DataFrame:
    """dataset_frame's work: every file of the dataset read and normalised (national_cache keeps the result)."""
    periods = sorted({p for f in catalog.files_of(dataset) for p in range(f.years[0], f.years[1] + 1)})
    parts = []
    for period in periods:
        for entry in catalog.release_for(dataset, period):
            frame = normalised(national_dir, entry.path, dataset)
            parts.append(frame[frame["time_period"] == period])
    ds = catalog.datasets[dataset]
    if not parts:
        return pd.DataFrame(columns=KEY_COLUMNS + list(ds.filters + ds.values) + ["source"])
    return pd.concat(parts, ignore_index=True)
