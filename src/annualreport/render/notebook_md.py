"""Turn an executed notebook into pandoc Markdown, as Quarto does for `.ipynb` chapters.

Honours the cell tags Quarto honours: `remove-cell`, `remove-input`, `remove-output`.
Outputs are taken richest first: text/markdown as Markdown, image/png as a file, text/plain
as a code block; stderr (warnings) is dropped, as with Quarto's `warning: false`.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from annualreport.execution.notebook_io import read_notebook


def fenced(text: str, info: str = "") -> str:
    """A fenced code block showing text as typed: the fence is longer than any run of backticks
    in the text, so printed text can never close the block and become Markdown."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _output_markdown(output: dict, image_dir: Path, stem: str, counter: list[int]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return "" if output.get("name") == "stderr" else fenced(output.get("text", "").rstrip())
    if kind == "error":
        return fenced(f"{output.get('ename')}: {output.get('evalue')}")
    data = output.get("data", {})
    if "text/markdown" in data:
        text = data["text/markdown"]
        return "".join(text) if isinstance(text, list) else text
    if "image/png" in data:
        counter[0] += 1
        image_dir.mkdir(parents=True, exist_ok=True)
        path = image_dir / f"{stem}-output-{counter[0]}.png"
        path.write_bytes(base64.b64decode(data["image/png"]))
        return f"![]({image_dir.name}/{path.name})"
    if "text/plain" in data:
        return fenced("".join(data["text/plain"]).rstrip())
    return ""


def notebook_to_markdown(notebook: Path, image_dir: Path) -> str:
    """The Markdown of one executed chapter: markdown cells and cell outputs, no code."""
    nb = read_notebook(notebook)
    blocks: list[str] = []
    counter = [0]
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if "remove-cell" in tags:
            continue
        if cell.cell_type == "markdown":
            blocks.append(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        if "remove-input" not in tags and cell.source.strip():
            blocks.append(fenced(cell.source, "python"))
        if "remove-output" not in tags:
            blocks += [md for md in (_output_markdown(o, image_dir, notebook.stem, counter) for o in cell.outputs) if md]
    return "\n\n".join(b.strip("\n") for b in blocks) + "\n"
