"""Shared fixtures: a private copy of the project per test, and real builds run through the CLI.

The example reports (Lancashire 2013-14 and 2017-18, Kingston and Richmond 2023-24, the SYNTHETIC
HIPSS fixture 2022-23 with partners' logos) are each built once per test run, in a shared temporary
folder, and shared by every test that only reads them; under pytest-xdist the workers share them too
(before its first test each worker builds those the run needs that no other worker has started; a
test whose build another worker is making waits for it, under a file lock). A test that changes a
project works on its own copy (`copy_project`, `copy_built`), never on a shared build.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cli_fork
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def copy_project(dest: Path) -> Path:
    """A project folder with its own params/, notebooks/ and local inputs (editable by a test);
    the national and reference data are links to the repo's."""
    (dest / "data").mkdir(parents=True, exist_ok=True)
    for folder in ("params", "notebooks", "data/local"):
        shutil.copytree(REPO / folder, dest / folder)
    for folder in ("national", "reference"):
        (dest / "data" / folder).symlink_to(REPO / "data" / folder, target_is_directory=True)
    return dest


def copy_fixture(project: Path, name: str = "hipss") -> Path:
    """Add a fixture partnership to a project copy: its params and its local inputs (tests/fixtures/<name>/).

    `hipss` is the SYNTHETIC four-council partnership (Hampshire, Isle of Wight, Portsmouth and
    Southampton), 2022-23, with council-level local rows and small counts."""
    source = FIXTURES / name
    shutil.copytree(source / "params", project / "params", dirs_exist_ok=True)
    shutil.copytree(source / "data" / "local", project / "data" / "local", dirs_exist_ok=True)
    return project


def add_partner_logos(project: Path) -> Path:
    """Give the SYNTHETIC partnership (copy_fixture) two made-up partner logos, shown on its cover (its
    chapters are its year's: every national chapter and the safeguarding partners' own)."""
    import yaml
    from PIL import Image

    branding = project / "params" / "hipss" / "branding"
    branding.mkdir(parents=True)
    for i, colour in enumerate(("#12436D", "#28A197")):
        Image.new("RGB", (240, 120), colour).save(branding / f"partner-{i + 1}.png")
    partnership = project / "params" / "hipss.yml"
    data = yaml.safe_load(partnership.read_text(encoding="utf-8"))
    data["branding"] = {"partner_logos": [{"file": f"partner-{i}.png", "alt": f"Partner {i} logo (SYNTHETIC)"}
                                          for i in (1, 2)]}
    partnership.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return project


def copy_built(build: Path, dest: Path) -> Path:
    """A private copy of the project of a shared build (`build` is its build/<partnership>/<year>
    folder): params, notebooks, inputs, the report as built and the chapter cache, links kept as
    links. A test changes its copy, never the shared build."""
    shutil.copytree(build.parents[2], dest, symlinks=True)
    return dest


def seed_cache(project: Path, build: Path) -> Path:
    """Give `project` the chapter cache of a shared build (but not its report): a build of the same
    chapters with the same inputs reuses them, and any chapter whose code, parameters or inputs the
    test changed is executed as usual (the cache is keyed by them; see execution/cache.py)."""
    shutil.copytree(build.parents[2] / "build" / ".cache", project / "build" / ".cache")
    return project


