"""The national datasets, normalised once and kept on disk for the next process.

What: `sources.dataset_frame` reads and normalises every catalogued CSV of a dataset with pandas,
about half a CPU-second per store build. Why: every `annualreport build` process pays that again,
though the files rarely change. So a build turns this cache on (`use`, from build.build_report) and
each dataset's frame is then kept as a pickle (protocol 5) in the user's cache folder,
`<result_cache.cache_dir()>/national/<dataset>-<key>.pickle` (by default
`~/.cache/annualreport/national`; `ANNUALREPORT_CACHE_DIR` or `XDG_CACHE_HOME` move it), never in
the project. Library callers that do not call `use` read the CSVs as before.

The key is the SHA-256 of VERSION, the dataset id, the SHA-256 of catalog.yml and of every file of
the dataset, and the build's environment digest (build.environment_digest: this library's code, the
lock file, which pins pandas and so the pickle's format, and Python). Any change gives a new entry;
the newest KEEP entries of a dataset are kept, older ones deleted.

Failures: the cache only saves time. A damaged or unreadable entry is computed again and rewritten;
a folder that cannot be written is used no further in this process, after one warning line.
`use(..., refresh=True)` (`build --force`) reads the files again and rewrites the entries.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from annualreport.inputs.result_cache import write_whole
from annualreport.provenance.hashes import sha256_file

if TYPE_CHECKING:  # pandas is imported where a frame is read: setting the cache up needs none
    import pandas as pd

VERSION = "national-cache-1"  # changed when what an entry holds changes
KEEP = 4  # entries kept per dataset (a few environments, e.g. two checkouts, without growing forever)


@dataclass(frozen=True)
class _Settings:
    folder: Path
    environment: str
    refresh: bool
    warn: Callable[[str], None]


_settings: _Settings | None = None  # None: off (the default); replaced whole, so threads see one or the other
_broken: set[Path] = set()  # folders that could not be written: left out for the rest of the process
_lock = threading.Lock()


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def use(folder: Path | None, environment: str = "", refresh: bool = False,
        warn: Callable[[str], None] | None = None) -> None:
    """Keep datasets in `folder` from now on in this process (None: turn the cache off).
    `environment`: the build's environment digest; `refresh`: read the files again and rewrite the
    entries; `warn`: where the one warning about an unwritable folder goes (default stderr)."""
    global _settings
    _settings = None if folder is None else _Settings(folder, environment, refresh, warn or _stderr)


def entry_path(folder: Path, national_dir: Path, dataset: str, files: list[Path], environment: str) -> Path:
    """Where the frame of `dataset` made from these files is kept (see the module docstring for the key)."""
    material = [VERSION, dataset, environment]
    material += [f"{p.relative_to(national_dir).as_posix()}={sha256_file(p)}" for p in files]
    return folder / f"{dataset}-{hashlib.sha256(chr(0).join(material).encode()).hexdigest()}.pickle"


def dataset_frame(national_dir: Path, dataset: str, files: list[Path], compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """`compute()`, the frame of `dataset` made from `files` (catalog.yml and the dataset's files, inside
    `national_dir`), or what the cache holds for it."""
    settings = _settings
    if settings is None or settings.folder in _broken:
        return compute()
    try:
        path = entry_path(settings.folder, national_dir, dataset, files, settings.environment)
    except OSError:  # a file missing or unreadable: reading it says what is wrong
        return compute()
    if not settings.refresh:
        import pandas as pd

        try:
            with open(path, "rb") as f:
                found = pickle.load(f)
            if isinstance(found, pd.DataFrame):
                return found
        except Exception:  # missing, unreadable or damaged: computed again and rewritten
            pass
    frame = compute()
    try:
        write_whole(path, lambda f: pickle.dump(frame, f, protocol=5))
    except OSError as e:
        with _lock:
            if settings.folder not in _broken:
                _broken.add(settings.folder)
                settings.warn(f"warning: the national cache {settings.folder} cannot be written "
                              f"({e.strerror or e}); reading the national files without it")
        return frame
    try:  # the newest KEEP entries of this dataset stay
        entries = [(p.stat().st_mtime_ns, p) for p in settings.folder.glob("*.pickle")
                   if p.name.rsplit("-", 1)[0] == dataset and p != path]
        for _, old in sorted(entries)[:max(0, len(entries) - (KEEP - 1))]:
            old.unlink(missing_ok=True)
    except OSError:  # another process pruning at the same time
        pass
    return frame
