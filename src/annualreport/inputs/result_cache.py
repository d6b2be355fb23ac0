"""A small cache of check results, so that a command does not re-check files that have not changed.

A result is stored as JSON under a key that is the SHA-256 of everything the result depends on
(the caller passes that material: typically the code's digest and the content hashes of the files
checked), so a changed file, a changed check or another project can never be answered from it.
Entries live in the user's cache folder (`$XDG_CACHE_HOME/annualreport`, by default
`~/.cache/annualreport`; `ANNUALREPORT_CACHE_DIR` overrides it), never in the project: `check`
still writes nothing beside the inputs. The cache only saves time: when it cannot be read or
written, the result is computed as if it were empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Callable

VERSION = "1"


def cache_dir() -> Path:
    """The folder holding cached results (it may not exist yet)."""
    if os.environ.get("ANNUALREPORT_CACHE_DIR"):
        return Path(os.environ["ANNUALREPORT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "annualreport"


def remember(kind: str, material: list[str], compute: Callable[[], list[dict]]) -> list[dict]:
    """The result of `compute()` for this key material: read from the cache, or computed and stored.

    `kind` names the result (a file-name-safe word such as 'national-check'); `material` is every
    string the result depends on."""
    digest = hashlib.sha256("\0".join([VERSION, kind, *material]).encode("utf-8")).hexdigest()
    path = cache_dir() / kind / f"{digest}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, list):
            return cached
    except (OSError, ValueError):
        pass
    result = compute()
    try:
        write_whole(path, lambda f: f.write(json.dumps(result).encode("utf-8")))
    except OSError:
        pass
    return result


def write_whole(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file whole or not at all: `write` fills a temporary file in the same folder, which is
    then renamed onto `path` (so a reader never sees half a file). Raises OSError when it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