def run_cli(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m annualreport ARGS --project PROJECT` as a user would, in the project folder,
    capturing output: a child forked from a process that has imported the package (cli_fork.py)."""
    argv = [*args, "--project", str(project)] if args and args[0] == "build" else list(args)
    return cli_fork.run(argv, project, env).completed([sys.executable, "-m", "annualreport", *argv])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


CLEANUP = pytest.StashKey[threading.Thread]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Remove the temporary folders of earlier runs that pytest would remove when this run ends (all
    but the newest few: tmp_path_retention_count), in the background while the tests run. At the end
    they took about 3.5 s (a run leaves some 28,000 files), after the last test, both cores idle.
    The run waits for it at its end (pytest_sessionfinish), so no folder is left half removed."""
    if os.environ.get("PYTEST_XDIST_WORKER") or session.config.option.basetemp:
        return  # the workers' folders are in the run's own; a --basetemp is the user's to keep
    from _pytest.pathlib import LOCK_TIMEOUT, cleanup_numbered_dir

    base = session.config._tmp_path_factory.getbasetemp()  # this run's pytest-N (the name pytest-xdist uses too)
    keep = max(1, int(session.config.getini("tmp_path_retention_count")))
    cleanup = threading.Thread(target=cleanup_numbered_dir, name="old-temporary-folders", daemon=True,
                               args=(base.parent, "pytest-", keep, base.stat().st_mtime - LOCK_TIMEOUT))
    cleanup.start()
    session.config.stash[CLEANUP] = cleanup


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Wait for the removal pytest_sessionstart started (no wait unless the run was shorter), before
    pytest's own cleanup, which would skip the folders it is removing (their locks)."""
    cleanup = session.config.stash.get(CLEANUP, None)
    if cleanup is not None:
        cleanup.join()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items[:] = slow_modules_first(items)
    keep_xdist_groups(config, items)


def slow_modules_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The modules that have a test marked slow first, each module's tests together and in their
    order (so a module's fixtures are made once). The workers take the long work first, and the run
    ends on short tests: not on one worker finishing a long build while the other core waits."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    return sorted(items, key=lambda item: item.nodeid.split("::")[0] not in slow)


def keep_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `--dist loadgroup` grouping by `xdist_group` on pytest 9.2, whose node ids are structured:
    pytest-xdist (3.8) marks a test's group by assigning `item._nodeid`, which pytest 9.2 no longer
    reads, so every group was silently spread over both workers and its module's build made on each
    (pytest-dev/pytest-xdist#1386). The same suffix xdist adds, set where pytest 9.2 reads the id;
    nothing is done where xdist's own suffix took effect."""
    if not getattr(config.option, "loadgroup", False):  # set on each worker of `--dist loadgroup`
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                  for mark in item.iter_markers("xdist_group")}
        if groups and "@" not in item.nodeid.rpartition("]")[2] and hasattr(item, "_id"):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(groups))}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


# -- builds shared by the whole run (and by every xdist worker) -------------------------------
@dataclass(frozen=True)
class SharedBuild:
    """A report built once for the whole run: its folder and what the build printed."""

    folder: Path  # build/<partnership>/<year> in the build's own project
    returncode: int
    stdout: str
    stderr: str


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the whole run: under xdist, the parent of every worker's temporary folder."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-builds"
    root.mkdir(exist_ok=True)
    return root


def _build_once(root: Path, name: str, partnership: str, year: str, options: tuple[str, ...],
                prepare: Callable[[Path], None], wait: bool = True) -> bool:
    """Build `partnership year` in root/name unless it was built already; whether it is built now.
    With wait=False, a build another worker holds the lock of is left to it (False at once)."""
    log = root / f"{name}.json"
    with (root / f"{name}.lock").open("w") as lock:
        try:  # held until the build is done: other workers wait here (or, not waiting, go on)
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if not log.exists():
            project = copy_project(root / name)
            prepare(project)
            proc = run_cli(project, "build", "-p", partnership, "-y", year, "--renderer", "embedded", *options)
            log.write_text(json.dumps({"folder": str(project / "build" / partnership / year), "returncode": proc.returncode,
                                       "stdout": proc.stdout, "stderr": proc.stderr}), encoding="utf-8")
    return True


def shared_build(tmp_path_factory: pytest.TempPathFactory, name: str, partnership: str, year: str,
                 *options: str, prepare: Callable[[Path], None] = lambda project: None) -> SharedBuild:
    """Build `partnership year` once per run in a project copy named `name` (after `prepare` adds to
    it); every later caller, in this process or another worker, gets the same build."""
    root = shared_root(tmp_path_factory)
    _build_once(root, name, partnership, year, options, prepare)
    recorded = json.loads((root / f"{name}.json").read_text(encoding="utf-8"))
    built = SharedBuild(Path(recorded["folder"]), recorded["returncode"], recorded["stdout"], recorded["stderr"])
    assert built.returncode == 0, built.stderr
    return built


@dataclass(frozen=True)
class Example:
    """A shared build: its project copy's name, what it builds, and what `prepare` adds to the copy."""

    name: str
    partnership: str
    year: str
    options: tuple[str, ...] = ()
    prepare: Callable[[Path], None] = lambda project: None

    def get(self, tmp_path_factory: pytest.TempPathFactory) -> SharedBuild:
        return shared_build(tmp_path_factory, self.name, self.partnership, self.year, *self.options, prepare=self.prepare)


# The shared builds, by the fixtures that give them (each has a *_run and a folder fixture).
EXAMPLES = {
    ("lancashire_run", "lancashire_build"): Example("lancashire-2013-14", "lancashire", "2013-14"),
    ("kingston_run", "kingston_build"): Example("kingston-2023-24", "kingston-richmond", "2023-24"),
    ("hipss_run", "hipss_build"): Example("hipss-2022-23", "hipss", "2022-23",
                                          prepare=lambda project: add_partner_logos(copy_fixture(project))),
    ("lancashire_2017_run", "lancashire_2017"): Example("lancashire-2017-18", "lancashire", "2017-18", ("--jobs", "2")),
}
EXAMPLE = {fixture: example for fixtures, example in EXAMPLES.items() for fixture in fixtures}
NEEDED = pytest.StashKey[list]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note the shared builds the selected tests use: by name, or as a parameter naming the fixture.
    Then keep what is there now out of the garbage collector's full collections (gc.freeze)."""
    used: set[str] = set()
    for item in session.items:
        used |= set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        used |= {v for v in (callspec.params.values() if callspec else ()) if isinstance(v, str)}
    session.config.stash[NEEDED] = [e for fixtures, e in EXAMPLES.items() if used & set(fixtures)]
    # The imported modules, test items and fixtures live as long as the run. A full collection walked
    # them all again some thirty times in each worker: 5 of its 6 CPU-seconds of garbage collection.
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def prebuilt_examples(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Before its first test, each worker builds the shared builds the run needs that no other worker
    has started, so both workers build at once instead of one waiting for the other's build."""
    root = shared_root(tmp_path_factory)
    # The user's result caches (check results, national datasets: result_cache.py), one for the run,
    # shared by its workers: a run neither reads nor fills the caches of the user who runs it.
    os.environ.setdefault("ANNUALREPORT_CACHE_DIR", str(root / "user-cache"))
    # The kernels of every build and pool this worker runs are forked from one warmed kernel server
    # (execution/kernel_server.py), as a series of builds may share one: the imports paid once.
    if "ANNUALREPORT_KERNEL_SERVER" not in os.environ:
        from annualreport.execution import kernel_server

        os.environ["ANNUALREPORT_KERNEL_SERVER"], server = kernel_server.start()
        request.addfinalizer(lambda: (server.stdin and server.stdin.close(), server.wait(timeout=30)))
    for example in request.config.stash.get(NEEDED, []):
        _build_once(root, example.name, example.partnership, example.year, example.options, example.prepare, wait=False)


@pytest.fixture(scope="session")
def lancashire_run(tmp_path_factory: pytest.TempPathFactory) -> SharedBuild:
    """The example report, Lancashire 2013-14, built once per run with the embedded renderer."""
    return EXAMPLE["lancashire_run"].get(tmp_path_factory)


@pytest.fixture(scope="session")
def lancashire_build(lancashire_run: SharedBuild) -> Path:
    """The example report's build folder (read it; copy it to change anything)."""
    return lancashire_run.folder


@pytest.fixture(scope="session")
def lancashire_2017_run(tmp_path_factory: pytest.TempPathFactory) -> SharedBuild:
    """Lancashire 2017-18: another year, from its params file only, with two jobs."""
    return EXAMPLE["lancashire_2017_run"].get(tmp_path_factory)


@pytest.fixture(scope="session")
def lancashire_2017(lancashire_2017_run: SharedBuild) -> Path:
    return lancashire_2017_run.folder


@pytest.fixture(scope="session")
def kingston_run(tmp_path_factory: pytest.TempPathFactory) -> SharedBuild:
    """Kingston and Richmond 2023-24: a partnership of two councils with national data only (a draft)."""
    return EXAMPLE["kingston_run"].get(tmp_path_factory)


@pytest.fixture(scope="session")
def kingston_build(kingston_run: SharedBuild) -> Path:
    return kingston_run.folder


@pytest.fixture(scope="session")
def hipss_run(tmp_path_factory: pytest.TempPathFactory) -> SharedBuild:
    """The SYNTHETIC four-council partnership's 2022-23 report, with two partners' logos on its cover."""
    return EXAMPLE["hipss_run"].get(tmp_path_factory)


@pytest.fixture(scope="session")
def hipss_build(hipss_run: SharedBuild) -> Path:
    return hipss_run.folder
