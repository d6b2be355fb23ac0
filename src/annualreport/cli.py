"""The `annualreport` command line: a thin layer over the library's functions."""

from __future__ import annotations

import atexit
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

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
    from annualreport.store.figures import Store

# When the command ends, Python's last garbage collection walks every object the command imported
# or made (pandas alone makes hundreds of thousands): a tenth of a second after every build has
# finished. Frozen, they are left to the operating system, which frees the memory as the process
# ends. Nothing waits on that collection: files are written and closed as they are made.
atexit.register(gc.freeze)


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
@click.option("--partnership", "-p", "partnerships", multiple=True,
              help="Partnership id (a file params/<id>.yml); repeat it, or give 'all'.")
@click.option("--year", "-y", "years", multiple=True, required=True,
              help="Financial year such as 2013-14 (a file params/<id>/<year>.yml); repeat it, or give 'all'.")
@click.option("--every-la", is_flag=True,
              help="Instead of --partnership: one single-council draft report per council in England that existed "
                   "in the year, from the national statistics only (params generated in build/.every-la/).")
@click.option("--region", default=None, help="With --every-la: only the councils of this region (e.g. 'North West').")
@click.option("--renderer", type=click.Choice(["auto", "quarto", "embedded"]), default="auto", show_default=True,
              help="quarto runs `quarto render`; embedded uses pandoc and Typst from PyPI; auto picks quarto when installed.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Chapters executed at once (one kernel each), shared by the reports built at once. "
                   "Default: the number of cores (with --executor dask: each worker's threads).")
@click.option("--timeout", type=click.IntRange(min=1), default=600, show_default=True,
              help="Seconds one cell may run before its chapter fails.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local builds the reports here, as many at once as there are cores; dask builds them on Dask workers.")
@click.option("--scheduler", default=None,
              help="With --executor dask: the address of a running Dask scheduler (tcp://host:8786). "
                   "Default: a local cluster on this machine.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="With --executor dask and no --scheduler: worker processes of the local cluster, "
                   "of one thread (one core) each. Default: the cores.")
@click.option("--project", "project_dir", type=click.Path(file_okay=False), default=None,
              help="Project folder (holding params/ and notebooks/). Default: found from the current folder.")
@click.option("--force", is_flag=True, help="Build from nothing cached: execute every chapter, build the store and "
                                           "render again, and read the national files afresh.")
@click.option("--allow-dirty", is_flag=True,
              help="Build a final report although files it reads differ from their git commit "
                   "(the manifest lists them and the appendix says so).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the outputs' paths.")
def build(partnerships: tuple[str, ...], years: tuple[str, ...], every_la: bool, region: str | None, renderer: str,
          jobs: int | None, timeout: int, executor: str, scheduler: str | None, workers: int | None,
          project_dir: str | None, force: bool, allow_dirty: bool, quiet: bool) -> None:
    """Build HTML and PDF reports into build/<partnership>/<year>/.

    Publish only build/<partnership>/<year>/public/ (report.html, report.pdf and data/); the rest of
    the folder (inputs, store, notebooks, manifest.json with the inputs' hashes) is for the audit.
    Several reports are built in turn (or on Dask workers); one that fails stops no other, and a
    summary at the end names each failure (exit 1 if any failed).
    """
    try:
        project = _project(project_dir)
        if every_la == bool(partnerships):
            raise AnnualReportError("give either --partnership (one or more, or 'all') or --every-la")
        if region is not None and not every_la:
            raise AnnualReportError("--region goes with --every-la")
        if (scheduler is not None or workers is not None) and executor != "dask":
            raise AnnualReportError("--scheduler and --workers go with --executor dask")
        if scheduler is not None and workers is not None:
            raise AnnualReportError("--workers sets the size of a local cluster; with --scheduler the cluster has its own workers")
        if every_la:
            project, pairs = _every_la(project, years, region)
        else:
            pairs = _expand(project, partnerships, years)
        if not pairs:
            raise AnnualReportError("nothing to build: no params match --partnership/--year")
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    from annualreport.provenance.uptodate import answer

    progress = Progress(quiet=quiet)
    specs = []
    for name, year in pairs:  # a report with nothing changed is answered from its manifest, importing nothing heavy
        found = None if force else answer(project, name, year, renderer, allow_dirty, progress)
        if found is None:
            specs.append((name, year))
            continue
        for path in found[1]:
            click.echo(project.rel(path))
    if not specs:
        return
    from annualreport.execution.batch import BuildOptions, ReportSpec, run_local, say_outcome

    specs = [ReportSpec(name, year) for name, year in specs]
    options = BuildOptions(renderer, jobs, timeout, force, allow_dirty)
    done = say_outcome(progress, click.echo, lambda line: click.echo(line, err=True))
    try:
        if executor == "dask":
            from annualreport.execution.dask_executor import run_dask

            summary = run_dask(project, specs, options, progress, done, scheduler=scheduler, workers=workers)
        else:
            summary = run_local(project, specs, options, progress, done)
    except KeyboardInterrupt:
        click.echo("interrupted: the report being built was not; previous reports were left as they were.", err=True)
        sys.exit(130)
    if len(specs) > 1:
        for line in summary.lines():
            click.echo(line, err=True)
    if summary.failed:
        click.echo(f"{len(summary.failed)} of {len(specs)} report(s) failed; previous reports were left as they were.",
                   err=True)
        sys.exit(1)


