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

import json
import statistics
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pandas as pd

from .compare import SIZE_RULE, describe_change
from .indicators import INDICATORS, MULTIPLIER, Indicator, polarity_of
from .national import Cell, State, read_ees
from .params import ReportParams
from .project import Project
from .reference import local_authorities, statistical_neighbours

STORE_CSV = "store.csv"
STORE_META = "store.json"
COLUMNS = ["indicator", "area_type", "area_code", "area_name", "time_period", "value", "state", "note",
           "direction", "judgement", "quartile", "rag"]
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

    @property
    def available(self) -> bool:
        return self.state == State.VALUE.value and self.value is not None


def year_label(period: int) -> str:
    return f"{period - 1}-{str(period)[2:]}"


class Published:
    """The published cells of one indicator's source column, by (level, code, time_period)."""

    def __init__(self, national_dir: Path, indicator: Indicator):
        assert indicator.source is not None
        src = indicator.source
        frame = read_ees(national_dir / src.file)
        for col, wanted in src.filters.items():
            frame = frame[frame[col] == wanted]
        self.file = src.file
        self.offset = src.period_offset
        self.cells: dict[tuple[str, str, int], Cell] = {}
        self.la_regions: dict[tuple[str, int], str] = {}
        rows = zip(frame["geographic_level"], frame["region_name"], frame["old_la_code"], frame["time_period"], frame[src.column])
        for level, region, la_code, period, raw in rows:
            code = {"National": "E92000001", "Regional": region, "Local authority": la_code}.get(level)
            if code is None:
                continue
            self.cells[(level, code, int(period))] = Cell.parse(raw, f"{src.file}, time_period {period}, column {src.column}")
            if level == "Local authority":
                self.la_regions[(la_code, int(period))] = region

    def get(self, level: str, code: str, period: int) -> Cell | None:
        return self.cells.get((level, code, period + self.offset))

    def la_codes(self, period: int) -> list[str]:
        return sorted(code for (level, code, p) in self.cells if level == "Local authority" and p == period + self.offset)


@lru_cache(maxsize=256)
def published(national_dir: Path, indicator_id: str) -> Published:
    """The published cells of an indicator read from a file (cached: files are read once)."""
    return Published(national_dir, INDICATORS[indicator_id])


def _ratio(ind: Indicator, name: str, period: int, num: Figure, den: Figure) -> Figure:
    if num.available and den.available and den.value:
        return Figure(ind.id, name, period, num.value / den.value * MULTIPLIER[ind.unit], State.VALUE.value)  # type: ignore[operator]
    bad = num if not num.available else den
    return Figure(ind.id, name, period, None, bad.state, bad.note)


def area_figure(national_dir: Path, ind: Indicator, area: Area, period: int) -> Figure:
    """A local authority's, England's or a region's figure, read or computed from its counts."""
    if ind.computed:
        num = area_figure(national_dir, INDICATORS[ind.numerator], area, period)  # type: ignore[index]
        den = area_figure(national_dir, INDICATORS[ind.denominator], area, period)  # type: ignore[index]
        return _ratio(ind, area.name, period, num, den)
    pub = published(national_dir, ind.id)
    cell = pub.get(LEVELS[area.area_type], area.code, period)
    if cell is None:
        note = f"no data for {area.name} in {year_label(period)} ({pub.file})"
        return Figure(ind.id, area.name, period, None, State.NOT_AVAILABLE.value, note)
    note = "" if cell.state is State.VALUE else f"published as {cell.state.value} for {area.name} in {year_label(period)} ({pub.file})"
    return Figure(ind.id, area.name, period, cell.value, cell.state.value, note)


@lru_cache(maxsize=4096)
def all_la_values(national_dir: Path, indicator_id: str, period: int) -> tuple[float, ...]:
    """Every local authority's value of an indicator in a year, for quartiles."""
    ind = INDICATORS[indicator_id]
    base = ind if not ind.computed else INDICATORS[ind.numerator]  # type: ignore[index]
    codes = published(national_dir, base.id).la_codes(period)
    figures = (area_figure(national_dir, ind, Area("member", c, c), period) for c in codes)
    return tuple(f.value for f in figures if f.available)  # type: ignore[misc]


