"""Provenance: the manifest of a build, and the same facts in words for the report's appendix.

`manifest.json` records the params, every input file with its SHA-256 and size, the code
version, what git says about the files read (`project_files` and `code`: the commit, whether any
file read differs from it and which; `dirty` and `dirty_files` over both), Python and the package versions of the
lock file (and the lock file's hash), each chapter's parameters, cache key and whether it was
executed or reused, the renderer and its version, and every output with its SHA-256. It holds
no time and no machine name, so two builds from the same inputs write the same manifest.
The manifest is kept beside public/, never in it: it holds the hashes of private inputs.
"""

from __future__ import annotations

import json
import platform
import re
from importlib import metadata
from pathlib import Path

from annualreport import __version__
from annualreport.execution.cache import code_digest
from annualreport.provenance import hashes
from annualreport.provenance.hashes import code_files_read, sha256_file
from annualreport.store.indicators import INDICATORS
from annualreport.inputs.params import ReportParams
from annualreport.project import Project
from annualreport.inputs.reference import SN_MODELS
from annualreport.store.catalog import CATALOG, load_catalog
from annualreport.provenance.vcs import repository_state
from annualreport.render.markdown_text import inline
from annualreport.inputs.yamlfile import read_yaml

MANIFEST = "manifest.json"
OUTPUT_GLOBS = ("public/report.html", "public/report.pdf", "public/report.docx", "public/data/*.csv",
                "store.csv", "store.json", "_quarto.yml", "index.qmd", "chapters/*.ipynb", "figures/*.png", "inputs/*",
                "front/*", "front/branding/*")


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
    return [params.partnership_file, params.year_file, *params.logo_files, *narratives, *notebooks, *national, *reference,
            *locals_]


def source_states(project: Project, params: ReportParams, asked: Project | None = None) -> dict:
    """What git says about the files this build reads (see vcs.py).

    `project`: the project has git on the project's files (params, narrative, notebooks, local and national
    data) and on the code's checkout (annualreport's code and templates, and the lock file).
    `asked`: the project whose checkout holds these files, when `project` is a copy of it (verify rebuilds
    in a copy; its files are the original's, so the original's git is asked)."""
    asked = asked or project
    files = [asked.root / project.rel(p) for p in input_files(project, params)]
    code_dir = hashes.PACKAGE
    lock = lock_path(project)
    code_files = code_files_read(code_dir) + ([lock] if lock.is_file() else [])
    return {"project": repository_state(files, asked.root, asked.root),
            "code": repository_state(code_files, code_dir, asked.root)}


def dirty_files(sources: dict) -> list[str]:
    """Every file read by the build that differs from its commit (project's and code's)."""
    return sorted(set(sources["project"]["dirty_files"]) | set(sources["code"]["dirty_files"]))


def locked_packages(lock: Path) -> dict[str, str]:
    """name -> version pinned in requirements.lock."""
    if not lock.is_file():
        return {}
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", lock.read_text(encoding="utf-8"), re.M))


def lock_path(project: Project) -> Path:
    """The lock file of the environment this code runs in (hashes.lock_path)."""
    return hashes.lock_path(project.root)


def environment(project: Project) -> dict:
    lock = lock_path(project)
    return {
        "python": platform.python_version(),
        "lock_file": "requirements.lock",
        "lock_sha256": sha256_file(lock) if lock.is_file() else None,
        "packages": locked_packages(lock),
    }


def _version(text: str) -> str:
    """A version as pip compares it, for the simple versions of a lock: '1.006' and '1.6' are one version."""
    return ".".join(str(int(part)) if part.isdigit() else part for part in text.split("."))


def environment_drift(project: Project) -> list[str]:
    """Installed packages whose version is not the one the lock file pins."""
    drift = []
    for name, version in locked_packages(lock_path(project)).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drift.append(f"{name}: locked {version}, not installed")
            continue
        if _version(installed) != _version(version):  # '1.006' is '1.6', as pip compares them
            drift.append(f"{name}: locked {version}, installed {installed}")
    return drift


def manifest_head(project: Project, params: ReportParams, renderer: str, renderer_version: str,
                  sources: dict) -> dict:
    """Everything the manifest records that is known before rendering (all but the outputs)."""
    return {
        "manifest_version": 1,
        "partnership": params.partnership_id,
        "year": params.report.year,
        "status": params.report.status,
        "params": {project.rel(p): read_yaml(p, project.rel(p), root=project.root).data
                   for p in (params.partnership_file, params.year_file)},
        "inputs": {project.rel(p): file_entry(p) for p in input_files(project, params)},
        "code": {"annualreport": __version__, "code_sha256": code_digest(), **sources["code"]},
        "project_files": sources["project"],
        "dirty": bool(dirty_files(sources)),
        "dirty_files": dirty_files(sources),
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


def _commit(state: dict) -> str:
    return f"commit {state['commit'][:12]}" if state["commit"] else "not under version control"


def provenance_text(head: dict) -> str:
    """The manifest's facts in words, for the appendix (a public page); every name in it is
    text, escaped (a changed file `render/__init__.py` is not bold "init").

    It names files but gives no hash of them: the SHA-256 of a small private input can be tested
    against guesses (issue 14), so hashes stay in manifest.json, which is kept beside public/."""
    inputs = head["inputs"]
    national = [p for p in inputs if p.startswith("data/national/")]
    local = sorted(inline(Path(p).name) for p in inputs if p.startswith("data/local/")  # data files, not their docs
                   and Path(p).suffix in (".csv", ".yml", ".yaml") and not p.endswith(".meta.csv"))
    code, files = head["code"], head["project_files"]
    env = head["environment"]
    lock = f"lock file {inline(env['lock_file'])} ({len(env['packages'])} packages)" if env["lock_sha256"] else "no lock file"
    lines = [
        f"- **Built from these files**: {len(national)} national statistics files; "
        f"{len(local)} local input files ({', '.join(local) or 'none'}); "
        f"{len([p for p in inputs if p.startswith('notebooks/')])} chapter notebooks; and the params "
        f"{', '.join(inline(p) for p in sorted(head['params']))}. Each file's SHA-256 is recorded in the build's manifest, which is "
        "kept with the build for audit and not published.",
        f"- **Project files** (params, notebooks, narrative, data): {_commit(files)}"
        + ("." if files["commit"] else "; they are identified by the SHA-256 hashes in the build's manifest."),
        f"- **With this code**: annualreport {code['annualreport']}, {_commit(code)}"
        + ("." if code["commit"] else "; it is identified by the SHA-256 of its code in the build's manifest."),
    ]
    changed = head["dirty_files"]
    if changed:
        shown = ", ".join(inline(c) for c in changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
        lines.append(f"- **Uncommitted changes**: the code or inputs differed from the commit when this report was "
                     f"built ({len(changed)} file(s): {shown}); the manifest's hashes identify what was read.")
    lines += [
        f"- **On this environment**: Python {env['python']}, {lock}; rendered by {inline(head['renderer']['name'])} "
        f"({inline(head['renderer']['version'])}).",
        "- **To check it**: the command *annualreport verify build/"
        f"{head['partnership']}/{head['year']}/manifest.json* rebuilds the report and compares every file.",
    ]
    return "\n".join(lines)
