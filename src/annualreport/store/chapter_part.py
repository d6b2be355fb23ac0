"""The part of the store each chapter reads, written for the chapter's cache key.

A chapter names the indicators it shows as string literals in its code cells; its key covers the
store rows of those indicators and the store's settings (members, thresholds, targets...), so a new
national file re-executes only the chapters whose figures it changes. Read with the csv module: a
rebuild that executes no chapter (a narrative edit) makes every chapter's key without pandas.
"""

from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache
from pathlib import Path

from annualreport.store import KEYS_DIR, STORE_CSV, STORE_META

WHOLE_STORE_CALLS = ("summary_table", ".frame", ".series(", ".meta[\"indicators\"]")
DATASETS_CALLS = ("methodology",)  # reads which national files and releases were read, not figures


def _stamp(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


@lru_cache(maxsize=16)
def _store_as_text(table: Path, meta: Path, *stamps: tuple[int, int, int]) -> tuple[list[tuple[str, ...]], dict]:
    """A store's rows (the header first, every cell as text) and settings, read once for all its
    chapters' keys (`stamps`: the files' size, time and inode, so a rewritten store is read again).
    Not to be changed. Up to 16 stores are kept (a few megabytes each): a batch builds a report per
    core and one more at once, and with two kept, three reports read each store twice (the summary's
    wave came after the other reports had read theirs). Each row a tuple: the garbage collector stops
    tracking a tuple of strings, and never a list, so kept as lists the stores' tens of thousands of
    rows were walked by every full collection (half of a batch's collecting)."""
    with table.open(encoding="utf-8", newline="") as f:
        rows = [tuple(row) for row in csv.reader(f)]
    return rows, json.loads(meta.read_text(encoding="utf-8"))


def chapter_store_file(work: Path, chapter: str, code: str) -> Path:
    """Write (and return) the part of the store chapter `chapter` reads, for its cache key (`code`:
    its code cells' sources, joined).

    A chapter that reads figures it does not name (the summary reads what other chapters recorded)
    has the whole store in its key; the appendix's methodology has the files and releases read
    (`datasets`).
    """
    rows, meta = _store_as_text(work / STORE_CSV, work / STORE_META, _stamp(work / STORE_CSV), _stamp(work / STORE_META))
    if any(call in code for call in WHOLE_STORE_CALLS):
        named = sorted(meta["indicators"])
        settings = meta
    else:
        literals = set(re.findall(r"[\"']([a-z0-9_]+)[\"']", code))
        named = sorted(i for i in meta["indicators"] if i in literals)
        skip = ("indicators", "local_hidden") + (() if any(call in code for call in DATASETS_CALLS) else ("datasets",))
        settings = {k: v for k, v in meta.items() if k not in skip}
        settings["indicators"] = {i: meta["indicators"][i] for i in named}
        settings["local_hidden"] = [k for k in meta.get("local_hidden", []) if k[0] in named]
    header, shown = rows[0], set(named)
    column = header.index("indicator")
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *(r for r in rows[1:] if r[column] in shown)])
    out = work / KEYS_DIR / f"store-{chapter}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"settings": settings, "rows": text.getvalue()}, sort_keys=True), encoding="utf-8")
    return out
