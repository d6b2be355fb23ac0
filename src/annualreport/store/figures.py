"""The indicator store: every figure of one partnership-year, computed once.

`build_store` reads the national statistics and writes one long table: for each indicator,
area (each member council, the partnership, England, the region, the statistical neighbours'
mean and median) and year, a value and its state, the direction of travel and judgement
against the previous year, the quartile among all local authorities and a RAG rating against
England. Chapters, tables, charts and sentences read figures only from here, so one figure
has one value everywhere.

The partnership's figures: counts are summed over member councils; rates and percentages are
recomputed from the summed numerators and denominators, never averaged; a published rate whose
counts are not published has no partnership figure. With a single member the partnership's
figures are that council's published figures.
"""

from __future__ import annotations

import bisect
import json
import statistics
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from annualreport.chapters.compare import SIZE_RULE, judge_change
from annualreport.store.indicators import INDICATORS, MULTIPLIER, Indicator, polarity_of
from annualreport.store.local_figures import LocalFigures, local_meta
from annualreport.inputs.local_indicators import LOCAL_INDICATORS
from annualreport.store.national import Cell, State
from annualreport.inputs.params import ReportParams
from annualreport.project import Project
from annualreport.inputs.reference import local_authorities, statistical_neighbours
from annualreport.store import PUBLIC_STORE, STORE_CSV, STORE_META
from annualreport.store.catalog import load_catalog
from annualreport.store.sources import READING, dataset_frame

COLUMNS = ["indicator", "area_type", "area_code", "area_name", "time_period", "value", "state", "note",
           "direction", "judgement", "quartile", "rag", "source"]
COMPUTED = "computed by us"
AREA_ORDER = ["partnership", "member", "england", "region", "sn_mean", "sn_median"]
LEVELS = {"member": "Local authority", "england": "National", "region": "Regional"}
QUARTILE_RULE = "1 = the best quarter of all local authorities for this indicator (after polarity), 4 = the worst"
RAG_RULE = ("green: better than England by more than the tolerance; amber: within the tolerance of England; "
            "red: worse than England by more than the tolerance (rates and percentages with a polarity only)")


@dataclass(frozen=True)
class Area:
    """An area a figure is about. `area_type` is one of AREA_ORDER."""

    area_type: str
    code: str
    name: str


# The states as the store writes them (an enum member's .value costs a lookup; asked for millions of times).
_VALUE, _NOT_AVAILABLE, _NOT_APPLICABLE = State.VALUE.value, State.NOT_AVAILABLE.value, State.NOT_APPLICABLE.value


@dataclass
class Figure:
    """One figure from the store."""

    indicator: str
    area_name: str
    time_period: int
    value: float | None
    state: str
    note: str = ""
    direction: str = ""
    judgement: str = ""
    quartile: int | None = None
    rag: str = ""
    source: str = ""  # the file and release a figure was read from, or how it was computed

    @property
    def available(self) -> bool:
        return self.state == _VALUE and self.value is not None


FIGURE_FIELDS = tuple(f.name for f in fields(Figure))


def year_label(period: int) -> str:
    return f"{period - 1}-{str(period)[2:]}"


