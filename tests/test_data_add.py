"""`annualreport data add`: recognise a newly published file, screen it, add it, and the next build uses it."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, copy_project, run_cli, seed_cache

from annualreport.store.figures import Store

CLA24 = "history/cla_ees_2024_release_2020_to_2024/cla_number_and_rate_per_10k_children.csv"


def own_national(project: Path) -> Path:
    """Give a project copy its own data/national (copy_project links the repo's), and return it."""
    national = project / "data" / "national"
    national.unlink()
    shutil.copytree(REPO / "data" / "national", national)
    return national


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def without_2024_release(tmp_path: Path, kingston_build: Path) -> tuple[Path, Path]:
    """A project whose catalog lacks DfE's 2024 release of children looked after (2020 to 2024), and that file.
    It has the shared Kingston build's chapter cache: chapters that do not read the release are reused."""
    project = seed_cache(copy_project(tmp_path / "project"), kingston_build)
    national = own_national(project)
    catalog = national / "catalog.yml"
    text = catalog.read_text(encoding="utf-8")
    entry = re.search(rf"  - path: {re.escape(CLA24)}\n(    .*\n)+", text)
    assert entry is not None
    catalog.write_text(text.replace(entry.group(0), ""), encoding="utf-8")
    release = tmp_path / "cla_number_and_rate_per_10k_children.csv"
    (national / CLA24).rename(release)
    return project, release


def test_a_file_with_one_fault_of_each_kind_reports_them_all_and_changes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    national = own_national(project)
    before = snapshot(national)
    lines = (REPO / "data" / "national" / CLA24).read_text(encoding="utf-8-sig").split("\n")
    lines[0] = lines[0].replace("rate_per_10000", "rate_per_10k")  # a misspelt column
    la_rows = [i for i, line in enumerate(lines) if ",Local authority," in line]
    cells = lines[la_rows[0]].split(",")
    cells[12] = "12a"  # a value that is neither a number nor a symbol
    lines[la_rows[0]] = ",".join(cells)
    lines[la_rows[1]] = lines[la_rows[1]].replace(",Local authority,", ",Ward,")  # a geographic level
    cells = lines[la_rows[2]].split(",")
    cells[7] = "999"  # an LA code that does not exist
    lines[la_rows[2]] = ",".join(cells)
    lines.insert(la_rows[3] + 1, lines[la_rows[3]])  # a duplicate row
    bad = tmp_path / "cla_number_and_rate_per_10k_children.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")

    proc = run_cli(project, "data", "add", str(bad), "--project", str(project))
    assert proc.returncode == 1
    out = proc.stderr
    assert "column rate_per_10000: missing" in out and "column rate_per_10k: unexpected column" in out
    assert f"row {la_rows[0] + 1}, column number: '12a' is neither a number nor an EES symbol" in out
    assert f"row {la_rows[1] + 1}, column geographic_level: 'Ward'" in out
    assert f"row {la_rows[2] + 1}, column old_la_code: '999' is not a DfE local authority code" in out
    assert f"row {la_rows[3] + 2}: duplicate of row {la_rows[3] + 1}" in out
    assert "nothing was added" in out
    assert snapshot(national) == before


def test_an_unrecognised_file_names_what_was_expected(project: Path, tmp_path: Path) -> None:
    odd = tmp_path / "budget.csv"
    odd.write_text("year,amount\n2024,100\n", encoding="utf-8")
    proc = run_cli(project, "data", "add", str(odd), "--project", str(project))
    assert proc.returncode == 1
    assert "not a national file this project knows" in proc.stderr
    assert "Children looked after, starting and ceasing to be looked after (like cla_number_and_rate_per_10k_children.csv)" in proc.stderr
    assert "time_period, time_identifier, geographic_level" in proc.stderr


@pytest.mark.slow
def test_a_newer_release_is_used_by_the_next_build_which_reexecutes_only_its_chapters(without_2024_release: tuple[Path, Path]) -> None:
    project, release = without_2024_release
    args = ("build", "-p", "kingston-richmond", "-y", "2023-24", "--renderer", "embedded")
    first = run_cli(project, *args)
    assert first.returncode == 0, first.stderr
    build = project / "build" / "kingston-richmond" / "2023-24"
    old = Store.load(build).figure("cla_at31", "member", 2020, area_code="314")
    assert "31 March 2023" in old.source  # 2019-20 from the 2023 release, the latest the project had

    added = run_cli(project, "data", "add", str(release), "--project", str(project))
    assert added.returncode == 0, added.stderr
    assert "added data/national/releases/cla_number_2020_to_2024/cla_number_and_rate_per_10k_children.csv" in added.stdout
    assert "year ending 31 March 2024" in added.stdout

    second = run_cli(project, *args)
    assert second.returncode == 0, second.stderr
    new = Store.load(build).figure("cla_at31", "member", 2020, area_code="314")
    assert "31 March 2024" in new.source and new.source.startswith("cla_number_and_rate_per_10k_children.csv")
    log = second.stderr + second.stdout
    assert re.search(r"looked_after executed", log), log
    for chapter in ("front_door", "child_protection", "local_context", "allegations", "training"):
        assert re.search(rf"{chapter} cached", log), (chapter, log)
