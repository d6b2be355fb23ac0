"""Params for a benchmarking pack: one single-council draft report per local authority.

`annualreport build --every-la --year 2023-24` builds a report for every council in England that
existed in that year (it has a row in the ONS population estimates for the year), from the
national statistics only. The params are generated, never written to `params/`: they go to
`build/.every-la/<year>/params/` (rewritten on every run, so they always follow the reference
data), and the reports are built with a project whose params folder is that one
(`GeneratedParamsProject`). Each report is a draft with the chapters the national statistics
fill; every local input is declared not provided, with the reason, so the appendix says why.

A report's id is `la-<DfE code>-<name>` (`la-888-lancashire`), so it never takes the place of a
partnership's own report in `build/`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from annualreport.errors import ParamsError
from annualreport.inputs.local_schema import DATASET_BY_NAME, TEXT_BY_NAME
from annualreport.inputs.names import check_names
from annualreport.inputs.reference import LocalAuthority, local_authorities
from annualreport.project import Project

POPULATION_FILE = "ons_mid-year_population_estimates_2012_to_2024.csv"
# The chapters the national statistics fill (the others are made of local inputs only).
NATIONAL_CHAPTERS = ("summary", "local_context", "front_door", "child_protection", "looked_after", "appendix")
NOT_PROVIDED_REASON = "a benchmarking report made from the national statistics only"
GENERATED_DIR = ".every-la"


@dataclass(frozen=True)
class GeneratedParamsProject(Project):
    """A project whose params are read from a generated folder instead of `params/`."""

    generated_params: Path = Path()

    @property
    def params_dir(self) -> Path:
        return self.generated_params


def report_id(la: LocalAuthority) -> str:
    """'la-888-lancashire', 'la-202-camden', 'la-867-bracknell-forest'."""
    slug = re.sub(r"[^a-z0-9]+", "-", la.name.lower()).strip("-")
    return f"la-{la.la_code}-{slug}"


def councils_in_year(project: Project, year: str) -> dict[str, str]:
    """DfE code -> GSS code of every council with an ONS child-population row for the report year
    (`time_period` 2024 for 2023-24): the councils that existed then."""
    time_period = str(int(year[:4]) + 1)
    path = project.national_dir / POPULATION_FILE
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["old_la_code"]: r["new_la_code"] for r in csv.DictReader(f)
                if r["geographic_level"] == "Local authority" and r["time_period"] == time_period}


def every_la_params(project: Project, year: str, region: str | None = None) -> tuple[GeneratedParamsProject, list[str]]:
    """Write the params of one draft report per council of `year` (only `region`'s, if given) to
    build/.every-la/<year>/params/ and return the project that reads them, with the report ids in
    order of DfE code.

    Raises ParamsError naming the option for a bad year, a region no council is in, or a year
    with no councils in the population estimates."""
    check_names(year=year)
    las = local_authorities(project.reference_dir)
    gss = councils_in_year(project, year)
    if not gss:
        raise ParamsError(f"--year {year}", [f"no council has a population estimate for {year} "
                                             f"(data/national/{POPULATION_FILE}): no reports to build"])
    councils = [las[code] for code in sorted(gss) if code in las]
    if region is not None:
        regions = sorted({la.region for la in councils})
        councils = [la for la in councils if la.region == region]
        if not councils:
            raise ParamsError(f"--region {region}", [f"no council in that region (regions: {', '.join(regions)})"])
    folder = project.build_dir / GENERATED_DIR / year / "params"
    (folder).mkdir(parents=True, exist_ok=True)
    ids = []
    for la in councils:
        rid = report_id(la)
        _write(folder / f"{rid}.yml", _partnership(la, gss[la.la_code]))
        _write(folder / rid / f"{year}.yml", _report_year(year))
        ids.append(rid)
    return GeneratedParamsProject(project.root, generated_params=folder), ids


def _partnership(la: LocalAuthority, gss_code: str) -> dict:
    # The report reads "the annual report of the Lancashire council area"; tables say "Lancashire".
    return {"name": f"{la.name} council area", "short_name": la.name,
            "members": [{"name": la.name, "la_code": la.la_code, "gss_code": gss_code}],
            "region": la.region, "statistical_neighbours": "2025"}


def _report_year(year: str) -> dict:
    return {"year": year, "status": "draft", "chapters": list(NATIONAL_CHAPTERS),
            "not_provided": {name: NOT_PROVIDED_REASON for name in (*DATASET_BY_NAME, *TEXT_BY_NAME)}}


def _write(path: Path, data: dict) -> None:
    text = "# Generated by `annualreport build --every-la`; rewritten on every run.\n" + \
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
