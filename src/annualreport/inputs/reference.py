"""Reference data: local authority codes and statistical neighbours.

Files live in `data/reference/` as published by DfE (see that folder's README):
`la_code_list.csv` (3-digit DfE codes, names, regions), the statistical-neighbour models
`sn_model_2025_wide.csv` and `New_Statistical_Neighbour_Groupings_April_2021.csv`.
GSS codes (E06..., E10...) come from the national statistics themselves.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from annualreport.errors import InputError

SN_MODELS = {
    "2025": "sn_model_2025_wide.csv",
    "2021": "New_Statistical_Neighbour_Groupings_April_2021.csv",
}


@dataclass(frozen=True)
class LocalAuthority:
    la_code: str
    name: str
    region: str


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path}: reference file missing")
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=4)
def local_authorities(reference_dir: Path) -> dict[str, LocalAuthority]:
    """DfE 3-digit code -> LocalAuthority, from `la_code_list.csv` (LAs only, not regions)."""
    rows = _read_rows(reference_dir / "la_code_list.csv")
    return {
        r["LA Number"]: LocalAuthority(r["LA Number"], r["LA Name"], r["Region"])
        for r in rows
        if r.get("Region")
    }


@lru_cache(maxsize=4)
def gss_codes(population_file: Path) -> dict[str, set[str]]:
    """DfE 3-digit code -> every GSS code it has carried in the national statistics."""
    codes: dict[str, set[str]] = {}
    for r in _read_rows(population_file):
        if r.get("geographic_level") == "Local authority":
            codes.setdefault(r["old_la_code"], set()).add(r["new_la_code"])
    return codes


@lru_cache(maxsize=4)
def statistical_neighbours(reference_dir: Path, model: str) -> dict[str, list[str]]:
    """DfE 3-digit code -> its 10 statistical neighbours (3-digit codes), closest first."""
    if model not in SN_MODELS:
        raise InputError(f"unknown statistical-neighbour model '{model}' (expected one of {sorted(SN_MODELS)})")
    path = reference_dir / SN_MODELS[model]
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    # The two models name their columns differently (SN_1..SN_10 vs SN1..SN10); both put the
    # LA's own code first and each neighbour's code in a column whose name is SN<n> or SN_<n>.
    sn_cols = [i for i, h in enumerate(header) if h.replace("_", "").upper() in {f"SN{n}" for n in range(1, 11)}]
    return {row[0].strip(): [row[i].strip() for i in sn_cols if row[i].strip()] for row in body if row and row[0].strip()}
