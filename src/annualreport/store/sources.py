"""The national statistics through their catalog: which file is which dataset and release.

`data/national/catalog.yml` declares, once, every national file the project reads: its dataset,
its release and publication month, the years it covers, its layout (an EES tidy CSV, or DfE's old
statistical-first-release "underlying data" with one column per measure) and how its column
names and labels map onto the dataset's canonical ones (those of the newest release). Nothing
else in the code knows how a file is laid out.

`dataset_frame` turns every file of a dataset into one long table in canonical names and keeps,
for each year, the rows of the latest release that covers it (releases revise earlier years), with
a `source` column naming the file and release each row came from. A build keeps these frames
between processes (store/national_cache.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from annualreport.errors import InputError
from annualreport.store import national_cache
from annualreport.store.national import SYMBOLS, read_csv_cells, read_ees

CATALOG = "catalog.yml"
ENGLAND = "E92000001"
LEVELS = ("National", "Regional", "Local authority")
# libyaml's safe loader when PyYAML was built with it (the catalog is read by every command: ten times
# faster than the pure-Python loader, same plain data).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KEY_COLUMNS = ["level", "code", "region", "time_period", "row"]  # row: the file's row, as a spreadsheet counts it


@dataclass(frozen=True)
class Gap:
    """Years a dataset has no figures for, and the reason the report gives."""

    first: int
    last: int
    reason: str
    where: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    filters: tuple[str, ...]
    values: tuple[str, ...]
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class Measure:
    """One column of an old wide (SFR) file: the canonical value column and filter values it is."""

    column: str
    value: str
    filters: dict[str, str]


@dataclass(frozen=True)
class FileEntry:
    """One national file as the catalog declares it."""

    path: str
    dataset: str
    release: str
    published: str
    years: tuple[int, int]
    layout: str = "ees"
    rename: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    sums: dict[str, list[str]] = field(default_factory=dict)
    measures: tuple[Measure, ...] = ()
    symbols: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How a figure's source is named: the file and its release."""
        return f"{Path(self.path).name} ({self.release})"

    def covers(self, period: int) -> bool:
        return self.years[0] <= period <= self.years[1]


@dataclass(frozen=True)
class CouncilChange:
    """A council that exists only for some years (a reorganisation), and what happened."""

    la_code: str
    name: str
    first: int | None
    last: int | None
    change: str


@dataclass(frozen=True)
class Catalog:
    root: Path
    regions: tuple[str, ...]
    sfr_layout: dict
    datasets: dict[str, Dataset]
    files: tuple[FileEntry, ...]
    councils: dict[str, CouncilChange]

    def files_of(self, dataset: str) -> list[FileEntry]:
        return [f for f in self.files if f.dataset == dataset]

    def paths(self, datasets: set[str] | None = None) -> list[Path]:
        """Every catalogued file (of the given datasets), as paths, in catalog order, once each."""
        return list(dict.fromkeys(self.root / f.path for f in self.files if datasets is None or f.dataset in datasets))

    def release_for(self, dataset: str, period: int) -> list[FileEntry]:
        """The files of the latest release covering `period` (empty when none covers it)."""
        covering = [f for f in self.files_of(dataset) if f.covers(period)]
        if not covering:
            return []
        latest = max((f.published, f.release) for f in covering)
        return [f for f in covering if (f.published, f.release) == latest]

    def gap(self, dataset: str, period: int, filters: dict[str, str]) -> str | None:
        """The catalog's reason for a dataset having no figures in a year, if it gives one."""
        for g in self.datasets[dataset].gaps:
            if g.first <= period <= g.last and all(filters.get(k) == v for k, v in g.where.items()):
                return g.reason
        return None


def _entry(raw: dict, where: str) -> FileEntry:
    try:
        measures = tuple(Measure(str(m["column"]), m["value"], {k: str(v) for k, v in m.get("filters", {}).items()})
                         for m in raw.get("measures", []))
        first, last = raw["years"]
        return FileEntry(raw["path"], raw["dataset"], str(raw["release"]), str(raw["published"]), (int(first), int(last)),
                         raw.get("layout", "ees"), dict(raw.get("rename") or {}),
                         {k: {str(a): str(b) for a, b in v.items()} for k, v in (raw.get("labels") or {}).items()},
                         {k: [str(c) for c in v] for k, v in (raw.get("sums") or {}).items()}, measures,
                         {str(k): str(v) for k, v in (raw.get("symbols") or {}).items()})
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"{where}: incomplete file entry ({e}); expected path, dataset, release, published, years") from None


def parse_catalog(root: Path, text: str) -> Catalog:
    """A catalog from its YAML text; `root` is the folder its paths are relative to."""
    where = str(root / CATALOG)
    data = yaml.load(text, Loader=SAFE_LOADER) or {}
    datasets = {
        key: Dataset(key, d["title"], tuple(d.get("filters") or ()), tuple(d.get("values") or ()),
                     tuple(Gap(int(g["years"][0]), int(g["years"][1]), g["reason"], dict(g.get("where") or {}))
                           for g in d.get("gaps") or ()))
        for key, d in (data.get("datasets") or {}).items()
    }
    files = tuple(_entry(f, f"{where}, files[{i}]") for i, f in enumerate(data.get("files") or ()))
    for i, f in enumerate(files):
        if f.dataset not in datasets:
            raise InputError(f"{where}, files[{i}] ({f.path}): unknown dataset '{f.dataset}'; expected one of {', '.join(datasets)}")
    councils = {str(c["la_code"]): CouncilChange(str(c["la_code"]), c["name"], c.get("first"), c.get("last"), c["change"])
                for c in data.get("council_changes") or ()}
    return Catalog(root, tuple(data.get("regions") or ()), dict(data.get("sfr_layout") or {}), datasets, files, councils)


@lru_cache(maxsize=8)
def load_catalog(national_dir: Path) -> Catalog:
    """The catalog of a project's national folder (cached per folder)."""
    path = national_dir / CATALOG
    if not path.is_file():
        raise InputError(f"{path}: the catalog of national files is missing")
    return parse_catalog(national_dir, path.read_text(encoding="utf-8"))


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
