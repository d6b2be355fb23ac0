"""The files that identify a build's code and environment, and their SHA-256 (standard library only,
so that a no-op rebuild can check them without importing the pipeline: uptodate.py)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the annualreport package


# (device, inode, size, mtime, ctime) of a file -> its SHA-256, for this process's life. A build
# asks for the same files' hashes several times (up-to-date check, store key, manifest, record),
# and a batch for the same national files in every report. Any write to a file changes its ctime
# (which no tool can set back), so a changed file is read again; a file changed in the last
# seconds is never remembered, since two writes within one tick of the file system's clock can
# leave the same times (git's "racy" files).
class _Memo(dict):
    """A dict with `cache_clear`, so a warm kernel's reset empties it like any cache (kernel_state)."""

    def cache_clear(self) -> None:
        self.clear()


_HASHES: _Memo = _Memo()  # (device, inode, size, mtime_ns, ctime_ns) -> hex digest
_HASHES_KEPT = 8192
_SETTLED_NS = 3 * 10**9


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        known = _HASHES.get(stamp)
        if known is not None:
            return known
        h = hashlib.sha256()
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    digest = h.hexdigest()
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > _SETTLED_NS:
        if len(_HASHES) >= _HASHES_KEPT:
            _HASHES.clear()
        _HASHES[stamp] = digest
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
