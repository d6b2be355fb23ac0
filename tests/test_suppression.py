"""Disclosure control and partnership arithmetic, as properties over random tables (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from annualreport.publication.suppression import is_small, public_view, suppress

THRESHOLD = 6
counts = st.integers(min_value=0, max_value=60)


def recoverable(hidden: set, lines: list[tuple[str, list[str]]]) -> set:
    """Hidden cells an attacker can work out by subtraction: the only hidden cell of a line,
    repeated until nothing more is learnt (a recovered cell helps recover others)."""
    known: set = set()
    progress = True
    while progress:
        progress = False
        for total, parts in lines:
            unknown = [c for c in (total, *parts) if c in hidden and c not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                progress = True
    return known


@given(st.lists(counts, min_size=1, max_size=8))
@settings(deadline=None)
def test_one_way_table_no_hidden_cell_is_recoverable(parts: list[int]) -> None:
    cells = {f"p{i}": float(v) for i, v in enumerate(parts)} | {"total": float(sum(parts))}
    lines = [("total", [f"p{i}" for i in range(len(parts))])]
    hidden = suppress(cells, lines, THRESHOLD)
    assert {k for k, v in cells.items() if is_small(v, THRESHOLD)} <= hidden
    assert not recoverable(hidden, lines)


@given(st.lists(st.lists(counts, min_size=2, max_size=5), min_size=2, max_size=5).filter(
    lambda rows: len({len(r) for r in rows}) == 1))
@settings(max_examples=200, deadline=None)
def test_two_way_table_with_margins_no_cell_is_recoverable_by_subtraction(grid: list[list[int]]) -> None:
    n_rows, n_cols = len(grid), len(grid[0])
    cells: dict = {(r, c): float(grid[r][c]) for r in range(n_rows) for c in range(n_cols)}
    cells |= {(r, "T"): float(sum(grid[r])) for r in range(n_rows)}
    cells |= {("T", c): float(sum(grid[r][c] for r in range(n_rows))) for c in range(n_cols)}
    cells[("T", "T")] = float(sum(map(sum, grid)))
    lines = [((r, "T"), [(r, c) for c in range(n_cols)]) for r in range(n_rows)]
    lines += [(("T", c), [(r, c) for r in range(n_rows)]) for c in range(n_cols)]
    lines += [(("T", "T"), [(r, "T") for r in range(n_rows)]), (("T", "T"), [("T", c) for c in range(n_cols)])]
    hidden = suppress(cells, lines, THRESHOLD)
    assert {k for k, v in cells.items() if is_small(v, THRESHOLD)} <= hidden
    assert not recoverable(hidden, lines)


INDICATORS = {
    "n": {"unit": "count"}, "d": {"unit": "count"},
    "pct": {"unit": "percent", "numerator": "n", "denominator": "d"},
}


def store_frame(members: list[tuple[int, int]]) -> pd.DataFrame:
    """A store-like frame: member counts n and d, the partnership's sums, and the percentage."""
    rows = []
    total_n, total_d = sum(n for n, _ in members), sum(d for _, d in members)
    for i, (n, d) in enumerate(members):
        code = f"{i:03d}"
        rows += [("n", "member", code, n), ("d", "member", code, d), ("pct", "member", code, n / d * 100)]
    rows += [("n", "partnership", "partnership", total_n), ("d", "partnership", "partnership", total_d),
             ("pct", "partnership", "partnership", total_n / total_d * 100)]
    frame = pd.DataFrame(rows, columns=["indicator", "area_type", "area_code", "value"])
    frame["time_period"] = 2024
    for col, default in (("state", "value"), ("note", ""), ("direction", ""), ("judgement", ""), ("rag", "")):
        frame[col] = default
    frame["quartile"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    return frame


member_counts = st.lists(st.tuples(counts, st.integers(min_value=1, max_value=400)).map(lambda t: (min(t), max(t[1], 1))),
                         min_size=2, max_size=4)


@given(member_counts)
def test_partnership_rate_is_summed_numerators_over_summed_denominators(members: list[tuple[int, int]]) -> None:
    frame = store_frame(members)
    pct = frame[(frame.indicator == "pct") & (frame.area_type == "partnership")].value.iloc[0]
    assert pct == sum(n for n, _ in members) / sum(d for _, d in members) * 100


@given(member_counts)
@settings(deadline=None)  # the first example pays for imports and the LP solver's start on a busy machine
def test_public_view_hides_small_counts_their_rates_and_what_reveals_them(members: list[tuple[int, int]]) -> None:
    public = public_view(store_frame(members), INDICATORS, THRESHOLD)
    shown = {(r.indicator, r.area_code): r.value for r in public.itertuples() if r.state == "value"}
    hidden = {(r.indicator, r.area_code) for r in public.itertuples() if r.state == "suppressed"}
    for ind in ("n", "d"):
        codes = [f"{i:03d}" for i in range(len(members))]
        for code, value in zip(codes, (m[0 if ind == "n" else 1] for m in members)):
            if is_small(value, THRESHOLD):
                assert (ind, code) in hidden and ("pct", code) in hidden
        line = [("partnership", [(ind, c) for c in codes])]
        cells_hidden = {c for c in [(ind, "partnership"), *[(ind, c) for c in codes]] if c in hidden}
        assert not recoverable(cells_hidden, [((ind, "partnership"), [(ind, c) for c in codes])]), line
    assert all(v == v for v in shown.values())  # nothing shown as NaN


# -- a threshold the partnership cannot lower by mistake, and the final gate in every layout ----

import nbformat  # noqa: E402

from annualreport.inputs.params import load_params  # noqa: E402
from annualreport.project import Project  # noqa: E402
from conftest import run_cli, seed_cache  # noqa: E402


def set_year(project, status: str = "draft", suppress_below: int = 6) -> None:  # type: ignore[no-untyped-def]
    """Edit Lancashire 2013-14's params in place (lines keep their numbers)."""
    path = project / "params" / "lancashire" / "2013-14.yml"
    text = path.read_text(encoding="utf-8").replace("status: draft", f"status: {status}")
    path.write_text(text.replace("suppress_below: 6", f"suppress_below: {suppress_below}"), encoding="utf-8")


def test_a_final_build_with_suppress_below_1_is_refused(project) -> None:  # type: ignore[no-untyped-def]
    set_year(project, status="final", suppress_below=1)
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode != 0
    assert "params/lancashire/2013-14.yml: invalid parameters" in proc.stderr
    assert ("key 'thresholds.suppress_below' (line 25): 1 is below the partnership's minimum_suppression of 6 "
            "(params/lancashire.yml)") in proc.stderr, proc.stderr
    assert "a final report may not lower the threshold" in proc.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()


def test_a_draft_with_a_lowered_threshold_warns(project) -> None:  # type: ignore[no-untyped-def]
    set_year(project, suppress_below=3)
    params = load_params(Project(project), "lancashire", "2013-14")
    assert len(params.warnings) == 1
    assert "3 is below the partnership's minimum_suppression of 6" in params.warnings[0]
    assert "allowed in a draft only" in params.warnings[0]


def test_a_partnership_may_declare_a_higher_minimum(project) -> None:  # type: ignore[no-untyped-def]
    path = project / "params" / "lancashire.yml"
    path.write_text(path.read_text(encoding="utf-8") + "minimum_suppression: 10\n", encoding="utf-8")
    set_year(project, status="final")
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode != 0
    assert "6 is below the partnership's minimum_suppression of 10" in proc.stderr


def test_a_final_build_fails_on_a_small_count_planted_in_a_year_per_column_table(project, lancashire_build) -> None:  # type: ignore[no-untyped-def]
    set_year(project, status="final")
    seed_cache(project, lancashire_build)  # the unchanged chapters are reused; the changed one is executed
    notebook = project / "notebooks" / "allegations.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    # A chapter that rewrites a published trend table, showing a suppressed count (Probation, 2009-10: 1).
    nb.cells.append(nbformat.v4.new_code_cell(
        'import pandas as pd\n'
        't = pd.read_csv("data/allegations-table-1.csv", dtype=str, keep_default_na=False)\n'
        't.loc[t["Employment sector"] == "Probation", "2009-10"] = "1"\n'
        't.to_csv("data/allegations-table-1.csv", index=False, lineterminator="\\n")'))
    nbformat.write(nb, notebook)
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert proc.returncode == 1, proc.stderr
    assert "a final report may not publish small numbers; nothing was built" in proc.stderr
    assert "data/allegations-table-1.csv, row 8, column '2009-10': unsuppressed small number: found 1" in proc.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()


# -- local tables: members against the partnership, half-years against the year ----------------

from annualreport.publication.disclosure_audit import narrow_cells as _narrow  # noqa: E402
from annualreport.inputs.local_data import STATE  # noqa: E402
from annualreport.inputs.local_tables import local_lines, public_local  # noqa: E402
from annualreport.inputs.local_schema import DATASET_BY_NAME  # noqa: E402


def local_frame(rows: list[tuple[str, str, str, float]], measure: str = "notifications") -> pd.DataFrame:
    """A local table of one measure: (time_identifier, geographic_level, la_code, value) rows."""
    frame = pd.DataFrame([{"time_period": "202324", "time_identifier": ti, "geographic_level": level, "la_code": code,
                           "la_name": code, measure: value, measure + STATE: "value"} for ti, level, code, value in rows])
    for m in DATASET_BY_NAME["private_fostering"].measures:
        if m.name != measure:
            frame[m.name], frame[m.name + STATE] = float("nan"), "not available"
    return frame


def test_a_council_count_is_not_the_partnership_minus_the_other_council() -> None:
    # Kingston 3, Richmond 10, the partnership 13: hiding Kingston alone gives it away.
    dataset = DATASET_BY_NAME["private_fostering"]
    frame = local_frame([("Financial year", "Local authority", "314", 3), ("Financial year", "Local authority", "318", 10),
                         ("Financial year", "Partnership", "", 13)])
    public = public_local(frame, dataset, THRESHOLD)
    hidden = {i for i, s in enumerate(public["notifications" + STATE]) if s == "suppressed"}
    assert 0 in hidden and len(hidden) >= 2
    lines, _ = local_lines(frame, dataset)
    assert not _narrow(dict(enumerate(frame.notifications)), hidden, lines, THRESHOLD)
    assert public.loc[0, "visited_in_time_percent" + STATE] != "value"


def test_a_half_year_is_not_the_year_minus_the_other_half() -> None:
    dataset = DATASET_BY_NAME["private_fostering"]
    frame = local_frame([("Part 1 (April to September)", "Local authority", "888", 2),
                         ("Part 2 (October to March)", "Local authority", "888", 40),
                         ("Financial year", "Local authority", "888", 42)])
    public = public_local(frame, dataset, THRESHOLD)
    hidden = {i for i, s in enumerate(public["notifications" + STATE]) if s == "suppressed"}
    assert hidden == {0, 1}  # the other half goes too (the year is the larger cell)
    lines, _ = local_lines(frame, dataset)
    assert lines == [(2, [0, 1])]


def test_percentage_of_a_hidden_count_shows_c() -> None:
    from annualreport.chapters.fmt import format_value

    dataset = DATASET_BY_NAME["private_fostering"]
    frame = local_frame([("Financial year", "Local authority", "888", 30)], measure="visited_in_time")
    frame["arrangements"], frame["arrangements" + STATE] = 3.0, "value"
    frame["visited_in_time_percent"], frame["visited_in_time_percent" + STATE] = 10.0, "value"
    public = public_local(frame, dataset, THRESHOLD)
    state = public.loc[0, "visited_in_time_percent" + STATE]
    assert format_value(public.loc[0, "visited_in_time_percent"], "percent", 0, state) == "[c]"


member_lists = st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=4)


