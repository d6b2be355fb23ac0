"""The audit by arithmetic: what a reader can work out about each hidden count.

Unit cases on hand-made tables, properties over random one- and two-way tables checked against
an independent brute-force enumeration, and the audit of what real builds published (the shipped
Lancashire example and the SYNTHETIC four-council fixture)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annualreport.publication.disclosure_audit import feasible_ranges, narrow_cells, one_line_range
from annualreport.publication.gate import small_counts
from annualreport.publication.published_audit import audit_published
from annualreport.publication.suppression import is_small, suppress

THRESHOLD = 6

# Lancashire's LADO allegations by sector, 2009-10: today's published pattern.
SECTORS_2009 = {"Social Care": 80, "Health": 12, "Education": 186, "Foster Care": 61, "Police": 14, "Youth Offending": 0,
                "Probation": 1, "Secure Estate": 0, "Voluntary Organisations": 9, "Faith Groups": 15, "Armed Forces": 1,
                "Immigration": 0, "Ofsted / Early years": 52, "Other": 71}


def one_way(parts: dict[str, int]) -> tuple[dict, list]:
    cells = {k: float(v) for k, v in parts.items()} | {"Total": float(sum(parts.values()))}
    return cells, [("Total", list(parts))]


def test_todays_pattern_a_total_with_two_hidden_ones_fails_the_audit() -> None:
    cells, lines = one_way(SECTORS_2009)
    narrow = narrow_cells(cells, {"Probation", "Armed Forces"}, lines, THRESHOLD)
    assert {k: (r.lo, r.hi) for k, r in narrow.items()} == {"Probation": (1, 1), "Armed Forces": (1, 1)}


def test_suppression_hides_a_third_cell_until_the_pattern_passes() -> None:
    cells, lines = one_way(SECTORS_2009)
    hidden = suppress(cells, lines, THRESHOLD)
    assert hidden == {"Probation", "Armed Forces", "Voluntary Organisations"}  # the smallest non-zero visible part
    assert not narrow_cells(cells, hidden, lines, THRESHOLD)
    assert suppress(cells, lines, THRESHOLD) == hidden  # deterministic


def test_unknown_cells_are_free_and_a_hidden_total_leaves_parts_unbounded() -> None:
    cells = {"a": 3.0, "b": 50.0, "x": None, "T": 53.0}
    ranges = feasible_ranges(cells, {"a", "T"}, [("T", ["a", "b", "x"])])
    assert ranges["a"].lo == 1 and ranges["a"].values == float("inf")
    ranges = feasible_ranges(cells, {"a"}, [("T", ["a", "b", "x"])])
    assert (ranges["a"].lo, ranges["a"].hi) == (1, 3)  # x >= 0 is all a reader knows of it


def test_partnership_minus_member_is_caught() -> None:
    # Kingston's 3 hidden, Richmond's 10 and the partnership's 13 shown.
    cells = {"P": 13.0, "K": 3.0, "R": 10.0}
    assert narrow_cells(cells, {"K"}, [("P", ["K", "R"])], THRESHOLD)["K"].values == 1
    assert not narrow_cells(cells, suppress(cells, [("P", ["K", "R"])], THRESHOLD), [("P", ["K", "R"])], THRESHOLD)


# -- properties, against an enumeration that uses no linear programming ----------------------

def one_way_values(parts: list[int], hidden: set, total_hidden: bool) -> dict[int, set[int] | None]:
    """Every value each hidden part can take (None: unbounded), by formula: the hidden parts share
    what the visible ones leave of the total, each at least 1."""
    if total_hidden:
        return {i: None for i in hidden}
    rest = sum(parts) - sum(v for i, v in enumerate(parts) if i not in hidden)
    return {i: set(range(1, rest - (len(hidden) - 1) + 1)) for i in hidden}


@given(st.lists(st.integers(0, 40), min_size=1, max_size=8))
@settings(max_examples=150, deadline=None)
def test_one_way_every_hidden_part_can_take_threshold_values(parts: list[int]) -> None:
    cells = {i: float(v) for i, v in enumerate(parts)} | {"T": float(sum(parts))}
    hidden = suppress(cells, [("T", list(range(len(parts))))], THRESHOLD)
    assert {k for k, v in cells.items() if is_small(v, THRESHOLD)} <= hidden
    assert all(cells[k] != 0 for k in hidden)  # zeros are never hidden
    values = one_way_values(parts, {k for k in hidden if k != "T"}, "T" in hidden)
    assert all(v is None or len(v) >= THRESHOLD for v in values.values())


def two_way(grid: list[list[int]]) -> tuple[dict, list]:
    """Members (rows) x categories (columns), with totals both ways and the grand total."""
    n, m = len(grid), len(grid[0])
    cells: dict = {(r, c): float(grid[r][c]) for r in range(n) for c in range(m)}
    cells |= {(r, "T"): float(sum(grid[r])) for r in range(n)}
    cells |= {("T", c): float(sum(grid[r][c] for r in range(n))) for c in range(m)}
    cells[("T", "T")] = float(sum(map(sum, grid)))
    lines = [((r, "T"), [(r, c) for c in range(m)]) for r in range(n)]
    lines += [(("T", c), [(r, c) for r in range(n)]) for c in range(m)]
    lines += [(("T", "T"), [(r, "T") for r in range(n)]), (("T", "T"), [("T", c) for c in range(m)])]
    return cells, lines


def brute_force_values(grid: list[list[int]], hidden: set) -> dict:
    """Every value each hidden cell can take, by trying every filling of the hidden inner cells with
    whole numbers from 1 to a cap (the margins follow from the inner cells). The cap is the grand
    total plus the threshold, so a cell unbounded above shows at least `threshold` values."""
    n, m = len(grid), len(grid[0])
    cap = sum(map(sum, grid)) + THRESHOLD
    inner = [(r, c) for r in range(n) for c in range(m) if (r, c) in hidden]
    axes = np.meshgrid(*[np.arange(1, cap + 1) for _ in inner], indexing="ij") if inner else []
    table = {(r, c): np.full(axes[0].shape if inner else (), grid[r][c]) for r in range(n) for c in range(m)}
    for cell, axis in zip(inner, axes):
        table[cell] = axis
    margins = {(r, "T"): sum(table[(r, c)] for c in range(m)) for r in range(n)}
    margins |= {("T", c): sum(table[(r, c)] for r in range(n)) for c in range(m)}
    margins[("T", "T")] = sum(margins[(r, "T")] for r in range(n))
    ok = np.ones(axes[0].shape if inner else (), dtype=bool)
    cells, _ = two_way(grid)
    for key, value in margins.items():
        ok &= (value >= 1) if key in hidden else (value == cells[key])
    full = table | margins
    return {k: set(np.unique(np.broadcast_to(full[k], ok.shape)[ok]).tolist()) for k in hidden}


@given(st.integers(2, 3).flatmap(lambda m: st.lists(st.lists(st.integers(0, 7), min_size=m, max_size=m), min_size=2, max_size=2)))
@settings(max_examples=60, deadline=None)
def test_two_way_every_hidden_cell_can_take_threshold_values_by_enumeration(grid: list[list[int]]) -> None:
    cells, lines = two_way(grid)
    hidden = suppress(cells, lines, THRESHOLD)
    assert {k for k, v in cells.items() if is_small(v, THRESHOLD)} <= hidden
    assert all(cells[k] != 0 for k in hidden)
    inner_hidden = [k for k in hidden if "T" not in k]
    assume(len(inner_hidden) <= 4)  # enumeration stays small
    for cell, values in brute_force_values(grid, hidden).items():
        assert cells[cell] in values
        assert len(values) >= THRESHOLD, (cell, values)


@given(st.lists(st.tuples(st.sampled_from([-1.0, 1.0, 0.0, 2.0]), st.sampled_from([0.0, 1.0])), min_size=1, max_size=6),
       st.integers(-20, 60), st.data())
@settings(max_examples=200, deadline=None)
def test_one_line_range_is_what_the_linear_programs_give(terms: list[tuple[float, float]], rhs: int,
                                                         data: st.DataObject) -> None:
    """The direct range of a cell under one line (used instead of the solver) against scipy's HiGHS."""
    from scipy.optimize import linprog

    row, lows = [a for a, _ in terms], [lo for _, lo in terms]
    i = data.draw(st.integers(0, len(row) - 1))
    c = np.zeros(len(row))
    c[i] = 1.0
    bounds = [(lo, None) for lo in lows]
    low = linprog(c, A_eq=np.array([row]), b_eq=np.array([float(rhs)]), bounds=bounds, method="highs")
    high = linprog(-c, A_eq=np.array([row]), b_eq=np.array([float(rhs)]), bounds=bounds, method="highs")
    if low.status == 2:
        with pytest.raises(ValueError, match="contradict"):
            one_line_range(row, float(rhs), lows, i, "cell")
        return
    r = one_line_range(row, float(rhs), lows, i, "cell")
    assert r.lo == pytest.approx(float(low.fun) if low.status == 0 else lows[i], abs=1e-7)
    assert r.hi == (pytest.approx(-float(high.fun), abs=1e-7) if high.status == 0 else float("inf"))


