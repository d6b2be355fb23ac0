"""Validation of every input, as a list of small named checks with one result type.

Each check looks for one kind of fault and returns Problems; `check_inputs` runs them all and
returns every problem at once, so a coordinator sees everything wrong in one pass. A Problem
names the file, the row (as a spreadsheet counts it: the header is row 1) and the column,
what was found and what was expected.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from annualreport.chapters.fmt import round_half_up
from annualreport.errors import InputError
from annualreport.inputs.framework import input_title, inputs_of
from annualreport.inputs.local_data import text_items
from annualreport.inputs.local_schema import (
    DATASETS,
    GEOGRAPHIC_LEVELS,
    STANDARD_COLUMNS,
    TEXT_INPUTS,
    TIME_IDENTIFIERS,
    UNIT_SYMBOL,
    Dataset,
    TextInput,
    time_period_code,
)
from annualreport.store.national import SYMBOLS
from annualreport.inputs.params import ReportParams
from annualreport.project import Project
from annualreport.inputs.reference import local_authorities
from annualreport.inputs.relations import all_relation_faults
from annualreport.inputs.textfile import YAML_MAX_BYTES, TextFile, TextFileError, check_inside, links_outside, read_csv_text, read_text
from annualreport.inputs.yamlfile import parse_yaml

if TYPE_CHECKING:
    from annualreport.store.catalog import Catalog

ALL_INPUTS = "*"
# Problems that mean an input is not there yet: a draft is built without it (and says so), a final
# report refuses them unless the input is declared under not_provided in the year's params.
NOT_YET_PROVIDED = {"missing file", "empty file", "no data for the report year", "no items"}


@dataclass(frozen=True)
class Problem:
    """One fault in one input. `kind` names the check, e.g. 'negative count'."""

    file: str
    row: int | None
    column: str | None
    found: str
    expected: str
    kind: str
    input: str = ""  # the local input (dataset or text file name) that is missing, or ALL_INPUTS
    line: int | None = None  # in a YAML file, where rows mean nothing

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.line is not None:
            where += f", line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        if not self.expected:  # a whole-file fault: the detail says it all
            return f"{where}: {self.kind}: {self.found}"
        return f"{where}: {self.kind}: found {self.found}; expected {self.expected}"

    @classmethod
    def unreadable(cls, e: TextFileError, input: str = "") -> "Problem":
        """A file that cannot be read (encoding, binary, size, link, YAML syntax): one problem."""
        return cls(e.label, None, None, e.detail, "", e.kind, input, e.line)


@dataclass
class Table:
    """A local CSV as read: its header and rows (each row keeps its spreadsheet row number)."""

    dataset: Dataset
    path: Path
    label: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]
    file: TextFile


@dataclass
class Context:
    project: Project
    params: ReportParams
    folder: Path

    def label(self, path: Path) -> str:
        return self.project.rel(path)


def local_folder(project: Project, partnership: str, year: str) -> Path:
    return project.root / "data" / "local" / partnership / year


# -- reading ----------------------------------------------------------------------------
def read_csv_file(ctx: Context, path: Path) -> TextFile:
    """A local CSV decoded by the one reader (raises TextFileError naming it)."""
    return read_csv_text(path, ctx.label(path), root=ctx.project.root)


def read_table(ctx: Context, dataset: Dataset) -> Table | None:
    """The dataset's CSV as read, or None when there is no file; TextFileError if it cannot be read."""
    path = ctx.folder / f"{dataset.name}.csv"
    if not path.is_file() and not path.is_symlink():
        return None
    file = read_csv_file(ctx, path)
    reader = csv.reader(io.StringIO(file.text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows = [(i, dict(zip(header, (v.strip() for v in values)))) for i, values in enumerate(reader, start=2) if any(v.strip() for v in values)]
    return Table(dataset, path, ctx.label(path), header, rows, file)


def parse_number(text: str) -> Decimal | None:
    """A number in a local CSV (commas allowed), or None for a blank or EES symbol."""
    if text == "" or text.lower() in SYMBOLS:
        return None
    return Decimal(text.replace(",", ""))


def is_number(text: str) -> bool:
    try:
        parse_number(text)
        return True
    except ArithmeticError:
        return False


# -- checks on one table ------------------------------------------------------------------
def check_columns(ctx: Context, t: Table) -> list[Problem]:
    """Missing or misspelt columns: a misspelt one is reported once, with the name it resembles."""
    expected = list(t.dataset.columns)
    unknown = [c for c in t.header if c not in expected]
    missing = [c for c in expected if c not in t.header]
    if not t.header:
        return []  # an empty file: reported once, by check_empty
    problems = []
    read_as = t.file.read_as  # the encoding matters when a header does not match
    for col in unknown:
        close = difflib.get_close_matches(col, missing, n=1, cutoff=0.6)
        if close:
            missing.remove(close[0])
            problems.append(Problem(t.label, 1, col, f"column '{col}'{read_as}", f"'{close[0]}' (misspelt column)", "misspelt column"))
        else:
            problems.append(Problem(t.label, 1, col, f"unknown column '{col}'{read_as}", f"only the columns {', '.join(expected)}", "unknown column"))
    problems += [Problem(t.label, 1, col, f"no such column{read_as}", f"a column '{col}'", "missing column") for col in missing]
    return problems


def check_empty(ctx: Context, t: Table) -> list[Problem]:
    """A file with nothing in it, not even the header: the input is not provided yet."""
    if t.header:
        return []
    return [Problem(t.label, None, None, "an empty file", "the header row and rows for "
                    f"{time_period_code(ctx.params.report.year)} ({ctx.params.report.year}), or the dataset listed under "
                    "not_provided in the year's params with the reason", "empty file", t.dataset.name)]


def check_meta(ctx: Context, t: Table) -> list[Problem]:
    """The .meta.csv beside the CSV lists every filter and indicator with the schema's type and unit."""
    path = t.path.with_name(f"{t.dataset.name}.meta.csv")
    label = ctx.label(path)
    if not t.header:
        return []  # nothing to describe yet
    if not path.is_file() and not path.is_symlink():
        return [Problem(label, None, None, "no file", "the EES meta file describing the CSV's columns (see `annualreport template`)", "missing file")]
    try:
        text = read_csv_file(ctx, path).text
    except TextFileError as e:
        return [Problem.unreadable(e)]
    meta = {r.get("col_name", ""): (i, r) for i, r in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2)}
    problems = []
    wanted = [(fl.name, "Filter", None) for fl in t.dataset.filters] + [(m.name, "Indicator", m) for m in t.dataset.measures]
    for name, col_type, measure in wanted:
        if name not in meta:
            problems.append(Problem(label, None, "col_name", f"no row for '{name}'", f"a {col_type} row for '{name}'", "missing meta row"))
            continue
        row, r = meta[name]
        if r.get("col_type") != col_type:
            problems.append(Problem(label, row, "col_type", repr(r.get("col_type")), repr(col_type), "wrong column type"))
        if measure is not None and (r.get("indicator_unit") or "") != UNIT_SYMBOL[measure.unit]:
            problems.append(Problem(label, row, "indicator_unit", repr(r.get("indicator_unit")), repr(UNIT_SYMBOL[measure.unit]), "wrong unit"))
    return problems


def check_standard_columns(ctx: Context, t: Table) -> list[Problem]:
    """Period in the report year or before it, valid time identifier and level, member LA codes."""
    report = ctx.params.report
    this_year = time_period_code(report.year)
    members = {m.la_code: m for m in ctx.params.partnership.members}
    las = local_authorities(ctx.project.reference_dir)
    problems = []
    for row, r in t.rows:
        period = r.get("time_period", "")
        m = re.fullmatch(r"(\d{4})(\d{2})", period)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            problems.append(Problem(t.label, row, "time_period", repr(period), f"a financial year as six digits, e.g. {this_year}", "period does not match the year"))
        elif int(period) > int(this_year):
            problems.append(Problem(t.label, row, "time_period", period, f"{this_year} ({report.year}) or an earlier year", "period does not match the year"))
        if r.get("time_identifier", "") not in TIME_IDENTIFIERS and "time_identifier" in r:
            problems.append(Problem(t.label, row, "time_identifier", repr(r["time_identifier"]), " or ".join(TIME_IDENTIFIERS), "unknown time identifier"))
        level = r.get("geographic_level", "")
        code = r.get("la_code", "")
        if level not in GEOGRAPHIC_LEVELS and "geographic_level" in r:
            problems.append(Problem(t.label, row, "geographic_level", repr(level), " or ".join(GEOGRAPHIC_LEVELS), "unknown geographic level"))
        elif level == "Local authority" and code not in members:
            what = f"'{code}' ({las[code].name}, not a member)" if code in las else f"'{code}' (not a DfE LA code)"
            problems.append(Problem(t.label, row, "la_code", what, "a member council: " + ", ".join(f"{c} ({las[c].name})" for c in members), "unknown LA code"))
        elif level == "Partnership" and code:
            problems.append(Problem(t.label, row, "la_code", repr(code), "blank for a Partnership row", "unknown LA code"))
    return problems


def check_values(ctx: Context, t: Table) -> list[Problem]:
    """Indicator cells: a number or EES symbol; counts not negative; percentages 0 to 100."""
    problems = []
    for row, r in t.rows:
        for m in t.dataset.measures:
            text = r.get(m.name)
            if text is None:
                continue
            if not is_number(text):
                problems.append(Problem(t.label, row, m.name, repr(text), f"a number ({m.unit}) or an EES symbol (x, c, z, low, u, k)", "wrong type"))
                continue
            value = parse_number(text)
            if value is None:
                continue
            if m.unit == "count" and value < 0:
                problems.append(Problem(t.label, row, m.name, str(value), "a count of 0 or more", "negative count"))
            elif m.unit == "count" and value != value.to_integral_value():
                problems.append(Problem(t.label, row, m.name, str(value), "a whole number", "wrong type"))
            if m.unit == "percent" and not (0 <= value <= 100):
                problems.append(Problem(t.label, row, m.name, str(value), "a percentage from 0 to 100", "percentage out of range"))
    return problems


def _key(t: Table, r: dict[str, str]) -> tuple[str, ...]:
    return tuple(r.get(c, "") for c in (*STANDARD_COLUMNS, *(f.name for f in t.dataset.filters)))


def check_duplicates(ctx: Context, t: Table) -> list[Problem]:
    """Two rows for the same period, area and filter values."""
    seen: dict[tuple[str, ...], int] = {}
    problems = []
    for row, r in t.rows:
        key = _key(t, r)
        if key in seen:
            cols = ", ".join(f"{c}={v}" for c, v in zip((*STANDARD_COLUMNS, *(f.name for f in t.dataset.filters)), key) if v)
            problems.append(Problem(t.label, row, None, f"a duplicate of row {seen[key]} ({cols})", "one row per period, area and filter value", "duplicate row"))
        else:
            seen[key] = row
    return problems


def check_totals(ctx: Context, t: Table) -> list[Problem]:
    """A 'Total' row of an exhaustive filter equals the sum of the other rows of its group."""
    problems = []
    for flt in t.dataset.filters:
        if not flt.exhaustive:
            continue
        groups: dict[tuple[str, ...], list[tuple[int, dict[str, str]]]] = defaultdict(list)
        for row, r in t.rows:
            groups[tuple(v for c, v in zip((*STANDARD_COLUMNS, *(f.name for f in t.dataset.filters)), _key(t, r)) if c != flt.name)].append((row, r))
        for rows in groups.values():
            totals = [(row, r) for row, r in rows if r.get(flt.name) == "Total"]
            parts = [(row, r) for row, r in rows if r.get(flt.name) != "Total"]
            if len(totals) != 1 or not parts:
                continue
            if len({r.get(flt.name) for _, r in parts}) != len(parts):
                continue  # duplicate rows are reported as such; their sum means nothing
            total_row, total = totals[0]
            for m in t.dataset.measures:
                if m.unit not in ("count", "gbp"):
                    continue
                values = [parse_number(r.get(m.name, "")) if is_number(r.get(m.name, "")) else None for _, r in parts]
                stated = parse_number(total.get(m.name, "")) if is_number(total.get(m.name, "")) else None
                if stated is None or any(v is None or (m.unit == "count" and v < 0) for v in values):
                    continue  # a missing or invalid part is reported on its own row
                added = sum(values)  # type: ignore[arg-type]
                if added != stated:
                    first, last = parts[0][0], parts[-1][0]
                    problems.append(Problem(t.label, total_row, m.name, f"Total {stated:,}", f"{added:,}, the sum of its parts (rows {first}-{last})", "total disagrees with its parts"))
    return problems


POPULATION = "ons_mid-year_population_estimates_2012_to_2024.csv"


@lru_cache(maxsize=4)
def _council_populations(path: Path) -> dict[tuple[int, str], list[str]]:
    """The ONS file's estimates for each council, by (mid-year, old LA code), as published (read with
    the csv module: checking a build's inputs needs no pandas)."""
    if not path.is_file():
        raise InputError(f"{path}: national statistics file missing")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = [name.strip() for name in next(rows, [])]
        found: dict[tuple[int, str], list[str]] = {}
        for row in rows:
            r = dict(zip(header, row))
            if r.get("geographic_level") == "Local authority":
                found.setdefault((int(r["time_period"]), r["old_la_code"]), []).append(r["population_estimate"])
    return found


def _population(ctx: Context, la_codes: Iterable[str], time_period: str) -> Decimal | None:
    """Children aged 0 to 17 for the areas, for a financial year given as '201314'."""
    mid_year = int(time_period[:4])  # mid-2013 estimate for 2013-14, as DfE's rates use
    by_council = _council_populations(ctx.project.national_dir / POPULATION)
    codes = set(la_codes)
    estimates = [v for code in codes for v in by_council.get((mid_year, code), [])]
    if len(estimates) != len(codes):
        return None
    return sum((Decimal(v) for v in estimates), Decimal(0))


def check_derived(ctx: Context, t: Table) -> list[Problem]:
    """Published percentages and rates agree with their counts (to the stated decimals, half-up)."""
    problems = []
    members = [m.la_code for m in ctx.params.partnership.members]
    for row, r in t.rows:
        for m in t.dataset.measures:
            if m.unit not in ("percent", "rate_per_10k") or not m.numerator or not is_number(r.get(m.name, "")):
                continue
            stated = parse_number(r.get(m.name, ""))
            num_text = r.get(m.numerator, "")
            if stated is None or not is_number(num_text) or parse_number(num_text) is None:
                continue
            if m.unit == "percent" and not (0 <= stated <= 100):
                continue  # reported once, as out of range
            numerator = parse_number(num_text)
            if m.unit == "percent":
                den_text = r.get(m.denominator or "", "")
                if not is_number(den_text) or not parse_number(den_text):
                    continue
                denominator, scale, what = parse_number(den_text), 100, f"{m.numerator} / {m.denominator} x 100"
            else:
                areas = [r.get("la_code", "")] if r.get("geographic_level") == "Local authority" else members
                denominator = _population(ctx, areas, r.get("time_period", "0000"))
                if denominator is None:
                    continue
                scale, what = 10_000, f"{m.numerator} / children aged 0 to 17 ({denominator:,}) x 10,000"
            expected = round_half_up(float(numerator / denominator * scale), m.dp)  # type: ignore[operator]
            if round_half_up(float(stated), m.dp) != expected:
                kind = "percentage disagrees with its counts" if m.unit == "percent" else "rate disagrees with count / population"
                problems.append(Problem(t.label, row, m.name, str(stated), f"{expected} ({what})", kind))
    return problems


def check_report_year(ctx: Context, t: Table) -> list[Problem]:
    """The file has figures for the report year (unless params declare it not provided)."""
    code = time_period_code(ctx.params.report.year)
    if not t.header or t.dataset.name in ctx.params.report.not_provided or any(r.get("time_period") == code for _, r in t.rows):
        return []
    found = "no rows at all" if not t.rows else f"rows only for other years ({', '.join(sorted({r.get('time_period', '') for _, r in t.rows}))})"
    return [Problem(t.label, None, "time_period", found, f"rows for {code} ({ctx.params.report.year}), or the dataset "
                    "listed under not_provided in the year's params with the reason", "no data for the report year",
                    t.dataset.name)]


TABLE_CHECKS: tuple[Callable[[Context, Table], list[Problem]], ...] = (
    check_empty, check_columns, check_meta, check_standard_columns, check_values, check_duplicates, check_totals, check_derived,
    check_report_year,
)


# -- text inputs ------------------------------------------------------------------------
def check_text_input(ctx: Context, spec: TextInput) -> list[Problem]:
    """A YAML list input: readable, valid and safe YAML, an `items` list with items other than the
    template's example, every item with its keys and a known status."""
    path = ctx.folder / spec.name
    label = ctx.label(path)
    if not path.is_file() and not path.is_symlink():
        return [Problem(label, None, None, "no file", f"{spec.title}: {spec.description}", "missing file", spec.name)]
    try:
        data, lines = parse_yaml(read_text_input(ctx, path))
    except TextFileError as e:
        return [Problem.unreadable(e)]
    shape = f"a mapping with an '{spec.list_key}:' list at the top level"
    if data is not None and not isinstance(data, dict):
        return [Problem(label, None, None, f"expected {shape}, found a {type(data).__name__}", "", "wrong shape")]
    items = (data or {}).get(spec.list_key)
    if items is not None and not isinstance(items, list):
        return [Problem(label, lines.get((spec.list_key,)), spec.list_key, f"a {type(items).__name__}",
                        f"a list under '{spec.list_key}:'", "wrong shape")]
    if not text_items(data, spec):
        found = "only the template's example" if items else ("no items" if data else "an empty file")
        return [Problem(label, None, spec.list_key, found, f"{spec.title} in a list under '{spec.list_key}:', or the "
                        "file listed under not_provided in the year's params with the reason", "no items", spec.name)]
    problems = []
    for i, item in enumerate(items, start=1):
        where = lines.get((spec.list_key, i - 1))
        if not isinstance(item, dict):
            problems.append(Problem(label, None, f"{spec.list_key}[{i}]", repr(item), "a mapping of " + ", ".join(spec.item_keys), "wrong type", line=where))
            continue
        for key in spec.item_keys:
            if key not in item:
                problems.append(Problem(label, None, f"{spec.list_key}[{i}].{key}", "no such key", f"'{key}': {spec.item_keys[key]}", "missing key", line=where))
        for key in item:
            if key not in spec.item_keys:
                close = difflib.get_close_matches(str(key), list(spec.item_keys), n=1)
                hint = f"'{close[0]}' (misspelt key)" if close else "only " + ", ".join(spec.item_keys)
                problems.append(Problem(label, None, f"{spec.list_key}[{i}].{key}", f"key '{key}'", hint, "unknown key",
                                        line=lines.get((spec.list_key, i - 1, key), where)))
            elif item[key] is not None and (not isinstance(item[key], (str, int, float)) or isinstance(item[key], bool)):
                problems.append(Problem(label, None, f"{spec.list_key}[{i}].{key}", f"a {type(item[key]).__name__}",
                                        f"text: {spec.item_keys[key]}", "wrong type", line=lines.get((spec.list_key, i - 1, key), where)))
        status = item.get("status")
        if spec.statuses and status is not None and status not in spec.statuses:
            problems.append(Problem(label, None, f"{spec.list_key}[{i}].status", repr(status), " or ".join(spec.statuses), "unknown status",
                                    line=lines.get((spec.list_key, i - 1, "status"), where)))
    return problems


def read_text_input(ctx: Context, path: Path) -> TextFile:
    """A YAML text input decoded by the one reader, with the YAML size limit (TextFileError if refused)."""
    return read_text(path, ctx.label(path), max_bytes=YAML_MAX_BYTES, root=ctx.project.root)


# -- national files ---------------------------------------------------------------------
def check_national(project: Project) -> list[Problem]:
    """The national files the indicators read, through data/national/catalog.yml: present, laid out
    as the catalog declares, and only numbers or EES symbols in the columns read.

    Reading every national file takes seconds, so the result is remembered (inputs/result_cache.py)
    under the SHA-256 of the catalog, of every catalogued file and of this library's code: any
    change to one of them checks the files again."""
    from annualreport.execution.cache import code_digest, sha256_file
    from annualreport.inputs.result_cache import remember
    from annualreport.store.catalog import CATALOG, load_catalog

    try:
        catalog = load_catalog(project.national_dir)
    except InputError as e:
        return [Problem(project.rel(project.national_dir / "catalog.yml"), None, None, str(e).split(": ", 1)[-1],
                        "the catalog of national files", "missing file")]
    material = [code_digest(), project.rel(project.national_dir)]
    for path in [project.national_dir / CATALOG, *catalog.paths()]:
        material.append(f"{path.relative_to(project.national_dir).as_posix()}={sha256_file(path) if path.is_file() else 'missing'}")
    found = remember("national-check", material, lambda: [asdict(p) for p in _check_national_files(project, catalog)])
    return [Problem(**p) for p in found]


def _check_national_files(project: Project, catalog: "Catalog") -> list[Problem]:
    """check_national's work, without the cache."""
    from annualreport.errors import InputError
    from annualreport.store.indicators import INDICATORS
    import pandas as pd

    from annualreport.store.sources import normalised

    problems: list[Problem] = []
    columns: dict[str, set[str]] = {}
    for ind in INDICATORS.values():
        if ind.source is not None:
            columns.setdefault(ind.source.dataset, set()).add(ind.source.column)
    for entry in catalog.files:
        if entry.dataset not in columns:
            continue
        label = project.rel(catalog.root / entry.path)
        try:
            frame = normalised(catalog.root, entry.path, entry.dataset)
        except InputError as e:
            problems.append(Problem(label, e.row, None, str(e).split(": ", 1)[-1],
                                    "an EES file as published, as the catalog declares it", e.kind or "missing file"))
            continue
        for column in sorted(columns[entry.dataset] & set(frame.columns)):
            cells = frame[column]
            values = pd.Series(pd.unique(cells), dtype=object)  # each distinct cell checked once
            text = values.where(values.map(lambda v: isinstance(v, str)), "0").str.strip()  # NaN: not in this file
            wrong = values[(pd.to_numeric(text.str.replace(",", ""), errors="coerce").isna()
                            & ~text.str.lower().isin(list(SYMBOLS))).to_numpy()].tolist()
            if not wrong:
                continue
            bad = cells.isin(wrong)
            for row, raw in zip(frame.loc[bad, "row"].tolist(), cells[bad].tolist()):
                problems.append(Problem(label, int(row), column, repr(raw), "a number or an EES symbol (c, x, z, low, u, k)", "wrong type"))
    return list(dict.fromkeys(problems))


def missing_inputs(ctx: Context) -> list[Problem]:
    """Local input files that are absent and not declared as not provided."""
    problems = []
    for d in DATASETS:
        path = ctx.folder / f"{d.name}.csv"
        if not path.is_file() and not path.is_symlink() and d.name not in ctx.params.report.not_provided:
            title = input_title(d.name, ctx.params.report.year)  # in the words of the year's framework
            problems.append(Problem(ctx.label(path), None, None, "no file", f"{title} (`annualreport template` writes a blank one)",
                                    "missing file", d.name))
    return problems


def check_links(ctx: Context) -> list[Problem]:
    """Every entry of the local folder (inputs or not: the build copies them all) lies inside the project."""
    return [Problem.unreadable(e) for e in links_outside(ctx.folder, ctx.project.root, ctx.label)]


def check_inputs(project: Project, params: ReportParams) -> list[Problem]:
    """Run every check on the partnership-year's inputs; returns all problems found.

    A file that cannot be read (encoding, binary data, size, a link outside the project, YAML
    syntax) is one problem for that file; every other file is still checked."""
    ctx = Context(project, params, local_folder(project, params.partnership_id, params.report.year))
    problems = check_national(project)
    if not ctx.folder.is_dir():
        return problems + [Problem(ctx.label(ctx.folder), None, None, "no folder", "the local inputs "
                                   "(`annualreport template` writes blank ones)", "missing file", ALL_INPUTS)]
    try:
        check_inside(ctx.folder, project.root, ctx.label(ctx.folder))
    except TextFileError as e:
        return problems + [Problem.unreadable(e)]
    links = check_links(ctx)
    outside = {p.file for p in links}
    problems += links + missing_inputs(ctx)
    tables: dict[str, tuple[str, list[tuple[int, dict[str, str]]]]] = {}
    for dataset in DATASETS:
        if ctx.label(ctx.folder / f"{dataset.name}.csv") in outside:
            continue
        try:
            table = read_table(ctx, dataset)
        except TextFileError as e:
            problems.append(Problem.unreadable(e))
            continue
        if table is not None:
            for check in TABLE_CHECKS:
                problems += check(ctx, table)
            tables[dataset.name] = (table.label, table.rows)
    problems += [Problem(*fault[:3], *fault[3:], "files disagree") for fault in all_relation_faults(tables)]
    for spec in TEXT_INPUTS:
        if ctx.label(ctx.folder / spec.name) in outside:
            continue
        if spec.name not in ctx.params.report.not_provided or (ctx.folder / spec.name).is_file():
            problems += check_text_input(ctx, spec)
    declared = ctx.params.report.not_provided
    every = {d.name for d in DATASETS} | {t.name for t in TEXT_INPUTS}
    unused = every - inputs_of(ctx.params.report.chapters)  # no chapter of this report shows them: not needed
    return list(dict.fromkeys(p for p in problems
                              if not (p.kind in NOT_YET_PROVIDED and (p.input in declared or p.input in unused))))


def blocking(problems: list[Problem], params: ReportParams) -> list[Problem]:
    """The problems that stop a build: all of them for a final report; for a draft, all but inputs
    not provided yet (which the draft lists as such)."""
    if params.report.status != "draft":
        return problems
    return [p for p in problems if not (p.kind in NOT_YET_PROVIDED and p.input)]
