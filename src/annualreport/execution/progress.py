"""Progress for long work, one line per event, so it reads the same in a terminal and a CI log."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Prints '[lancashire 2013-14] front_door executed (2.1 s) [2/4]' style lines to stderr."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.start = time.perf_counter()

    def say(self, label: str, message: str) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.start
        print(f"[{elapsed:6.1f}s] [{label}] {message}", file=self.stream, flush=True)