def test_brute_force_agrees_that_todays_pattern_is_disclosive() -> None:
    # A 2 x 2 table where a reader learns a hidden 1 from a row total: the enumeration sees it.
    grid = [[1, 40], [10, 20]]
    hidden = {(0, 0), (1, 0)}  # column hidden, rows visible: each is pinned by its row total
    values = brute_force_values(grid, hidden)
    assert values[(0, 0)] == {1}


# -- what real builds published -------------------------------------------------------------

# hipss_build, the SYNTHETIC four-council partnership's 2022-23 report: a shared build (conftest.py)
def _threshold(folder: Path) -> int:
    return json.loads((folder / "store.json").read_text(encoding="utf-8"))["thresholds"]["suppress_below"]


@pytest.mark.parametrize("which", ["lancashire_build", "hipss_build"])
def test_no_hidden_count_in_a_published_report_can_be_pinned_down(which: str, request: pytest.FixtureRequest) -> None:
    folder: Path = request.getfixturevalue(which)
    audit = audit_published(folder / "public", folder, _threshold(folder))
    assert audit.result.hidden > 0  # the examples do hide counts
    assert audit.failures == []
    assert audit.result.narrowest >= _threshold(folder)


@pytest.mark.parametrize("which", ["lancashire_build", "hipss_build"])
def test_the_gate_finds_nothing_in_a_published_report(which: str, request: pytest.FixtureRequest) -> None:
    folder: Path = request.getfixturevalue(which)
    store = json.loads((folder / "store.json").read_text(encoding="utf-8"))
    assert small_counts(folder / "public", folder, store["indicators"], _threshold(folder)) == []


