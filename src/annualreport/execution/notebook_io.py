"""Reading and writing notebooks as nbformat does, byte for byte, without importing nbformat.

A report's build reads and writes its notebooks about eight times each (cache keys, the cache,
stitching, Markdown). `nbformat.read` and `nbformat.write` check each against the schema every time
(and only log what they find), and importing nbformat imports jsonschema: a twelfth of a second on a
narrative-only rebuild, which executes nothing. So the build's own steps read and write notebooks of
format 4 here, the way nbformat's v4 JSON reader and writer do (`nbformat.v4.nbjson`: the same
nested dicts, lines joined on reading and split on writing, the same JSON; a test compares the
bytes). A notebook of an older format is read and converted by nbformat itself. The notebooks are
checked where it matters, when papermill executes them.
"""

from __future__ import annotations

import copy
import json
from binascii import b2a_base64
from pathlib import Path
from typing import Any


class NotebookNode(dict):
    """A notebook, or a part of one: a dict whose keys are also its attributes (nbformat's NotebookNode)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None


def _node(value: Any) -> Any:
    """`value` with every dict in it a NotebookNode (nbformat.from_dict)."""
    if isinstance(value, dict):
        return NotebookNode({k: _node(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return [_node(v) for v in value]
    return value


def _json_mime(mime: str) -> bool:
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


def _lines_of(cell: dict, joined: bool) -> None:
    """Join (reading) or split (writing) a cell's multi-line strings, as nbformat's rejoin_lines and
    split_lines do: its source, and the text of its attachments and outputs."""
    bundles = [*cell.get("attachments", {}).values()]
    texts = [cell]
    if cell.get("cell_type") == "code":
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("execute_result", "display_data"):
                bundles.append(output.get("data", {}))
            elif output.get("output_type"):
                texts.append(output)
    for holder in texts:
        key = "source" if holder is cell else "text"
        value = holder.get(key)
        if joined and isinstance(value, list):
            holder[key] = "".join(value)
        elif not joined and isinstance(value, str) and (holder is cell or holder.get("output_type") == "stream"):
            holder[key] = value.splitlines(True)
    for bundle in bundles:
        for mime, value in list(bundle.items()):
            if joined and not _json_mime(mime) and isinstance(value, list) and all(isinstance(v, str) for v in value):
                bundle[mime] = "".join(value)
            elif not joined and isinstance(value, str) and (
                    mime.startswith("text/") or mime in ("application/javascript", "image/svg+xml")):
                bundle[mime] = value.splitlines(True)


def _strip_transient(nb: dict) -> None:
    """What nbformat never keeps in a file: its own conversion marks, the old signature, trust."""
    for key in ("orig_nbformat", "orig_nbformat_minor", "signature"):
        nb.get("metadata", {}).pop(key, None)
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("trusted", None)


def read_notebook(path: Path) -> NotebookNode:
    """The notebook at `path`, as nbformat 4 (an older one converted, as `nbformat.read` does)."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        import nbformat  # an older notebook (or not one): nbformat converts it, or says what is wrong

        return _node(nbformat.convert(nbformat.reader.reads(text), 4))
    nb = _node(data)
    for cell in nb.get("cells", []):
        _lines_of(cell, joined=True)
    _strip_transient(nb)
    return nb


def markdown_cell(source: str, cell_id: str) -> NotebookNode:
    """A new Markdown cell (nbformat.v4.new_markdown_cell's, with its id given)."""
    return NotebookNode(id=cell_id, cell_type="markdown", source=source, metadata=NotebookNode())


class _Bytes(json.JSONEncoder):
    """nbformat's BytesEncoder: bytes written as base64."""

    def default(self, o: Any) -> Any:
        return b2a_base64(o).decode("ascii") if isinstance(o, bytes) else super().default(o)


def write_notebook(nb: dict, path: Path) -> None:
    """Write `nb` to `path` as `nbformat.write` would, byte for byte."""
    nb = copy.deepcopy(nb)
    for cell in nb.get("cells", []):
        _lines_of(cell, joined=False)
    _strip_transient(nb)
    text = json.dumps(nb, cls=_Bytes, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def code_sources(path: Path) -> tuple[list[str], str]:
    """The notebook's code cells' sources and its kernel's name (what a chapter's cache key covers)."""
    nb = read_notebook(path)
    return [c.source for c in nb.cells if c.cell_type == "code"], nb.metadata.get("kernelspec", {}).get("name", "")
