"""`annualreport data add FILE...`: take in a newly published EES file.

A file is recognised by its columns: it is matched with the catalogued file whose header it
shares most (same dataset, same layout), and its release is named from the years it covers. It
is then checked the way DfE's EES screener checks a file, every fault in one pass: columns
(missing or unexpected, against the release it was recognised as), symbols in value columns
(numbers or the EES symbols only), geographic levels, codes (country, region, local authority,
time period) and duplicate rows. Only when every file passes is anything written: the file is
copied under `data/national/releases/` and an entry appended to `data/national/catalog.yml`, so
the next build reads it (for each year the latest release wins).
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from annualreport.errors import AnnualReportError
from annualreport.store.national import MANDATORY_COLUMNS, SYMBOLS
from annualreport.project import Project
from annualreport.inputs.reference import local_authorities
from annualreport.store.catalog import CATALOG, Catalog, FileEntry, load_catalog, parse_catalog

RELEASES = "releases"
GEOGRAPHY = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
             "region_name", "old_la_code", "new_la_code", "la_name"}
LEVELS = ("National", "Regional", "Local authority")
MATCH_THRESHOLD = 0.6  # share of columns in common (Jaccard) below which a file is not recognised
NEW_LA_CODE = re.compile(r"^E0[6-9]\d{6}$|^E10\d{6}$")
REGION_CODE = re.compile(r"^E1[23]\d{6}$")


class UnrecognisedFile(AnnualReportError):
    """A file whose columns match no dataset of the catalog."""


class ScreenerFaults(AnnualReportError):
    """Files that failed the checks; `faults` holds one line per fault."""

    def __init__(self, faults: list[str]):
        self.faults = faults
        lines = "\n".join(f"  {f}" for f in faults)
        super().__init__(f"{len(faults)} fault(s); nothing was added:\n{lines}")


@dataclass(frozen=True)
class Recognised:
    """What a new file is: the catalogued file it matches, and the years it covers."""

    path: Path
    like: FileEntry
    header: list[str]
    expected: list[str]
    first: int
    last: int

    @property
    def release(self) -> str:
        """The matched release's name with this file's last year (DfE names releases by year)."""
        old = str(self.like.years[1])
        name = self.like.release
        return name[: name.rfind(old)] + str(self.last) + name[name.rfind(old) + len(old):] if old in name else \
            f"{name} (release covering {self.first} to {self.last})"

    @property
    def published(self) -> str:
        """Publication month, shifted from the matched release by the difference in years covered."""
        year = int(self.like.published[:4]) + (self.last - self.like.years[1])
        return f"{year}{self.like.published[4:]}"


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [c.strip() for c in next(csv.reader(f), [])]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        reader.fieldnames = [c.strip() for c in reader.fieldnames or []]
        return list(reader)


def recognise(catalog: Catalog, path: Path) -> Recognised:
    """Match a file with the catalogued EES file whose columns it shares most.

    Raises UnrecognisedFile, naming what was expected, when no dataset shares enough columns."""
    header = _header(path)
    best: tuple[float, FileEntry | None, list[str]] = (0.0, None, [])
    for entry in catalog.files:
        if entry.layout != "ees":
            continue
        known = _header(catalog.root / entry.path)
        score = len(set(header) & set(known)) / len(set(header) | set(known))
        if score > best[0] or (score == best[0] and best[1] is not None and entry.published > best[1].published):
            best = (score, entry, known)
    score, like, expected = best
    if like is None or score < MATCH_THRESHOLD or not set(MANDATORY_COLUMNS) <= set(header):
        wanted = []
        for ds in catalog.datasets.values():
            latest = max((f for f in catalog.files_of(ds.id) if f.layout == "ees"), key=lambda f: f.published, default=None)
            if latest is not None:
                cols = [c for c in _header(catalog.root / latest.path) if c not in GEOGRAPHY]
                wanted.append(f"  {ds.title} (like {Path(latest.path).name}): {', '.join(cols[:8])}{', ...' if len(cols) > 8 else ''}")
        raise UnrecognisedFile(
            f"{path}: not a national file this project knows: its columns ({', '.join(header[:12])}"
            f"{', ...' if len(header) > 12 else ''}) match no dataset. Expected an EES tidy CSV with the columns "
            f"{', '.join(MANDATORY_COLUMNS)} and those of one of these datasets:\n" + "\n".join(wanted))
    rows = _rows(path)
    periods = sorted({int(r["time_period"][:4]) for r in rows if r.get("time_period", "").strip()[:4].isdigit()})
    if not periods:
        raise UnrecognisedFile(f"{path}: column time_period holds no year (expected e.g. 2025 for the year ending 31 March 2025)")
    return Recognised(path, like, header, expected, periods[0], periods[-1])


def _value_columns(catalog: Catalog, rec: Recognised) -> list[str]:
    """The columns of the matched file that hold figures (every cell a number or an EES symbol)."""
    rows = _rows(catalog.root / rec.like.path)
    out = []
    for column in rec.expected:
        if column in GEOGRAPHY:
            continue
        if all(_is_figure(r.get(column, "")) for r in rows):
            out.append(column)
    return out


def _is_figure(raw: str | None) -> bool:
    text = (raw or "").strip()
    if text.lower() in SYMBOLS and text != "":
        return True
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def screen(project: Project, catalog: Catalog, rec: Recognised) -> list[str]:
    """Every fault of a recognised file, as DfE's screener would report it (file, row, column)."""
    name = rec.path.name
    faults: list[str] = []
    missing = [c for c in rec.expected if c not in rec.header]
    extra = [c for c in rec.header if c not in rec.expected]
    for c in missing:
        faults.append(f"{name}, row 1, column {c}: missing; expected the columns of {Path(rec.like.path).name} ({rec.like.release})")
    for c in extra:
        faults.append(f"{name}, row 1, column {c}: unexpected column; {Path(rec.like.path).name} has no such column")
    las = local_authorities(project.reference_dir)
    known_la = set(las) | set(catalog.councils)
    values = [c for c in _value_columns(catalog, rec) if c in rec.header]
    filters = [c for c in rec.header if c not in GEOGRAPHY and c not in values and c in rec.expected]
    seen: dict[tuple, int] = {}
    for i, row in enumerate(_rows(rec.path), start=2):
        level = row.get("geographic_level", "").strip()
        period = row.get("time_period", "").strip()
        if not re.fullmatch(r"\d{4}(\d{2})?", period):
            faults.append(f"{name}, row {i}, column time_period: '{period}' is not a year (expected e.g. {rec.last})")
        if level not in LEVELS:
            faults.append(f"{name}, row {i}, column geographic_level: '{level}' is not a geographic level this project reads "
                          f"(expected one of {', '.join(LEVELS)})")
        if row.get("country_code", "").strip() != "E92000001":
            faults.append(f"{name}, row {i}, column country_code: '{row.get('country_code', '')}' (expected E92000001, England)")
        if level in ("Regional", "Local authority") and not REGION_CODE.match(row.get("region_code", "").strip()):
            faults.append(f"{name}, row {i}, column region_code: '{row.get('region_code', '')}' is not a region's GSS code (E12...)")
        if level == "Local authority":
            old = row.get("old_la_code", "").strip()
            if old not in known_la:
                faults.append(f"{name}, row {i}, column old_la_code: '{old}' is not a DfE local authority code "
                              "(data/reference/la_code_list.csv)")
            new = row.get("new_la_code", "").strip()
            if not NEW_LA_CODE.match(new):
                faults.append(f"{name}, row {i}, column new_la_code: '{new}' is not a local authority's GSS code (E06, E07, E08, E09 or E10...)")
        for column in values:
            raw = row.get(column)
            if raw is not None and not _is_figure(raw):
                faults.append(f"{name}, row {i}, column {column}: '{raw}' is neither a number nor an EES symbol (c, x, z, low, u, k)")
        key = (period, level, row.get("region_code", ""), row.get("old_la_code", ""), *(row.get(c, "") for c in filters))
        if key in seen:
            faults.append(f"{name}, row {i}: duplicate of row {seen[key]} (same time period, geography and "
                          f"{', '.join(filters) or 'filters'})")
        else:
            seen[key] = i
    return faults


