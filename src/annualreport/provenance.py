"""Provenance: the manifest of a build, and the same facts in words for the report's appendix.

`manifest.json` records the params, every input file with its SHA-256 and size, the code
version (git commit and whether the tree was dirty), Python and the package versions of the
lock file (and the lock file's hash), each chapter's parameters, cache key and whether it was
executed or reused, the renderer and its version, and every output with its SHA-256. It holds
no time and no machine name, so two builds from the same inputs write the same manifest.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

import yaml

from . import __version__
from .cache import code_digest, sha256_file
from .indicators import INDICATORS
from .params import ReportParams
from .project import Project
from .reference import SN_MODELS
from .sources import CATALOG, load_catalog

MANIFEST = "manifest.json"
OUTPUT_GLOBS = ("report.html", "report.pdf", "store.csv", "store.json", "_quarto.yml", "index.qmd",
                "chapters/*.ipynb", "data/*.csv", "figures/*.png", "inputs/*")


def file_entry(path: Path) -> dict:
    return {"sha256": sha256_file(path), "size": path.stat().st_size}


def input_files(project: Project, params: ReportParams) -> list[Path]:
    """Every file a build of this partnership-year reads, in a stable order."""
    datasets = {i.source.dataset for i in INDICATORS.values() if i.source}
    national = sorted(set(load_catalog(project.national_dir).paths(datasets)) | {project.national_dir / CATALOG})
    reference = [project.reference_dir / name for name in
                 ("la_code_list.csv", "lait_data_dictionary.csv", SN_MODELS[params.partnership.statistical_neighbours])]
    local = project.root / "data" / "local" / params.partnership_id / params.report.year
    locals_ = sorted(p for p in local.glob("*") if p.is_file()) if local.is_dir() else []
    notebooks = [project.notebooks_dir / f"{c}.ipynb" for c in params.report.chapters]
    narrative = project.params_dir / params.partnership_id / params.report.year / "narrative"
    narratives = sorted(narrative.glob("*.md")) if narrative.is_dir() else []
    return [params.partnership_file, params.year_file, *narratives, *notebooks, *national, *reference, *locals_]


def git_state() -> dict:
    """The git commit of this library's checkout, and whether its code differs from that commit.

    It is the code's checkout, not the project's folder, that is asked: a project copied elsewhere
    (as `verify` does) is built by the same code. Installed from a wheel, there is no commit."""
    root = Path(__file__).resolve().parent
    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--", ".")
    return {"commit": commit, "dirty": bool(status)}


def locked_packages(lock: Path) -> dict[str, str]:
    """name -> version pinned in requirements.lock."""
    if not lock.is_file():
        return {}
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", lock.read_text(encoding="utf-8"), re.M))


def lock_path(project: Project) -> Path:
    """The lock file of the environment this code runs in: beside the code's checkout (an editable
    install, as `make setup` makes), else in the project folder."""
    beside_code = Path(__file__).resolve().parents[2] / "requirements.lock"
    return beside_code if beside_code.is_file() else project.root / "requirements.lock"


def environment(project: Project) -> dict:
    lock = lock_path(project)
    return {
        "python": platform.python_version(),
        "lock_file": "requirements.lock",
        "lock_sha256": sha256_file(lock) if lock.is_file() else None,
        "packages": locked_packages(lock),
    }


def environment_drift(project: Project) -> list[str]:
    """Installed packages whose version is not the one the lock file pins."""
    drift = []
    for name, version in locked_packages(lock_path(project)).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drift.append(f"{name}: locked {version}, not installed")
            continue
        if installed != version:
            drift.append(f"{name}: locked {version}, installed {installed}")
    return drift


def manifest_head(project: Project, params: ReportParams, renderer: str, renderer_version: str) -> dict:
    """Everything the manifest records that is known before rendering (all but the outputs)."""
    return {
        "manifest_version": 1,
        "partnership": params.partnership_id,
        "year": params.report.year,
        "status": params.report.status,
        "params": {project.rel(p): yaml.safe_load(p.read_text(encoding="utf-8")) for p in (params.partnership_file, params.year_file)},
        "inputs": {project.rel(p): file_entry(p) for p in input_files(project, params)},
        "code": {"annualreport": __version__, "code_sha256": code_digest(), **git_state()},
        "environment": environment(project),
        "renderer": {"name": renderer, "version": renderer_version},
    }


def write_manifest(folder: Path, head: dict, chapters: dict[str, dict]) -> Path:
    """Write manifest.json: the head, the chapters and the hash of every output in folder."""
    outputs = sorted({p for pattern in OUTPUT_GLOBS for p in folder.glob(pattern) if p.is_file()})
    manifest = head | {
        "chapters": chapters,
        "outputs": {str(p.relative_to(folder)): file_entry(p) for p in outputs},
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def provenance_text(head: dict) -> str:
    """The manifest's facts in words, for the appendix."""
    inputs = head["inputs"]
    national = [p for p in inputs if p.startswith("data/national/")]
    local = [p for p in inputs if p.startswith("data/local/")]
    code = head["code"]
    commit = f"commit {code['commit'][:12]}" + (" with uncommitted changes" if code["dirty"] else "") if code["commit"] else "no git commit recorded"
    env = head["environment"]
    lock = f"lock file {env['lock_file']} (SHA-256 {env['lock_sha256'][:16]}…, {len(env['packages'])} packages)" if env["lock_sha256"] else "no lock file"
    return "\n".join([
        f"- **Built from these files**: {len(national)} national statistics files, {len(local)} local input files, "
        f"{len([p for p in inputs if p.startswith('notebooks/')])} chapter notebooks and the params "
        f"{', '.join(sorted(head['params']))}. Each file's SHA-256 is in the file manifest.json beside this report.",
        f"- **With this code**: annualreport {code['annualreport']}, {commit}.",
        f"- **On this environment**: Python {env['python']}, {lock}; rendered by {head['renderer']['name']} "
        f"({head['renderer']['version']}).",
        "- **To check it**: the command *annualreport verify build/"
        f"{head['partnership']}/{head['year']}/manifest.json* rebuilds the report and compares every file.",
    ])
