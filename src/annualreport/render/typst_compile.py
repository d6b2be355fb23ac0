"""Compile a Typst document in a child process, so that the build can stop it at a time limit.

typst-py compiles in-process and cannot be interrupted, so the embedded renderer runs CHILD (below)
in a Python of its own and kills it when it overruns. The child is Python in isolated mode without
`site` (`python -I -S`), with only the folder holding typst-py on its path: it starts in a quarter of
the time `python -m` takes with the whole environment (10 against 40 ms, on the PDF's path in every
build), and it can import nothing but typst and the standard library.

The document sees only `root` (a folder holding the .typ and the charts it shows), and Typst
packages come from `packages`, an empty folder. Typst would download
a package it does not find there, so the child's proxy is set to a closed local port: an
`#import "@preview/..."` fails at once, and nothing is fetched.

Every PDF is made as PDF/UA-1 (tagged, with the title shown and the language set): Typst refuses
a document that cannot meet it (a heading that skips a level, an image without alt text), and the
build then fails saying so, rather than writing a less accessible PDF.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from annualreport.errors import RenderError

PDF_STANDARDS = ["ua-1"]

# Every download Typst tries goes to this proxy, where nothing listens (port 1 is reserved).
NO_NETWORK = "http://127.0.0.1:1"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")

# The child's program: argv[1] is the folder holding typst-py, argv[2] the compile's settings (JSON).
CHILD = f"""
import json, sys
sys.path.insert(0, sys.argv[1])
import typst
spec = json.loads(sys.argv[2])
try:
    typst.compile(spec["input"], output=spec["output"], root=spec["root"], timestamp=spec["timestamp"],
                  package_path=spec["packages"], package_cache_path=spec["packages"], pdf_standards={PDF_STANDARDS!r},
                  font_paths=spec["fonts"], ignore_system_fonts=True)
except Exception as e:  # typst raises its own error type, with the source location
    print(e, file=sys.stderr)
    sys.exit(1)
"""


@functools.cache
def _typst_folder() -> str:
    """The folder typst-py is installed in (site-packages), found without importing it."""
    spec = importlib.util.find_spec("typst")
    if spec is None or not spec.submodule_search_locations:
        raise RenderError("typst-py is not installed; run `make setup`")
    return str(Path(next(iter(spec.submodule_search_locations))).parent)


def compile_pdf(source: Path, output: Path, root: Path, packages: Path, timestamp: int, timeout: float,
                fonts: list[str] | None = None) -> None:
    """Compile `source` (inside `root`) to `output`; RenderError on a Typst error or after `timeout` s.

    Fonts come from Typst's own and from the folders in `fonts`, never from the machine."""
    spec = {"input": str(source), "output": str(output), "root": str(root), "packages": str(packages),
            "timestamp": timestamp, "fonts": fonts or []}
    env = {k: v for k, v in os.environ.items() if k not in ("NO_PROXY", "no_proxy")}
    env |= dict.fromkeys(PROXY_VARIABLES, NO_NETWORK)
    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", CHILD, _typst_folder(), json.dumps(spec)],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise RenderError(f"rendering PDF with typst took longer than {timeout:g} s and was stopped") from None
    if proc.returncode != 0:
        why = proc.stderr.strip()[-4000:]
        if "failed to download package" in why:
            why += "\n(Typst packages are not available to the report, and are never downloaded)"
        if "PDF/UA-1" in why:
            raise RenderError(f"the PDF cannot be made accessible (PDF/UA-1), so it was not written:\n{why}\n"
                              "(every report's PDF must meet PDF/UA-1: headings may not skip a level, every "
                              "image needs alt text)")
        raise RenderError(f"typst failed to compile {source.name}:\n{why}")

