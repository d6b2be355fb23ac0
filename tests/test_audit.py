"""Safe to publish and safe to audit: public/ holds only what may be published and no hash of a
private input; the audit trail says honestly when files differ from the commit; verify's exit codes."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SharedBuild, copy_project, run_cli
from pypdf import PdfReader
from test_faults import only_chapters

from annualreport.publication.public_folder import unexpected_public_files

PUBLIC_TOP = {"report.html", "report.pdf", "report.docx", "data"}


def public_files(build: Path) -> set[str]:
    return {p.relative_to(build / "public").as_posix() for p in (build / "public").rglob("*") if p.is_file()}


def test_a_build_prints_the_public_paths(kingston_run: SharedBuild) -> None:
    assert "publish build/kingston-richmond/2023-24/public/" in kingston_run.stderr
    assert kingston_run.stdout.split() == ["build/kingston-richmond/2023-24/public/report.html",
                                           "build/kingston-richmond/2023-24/public/report.pdf",
                                           "build/kingston-richmond/2023-24/public/report.docx"]


@pytest.mark.parametrize("example", ["lancashire_build", "kingston_build"])
def test_public_holds_only_the_public_outputs(example: str, request: pytest.FixtureRequest) -> None:
    build: Path = request.getfixturevalue(example)
    files = public_files(build)
    assert {"report.html", "report.pdf"} <= files
    assert {f.split("/")[0] for f in files} == PUBLIC_TOP
    assert all(re.fullmatch(r"data/[a-z_]+-(table-)?\d+\.csv", f) for f in files - {"report.html", "report.pdf", "report.docx"}), files
    assert unexpected_public_files(build / "public") == []
    # everything else stays beside public/, for the audit
    beside = {p.name for p in build.iterdir()}
    assert {"inputs", "store.csv", "store.json", "chapters", "records", "figures", "_quarto.yml", "manifest.json"} <= beside
    assert not {"report.html", "report.pdf", "data"} & beside
    # the HTML's data links carry the published CSVs themselves (tests/test_publishable.py opens them)
    html = (build / "public" / "report.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="data:text/csv;charset=utf-8;base64,[^"]+"[^>]*\sdownload="([^"]+\.csv)"', html))
    assert links and all((build / "public" / "data" / name).is_file() for name in links)


def hashes_of_private_inputs(build: Path, project: Path) -> dict[str, str]:
    """The SHA-256 (and its 12- to 16-hex prefixes) of every file under inputs/ and every local input."""
    local = project / "data" / "local" / build.parent.name / build.name
    files = [p for p in (build / "inputs").rglob("*") if p.is_file()] + [p for p in local.rglob("*") if p.is_file()]
    assert files  # Kingston has no local inputs: only the list of those not provided
    out = {}
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        for n in (64, *range(12, 17)):
            out[digest[:n]] = str(path)
    return out


@pytest.mark.parametrize("example", ["lancashire_build", "kingston_build"])
def test_no_public_file_holds_a_hash_of_a_private_input(example: str, request: pytest.FixtureRequest) -> None:
    build: Path = request.getfixturevalue(example)
    project = build.parents[2]
    secrets = hashes_of_private_inputs(build, project)
    manifest = (build / "manifest.json").read_text()
    assert any(h in manifest for h in secrets)  # the audit manifest beside public/ does hold them
    for path in (build / "public").rglob("*"):
        if not path.is_file():
            continue
        texts = [path.read_bytes().decode("latin-1").lower()]
        if path.suffix == ".pdf":
            texts.append(" ".join(page.extract_text() for page in PdfReader(path).pages).replace("\n", "").lower())
        for text in texts:
            found = [h for h in secrets if h in text]
            assert not found, f"{path.name} holds the hash {found[0]} of {secrets[found[0]]}"
    html = " ".join((build / "public" / "report.html").read_text(encoding="utf-8").split())
    assert "kept with the build for audit and not published" in html


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args], cwd=project,
                   check=True, capture_output=True)


@pytest.mark.slow
def test_a_final_build_from_a_dirty_tree_is_refused_unless_allowed(project: Path) -> None:
    only_chapters(project, "training", "governance", "appendix")
    year_file = project / "params" / "lancashire" / "2013-14.yml"
    year_file.write_text(year_file.read_text().replace("status: draft", "status: final"))
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "the project")
    notebook = project / "notebooks" / "training.ipynb"
    notebook.write_text(notebook.read_text().replace("Multi-agency training", "Multi-agency training (edited)", 1))
    assert "(edited)" in notebook.read_text()

    refused = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert refused.returncode == 1
    assert "a final report must be built from committed files" in refused.stderr
    assert "  notebooks/training.ipynb" in refused.stderr and "--allow-dirty" in refused.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()

    allowed = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--allow-dirty")
    assert allowed.returncode == 0, allowed.stderr
    build = project / "build" / "lancashire" / "2013-14"
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["dirty"] is True and "notebooks/training.ipynb" in manifest["dirty_files"]
    assert manifest["project_files"]["dirty_files"] == ["notebooks/training.ipynb"]
    assert re.fullmatch(r"[0-9a-f]{40}", manifest["project_files"]["commit"])
    html = " ".join(re.sub(r"<[^>]+>", " ", (build / "public" / "report.html").read_text(encoding="utf-8")).split())
    assert "the code or inputs differed from the commit when this report was built" in html
    assert "notebooks/training.ipynb" in html
    assert f"commit {manifest['project_files']['commit'][:12]}" in html

    # Nothing changed since: still refused without --allow-dirty, answered at once with it (uptodate.py).
    again = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14")
    assert again.returncode == 1 and "a final report must be built from committed files" in again.stderr
    again = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--allow-dirty")
    assert again.returncode == 0 and "up to date: nothing it depends on changed" in again.stderr
    # Committed: the report cites a new commit, so it is built again, and clean.
    git(project, "commit", "-q", "-a", "-m", "the edit")
    committed = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--allow-dirty")  # (the code may not be)
    assert committed.returncode == 0 and "up to date" not in committed.stderr, committed.stderr
    assert json.loads((build / "manifest.json").read_text())["project_files"]["dirty_files"] == []


def test_a_project_outside_git_is_not_under_version_control(lancashire_build: Path) -> None:
    manifest = json.loads((lancashire_build / "manifest.json").read_text())
    assert manifest["project_files"] == {"commit": None, "dirty": None, "dirty_files": []}
    html = " ".join(re.sub(r"<[^>]+>", " ", (lancashire_build / "public" / "report.html").read_text(encoding="utf-8")).split())
    assert "not under version control; they are identified by the SHA-256 hashes in the build’s manifest" in html


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    project = copy_project(tmp_path_factory.mktemp("verify") / "project")
    only_chapters(project, "outside_home", "training")
    assert run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded").returncode == 0
    return project, project / "build" / "lancashire" / "2013-14" / "manifest.json"


CSE = Path("data/local/lancashire/2013-14/cse_referrals.csv")


@pytest.mark.slow
@pytest.mark.xdist_group("audit-verify")  # these share one module-scoped build: one worker
def test_verify_exit_0_when_identical(verified: tuple[Path, Path]) -> None:
    project, manifest = verified
    proc = run_cli(project, "verify", str(manifest), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("identical")


@pytest.mark.slow
@pytest.mark.xdist_group("audit-verify")  # these share one module-scoped build: one worker
def test_verify_exit_1_names_changed_cells_by_their_key_columns(verified: tuple[Path, Path]) -> None:
    project, manifest = verified
    path = project / CSE
    original = path.read_text()
    try:
        changed = original.replace("Part 1 (April to September),Local authority,888,Lancashire,South,146",
                                   "Part 1 (April to September),Local authority,888,Lancashire,South,147")
        changed = changed.replace("Part 1 (April to September),Local authority,888,Lancashire,Total,722",
                                  "Part 1 (April to September),Local authority,888,Lancashire,Total,723")
        assert changed.count("147") and changed != original
        path.write_text(changed)
        proc = run_cli(project, "verify", str(manifest), "-q")
    finally:
        path.write_text(original)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cse_referrals.csv, Lancashire, South, 2013-14 Part 1, column 'referrals': '146' -> '147'" in proc.stdout
    assert "cse_referrals.csv, Lancashire, Total, 2013-14 Part 1, column 'referrals': '722' -> '723'" in proc.stdout
    assert "row " not in proc.stdout


@pytest.mark.slow
@pytest.mark.xdist_group("audit-verify")  # these share one module-scoped build: one worker
def test_verify_exit_2_when_the_inputs_no_longer_pass_their_checks(verified: tuple[Path, Path]) -> None:
    project, manifest = verified
    path = project / CSE
    original = path.read_text()
    try:  # a part changed without its total: the check that parts add up fails
        path.write_text(original.replace("Part 1 (April to September),Local authority,888,Lancashire,South,146",
                                         "Part 1 (April to September),Local authority,888,Lancashire,South,150"))
        proc = run_cli(project, "verify", str(manifest), "-q")
    finally:
        path.write_text(original)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("could not rebuild: inputs failed their checks")
    assert "cse_referrals.csv" in proc.stderr and "row" in proc.stderr  # the check's own problem, file and row
    assert "changed since the build:" in proc.stderr
    assert "cse_referrals.csv, Lancashire, South, 2013-14 Part 1, column 'referrals': '146' -> '150'" in proc.stderr


def test_verify_help_documents_the_exit_codes() -> None:
    proc = subprocess.run([sys.executable, "-m", "annualreport", "verify", "--help"], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1])
    assert re.search(r"0\s+identical", proc.stdout) and re.search(r"1\s+different", proc.stdout)
    assert re.search(r"2\s+could not rebuild", proc.stdout)


def test_the_appendix_names_changed_files_as_typed(lancashire_build: Path) -> None:
    """A changed file's name is text in the appendix: `render/__init__.py` is not read as bold 'init'
    (the PDF's Typst would not compile)."""
    import pypandoc

    from annualreport.provenance.manifest import provenance_text

    head = json.loads((lancashire_build / "manifest.json").read_text(encoding="utf-8"))
    head["dirty_files"] = ["src/annualreport/render/__init__.py", "params/*draft*.yml"]
    shown = pypandoc.convert_text(provenance_text(head), "plain", format="markdown", extra_args=["--wrap=none"])
    assert "src/annualreport/render/__init__.py, params/*draft*.yml" in shown, shown
