"""The instant no-op (provenance/uptodate.py): real builds through the CLI in a project copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_built, run_cli, sha256

from annualreport.provenance.uptodate import MANIFEST, record_path

UP_TO_DATE = "up to date: nothing it depends on changed"
HEAVY = ("pandas", "matplotlib", "papermill", "scipy", "nbclient", "pydantic")


def build(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded", *extra)
    assert proc.returncode == 0, proc.stderr
    return proc


def outputs(target: Path) -> dict[str, str]:
    manifest = json.loads((target / MANIFEST).read_text())
    return {rel: sha256(target / rel) for rel in manifest["outputs"]}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, lancashire_build: Path) -> Path:
    """A project whose report was built (with the embedded renderer, as `build` does): a copy of the
    shared example build, its record of what the report depends on and its caches included."""
    return copy_built(lancashire_build, tmp_path_factory.mktemp("uptodate") / "project")


def test_nothing_changed_answers_from_the_manifest_without_heavy_imports(built: Path) -> None:
    target = built / "build" / "lancashire" / "2013-14"
    before = outputs(target)
    version = target.resolve()
    (built / "params" / "lancashire.yml").touch()  # touched, not changed: its hash is checked again
    cmd = [sys.executable, "-X", "importtime", "-m", "annualreport", "build", "-p", "lancashire", "-y", "2013-14",
           "--renderer", "embedded", "--project", str(built)]
    proc = subprocess.run(cmd, cwd=built, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert UP_TO_DATE in proc.stderr
    assert "build/lancashire/2013-14/public/report.pdf" in proc.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not imported & set(HEAVY), imported & set(HEAVY)
    assert target.resolve() == version and outputs(target) == before


@pytest.mark.slow
def test_a_damaged_output_or_a_changed_input_is_rebuilt(built: Path) -> None:
    target = built / "build" / "lancashire" / "2013-14"
    before = outputs(target)
    csv = sorted((target / "public" / "data").glob("*.csv"))[0]
    csv.write_text(csv.read_text() + "tampered\n")
    proc = build(built)
    assert UP_TO_DATE not in proc.stderr and "14 reused from the cache" in proc.stderr
    assert "taken from the render cache" in proc.stderr  # the same book: not rendered again (render_cache.py)
    assert outputs(target) == before  # the damaged file is made again, same bytes
    assert UP_TO_DATE in build(built).stderr

    csv.unlink()  # a missing output
    assert UP_TO_DATE not in build(built).stderr and outputs(target) == before

    extra = built / "data" / "local" / "lancashire" / "2013-14" / "notes.txt"  # a new file among the inputs
    extra.write_text("a note\n")
    assert UP_TO_DATE not in build(built).stderr
    assert UP_TO_DATE in build(built).stderr
    extra.unlink()
    assert UP_TO_DATE not in build(built).stderr

    narrative = built / "params" / "lancashire" / "2013-14" / "narrative"
    narrative.mkdir(parents=True, exist_ok=True)
    (narrative / "front_door.md").write_text("A sentence added by an editor.\n")
    proc = build(built)
    assert UP_TO_DATE not in proc.stderr and "0 of 14 notebooks executed" in proc.stderr
    assert "A sentence added by an editor." in (target / "public" / "report.html").read_text()

    record = record_path(built / "build", "lancashire", "2013-14")
    record.write_text(record.read_text().replace('"manifest_sha256": "', '"manifest_sha256": "0'))
    assert UP_TO_DATE not in build(built).stderr  # a record of another report is not believed
    assert UP_TO_DATE in build(built).stderr

    env = os.environ | {"SOURCE_DATE_EPOCH": "1500000000"}  # the PDF's date: part of what decides the bytes
    proc = run_cli(built, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded", env=env)
    assert proc.returncode == 0 and UP_TO_DATE not in proc.stderr