class Published:
    """The published cells of one indicator's source column, by (level, code, time_period), each
    with the file and release it came from (the latest release covering its year: see sources.py)."""

    def __init__(self, national_dir: Path, indicator: Indicator):
        assert indicator.source is not None
        src = indicator.source
        self.catalog = load_catalog(national_dir)
        self.dataset = src.dataset
        self.filters = src.filters
        self.offset = src.period_offset
        self.column = src.column
        frame = _source_rows(national_dir, indicator, ["level", "code", "time_period", "source"])
        frame = frame[frame[src.column].notna()]  # NaN: this release has no such column (e.g. no rate published)
        keys = zip(frame["level"].tolist(), frame["code"].tolist(), frame["time_period"].astype(int).tolist())
        # raw text, parsed when asked for, and the file it came from
        self.cells: dict[tuple[str, str, int], tuple[str, str]] = dict(
            zip(keys, zip(frame[src.column].tolist(), frame["source"].tolist())))

    def get(self, level: str, code: str, period: int) -> tuple[Cell, str] | None:
        found = self.cells.get((level, code, period + self.offset))
        if found is None:
            return None
        raw, source = found
        return Cell.parse(raw, f"{source}, time_period {period + self.offset}, column {self.column}"), source

    def la_codes(self, period: int) -> list[str]:
        return sorted(code for (level, code, p) in self.cells if level == "Local authority" and p == period + self.offset)

    def council_note(self, area: "Area", period: int) -> str | None:
        """For a council that did not exist yet (or any more) in a year, what happened, in words."""
        change = self.catalog.councils.get(area.code) if area.area_type == "member" else None
        if change is None:
            return None
        if change.first is not None and period < change.first:
            return (f"{change.name} did not exist in {year_label(period)}: it {change.change}; "
                    f"DfE publishes its figures from {year_label(change.first)}")
        if change.last is not None and period > change.last:
            return f"{change.name} no longer existed in {year_label(period)}: it {change.change}"
        return None

    def missing_note(self, area: "Area", period: int) -> tuple[str, str]:
        """Why there is no figure: (state, reason). A council that did not exist yet (or any more)
        is not applicable; a year no release covers, or a breakdown not published, says so."""
        council = self.council_note(area, period)
        if council is not None:
            return _NOT_APPLICABLE, council
        own = period + self.offset
        gap = self.catalog.gap(self.dataset, own, self.filters)
        if gap:
            return _NOT_AVAILABLE, f"not available for {year_label(period)}: {gap}"
        release = self.catalog.release_for(self.dataset, own)
        if not release:
            title = self.catalog.datasets[self.dataset].title.lower()
            years = sorted(p for f in self.catalog.files_of(self.dataset) for p in f.years)
            return (_NOT_AVAILABLE, f"no data for {area.name} in {year_label(period)}: the national files "
                    f"held for {title} cover {year_label(years[0] - self.offset)} to {year_label(years[-1] - self.offset)}")
        return _NOT_AVAILABLE, f"no data for {area.name} in {year_label(period)} ({release[0].label})"


def _source_rows(national_dir: Path, indicator: Indicator, columns: list[str]) -> pd.DataFrame:
    """`columns` and the indicator's column, of the rows of its dataset that its filters select (no
    rows when the dataset has no such column or no column a filter names)."""
    src = indicator.source
    assert src is not None
    frame = dataset_frame(national_dir, src.dataset)
    if any(col not in frame.columns for col in src.filters):
        frame = frame.iloc[0:0]
    else:
        keep = pd.Series(True, index=frame.index)
        for col, wanted in src.filters.items():
            keep &= frame[col] == wanted
        frame = frame.loc[keep, [c for c in (*columns, src.column) if c in frame.columns]]
    if src.column not in frame.columns:
        frame = frame.iloc[0:0].assign(**{src.column: ""})
    return frame


@lru_cache(maxsize=16)
def la_regions(national_dir: Path, indicator_id: str) -> dict[tuple[str, int], str]:
    """The region of each local authority in each year, (code, time_period) -> region, as the rows
    of an indicator's source give them."""
    frame = _source_rows(national_dir, INDICATORS[indicator_id], ["level", "code", "region", "time_period"])
    regions: dict[tuple[str, int], str] = {}
    for level, code, region, period in zip(*(frame[c].tolist() for c in ("level", "code", "region", "time_period"))):
        if level == "Local authority" and region:
            regions[(code, int(period))] = region
    return regions


@lru_cache(maxsize=256)
def published(national_dir: Path, indicator_id: str) -> Published:
    """The published cells of an indicator read from a file (cached: files are read once).

    Called thousands of times per report, so the lock is taken only on a miss: two reports of a
    batch that miss at once wait for one reading (sources.READING), and the second finds it in
    `_published`."""
    with READING:
        return _published(national_dir, indicator_id)


@lru_cache(maxsize=256)
def _published(national_dir: Path, indicator_id: str) -> Published:
    return Published(national_dir, INDICATORS[indicator_id])


def _ratio(ind: Indicator, name: str, period: int, num: Figure, den: Figure) -> Figure:
    if num.available and den.available and den.value:
        return Figure(ind.id, name, period, num.value / den.value * MULTIPLIER[ind.unit], _VALUE,  # type: ignore[operator]
                      source=f"{COMPUTED}: {num.indicator} ({num.source}) / {den.indicator} ({den.source})")
    if num.available and den.available:  # a zero denominator: nothing to take a share of
        return Figure(ind.id, name, period, None, _NOT_APPLICABLE,
                      f"not available for {year_label(period)}: {_lower(INDICATORS[den.indicator].title)} was 0 for {name}")
    bad = num if not num.available else den
    return Figure(ind.id, name, period, None, bad.state, bad.note)


