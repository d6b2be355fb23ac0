"""The files that identify a build's code and environment, and their SHA-256 (standard library only,
so that a no-op rebuild can check them without importing the pipeline: uptodate.py)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the annualreport package
SETTLED_SECONDS = 2.0  # a file changed more recently than this is hashed every time (see sha256_file)
REMEMBERED_MAX = 8192  # hashes remembered by one process; all are forgotten when there would be more

_remembered: dict[tuple[str, int, int, int, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes.

    Remembered in this process while the file keeps its size, modification and change times, inode
    and device (any write to a file, or its replacement, changes its change time), so that a batch
    hashes the national and reference files once, not once per report. As git does for its racy
    files, a file whose change time is less than SETTLED_SECONDS old is not remembered: two writes
    within one tick of the file system's clock could leave the same times."""
    st = os.stat(path)
    key = (os.fspath(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    found = _remembered.get(key)
    if found is not None:
        return found
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    digest = h.hexdigest()
    if time.time() - st.st_ctime_ns / 1e9 >= SETTLED_SECONDS:
        if len(_remembered) >= REMEMBERED_MAX:
            _remembered.clear()
        _remembered[key] = digest
    return digest


def code_files_read(package: Path = PACKAGE) -> list[Path]:
    """annualreport's own files a build uses: its code and templates (not Python's byte-code caches)."""
    return sorted(p for p in package.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))


def lock_path(project_root: Path) -> Path:
    """The lock file of the environment this code runs in: beside the code's checkout (an editable
    install, as `make setup` makes), else in the project folder."""
    beside_code = PACKAGE.parents[1] / "requirements.lock"
    return beside_code if beside_code.is_file() else project_root / "requirements.lock"
