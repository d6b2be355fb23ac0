"""A chapter to execute and what came of it: plain records, importable without papermill (a
rebuild that executes nothing does not import it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annualreport.errors import ChapterFailed


@dataclass(frozen=True)
class ChapterRun:
    """One notebook to execute: source, where the executed copy goes, and its parameters."""

    chapter: str
    source: Path
    output: Path
    parameters: dict[str, Any]


@dataclass
class ChapterResult:
    chapter: str
    seconds: float
    error: ChapterFailed | None = None
    status: str = "executed"  # or "cached"
    key: str = ""
    kernel_log: str = ""  # what the kernel process printed while a failed chapter ran (kernel_manager.py)
