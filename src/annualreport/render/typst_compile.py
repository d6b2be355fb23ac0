"""Compile a Typst document in a child process, so that the build can stop it at a time limit.

typst-py compiles in-process and cannot be interrupted, so the embedded renderer runs

    python -m annualreport.render.typst_compile '{"input": ..., "output": ..., "root": ..., ...}'

and kills it when it overruns. The document sees only `root` (a folder holding the .typ and the
charts it shows), and Typst packages come from `packages`, an empty folder: `#import "@preview/..."`
fails at once instead of downloading anything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..errors import RenderError


def compile_pdf(source: Path, output: Path, root: Path, packages: Path, timestamp: int, timeout: float) -> None:
    """Compile `source` (inside `root`) to `output`; RenderError on a Typst error or after `timeout` s."""
    spec = {"input": str(source), "output": str(output), "root": str(root), "packages": str(packages),
            "timestamp": timestamp}
    try:
        proc = subprocess.run([sys.executable, "-m", __name__, json.dumps(spec)], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"rendering PDF with typst took longer than {timeout:g} s and was stopped") from None
    if proc.returncode != 0:
        raise RenderError(f"typst failed to compile {source.name}:\n{proc.stderr.strip()[-4000:]}")


def main(argv: list[str]) -> int:
    import typst

    spec = json.loads(argv[0])
    try:
        typst.compile(spec["input"], output=spec["output"], root=spec["root"], timestamp=spec["timestamp"],
                      package_path=spec["packages"], package_cache_path=spec["packages"])
    except Exception as e:  # typst raises its own error type, with the source location
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