@given(member_lists)
@settings(deadline=None)
def test_public_view_leaves_every_hidden_member_at_least_threshold_values(members: list[int]) -> None:
    frame = store_frame([(n, max(n, 1) + 50) for n in members])
    public = public_view(frame, INDICATORS, THRESHOLD)
    hidden = {r.area_code for r in public.itertuples() if r.indicator == "n" and r.state == "suppressed"}
    if "partnership" in hidden:
        return  # the total is hidden too: the members are unbounded above
    hidden_members = [int(code) for code in hidden]
    rest = sum(members) - sum(v for i, v in enumerate(members) if i not in hidden_members)
    # Independently of the audit: hidden members share `rest`, each at least 1.
    assert not hidden_members or rest - (len(hidden_members) - 1) >= THRESHOLD


# -- local tables with council rows: only what is published is suppressed ----------------------

from hypothesis import assume  # noqa: E402

from annualreport.inputs.local_tables import public_table, published_rows  # noqa: E402

OUTCOMES = ("Substantiated", "Unfounded", "False")  # councils' Substantiated and Total rows are published


def outcomes_frame(members: list[list[int]]) -> pd.DataFrame:
    """lado_outcomes as read (read_local) for councils with the given outcome counts; no partnership rows
    (the report adds them: the councils' sums)."""
    rows = []
    for i, values in enumerate(members):
        for outcome, v in (*zip(OUTCOMES, values), ("Total", sum(values))):
            rows.append({"time_period": "202223", "time_identifier": "Financial year", "geographic_level": "Local authority",
                         "la_code": f"{900 + i}", "la_name": f"Council {i}", "outcome": outcome,
                         "allegations": float(v), "allegations" + STATE: "value"})
    return pd.DataFrame(rows)


