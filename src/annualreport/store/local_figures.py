"""The partnership's own figures in the store, beside the national ones.

For each local indicator (inputs/local_indicators.py), each year of the store and each area: every
member council whose file has rows, and the partnership (the file's Partnership rows; else the
members' sum, as local_tables.with_partnership_rows adds them; a percentage is always recomputed from
the area's counts). Each figure has its direction and judgement against the previous year and, in
the report year, a RAG rating against the partnership's target where params set one (green: met,
red: not met). The source column names the local file.

Which figures a published view hides is decided here once, from the local table's one suppression
(local_tables.public_table): a figure is hidden when a cell it is made of is hidden. The store keeps
the true values and records the decision (`hidden`); Store.public() applies it, and the chapters'
tables read the same public table, so a cell is never shown in one place and hidden in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Hashable

import pandas as pd

from annualreport.chapters.compare import judge_change
from annualreport.chapters.fmt import period_label, round_half_up
from annualreport.errors import AnnualReportError
from annualreport.inputs.local_data import ANNUAL, PARTNERSHIP, STATE
from annualreport.inputs.local_tables import public_table, read_local
from annualreport.inputs.local_indicators import LOCAL_BY_ID, LocalIndicator
from annualreport.inputs.local_schema import DATASET_BY_NAME, time_period_code
from annualreport.store.national import State

LOCAL_SOURCE = "local input"


@dataclass
class _Table:
    true: pd.DataFrame
    public: pd.DataFrame
    summed: bool  # the partnership's rows are the members' sum, added by us
    # `true`'s rows as (index label, {column: value}): a figure picks its rows from these in Python,
    # as a few hundred pandas masks over a small table would cost a tenth of a second per store
    rows: list[tuple[Hashable, dict[str, Any]]] = field(init=False)
    has_partnership: bool = field(init=False)  # the table has Partnership rows (given or summed)

    def __post_init__(self) -> None:
        self.rows = list(zip(self.true.index, self.true.to_dict("records")))
        self.has_partnership = any(row["geographic_level"] == PARTNERSHIP for _, row in self.rows)


@dataclass
class LocalFigure:
    """One local figure, with the store's columns (figures.Figure is built from it)."""

    value: float | None
    state: str
    note: str = ""
    source: str = ""
    hidden: bool = False

    @property
    def available(self) -> bool:
        return self.state == State.VALUE.value and self.value is not None