def _lower(title: str) -> str:
    return title[:1].lower() + title[1:]


def area_figure(national_dir: Path, ind: Indicator, area: Area, period: int) -> Figure:
    """A local authority's, England's or a region's figure, read or computed from its counts.

    A rate or percentage DfE did not publish for a year (the old files carry no rates) is computed
    from its counts the way DfE computes it, and its note says it was computed by us."""
    if ind.computed:
        num = area_figure(national_dir, INDICATORS[ind.numerator], area, period)  # type: ignore[index]
        den = area_figure(national_dir, INDICATORS[ind.denominator], area, period)  # type: ignore[index]
        return _ratio(ind, area.name, period, num, den)
    pub = published(national_dir, ind.id)
    found = pub.get(LEVELS[area.area_type], area.code, period)
    if found is None:
        state, note = pub.missing_note(area, period)
        if ind.numerator and ind.denominator and state == _NOT_AVAILABLE:
            num = area_figure(national_dir, INDICATORS[ind.numerator], area, period)
            den = area_figure(national_dir, INDICATORS[ind.denominator], area, period)
            if not (num.available and den.available):  # the reason is the series' own gap, else the missing count's
                bad = num if not num.available else den
                return Figure(ind.id, area.name, period, None, *((state, note) if note.startswith("not available for")
                                                                 else (bad.state, bad.note)))
            f = _ratio(ind, area.name, period, num, den)
            if not f.available:
                return f
            f.note = (f"{COMPUTED} from {_lower(INDICATORS[ind.numerator].title)} and "
                      f"{_lower(INDICATORS[ind.denominator].title)}: DfE published no figure for {year_label(period)}")
            if ind.denominator == "child_population":
                f.note += f" (population: ONS mid-{period - 1} estimate, as DfE uses)"
            return f
        return Figure(ind.id, area.name, period, None, state, note)
    cell, source = found
    council = None if cell.state is State.VALUE else pub.council_note(area, period)
    if council is not None:  # a symbol published for a council that did not exist then: say why
        return Figure(ind.id, area.name, period, None, _NOT_APPLICABLE, council)
    note = "" if cell.state is State.VALUE else f"published as {cell.state.value} for {area.name} in {year_label(period)} ({source})"
    return Figure(ind.id, area.name, period, cell.value, cell.state.value, note, source=source)


@lru_cache(maxsize=1 << 18)
def la_value(national_dir: Path, indicator_id: str, code: str, period: int) -> float | None:
    """A local authority's value of an indicator in a year, None when it has none. Cached: the
    quartiles and the statistical neighbours of every council read the same councils' values."""
    f = area_figure(national_dir, INDICATORS[indicator_id], Area("member", code, code), period)
    return f.value if f.available else None


@lru_cache(maxsize=4096)
def all_la_values(national_dir: Path, indicator_id: str, period: int) -> tuple[float, ...]:
    """Every local authority's value of an indicator in a year, in ascending order, for quartiles."""
    ind = INDICATORS[indicator_id]
    base = ind if not ind.computed else INDICATORS[ind.numerator]  # type: ignore[index]
    codes = published(national_dir, base.id).la_codes(period)
    values = (la_value(national_dir, indicator_id, c, period) for c in codes)
    return tuple(sorted(v for v in values if v is not None))


