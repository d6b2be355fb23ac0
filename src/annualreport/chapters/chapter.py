"""What a chapter notebook uses: figures from the store as text, tables, charts and records.

A notebook opens its chapter with `open_chapter(build_dir, "front_door")` and then only asks
for figures by indicator id (`ch.headline("referrals")`) or for its local inputs by name
(`ch.local.table("lado_outcomes", ...)`). Tables and sentences are Markdown (rendered by Quarto
or pandoc); charts are PNG files under `figures/` with alt text from their data and a CSV under
`data/`. Everything a chapter shows comes from the suppressed (public) view. What a chapter
records (`ch.record(...)`) is what the summary at a glance reads, so the summary can never
disagree with the chapters.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from annualreport.publication.cell_registry import TableCells, write_cells
from annualreport.chapters.charts import alt_text, line_chart, report_year_note
from annualreport.chapters.compare import SIZE_THRESHOLDS, Change, compare_words, describe_change, target_words
from annualreport.chapters.fmt import format_number, format_value, join_words, period_label
from annualreport.inputs.framework import framework_for, input_title
from annualreport.inputs.local_data import INPUTS, read_chapter_not_provided
from annualreport.chapters.local_view import LocalView
from annualreport.render.markdown_text import inline
from annualreport.render.outputs import Outputs, data_link, pipe_table
from annualreport.store import KEYS_DIR
from annualreport.store.figures import AREA_ORDER, Store

COMPARATORS = ("england", "region", "sn_mean")
FILE_IN_BRACKETS = re.compile(r"\s*\([^()]*(?:\.csv|\.xlsx|\.ods|release|statistical first)[^()]*\)", re.I)
NATIONAL_FILES = re.compile(r"the national files held for .+? cover (\d{4}-\d{2} to \d{4}-\d{2})")
PUBLISHED_AS = re.compile(r"published as (\w[\w ]*?) for ")
SUBJECT = {"count": "the number of", "rate_per_10k": "the rate of", "percent": "the percentage for", "number": "the figure for"}
SYMBOL_NOTE = "[x] not available; [c] suppressed to protect small numbers; [z] not applicable."


def _reason(note: str) -> str:
    """The reason part of a store note, fit for public text: 'not available for 2014-15: DfE publishes ...'
    -> 'DfE publishes ...'; a file name or release in brackets is left out (the data files say where
    each figure came from), so public text holds no file names and no nested brackets."""
    head, sep, tail = note.partition(": ")
    text = tail if sep and (head.startswith(("not available for", "no data for", "DfE published no figure"))
                            or " did not exist in " in head or " no longer existed in " in head) else note
    text = FILE_IN_BRACKETS.sub("", text).strip()
    text = text.split("; add a newer release")[0]  # an instruction for the coordinator, not for readers
    if text.startswith("not added up: "):
        return "The partnership's figure cannot be added up from its councils', because the counts behind the rate are not published"
    published = PUBLISHED_AS.match(text)
    if published:
        return f"DfE published it as {published.group(1)}"
    if text.startswith("no data for "):
        return "the national statistics hold no figure for that year"
    return text.replace("(", "").replace(")", "") if text.count("(") > 1 else text


def _sentence(text: str) -> str:
    """Text as a sentence: ending with a full stop unless it ends with one already."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _plain_reason(why: str) -> str:
    """A gap's reason as a short clause: 'the national files held for X cover 2012-13 to 2024-25'
    -> 'the national files held cover 2012-13 to 2024-25'; a bracket inside a bracket is opened."""
    why = NATIONAL_FILES.sub(r"the national files held cover \1", why)
    return why


def _years(periods: list[int]) -> str:
    """'2014-15 to 2016-17, 2019-20' from time periods."""
    runs: list[list[int]] = []
    for p in sorted(periods):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(period_label(r[0]) if len(r) == 1 else f"{period_label(r[0])} to {period_label(r[-1])}" for r in runs)


