"""Shared fixtures: a private copy of the project per test, and real builds run through the CLI."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def run_cli(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m annualreport ARGS --project PROJECT` as a user would, capturing output."""
    cmd = [sys.executable, "-m", "annualreport", *args]
    if args and args[0] == "build":
        cmd += ["--project", str(project)]
    return subprocess.run(cmd, cwd=project, capture_output=True, text=True, env=env or os.environ.copy(), timeout=900)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def lancashire_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example report, built once per test session with the embedded renderer."""
    project = copy_project(tmp_path_factory.mktemp("example") / "project")
    proc = run_cli(project, "build", "--partnership", "lancashire", "--year", "2013-14", "--renderer", "embedded")
    assert proc.returncode == 0, proc.stderr
    return project / "build" / "lancashire" / "2013-14"
