"""An audit of suppression by arithmetic: what a reader can work out about each hidden cell.

A reader of a published table knows the cells shown and the relations between cells: each total
is the sum of its parts, the partnership is the sum of its member councils, two half-years make
the financial year. Knowing too that a hidden count is at least 1 (zeros are never hidden) and
that a cell published as not available is at least 0, the reader can narrow each hidden cell to
a feasible range [lo, hi]. This module computes that range with two linear programs per hidden
cell (minimise, maximise; scipy's HiGHS), or directly when the cells linked to it form a single
line (`one_line_range`: most tables, and every single-council report, so scipy is not even
imported), and reports the cells whose range holds fewer than `threshold` whole numbers: those
a reader could pin down too closely.

Cells are any hashable keys. `values` holds every cell's true value (None where even the
publisher has none, e.g. 'x'); `hidden` the cells with a value that are not shown; every other
cell with a value is shown. A line is (total, parts): total = sum(parts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Collection, Hashable, Iterable, Iterator, Mapping, Sequence

import numpy as np

Line = tuple[Hashable, Sequence[Hashable]]  # (total cell, part cells): total = sum of parts
EPSILON = 1e-6


@dataclass(frozen=True)
class Range:
    """The values a hidden cell can take given everything published (hi may be infinite)."""

    lo: float
    hi: float

    @property
    def values(self) -> float:
        """How many whole numbers the range holds (infinite when unbounded above)."""
        if math.isinf(self.hi):
            return math.inf
        return max(0, math.floor(self.hi + EPSILON) - math.ceil(self.lo - EPSILON) + 1)

    def __str__(self) -> str:
        hi = "inf" if math.isinf(self.hi) else f"{self.hi:g}"
        return f"[{self.lo:g}, {hi}]"


def holding_lines(values: Mapping[Hashable, float | None], lines: Iterable[Line]) -> list[Line]:
    """The lines that hold in the true values (total = sum of parts), and those a cell without a
    value leaves open. A line that does not add up (a count of distinct children over two
    half-years is not the sum of the halves' counts) is no equation a reader can use."""
    out = []
    for total, parts in lines:
        cells = [values.get(c) for c in (total, *parts)]
        if any(v is None for v in cells) or abs(cells[0] - sum(cells[1:])) < EPSILON:  # type: ignore[operator, arg-type]
            out.append((total, list(parts)))
    return out


def _components(variables: list[Hashable], lines: list[Line], is_variable: set) -> list[tuple[list[Hashable], list[Line]]]:
    """Variables linked through lines (union-find), each group with the lines that touch it."""
    parent = {v: v for v in variables}

    def find(v: Hashable) -> Hashable:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for total, parts in lines:
        members = [c for c in (total, *parts) if c in is_variable]
        for other in members[1:]:
            a, b = find(members[0]), find(other)
            if a != b:
                parent[b] = a
    groups: dict[Hashable, tuple[list[Hashable], list[Line]]] = {}
    for v in variables:
        groups.setdefault(find(v), ([], []))[0].append(v)
    for line in lines:
        members = [c for c in (line[0], *line[1]) if c in is_variable]
        if members:
            groups[find(members[0])][1].append(line)
    return list(groups.values())


def feasible_ranges(values: Mapping[Hashable, float | None], hidden: Collection[Hashable],
                    lines: Iterable[Line]) -> dict[Hashable, Range]:
    """For every hidden cell, the range of values consistent with the shown cells and the lines.

    Hidden cells are at least 1 (or 0 if the cell's own value is 0, for a rule that hides zeros);
    cells without a value, and cells in a line but not in `values`, are unknown and at least 0.
    """
    return dict(iter_ranges(values, hidden, lines))


def iter_ranges(values: Mapping[Hashable, float | None], hidden: Collection[Hashable],
                lines: Iterable[Line]) -> Iterator[tuple[Hashable, Range]]:
    """feasible_ranges one cell at a time (group by group), so a caller can stop at the first it needs."""
    lines = [(t, list(p)) for t, p in lines]
    hidden = set(hidden)
    in_lines = {c for t, p in lines for c in (t, *p)}
    unknown = {c for c in in_lines | set(values) if values.get(c) is None} - hidden
    is_variable = hidden | unknown
    variables = [c for c in values if c in is_variable] + sorted((c for c in is_variable if c not in values), key=repr)
    for group, group_lines in _components(variables, lines, is_variable):
        index = {v: i for i, v in enumerate(group)}
        rows, rhs = [], []
        for total, parts in group_lines:
            row = np.zeros(len(group))
            constant = 0.0
            for cell, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if cell in index:
                    row[index[cell]] += sign
                else:
                    constant += sign * float(values[cell])  # type: ignore[arg-type]
            rows.append(row)
            rhs.append(-constant)
        bounds = [(min(1.0, float(values[v])) if v in hidden and values.get(v) is not None else 0.0, None) for v in group]
        for v in group:
            if v not in hidden:
                continue
            if not rows:
                yield v, Range(bounds[index[v]][0], math.inf)
                continue
            if len(rows) == 1:  # one line: the range follows from the line itself, no solver needed
                yield v, one_line_range(rows[0], rhs[0], [b for b, _ in bounds], index[v], v)
                continue
            from scipy.optimize import linprog  # here, not at the top: `check` and the CLI start without scipy

            c = np.zeros(len(group))
            c[index[v]] = 1.0
            low = linprog(c, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=bounds, method="highs")
            high = linprog(-c, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=bounds, method="highs")
            if low.status == 2 or high.status == 2:
                raise ValueError(f"the published cells contradict each other around {v!r}: no value fits every total")
            lo = float(low.fun) if low.status == 0 else bounds[index[v]][0]
            hi = -float(high.fun) if high.status == 0 else math.inf
            yield v, Range(lo, hi)


def one_line_range(row: Sequence[float], rhs: float, lows: Sequence[float], i: int, cell: Hashable) -> Range:
    """The range of variable `i` under one equation, sum(row[j] * x[j]) = rhs, with x[j] >= lows[j]
    and no upper bounds: what the two linear programs give, worked out directly.

    The other variables' part S = sum over j != i of row[j] * x[j] can grow without bound if any of
    them has a positive coefficient and fall without bound if any has a negative one; otherwise it
    is bounded by their lower bounds. x[i] = (rhs - S) / row[i], and never below lows[i]. ValueError
    when no values fit (the published cells contradict each other), as the solver's 'infeasible'.
    """
    others = [(a, lo) for j, (a, lo) in enumerate(zip(row, lows)) if j != i and a != 0]
    s_lo = -math.inf if any(a < 0 for a, _ in others) else sum(a * lo for a, lo in others)
    s_hi = math.inf if any(a > 0 for a, _ in others) else sum(a * lo for a, lo in others)
    a = row[i]
    if a == 0:  # x[i] is free of the line; the others must still meet it
        feasible = s_lo - EPSILON <= rhs <= s_hi + EPSILON
        lo, hi = lows[i], math.inf
    else:
        ends = sorted(((rhs - s_hi) / a, (rhs - s_lo) / a))
        lo, hi = max(lows[i], ends[0]), ends[1]
        feasible = hi >= lo - EPSILON
    if not feasible:
        raise ValueError(f"the published cells contradict each other around {cell!r}: no value fits every total")
    return Range(float(lo), float(hi))


def narrow_cells(values: Mapping[Hashable, float | None], hidden: Collection[Hashable], lines: Iterable[Line],
                 threshold: int) -> dict[Hashable, Range]:
    """The hidden cells whose feasible range holds fewer than `threshold` whole numbers, in cell order."""
    return {c: r for c, r in iter_ranges(values, hidden, lines) if r.values < threshold}


def first_narrow_cell(values: Mapping[Hashable, float | None], hidden: Collection[Hashable], lines: Iterable[Line],
                      threshold: int) -> Hashable | None:
    """The first hidden cell (group by group) whose range holds fewer than `threshold` whole numbers."""
    return next((c for c, r in iter_ranges(values, hidden, lines) if r.values < threshold), None)


@dataclass
class AuditResult:
    """What the audit found in one or more tables: how many hidden cells, the narrowest range."""

    hidden: int = 0
    narrowest: float = math.inf  # whole numbers in the narrowest range
    failures: list[tuple[Hashable, Range]] | None = None

    def add(self, ranges: Mapping[Hashable, Range], threshold: int) -> None:
        self.failures = self.failures or []
        self.hidden += len(ranges)
        for cell, r in ranges.items():
            self.narrowest = min(self.narrowest, r.values)
            if r.values < threshold:
                self.failures.append((cell, r))

    def __str__(self) -> str:
        narrowest = "unbounded" if math.isinf(self.narrowest) else f"{self.narrowest:g} values"
        return f"{self.hidden} hidden cells, narrowest feasible range {narrowest}, {len(self.failures or [])} too narrow"
