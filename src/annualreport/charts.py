"""Charts: seaborn line charts in the Analysis Function style, written as PNG with alt text.

PNG (Agg) output is byte-stable run to run, unlike SVG's random ids, and Typst and HTML both
take it. Every chart is written with its data as CSV beside it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .fmt import format_value, period_label  # noqa: E402

# Analysis Function categorical palette (dark blue, turquoise, dark pink, orange, dark grey, light purple).
AF_PALETTE = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1"]


def alt_text(data: pd.DataFrame, label: str, unit: str, decimals: int, lead: str) -> str:
    """Describe a line chart in words with its figures, e.g.
    'Line chart of re-referrals (%) 2012-13 to 2013-14: Lancashire rose from 27.6% to 31.0%; England 23.5%.'
    """
    periods = sorted(data.dropna(subset=["value"]).time_period.unique()) or sorted(data.time_period.unique())
    first, last = periods[0], periods[-1]
    parts = []
    for i, (area, rows) in enumerate(data.groupby("area_name", sort=False)):
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


def line_chart(data: pd.DataFrame, path: Path, ylabel: str, highlight: int) -> None:
    """Draw one line per area over time, the report year marked; write PNG to path.

    `data` has columns area_name, time_period, value (NaN where there is no figure).
    """
    sns.set_theme(style="whitegrid", font="DejaVu Sans", rc={"axes.edgecolor": "#D6D6D6"})
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
    ax.axvspan(here - 0.4, here + 0.4, color="#E8EDF3", zorder=0, label="_report year")
    ax.set_xlabel("")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(title=None, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)
