"""The one YAML loader for inputs (params and the YAML text inputs): safe, bounded, with clear errors.

`InputLoader` is PyYAML's SafeLoader (plain data only, no Python objects) that also refuses
anchors and aliases (`&a` / `*a`: nothing in our inputs needs them, and an "alias bomb" of nested
aliases expands a few hundred bytes into gigabytes) and nesting deeper than MAX_DEPTH (deep nesting
otherwise ends in a RecursionError). Every fault is one YamlError naming the file and the line:
syntax errors (a tab used for indenting is the usual one), aliases, depth, and a top level of the
wrong shape (a list where a mapping of keys is expected).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from annualreport.inputs.textfile import YAML_MAX_BYTES, TextFile, TextFileError, read_text

MAX_DEPTH = 20  # mappings and lists inside each other; our inputs need 4


class YamlError(TextFileError):
    """A YAML input that cannot be loaded (a TextFileError: file, line, kind and detail)."""


class _Refused(yaml.YAMLError):
    def __init__(self, kind: str, detail: str, mark: yaml.Mark | None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.problem_mark = mark


class InputLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or deep nesting."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("YAML alias", "anchors and aliases (&name, *name) are not allowed in inputs; write "
                           "the value out in full", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused("YAML nested too deeply", f"more than {MAX_DEPTH} levels of lists and mappings; inputs "
                               "need only a few", event.start_mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


@dataclass(frozen=True)
class YamlDocument:
    """A loaded YAML input: its data, the line of each key path (for messages) and the decoded file."""

    data: Any
    lines: dict[tuple[Any, ...], int]
    file: TextFile


def key_lines(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """Map each key path in a composed YAML document to its 1-based line, for error messages."""
    lines: dict[tuple[Any, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines[path + (key.value,)] = key.start_mark.line + 1
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return lines


def parse_yaml(file: TextFile) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The data of a decoded YAML file and the line of each key; YamlError naming the file and line."""
    loader = InputLoader(file.text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as e:
        raise YamlError(file.label, e.kind, e.detail, e.problem_mark.line + 1 if e.problem_mark else None) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or "invalid syntax"
        if problem.startswith("but ") and e.context:
            problem = f"{e.context} {problem}"
        hint = ("; YAML indents with spaces, never tabs" if "'\\t'" in problem else "")
        raise YamlError(file.label, f"not valid YAML{file.read_as}", f"{problem}{hint}",
                        mark.line + 1 if mark else None) from None
    except yaml.YAMLError as e:
        raise YamlError(file.label, f"not valid YAML{file.read_as}", str(e)) from None
    except RecursionError:  # a guard: the depth limit stops nesting well before this
        raise YamlError(file.label, "YAML nested too deeply", "Python's recursion limit was reached") from None
    finally:
        loader.dispose()
    return data, key_lines(node)


def read_yaml(path: Path, label: str, *, root: Path | None = None, expect: str | None = None) -> YamlDocument:
    """Read, decode and load a YAML input (see read_text for the limits and `root`).

    With `expect`, the top level must be a mapping: an empty file or another shape is a YamlError
    saying what it should hold (`expect` describes it, e.g. "a mapping with an 'items:' list")."""
    file = read_text(path, label, max_bytes=YAML_MAX_BYTES, root=root)
    data, lines = parse_yaml(file)
    if expect is not None and not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {_shape(data)}"
        raise YamlError(label, "wrong shape", f"expected {expect} at the top level, found {found}")
    return YamlDocument(data, lines, file)


def _shape(data: Any) -> str:
    return {list: "list", str: "single text value", int: "single number", float: "single number",
            bool: "single true/false value"}.get(type(data), type(data).__name__)