def quartile(value: float, others: Iterable[float], polarity: str) -> int | None:
    """1 for the best quarter of local authorities, 4 for the worst; None without a polarity."""
    values = list(others)
    if polarity == "none" or not values:
        return None
    better = sum(1 for v in values if (v > value if polarity == "high" else v < value))
    return min(4, better * 4 // len(values) + 1)


def rag(value: float, england: float, polarity: str, tolerance: float) -> str:
    """Green, amber or red against England, by RAG_RULE."""
    if polarity == "none" or not england:
        return ""
    relative = (value - england) / england * 100
    if abs(relative) <= tolerance:
        return "amber"
    return "green" if (relative > 0) == (polarity == "high") else "red"


class _Builder:
    def __init__(self, project: Project, params: ReportParams):
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

    def _region(self) -> str:
        regions = published(self.national, "referrals").la_regions
        for period in sorted(self.periods, reverse=True):
            if (self.members[0], period) in regions:
                return regions[(self.members[0], period)]
        latest = max((p for (c, p) in regions if c == self.members[0]), default=None)
        return regions[(self.members[0], latest)] if latest else self.params.partnership.region

    def _partnership(self, ind: Indicator, period: int, name: str) -> Figure:
        parts = [self.figures[(ind.id, "member", code, period)] for code in self.members]
        if len(parts) == 1:
            f = parts[0]
            return Figure(ind.id, name, period, f.value, f.state, f.note)
        if not ind.additive:
            return Figure(ind.id, name, period, None, State.NOT_APPLICABLE.value,
                          "not added up: the counts behind this published rate are not published")
        if ind.is_count:
            missing = [p for p in parts if not p.available]
            if missing:
                return Figure(ind.id, name, period, None, missing[0].state, missing[0].note)
            return Figure(ind.id, name, period, sum(p.value for p in parts), State.VALUE.value)  # type: ignore[misc]
        num = self.figures[(ind.numerator, "partnership", "partnership", period)]  # type: ignore[index]
        den = self.figures[(ind.denominator, "partnership", "partnership", period)]  # type: ignore[index]
        return _ratio(ind, name, period, num, den)

    def _neighbours(self, ind: Indicator, period: int) -> tuple[Figure, Figure]:
        names = ("Statistical neighbours (mean)", "Statistical neighbours (median)")
        if ind.is_count:
            note = "counts are not compared across areas"
            return tuple(Figure(ind.id, n, period, None, State.NOT_APPLICABLE.value, note) for n in names)  # type: ignore[return-value]
        figures = [area_figure(self.national, ind, Area("member", c, c), period) for c in self.neighbours]
        values = [f.value for f in figures if f.available and f.value is not None]
        if not values:
            note = "no statistical neighbour has data"
            return tuple(Figure(ind.id, n, period, None, State.NOT_AVAILABLE.value, note) for n in names)  # type: ignore[return-value]
        note = f"{len(values)} of {len(self.neighbours)} neighbours"
        return (Figure(ind.id, names[0], period, statistics.fmean(values), State.VALUE.value, f"mean of {note}"),
                Figure(ind.id, names[1], period, statistics.median(values), State.VALUE.value, f"median of {note}"))

    def _assess(self, ind: Indicator, polarity: str) -> None:
        """Direction, judgement, quartile and RAG of every figure of one indicator."""
        for (ind_id, area_type, code, period), f in self.figures.items():
            if ind_id != ind.id:
                continue
            prev = self.figures.get((ind_id, area_type, code, period - 1))
            if prev is not None:
                change = describe_change(prev.value if prev.available else None, f.value if f.available else None,
                                         ind.unit, ind.decimals, polarity, self.tolerance, period - 1, period)
                f.direction, f.judgement = change.direction, change.judgement
            if not f.available or ind.is_count or area_type not in ("member", "partnership"):
                continue
            f.quartile = quartile(f.value, all_la_values(self.national, ind.id, period), polarity)  # type: ignore[arg-type]
            england = self.figures[(ind.id, "england", "E92000001", period)]
            if england.available:
                f.rag = rag(f.value, england.value, polarity, self.tolerance)  # type: ignore[arg-type]

    def build(self) -> pd.DataFrame:
        pname = self.params.partnership.short_name
        for ind in _dependency_order(INDICATORS.values()):
            for period in self.periods:
                areas = [Area("member", c, self.member_names[c]) for c in self.members]
                areas += [Area("england", "E92000001", "England"), Area("region", self.region_name, self.region_name)]
                for area in areas:
                    self.figures[(ind.id, area.area_type, area.code, period)] = area_figure(self.national, ind, area, period)
                self.figures[(ind.id, "partnership", "partnership", period)] = self._partnership(ind, period, pname)
                mean, median = self._neighbours(ind, period)
                self.figures[(ind.id, "sn_mean", "sn_mean", period)] = mean
                self.figures[(ind.id, "sn_median", "sn_median", period)] = median
            self._assess(ind, polarity_of(ind, self.dictionary))
        rows = [{**asdict(f), "area_type": at, "area_code": code} for (_, at, code, _), f in self.figures.items()]
        frame = pd.DataFrame(rows)[COLUMNS]
        frame["quartile"] = frame["quartile"].astype("Int64")
        frame["_order"] = frame["area_type"].map(AREA_ORDER.index)
        frame = frame.sort_values(["indicator", "_order", "area_code", "time_period"], kind="stable").drop(columns="_order")
        return frame.reset_index(drop=True)


def _dependency_order(indicators: Iterable[Indicator]) -> list[Indicator]:
    """Indicators read from files first, then those computed from them."""
    items = list(indicators)
    return [i for i in items if not i.computed] + [i for i in items if i.computed]


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
                "source": f"{i.source.file}: {i.source.column}" + "".join(f"; {k} = {v}" for k, v in i.source.filters.items())
                if i.source else f"{i.numerator} / {i.denominator} x {MULTIPLIER[i.unit]:g}",
                "numerator": i.numerator,
                "denominator": i.denominator,
                "comparators": list(i.comparators),
            }
            for i in INDICATORS.values()
        },
    }


