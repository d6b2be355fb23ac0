"""What git says about the files a build reads: the commit, and which files differ from it.

A report cites a commit as the source of its code and inputs; that is only true when none of the
files the build reads differs from that commit. So git is asked about exactly those files, each in
the repository that holds it (a project may be its own checkout, the code another, and a file may
be a link into a third). A file is "dirty" when it is modified, staged, untracked or ignored: in
each case the commit does not hold what was read. A folder that is not in a git repository is
"not under version control" (commit and dirty are None); its files are identified by the
SHA-256 hashes in the manifest only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

GIT_TIMEOUT = 30


def _git(cwd: Path, *args: str) -> str | None:
    """git's standard output, or None when git is missing or fails (not a repository, say)."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def toplevel(folder: Path) -> Path | None:
    """The root of the git working tree holding `folder`, or None."""
    while not folder.is_dir():
        folder = folder.parent
    out = _git(folder, "rev-parse", "--show-toplevel")
    return Path(out.strip()).resolve() if out else None


def head_commit(folder: Path) -> str | None:
    """The commit checked out in the working tree holding `folder` (None: no repository or no commit)."""
    top = toplevel(folder)
    head = _git(top, "rev-parse", "HEAD") if top else None
    return head.strip() if head else None


def _changed(top: Path, paths: list[Path]) -> set[str]:
    """Of the files `paths` (inside the working tree `top`), those git lists as changed, untracked or
    ignored, relative to top; a listed folder (ending in '/') stands for everything under it."""
    specs = [f":(literal){p.relative_to(top).as_posix()}" for p in paths]
    out = _git(top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=matching", "--", *specs)
    if out is None:
        return {p.relative_to(top).as_posix() for p in paths}  # git could not say: assume changed
    entries, changed = out.split("\0"), set()
    i = 0
    while i < len(entries):
        entry = entries[i]
        if len(entry) > 3:
            changed.add(entry[3:])
            if entry[0] in "RC":  # a rename or copy is followed by its source path
                i += 1
        i += 1
    return changed


def _is_dirty(rel: str, changed: set[str]) -> bool:
    return any(rel == c or (c.endswith("/") and rel.startswith(c)) or rel.startswith(c.rstrip("/") + "/")
               for c in changed)


def repository_state(files: list[Path], base: Path, display_root: Path) -> dict:
    """The commit of the repository holding `base`, whether any of `files` (files, not folders) differs
    from what git holds for it, and which (as paths relative to display_root where inside it)."""
    top = toplevel(base)
    if top is None:
        return {"commit": None, "dirty": None, "dirty_files": []}
    commit = head_commit(top)
    root = display_root.resolve()
    groups: dict[Path | None, list[tuple[Path, str]]] = {}
    tops: dict[Path, Path | None] = {}
    for file in files:
        real = file.resolve()
        shown = _display(file, real, root, top)
        if real.is_relative_to(top):
            owner: Path | None = top
        else:
            owner = tops[real.parent] if real.parent in tops else tops.setdefault(real.parent, toplevel(real.parent))
        groups.setdefault(owner, []).append((real, shown))
    dirty_files: set[str] = set()
    for owner, members in groups.items():
        if owner is None:  # a file outside any repository: no commit holds it
            dirty_files |= {shown for _, shown in members}
            continue
        changed = _changed(owner, [real for real, _ in members])
        dirty_files |= {shown for real, shown in members if _is_dirty(real.relative_to(owner).as_posix(), changed)}
    if commit is None and files:
        dirty_files |= {_display(f, f.resolve(), root, top) for f in files if f.is_file()}
    return {"commit": commit, "dirty": bool(dirty_files), "dirty_files": sorted(dirty_files)}


def _display(path: Path, real: Path, root: Path, top: Path) -> str:
    """A file's name for people: relative to the project when inside it, else to its repository."""
    for candidate, base in ((path, root), (real, root), (real, top)):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(real)
