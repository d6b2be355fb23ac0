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
byte for byte) and what the rest of the build needs of the store in memory (StoreSummary: its size,
its settings and the narrative's placeholder values), as JSON: a rebuild that executes no chapter
(a narrative edit) needs no pandas, and a reused store gives the same report, byte for byte, as one
built afresh (a fresh store's summary goes through the same JSON). Chapters that execute read the
store from store.csv. Like the chapter cache it only saves time: entries are written to a temporary
folder and renamed into place, and a cache that cannot be read or written is left out after one
warning (execution.cache.ChapterCache.fault).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Protocol

from annualreport.execution.cache import copy_files, write_entry
from annualreport.inputs.params import ReportParams
from annualreport.project import Project
from annualreport.provenance.hashes import sha256_file

SUMMARY = "store-summary.json"
FILES = "files"
VERSION = "store-cache-2"  # changed when an entry's layout changes


@dataclass(frozen=True)
class StoreSummary:
    """What a build needs of its store beside the files: the number of figures, the settings
    (store.json's content) and the narrative's placeholder values (narrative.placeholders of the
    public view)."""

    figures: int
    meta: dict
    placeholders: dict[str, str]

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "StoreSummary":
        return cls(**json.loads(text))


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
            return not self.faults.off and (self._entry(key) / SUMMARY).is_file()
        except OSError:
            return False

    def store(self, key: str, work: Path, build: Callable[[], StoreSummary], force: bool = False) -> tuple[StoreSummary, bool]:
        """The store for `key` in the build folder `work`: copied from the cache, or made by `build`
        (which writes its files into `work` and returns their summary) and then cached. Returns the
        store's summary and whether it was reused."""
        if not force and not self.faults.off:
            found = self._restore(key, work)
            if found is not None:
                return found, True
        before = _files(work)
        text = build().as_json()
        if not self.faults.off:
            try:
                self._put(key, work, sorted(_files(work) - before), text)
            except OSError as e:
                self.faults.fault(e)
        return StoreSummary.from_json(text), False

    def _restore(self, key: str, work: Path) -> StoreSummary | None:
        entry = self._entry(key)
        try:
            if not (entry / SUMMARY).is_file():
                return None
            summary = StoreSummary.from_json((entry / SUMMARY).read_text(encoding="utf-8"))
            copy_files(sorted(p for p in (entry / FILES).rglob("*") if p.is_file()), entry / FILES, work)
            return summary
        except OSError as e:
            self.faults.fault(e)
            return None
        except (ValueError, TypeError):  # a damaged entry: built again
            return None

    def _put(self, key: str, work: Path, written: list[Path], summary: str) -> None:
        def fill(tmp: Path) -> None:
            copy_files(written, work, tmp / FILES)
            (tmp / SUMMARY).write_text(summary, encoding="utf-8")

        write_entry(self._entry(key), SUMMARY, fill)
