"""The `annualreport` command line: a thin layer over the library's functions."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from typing import TYPE_CHECKING

import click

# Only light modules here: `--help`, and a build with nothing to do (uptodate.py), import no pandas,
# matplotlib or papermill; each command imports what it needs.
from annualreport import __version__
from annualreport.errors import AnnualReportError
from annualreport.execution.progress import Progress
from annualreport.inputs.names import check_names, list_partnerships, list_years
from annualreport.project import Project, find_project

if TYPE_CHECKING:
    from annualreport.inputs.params import ReportParams


def _project(path: str | None) -> Project:
    return Project(Path(path).resolve()) if path else find_project()


def _expand(project: Project, partnerships: tuple[str, ...], years: tuple[str, ...]) -> list[tuple[str, str]]:
    """(partnership, year) pairs to build; 'all' means every one with params. Names are validated
    before any folder is listed (ParamsError naming the option)."""
    for name in partnerships:
        check_names(partnership_id=None if name == "all" else name)
    for year in years:
        check_names(year=None if year == "all" else year)
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
@click.option("--force", is_flag=True, help="Execute every chapter, ignoring executed chapters in the cache.")
@click.option("--allow-dirty", is_flag=True,
              help="Build a final report although files it reads differ from their git commit "
                   "(the manifest lists them and the appendix says so).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the outputs' paths.")
def build(partnerships: tuple[str, ...], years: tuple[str, ...], renderer: str, jobs: int | None,
          timeout: int, project_dir: str | None, force: bool, allow_dirty: bool, quiet: bool) -> None:
    """Build HTML and PDF reports into build/<partnership>/<year>/.

    Publish only build/<partnership>/<year>/public/ (report.html, report.pdf and data/); the rest of
    the folder (inputs, store, notebooks, manifest.json with the inputs' hashes) is for the audit.
    """
    try:
        project = _project(project_dir)
        pairs = _expand(project, partnerships, years)
        if not pairs:
            raise AnnualReportError("nothing to build: no params match --partnership/--year")
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    from annualreport.provenance.uptodate import answer

    progress = Progress(quiet=quiet)
    failed = 0
    for i, (name, year) in enumerate(pairs, 1):
        progress.say(f"{name} {year}", f"building report {i} of {len(pairs)}")
        found = None if force else answer(project, name, year, renderer, allow_dirty, progress)
        if found is not None:
            for path in found[1]:
                click.echo(project.rel(path))
            continue
        from annualreport.build import build_report

        try:
            result = build_report(project, name, year, renderer=renderer, jobs=jobs or os.cpu_count(),
                                  timeout=timeout, progress=progress, force=force, allow_dirty=allow_dirty)
        except KeyboardInterrupt:
            click.echo(f"interrupted: [{name} {year}] not built; previous reports were left as they were.", err=True)
            sys.exit(130)
        except AnnualReportError as e:
            failed += 1
            click.echo(f"error: [{name} {year}] {e}", err=True)
            continue
        executed = len(result.executed)
        progress.say(f"{name} {year}", f"{executed} of {len(result.chapters)} notebooks executed, "
                                       f"{len(result.chapters) - executed} reused from the cache")
        for path in result.outputs:
            click.echo(project.rel(path))
    if failed:
        click.echo(f"{failed} of {len(pairs)} report(s) failed; previous reports were left as they were.", err=True)
        sys.exit(1)


def _params_or_exit(project_dir: str | None, partnership: str, year: str) -> "tuple[Project, ReportParams]":
    from annualreport.inputs.params import load_params

    try:
        project = _project(project_dir)
        return project, load_params(project, partnership, year)
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)


PROJECT_OPTION = click.option("--project", "project_dir", type=click.Path(file_okay=False), default=None,
                              help="Project folder (holding params/ and notebooks/). Default: found from the current folder.")


def partnership_year(command: Callable) -> Callable:
    """The options naming one partnership-year, and the project folder."""
    command = PROJECT_OPTION(command)
    command = click.option("--year", "-y", required=True, help="Financial year such as 2013-14.")(command)
    return click.option("--partnership", "-p", required=True, help="Partnership id (params/<id>.yml).")(command)


@main.command()
@partnership_year
def check(partnership: str, year: str, project_dir: str | None) -> None:
    """Validate every input of a partnership-year without building; list every problem."""
    from annualreport.inputs.checks import blocking, check_inputs, local_folder

    project, params = _params_or_exit(project_dir, partnership, year)
    problems = check_inputs(project, params)
    for name, reason in params.report.not_provided.items():
        click.echo(f"not provided (declared in params): {name}: {reason}", err=True)
    for problem in problems:
        click.echo(str(problem))
    faults = blocking(problems, params)
    if faults:
        files = len({p.file for p in faults})
        click.echo(f"{len(faults)} problem(s) in {files} file(s) (rows are counted as in a spreadsheet: the header is row 1)", err=True)
        sys.exit(1)
    if problems:
        click.echo("the input(s) above are not provided yet: this draft builds without them and says so; "
                   "a final report needs them, or each listed under not_provided with the reason", err=True)
        click.echo(f"every input provided for {partnership} {year} is valid ({project.rel(local_folder(project, partnership, year))})", err=True)
        return
    click.echo(f"all inputs of {partnership} {year} are valid ({project.rel(local_folder(project, partnership, year))})", err=True)


@main.command()
@partnership_year
def template(partnership: str, year: str, project_dir: str | None) -> None:
    """Write blank, documented local-input files to data/local/<partnership>/<year>/ (never overwrites)."""
    from annualreport.inputs.checks import local_folder
    from annualreport.inputs.local_template import write_templates

    project, _ = _params_or_exit(project_dir, partnership, year)
    folder = local_folder(project, partnership, year)
    try:
        written = write_templates(folder, partnership, year, root=project.root)
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    for path in written:
        click.echo(project.rel(path))
    kept = "" if written else " (every file already exists; nothing was overwritten)"
    click.echo(f"{len(written)} file(s) written to {project.rel(folder)}{kept}; see its README.md", err=True)


@main.command()
@partnership_year
@click.option("--unsuppressed", is_flag=True,
              help="Include small counts that public outputs suppress (for internal use only).")
def indicators(partnership: str, year: str, unsuppressed: bool, project_dir: str | None) -> None:
    """Write the indicator store of a partnership-year as CSV to standard output."""
    from annualreport.store.figures import build_store
    from annualreport.store.indicators_csv import indicators_csv

    project, params = _params_or_exit(project_dir, partnership, year)
    try:
        store = build_store(project, params)
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    if unsuppressed:
        click.echo("warning: unsuppressed figures: for internal use only, do not publish", err=True)
    click.echo(indicators_csv(store if unsuppressed else store.public()), nl=False)


@main.command()
@partnership_year
def placeholders(partnership: str, year: str, project_dir: str | None) -> None:
    """List every {{ placeholder }} a narrative file or markdown cell may use, with what it shows this year."""
    from annualreport.inputs.narrative import placeholders as placeholder_values

    project, params = _params_or_exit(project_dir, partnership, year)
    try:
        values = placeholder_values(build_store(project, params).public())
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    values |= {"glossary": "(the glossary of the terms the report uses)",
               "provenance": "(how the report was made: code, data and environment)"}
    width = max(map(len, values))
    for name in sorted(values):
        shown = " ".join(values[name].split())
        click.echo(f"{{{{ {name} }}}}".ljust(width + 6) + (shown[:100] + "..." if len(shown) > 100 else shown))
    click.echo(f"{len(values)} placeholders; write them as {{{{ name }}}} in narrative files and notebook markdown", err=True)


@main.command()
@click.argument("manifest", type=click.Path(dir_okay=False))
@click.option("--quiet", "-q", is_flag=True, help="Print only the verdict.")
def verify(manifest: str, quiet: bool) -> None:
    """Rebuild the report MANIFEST describes, cache off, and compare every output's hash.

    \b
    Exit codes:
      0  identical: every output matches the manifest
      1  different: says what differs, grouped by cause: inputs changed (with the figures and
         cells that moved), code changed, environment differs from the lock, or outputs differ
         with identical inputs (a determinism bug)
      2  could not rebuild, and why: e.g. the inputs no longer pass their checks (each problem
         listed, with what changed since the build), or the manifest is missing or unreadable
    """
    from annualreport.provenance.verify import EXIT_DIFFERENT, EXIT_IDENTICAL, EXIT_NOT_REBUILT
    from annualreport.provenance.verify import verify as run_verify

    try:
        verdict = run_verify(Path(manifest).resolve(), Progress(quiet=quiet))
    except AnnualReportError as e:
        click.echo(f"could not rebuild: {e}", err=True)
        sys.exit(EXIT_NOT_REBUILT)
    for line in verdict.lines():
        click.echo(line)
    sys.exit(EXIT_IDENTICAL if verdict.identical else EXIT_DIFFERENT)


@main.group()
def data() -> None:
    """The national statistics: add a newly published release."""


@data.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@PROJECT_OPTION
def data_add(files: tuple[str, ...], project_dir: str | None) -> None:
    """Recognise, check and add newly published EES FILES to data/national (and its catalog).

    Every fault of every file is reported in one run, and then nothing is changed."""
    from annualreport.store.data_add import add_files

    try:
        project = _project(project_dir)
        added = add_files(project, [Path(f).resolve() for f in files])
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    for rec, rel in added:
        click.echo(f"added {project.rel(project.national_dir / rel)}: {rec.like.dataset}, {rec.release} "
                   f"({rec.first} to {rec.last}); the next build uses it for those years")


@main.group()
def returns() -> None:
    """Returns from partner agencies: Excel workbooks to send out and to read back."""


@returns.command("make")
@partnership_year
@click.option("--by-agency", is_flag=True, help="One workbook per partner agency, as named under `returns:` in the "
                                                "partnership params (default: one workbook with a sheet per dataset).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder for the workbooks (default: build/returns/<partnership>/<year>/).")
@click.option("--force", is_flag=True, help="Overwrite workbooks already made.")
def returns_make(partnership: str, year: str, by_agency: bool, out_dir: str | None, force: bool,
                 project_dir: str | None) -> None:
    """Write the Excel workbooks that ask partner agencies for this year's local figures."""
    from annualreport.inputs.returns.make import make_returns

    project, params = _params_or_exit(project_dir, partnership, year)
    out = Path(out_dir) if out_dir else project.build_dir / "returns" / partnership / year
    try:
        written = make_returns(project, params, out.resolve(), by_agency=by_agency, overwrite=force)
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    for path in written:
        click.echo(project.rel(path))
    click.echo(f"{len(written)} workbook(s) written; send them out, then read the answers back with "
               f"`annualreport returns collect -p {partnership} -y {year} FILE...`", err=True)


@returns.command("collect")
@partnership_year
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
def returns_collect(partnership: str, year: str, files: tuple[str, ...], project_dir: str | None) -> None:
    """Read completed workbooks FILES and write the local inputs, only if every cell of every one is valid."""
    from annualreport.inputs.returns.collect import collect_returns

    project, params = _params_or_exit(project_dir, partnership, year)
    faults, written = collect_returns(project, params, [Path(f) for f in files])
    for fault in faults:
        click.echo(str(fault))
    if faults:
        click.echo(f"{len(faults)} problem(s); nothing was written", err=True)
        sys.exit(1)
    folder = project.rel(local_folder(project, partnership, year))
    for item in written:
        click.echo(f"{folder}/{item.dataset.name}.csv: {len(item.rows)} row(s) for {year} from {item.workbook}")
    click.echo(f"{len(written)} dataset(s) written; run `annualreport check -p {partnership} -y {year}` next", err=True)


if __name__ == "__main__":
    main()
