"""A content-addressed cache of executed chapters.

A chapter's key covers what can change its outputs: its code cells (not its markdown, so a
change of narrative executes nothing), its parameters, every input file it reads (the store and
its local inputs, or for the summary the records of the chapters it summarises), this
library's code and the locked environment. The same key reuses the executed notebook and the
files it wrote (charts, data, records) without starting a kernel.

Entries are written to a temporary folder and renamed into place, so two builds at once never
see half an entry, and a build killed half way leaves only a temporary folder behind.

The cache is a convenience: when it cannot be read or written (a read-only folder, a full disk)
the build goes on without it, after one warning line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Callable

from annualreport import __version__
from annualreport.execution.notebook_io import NotebookNode, code_sources, read_notebook, write_notebook
from annualreport.provenance.hashes import sha256_file

NOTEBOOK = "executed.ipynb"
FILES = "files"
PRODUCED = ("figures", "data", "records")


def code_digest() -> str:
    """A digest of this library's Python code, so that a code change invalidates (templates only
    affect stitching and rendering, which always run)."""
    h = hashlib.sha256(__version__.encode())
    package = resources.files("annualreport")
    for path in sorted(Path(str(package)).rglob("*")):
        if path.is_file() and path.suffix == ".py":
            h.update(str(path.relative_to(Path(str(package)))).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def chapter_key(source: Path, parameters: dict, inputs: list[Path], environment: str) -> str:
    """The cache key of one chapter run (see the module docstring for what it covers)."""
    code, kernel = code_sources(source)
    material = {
        "code": code,
        "kernel": kernel,
        "parameters": parameters,
        "inputs": {p.name: sha256_file(p) for p in sorted(inputs) if p.is_file()},
        "missing_inputs": sorted(p.name for p in inputs if not p.is_file()),
        "environment": environment,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def produced_files(workdir: Path, chapter: str) -> list[Path]:
    """The files a chapter wrote: figures/<chapter>-*, data/<chapter>-*, records/<chapter>.json."""
    out: list[Path] = []
    for folder in PRODUCED:
        base = workdir / folder
        if base.is_dir():
            out += sorted(p for p in base.iterdir() if p.name.startswith(f"{chapter}-") or p.name == f"{chapter}.json")
    return out


class ChapterCache:
    """Executed chapters by key, under one folder (by default build/.cache/chapters)."""

    def __init__(self, root: Path, warn: Callable[[str], None] | None = None):
        self.root = root
        self.warn = warn or (lambda line: None)
        self.off = False  # set at the first fault: the rest of the build runs without the cache

    def fault(self, error: OSError) -> None:
        """Turn the cache off for this build, with one warning line (the store's cache reports its
        faults here too: store.store_cache)."""
        if not self.off:
            self.off = True
            self.warn(f"warning: the cache {self.root.parent} cannot be used ({error.strerror or error}); "
                      "building without it")  # the folder of every cache (chapters, store): all are left out

    def _entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> Path | None:
        if self.off:
            return None
        entry = self._entry(key)
        try:
            return entry if (entry / NOTEBOOK).is_file() else None
        except OSError as e:
            self.fault(e)
            return None

    def put(self, key: str, notebook: Path, workdir: Path, chapter: str) -> None:
        """Store an executed notebook and the files its chapter wrote; a concurrent put of the same key
        wins. A cache that cannot be written is turned off (see fault), never an error."""
        if self.off:
            return
        try:
            self._put(key, notebook, workdir, chapter)
        except OSError as e:
            self.fault(e)

    def _put(self, key: str, notebook: Path, workdir: Path, chapter: str) -> None:
        def fill(tmp: Path) -> None:
            shutil.copyfile(notebook, tmp / NOTEBOOK)
            copy_files(produced_files(workdir, chapter), workdir, tmp / FILES)

        write_entry(self._entry(key), NOTEBOOK, fill)

    def restore(self, key: str, source: Path, output: Path, workdir: Path) -> None:
        """Write the cached executed notebook, with the source's current markdown, and its files."""
        entry = self._entry(key)
        write_notebook(merge_markdown(read_notebook(source), read_notebook(entry / NOTEBOOK)), output)
        files = entry / FILES
        copy_files(sorted(p for p in files.rglob("*") if p.is_file()), files, workdir)


def copy_files(paths: list[Path], source: Path, dest: Path) -> None:
    """Copy each of `paths` (files inside `source`) to the same place inside `dest`."""
    for path in paths:
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def write_entry(entry: Path, marker: str, fill: Callable[[Path], None]) -> None:
    """Write a cache entry whole or not at all: `fill` writes it into a temporary folder beside
    `entry`, which is then renamed into place. An entry already there (`marker`, a file every
    entry holds, is in it), or put there meanwhile by a concurrent build, wins."""
    if entry.exists():
        return
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name[:12]}-", dir=entry.parent))
    try:
        fill(tmp)
        os.rename(tmp, entry)
    except OSError:
        if not (entry / marker).is_file():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def merge_markdown(source: NotebookNode, executed: NotebookNode) -> NotebookNode:
    """The executed notebook with its markdown cells taken from the (possibly edited) source.

    The code cells are the same in both (they are part of the key); papermill's injected
    parameters cell is kept after the parameters cell.
    """
    code = [c for c in executed.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    cells, position = [], 0
    for cell in source.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        cells.append(code[position])
        position += 1
        if "parameters" in cell.metadata.get("tags", []):
            cells += injected
    executed.cells = cells
    return executed
