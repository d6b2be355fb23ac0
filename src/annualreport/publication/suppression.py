"""Disclosure control: small counts suppressed in everything public, and what would give them away.

Primary suppression hides a count from 1 up to the threshold minus 1 (zero is not disclosive
and stays, and is never hidden). Secondary suppression then hides more cells so that no hidden
cell can be worked out by arithmetic: in every line of a table (a total and the parts that add
up to it) at least two cells are hidden, and then, while the audit by linear programming
(`disclosure_audit`) finds a hidden cell whose feasible range holds fewer than `threshold` whole
numbers, one more. A rate or percentage whose count is hidden is hidden too. The store keeps
the true values; only the public view is suppressed.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import pandas as pd

from annualreport.publication.disclosure_audit import Line, first_narrow_cell, holding_lines

StoreKey = tuple[str, str, str, int]  # (indicator, area_type, area_code, time_period)
SUPPRESSED = "suppressed"
NOTE = "suppressed to protect small numbers"


def is_small(value: float | None, threshold: int) -> bool:
    """Primary suppression: a count of at least 1 and below the threshold."""
    return value is not None and 0 < value < threshold


def _secondary(cells: Mapping[Any, float | None], lines: list[Line], hidden: set[Any], unknown: set[Any]) -> None:
    """Pattern rule: hide more until no line has exactly one hidden cell (zeros are never hidden)."""
    changed = True
    while changed:
        changed = False
        for total, parts in lines:
            covered = [c for c in (total, *parts) if c in hidden or c in unknown]
            if len([c for c in covered if c in hidden]) == 0 or len(covered) != 1:
                continue
            pick = _next_cell([(total, parts)], cells, hidden | unknown)
            if pick is not None:
                hidden.add(pick)
                changed = True


def _next_cell(lines: list[Line], cells: Mapping[Any, float | None], covered: set[Any]) -> Any:
    """The cell to hide next in these lines: the smallest non-zero visible part, else the first
    non-zero visible total; None when every non-zero cell of the lines is hidden already."""
    parts = [p for _, ps in lines for p in ps if p not in covered and cells.get(p)]
    if parts:
        return min(parts, key=lambda p: cells[p])  # type: ignore[arg-type, return-value]
    return next((t for t, _ in lines if t not in covered and cells.get(t)), None)


def suppress(cells: Mapping[Any, float | None], lines: Iterable[Line], threshold: int) -> set[Any]:
    """The cells to hide so that no small count can be worked out from what is shown.

    `cells` maps each cell to its count (None when there is no value: the cell is unknown to a
    reader and gives nothing away). Primary suppression hides the counts from 1 to threshold - 1;
    secondary suppression hides, in each line with a single hidden cell, its smallest non-zero
    visible part (the total when no part is left). Then the arithmetic audit runs: while a hidden
    cell's feasible range (see `disclosure_audit`) holds fewer than `threshold` whole numbers, one
    more cell of a line it is in is hidden, by the same choice. Zeros are never hidden, so a
    reader knows a hidden count is at least 1, and the audit assumes so. Same input, same cells.
    """
    lines = holding_lines(cells, lines)
    hidden = {k for k, v in cells.items() if is_small(v, threshold)}
    unknown = {k for k, v in cells.items() if v is None}
    _secondary(cells, lines, hidden, unknown)
    for group in _line_groups(lines):
        _protect(cells, group, threshold, hidden, unknown)
    return hidden


def _line_groups(lines: list[Line]) -> list[list[Line]]:
    """Lines that share no cell are independent tables: protected (and audited) one group at a time.

    Each group's lines are in line order, and the groups in the order of their last line. Lines are
    joined through the cells they share (union-find), in time proportional to the cells: a store
    has a line per count indicator and year, over a thousand, each of them read per chapter."""
    leader = list(range(len(lines)))  # each line's way to its group's first line

    def find(i: int) -> int:
        while leader[i] != i:
            leader[i] = leader[leader[i]]
            i = leader[i]
        return i

    holder: dict[Any, int] = {}  # a line holding each cell
    for i, (total, parts) in enumerate(lines):
        for cell in (total, *parts):
            j = holder.setdefault(cell, i)
            a, b = find(i), find(j)
            if a != b:
                leader[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(lines)):
        groups.setdefault(find(i), []).append(i)
    first: dict[tuple, int] = {}  # a line repeated is in the place of its first copy (as lines.index finds it)
    for i, (total, parts) in enumerate(lines):
        first.setdefault((total, tuple(parts)), i)
    return [sorted((lines[i] for i in group), key=lambda ln: first[(ln[0], tuple(ln[1]))])
            for group in sorted(groups.values(), key=lambda g: g[-1])]


def _protect(cells: Mapping[Any, float | None], lines: list[Line], threshold: int, hidden: set[Any],
             unknown: set[Any]) -> None:
    """Hide cells of these lines until the audit finds no hidden cell pinned down too closely."""
    own = {c for t, ps in lines for c in (t, *ps)}
    values = {c: cells.get(c) for c in cells if c in own}
    while True:
        cell = first_narrow_cell(values, hidden & own, lines, threshold)
        if cell is None:
            return
        pick = _next_cell([ln for ln in lines if cell in (ln[0], *ln[1])], cells, hidden | unknown)
        if pick is None:  # every non-zero cell of its lines is hidden: widen to the lines it is linked to
            pick = _next_cell(_linked_lines(cell, lines, hidden | unknown), cells, hidden | unknown)
        if pick is None:
            raise ValueError(f"cannot protect {cell!r}: nothing left to hide in the lines around it")
        hidden.add(pick)


def _linked_lines(cell: Any, lines: list[Line], covered: set[Any]) -> list[Line]:
    """Every line reachable from `cell` through hidden or unknown cells, in line order."""
    reached, frontier = {cell}, [cell]
    while frontier:
        current = frontier.pop()
        for total, parts in lines:
            members = (total, *parts)
            if current in members:
                for c in members:
                    if c in covered and c not in reached:
                        reached.add(c)
                        frontier.append(c)
    return [ln for ln in lines if reached & {ln[0], *ln[1]}]


def store_lines(keys: Iterable[StoreKey], indicators: Mapping[str, dict]) -> list[Line]:
    """What a reader knows of the store's counts: each year, the partnership is the sum of its members.

    With one member the line says the partnership's figure is the member's."""
    keys = list(keys)
    members = sorted({code for (_, at, code, _) in keys if at == "member"})
    present = set(keys)
    lines: list[Line] = []
    for ind, _, _, period in dict.fromkeys((k[0], "", "", k[3]) for k in keys):
        total = (ind, "partnership", "partnership", period)
        if indicators[ind]["unit"] == "count" and total in present:
            lines.append((total, [(ind, "member", c, period) for c in members]))
    return lines


def store_cells(frame: pd.DataFrame) -> dict[StoreKey, float | None]:
    """Each figure of a store-like frame by key: its value, None where there is none."""
    key = zip(frame.indicator, frame.area_type, frame.area_code, frame.time_period)
    return dict(zip(key, (None if pd.isna(v) else float(v) for v in frame.value)))


def public_view(frame: pd.DataFrame, indicators: Mapping[str, dict], threshold: int,
                decided: Iterable[StoreKey] = ()) -> pd.DataFrame:
    """The store as it may be published: values hidden by primary and secondary suppression.

    Lines: for each count indicator and year, the partnership total over its member councils
    (see `store_lines`). England's and the region's small counts are hidden too. The partnership's
    own (local) indicators are not suppressed again here: `decided` lists those hidden by the one
    suppression of their local tables (store/local_figures.py), which the chapters' tables show too.
    """
    out = frame.copy()
    value = store_cells(out)
    key = list(value)
    national = [k for k in key if not indicators[k[0]].get("local")]
    lines = store_lines(national, indicators)
    line_cells = {c for t, ps in lines for c in (t, *ps)}
    cells = {k: v for k, v in value.items() if k in line_cells}
    hidden = suppress(cells, lines, threshold)
    hidden |= {k for k in national if k[1] in ("england", "region") and indicators[k[0]]["unit"] == "count"
               and is_small(value[k], threshold)}
    hidden |= set(decided) & set(key)
    # Rates and percentages made from a hidden count are hidden too.
    for k in key:
        ind, at, code, period = k
        spec = indicators[ind]
        parts = [p for p in (spec.get("numerator"), spec.get("denominator")) if p]
        if spec["unit"] != "count" and any((p, at, code, period) in hidden for p in parts):
            hidden.add(k)
    mask = [k in hidden for k in key]
    out.loc[mask, "value"] = float("nan")
    out.loc[mask, "state"] = SUPPRESSED
    out.loc[mask, "note"] = NOTE
    for col in ("direction", "judgement", "rag"):
        out.loc[mask, col] = ""
    out.loc[mask, "quartile"] = pd.NA
    return out
