"""What a chapter writes beside its notebook: chart PNGs, data CSVs, records for the summary.

Names are numbered per chapter (`figures/front_door-1.png`, `data/front_door-1.csv`), so a
chapter writes the same files every time it runs with the same inputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from annualreport.render.markdown_text import attribute, inline

# A spreadsheet runs a cell that starts with one of these as a formula (=cmd|' /C calc'!A0).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[-+]?£?(\d[\d,]*)?(\.\d+)?%?")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet shows as text: prefixed with ' when it starts like a formula.

    Numbers, and text that is only a number as the report prints it ('-5', '-1,234', '-2.5%'),
    are left alone: a spreadsheet reads them as numbers, never as formulas.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    return value if any(c.isdigit() for c in value) and NUMBER.fullmatch(value) else "'" + value


class Outputs:
    def __init__(self, build_dir: Path, chapter: str):
        self.build_dir = build_dir
        self.chapter = chapter
        self._charts = 0
        self._tables = 0

    def next_chart(self) -> str:
        self._charts += 1
        return f"{self.chapter}-{self._charts}"

    def next_table(self) -> str:
        self._tables += 1
        return f"{self.chapter}-table-{self._tables}"

    def png(self, stem: str) -> Path:
        return self.build_dir / "figures" / f"{stem}.png"

    def write_csv(self, stem: str, frame: pd.DataFrame) -> str:
        """Write the data of a chart or table; returns its path relative to the build folder.

        Text cells that a spreadsheet would run as a formula are written with a leading ' (see
        `spreadsheet_safe`), so a published CSV opened in Excel never runs one.
        """
        path = self.build_dir / "data" / f"{stem}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = frame.rename(columns=spreadsheet_safe).apply(
            lambda column: column if pd.api.types.is_numeric_dtype(column) else column.map(spreadsheet_safe))
        frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
        return f"data/{stem}.csv"

    @staticmethod
    def figure_markdown(stem: str, title: str, subtitle: str, alt: str) -> str:
        """A figure with a headline title, a subtitle stating the data, and alt text (Quarto's fig-alt)."""
        alt = attribute(alt)
        return (f'![**{title}**. {subtitle}](figures/{stem}.png){{#fig-{stem} fig-alt="{alt}"}}\n\n'
                f"{data_link(f'data/{stem}.csv', 'chart')}\n")

    def record(self, names: list[str]) -> None:
        """Record the indicators this chapter reports, for the summary at a glance."""
        path = self.build_dir / "records" / f"{self.chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = json.loads(path.read_text()) if path.exists() else []
        existing += [n for n in names if n not in existing]
        path.write_text(json.dumps(existing, indent=1) + "\n", encoding="utf-8")

    def record_chart(self, stem: str, facts: dict) -> None:
        """Record what a chart says and shows (title, alt text, colours), for the accessibility checks;
        kept beside the build's records (records/<stem>.json, cached with the chapter), never published."""
        path = self.build_dir / "records" / f"{stem}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    def recorded(self, chapters: list[str]) -> list[tuple[str, str]]:
        """(chapter, indicator) pairs recorded by the given chapters, in chapter order."""
        out = []
        for ch in chapters:
            path = self.build_dir / "records" / f"{ch}.json"
            if path.exists():
                out += [(ch, ind) for ind in json.loads(path.read_text(encoding="utf-8"))]
        return out


def data_link(path: str, what: str = "table") -> str:
    """The link to a chart's or table's CSV; writers.lua names the figure or table and, in HTML,
    embeds the CSV in the link, so it works wherever report.html is published."""
    return f"[Download the data for this {what} (CSV)]({path})."


def text_widths(header: list[str], rows: list[list[str]], line: int = 90) -> list[int]:
    """Column widths (in characters, as pipe_table's dashes) for a table of text: a column whose text is
    short (a status) gets what its header and longest word need, so nothing runs out of its cell; the
    columns of long text share the rest of a line of about `line` characters, by their average length."""
    n = len(header)
    floors = [min(30, max([len(header[i]), *(len(w) for r in rows for w in r[i].split())])) + 2 for i in range(n)]
    means = [sum(len(r[i]) for r in rows) / max(len(rows), 1) for i in range(n)]
    short = [means[i] <= 2 * floors[i] for i in range(n)]
    if all(short):
        return floors
    rest = max(line - sum(f for f, s in zip(floors, short) if s), 10 * short.count(False))
    total = sum(m for m, s in zip(means, short) if not s)
    return [f if s else max(f, round(rest * m / total)) for f, m, s in zip(floors, means, short)]


SYMBOLS = ("[x]", "[c]", "[z]", "[u]", "–", "-", "")


def numeric_column(cells: list[str]) -> bool:
    """Whether a column holds figures (numbers as printed, with symbols such as [x]): right-aligned."""
    values = [c.strip() for c in cells]
    return any(v not in SYMBOLS for v in values) and all(
        v in SYMBOLS or (any(ch.isdigit() for ch in v) and NUMBER.fullmatch(v)) for v in values)


def pipe_table(header: list[str], rows: list[list[str]], widths: list[int], caption: str, label: str,
               note: str = "", row_headers: int = 1) -> str:
    """A Markdown pipe table; column widths follow the dashes.

    Columns of figures are right-aligned and columns of text left-aligned (decided from the cells).
    The first `row_headers` columns label their rows (the indicator, the area): the HTML marks
    them `<th scope="row">` (writers.lua), and they are never left blank on follow-on rows.
    Header and cells are text, shown as typed (escaped: a `|` in a cell is a character, not a
    column break); the caption and note are Markdown written by the chapter's code.
    """
    right = [i >= row_headers and numeric_column([r[i] for r in rows]) for i in range(len(header))]
    rule = "|" + "|".join(("-" * w + ":") if r else (":" + "-" * w) for r, w in zip(right, widths)) + "|"
    lines = ["| " + " | ".join(map(inline, r)) + " |" for r in [header, *rows]]
    lines.insert(1, rule)
    text = "\n".join(lines) + f'\n\n: {caption} {{#tbl-{label} row-headers="{row_headers}"}}\n'
    return text + (f"\n{note}\n" if note else "")
