"""Charts: matplotlib in the Analysis Function style (afcharts), written as PNG with alt text.

PNG (Agg) output is byte-stable run to run, unlike SVG's random ids, and Typst and HTML both
take it (png_write.py writes it; chart_fonts.py has matplotlib read its fonts from memory). Every
chart's data is written as CSV beside it. A line chart's alt text is made from the same
description of change as its caption, so the two never disagree. Charts read without colour: at
most four emphasised series, each with its own marker, every line named at its end, and every
colour at least 3:1 against the white it is drawn on (WCAG 1.4.11).
"""

from __future__ import annotations

from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import ticker  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402

from annualreport.chapters.chart_fonts import read_fonts_from_memory  # noqa: E402
from annualreport.chapters.fmt import format_value, join_words, period_label  # noqa: E402
from annualreport.chapters.png_write import write_png  # noqa: E402

read_fonts_from_memory()

AF_PALETTE: list[str] = get_af_colours("categorical")
BACKGROUND = "#FFFFFF"  # every series is drawn on white: nothing behind a line lowers its contrast
# The emphasised series (at most four, as in afcharts' focus charts), each with a colour of at least
# 3:1 against the background and its own marker, so a chart reads in greyscale too.
EMPHASIS = {"partnership": ("#12436D", "o"), "england": ("#3D3D3D", "s"), "region": ("#801650", "D"),
            "sn_mean": ("#28A197", "^")}
MUTED = "#8C8C8C"  # member councils: thin grey lines (3.4:1 on white), named at their line ends
REPORT_YEAR_RULE = "#3D3D3D"
FULL_FIGURES = "Full figures in the data file linked below the chart."


def report_year_note(year: str) -> str:
    """The subtitle's sentence that explains how the report year is marked on a line chart."""
    return f"The dashed line marks {year}, the year of this report."


def contrast_ratio(colour: str, background: str = BACKGROUND) -> float:
    """WCAG 2 contrast ratio of two '#RRGGBB' colours (1 to 21)."""
    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(colour), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@contextmanager
def af_style() -> Iterator[None]:
    """The afcharts matplotlib style, with DejaVu Sans (shipped with matplotlib) for Arial."""
    style = str(resources.files("afcharts") / "afcharts.mplstyle")
    # text.parse_math off: a category typed with '$' (a budget line, an agency) is drawn as typed, not as maths.
    rc = {"font.sans-serif": ["DejaVu Sans"], "font.size": 11, "text.parse_math": False,
          "figure.facecolor": BACKGROUND, "axes.facecolor": BACKGROUND, "savefig.facecolor": BACKGROUND}
    with plt.style.context(style), matplotlib.rc_context(rc):
        yield


def alt_text(label: str, lead: str, first: str, last: str, change_sentence: str, others: list[str]) -> str:
    """Two sentences from the same description as the chart's caption (the same years, size word and
    tolerance: `change_sentence` is the caption's), then where the full figures are, e.g.
    'Line chart of re-referrals within 12 months, 2009-10 to 2013-14, for Lancashire, England and
    North West. In Lancashire it rose from 27.6% in 2012-13 to 31.0% in 2013-14. Full figures ...'
    """
    areas = join_words([lead, *others])
    return (f"Line chart of {label}, {first} to {last}, for {areas}. "
            f"In {lead} it {change_sentence}. {FULL_FIGURES}")


def bar_alt_text(data: pd.DataFrame, label: str, unit: str, decimals: int, period: str) -> str:
    """'Bar chart of allegations by outcome in 2013-14. The largest was no further action (379),
    then unsubstantiated (144). Full figures in ...' (suppressed or missing bars are not named)."""
    shown = [row for row in data.itertuples() if row.state == "value" and row.value == row.value]
    head = f"Bar chart of {label} in {period}."
    if not shown:
        return f"{head} {FULL_FIGURES}"
    top = [f"{row.category} ({format_value(row.value, unit, decimals)})" for row in shown[:2]]
    most = f" The largest was {top[0]}" + (f", then {top[1]}." if len(top) > 1 else ".")
    return head + most + " " + FULL_FIGURES


def _number_formatter(ticks: list[float]) -> ticker.Formatter:
    """Axis numbers with thousands separators, and decimals only where the ticks need them."""
    decimals = 0 if all(float(t).is_integer() for t in ticks) else 1
    return ticker.FuncFormatter(lambda v, _pos: f"{v:,.{decimals}f}")


def _value_axis(ax: plt.Axes, top_value: float, axis: str = "y") -> None:
    """From 0 to the first labelled tick above the highest value, with room above it (at least 5%)."""
    top_value = max(top_value, 0.0)
    ticks = [t for t in ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(0, top_value * 1.05 or 1)
             if t >= 0]
    while ticks[-1] < top_value * 1.05:
        ticks.append(ticks[-1] + (ticks[1] - ticks[0]))
    (ax.set_yticks if axis == "y" else ax.set_xticks)(ticks)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(0, ticks[-1])
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(_number_formatter(ticks))


