"""A chapter's view of its local inputs: figures, tables and charts, all from the public view.

For a partnership, rows at the `Partnership` level are used when the file has them; otherwise
the member councils' rows are added up (counts; percentages are recomputed from their counts).
Suppression runs over members and partnership together, before the partnership's rows are
taken, and every table and chart records its count cells (`cell_registry`) for the final gate.
A dataset that was not provided gives a plain sentence saying so, with the reason, instead of
a table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from annualreport.publication.cell_registry import TableCells, write_cells
from annualreport.chapters.charts import bar_alt_text, bar_chart
from annualreport.chapters.fmt import format_value
from annualreport.errors import AnnualReportError
from annualreport.inputs.framework import input_title, inputs_of
from annualreport.inputs.local_data import STATE, read_items, read_not_provided
from annualreport.inputs.local_tables import partnership_rows, public_table, read_local, row_key
from annualreport.inputs.local_schema import (
    DATASET_BY_NAME,
    TEXT_BY_NAME,
    Measure,
    time_period_code,
)
from annualreport.render.markdown_text import inline, paragraphs
from annualreport.render.outputs import Outputs, data_link, pipe_table, text_widths

ANNUAL = "Financial year"
HALVES = {"Part 1 (April to September)": "April to September", "Part 2 (October to March)": "October to March"}
REF = "__ref"  # a row's key, for the registry of published cells


class LocalView:
    def __init__(self, folder: Path, outputs: Outputs, meta: dict, not_provided: dict[str, str] | None = None,
                 chapter: str | None = None):
        self.folder = folder
        self.outputs = outputs
        self.threshold = meta["thresholds"]["suppress_below"]
        self.year = meta["year"]
        self.code = time_period_code(self.year)
        # the inputs not provided that this chapter shows (local_data.read_chapter_not_provided), else all
        self.not_provided = read_not_provided(folder) if not_provided is None else not_provided
        self.chapter = chapter
        self._own = inputs_of([chapter]) if chapter is not None else None  # the inputs it may read
        self._frames: dict[str, pd.DataFrame | None] = {}
        self._said_missing: set[str] = set()

    def _check(self, name: str) -> None:
        """A chapter reads only its own inputs (the framework's inputs_of): its cache key covers those
        files and their not-provided entries, and no others (build.chapter_inputs)."""
        if self._own is None or name in self._own:
            return
        owner = DATASET_BY_NAME.get(name) or TEXT_BY_NAME.get(name)
        whose = f"an input of chapter '{owner.chapter}'" if owner else "not a local input of any chapter"
        raise AnnualReportError(f"chapter '{self.chapter}' reads the local input '{name}', which is {whose}: "
                                "a chapter may read only its own inputs (inputs/local_schema.py names each "
                                "input's chapter), so that a change to an input executes the chapters that show it")

    # -- reading -------------------------------------------------------------------------
    def frame(self, name: str) -> pd.DataFrame | None:
        """The public (suppressed) rows of the partnership for a dataset, or None.

        Suppression runs over the whole table's published cells (the partnership's rows and the
        council cells the store's per-council figures show; see local_tables.public_local) before the
        partnership's rows are taken, so no published figure is a difference of others."""
        self._check(name)
        if name not in self._frames:
            dataset = DATASET_BY_NAME[name]
            raw = read_local(self.folder, name)
            if raw is None:
                self._frames[name] = None
            else:
                public = partnership_rows(public_table(raw, dataset, self.threshold)[1])
                public[REF] = row_key(public, dataset)
                self._frames[name] = public
        return self._frames[name]

    def provided(self, name: str) -> bool:
        self._check(name)
        if name in TEXT_BY_NAME:
            return read_items(self.folder, name) is not None
        frame = self.frame(name)
        return frame is not None and (frame.time_period == self.code).any()

    def missing(self, name: str) -> Markdown:
        """A plain sentence, once per chapter, that the input was not provided, with the reason given."""
        self._check(name)
        if name in self._said_missing:
            return Markdown("")
        self._said_missing.add(name)
        title = input_title(name, self.year)  # in the words of the year's framework
        title = title if title[:2].isupper() else title[0].lower() + title[1:]
        reason = self.not_provided.get(name, "")
        return Markdown(f"*Not provided for {self.year}: {title}.*" + (f" Reason given: {inline(reason).strip().rstrip('.')}." if reason else ""))

    def _measure(self, name: str, measure: str) -> Measure:
        return next(m for m in DATASET_BY_NAME[name].measures if m.name == measure)

    def _rows(self, name: str, where: dict[str, str] | None = None, period: str | None = None) -> pd.DataFrame:
        frame = self.frame(name)
        if frame is None:
            return pd.DataFrame()
        sel = frame[(frame.time_period == (period or self.code)) & (frame.time_identifier == ANNUAL)]
        for col, value in (where or {}).items():
            sel = sel[sel[col] == value]
        return sel

    # -- figures -------------------------------------------------------------------------
    def value(self, name: str, measure: str, where: dict[str, str] | None = None, period: str | None = None) -> float | None:
        rows = self._rows(name, where, period)
        if len(rows) != 1 or rows.iloc[0][measure + STATE] != "value":
            return None
        return float(rows.iloc[0][measure])

    def figure(self, name: str, measure: str, where: dict[str, str] | None = None, period: str | None = None) -> str:
        """One cell as printed, e.g. local.figure('cse_referrals', 'referrals', {'police_division': 'North'}).

        A figure declared as a local indicator (inputs/local_indicators.py: the LADO total, the shares
        concluded in time, attendance...) is read from the store instead, `ch.text('lado_allegations')`,
        so it has one value in every sentence, table and the summary."""
        m = self._measure(name, measure)
        rows = self._rows(name, where, period)
        if len(rows) != 1:
            return "[x]"
        return format_value(rows.iloc[0][measure], m.unit if m.unit != "gbp" else "count", m.dp, rows.iloc[0][measure + STATE])

    # -- tables and charts ---------------------------------------------------------------
    def _cell(self, row: pd.Series, m: Measure) -> str:
        unit = "count" if m.unit == "gbp" else m.unit
        text = format_value(row[m.name], unit, m.dp, row[m.name + STATE])
        return f"£{text}" if m.unit == "gbp" and row[m.name + STATE] == "value" else text

    @staticmethod
    def _ref(name: str, row: pd.Series, m: Measure) -> tuple | None:
        """The registry's reference of a cell that holds a count about children, else None."""
        return ("local", name, m.name, *row[REF]) if m.unit == "count" and m.disclosive else None

    def _register(self, stem: str, path: str | None, header: list[str], refs: list[list[tuple | None]],
                  table: bool = True) -> None:
        """Record the count cells of a table whose CSV has the same rows and columns as the report's table."""
        cells = [(i, j, ref) for i, row in enumerate(refs) for j, ref in enumerate(row) if ref is not None]
        write_cells(self.outputs.build_dir, self.outputs.chapter,
                    TableCells(stem, path, f"tbl-{stem}" if table else None,
                               [(i + 1, header[j], ref) for i, j, ref in cells], [(i, j, ref) for i, j, ref in cells] if table else []))

    def table(self, name: str, caption: str, by: str | None = None, measures: list[str] | None = None,
              where: dict[str, str] | None = None, section: str | None = None) -> Markdown:
        """The report year's rows: one per value of `by` (or one row), one column per measure.

        With `section` (the budget's Income / Expenditure / Reserve), rows are grouped by that
        column, which labels every row, and a section's Total row is named for its section."""
        if not self.provided(name):
            return self.missing(name)
        dataset = DATASET_BY_NAME[name]
        chosen = [m for m in dataset.measures if measures is None or m.name in measures]
        rows = self._rows(name, where)
        labels = [f.label for f in dataset.filters]
        if section:
            order = list(dict.fromkeys(rows[section]))
            rows = rows.assign(_order=rows[section].map(order.index)).sort_values("_order", kind="stable")
        keys = ([section] if section else []) + ([by] if by else [])
        header = [labels[[f.name for f in dataset.filters].index(k)] for k in keys] + [m.label for m in chosen]

        def label(r: pd.Series, k: str) -> str:
            if section and k == by and str(r[k]) == "Total":
                return f"Total {str(r[section]).lower()}"
            return str(r[k])

        body = [[label(r, k) for k in keys] + [self._cell(r, m) for m in chosen] for _, r in rows.iterrows()]
        refs = [[None] * len(keys) + [self._ref(name, r, m) for m in chosen] for _, r in rows.iterrows()]
        stem = self.outputs.next_table()
        path = self.outputs.write_csv(stem, pd.DataFrame(body, columns=header))
        self._register(stem, path, header, refs)
        widths = [14] * bool(section) + [26] * bool(by) + [10] * len(chosen)
        return Markdown(pipe_table(header, body, widths, caption, stem, data_link(path),
                                   row_headers=max(len(keys), 1)))

    def trend_table(self, name: str, measure: str, by: str, caption: str, years: int = 5) -> Markdown:
        """One measure by `by` (rows) and financial year (columns), the last `years` years given."""
        if not self.provided(name):
            return self.missing(name)
        frame = self.frame(name)
        assert frame is not None  # provided
        annual = frame[frame.time_identifier == ANNUAL]
        periods = sorted(p for p in annual.time_period.unique() if p <= self.code)[-years:]
        m = self._measure(name, measure)
        values = list(dict.fromkeys(annual[by]))
        header = [next(f.label for f in DATASET_BY_NAME[name].filters if f.name == by)] + [f"{p[:4]}-{p[4:]}" for p in periods]
        body, refs = [], []
        for v in values:
            cells: list[str] = []
            row_refs: list[tuple | None] = [None]
            for p in periods:
                match = annual[(annual[by] == v) & (annual.time_period == p)]
                cells.append(self._cell(match.iloc[0], m) if len(match) == 1 else "[x]")
                row_refs.append(self._ref(name, match.iloc[0], m) if len(match) == 1 else None)
            body.append([v] + cells)
            refs.append(row_refs)
        stem = self.outputs.next_table()
        path = self.outputs.write_csv(stem, pd.DataFrame(body, columns=header))
        self._register(stem, path, header, refs)
        return Markdown(pipe_table(header, body, [26] + [8] * len(periods), caption, stem, data_link(path)))

    def half_year_table(self, name: str, caption: str, by: str | None = None, measures: list[str] | None = None) -> Markdown:
        """Half-yearly figures (April to September, October to March) in time order.

        With `by` (the police division), the table is a grid: a row per half-year and a column per
        value of `by`, of the one measure (or the first of `measures`)."""
        frame = self.frame(name)
        if frame is None:
            return self.missing(name)
        dataset = DATASET_BY_NAME[name]
        chosen = [m for m in dataset.measures if (measures is None or m.name in measures)]
        halves = frame[frame.time_identifier.isin(list(HALVES))].sort_values(["time_period", "time_identifier"], kind="stable")

        def half(r: pd.Series) -> str:
            return f"{HALVES[r.time_identifier]} {r.time_period[:4] if r.time_identifier.startswith('Part 1') else '20' + r.time_period[4:]}"

        body: list[list[str]] = []
        refs: list[list[tuple | None]] = []
        if by:
            m = chosen[0]
            columns = list(dict.fromkeys(halves[by].astype(str)))
            for (_, _), group in halves.groupby(["time_period", "time_identifier"], sort=False):
                cells = {str(r[by]): r for _, r in group.iterrows()}
                body.append([half(group.iloc[0])] + [self._cell(cells[c], m) if c in cells else "[x]" for c in columns])
                refs.append([None] + [self._ref(name, cells[c], m) if c in cells else None for c in columns])
            header = ["Half-year"] + columns
        else:
            for _, r in halves.iterrows():
                body.append([half(r)] + [self._cell(r, m) for m in chosen])
                refs.append([None] + [self._ref(name, r, m) for m in chosen])
            header = ["Half-year"] + [m.label for m in chosen]
        stem = self.outputs.next_table()
        path = self.outputs.write_csv(stem, pd.DataFrame(body, columns=header))
        self._register(stem, path, header, refs)
        widths = [20] + [9] * (len(header) - 1)
        return Markdown(pipe_table(header, body, widths, caption, stem, data_link(path)))

    def chart(self, name: str, measure: str, by: str, title: str, subtitle: str) -> Markdown:
        """Bars of one measure by `by` for the report year (the Total row left out), with alt text and CSV."""
        if not self.provided(name):
            return self.missing(name)
        m = self._measure(name, measure)
        rows = self._rows(name)
        rows = rows[rows[by] != "Total"]
        data = pd.DataFrame({"category": rows[by], "value": rows[measure], "state": rows[measure + STATE],
                             "unit": m.unit if m.unit != "gbp" else "number", "decimals": m.dp,
                             "ref": [self._ref(name, r, m) for _, r in rows.iterrows()]})
        data = data.sort_values("value", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
        stem = self.outputs.next_chart()
        bar_chart(data, self.outputs.png(stem), m.label)
        columns = ["category", "year", "unit", "value", "state"]
        path = self.outputs.write_csv(stem, data.assign(year=self.year)[columns])
        self._register(stem, path, columns, [[None, None, None, ref, None] for ref in data.ref], table=False)
        label = f"{m.label.lower()} by {by.replace('_', ' ')}"
        alt = bar_alt_text(data, label, data.unit.iloc[0] if len(data) else "count", m.dp, self.year)
        return Markdown(self.outputs.figure_markdown(stem, title, subtitle, alt))

    # -- lists and text ------------------------------------------------------------------
    def items(self, name: str, where: dict[str, str] | None = None) -> list[dict]:
        self._check(name)
        items = read_items(self.folder, name) or []
        return [i for i in items if all(str(i.get(k)) == v for k, v in (where or {}).items())]

    def items_table(self, name: str, columns: dict[str, str], caption: str, where: dict[str, str] | None = None) -> Markdown:
        """A table of a YAML input's items: columns maps item keys to column headings.

        Every cell is the item's text as typed, on one line (pipe_table escapes it)."""
        items = self.items(name, where)
        if not items:
            return self.missing(name)
        body = [[str(i.get(k, "")) for k in columns] for i in items]
        stem = self.outputs.next_table()
        header = list(columns.values())
        return Markdown(pipe_table(header, body, text_widths(header, body), caption, stem))

    def items_sections(self, name: str, heading: str, body: str) -> Markdown:
        """Each item as a section (`##`, under the chapter's heading: a heading never skips a level,
        which PDF/UA requires): its `heading` key as the heading, its `body` key as text.

        Both are shown as typed (escaped), the body's paragraphs kept: a partner's text is never
        read as Markdown, HTML or Typst."""
        items = self.items(name)
        if not items:
            return self.missing(name)
        return Markdown("\n\n".join(f"## {inline(i[heading])} {{.unnumbered}}\n\n{paragraphs(i.get(body, ''))}" for i in items))

