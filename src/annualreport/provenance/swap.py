"""Put a finished report in place at build/<partnership>/<year> in one atomic step.

Layout: each build is written to its own folder `build/<p>/.<year>.versions/<pid>-<random>/`, and
`build/<p>/<year>` is a symbolic link to the current one. Publishing a new report makes a new link
beside the old one and renames it over the old with one `os.replace`, which POSIX makes atomic: a
reader (or a kill at any instant) sees either the old report or the new one at the target path,
never neither. The old version is removed afterwards.

Why a link and not `renameat2(RENAME_EXCHANGE)` of two real folders: `os.replace` of a link is
atomic on every POSIX system and filesystem, while RENAME_EXCHANGE is Linux-only and refused by
some filesystems (NFS, some overlays), so it would need a fallback with the very gap we are closing.
RENAME_EXCHANGE is used once, where nothing else is atomic: to migrate a real folder left at the
target by an older version of this tool (swap the folder and a new link). Where it is unavailable,
the migration falls back to two renames, and the next build restores the old folder if a kill fell
between them.

Leftovers of killed builds (unfinished versions, old versions, `.<year>.old-PID` folders, stray
links, the `.<year>.building-*` folders of the older layout) belong to processes that no longer
run; `clean_stale` removes them at the start of the next build.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

Step = Callable[[str], None]


def _no_step(name: str) -> None:
    """The default hook between the steps of a swap (tests inject kills here)."""


def versions_dir(target: Path) -> Path:
    return target.with_name(f".{target.name}.versions")


def failed_dir(target: Path) -> Path:
    return target.with_name(f"{target.name}.failed")


def new_version(target: Path) -> Path:
    """A fresh, empty folder for one build of target's report (named after this process)."""
    versions = versions_dir(target)
    versions.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=versions))
    work.chmod(0o755)  # mkdtemp makes it private; a report folder is for its readers
    return work


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on one report (two builds of one report at once take turns to swap)."""
    lock = target.with_name(f".{target.name}.lock")
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def current_version(target: Path) -> Path | None:
    """The version folder the target link points to (None when target is not a link)."""
    return target.resolve() if target.is_symlink() else None


def swap_in(work: Path, target: Path, step: Step = _no_step) -> None:
    """Make target show `work` (a folder under versions_dir(target)) in one atomic step."""
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    with locked(target):
        link.unlink(missing_ok=True)
        os.symlink(os.path.relpath(work, target.parent), link)
        step("link made")
        if target.is_symlink() or not target.exists():
            old = current_version(target)
            os.replace(link, target)
            step("link replaced")
        else:  # a real folder of the older layout: migrate it
            old = link
            if exchange(link, target):
                step("folder exchanged")
            else:
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                target.rename(old)
                step("folder moved aside")
                os.replace(link, target)
                step("link placed")
        shutil.rmtree(failed_dir(target), ignore_errors=True)  # a stale failure
        step("stale failure removed")
    _remove(old)
    step("old version removed")


def _remove(path: Path | None) -> None:
    if path is None:
        return
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _pid(name: str, prefix: str) -> int | None:
    """The pid in a leftover's name: '<prefix><pid>' or '<prefix><pid>-<random>'."""
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    digits = rest.split("-", 1)[0]
    return int(digits) if digits.isdigit() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(target: Path) -> None:
    """Remove what killed builds of this report left behind; restore a report moved aside by a
    migration that was killed half way. Folders of builds still running are left alone."""
    folder, name = target.parent, target.name
    if not folder.is_dir():
        return
    with locked(target):
        moved_aside = sorted(folder.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
        if moved_aside and not target.exists() and not target.is_symlink():
            moved_aside.pop().rename(target)
        for path in moved_aside:
            pid = _pid(path.name, f".{name}.old-")
            if pid is not None and not alive(pid):
                _remove(path)
        for prefix in (f".{name}.link-", f".{name}.building-"):  # .building-* is the older layout
            for path in folder.glob(f"{prefix}*"):
                pid = _pid(path.name, prefix)
                if pid is not None and not alive(pid):
                    _remove(path)
        current = current_version(target)
        versions = versions_dir(target)
        if versions.is_dir():
            for path in versions.iterdir():
                pid = _pid(path.name, "")
                if path != current and pid is not None and not alive(pid):
                    _remove(path)
