"""The indicator store: every figure of one partnership-year, computed once.

`build_store` reads the national statistics and writes one long table: for each indicator,
area (each member council, the partnership, England, the region, the statistical-neighbour
mean) and year, a value and its state. Chapters, tables, charts and sentences read figures
only from here, so one figure has one value everywhere.

The partnership's figures: counts are summed over member councils; rates and percentages are
recomputed from the summed numerators and denominators, never averaged. With a single member
the partnership's figures are that council's published figures.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from .indicators import INDICATORS, MULTIPLIER, Indicator, polarity_of
from .national import Cell, State, read_ees
from .params import ReportParams
from .project import Project
from .reference import local_authorities, statistical_neighbours

STORE_CSV = "store.csv"
STORE_META = "store.json"
COLUMNS = ["indicator", "area_type", "area_code", "area_name", "time_period", "value", "state", "note"]
AREA_ORDER = ["partnership", "member", "england", "region", "sn_mean"]


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

    @property
    def available(self) -> bool:
        return self.state == State.VALUE.value and self.value is not None


class _Published:
    """Published cells of one source column, looked up by (level, code, time_period)."""

    def __init__(self, project: Project, indicator: Indicator):
        assert indicator.source is not None
        src = indicator.source
        frame = read_ees(project.national_dir / src.file)
        if src.column not in frame.columns:
            raise KeyError(f"{src.file}: no column '{src.column}' (indicator {indicator.id})")
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
            where = f"{src.file}, time_period {period}, column {src.column}"
            self.cells[(level, code, int(period))] = Cell.parse(raw, where)
            if level == "Local authority":
                self.la_regions[(la_code, int(period))] = region

    def get(self, level: str, code: str, period: int) -> Cell | None:
        return self.cells.get((level, code, period + self.offset))


def _ratio(num: Figure, den: Figure, multiplier: float) -> tuple[float | None, str, str]:
    if num.available and den.available and den.value:
        return num.value / den.value * multiplier, State.VALUE.value, ""  # type: ignore[operator]
    bad = num if not num.available else den
    return None, bad.state, bad.note


class _Builder:
    def __init__(self, project: Project, params: ReportParams):
        self.project = project
        self.params = params
        report = params.report
        self.periods = list(range(report.time_period - report.history_years, report.time_period + 1))
        self.members = [m.la_code for m in params.partnership.members]
        las = local_authorities(project.reference_dir)
        self.member_names = {m.la_code: las[m.la_code].name for m in params.partnership.members}
        sn = statistical_neighbours(project.reference_dir, params.partnership.statistical_neighbours)
        neighbours: list[str] = []
        for code in self.members:
            neighbours += [n for n in sn.get(code, []) if n not in self.members and n not in neighbours]
        self.neighbours = neighbours
        self.figures: dict[tuple[str, str, str, int], Figure] = {}
        self.region_name = ""

    # -- one indicator for one area -----------------------------------------------------
    def _area_figure(self, ind: Indicator, pubs: dict[str, _Published], area: Area, period: int) -> Figure:
        """A member council's, England's, the region's or a neighbour's figure."""
        if ind.computed:
            num = self._area_figure(INDICATORS[ind.numerator], pubs, area, period)  # type: ignore[index]
            den = self._area_figure(INDICATORS[ind.denominator], pubs, area, period)  # type: ignore[index]
            value, state, note = _ratio(num, den, MULTIPLIER[ind.unit])
            return Figure(ind.id, area.name, period, value, state, note)
        pub = pubs[ind.id]
        level = {"member": "Local authority", "england": "National", "region": "Regional"}[area.area_type]
        cell = pub.get(level, area.code, period)
        if cell is None:
            note = f"no data for {area.name} in {period - 1}-{str(period)[2:]} ({pub.file})"
            return Figure(ind.id, area.name, period, None, State.NOT_AVAILABLE.value, note)
        return Figure(ind.id, area.name, period, cell.value, cell.state.value)

    def _partnership_figure(self, ind: Indicator, period: int, name: str) -> Figure:
        parts = [self.figures[(ind.id, "member", code, period)] for code in self.members]
        if len(parts) == 1:
            f = parts[0]
            return Figure(ind.id, name, period, f.value, f.state, f.note)
        if ind.is_count:
            missing = [p for p in parts if not p.available]
            if missing:
                return Figure(ind.id, name, period, None, missing[0].state, missing[0].note)
            return Figure(ind.id, name, period, sum(p.value for p in parts), State.VALUE.value)  # type: ignore[misc]
        num = self.figures[(ind.numerator, "partnership", "partnership", period)]  # type: ignore[index]
        den = self.figures[(ind.denominator, "partnership", "partnership", period)]  # type: ignore[index]
        value, state, note = _ratio(num, den, MULTIPLIER[ind.unit])
        return Figure(ind.id, name, period, value, state, note)

    def _sn_figure(self, ind: Indicator, pubs: dict[str, _Published], period: int) -> Figure:
        """The mean of the statistical neighbours' own figures (rates and percentages only)."""
        name = "Statistical neighbours (mean)"
        if ind.is_count:
            return Figure(ind.id, name, period, None, State.NOT_APPLICABLE.value, "counts are not compared across areas")
        figures = [self._area_figure(ind, pubs, Area("member", code, code), period) for code in self.neighbours]
        values = [f.value for f in figures if f.available]
        if not values:
            return Figure(ind.id, name, period, None, State.NOT_AVAILABLE.value, "no statistical neighbour has data")
        note = f"mean of {len(values)} of {len(self.neighbours)} neighbours"
        return Figure(ind.id, name, period, sum(values) / len(values), State.VALUE.value, note)  # type: ignore[arg-type]

    def build(self) -> pd.DataFrame:
        pubs = {i.id: _Published(self.project, i) for i in INDICATORS.values() if not i.computed}
        ref_pub = pubs["referrals"]
        first = self.members[0]
        region_names = {p: ref_pub.la_regions.get((first, p)) for p in self.periods}
        self.region_name = next((r for p, r in sorted(region_names.items(), reverse=True) if r), "")
        pname = self.params.partnership.short_name
        for ind in _dependency_order(INDICATORS.values()):
            for period in self.periods:
                areas = [Area("member", c, self.member_names[c]) for c in self.members]
                areas += [Area("england", "E92000001", "England"), Area("region", self.region_name, self.region_name)]
                for area in areas:
                    self.figures[(ind.id, area.area_type, area.code, period)] = self._area_figure(ind, pubs, area, period)
                self.figures[(ind.id, "partnership", "partnership", period)] = self._partnership_figure(ind, period, pname)
                self.figures[(ind.id, "sn_mean", "sn_mean", period)] = self._sn_figure(ind, pubs, period)
        rows = [
            {**asdict(f), "area_type": at, "area_code": code}
            for (ind_id, at, code, period), f in self.figures.items()
        ]
        frame = pd.DataFrame(rows)[COLUMNS]
        frame["_order"] = frame["area_type"].map(AREA_ORDER.index)
        frame = frame.sort_values(["indicator", "_order", "area_code", "time_period"], kind="stable").drop(columns="_order")
        return frame.reset_index(drop=True)


