"""An instant no-op: a report whose every dependency is unchanged is answered from its manifest.

After a build, `build/.cache/uptodate/<partnership>/<year>.json` records (with the SHA-256 of the
report's manifest.json, so it describes that report and no other) the state of every file the
report depends on when it was built (the manifest's inputs, this library's code and templates, the lock file, and
the report's outputs), with the installed packages, Python, the renderer asked for and found, and
SOURCE_DATE_EPOCH. The next build of the same report first compares (standard library only, so
nothing heavy is imported):

- every input of the manifest, and no file added to or removed from the local inputs' or the
  narrative's folder;
- every file of the code, templates and lock file, and no file added or removed;
- the installed packages (names and versions of every distribution), Python, the renderer and
  SOURCE_DATE_EPOCH;
- what git says about the files read (commit and changed files, for the project and the code),
  since the report cites them;
- every output the manifest lists (a damaged or missing output is rebuilt).

A file is compared by its SHA-256, skipped only when its size, modification and status-change
times (ctime, which no tool can set back) and inode are those recorded: like git's index. When all
match nothing is executed or rendered. A final report built from files that differ from their
commit is answered only with --allow-dirty, as a build would be; the publication gates passed
when the outputs were made, and the outputs are the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from annualreport.execution.progress import Progress
from annualreport.project import Project
from annualreport.provenance.hashes import PACKAGE, code_files_read, lock_path, sha256_file
from annualreport.provenance.swap import clean_stale
from annualreport.provenance.vcs import repository_state
from annualreport.publication.public_folder import PUBLIC

MANIFEST = "manifest.json"


def record_path(build_dir: Path, partnership: str, year: str) -> Path:
    """Where the record of a report's dependencies is kept: in the cache (it only saves time, and
    keeps the report's own folder the same bytes for the same inputs)."""
    return build_dir / ".cache" / "uptodate" / partnership / f"{year}.json"


def _key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def file_states(paths: dict[str, Path], known: dict[str, str]) -> dict[str, list]:
    """For each name: [size, mtime_ns, ctime_ns, inode, sha256] (sha256 as in `known` when given:
    the hash the build recorded; the stat is then only kept when the file still has it)."""
    out = {}
    for name, path in paths.items():
        try:
            key = _key(path)
            digest = sha256_file(path)
        except OSError:
            continue
        if name in known and known[name] != digest:  # changed since the build read it: never skip its hash
            key = [-1, -1, -1, -1]
        out[name] = [*key, known.get(name, digest)]
    return out


def _same_file(path: Path, recorded: list) -> bool:
    try:
        if _key(path) == recorded[:4]:
            return True
        return sha256_file(path) == recorded[4]
    except OSError:
        return False


