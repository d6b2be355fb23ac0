"""Rendered outputs kept by what they were made from, so that the same book is not rendered twice.

The embedded renderer's outputs (report.html, report.pdf, report.docx, and pandoc's reading of the
Markdown that the final gate reads: render.DOCUMENT) depend only on what it reads: the sandbox it
renders in (the Markdown, the charts, the CSVs, the cover and logos: embedded.sandbox), the templates,
the book's metadata, whether it is a draft, the PDF's date (the report year, or SOURCE_DATE_EPOCH)
and the tools, which the build's environment digest covers (the lock file pins pandoc, Typst,
pikepdf and the font; our code; Python). The key is the SHA-256 of all of these, so a rebuild whose
book did not change (an output damaged or deleted, an input changed that no chapter shows, a
chapter executed again to the same result) takes the outputs from here instead of rendering
(about 2 CPU-seconds). The final gate still reads the HTML before anything is published.

Entries live in build/.cache/render/<key>/, written whole (a folder renamed into place); the newest
KEEP are kept. `--force` (and `verify`, which builds with it) renders again and replaces the entry. A
damaged entry is rendered again; a cache that cannot be written is left out, with the build's other
caches, after one warning (execution.cache.ChapterCache.fault).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from annualreport.render.markdown_read import ReadingCache

if TYPE_CHECKING:
    from annualreport.store.store_cache import Faults

VERSION = "render-cache-1"
KEEP = 16  # entries kept: several reports and years of one project
FILES = ("report.json", "report.html", "report.pdf", "report.docx")


def _tree(folder: Path) -> list[str]:
    """Every regular file under `folder`, as 'relative path=SHA-256'."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        found.append(f"{path.relative_to(folder).as_posix()}={hashlib.sha256(path.read_bytes()).hexdigest()}")
    return found


class RenderCache:
    """A build's rendered outputs, by key (see the module docstring)."""

    def __init__(self, folder: Path, environment: str, faults: Faults, refresh: bool = False) -> None:
        self.folder = folder
        self.environment = environment
        self.faults = faults  # where a fault is reported, once for all the build's caches (ChapterCache)
        self.refresh = refresh
        self.reused = 0  # renders answered from the cache
        # Chapters' readings by pandoc, beside the renders (build/.cache/reading/): a render of a book
        # whose text changed in one chapter reads only that chapter again (markdown_read.py).
        self.readings = ReadingCache(folder.with_name("reading"), environment, faults, refresh)

    def key(self, sandbox: Path, settings: dict) -> str:
        """The key of a render of the sandbox folder `sandbox` with `settings` (draft, dates, metadata)."""
        templates = Path(str(resources.files("annualreport") / "templates"))
        material = [VERSION, self.environment, json.dumps(settings, sort_keys=True, default=str),
                    f"SOURCE_DATE_EPOCH={os.environ.get('SOURCE_DATE_EPOCH', '')}",
                    "sandbox", *_tree(sandbox), "templates", *_tree(templates)]
        return hashlib.sha256("\n".join(material).encode("utf-8")).hexdigest()

    def get(self, key: str) -> Path | None:
        """The folder holding the outputs of `key`, or None (also with refresh, or a damaged entry)."""
        entry = self.folder / key
        if self.refresh or self.faults.off or not all((entry / name).is_file() for name in FILES):
            return None
        try:
            os.utime(entry)  # recently used: kept longest
        except OSError:
            pass
        self.reused += 1
        return entry

    def put(self, key: str, files: dict[str, Path]) -> None:
        """Keep the outputs `files` (name in FILES -> the file) under `key`."""
        if self.faults.off:
            return
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".", dir=self.folder))
            for name, path in files.items():
                shutil.copyfile(path, tmp / name)
            shutil.rmtree(self.folder / key, ignore_errors=True)
            os.replace(tmp, self.folder / key)
            self._prune()
        except OSError as e:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            self.faults.fault(e)

    def _prune(self) -> None:
        entries = sorted((p.stat().st_mtime_ns, p) for p in self.folder.iterdir()
                         if p.is_dir() and not p.name.startswith("."))
        for _, old in entries[:max(0, len(entries) - KEEP)]:
            shutil.rmtree(old, ignore_errors=True)
