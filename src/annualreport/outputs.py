"""What a chapter writes beside its notebook: chart PNGs, data CSVs, records for the summary.

Names are numbered per chapter (`figures/front_door-1.png`, `data/front_door-1.csv`), so a
chapter writes the same files every time it runs with the same inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


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
        """Write the data of a chart or table; returns its path relative to the build folder."""
        path = self.build_dir / "data" / f"{stem}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
        return f"data/{stem}.csv"

    @staticmethod
    def figure_markdown(stem: str, title: str, subtitle: str, alt: str) -> str:
        """A figure with a headline title, a subtitle stating the data, and alt text (Quarto's fig-alt)."""
        alt = alt.replace('"', "'")
        return (f'![**{title}**. {subtitle}](figures/{stem}.png){{#fig-{stem} fig-alt="{alt}"}}\n\n'
                f"Data for this chart: [data/{stem}.csv](data/{stem}.csv).\n")

    def record(self, names: list[str]) -> None:
        """Record the indicators this chapter reports, for the summary at a glance."""
        path = self.build_dir / "records" / f"{self.chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = json.loads(path.read_text()) if path.exists() else []
        existing += [n for n in names if n not in existing]
        path.write_text(json.dumps(existing, indent=1) + "\n", encoding="utf-8")

    def recorded(self, chapters: list[str]) -> list[tuple[str, str]]:
        """(chapter, indicator) pairs recorded by the given chapters, in chapter order."""
        out = []
        for ch in chapters:
            path = self.build_dir / "records" / f"{ch}.json"
            if path.exists():
                out += [(ch, ind) for ind in json.loads(path.read_text(encoding="utf-8"))]
        return out


def pipe_table(header: list[str], rows: list[list[str]], widths: list[int], caption: str, label: str,
               note: str = "") -> str:
    """A Markdown pipe table; column widths follow the dashes (numbers right-aligned)."""
    rule = "|" + "|".join((":" + "-" * w) if i == 0 else ("-" * w + ":") for i, w in enumerate(widths)) + "|"
    lines = ["| " + " | ".join(header) + " |", rule] + ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(lines) + f"\n\n: {caption} {{#tbl-{label}}}\n"
    return text + (f"\n{note}\n" if note else "")
