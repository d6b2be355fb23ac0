"""What a chapter notebook uses: figures from the store as text, tables, charts and records.

A notebook opens its chapter with `open_chapter(build_dir, "front_door")` and then only asks
for figures by indicator id. Tables and sentences are Markdown (rendered by Quarto or pandoc);
charts are PNG files under `figures/` with alt text from their data and a CSV under `data/`.
What a chapter records (`ch.record(...)`) is what the summary at a glance reads, so the
summary can never disagree with the chapters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from .charts import alt_text, line_chart
from .compare import Change, compare_words, describe_change
from .fmt import format_value, period_label
from .store import Store

COMPARATORS = ("england", "region", "sn_mean")


class Chapter:
    """One chapter's view of the store, with the helpers its notebook calls."""

    def __init__(self, build_dir: Path | str, chapter: str):
        self.build_dir = Path(build_dir)
        self.chapter = chapter
        self.store = Store.load(self.build_dir).public()  # chapters publish: only the suppressed view
        self.meta = self.store.meta
        self.period = self.store.time_period
        self._charts = 0
        self._tables = 0

    # -- single figures ------------------------------------------------------------------
    def text(self, indicator: str, area_type: str = "partnership", period: int | None = None) -> str:
        """A figure as the report prints it: '1,079', '31.0%', or a symbol such as '[x]'."""
        info = self.store.indicator(indicator)
        f = self.store.figure(indicator, area_type, period)
        return format_value(f.value, info["unit"], info["decimals"], f.state)

    def change(self, indicator: str, area_type: str = "partnership") -> Change:
        """Change from the previous year to the report year, judged by the indicator's polarity."""
        info = self.store.indicator(indicator)
        prev = self.store.figure(indicator, area_type, self.period - 1)
        cur = self.store.figure(indicator, area_type, self.period)
        return describe_change(prev.value, cur.value, info["unit"], info["decimals"], info["polarity"],
                               self.meta["thresholds"]["no_change_tolerance"], self.period - 1, self.period)

    def headline(self, indicator: str) -> Markdown:
        """A sentence: the report-year figure, its change, and England, region and neighbours beside it."""
        return Markdown(self.headline_text(indicator))

    def headline_text(self, indicator: str) -> str:
        info = self.store.indicator(indicator)
        name = self.meta["short_name"]
        own = self.store.figure(indicator)
        sentence = f"**{info['title']}** in {name} {self.change(indicator).sentence}."
        comparisons = []
        for area in COMPARATORS:
            other = self.store.figure(indicator, area)
            if not other.available:
                continue
            if info["unit"] == "count":
                comparisons.append(f"{other.area_name}: {self.text(indicator, area)}")
                continue
            word, verdict = compare_words(own.value, other.value, info["decimals"], info["polarity"])
            comparisons.append(f"{word} {other.area_name} ({self.text(indicator, area)})" + (f", which is {verdict}" if verdict else ""))
        if comparisons and info["unit"] == "count":
            sentence += f" For comparison, {'; '.join(comparisons)}."
        elif comparisons:
            sentence += f" In {period_label(self.period)} this was " + "; ".join(comparisons) + "."
        return sentence

    # -- tables and charts ---------------------------------------------------------------
    def _series(self, indicator: str) -> pd.DataFrame:
        data = self.store.series(indicator)
        single = len(self.meta["members"]) == 1
        if single:  # the partnership's figures are its one council's
            data = data[data.area_type != "member"]
        info = self.store.indicator(indicator)
        data = data[data.area_type != "sn_median"]  # the mean is the neighbours' comparator shown
        if info["unit"] == "count":
            data = data[data.area_type != "sn_mean"]
        return data

    def table(self, indicators: list[str], caption: str) -> Markdown:
        """A table of each indicator by area (rows) and year (columns), as Markdown."""
        self._tables += 1
        header = ["Indicator", "Area"] + [period_label(p) for p in self.store.periods]
        # Pipe-table column widths follow the dashes: wide name columns, narrow year columns.
        rule = "|" + "|".join([":" + "-" * 24, ":" + "-" * 18] + ["-" * 9 + ":"] * len(self.store.periods)) + "|"
        lines = ["| " + " | ".join(header) + " |", rule]
        for ind in indicators:
            title = self.store.indicator(ind)["title"]
            series = self._series(ind)
            for (area_type, code), rows in series.groupby(["area_type", "area_code"], sort=False):
                cells = [self.text(ind, area_type, p) if area_type != "member" else self._member_text(ind, code, p) for p in self.store.periods]
                lines.append(f"| {title} | {rows.area_name.iloc[0]} | " + " | ".join(cells) + " |")
                title = ""
        notes = "[x] not available in the national statistics; [c] suppressed small number; [z] not applicable."
        return Markdown("\n".join(lines) + f"\n\n: {caption} {{#tbl-{self.chapter}-{self._tables}}}\n\n{notes}\n")

    def _member_text(self, indicator: str, code: str, period: int) -> str:
        info = self.store.indicator(indicator)
        f = self.store.figure(indicator, "member", period, area_code=code)
        return format_value(f.value, info["unit"], info["decimals"], f.state)

    def chart(self, indicator: str, subtitle: str, title: str | None = None) -> Markdown:
        """A line chart of one indicator over the years for the partnership and its comparators.

        Writes figures/<chapter>-<n>.png and data/<chapter>-<n>.csv; returns the Markdown image
        with a headline title, a subtitle stating the data, and alt text from the figures.
        """
        self._charts += 1
        info = self.store.indicator(indicator)
        if title is None:  # a headline that states the message
            title = f"{info['title']} {self.change(indicator).sentence}"
        stem = f"{self.chapter}-{self._charts}"
        data = self._series(indicator)
        if info["unit"] == "count":  # counts of areas of very different sizes don't share an axis
            data = data[data.area_type.isin(["partnership", "member"])]
        data = data[["area_name", "time_period", "value", "state"]]
        png = self.build_dir / "figures" / f"{stem}.png"
        line_chart(data, png, info["title"], self.period)
        csv_path = self.build_dir / "data" / f"{stem}.csv"
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        out = data.assign(year=data.time_period.map(period_label), indicator=indicator)
        out[["indicator", "area_name", "year", "value", "state"]].to_csv(csv_path, index=False, lineterminator="\n", float_format="%.10g")
        alt = alt_text(data, info["title"].lower(), info["unit"], info["decimals"], self.meta["short_name"]).replace('"', "'")
        return Markdown(f'![**{title}**. {subtitle}](figures/{stem}.png){{#fig-{stem} fig-alt="{alt}"}}\n\n'
                        f"Data for this chart: [data/{stem}.csv](data/{stem}.csv).\n")

    # -- records for the summary ---------------------------------------------------------
    def record(self, *indicators: str) -> None:
        """Record the figures this chapter reports, for the summary at a glance."""
        path = self.build_dir / "records" / f"{self.chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = json.loads(path.read_text()) if path.exists() else []
        for ind in indicators:
            self.store.indicator(ind)
            if ind not in existing:
                existing.append(ind)
        path.write_text(json.dumps(existing, indent=1) + "\n", encoding="utf-8")

    def recorded(self, chapters: list[str]) -> list[tuple[str, str]]:
        """(chapter, indicator) pairs recorded by the given chapters, in chapter order."""
        out = []
        for ch in chapters:
            path = self.build_dir / "records" / f"{ch}.json"
            if path.exists():
                out += [(ch, ind) for ind in json.loads(path.read_text(encoding="utf-8"))]
        return out

    def summary_table(self, chapters: list[str]) -> Markdown:
        """Key figures at a glance: value, previous year, direction, judgement in words, England."""
        header = "| Indicator | " + f"{period_label(self.period - 1)} | {period_label(self.period)} | Change | Judgement | England |"
        lines = [header, "|:" + "-" * 30 + "|" + "|".join(["-" * 8 + ":"] * 2 + [":" + "-" * 8] * 2 + ["-" * 10 + ":"]) + "|"]
        for _, ind in self.recorded(chapters):
            info = self.store.indicator(ind)
            ch = self.change(ind)
            lines.append(f"| {info['title']} | {self.text(ind, period=self.period - 1)} | {self.text(ind)} | "
                         f"{ch.arrow} {ch.direction} | {ch.judgement} | {self.text(ind, 'england')} |")
        note = ("Judgement says whether a change is better or worse given which direction is better for that "
                "indicator (DfE's polarity); 'not judged' where neither direction is better.")
        return Markdown("\n".join(lines) + f"\n\n: Summary at a glance, {period_label(self.period)} {{#tbl-summary}}\n\n{note}\n")


def open_chapter(build_dir: str, chapter: str) -> Chapter:
    """Open the store of the build in `build_dir` for one chapter."""
    return Chapter(build_dir, chapter)