def test_hipss_hides_council_counts_behind_the_partnership(hipss_build: Path) -> None:
    # The partnership's tables never show a figure that is the difference of shown figures.
    table = (hipss_build / "public" / "data" / "allegations-table-1.csv").read_text(encoding="utf-8")
    assert "[c]" in table
    assert "SYNTHETIC" in (hipss_build / "public" / "report.html").read_text(encoding="utf-8")


def test_todays_pattern_planted_in_a_published_csv_fails_the_gate(lancashire_build: Path, tmp_path: Path) -> None:
    folder = tmp_path / "report"
    shutil.copytree(lancashire_build, folder)
    path = folder / "public" / "data" / "allegations-table-1.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # Show Voluntary Organisations' 9 again, as before: Probation and Armed Forces are then both 1.
    lines = [",".join(["Voluntary Organisations", "9", *line.split(",")[2:]]) if line.startswith("Voluntary") else line
             for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = json.loads((folder / "store.json").read_text(encoding="utf-8"))
    problems = [str(p) for p in small_counts(folder / "public", folder, store["indicators"], 6)]
    assert "data/allegations-table-1.csv, row 8, column '2009-10': suppressed count can be worked out: " \
           "found [c] with feasible range [1, 1]; expected at least 6 possible values for a hidden count " \
           "(suppress more cells)" in problems, problems
    assert any(p.startswith("data/allegations-table-1.csv, row 12, column '2009-10'") for p in problems)


def test_a_line_that_does_not_add_up_is_not_used() -> None:
    # Distinct children: 8 in each half-year, 12 in the year (some went missing in both halves).
    cells = {"year": 12.0, "half 1": 8.0, "half 2": 3.0}
    hidden = suppress(cells, [("year", ["half 1", "half 2"])], THRESHOLD)
    assert hidden == {"half 2"}  # the halves do not add up to the year, so the year reveals nothing


def test_a_small_count_planted_in_the_html_or_the_markdown_table_is_found(lancashire_build: Path, tmp_path: Path) -> None:
    from annualreport.render.embedded import EmbeddedRenderer

    folder = tmp_path / "report"
    shutil.copytree(lancashire_build, folder)
    markdown, _ = EmbeddedRenderer().combined_markdown(folder)
    store = json.loads((folder / "store.json").read_text(encoding="utf-8"))
    assert small_counts(folder / "public", folder, store["indicators"], 6, markdown) == []
    html = (folder / "public" / "report.html").read_text(encoding="utf-8")
    start = html.index('id="tbl-allegations-table-1"')
    rows = html[start:].split("<tr")
    probation = next(i for i, row in enumerate(rows) if "Probation" in row)
    rows[probation] = rows[probation].replace("[c]", "1", 1)  # 2009-10, the true value
    (folder / "public" / "report.html").write_text(html[:start] + "<tr".join(rows), encoding="utf-8")
    planted = markdown.replace("| Probation | \\[c\\] |", "| Probation | 1 |")  # table text is escaped Markdown
    assert planted != markdown
    problems = [str(p) for p in small_counts(folder / "public", folder, store["indicators"], 6, planted)]
    for file in ("report.html", "report.md"):
        assert (f"{file} (table tbl-allegations-table-1), row 7, column '2009-10': unsuppressed small number: "
                "found 1; expected no count from 1 to 5 in a published file (suppress it)") in problems, problems
    assert len(problems) == 2


def test_the_gate_reads_the_pdf_and_word_tables_from_the_renderers_reading(lancashire_build: Path, tmp_path: Path) -> None:
    """The embedded renderer leaves pandoc's reading of the Markdown (render.DOCUMENT): the gate sees the
    tables the PDF and Word were made from, cell for cell the HTML's, without parsing them again."""
    from annualreport.publication.published_cells import published_cells
    from annualreport.render import DOCUMENT
    from annualreport.render.embedded import EmbeddedRenderer

    folder = tmp_path / "report"
    shutil.copytree(lancashire_build, folder)
    shutil.copytree(folder / "public" / "data", folder / "data")  # where a build has its CSVs while it renders
    EmbeddedRenderer().render(folder, year_end=2014)
    document = json.loads((folder / DOCUMENT).read_text(encoding="utf-8"))
    read = [c for c in published_cells(folder / "public", folder, document) if c.file.startswith("report.md")]
    html = [c for c in published_cells(folder / "public", folder) if c.file.startswith("report.html")]
    assert read and [(c.ref, c.text) for c in read] == [(c.ref, c.text) for c in html]