def quartile(value: float, others: Sequence[float], polarity: str) -> int | None:
    """1 for the best quarter of local authorities, 4 for the worst; None without a polarity.
    `others`: every council's value, in ascending order (all_la_values), so the councils doing
    better are counted by bisection, not by reading them all (a store of many councils asks often)."""
    if polarity == "none" or not others:
        return None
    if polarity == "high":
        better = len(others) - bisect.bisect_right(others, value)
    else:
        better = bisect.bisect_left(others, value)
    return min(4, better * 4 // len(others) + 1)


def rag(value: float, england: float, polarity: str, tolerance: float) -> str:
    """Green, amber or red against England, by RAG_RULE."""
    if polarity == "none" or not england:
        return ""
    relative = (value - england) / england * 100
    if abs(relative) <= tolerance:
        return "amber"
    return "green" if (relative > 0) == (polarity == "high") else "red"


class _Builder:
    def __init__(self, project: Project, params: ReportParams, local_dir: Path | None = None):
        self.national = project.national_dir
        self.params = params
        self.dictionary = project.reference_dir / "lait_data_dictionary.csv"
        report = params.report
        self.tolerance = report.thresholds.no_change_tolerance
        self.periods = list(range(report.time_period - report.history_years, report.time_period + 1))
        self.members = [m.la_code for m in params.partnership.members]
        las = local_authorities(project.reference_dir)
        self.member_names = {c: las[c].name for c in self.members}
        sn = statistical_neighbours(project.reference_dir, params.partnership.statistical_neighbours)
        neighbours: list[str] = []
        for code in self.members:
            neighbours += [n for n in sn.get(code, []) if n not in self.members and n not in neighbours]
        self.neighbours = neighbours
        self.figures: dict[tuple[str, str, str, int], Figure] = {}
        self.region_name = self._region()
        self.local = LocalFigures(local_dir, self.member_names, params.partnership.short_name, self.periods,
                                  report.thresholds.suppress_below, dict(report.targets), self.tolerance)
        self.local_hidden: list[tuple[str, str, str, int]] = []  # the local figures a public view hides

    def _local(self) -> None:
        """Every local indicator for its members and the partnership (local_figures.py)."""
        for ind in LOCAL_INDICATORS:
            for area_type, code, name in self.local.areas(ind):
                previous = None
                for period in self.periods:
                    f = self.local.figure(ind, area_type, code, period)
                    direction, judgement, rag = self.local.assess(ind, f, previous, period)
                    self.figures[(ind.id, area_type, code, period)] = Figure(
                        ind.id, name, period, f.value, f.state, f.note, direction, judgement, None, rag, f.source)
                    if f.hidden:
                        self.local_hidden.append((ind.id, area_type, code, period))
                    previous = f

    def _region(self) -> str:
        with READING:
            regions = la_regions(self.national, "referrals")
        for period in sorted(self.periods, reverse=True):
            if (self.members[0], period) in regions:
                return regions[(self.members[0], period)]
        latest = max((p for (c, p) in regions if c == self.members[0]), default=None)
        return regions[(self.members[0], latest)] if latest else self.params.partnership.region

    def _partnership(self, ind: Indicator, period: int, name: str) -> Figure:
        parts = [self.figures[(ind.id, "member", code, period)] for code in self.members]
        if len(parts) == 1:
            f = parts[0]
            return Figure(ind.id, name, period, f.value, f.state, f.note, source=f.source)
        if any(p.state == _NOT_APPLICABLE for p in parts) and not all(p.available for p in parts):
            gone = next(p for p in parts if p.state == _NOT_APPLICABLE)
            return Figure(ind.id, name, period, None, gone.state, gone.note)
        if not ind.additive:
            return Figure(ind.id, name, period, None, _NOT_APPLICABLE,
                          "not added up: the counts behind this published rate are not published")
        if ind.is_count:
            missing = [p for p in parts if not p.available]
            if missing:
                return Figure(ind.id, name, period, None, missing[0].state, missing[0].note)
            return Figure(ind.id, name, period, sum(p.value for p in parts), _VALUE,  # type: ignore[misc]
                          source="sum of the member councils: " + "; ".join(dict.fromkeys(p.source for p in parts)))
        num = self.figures[(ind.numerator, "partnership", "partnership", period)]  # type: ignore[index]
        den = self.figures[(ind.denominator, "partnership", "partnership", period)]  # type: ignore[index]
        return _ratio(ind, name, period, num, den)

    def _neighbours(self, ind: Indicator, period: int) -> tuple[Figure, Figure]:
        names = ("Similar areas (mean)", "Similar areas (median)")  # statistical neighbours, in plain words
        if ind.is_count:
            note = "counts are not compared across areas"
            return tuple(Figure(ind.id, n, period, None, _NOT_APPLICABLE, note) for n in names)  # type: ignore[return-value]
        values = [v for v in (la_value(self.national, ind.id, c, period) for c in self.neighbours) if v is not None]
        if not values:
            note = "no statistical neighbour has data"
            return tuple(Figure(ind.id, n, period, None, _NOT_AVAILABLE, note) for n in names)  # type: ignore[return-value]
        note = f"{len(values)} of {len(self.neighbours)} neighbours"
        return (Figure(ind.id, names[0], period, statistics.fmean(values), _VALUE, f"mean of {note}"),
                Figure(ind.id, names[1], period, statistics.median(values), _VALUE, f"median of {note}"))

    def _assess(self, ind: Indicator, polarity: str, keys: list[tuple[str, str, str, int]]) -> None:
        """Direction, judgement, quartile and RAG of every figure of one indicator (`keys`: its figures)."""
        for key in keys:
            ind_id, area_type, code, period = key
            f = self.figures[key]
            prev = self.figures.get((ind_id, area_type, code, period - 1))
            if prev is not None:
                f.direction, f.judgement = judge_change(prev.value if prev.available else None,
                                                        f.value if f.available else None, ind.decimals, polarity,
                                                        self.tolerance)
            if not f.available or ind.is_count or area_type not in ("member", "partnership"):
                continue
            f.quartile = quartile(f.value, all_la_values(self.national, ind.id, period), polarity)  # type: ignore[arg-type]
            england = self.figures[(ind.id, "england", "E92000001", period)]
            if england.available:
                f.rag = rag(f.value, england.value, polarity, self.tolerance)  # type: ignore[arg-type]

    def build(self) -> pd.DataFrame:
        pname = self.params.partnership.short_name
        for ind in _dependency_order(INDICATORS.values()):
            first = len(self.figures)
            for period in self.periods:
                areas = [Area("member", c, self.member_names[c]) for c in self.members]
                areas += [Area("england", "E92000001", "England"), Area("region", self.region_name, self.region_name)]
                for area in areas:
                    self.figures[(ind.id, area.area_type, area.code, period)] = area_figure(self.national, ind, area, period)
                self.figures[(ind.id, "partnership", "partnership", period)] = self._partnership(ind, period, pname)
                mean, median = self._neighbours(ind, period)
                self.figures[(ind.id, "sn_mean", "sn_mean", period)] = mean
                self.figures[(ind.id, "sn_median", "sn_median", period)] = median
            self._assess(ind, polarity_of(ind, self.dictionary), list(self.figures)[first:])
        self._local()
        # Figure's fields are plain values: a shallow dict of them is what asdict() would give, much faster
        rows = [{**{name: getattr(f, name) for name in FIGURE_FIELDS}, "area_type": at, "area_code": code}
                for (_, at, code, _), f in self.figures.items()]
        frame = pd.DataFrame(rows)[COLUMNS]
        frame["quartile"] = frame["quartile"].astype("Int64")
        frame["_order"] = frame["area_type"].map(AREA_ORDER.index)
        frame = frame.sort_values(["indicator", "_order", "area_code", "time_period"], kind="stable").drop(columns="_order")
        return frame.reset_index(drop=True)


def _dependency_order(indicators: Iterable[Indicator]) -> list[Indicator]:
    """Indicators read from files first, then those computed from them."""
    items = list(indicators)
    return [i for i in items if not i.computed] + [i for i in items if i.computed]


def _describe_source(project: Project, ind: Indicator) -> str:
    """Where an indicator comes from, in words: its dataset's files and releases, or its formula."""
    if ind.source is None:
        return f"{COMPUTED}: {ind.numerator} / {ind.denominator} x {MULTIPLIER[ind.unit]:g}"
    catalog = load_catalog(project.national_dir)
    files = "; ".join(f.label for f in catalog.files_of(ind.source.dataset))
    where = "".join(f"; {k} = {v}" for k, v in ind.source.filters.items())
    return f"{catalog.datasets[ind.source.dataset].title} [{files}]: {ind.source.column}{where}"


def datasets_read(project: Project) -> dict:
    """Each dataset the indicators read, with its files, releases and years (for the appendix)."""
    catalog = load_catalog(project.national_dir)
    used = {i.source.dataset for i in INDICATORS.values() if i.source}
    return {d: {"title": catalog.datasets[d].title,
                "files": [{"path": f.path, "release": f.release, "published": f.published, "years": list(f.years)}
                          for f in catalog.files_of(d)]}
            for d in catalog.datasets if d in used}


def store_meta(project: Project, params: ReportParams, builder: _Builder) -> dict:
    report = params.report
    dictionary = project.reference_dir / "lait_data_dictionary.csv"
    return {
        "partnership_id": params.partnership_id,
        "partnership": params.partnership.name,
        "short_name": params.partnership.short_name,
        "year": report.year,
        "time_period": report.time_period,
        "periods": builder.periods,
        "members": [{"la_code": c, "name": builder.member_names[c]} for c in builder.members],
        "region": builder.region_name,
        "statistical_neighbours": {
            "model": params.partnership.statistical_neighbours,
            "codes": builder.neighbours,
            "comparators": "sn_mean is the mean and sn_median the median of the neighbours' own values",
        },
        "thresholds": report.thresholds.model_dump(),
        "targets": dict(sorted(report.targets.items())),
        "datasets": datasets_read(project),
        "rules": {
            "rounding": "half-up to the indicator's decimals, as DfE rounds",
            "judgement": f"improved or declined by polarity; no change within {report.thresholds.no_change_tolerance}% "
                         "(relative) of the previous year, compared on rounded values",
            "quartile": QUARTILE_RULE,
            "rag": RAG_RULE,
            "size": SIZE_RULE,
        },
        "indicators": {
            i.id: {
                "title": i.title,
                "unit": i.unit,
                "decimals": i.decimals,
                "definition": i.definition,
                "polarity": polarity_of(i, dictionary),
                "source": _describe_source(project, i),
                "dataset": i.source.dataset if i.source else None,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "comparators": list(i.comparators),
            }
            for i in INDICATORS.values()
        } | {i.id: local_meta(i) for i in LOCAL_INDICATORS},
        "local_hidden": [list(k) for k in sorted(builder.local_hidden)],
    }


def build_store(project: Project, params: ReportParams, out_dir: Path | None = None,
                local_dir: Path | None = None) -> "Store":
    """Compute every figure for a partnership-year; with out_dir, write `store.csv` and `store.json` there.

    Local figures are read from `local_dir` (a build's copy of the inputs), by default from the
    partnership-year's folder of local inputs (data/local/<partnership>/<year>/)."""
    if local_dir is None:
        from annualreport.inputs.checks import local_folder

        local_dir = local_folder(project, params.partnership_id, params.report.year)
    builder = _Builder(project, params, local_dir)
    frame = builder.build()
    meta = store_meta(project, params, builder)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out_dir / STORE_CSV, index=False, float_format="%.10g", lineterminator="\n")
        (out_dir / STORE_META).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return Store(frame, meta)


