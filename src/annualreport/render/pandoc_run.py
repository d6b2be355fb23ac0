"""Running the pandoc of the locked wheel: where it is, how it starts, and what a failure says."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from importlib import resources
from pathlib import Path

from annualreport.errors import RenderError

# Pandoc (a Haskell program) is built to start with a 64 MB heap, and a short step (reading one
# chapter) spends a quarter of its time asking the system for it. With 16 MB, each step gives the
# same bytes for about 12% less CPU (measured over the read and the three writers).
RTS = ["+RTS", "-H16m", "-RTS"]


def pandoc_binary() -> str:
    """The pandoc of the locked pypandoc-binary wheel (pypandoc/files/pandoc), and never another one:
    pypandoc's own lookup takes the newest pandoc it finds, on PATH too, and a machine with a newer
    pandoc would render other bytes. Found without importing pypandoc (a twentieth of a second)."""
    spec = importlib.util.find_spec("pypandoc")
    binary = Path(spec.origin).parent / "files" / ("pandoc.exe" if os.name == "nt" else "pandoc") \
        if spec is not None and spec.origin else None
    if binary is None or not os.access(binary, os.X_OK):
        raise RenderError(f"pandoc from the pypandoc-binary wheel is not available ({binary or 'no pypandoc'}); "
                          "run `make setup`")
    return str(binary)


def template(name: str) -> str:
    """The path of one of annualreport's templates and filters (templates/NAME)."""
    return str(resources.files("annualreport") / "templates" / name)


def pandoc_failed(step: str, stderr: str) -> RenderError:
    """The error of a pandoc that failed at `step`, with what it said (a Lua filter's traceback,
    which says nothing to a user, left out)."""
    why = stderr.split("\nstack traceback:")[0].strip()
    return RenderError(f"{step} with pandoc failed:\n{why[-4000:]}")


def pandoc_overran(step: str, timeout: float) -> RenderError:
    return RenderError(f"{step} with pandoc took longer than {timeout:g} s and was stopped")


def run_pandoc(args: list[str], cwd: Path, step: str, timeout: float) -> None:
    """Run pandoc in `cwd`; RenderError naming `step` when it fails or overruns `timeout` seconds."""
    with subprocess.Popen([pandoc_binary(), *RTS, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise pandoc_overran(step, timeout) from None
        except BaseException:  # as subprocess.run: an interrupted render leaves no pandoc behind
            proc.kill()
            raise
    if proc.returncode != 0:
        raise pandoc_failed(step, stderr)