class LocalFigures:
    """Every local indicator's figures for one partnership-year, read from `folder` (None: no inputs)."""

    def __init__(self, folder: Path | None, members: dict[str, str], partnership: str, periods: list[int],
                 threshold: int, targets: dict[str, float], tolerance: float):
        self.folder = folder
        self.members = members
        self.partnership = partnership
        self.periods = periods
        self.threshold = threshold
        self.targets = targets
        self.tolerance = tolerance
        self._tables: dict[str, _Table | None] = {}

    def table(self, name: str) -> _Table | None:
        if name not in self._tables:
            try:
                raw = read_local(self.folder, name) if self.folder is not None and self.folder.is_dir() else None
            except (KeyError, ValueError) as e:  # a build checks inputs first; `indicators` may meet a bad file
                why = f"no column {e}" if isinstance(e, KeyError) else str(e)
                raise AnnualReportError(f"{self.folder}/{name}.csv: cannot be read ({why}); "
                                        "`annualreport check` names each fault") from None
            if raw is None:
                self._tables[name] = None
            else:
                true, public = public_table(raw, DATASET_BY_NAME[name], self.threshold)
                summed = not (raw.geographic_level == PARTNERSHIP).any() and raw.la_code.nunique() > 1
                self._tables[name] = _Table(true, public, summed)
        return self._tables[name]

    def areas(self, ind: LocalIndicator) -> list[tuple[str, str, str]]:
        """(area_type, code, name): the members whose file has rows, in params order, then the partnership."""
        table = self.table(ind.dataset)
        present = {row["la_code"] for _, row in table.rows if row["geographic_level"] != PARTNERSHIP} if table else set()
        return ([("member", code, name) for code, name in self.members.items() if code in present]
                + [("partnership", "partnership", self.partnership)])

    def _count(self, ind: LocalIndicator, area_type: str, code: str, period: int) -> LocalFigure:
        table = self.table(ind.dataset)
        title = DATASET_BY_NAME[ind.dataset].title
        if table is None:
            return LocalFigure(None, State.NOT_AVAILABLE.value, f"not available for {period_label(period)}: the partnership's "
                               f"{title[:1].lower() + title[1:]} were not provided")
        when = time_period_code(period_label(period))
        member = area_type == "member"

        def wanted(row: dict[str, Any]) -> bool:
            if row["time_period"] != when or row["time_identifier"] != ANNUAL:
                return False
            partnership_row = row["geographic_level"] == PARTNERSHIP
            if member and (partnership_row or row["la_code"] != code):
                return False
            if not member and table.has_partnership and not partnership_row:
                return False
            return all(row[column] in values for column, values in ind.where)

        picked = [(label, row) for label, row in table.rows if wanted(row)]
        expected = 1
        for _, values in ind.where:
            expected *= len(values)
        if len(picked) != expected:
            return LocalFigure(None, State.NOT_AVAILABLE.value,
                               f"not available for {period_label(period)}: the local file {ind.dataset}.csv has no figure for that year")
        states = [row[ind.measure + STATE] for _, row in picked]  # type: ignore[operator]
        bad = next((s for s in states if s != State.VALUE.value), None)
        if bad is not None:
            return LocalFigure(None, bad, f"given as {'c (suppressed)' if bad == 'suppressed' else 'x'} in {ind.dataset}.csv "
                                          f"for {period_label(period)}")
        hidden = any(table.public.at[label, ind.measure + STATE] == "suppressed" for label, _ in picked)  # type: ignore[operator]
        how = ("the sum of the member councils' rows in " if area_type == "partnership" and table.summed else "")
        return LocalFigure(float(sum(row[ind.measure] for _, row in picked)), State.VALUE.value,  # type: ignore[misc]
                           source=f"{LOCAL_SOURCE}: {how}{ind.describe()}", hidden=hidden)

    def figure(self, ind: LocalIndicator, area_type: str, code: str, period: int) -> LocalFigure:
        if not ind.is_share:
            return self._count(ind, area_type, code, period)
        num = self._count(LOCAL_BY_ID[ind.numerator], area_type, code, period)  # type: ignore[index]
        den = self._count(LOCAL_BY_ID[ind.denominator], area_type, code, period)  # type: ignore[index]
        hidden = num.hidden or den.hidden
        if not (num.available and den.available):  # a share of a suppressed count is suppressed ([c]), never [x]
            parts = sorted((f for f in (num, den) if not f.available), key=lambda f: f.state != State.SUPPRESSED.value)
            return LocalFigure(None, parts[0].state, parts[0].note, hidden=hidden)
        if not den.value:
            return LocalFigure(None, State.NOT_APPLICABLE.value,
                               f"not available for {period_label(period)}: there was nothing to take a share of", hidden=hidden)
        return LocalFigure(num.value / den.value * 100, State.VALUE.value,  # type: ignore[operator]
                           source=f"{LOCAL_SOURCE}: {ind.describe()}", hidden=hidden)

    def assess(self, ind: LocalIndicator, figure: LocalFigure, previous: LocalFigure | None,
               period: int) -> tuple[str, str, str]:
        """(direction, judgement, rag): against the previous year, and in the report year against the target."""
        direction = judgement = rag = ""
        if previous is not None:
            direction, judgement = judge_change(previous.value if previous.available else None,
                                                figure.value if figure.available else None, ind.decimals,
                                                ind.polarity, self.tolerance)
        target = self.targets.get(ind.id)
        if target is not None and figure.available and period == self.periods[-1]:
            v, t = round_half_up(figure.value, ind.decimals), round_half_up(target, ind.decimals)  # type: ignore[arg-type]
            rag = "green" if (v >= t if ind.polarity != "low" else v <= t) else "red"
        return direction, judgement, rag


def local_meta(ind: LocalIndicator) -> dict:
    """An indicator's entry in store.json, as the national ones have."""
    return {"title": ind.title, "unit": ind.unit, "decimals": ind.decimals, "definition": ind.definition,
            "polarity": ind.polarity, "source": f"{LOCAL_SOURCE}: {ind.describe()}", "dataset": ind.dataset,
            "numerator": ind.numerator, "denominator": ind.denominator, "comparators": [], "local": True}