def _spread(positions: list[float], gap: float, floor: float = 0.0) -> list[float]:
    """Label positions moved apart, in order, so that no two are closer than `gap`: labels that would
    overlap form a group centred on the mean of their lines' ends (and kept above `floor`)."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    groups: list[list[int]] = []  # runs of labels in order, each laid out `gap` apart
    def start(group: list[int]) -> float:
        mean = sum(positions[i] for i in group) / len(group)
        return max(floor, mean - gap * (len(group) - 1) / 2)
    for i in order:
        groups.append([i])
        while len(groups) > 1 and start(groups[-2]) + gap * len(groups[-2]) > start(groups[-1]):
            last = groups.pop()
            groups[-1] += last
    out = list(positions)
    for group in groups:
        for k, i in enumerate(group):
            out[i] = start(group) + gap * k
    return out


def series_style(area_type: str) -> tuple[str, str, float]:
    """(colour, marker, line width) of a series: emphasised comparators, muted member councils."""
    if area_type in EMPHASIS:
        colour, marker = EMPHASIS[area_type]
        return colour, marker, 2.2
    return MUTED, ".", 1.2


def line_chart(data: pd.DataFrame, path: Path, ylabel: str, highlight: int) -> dict[str, str]:
    """Draw one line per area over time, the report year marked by a dashed rule; write PNG to path.

    `data` has columns area_type, area_name, time_period, value (NaN where there is no figure). The
    partnership, England, the region and similar areas are emphasised, each in its own colour and
    marker; member councils are thin grey lines. Every line is named at its end (no legend).
    Returns each area's colour, and the background under `background` (for the contrast test).
    """
    colours: dict[str, str] = {"background": BACKGROUND}
    with af_style():
        fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=150)
        periods = sorted(data.time_period.unique())
        here = periods.index(highlight)
        ax.axvline(here, color=REPORT_YEAR_RULE, linestyle=(0, (4, 3)), linewidth=1, zorder=1)
        ends: list[tuple[float, str, str]] = []
        order = sorted(dict.fromkeys(zip(data.area_type, data.area_name)), key=lambda a: a[0] in EMPHASIS)
        for area_type, area in order:  # muted lines first, under the emphasised ones
            rows = data[(data.area_name == area)].dropna(subset=["value"]).sort_values("time_period")
            if rows.empty:
                continue
            colour, marker, width = series_style(area_type)
            x = [periods.index(p) for p in rows.time_period]
            ax.plot(x, rows.value, color=colour, marker=marker, linewidth=width,
                    markersize=6 if area_type in EMPHASIS else 4, zorder=3 if area_type in EMPHASIS else 2, clip_on=False)
            colours[str(area)] = colour
            ends.append((float(rows.value.iloc[-1]), str(area), colour))
        ax.set_xticks(range(len(periods)), [period_label(p) for p in periods])
        for label in ax.get_xticklabels():
            if label.get_text() == period_label(highlight):
                label.set_fontweight("bold")
        ax.set_xlim(-0.3, len(periods) - 0.7)
        ax.set_xlabel("")
        ax.set_ylabel(ylabel)
        _value_axis(ax, float(data.value.max()) if data.value.notna().any() else 1.0)
        top = ax.get_ylim()[1]
        placed = _spread([v for v, _, _ in ends], gap=top * 0.065)
        for (_, name, colour), y in zip(ends, placed):
            ax.annotate(name, xy=(len(periods) - 1, y), xytext=(8, 0), textcoords="offset points", va="center",
                        fontsize=9, color=colour if colour != MUTED else "#595959", annotation_clip=False)
        _save(fig, path)
    return colours


def bar_chart(data: pd.DataFrame, path: Path, xlabel: str) -> None:
    """Horizontal bars, one per category, largest first; suppressed values left without a bar."""
    with af_style():
        height = 1.2 + 0.35 * len(data)
        fig, ax = plt.subplots(figsize=(7.5, height), dpi=150)
        positions = range(len(data))
        ax.barh(positions, data.value.fillna(0), height=0.8, color=AF_PALETTE[0])
        ax.set_yticks(positions, [str(c) for c in data.category])
        ax.set_ylim(max(len(data), 1) - 0.5, -0.5)  # the first category at the top
        for i, row in enumerate(data.itertuples()):
            text = format_value(row.value, row.unit, row.decimals, row.state)
            ax.text((0 if row.value != row.value else row.value), i, f" {text}", va="center", fontsize=9)
        ax.set_ylabel("")
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        shown = data.value[data.state == "value"] if "state" in data else data.value
        _value_axis(ax, float(shown.max()) if shown.notna().any() else 1.0, axis="x")
        _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> None:
    # The one layout pass of a chart (a second, as line charts had, moved labels by a pixel or two and
    # cost a fifth of the chart's time). tight_layout leaves a placeholder layout engine on the
    # figure, which would lay it out again before drawing: the layout is done, drop the engine.
    fig.tight_layout()
    fig.set_layout_engine(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The pixels savefig would write (the figure's dpi, its opaque background), written as RGB: the
    # alpha channel is opaque everywhere, and without it a chart is about 9% smaller. No text
    # chunks (savefig wrote one naming matplotlib unless told not to); the dpi is recorded as
    # savefig records it. png_write makes the file in half the time Pillow takes.
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height(physical=True)
    write_png(path, fig.canvas.buffer_rgba(), width, height, fig.dpi)  # type: ignore[attr-defined]
    plt.close(fig)
