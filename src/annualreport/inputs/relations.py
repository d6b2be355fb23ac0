"""Consistency across local files: the relations declared in `local_schema.RELATIONS`.

One figure must have one value. The LADO files count the same allegations three ways (by sector, by
outcome, by time to resolution); a budget's income less its expenditure is the movement in its
reserve; a course has at least as many places as attendees. For each period and area where every
figure of a relation is present (a number, not a symbol), the relation must hold; each fault names
both files, their rows and values, and why the figures must agree.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import PurePosixPath

from annualreport.inputs.local_schema import RELATIONS, STANDARD_COLUMNS, Relation, Term

Row = dict[str, str]
Position = tuple[str, int, Decimal]  # file label, spreadsheet row, value


def _value(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").strip())
    except ArithmeticError:
        return None  # blank or an EES symbol: nothing to compare


def _side(terms: tuple[Term, ...], tables: dict[str, tuple[str, list[tuple[int, Row]]]],
          by: tuple[str, ...]) -> dict[tuple[str, ...], list[tuple[int, Position]]]:
    """For each period and area (and `by` value): the signed figures of the terms found there."""
    found: dict[tuple[str, ...], list[tuple[int, Position]]] = defaultdict(list)
    for term in terms:
        if term.dataset not in tables:
            continue
        label, rows = tables[term.dataset]
        for number, row in rows:
            if any(row.get(column, "").strip() != value for column, value in term.where):
                continue
            value = _value(row.get(term.measure, ""))
            if value is None:
                continue
            key = tuple(row.get(c, "").strip() for c in (*STANDARD_COLUMNS, *by))
            found[key].append((term.sign, (label, number, value)))
    return found


def _describe(figures: list[tuple[int, Position]], terms: tuple[Term, ...]) -> str:
    parts = []
    for (sign, (label, row, value)), term in zip(figures, terms):
        what = " ".join(v for _, v in term.where) or term.measure
        parts.append(f"{'less ' if sign < 0 and parts else ''}{PurePosixPath(label).name} row {row} ({what}) {value:,}")
    return ", ".join(parts)


Fault = tuple[str, int, str, str, str]  # file, row, column, found, expected


def relation_faults(relation: Relation, tables: dict[str, tuple[str, list[tuple[int, Row]]]]) -> list[Fault]:
    """(file, row, column, found, expected) for each period and area where `relation` fails, placed
    on the first figure of its left side."""
    left, right = _side(relation.left, tables, relation.by), _side(relation.right, tables, relation.by)
    faults = []
    for key in sorted(set(left) & set(right)):
        a, b = left[key], right[key]
        if len(a) != len(relation.left) or len(b) != len(relation.right):
            continue  # a term is missing or not a number here: nothing to compare
        sum_a = sum(sign * v for sign, (_, _, v) in a)
        sum_b = sum(sign * v for sign, (_, _, v) in b)
        holds = sum_a == sum_b if relation.op == "==" else sum_a >= sum_b
        if holds:
            continue
        area = key[4] or "the partnership"
        period = f"{key[0][:4]}-{key[0][4:]}" + ("" if key[1] == "Financial year" else f" {key[1]}")
        found = (f"{_describe(a, relation.left)}"
                 + (f" = {sum_a:,}" if len(a) > 1 else "")
                 + f" but {_describe(b, relation.right)}" + (f" = {sum_b:,}" if len(b) > 1 else "")
                 + f", for {area} {period}")
        expected = ("the same" if relation.op == "==" else "at least as many") + f": {relation.why}"
        file, row = a[0][1][0], a[0][1][1]
        faults.append((file, row, relation.left[0].measure, found, expected))
    return faults


def all_relation_faults(tables: dict[str, tuple[str, list[tuple[int, Row]]]]) -> list[Fault]:
    """Every declared relation checked on the tables read (dataset -> (file label, numbered rows))."""
    return [fault for relation in RELATIONS for fault in relation_faults(relation, tables)]
