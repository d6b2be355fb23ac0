"""The arithmetic audit of what a build published: can a reader pin down any hidden count?

Each registered count cell (see `cell_registry`) is related to its true value: a figure of the
store (`store.csv`) or a cell of a local input (`inputs/`, with the partnership's rows added as
the report adds them). A cell is shown if any published form shows it as a number, hidden if it
was published only as a symbol; cells never published are unknown to a reader. The lines a reader
knows (`suppression.store_lines`, `local_tables.local_lines`) then give each hidden cell its
feasible range (`disclosure_audit`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Hashable

import pandas as pd

from annualreport.publication.cell_registry import Ref
from annualreport.publication.disclosure_audit import AuditResult, Line, feasible_ranges, holding_lines
from annualreport.inputs.local_data import INPUTS
from annualreport.inputs.local_tables import local_lines, read_local, row_key, with_partnership_rows
from annualreport.inputs.local_schema import DATASET_BY_NAME
from annualreport.publication.published_cells import PublishedCell, number, published_cells
from annualreport.store import STORE_CSV, STORE_META
from annualreport.store.figures import Store
from annualreport.publication.suppression import store_cells, store_lines


@dataclass
class PublishedAudit:
    """The audit's result, and where each too-narrow hidden cell was published."""

    result: AuditResult = field(default_factory=AuditResult)
    where: dict[Ref, PublishedCell] = field(default_factory=dict)

    @property
    def failures(self) -> list[tuple[PublishedCell, str]]:
        return [(self.where[ref], str(r)) for ref, r in (self.result.failures or [])]


def _states(cells: list[PublishedCell]) -> tuple[dict[Ref, bool], dict[Ref, PublishedCell]]:
    """Whether each ref is shown anywhere as a number, and its first published place."""
    shown: dict[Ref, bool] = {}
    where: dict[Ref, PublishedCell] = {}
    for cell in cells:
        shown[cell.ref] = shown.get(cell.ref, False) or number(cell.text) is not None
        where.setdefault(cell.ref, cell)
    return shown, where


def _audit(values: dict[Hashable, float | None], refs: dict[Hashable, Ref], shown: dict[Ref, bool],
           lines: list[Line], audit: PublishedAudit, threshold: int) -> None:
    """Audit one table: refs maps its cells to registry refs; unpublished cells are unknown."""
    seen = {cell: values[cell] if refs.get(cell) in shown else None for cell in values}
    hidden = {cell for cell, ref in refs.items() if ref in shown and not shown[ref] and values.get(cell) is not None}
    ranges = feasible_ranges(seen, hidden, holding_lines(values, lines))
    audit.result.add({refs[c]: r for c, r in ranges.items()}, threshold)


def local_frames(private: Path) -> dict[str, pd.DataFrame]:
    """Each local input of the build in `private` as the report shows it (with the partnership's rows)."""
    frames = {}
    for name, dataset in DATASET_BY_NAME.items():
        raw = read_local(private / INPUTS, name)
        if raw is not None:
            frames[name] = with_partnership_rows(raw, dataset)
    return frames


def audit_published(public: Path, private: Path, threshold: int, markdown: str | dict | None = None,
                    cells: list[PublishedCell] | None = None,
                    frames: dict[str, pd.DataFrame] | None = None) -> PublishedAudit:
    """Audit every count published in `public` (CSVs, report tables) against the build in `private`.

    `cells` (`published_cells(public, private, markdown)`) and `frames` (`local_frames(private)`):
    when the caller has read them already."""
    if cells is None:
        cells = list(published_cells(public, private, markdown))
    if frames is None:
        frames = local_frames(private)
    shown, where = _states(cells)
    audit = PublishedAudit(where=where)
    audit.result.add({}, threshold)
    by_table: dict[tuple[str, ...], set[Ref]] = defaultdict(set)
    for ref in shown:
        by_table[ref[:1] if ref[0] == "store" else ref[:3]].add(ref)
    local_tables: dict[str, tuple[list[Line], dict[Hashable, None]]] = {}
    for table in sorted(by_table):
        if table[0] == "store":
            store = Store.load(private) if (private / STORE_CSV).is_file() and (private / STORE_META).is_file() else None
            if store is None:
                continue
            values: dict[Hashable, float | None] = dict(store_cells(store.frame))
            refs = {k: ("store", *k) for k in values}
            _audit(values, refs, shown, store_lines(values, store.meta["indicators"]), audit, threshold)
        else:
            _, name, measure = table
            if name not in frames:
                continue
            frame, dataset = frames[name], DATASET_BY_NAME[name]
            if name not in local_tables:  # one input's lines serve each of its measures
                local_tables[name] = local_lines(frame, dataset)
            lines, unknown = local_tables[name]
            values = {i: (None if pd.isna(v) else float(v)) for i, v in enumerate(frame[measure])}
            refs = {i: ("local", name, measure, *key) for i, key in enumerate(row_key(frame, dataset))}
            _audit(values | unknown, refs, shown, lines, audit, threshold)
    return audit


def describe(audit: PublishedAudit) -> str:
    narrowest = audit.result.narrowest
    return (f"{audit.result.hidden} hidden counts; narrowest feasible range "
            f"{'unbounded' if math.isinf(narrowest) else f'{narrowest:g} values'}; "
            f"{len(audit.result.failures or [])} pinned down to fewer than the threshold")
