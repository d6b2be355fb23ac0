"""Charts: seaborn in the Analysis Function style (afcharts), written as PNG with alt text.

PNG (Agg) output is byte-stable run to run, unlike SVG's random ids, and Typst and HTML both
take it. Every chart's data is written as CSV beside it, and its alt text is made from that
data, so a reader who cannot see the chart gets the same figures.
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
import seaborn as sns  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402

from annualreport.chapters.fmt import format_value, period_label  # noqa: E402

AF_PALETTE: list[str] = get_af_colours("categorical")
HIGHLIGHT = "#E8EDF3"  # the report year's band


@contextmanager
def af_style() -> Iterator[None]:
    """The afcharts matplotlib style, with DejaVu Sans (shipped with matplotlib) for Arial."""
    style = str(resources.files("afcharts") / "afcharts.mplstyle")
    # text.parse_math off: a category typed with '$' (a budget line, an agency) is drawn as typed, not as maths.
    rc = {"font.sans-serif": ["DejaVu Sans"], "font.size": 11, "text.parse_math": False}
    with plt.style.context(style), matplotlib.rc_context(rc):
        yield


def alt_text(data: pd.DataFrame, label: str, unit: str, decimals: int, lead: str) -> str:
    """Describe a line chart in words with its figures, e.g.
    'Line chart of re-referrals (%) 2012-13 to 2013-14: Lancashire rose from 27.6% to 31.0%; England 23.5%.'
    """
    periods = sorted(data.dropna(subset=["value"]).time_period.unique()) or sorted(data.time_period.unique())
    first, last = periods[0], periods[-1]
    parts: list[str] = []
    for area, rows in data.groupby("area_name", sort=False):
        rows = rows.dropna(subset=["value"]).sort_values("time_period")
        if rows.empty:
            continue
        end = rows.iloc[-1]
        end_text = format_value(end.value, unit, decimals)
        if area == lead and len(rows) > 1:
            start = rows.iloc[0]
            verb = "rose" if end.value > start.value else "fell" if end.value < start.value else "stayed"
            parts.insert(0, f"{area} {verb} from {format_value(start.value, unit, decimals)} "
                            f"in {period_label(int(start.time_period))} to {end_text} in {period_label(int(end.time_period))}")
        else:
            parts.append(f"{area} {end_text} in {period_label(int(end.time_period))}")
    return f"Line chart of {label} {period_label(first)} to {period_label(last)}: " + "; ".join(parts) + "."


def bar_alt_text(data: pd.DataFrame, label: str, unit: str, decimals: int, period: str) -> str:
    """'Bar chart of allegations by outcome, 2013-14: Unsubstantiated 144; Substantiated 86; ...'"""
    parts = [f"{row.category} {format_value(row.value, unit, decimals, row.state)}" for row in data.itertuples()]
    return f"Bar chart of {label}, {period}: " + "; ".join(parts) + "."


def line_chart(data: pd.DataFrame, path: Path, ylabel: str, highlight: int) -> None:
    """Draw one line per area over time, the report year marked; write PNG to path.

    `data` has columns area_name, time_period, value (NaN where there is no figure).
    """
    with af_style():
        fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=150)
        periods = sorted(data.time_period.unique())
        plot = data.dropna(subset=["value"]).copy()
        # Plot against the year's position so that years without data keep their place on the axis.
        plot["x"] = plot.time_period.map(periods.index)
        areas = list(dict.fromkeys(data.area_name))
        sns.lineplot(data=plot, x="x", y="value", hue="area_name", hue_order=areas, style="area_name",
                     style_order=areas, markers=True, dashes=False, palette=AF_PALETTE[: len(areas)], ax=ax, sort=True)
        ax.set_xticks(range(len(periods)), [period_label(p) for p in periods])
        ax.set_xlim(-0.5, len(periods) - 0.5)
        here = periods.index(highlight)
        ax.axvspan(here - 0.4, here + 0.4, color=HIGHLIGHT, zorder=0)
        ax.set_xlabel("")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.legend(title=None, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        _save(fig, path)


def bar_chart(data: pd.DataFrame, path: Path, xlabel: str) -> None:
    """Horizontal bars, one per category, largest first; suppressed values left without a bar."""
    with af_style():
        height = 1.2 + 0.35 * len(data)
        fig, ax = plt.subplots(figsize=(7.5, height), dpi=150)
        sns.barplot(data=data.fillna({"value": 0}), y="category", x="value", color=AF_PALETTE[0], ax=ax, orient="h")
        for i, row in enumerate(data.itertuples()):
            text = format_value(row.value, row.unit, row.decimals, row.state)
            ax.text((0 if row.value != row.value else row.value), i, f" {text}", va="center", fontsize=9)
        ax.set_ylabel("")
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