def environment_key(renderer: str) -> dict:
    """What, besides files, decides a report's bytes: packages installed, Python, renderer, date."""
    dists = []
    for folder in sys.path:
        if folder and os.path.isdir(folder) and os.path.basename(folder) in ("site-packages", "dist-packages"):
            dists += [n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info"))]
    quarto = shutil.which("quarto")
    quarto_state = None
    if quarto:
        st = os.stat(quarto)
        quarto_state = [os.path.realpath(quarto), st.st_size, st.st_mtime_ns]
    return {
        "python": sys.version,
        "executable": sys.executable,
        "packages": hashlib.sha256("\n".join(sorted(dists)).encode()).hexdigest(),
        "renderer": renderer,
        "quarto": quarto_state,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH"),
    }


def code_paths(project_root: Path) -> dict[str, Path]:
    lock = lock_path(project_root)
    paths = {f"code:{p.relative_to(PACKAGE).as_posix()}": p for p in code_files_read(PACKAGE)}
    if lock.is_file():
        paths["lock"] = lock
    return paths


def _listing(root: Path, folder: str, pattern: str) -> list[str]:
    base = root / folder
    return sorted(f"{folder}/{p.name}" for p in base.glob(pattern) if p.is_file()) if base.is_dir() else []


def watched_folders(partnership: str, year: str) -> list[tuple[str, str]]:
    """Folders whose every file is an input (a file added there changes the report)."""
    return [(f"data/local/{partnership}/{year}", "*"), (f"params/{partnership}/{year}/narrative", "*.md")]


def write_record(folder: Path, record: Path, project_root: Path, renderer: str) -> None:
    """Write the record of the build in `folder` (the report just made) to `record`, in one rename.
    A cache that cannot be written only means the next build is not answered at once."""
    try:
        _write_record(folder, record, project_root, renderer)
    except OSError:
        pass


def _write_record(folder: Path, record_file: Path, project_root: Path, renderer: str) -> None:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    inputs = {f"input:{rel}": _resolve(project_root, rel) for rel in manifest["inputs"]}
    known = {f"input:{rel}": e["sha256"] for rel, e in manifest["inputs"].items()}
    outputs = {f"output:{rel}": folder / rel for rel in manifest["outputs"]}
    known |= {f"output:{rel}": e["sha256"] for rel, e in manifest["outputs"].items()}
    record = {
        "manifest_sha256": sha256_file(folder / MANIFEST),
        "environment": environment_key(renderer),
        "files": file_states({**inputs, **code_paths(project_root), **outputs}, known),
        "listings": {folder_: _listing(project_root, folder_, pattern)
                     for folder_, pattern in watched_folders(manifest["partnership"], manifest["year"])},
    }
    record_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = record_file.with_name(f".{record_file.name}.{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, record_file)


def _resolve(root: Path, rel: str) -> Path:
    path = Path(rel)
    return path if path.is_absolute() else root / path


def up_to_date(project_root: Path, target: Path, record_file: Path, renderer: str, allow_dirty: bool) -> dict | None:
    """The manifest of the report at `target` when nothing it depends on changed since `record_file`
    was written (see the module docstring), else None (the report must be built)."""
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        if sha256_file(target / MANIFEST) != record["manifest_sha256"]:
            return None
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        files: dict[str, list] = record["files"]
        if record["environment"] != environment_key(renderer):
            return None
        for folder, pattern in watched_folders(manifest["partnership"], manifest["year"]):
            if _listing(project_root, folder, pattern) != record["listings"].get(folder):
                return None
        code = code_paths(project_root)
        if sorted(code) != sorted(k for k in files if k.startswith(("code:", "lock"))):
            return None
        expected = {f"input:{rel}": _resolve(project_root, rel) for rel in manifest["inputs"]}
        expected |= code | {f"output:{rel}": target / rel for rel in manifest["outputs"]}
        if set(expected) != set(files):
            return None
        if not all(_same_file(path, files[name]) for name, path in expected.items()):
            return None
        sources = {"project": repository_state([_resolve(project_root, r) for r in manifest["inputs"]], project_root, project_root),
                   "code": repository_state(list(code.values()), PACKAGE, project_root)}
        if sources["project"] != manifest["project_files"]:
            return None
        if {k: manifest["code"].get(k) for k in sources["code"]} != sources["code"]:
            return None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    if manifest["dirty"] and manifest["status"] == "final" and not allow_dirty:
        return None  # the build refuses it, naming the files
    return manifest


def answer(project: Project, partnership: str, year: str, renderer: str, allow_dirty: bool,
           progress: Progress) -> tuple[Path, list[Path], dict[str, str]] | None:
    """When the report of `partnership` `year` is up to date: say so, and return its folder, its
    public report files and its chapters; else None. Names must have been checked (names.check_names)."""
    target = project.build_dir / partnership / year
    manifest = up_to_date(project.root, target, record_path(project.build_dir, partnership, year), renderer, allow_dirty)
    if manifest is None:
        return None
    try:
        clean_stale(target)  # what killed builds of this report left behind, as a build removes it
    except OSError:
        pass
    progress.say(f"{partnership} {year}", f"up to date: nothing it depends on changed since "
                                          f"{project.rel(target / MANIFEST)} was written; nothing executed or rendered")
    public = sorted(rel for rel in manifest["outputs"] if rel.startswith(f"{PUBLIC}/report."))
    return target, [target / rel for rel in public], {name: "up to date" for name in manifest["chapters"]}
