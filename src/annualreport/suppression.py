"""Disclosure control: small counts suppressed in everything public, and what would give them away.

Primary suppression hides a count from 1 up to the threshold minus 1 (zero is not disclosive
and stays). Secondary suppression then hides more cells so that no hidden cell can be worked
out by subtraction: in every line of a table (a total and the parts that add up to it) either
nothing is hidden or at least two cells are. A rate or percentage whose count is hidden is
hidden too. The store keeps the true values; only the public view is suppressed.
"""

from __future__ import annotations

from typing import Any, Hashable, Iterable, Mapping, Sequence

import pandas as pd

Line = tuple[Hashable, Sequence[Hashable]]  # (total cell, part cells)
SUPPRESSED = "suppressed"
NOTE = "suppressed to protect small numbers"


def is_small(value: float | None, threshold: int) -> bool:
    """Primary suppression: a count of at least 1 and below the threshold."""
    return value is not None and 0 < value < threshold


def suppress(cells: Mapping[Any, float | None], lines: Iterable[Line], threshold: int) -> set[Any]:
    """The cells to hide: the small ones, then enough others that no line has exactly one hidden.

    `cells` maps each cell to its count (None when there is no value, which counts as hidden
    already, since it gives nothing away). For each line with a single hidden cell, the
    smallest non-zero visible part is hidden too (the total when no part is left).
    """
    lines = list(lines)
    hidden = {k for k, v in cells.items() if is_small(v, threshold)}
    unknown = {k for k, v in cells.items() if v is None}
    changed = True
    while changed:
        changed = False
        for total, parts in lines:
            covered = [c for c in (total, *parts) if c in hidden or c in unknown]
            if len([c for c in covered if c in hidden]) == 0 or len(covered) != 1:
                continue
            visible = [p for p in parts if p not in hidden and p not in unknown]
            nonzero = [p for p in visible if cells[p]]
            pick = min(nonzero or visible, key=lambda p: cells[p], default=None)  # type: ignore[arg-type, return-value]
            hidden.add(pick if pick is not None else total)
            changed = True
    return hidden


def public_view(frame: pd.DataFrame, indicators: Mapping[str, dict], threshold: int) -> pd.DataFrame:
    """The store as it may be published: values hidden by primary and secondary suppression.

    Lines: for each count indicator and year, the partnership total over its member councils.
    With one member, the partnership's figure is the member's, and is hidden with it.
    """
    out = frame.copy()
    key = list(zip(out.indicator, out.area_type, out.area_code, out.time_period))
    value = dict(zip(key, (None if pd.isna(v) else float(v) for v in out.value)))
    hidden: set[Hashable] = set()
    members = sorted({code for (_, at, code, _) in key if at == "member"})
    for (ind, period), _ in out.groupby(["indicator", "time_period"], sort=False):
        if indicators[ind]["unit"] != "count":
            continue
        member_keys = [(ind, "member", c, period) for c in members]
        total_key = (ind, "partnership", "partnership", period)
        cells = {k: value.get(k) for k in (*member_keys, total_key)}
        lines = [(total_key, member_keys)] if len(members) > 1 else []
        chosen = suppress(cells, lines, threshold)
        if len(members) == 1 and chosen:
            chosen = {member_keys[0], total_key}
        others = [(ind, at, code, period) for at, code in (("england", "E92000001"),) if (ind, at, code, period) in value]
        hidden |= chosen | {k for k in others if is_small(value[k], threshold)}
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
