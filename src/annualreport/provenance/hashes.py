"""The files that identify a build's code and environment, and their SHA-256 (standard library only,
so that a no-op rebuild can check them without importing the pipeline: uptodate.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # the annualreport package


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def code_files_read(package: Path = PACKAGE) -> list[Path]:
    """annualreport's own files a build uses: its code and templates (not Python's byte-code caches)."""
    return sorted(p for p in package.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))


def lock_path(project_root: Path) -> Path:
    """The lock file of the environment this code runs in: beside the code's checkout (an editable
    install, as `make setup` makes), else in the project folder."""
    beside_code = PACKAGE.parents[1] / "requirements.lock"
    return beside_code if beside_code.is_file() else project_root / "requirements.lock"
