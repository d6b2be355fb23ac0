"""The catalog of national files: which file is which dataset and release.

`data/national/catalog.yml` declares, once, every national file the project reads: its dataset,
its release and publication month, the years it covers, its layout (an EES tidy CSV, or DfE's old
statistical-first-release "underlying data" with one column per measure) and how its column
names and labels map onto the dataset's canonical ones (those of the newest release). Nothing
else in the code knows how a file is laid out; `sources` reads the files through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from annualreport.errors import InputError

CATALOG = "catalog.yml"
# libyaml's safe loader when PyYAML was built with it (the catalog is read by every command: ten times
# faster than the pure-Python loader, same plain data).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
