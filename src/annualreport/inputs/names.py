"""Partnership ids, chapter names and years as given on the command line or in params, and the
partnerships and years that have params (standard library only: the command line checks names
before importing anything heavy)."""

from __future__ import annotations

import re

from annualreport.errors import ParamsError
from annualreport.project import Project

YEAR_PATTERN = re.compile(r"(\d{4})-(\d{2})")
# A partnership id or chapter name: it becomes part of file paths, so no '/', '..' or absolute path.
NAME_PATTERN = re.compile(r"[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*")


def check_name(name: str, what: str) -> str:
    """Validate a partnership id or chapter name, which becomes part of a file path."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"not a valid {what}, found {name!r}: use letters, digits, '-' and '_' only "
                         "(no '/', '..', spaces or absolute paths)")
    return name


def check_names(partnership_id: str | None = None, year: str | None = None) -> None:
    """Validate a partnership id and a year given on the command line, before any path is made of them.

    Raises ParamsError naming the option."""
    for option, value, check in (("--partnership", partnership_id, lambda v: check_name(v, "partnership id")),
                                 ("--year", year, check_year)):
        if value is None:
            continue
        try:
            check(value)
        except ValueError as e:
            raise ParamsError(f"{option} {value}", [str(e)]) from None


def check_year(year: str) -> int:
    """Validate a financial year written '2013-14'; returns its time_period (2014)."""
    m = YEAR_PATTERN.fullmatch(year)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"expected a financial year such as '2013-14', found '{year}'")
    return int(m.group(1)) + 1


def list_partnerships(project: Project) -> list[str]:
    return sorted(p.stem for p in project.params_dir.glob("*.yml"))


def list_years(project: Project, partnership_id: str) -> list[str]:
    return sorted(p.stem for p in (project.params_dir / partnership_id).glob("*.yml"))