def build_store(project: Project, params: ReportParams, out_dir: Path | None = None) -> "Store":
    """Compute every figure for a partnership-year; with out_dir, write `store.csv` and `store.json` there."""
    builder = _Builder(project, params)
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

    @classmethod
    def load(cls, folder: Path | str) -> "Store":
        folder = Path(folder)
        frame = pd.read_csv(folder / STORE_CSV, dtype={"area_code": str, "note": str, "direction": str, "judgement": str,
                                                       "rag": str, "quartile": "Int64"},
                            keep_default_na=False, na_values={"value": [""], "quartile": [""]})
        meta = json.loads((folder / STORE_META).read_text(encoding="utf-8"))
        return cls(frame, meta)

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
        f = self.frame
        sel = f[(f.indicator == indicator_id) & (f.area_type == area_type) & (f.time_period == period)]
        if area_code is not None:
            sel = sel[sel.area_code == area_code]
        if sel.empty:
            return Figure(indicator_id, area_type, period, None, State.NOT_AVAILABLE.value, "not in the store")
        row = sel.iloc[0]
        value = None if pd.isna(row.value) else float(row.value)
        q = None if pd.isna(row.quartile) else int(row.quartile)
        return Figure(indicator_id, row.area_name, int(row.time_period), value, row.state, row.note,
                      row.direction, row.judgement, q, row.rag)

    def series(self, indicator_id: str, area_types: Iterable[str] = AREA_ORDER) -> pd.DataFrame:
        """All years of one indicator for the given area types, in report order."""
        self.indicator(indicator_id)
        f = self.frame
        return f[(f.indicator == indicator_id) & (f.area_type.isin(list(area_types)))].copy()

    def public(self) -> "Store":
        """The view that may be published: small counts and what would reveal them suppressed."""
        from .suppression import public_view

        threshold = self.meta["thresholds"]["suppress_below"]
        return Store(public_view(self.frame, self.meta["indicators"], threshold), self.meta)