def _every_la(project: Project, years: tuple[str, ...], region: str | None) -> tuple[Project, list[tuple[str, str]]]:
    """The generated params of --every-la (one project per year would differ only in its params
    folder, so one year at a time is allowed)."""
    from annualreport.inputs.every_la import every_la_params

    if len(years) != 1 or "all" in years:
        raise AnnualReportError("--every-la builds one year: give one --year such as 2023-24")
    generated, ids = every_la_params(project, years[0], region)
    return generated, [(rid, years[0]) for rid in ids]


def _params_or_exit(project_dir: str | None, partnership: str, year: str) -> "tuple[Project, ReportParams]":
    from annualreport.inputs.params import load_params

    try:
        project = _project(project_dir)
        return project, load_params(project, partnership, year)
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)


def _store_or_exit(project: "Project", params: "ReportParams") -> "Store":
    """The partnership-year's indicator store, computed now; the national datasets come through the
    user's cache as a build's do (store/national_cache.py), so these commands do not parse the
    national files again each time."""
    from annualreport.build import environment_digest
    from annualreport.inputs.result_cache import cache_dir
    from annualreport.store import national_cache
    from annualreport.store.figures import build_store

    try:
        national_cache.use(cache_dir() / "national", environment_digest(project))
        return build_store(project, params)
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
    """Write blank, documented local-input files to data/local/<partnership>/<year>/ (never overwrites),
    for the inputs the year's chapters show."""
    from annualreport.inputs.checks import local_folder
    from annualreport.inputs.framework import inputs_of
    from annualreport.inputs.local_template import write_templates

    project, params = _params_or_exit(project_dir, partnership, year)
    folder = local_folder(project, partnership, year)
    try:  # the inputs the report's chapters show: an LSCB year gets no scrutiny.yml, and so on
        written = write_templates(folder, partnership, year, root=project.root, inputs=inputs_of(params.report.chapters))
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
    from annualreport.store.indicators_csv import indicators_csv

    store = _store_or_exit(*_params_or_exit(project_dir, partnership, year))
    if unsuppressed:
        click.echo("warning: unsuppressed figures: for internal use only, do not publish", err=True)
    click.echo(indicators_csv(store if unsuppressed else store.public()), nl=False)


@main.command()
@partnership_year
@click.option("--meaning", is_flag=True, help="Show what each name stands for instead of this year's value.")
def placeholders(partnership: str, year: str, meaning: bool, project_dir: str | None) -> None:
    """List every {{ placeholder }} a narrative file or markdown cell may use, with what it shows this year
    (or, with --meaning, what it stands for)."""
    from annualreport.inputs.narrative import meanings
    from annualreport.inputs.narrative import placeholders as placeholder_values

    computed = _store_or_exit(*_params_or_exit(project_dir, partnership, year))
    try:
        store = computed.public()
        values = placeholder_values(store)
    except AnnualReportError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    values |= {"glossary": "(the glossary of the terms the report uses)",
               "provenance": "(how the report was made: code, data and environment)"}
    if meaning:
        values = meanings(store, list(values))
    width = max(map(len, values))
    for name in sorted(values):
        shown = " ".join(values[name].split())
        limit = 200 if meaning else 100
        click.echo(f"{{{{ {name} }}}}".ljust(width + 6) + (shown[:limit] + "..." if len(shown) > limit else shown))
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
    from annualreport.inputs.checks import local_folder
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