def _dependency_order(indicators: Iterable[Indicator]) -> list[Indicator]:
    """Indicators read from files first, then those computed from them."""
    items = list(indicators)
    return [i for i in items if not i.computed] + [i for i in items if i.computed]


def build_store(project: Project, params: ReportParams, out_dir: Path) -> "Store":
    """Compute every figure for a partnership-year and write `store.csv` and `store.json` to out_dir."""
    builder = _Builder(project, params)
    frame = builder.build()
    report = params.report
    meta = {
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
            "comparator": "mean of the neighbours' values",
        },
        "thresholds": report.thresholds.model_dump(),
        "indicators": {
            i.id: {
                "title": i.title,
                "unit": i.unit,
                "decimals": i.decimals,
                "definition": i.definition,
                "polarity": polarity_of(i, project.reference_dir / "lait_data_dictionary.csv"),
                "source": f"{i.source.file}: {i.source.column}" if i.source else f"{i.numerator} / {i.denominator}",
            }
            for i in INDICATORS.values()
        },
    }
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
        frame = pd.read_csv(folder / STORE_CSV, dtype={"area_code": str, "note": str}, keep_default_na=False, na_values={"value": [""]})
        meta = json.loads((folder / STORE_META).read_text(encoding="utf-8"))
        return cls(frame, meta)

    def indicator(self, indicator_id: str) -> dict:
        try:
            return self.meta["indicators"][indicator_id]
        except KeyError:
            raise KeyError(f"unknown indicator '{indicator_id}' (known: {', '.join(sorted(self.meta['indicators']))})") from None

    def figure(self, indicator_id: str, area_type: str = "partnership", period: int | None = None, area_code: str | None = None) -> Figure:
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
        return Figure(indicator_id, row.area_name, int(row.time_period), value, row.state, row.note)

    def series(self, indicator_id: str, area_types: Iterable[str] = AREA_ORDER) -> pd.DataFrame:
        """All years of one indicator for the given area types, in report order."""
        self.indicator(indicator_id)
        f = self.frame
        wanted = list(area_types)
        out = f[(f.indicator == indicator_id) & (f.area_type.isin(wanted))].copy()
        return out

