"""`annualreport indicators`: the store as CSV, one row per indicator, area and year, with the
comparators beside each figure."""

from __future__ import annotations

import csv
import io

import pandas as pd

from annualreport.chapters.fmt import format_value, period_label
from annualreport.store.figures import Store

COMPARATOR_COLUMNS = {"england": "england", "region": "region", "sn_mean": "sn_mean", "sn_median": "sn_median"}
HEADER = ["indicator", "title", "unit", "polarity", "area_type", "la_code", "area_name", "year", "time_period",
          "value", "formatted", "state", "direction", "judgement", "quartile", "rag",
          "england", "region", "sn_mean", "sn_median", "note", "source"]


def _comparator(row: object, info: dict) -> str:
    """A comparator's value, rounded as the indicator is, without separators or units."""
    if row is None or pd.isna(row.value):  # type: ignore[attr-defined]
        return ""
    return format_value(float(row.value), info["unit"], info["decimals"]).rstrip("%").replace(",", "")  # type: ignore[attr-defined]


def indicators_csv(store: Store) -> str:
    """Every partnership and member figure with England, region and neighbours beside it."""
    f = store.frame
    comparators = {
        (row.indicator, row.area_type, int(row.time_period)): row
        for row in f[f.area_type.isin(list(COMPARATOR_COLUMNS))].itertuples(index=False)
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in f[f.area_type.isin(["partnership", "member"])].itertuples(index=False):
        info = store.indicator(row.indicator)
        value = None if pd.isna(row.value) else float(row.value)

        writer.writerow([
            row.indicator, info["title"], info["unit"], info["polarity"], row.area_type,
            row.area_code if row.area_type == "member" else "", row.area_name, period_label(int(row.time_period)),
            int(row.time_period), "" if value is None else f"{value:.10g}",
            format_value(value, info["unit"], info["decimals"], row.state), row.state, row.direction, row.judgement,
            "" if pd.isna(row.quartile) else int(row.quartile), row.rag,
            *(_comparator(comparators.get((row.indicator, a, int(row.time_period))), info) for a in COMPARATOR_COLUMNS),
            row.note, row.source,
        ])
    return out.getvalue()
