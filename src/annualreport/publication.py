"""The last check before a report is published: no small count in any published data file.

Chapters publish through helpers that suppress small numbers, but a chapter's own code could
write a table that does not. Every CSV under data/ is what readers download, so each is read
back and any count from 1 to the threshold minus 1 is reported with file, row and column. A
final report refuses to build while there is one; a draft is built and the build says so.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .checks import Problem
from .local_schema import DATASETS


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").replace("£", ""))
    except ValueError:
        return None


def small_counts(folder: Path, indicators: dict[str, dict], threshold: int) -> list[Problem]:
    """Counts below the threshold in the published CSVs of a build folder."""
    count_labels = {m.label for d in DATASETS for m in d.measures if m.unit == "count" and m.disclosive}
    problems = []
    for path in sorted((folder / "data").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            for row_number, row in enumerate(reader, start=2):
                if "indicator" in row and "value" in row:
                    is_count = indicators.get(row["indicator"], {}).get("unit") == "count"
                    columns = ["value"] if is_count else []
                elif "unit" in row and "value" in row:
                    columns = ["value"] if row["unit"] == "count" else []
                else:
                    columns = [c for c in row if c in count_labels]
                for column in columns:
                    value = _number(row[column] or "")
                    if value is not None and 0 < value < threshold:
                        problems.append(Problem(f"data/{path.name}", row_number, column, f"{value:g}",
                                                f"no count from 1 to {threshold - 1} in a published file (suppress it)",
                                                "unsuppressed small number"))
    return problems