council_outcomes = st.lists(st.lists(st.integers(min_value=0, max_value=25), min_size=3, max_size=3), min_size=2, max_size=4)


@given(council_outcomes)
@settings(deadline=None, max_examples=60)
def test_no_hidden_published_local_count_can_be_worked_out(members: list[list[int]]) -> None:
    dataset = DATASET_BY_NAME["lado_outcomes"]
    true, public = public_table(outcomes_frame(members), dataset, THRESHOLD)
    published = published_rows(true, dataset)["allegations"]  # type: ignore[index]
    hidden = {i for i, s in enumerate(public["allegations" + STATE]) if s == "suppressed"}
    assert hidden <= published  # a cell no output shows is never suppressed
    for i in published:  # no small count is shown
        assert i in hidden or not is_small(true.allegations[i], THRESHOLD)
    lines, unknown = local_lines(true, dataset)
    seen = {i: (float(v) if i in published else None) for i, v in enumerate(true.allegations)} | dict(unknown)
    assert not _narrow(seen, hidden, lines, THRESHOLD)  # the audit: each hidden count keeps >= threshold values


@given(council_outcomes)
@settings(deadline=None, max_examples=60)
def test_a_total_whose_small_parts_are_unpublished_is_not_hidden(members: list[list[int]]) -> None:
    dataset = DATASET_BY_NAME["lado_outcomes"]
    true, public = public_table(outcomes_frame(members), dataset, THRESHOLD)
    published = published_rows(true, dataset)["allegations"]  # type: ignore[index]
    assume(not any(is_small(true.allegations[i], THRESHOLD) for i in published))
    assume(any(is_small(v, THRESHOLD) for v in true.allegations))  # some unpublished council part is small
    assert (public["allegations" + STATE] == "value").all()


from annualreport.publication.suppression import _line_groups  # noqa: E402

_cells = st.integers(min_value=0, max_value=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_cells, st.lists(_cells, max_size=3)), max_size=12))
def test_lines_sharing_a_cell_are_protected_together(lines: list[tuple[int, list[int]]]) -> None:
    groups = _line_groups(lines)
    assert sorted(map(repr, (ln for g in groups for ln in g))) == sorted(map(repr, lines))  # every line, once
    cells = [{c for total, parts in g for c in (total, *parts)} for g in groups]
    assert all(not (a & b) for i, a in enumerate(cells) for b in cells[i + 1:])  # groups share no cell
    for g in groups:  # and no group splits into two that share none
        reached, grown = {g[0][0], *g[0][1]}, True
        while grown:
            grown = False
            for total, parts in g:
                if reached & {total, *parts} and not {total, *parts} <= reached:
                    reached |= {total, *parts}
                    grown = True
        assert reached == {c for total, parts in g for c in (total, *parts)}
        assert [lines.index(ln) for ln in g] == sorted(lines.index(ln) for ln in g)  # in line order
    last = [max(i for i, ln in enumerate(lines) if ln in g) for g in groups]
    assert last == sorted(last)  # groups in the order of their last line
