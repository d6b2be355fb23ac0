"""The `annualreport` command line: a thin layer over the library's functions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .build import build_report
from .errors import AnnualReportError
from .params import list_partnerships, list_years
from .progress import Progress
from .project import Project, find_project


def _project(path: str | None) -> Project:
    return Project(Path(path).resolve()) if path else find_project()


def _expand(project: Project, partnerships: tuple[str, ...], years: tuple[str, ...]) -> list[tuple[str, str]]:
    """(partnership, year) pairs to build; 'all' means every one with params."""
    names = list_partnerships(project) if "all" in partnerships else list(dict.fromkeys(partnerships))
    pairs = []
    for name in names:
        wanted = list_years(project, name) if "all" in years else list(dict.fromkeys(years))
        if "all" in years and not wanted:
            continue
        pairs += [(name, y) for y in wanted]
    return pairs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="annualreport")
def main() -> None:
    """Build reproducible annual reports for children's safeguarding partnerships."""


@main.command()
@click.option("--partnership", "-p", "partnerships", multiple=True, required=True,
              help="Partnership id (a file params/<id>.yml); repeat it, or give 'all'.")
@click.option("--year", "-y", "years", multiple=True, required=True,
              help="Financial year such as 2013-14 (a file params/<id>/<year>.yml); repeat it, or give 'all'.")
@click.option("--renderer", type=click.Choice(["auto", "quarto", "embedded"]), default="auto", show_default=True,
              help="quarto runs `quarto render`; embedded uses pandoc and Typst from PyPI; auto picks quarto when installed.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Chapters executed at once (one kernel each). Default: the number of cores.")
@click.option("--timeout", type=click.IntRange(min=1), default=600, show_default=True,
              help="Seconds one cell may run before its chapter fails.")
@click.option("--project", "project_dir", type=click.Path(file_okay=False), default=None,
              help="Project folder (holding params/ and notebooks/). Default: found from the current folder.")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the outputs' paths.")
def build(partnerships: tuple[str, ...], years: tuple[str, ...], renderer: str, jobs: int | None,
          timeout: int, project_dir: str | None, quiet: bool) -> None:
    """Build HTML and PDF reports into build/<partnership>/<year>/."""
    try:
        project = _project(project_dir)
        pairs = _expand(project, partnerships, years)
        if not pairs:
            raise AnnualReportError("nothing to build: no params match --partnership/--year")
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    progress = Progress(quiet=quiet)
    failed = 0
    for i, (name, year) in enumerate(pairs, 1):
        progress.say(f"{name} {year}", f"building report {i} of {len(pairs)}")
        try:
            result = build_report(project, name, year, renderer=renderer, jobs=jobs or os.cpu_count(),
                                  timeout=timeout, progress=progress)
        except AnnualReportError as e:
            failed += 1
            click.echo(f"error: [{name} {year}] {e}", err=True)
            continue
        for path in result.outputs:
            click.echo(project.rel(path))
    if failed:
        click.echo(f"{failed} of {len(pairs)} report(s) failed; previous reports were left as they were.", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
