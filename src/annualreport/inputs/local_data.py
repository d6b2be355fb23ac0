"""The local inputs' files in a build: copied in, the inputs not provided, the items of text inputs.

The build copies the partnership-year's local inputs into the build folder (`inputs/`), so a
build holds everything it was made from; the copy's text is UTF-8 whatever the original's encoding
(every input is read by `textfile`'s one reader, YAML by `yamlfile`'s safe loader). The tables
themselves, typed and suppressed for publication, are read by `local_tables`; this module needs no
pandas, so a rebuild that executes no chapter does not import it.
"""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from annualreport.inputs.framework import inputs_of
from annualreport.inputs.local_schema import DATASET_BY_NAME, TEXT_BY_NAME, TextInput
from annualreport.inputs.textfile import YAML_MAX_BYTES, decode, links_outside, read_csv_text, read_text
from annualreport.inputs.yamlfile import parse_yaml, read_yaml

INPUTS = "inputs"
NOT_PROVIDED = "not_provided.json"
STATE = "__state"  # suffix of a measure's state column
PARTNERSHIP = "Partnership"
ANNUAL = "Financial year"
HALF_YEARS = ("Part 1 (April to September)", "Part 2 (October to March)")


def read_items(folder: Path, name: str) -> list[dict] | None:
    """The items of a YAML text input (priorities.yml, ...), or None when not provided (no file, no
    items, or only the template's example)."""
    spec = TEXT_BY_NAME[name]
    path = folder / name
    if not path.is_file():
        return None
    return text_items(read_yaml(path, path.name).data, spec) or None


@cache
def _example_items(name: str) -> tuple[Any, ...]:
    spec = TEXT_BY_NAME[name]
    data, _ = parse_yaml(decode(spec.example.encode("utf-8"), f"the {name} template"))
    return tuple(data[spec.list_key])


def text_items(data: Any, spec: TextInput) -> list:
    """The items of a loaded text input; [] when it has none, or only the template's example items
    (a file the coordinator has not filled in yet)."""
    items = data.get(spec.list_key) if isinstance(data, dict) else None
    if not isinstance(items, list) or all(item in _example_items(spec.name) for item in items):
        return []
    return items


def copy_local_inputs(source: Path, dest: Path, root: Path) -> None:
    """Copy a partnership-year's local inputs into a build (`inputs/`), the text inputs decoded by the
    one reader and written as UTF-8 with "\n" line endings, so the chapters, the cache and `verify`
    see one encoding whatever the coordinator's tools wrote. Other files are copied as they are; a
    link to a place outside the project is refused (TextFileError), never followed."""
    outside = links_outside(source, root, lambda p: p.relative_to(source).as_posix())
    if outside:
        raise outside[0]
    dest.mkdir(parents=True, exist_ok=True)
    inputs = {f"{n}.csv" for n in DATASET_BY_NAME} | {f"{n}.meta.csv" for n in DATASET_BY_NAME} | set(TEXT_BY_NAME)
    for path in sorted(source.iterdir()):
        if path.is_dir():
            shutil.copytree(path, dest / path.name)
        elif path.name in inputs and path.name.endswith(".csv"):
            (dest / path.name).write_text(read_csv_text(path, path.name).text, encoding="utf-8", newline="")
        elif path.name in inputs:
            (dest / path.name).write_text(read_text(path, path.name, max_bytes=YAML_MAX_BYTES).text, encoding="utf-8", newline="")
        else:
            shutil.copy2(path, dest / path.name)


def read_not_provided(folder: Path) -> dict[str, str]:
    """Inputs the build did not have: name -> the reason stated in the report."""
    path = folder / NOT_PROVIDED
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


# A chapter's share of the inputs not provided, in the build's key folder (store.KEYS_DIR) while
# chapters run: what the chapter reads, and so what its cache key covers.
CHAPTER_NOT_PROVIDED = "not-provided-{chapter}.json"
LISTS_EVERY_INPUT = "missing_inputs"  # the call (chapter.Chapter.missing_inputs) that shows every input's entry


def write_chapter_not_provided(inputs: Path, keys: Path, chapter: str, code: str) -> Path:
    """Write (and return) the entries of `inputs`/not_provided.json chapter `chapter` shows: those of
    its own inputs (the framework's inputs_of), or every entry when its `code` lists them all. So
    declaring one input not provided executes again only its chapter and the one that lists them."""
    entries = read_not_provided(inputs)
    if LISTS_EVERY_INPUT not in code:
        own = inputs_of([chapter])
        entries = {name: reason for name, reason in entries.items() if name in own}
    path = keys / CHAPTER_NOT_PROVIDED.format(chapter=chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_chapter_not_provided(inputs: Path, keys: Path, chapter: str) -> dict[str, str]:
    """The inputs not provided as chapter `chapter` sees them: its share, written by the build
    (write_chapter_not_provided), or every entry for a chapter run by hand in a build's folder."""
    path = keys / CHAPTER_NOT_PROVIDED.format(chapter=chapter)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else read_not_provided(inputs)
