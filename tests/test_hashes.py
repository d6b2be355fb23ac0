"""A file's SHA-256 is remembered only while the file is unchanged (provenance/hashes.py)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from annualreport.provenance import hashes


def test_a_changed_file_is_hashed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "figures.csv"
    path.write_bytes(b"a,1\n")
    hashes._HASHES.cache_clear()
    assert hashes.sha256_file(path) == hashlib.sha256(b"a,1\n").hexdigest()
    assert len(hashes._HASHES) == 0  # just written: not remembered (racy)

    monkeypatch.setattr(hashes, "_SETTLED_NS", 0)
    hashes.sha256_file(path)
    assert len(hashes._HASHES) == 1  # settled: remembered
    assert hashes.sha256_file(path) == hashlib.sha256(b"a,1\n").hexdigest()

    path.write_bytes(b"a,2\n")  # the same size; its times differ from those remembered
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert hashes.sha256_file(path) == hashlib.sha256(b"a,2\n").hexdigest()
    replaced = tmp_path / "new.csv"
    replaced.write_bytes(b"a,3\n")
    os.replace(replaced, path)  # another inode under the same name
    assert hashes.sha256_file(path) == hashlib.sha256(b"a,3\n").hexdigest()
