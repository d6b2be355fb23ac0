"""Reuse the indicator store when nothing it is made from has changed.

Building the store reads every national file, the reference data and the local inputs, and takes
more than a second. An edit to the narrative or to a notebook changes none of that, so the
store is kept in `build/.cache/store/<key>/`, and a rebuild with the same key copies it instead of
computing it again. The key is the SHA-256 of what the store can depend on:

- the content of every file the report reads except notebooks and narrative (manifest.input_files:
  both params files, logos, national files and their catalog, reference data, every local input),
  by path inside the project;
- the inputs not provided (and why), the partnership and year;
- the environment: the lock file, this library's code and Python (build.environment_digest).

An entry holds the files the store's build wrote into the build folder (store.csv, store.json,
byte for byte) and the store as it was in memory (a pickle; the environment is in the key), so a
reused store gives the same report, byte for byte, as one built afresh. Like the chapter cache it
only saves time: entries are written to a temporary folder and renamed into place, and a cache
that cannot be read or written is left out after one warning (execution.cache.ChapterCache.fault).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from annualreport.execution.cache import copy_files, write_entry
from annualreport.inputs.params import ReportParams
from annualreport.project import Project
from annualreport.provenance.hashes import sha256_file

if TYPE_CHECKING:
    from annualreport.store.figures import Store

OBJECT = "store.pickle"
FILES = "files"
VERSION = "store-cache-1"  # changed when an entry's layout changes


class Faults(Protocol):
    """Where a cache fault is reported once for the whole build (ChapterCache is one)."""

    off: bool

    def fault(self, error: OSError) -> None: ...


def store_key(project: Project, params: ReportParams, environment: str, missing: dict[str, str]) -> str:
    """The key of a partnership-year's store (see the module docstring for what it covers)."""
    from annualreport.provenance.manifest import input_files

    skip = {project.notebooks_dir.resolve()}
    narrative = (project.params_dir / params.partnership_id / params.report.year / "narrative").resolve()
    files = {}
    for path in input_files(project, params):
        resolved = path.resolve()
        if resolved.parent in skip or resolved.parent == narrative:
            continue
        files[project.rel(path)] = sha256_file(path) if path.is_file() else None
    material = {"version": VERSION, "partnership": params.partnership_id, "year": params.report.year,
                "files": files, "missing": missing, "environment": environment}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


class StoreCache:
    """Built stores by key, under one folder (by default build/.cache/store)."""

    def __init__(self, root: Path, faults: Faults):
        self.root = root
        self.faults = faults

    def _entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def has(self, key: str) -> bool:
        """Whether the cache holds the store for `key` (as far as can be told without reading it)."""
        try:
            return not self.faults.off and (self._entry(key) / OBJECT).is_file()
        except OSError:
            return False

    def store(self, key: str, work: Path, build: Callable[[], "Store"], force: bool = False) -> tuple["Store", bool]:
        """The store for `key` in the build folder `work`: copied from the cache, or made by `build`
        (which writes its files into `work`) and then cached. Returns the store and whether it was reused."""
        if not force and not self.faults.off:
            found = self._restore(key, work)
            if found is not None:
                return found, True
        before = _files(work)
        store = build()
        if not self.faults.off:
            try:
                self._put(key, work, sorted(_files(work) - before), store)
            except OSError as e:
                self.faults.fault(e)
        return store, False

    def _restore(self, key: str, work: Path) -> "Store | None":
        entry = self._entry(key)
        try:
            if not (entry / OBJECT).is_file():
                return None
            with open(entry / OBJECT, "rb") as f:
                store = pickle.load(f)
            copy_files(sorted(p for p in (entry / FILES).rglob("*") if p.is_file()), entry / FILES, work)
            return store
        except OSError as e:
            self.faults.fault(e)
            return None
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):  # a damaged entry: built again
            return None

    def _put(self, key: str, work: Path, written: list[Path], store: "Store") -> None:
        store.public()  # kept with the store: a rebuild does not make the public view again

        def fill(tmp: Path) -> None:
            copy_files(written, work, tmp / FILES)
            with open(tmp / OBJECT, "wb") as f:
                pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)

        write_entry(self._entry(key), OBJECT, fill)