def _entry_yaml(rec: Recognised, rel_path: str) -> str:
    entry = {"path": rel_path, "dataset": rec.like.dataset, "release": rec.release, "published": rec.published,
             "years": [rec.first, rec.last]}
    if rec.like.rename:
        entry["rename"] = dict(rec.like.rename)
    if rec.like.labels:
        entry["labels"] = {k: dict(v) for k, v in rec.like.labels.items()}
    if rec.like.sums:
        entry["sums"] = {k: list(v) for k, v in rec.like.sums.items()}
    if rec.like.symbols:
        entry["symbols"] = dict(rec.like.symbols)
    text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=200)
    return "\n".join("  " + line if line else line for line in text.splitlines()) + "\n"


def add_files(project: Project, paths: list[Path]) -> list[tuple[Recognised, str]]:
    """Recognise and check every file; when all pass, copy them in and record them in the catalog.

    Raises UnrecognisedFile or ScreenerFaults (listing every fault of every file) and then changes nothing."""
    national = project.national_dir
    catalog = load_catalog(national)
    recognised = []
    faults: list[str] = []
    unrecognised: list[str] = []
    for path in paths:
        if not path.is_file():
            unrecognised.append(f"{path}: no such file")
            continue
        try:
            rec = recognise(catalog, path)
        except UnrecognisedFile as e:
            unrecognised.append(str(e))
            continue
        recognised.append(rec)
        faults += screen(project, catalog, rec)
    if unrecognised:
        raise UnrecognisedFile("\n".join(unrecognised) + "\nnothing was added")
    if faults:
        raise ScreenerFaults(faults)
    added = []
    text = (national / CATALOG).read_text(encoding="utf-8")
    targets = []
    for rec in recognised:
        rel = f"{RELEASES}/{rec.like.dataset}_{rec.first}_to_{rec.last}/{rec.path.name}"
        if any(f.path == rel for f in catalog.files):
            raise AnnualReportError(f"{rec.path}: {rel} is already in the catalog (the same release added before)")
        text = text.rstrip("\n") + "\n" + f"  # added by `annualreport data add` ({rec.release})\n" + _entry_yaml(rec, rel)
        targets.append((rec, rel))
    parse_catalog(national, text)  # the new catalog must read back before anything is written
    for rec, rel in targets:
        dest = national / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rec.path, dest)
        added.append((rec, rel))
    tmp = national / (CATALOG + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(national / CATALOG)
    load_catalog.cache_clear()
    return added
