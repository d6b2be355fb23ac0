"""The book's outputs (Typst for the PDF, HTML, Word) written by one pandoc, one after another.

Pandoc's command line writes one output per run, and each run decodes the whole document
(report.json, half a megabyte) again: a third of what a writer costs. templates/write-all.lua
decodes it once and does for each output what `pandoc --from json --to FORMAT` with its options
did, the same bytes; this module runs it and reports each output as soon as its file is written,
so the PDF's Typst compiles and the final gate reads the HTML while pandoc goes on with the rest.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from annualreport.render.pandoc_run import RTS, pandoc_binary, pandoc_failed, pandoc_overran, template

# The Word document is the output nobody waits for: the PDF (pandoc, Typst, then its row headers)
# takes longest, and the final gate reads the HTML. Word's writer, the gate and Typst would share
# two cores three ways; at a lower priority (YIELD steps of nice) Word takes what the other two
# leave, and the PDF is done sooner. The same bytes and the same CPU, in another order.
YIELD = 10


def yield_cpu(pid: int) -> None:
    """Lower process `pid`'s priority by YIELD below this one's, where the system allows it."""
    if not hasattr(os, "setpriority"):  # Windows
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + YIELD))
    except OSError:  # it has already ended, or the system refuses: it runs as it is
        pass


@dataclass(frozen=True)
class Output:
    """One output, as `pandoc --from json --standalone --toc --toc-depth=2 --number-sections
    --lua-filter writers.lua --to FORMAT` with these options would write it."""

    name: str  # as the progress lines name it
    step: str  # what a failure says was being done: "rendering HTML"
    format: str  # pandoc's writer: "typst", "html5", "docx"
    output: str  # the file written, in the folder pandoc runs in
    template: str | None = None  # --template
    # The files whose contents a template variable holds: "header-includes" (--include-in-header),
    # "include-before" (--include-before-body).
    includes: dict[str, list[str]] = field(default_factory=dict)
    metadata: dict[str, object] = field(default_factory=dict)  # --metadata
    metadata_files: list[str] = field(default_factory=list)  # --metadata-file
    options: dict[str, object] = field(default_factory=dict)  # pandoc's writer options, by their Lua names
    background: bool = False  # nothing waits for it: written at a lower priority (YIELD)


def write_outputs(root: Path, document: str, outputs: list[Output], timeout: float, env: dict[str, str],
                  written: Callable[[Output], None], filter: str | None = None,
                  image_link_blocks: list[int] | None = None) -> None:
    """Write `outputs`, in their order, from `document` (pandoc's JSON, in `root`, where pandoc
    runs) with one pandoc, `env` added to its environment, each through the Lua `filter` (a
    filter file returning its passes; templates/writers.lua by default). `written(output)` is
    called (in this thread) as each file is written, while pandoc writes the next.
    `image_link_blocks`: the positions (from 0) of the document's blocks that hold an image or a
    link, when its metadata holds none (markdown_read.write_reading); a pass of the filter over
    images and links only then visits those blocks alone. None: every pass visits everything.

    RenderError naming the output's step when pandoc fails, or when it has not finished after
    `timeout` seconds; an error raised by `written` stops pandoc and is raised here."""
    # After these outputs pandoc waits while its priority is lowered for the next, a background one.
    before_background = {out.name for out, after in zip(outputs, outputs[1:]) if after.background}
    settings: dict[str, object] = {
        "document": document, "filter": filter or template("writers.lua"),
        "outputs": [{**{k: v for k, v in asdict(out).items() if v is not None},
                     "includes": {k: v for k, v in out.includes.items() if v},
                     "wait": out.name in before_background}
                    for out in outputs]}
    if image_link_blocks is not None:
        settings["image_link_blocks"] = image_link_blocks
    by_name = {out.name: out for out in outputs}
    step = "writing the outputs"
    with tempfile.TemporaryDirectory(prefix="pandoc-write-") as folder:
        spec = Path(folder) / "settings.json"
        spec.write_text(json.dumps(settings), encoding="utf-8")
        command = [pandoc_binary(), *RTS, "lua", template("write-all.lua"), str(spec)]
        with open(Path(folder) / "stderr", "w+", encoding="utf-8") as errors, \
                subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                                 text=True, env={**os.environ, **env}) as proc:
            overran = threading.Event()

            def stop() -> None:
                overran.set()
                proc.kill()

            timer = threading.Timer(timeout, stop)
            timer.start()
            try:
                for line in proc.stdout:  # type: ignore[union-attr]
                    what, _, name = line.strip().partition(" ")
                    out = by_name.get(name)
                    if out is None:  # not a line of write-all.lua's
                        continue
                    if what == "start":
                        step = out.step
                        continue
                    if name in before_background:
                        yield_cpu(proc.pid)
                        proc.stdin.write("\n")  # type: ignore[union-attr]
                        proc.stdin.flush()  # type: ignore[union-attr]
                    written(out)
                proc.wait()
            except BaseException:  # a failure of `written`, or an interrupt: no pandoc left behind
                proc.kill()
                raise
            finally:
                timer.cancel()
            if overran.is_set():
                raise pandoc_overran(step, timeout)
            if proc.returncode != 0:
                errors.seek(0)
                raise pandoc_failed(step, errors.read())