def _areas(series: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The areas of a series, (area type, area code) -> name, in the order they first come (as
    grouping the frame by area would give them, for a fraction of its time)."""
    areas: dict[tuple[str, str], str] = {}
    for area_type, code, name in zip(series.area_type.tolist(), series.area_code.tolist(), series.area_name.tolist()):
        areas.setdefault((area_type, code), name)
    return areas


class Chapter:
    """One chapter's view of the store and local inputs, with the helpers its notebook calls."""

    def __init__(self, build_dir: Path | str, chapter: str):
        self.build_dir = Path(build_dir)
        self.chapter = chapter
        self.store = Store.load_public(self.build_dir)  # chapters publish: only the suppressed view
        self.meta = self.store.meta
        self.period = self.store.time_period
        self.year = period_label(self.period)
        self.outputs = Outputs(self.build_dir, chapter)
        self.local = LocalView(self.build_dir / INPUTS, self.outputs, self.meta,
                               read_chapter_not_provided(self.build_dir / INPUTS, self.build_dir / KEYS_DIR, chapter),
                               chapter)
        self.words = framework_for(self.year).words  # 'the board' or 'the partnership', ... (inputs.framework)

    # -- single figures ------------------------------------------------------------------
    def text(self, indicator: str, area_type: str = "partnership", period: int | None = None,
             area_code: str | None = None) -> str:
        """A figure as the report prints it: '1,079', '31.0%', or a symbol such as '[x]'."""
        info = self.store.indicator(indicator)
        f = self.store.figure(indicator, area_type, period, area_code)
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

    def subject(self, indicator: str) -> str:
        """The indicator as the subject of a sentence, in the singular: 'the number of **referrals to
        children's social care**', 'the percentage for **re-referrals within 12 months**'."""
        info = self.store.indicator(indicator)
        title = info["title"].removesuffix(" (%)")
        title = title if title[:2].isupper() else title[:1].lower() + title[1:]
        return f"{SUBJECT.get(info['unit'], 'the figure for')} **{title}**"

    def area_words(self, area_type: str, name: str) -> str:
        """An area as a lay reader names it: 'England', 'the North West', 'similar areas'."""
        if area_type == "sn_mean":
            return "similar areas"
        if area_type == "region" and not name.startswith(("London", "Inner London", "Outer London", "Yorkshire")):
            return f"the {name}"
        return name

    def headline_text(self, indicator: str) -> str:
        """Short sentences, one comparison each: the change over the year, then how the figure compares
        with England, the region and similar areas (areas with the same comparison in one sentence)."""
        info = self.store.indicator(indicator)
        own = self.store.figure(indicator)
        name = inline(self.meta["short_name"])
        subject = self.subject(indicator)
        if not own.available:
            why = _reason(own.note) or own.state
            return f"In {name}, {subject} is not available for {self.year}. {_sentence(why[:1].upper() + why[1:])}"
        change = self.change(indicator)
        sentences = [f"In {name}, {subject} was {self.text(indicator)} in {self.year}.", f"This was {change.since}."]
        groups: dict[tuple[str, str], list[str]] = {}
        counts: list[str] = []
        for area in COMPARATORS:
            other = self.store.figure(indicator, area)
            if not other.available:
                continue
            where = self.area_words(area, other.area_name)
            if info["unit"] == "count":
                counts.append(f"{where} {'had' if not counts else ''} {self.text(indicator, area)}".replace("  ", " "))
                continue
            word, verdict = compare_words(own.value, other.value, info["decimals"], info["polarity"])
            groups.setdefault((word, verdict), []).append(f"{where} ({self.text(indicator, area)})")
        if counts:
            sentences.append(f"For comparison, {join_words(counts)}.")
        for i, ((word, verdict), areas) in enumerate(groups.items()):
            sentences.append(f"{'It' if i else 'This'} was {word} {join_words(areas)}" + (f", which is {verdict}." if verdict else "."))
        if indicator in self.meta.get("targets", {}):
            sentences.append(f"This is {self.against_target(indicator, own.value)}.")
        return " ".join(sentences)

    def against_target(self, name: str, value: float | None, unit: str = "percent", decimals: int = 0) -> str:
        """'against a target of 80%: not met' for an indicator or local measure with a target in params."""
        target = self.meta.get("targets", {}).get(name)
        if target is None:
            return ""
        if name in self.meta["indicators"]:
            info = self.store.indicator(name)
            return target_words(value, target, info["unit"], info["decimals"], info["polarity"])
        return target_words(value, target, unit, decimals, "high")

    def target(self, indicator: str) -> str:
        """The report year's figure against the partnership's target, 'against a target of 80%: not met',
        or '' when params set no target for it."""
        return self.against_target(indicator, self.store.figure(indicator).value)

    def available(self, indicator: str) -> bool:
        """Whether the store has the report year's figure for the partnership."""
        return self.store.figure(indicator).available

    # -- tables and charts ---------------------------------------------------------------
    def _series(self, indicator: str) -> pd.DataFrame:
        left_out = ["sn_median"]  # the mean is the neighbours' comparator shown
        if len(self.meta["members"]) == 1:  # the partnership's figures are its one council's
            left_out.append("member")
        if self.store.indicator(indicator)["unit"] == "count":
            left_out.append("sn_mean")
        return self.store.series(indicator, [a for a in AREA_ORDER if a not in left_out])

    def table(self, indicators: list[str], caption: str) -> Markdown:
        """Each indicator by area (rows) and year (columns), as Markdown tables, with their CSVs.

        Years in which no area has a figure are left out, and the note says so. A partnership of
        several councils has many areas, so it gets one table per indicator (areas as rows, years
        as columns) instead of one table that runs for pages."""
        if len(self.meta["members"]) > 1:
            return Markdown("\n".join(self._table([ind], f"{caption}: {self.store.indicator(ind)['title']}"
                                                   if len(indicators) > 1 else caption, by_indicator=True)
                                       for ind in indicators))
        return Markdown(self._table(indicators, caption))

    def _table(self, indicators: list[str], caption: str, by_indicator: bool = False) -> str:
        stem = self.outputs.next_table()
        periods = list(self.store.periods)
        labels, cells, csv_rows, refs = [], [], [], []
        for ind in indicators:
            title = self.store.indicator(ind)["title"]
            count = self.store.indicator(ind)["unit"] == "count"
            for (area_type, code), area in _areas(self._series(ind)).items():
                row = [self.text(ind, area_type, p, code) for p in periods]
                refs.append([(j, len(csv_rows) + j + 1, ("store", ind, area_type, code, int(p)))
                             for j, p in enumerate(periods)] if count else [])
                labels.append([area] if by_indicator else [title, area])
                cells.append(row)
                csv_rows += [{"indicator": ind, "area": area, "year": period_label(p), "value": v}
                             for p, v in zip(periods, row)]
        # A year in which no area has a figure would be a column of [x]: it is left out of the table
        # (not of the CSV), and the note says where the series begins.
        kept = [j for j in range(len(periods)) if any(r[j] not in ("[x]", "[z]") for r in cells)] or list(range(len(periods)))
        dropped = [periods[j] for j in range(len(periods)) if j not in kept]
        registry = TableCells(stem, f"data/{stem}.csv", f"tbl-{stem}")
        heads = len(labels[0]) if labels else (1 if by_indicator else 2)
        for i, row_refs in enumerate(refs):
            for j, csv_row, ref in row_refs:
                if j in kept:
                    registry.table_cells.append((i, heads + kept.index(j), ref))
                registry.csv_cells.append((csv_row, "value", ref))
        rows = [lab + [r[j] for j in kept] for lab, r in zip(labels, cells)]
        header = (["Area"] if by_indicator else ["Indicator", "Area"]) + [period_label(periods[j]) for j in kept]
        path = self.outputs.write_csv(stem, pd.DataFrame(csv_rows))
        write_cells(self.build_dir, self.chapter, registry)
        note = SYMBOL_NOTE
        if dropped:
            first = period_label(periods[kept[0]])
            note += (f" The table starts in {first}: no area has figures for {_years(dropped)}, the years before "
                     f"the national series begins." if max(dropped) < periods[kept[0]] else
                     f" No area has figures for {_years(dropped)}, so {'it is' if len(dropped) == 1 else 'they are'} "
                     "not shown.")
        note += " " + data_link(path)
        widths = ([18] if by_indicator else [24, 18]) + [9] * len(kept)
        return pipe_table(header, rows, widths, caption, stem, note, row_headers=heads)

    def by_council(self, indicators: list[str], caption: str, labels: list[str] | None = None) -> Markdown:
        """The report year's figures of each member council and the partnership (rows) by indicator
        (columns, headed by `labels` or the indicators' titles), from the store's public view, with its
        CSV. Empty for a partnership of one council, or when no council's figures were given."""
        store = self.store
        members = [m for m in self.meta["members"]  # those the store has figures of (their file has rows)
                   if any(store.figure(ind, "member", area_code=m["la_code"]).note != "not in the store" for ind in indicators)]
        if len(self.meta["members"]) < 2 or not members:
            return Markdown("")
        areas = [("member", m["la_code"], m["name"]) for m in members] + [("partnership", "partnership", self.meta["short_name"])]
        header = ["Area"] + (labels or [store.indicator(ind)["title"] for ind in indicators])
        body, registry = [], TableCells(stem := self.outputs.next_table(), f"data/{stem}.csv", f"tbl-{stem}")
        for i, (area_type, code, name) in enumerate(areas):
            body.append([name] + [self.text(ind, area_type, None, code) for ind in indicators])
            for j, ind in enumerate(indicators, start=1):
                if store.indicator(ind)["unit"] == "count":
                    ref = ("store", ind, area_type, code, self.period)
                    registry.table_cells.append((i, j, ref))
                    registry.csv_cells.append((i + 1, header[j], ref))
        path = self.outputs.write_csv(stem, pd.DataFrame(body, columns=header))
        write_cells(self.build_dir, self.chapter, registry)
        note = f"{SYMBOL_NOTE} A council's figure is shown where the partnership was given it. {data_link(path)}"
        return Markdown(pipe_table(header, body, [22] + [max(8, 60 // len(indicators))] * len(indicators),
                                   f"{caption}, {self.year}", stem, note, row_headers=1))

    def shown(self, indicators: list[str]) -> list[str]:
        """The indicators with at least one figure for the partnership in the years shown (a table of
        a series that has none would be a row of [x]; `coverage` says why it is not shown)."""
        out = []
        for ind in indicators:
            series = self.store.series(ind, ["partnership"])
            if (~series.state.isin(["not available", "not applicable"])).any():
                out.append(ind)
        return out

    def coverage_text(self, indicators: list[str]) -> str:
        """Where each series begins or a breakdown is not published, and which figures we computed,
        in short plain sentences (empty when every figure of every year shown is DfE's own)."""
        said: dict[tuple[str, ...], list[str]] = {}  # what is said -> the indicators it is said of
        for ind in indicators:
            title = self.store.indicator(ind)["title"]
            gaps: dict[str, list[int]] = {}
            computed: list[int] = []
            for p in self.store.periods:
                f = self.store.figure(ind, "partnership", p)
                if f.state in ("not available", "not applicable"):
                    gaps.setdefault(_reason(f.note), []).append(p)
                elif f.note.startswith("computed by us"):
                    computed.append(p)
            parts = [f"Not available for {_years(ps)}" + (f": {_plain_reason(why)}" if why else "") for why, ps in gaps.items()]
            if computed:
                parts.append(f"We computed the figures for {_years(computed)} from DfE's counts, as DfE does")
            if parts:
                said.setdefault(tuple(parts), []).append(title)
        # Indicators with the same gaps for the same reason share one item, not a sentence each.
        lines = []
        for parts, titles in said.items():
            text = ". ".join(parts) + "."
            if len(titles) == 1:
                lines.append(f"- *{titles[0]}*. {text}")
            else:
                lines.append(f"- {text} This applies to:")
                lines += [f"  - {t}" for t in titles]
        return "\n".join(lines)

    def coverage(self, indicators: list[str]) -> Markdown:
        """`coverage_text` as Markdown, introduced; nothing when there is nothing to say."""
        text = self.coverage_text(indicators)
        return Markdown(f"Where a series begins, or a figure is not published, in {period_label(self.store.periods[0])} "
                        f"to {self.year}:\n\n{text}" if text else "")

    def table_shown(self, indicators: list[str], caption: str) -> Markdown:
        """A table of the indicators that have figures (`shown`), followed by `coverage` of all of them."""
        present = self.shown(indicators)
        parts = [self.table(present, caption).data] if present else []
        text = self.coverage_text(indicators)
        if text:
            parts.append(f"Where a series begins, or a figure is not published, in {period_label(self.store.periods[0])} "
                         f"to {self.year}:\n\n{text}")
        return Markdown("\n\n".join(parts))

    def chart(self, indicator: str, subtitle: str, title: str | None = None) -> Markdown:
        """A line chart of one indicator over the years for the partnership and its comparators.

        Writes figures/<chapter>-<n>.png and data/<chapter>-<n>.csv; returns the Markdown image
        with a headline title, a subtitle stating the data (and how the report year is marked), and
        alt text made from the same description of change as the title.
        """
        info = self.store.indicator(indicator)
        change = self.change(indicator)
        if title is None:  # a headline that states the message
            title = f"{info['title'].removesuffix(' (%)')} {change.sentence}"
        data = self._series(indicator)
        if info["unit"] == "count":  # counts of areas of very different sizes don't share an axis
            data = data[data.area_type.isin(["partnership", "member"])]
        keys = data
        data = data[["area_type", "area_name", "time_period", "value", "state"]]
        if data.value.isna().all():
            return Markdown(f"*No chart: {info['title'].lower()} is not available for "
                            f"{period_label(self.store.periods[0])} to {self.year} in the national statistics.*")
        stem = self.outputs.next_chart()
        colours = line_chart(data, self.outputs.png(stem), info["title"], self.period)
        out = data.assign(year=data.time_period.map(period_label), indicator=indicator)
        path = self.outputs.write_csv(stem, out[["indicator", "area_name", "year", "value", "state"]])
        if info["unit"] == "count":
            refs = [("store", indicator, at, code, int(p)) for at, code, p in zip(keys.area_type, keys.area_code, keys.time_period)]
            write_cells(self.build_dir, self.chapter, TableCells(stem, path, None, [(i + 1, "value", r) for i, r in enumerate(refs)]))
        shown = data.dropna(subset=["value"])
        lead = self.meta["short_name"]
        others = (["its councils"] if (shown.area_type == "member").any() else []) + [
            "the region" if at == "region" else self.area_words(at, n)
            for at, n in dict.fromkeys(zip(shown.area_type, shown.area_name)) if at not in ("partnership", "member")]
        label = info["title"].removesuffix(" (%)")
        label = label if label[:2].isupper() else label[:1].lower() + label[1:]
        alt = alt_text(label, lead, period_label(int(shown.time_period.min())), period_label(int(shown.time_period.max())),
                       change.sentence, others)
        self.outputs.record_chart(stem, {"title": title, "alt": alt, "change": change.sentence, "direction": change.direction,
                                         "colours": colours})
        subtitle = f"{subtitle.rstrip('.')}. {report_year_note(self.year)}"
        return Markdown(self.outputs.figure_markdown(stem, title, subtitle, alt))

    def say(self, text: str) -> Markdown:
        """Show Markdown text a notebook has composed from figures it asked for."""
        return Markdown(text)

    # -- appendix ------------------------------------------------------------------------
    def methodology(self) -> Markdown:
        """How the figures were made: sources, comparators, rounding, judgements, suppression, in short
        sentences (the files each figure came from are in the report's data, store.csv)."""
        sn = self.meta["statistical_neighbours"]
        tolerance = self.meta["thresholds"]["no_change_tolerance"]
        rel, pts = SIZE_THRESHOLDS["relative"], SIZE_THRESHOLDS["points"]
        releases = []
        for d in self.meta.get("datasets", {}).values():
            names = sorted(dict.fromkeys(f["release"] for f in d["files"]),
                           key=lambda r: max((int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", r)), default=0))
            releases.append(f"- {d['title']}:\n" + "\n".join(f"    - {name}." for name in names))
        lines = [
            "National figures are DfE's children's social care statistics and ONS mid-year population estimates. "
            "They are read from the files DfE published on Explore Education Statistics. Before 2018 they come from "
            "the underlying data of DfE's statistical first releases. Each release revises earlier years. So for each "
            "year we use the latest release that covers it. The report's data names the file and release "
            "of every figure.",
            "Where DfE published no rate or percentage for a year, we computed it from DfE's counts, as DfE does. "
            "Rates per 10,000 children use the ONS estimate of children aged 0 to 17 for the middle of the year before "
            "31 March. Each such figure is marked as computed by us in the chapters and the data.",
            "Releases read, by dataset:\n\n" + "\n".join(releases),
            f"Similar areas are the councils most like this one, chosen by DfE's statistical neighbour model "
            f"({sn['model']}, {len(sn['codes'])} councils). The figure shown for them is the mean of their values. "
            "The median is in the data files.",
            "Figures are rounded half-up, as DfE rounds. A change is judged as improved or declined from which "
            f"direction is better for the indicator. A change of less than {format_number(tolerance, 1)}% is called "
            "no change. Judgements compare the rounded figures. Quartile 1 is the best quarter of all councils, and "
            f"quartile 4 the worst. A change under {rel[0]:g}% is called slight, and one of {rel[1]:g}% or more sharp. "
            f"For percentages, slight means under {pts[0]:g} percentage point and sharp {pts[1]:g} points or more.",
            f"Small numbers: counts from 1 to {self.meta['thresholds']['suppress_below'] - 1} are suppressed ([c]). "
            "Further cells are suppressed where a total would give them away. A rate or percentage made from a "
            "suppressed count is suppressed too.",
            "Local figures come from the partnership's own records, in the files listed with this report's data.",
        ]
        return Markdown("\n\n".join(lines))

    def missing_inputs(self) -> Markdown:
        """The local inputs this report did not have, with the reasons given."""
        missing = self.local.not_provided
        if not missing:
            return Markdown("Every local input was provided.")
        def title(name: str) -> str:
            return input_title(name, self.year).lower()

        return Markdown("\n".join(f"- Not provided: {title(n)}." + (f" Reason given: {_sentence(inline(r))}" if r else "")
                                  for n, r in sorted(missing.items())))

    # -- records for the summary ---------------------------------------------------------
    def record(self, *indicators: str) -> None:
        """Record the figures this chapter reports, for the summary at a glance."""
        for ind in indicators:
            self.store.indicator(ind)
        self.outputs.record(list(indicators))

    def summary_table(self, chapters: list[str]) -> Markdown:
        """Key figures at a glance: value, previous year, direction, judgement in words, England."""
        header = ["Indicator", period_label(self.period - 1), self.year, "Change", "Judgement", "England"]
        rows = []
        registry = TableCells("summary", None, "tbl-summary")
        for _, ind in self.outputs.recorded(chapters):
            local = bool(self.store.indicator(ind).get("local"))
            if self.store.indicator(ind)["unit"] == "count":
                for col, (at, period) in ((1, ("partnership", self.period - 1)), (2, ("partnership", self.period)),
                                          *(() if local else ((5, ("england", self.period)),))):
                    code = {"partnership": "partnership", "england": "E92000001"}[at]
                    registry.table_cells.append((len(rows), col, ("store", ind, at, code, period)))
            ch = self.change(ind)
            rows.append([self.store.indicator(ind)["title"], self.text(ind, period=self.period - 1), self.text(ind),
                         f"{ch.arrow} {ch.direction}" if ch.direction != "unknown" else "–", ch.judgement,
                         "[z]" if local else self.text(ind, "england")])
        note = ("The judgement says whether a change is better or worse for that indicator, as DfE's polarity "
                "sets out. It says 'not judged' where neither direction is better.")
        if any(self.store.indicator(ind).get("local") for _, ind in self.outputs.recorded(chapters)):
            note += f" {self.words['Body']}'s own figures have no England figure to compare with ([z])."
        write_cells(self.build_dir, self.chapter, registry)
        return Markdown(pipe_table(header, rows, [30, 8, 8, 8, 10, 10], f"Summary at a glance, {self.year}", "summary", note))


def open_chapter(build_dir: str, chapter: str) -> Chapter:
    """Open the store and local inputs of the build in `build_dir` for one chapter."""
    return Chapter(build_dir, chapter)