class Store:
    """Read access to a built store: figures, series and indicator definitions."""

    def __init__(self, frame: pd.DataFrame, meta: dict):
        self.frame = frame
        self.meta = meta
        self.time_period: int = meta["time_period"]
        self.periods: list[int] = meta["periods"]
        self._index: dict[tuple[str, str, int], list[int]] | None = None  # Store._rows
        self._columns: dict[str, list] | None = None  # Store._column_lists
        self._public: Store | None = None  # the public view, made once
        self._positions: dict[str, Any] | None = None  # Store._indicator_rows
        self._by_indicator: dict[str, pd.DataFrame] = {}  # likewise

    @classmethod
    def load(cls, folder: Path | str, table: str = STORE_CSV) -> "Store":
        """The store written in `folder` (its `table`, store.csv by default, and store.json)."""
        folder = Path(folder)
        frame = pd.read_csv(folder / table, dtype={"area_code": str, "note": str, "direction": str, "judgement": str,
                                                   "rag": str, "quartile": "Int64", "source": str},
                            keep_default_na=False, na_values={"value": [""], "quartile": [""]})
        meta = json.loads((folder / STORE_META).read_text(encoding="utf-8"))
        return cls(frame, meta)

    @classmethod
    def load_public(cls, folder: Path | str) -> "Store":
        """The public view of the store in `folder`: the one the build wrote for its chapters
        (write_public_store), or else made here (a chapter run by hand in a build's folder)."""
        if (Path(folder) / PUBLIC_STORE).is_file():
            return cls.load(folder, PUBLIC_STORE)
        return cls.load(folder).public()

    def indicator(self, indicator_id: str) -> dict:
        try:
            return self.meta["indicators"][indicator_id]
        except KeyError:
            raise KeyError(f"unknown indicator '{indicator_id}' (known: {', '.join(sorted(self.meta['indicators']))})") from None

    def figure(self, indicator_id: str, area_type: str = "partnership", period: int | None = None,
               area_code: str | None = None) -> Figure:
        """One figure; period defaults to the report year."""
        self.indicator(indicator_id)
        period = self.time_period if period is None else period
        rows = [r for r in map(self._row, self._rows().get((indicator_id, area_type, period), []))
                if area_code is None or r["area_code"] == area_code]
        if not rows:
            return Figure(indicator_id, area_type, period, None, _NOT_AVAILABLE, "not in the store")
        row = rows[0]  # the first in the store's order
        value = None if pd.isna(row["value"]) else float(row["value"])
        q = None if pd.isna(row["quartile"]) else int(row["quartile"])
        return Figure(indicator_id, row["area_name"], int(row["time_period"]), value, row["state"], row["note"],
                      row["direction"], row["judgement"], q, row["rag"], row.get("source", ""))

    def _rows(self) -> dict[tuple[str, str, int], list[int]]:
        """Where the store's rows of each (indicator, area type, time period) are, in the store's
        order: a figure is looked up without scanning the whole table (a chapter asks for hundreds).
        A chapter opens a store, so this runs per chapter: a row is made when it is asked for
        (`_row`), not the thousands a chapter never asks for."""
        if self._index is None:
            index: dict[tuple[str, str, int], list[int]] = {}
            columns = self._column_lists()
            keys = zip(columns["indicator"], columns["area_type"], columns["time_period"])
            for position, (indicator, area_type, period) in enumerate(keys):
                index.setdefault((indicator, area_type, int(period)), []).append(position)
            self._index = index
        return self._index

    def _row(self, position: int) -> dict:
        """The row at `position` as DataFrame.to_dict("records") gives it (Python values, None for a
        missing quartile)."""
        return {name: None if column[position] is pd.NA else column[position]
                for name, column in self._column_lists().items()}

    def _column_lists(self) -> dict[str, list]:
        """Each column of the table as a list of Python values, made once."""
        if self._columns is None:
            self._columns = {name: self.frame[name].tolist() for name in self.frame.columns}
        return self._columns

    def series(self, indicator_id: str, area_types: Iterable[str] = AREA_ORDER) -> pd.DataFrame:
        """All years of one indicator for the given area types, in report order (the store's rows,
        with their index): a new frame, which the caller may change."""
        self.indicator(indicator_id)
        rows = self._indicator_rows(indicator_id)
        return rows[rows.area_type.isin(list(area_types))]

    def _indicator_rows(self, indicator_id: str) -> pd.DataFrame:
        """Every row of one indicator, in the store's order, taken from the table once: a chapter
        takes an indicator's series several times (its chart, its table, its sentences), and taking
        rows from a frame of thirteen columns was most of a table's time. Never handed out (`series`
        hands out a selection of it, a copy)."""
        rows = self._by_indicator.get(indicator_id)
        if rows is None:
            if self._positions is None:  # every indicator's at once: comparing the column for each is slow
                self._positions = self.frame.groupby("indicator", sort=False).indices
            rows = self._by_indicator[indicator_id] = self.frame.take(self._positions.get(indicator_id, []))
        return rows

    def public(self) -> "Store":
        """The view that may be published: small counts and what would reveal them suppressed.
        Made once per store (a store is not changed once built)."""
        from annualreport.publication.suppression import public_view

        if self._public is None:
            threshold = self.meta["thresholds"]["suppress_below"]
            decided = [tuple(k) for k in self.meta.get("local_hidden", [])]
            self._public = Store(public_view(self.frame, self.meta["indicators"], threshold, decided), self.meta)
        return self._public


def write_public_store(work: Path) -> Store:
    """Write the public view of the store in `work` for its chapters (Store.load_public), and return
    it: made once per build instead of once per chapter (a twentieth of a second each). Written as
    store.csv is, from the store as read back from it, so a chapter reads the very view it would make
    itself."""
    path = work / PUBLIC_STORE
    path.parent.mkdir(parents=True, exist_ok=True)
    public = Store.load(work).public()
    public.frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
    return public
