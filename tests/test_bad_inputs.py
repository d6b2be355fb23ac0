"""A corpus of bad input: each case breaks one input of the Lancashire 2013-14 example as a person or
their tools would, runs the real CLI (`check`, or `build` against a copy of an already built
project), and asserts the message fragment, the exit code, a time bound, and that nothing was
written: the whole temporary folder holding the project (and the places a `../` or a link would
reach) hashes the same before and after. Accepted cases (other encodings, line endings, a
formula-like cell) must pass.

The table below is the corpus (`python tests/test_bad_inputs.py` prints it from CASES; a test keeps
the two the same). L = data/local/lancashire/2013-14.

<!-- corpus -->
| case | command | exit | message (fragment) |
|---|---|---|---|
| empty-csv | check | 0 | `L/training.csv: empty file: found an empty file` |
| empty-csv-final | check | 1 | `L/training.csv: empty file: found an empty file` |
| header-only-draft | check | 0 | `the input(s) above are not provided yet` |
| header-only-final | check | 1 | `L/training.csv, column 'time_period': no data for the report year: found no rows at all` |
| binary-garbage | check | 1 | `L/training.csv: not a text file: it looks like binary data (NUL bytes)` |
| random-bytes | check | 1 | `L/lado_outcomes.csv: not a text file: it looks like binary data` |
| undecodable-bytes | check | 1 | `L/training.csv: cannot be read as UTF-8, UTF-16 or Windows-1252: byte 0x81 at offset 3` |
| utf32 | check | 1 | `L/training.csv: cannot be read as UTF-8, UTF-16 or Windows-1252: it is UTF-32` |
| utf16-le-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| utf16-be-yaml-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| utf8-bom-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| utf16-without-bom | check | 1 | `L/training.csv: UTF-16 without a byte-order mark` |
| cp1252-pound-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| latin1-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| windows-line-endings-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| extra-column | check | 1 | `L/training.csv, row 1, column 'notes': unknown column` |
| missing-column | check | 1 | `L/training.csv, row 1, column 'places': missing column` |
| misspelt-column | check | 1 | `L/training.csv, row 1, column 'atendees': misspelt column` |
| misspelt-column-cp1252 | check | 1 | `column 'atendees' (read as Windows-1252)` |
| formula-cell-accepted | check | 0 | `all inputs of lancashire 2013-14 are valid` |
| million-rows | check | 1 | `L/training.csv: too large: ` |
| million-short-rows | check | 1 | `L/training.csv: too large: 1,000,001 rows; the limit is 100,000 rows` |
| yaml-too-large | check | 1 | `L/partner_updates.yml: too large: 2.0 MB; the limit for this kind of file is 1.0 MB` |
| yaml-tabs | check | 1 | `L/partner_updates.yml, line 8: not valid YAML: found character '\\t' that cannot start any token; YAML indents with spaces, never tabs` |
| yaml-list | check | 1 | `L/priorities.yml: wrong shape: expected a mapping with an 'items:' list at the top level, found a list` |
| yaml-alias-bomb | check | 1 | `L/partner_updates.yml, line 2: YAML alias: anchors and aliases (&name, *name) are not allowed` |
| yaml-deep-nesting | check | 1 | `L/partner_updates.yml, line 1: YAML nested too deeply` |
| yaml-missing-key | check | 1 | `L/challenge_log.yml, line 9, column 'items[1].response': missing key` |
| yaml-empty-final | check | 1 | `L/partner_updates.yml, column 'items': no items: found no items` |
| yaml-placeholder-final | check | 1 | `L/challenge_log.yml, column 'items': no items: found only the template's example` |
| yaml-empty-declared-final | check | 0 | `not provided (declared in params): partner_updates.yml` |
| yaml-python-tag | check | 1 | `L/partner_updates.yml, line 2: not valid YAML: could not determine a constructor for the tag` |
| wrong-type | check | 1 | `L/lado_timescales.csv, row 3, column 'allegations': wrong type: found 'forty-seven'` |
| negative-count | check | 1 | `L/cse_referrals.csv, row 2, column 'referrals': negative count: found -260` |
| two-broken-files | check | 1 | `L/priorities.yml, line 2: YAML alias` |
| meta-missing | check | 1 | `L/training.meta.csv: missing file: found no file` |
| partnership-dotdot | check | 2 | `--partnership ../lancashire: invalid parameters` |
| partnership-absolute | check | 2 | `not a valid partnership id, found '/etc/passwd'` |
| year-dotdot | check | 2 | `--year ../2013-14: invalid parameters` |
| chapter-dotdot | check | 2 | `key 'chapters' (line 4): not a valid chapter name, found '../../outside/evil'` |
| symlink-in-inputs | check | 1 | `L/training.csv: outside the project: a symbolic link to` |
| symlink-any-file | check | 1 | `L/README.md: outside the project: a symbolic link to` |
| local-folder-is-a-link | check | 1 | `data/local/lancashire/2013-14: outside the project: a symbolic link to` |
| symlink-params | check | 2 | `params/lancashire.yml: invalid parameters` |
| params-binary | check | 2 | `params/lancashire/2013-14.yml: invalid parameters` |
| params-alias-bomb | check | 2 | `line 2: YAML alias: anchors and aliases` |
| params-deep-nesting | check | 2 | `params/lancashire.yml: invalid parameters` |
| template-into-linked-folder | template | 2 | `data/local/lancashire/2017-18: outside the project: in a folder that is a symbolic link to` |
| params-unknown-key | check | 2 | `key 'histroy_years' (line 23): unknown key` |
| params-empty | check | 2 | `expected a mapping of keys to values at the top level, found an empty file` |
| params-list | check | 2 | `expected a mapping of keys to values at the top level, found a list` |
| build-symlink-in-inputs | build | 1 | `L/training.csv: outside the project: a symbolic link to` |
| build-alias-bomb | build | 1 | `L/partner_updates.yml, line 2: YAML alias` |
| build-params-binary | build | 1 | `params/lancashire/2013-14.yml: invalid parameters` |
| build-partnership-dotdot | build | 2 | `--partnership ../lancashire: invalid parameters` |
| build-year-all-partnership-absolute | build | 2 | `not a valid partnership id, found '/tmp'` |
| build-empty-yaml-final | build | 1 | `L/audit_findings.yml, column 'items': no items: found no items` |
| build-header-only-final | build | 1 | `L/training.csv, column 'time_period': no data for the report year` |
| build-million-rows | build | 1 | `L/training.csv: too large: ` |
<!-- /corpus -->
"""

from __future__ import annotations

import codecs
import hashlib
import os
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cli_fork
import pytest
from conftest import copy_built, copy_project

from annualreport.inputs.textfile import TextFileError, read_csv_text
from annualreport.inputs.yamlfile import read_yaml

LOCAL = "data/local/lancashire/2013-14"
YEAR_FILE = "params/lancashire/2013-14.yml"
VALID = "all inputs of lancashire 2013-14 are valid"
# A "billion laughs": nine levels of nine aliases, 9**9 strings once expanded (a few hundred bytes here).
ALIAS_BOMB = "# a billion laughs\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)) + "items: [*a8]\n"


# A bound on a whole CLI run on a pathological file, on a shared, loaded machine (the CLI itself takes
# 1 to 3 s to start and check the national files); the reader's own refusal is timed against 5 s
# in-process by test_pathological_files_are_refused_within_5_seconds.
PATHOLOGICAL = 15


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path], None]  # breaks the project copy (its argument is the project folder)
    message: str  # a fragment the output must hold; "L/" stands for the local folder
    exit: int
    command: str = "check"
    partnership: str = "lancashire"
    year: str = "2013-14"
    seconds: float = 30.0  # the time bound of the command
    max_rss_mb: int | None = None  # a bound on the command's memory

    @property
    def fragment(self) -> str:
        return self.message.replace("L/", LOCAL + "/")


# -- ways of breaking a project ------------------------------------------------------------
def local(project: Path, name: str) -> Path:
    return project / LOCAL / name


def write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        path = project / (name if "/" in name else f"{LOCAL}/{name}")
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return setup


def reencode(name: str, encoding: str, bom: bytes = b"", newline: str = "\n",
             edit: Callable[[str], str] = lambda t: t) -> Callable[[Path], None]:
    """Rewrite a file in another encoding (with a BOM, other line endings, after an edit)."""
    def setup(project: Path) -> None:
        path = project / (name if "/" in name else f"{LOCAL}/{name}")
        text = edit(path.read_text(encoding="utf-8")).replace("\n", newline)
        path.write_bytes(bom + text.encode(encoding))
    return setup


def edit(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    return reencode(name, "utf-8", edit=change)


def final(project: Path) -> None:
    path = project / YEAR_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("status: draft", "status: final"), encoding="utf-8")


def both(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        for s in setups:
            s(project)
    return setup


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def change(text: str) -> str:
        lines = text.split("\n")
        header = lines[0].split(",")
        cells = lines[row - 1].split(",")
        cells[header.index(column)] = value
        lines[row - 1] = ",".join(cells)
        return "\n".join(lines)
    return edit(name, change)


def header_only(name: str) -> Callable[[Path], None]:
    return edit(name, lambda t: t.split("\n", 1)[0] + "\n")


def million_rows(project: Path) -> None:
    path = local(project, "training.csv")
    header, first = path.read_text(encoding="utf-8").split("\n")[:2]
    with path.open("w", encoding="utf-8") as f:
        f.write(header + "\n")
        f.writelines([first + "\n"] * 1_000_000)


def link_outside(name: str) -> Callable[[Path], None]:
    """Replace a file with a link to a copy of it outside the project (in the test's temporary folder)."""
    def setup(project: Path) -> None:
        path = project / (name if "/" in name else f"{LOCAL}/{name}")
        outside = project.parent / "outside" / path.name
        outside.parent.mkdir(exist_ok=True)
        shutil.copy(path, outside)
        path.unlink()
        path.symlink_to(outside)
    return setup


def link_folder_outside(project: Path) -> None:
    """Move the local inputs outside the project and leave a link to them in their place."""
    folder = project / LOCAL
    outside = project.parent / "outside" / folder.name
    outside.parent.mkdir(exist_ok=True)
    shutil.move(folder, outside)
    folder.symlink_to(outside, target_is_directory=True)


def link_partnership_folder_outside(project: Path) -> None:
    """data/local/lancashire is a link to a folder outside the project."""
    folder = project / LOCAL
    outside = project.parent / "outside" / "lancashire"
    outside.parent.mkdir(exist_ok=True)
    shutil.move(folder.parent, outside)
    folder.parent.symlink_to(outside, target_is_directory=True)


def add_chapter(name: str) -> Callable[[Path], None]:
    return edit(YEAR_FILE, lambda t: t.replace("  - summary\n", f"  - summary\n  - {name}\n"))


def declare_not_provided(name: str, reason: str) -> Callable[[Path], None]:
    return edit(YEAR_FILE, lambda t: t.replace("not_provided:\n", f"not_provided:\n  {name}: {reason}\n"))


TEMPLATE_CHALLENGE = "items:\n  - raised_with: Health\n    issue: Attendance at child protection conferences\n" \
                     "    response: Named lead appointed\n    status: resolved\n"


CASES = [
    Case("empty-csv", write("training.csv", b""), "L/training.csv: empty file: found an empty file", 0),
    Case("empty-csv-final", both(final, write("training.csv", b"")), "L/training.csv: empty file: found an empty file", 1),
    Case("header-only-draft", header_only("training.csv"), "the input(s) above are not provided yet", 0),
    Case("header-only-final", both(final, header_only("training.csv")),
         "L/training.csv, column 'time_period': no data for the report year: found no rows at all", 1),
    Case("binary-garbage", write("training.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 64),
         "L/training.csv: not a text file: it looks like binary data (NUL bytes)", 1),
    Case("random-bytes", write("lado_outcomes.csv", random.Random(14).randbytes(100_000)),
         "L/lado_outcomes.csv: not a text file: it looks like binary data", 1, seconds=PATHOLOGICAL),
    Case("undecodable-bytes", write("training.csv", b"tim\x81e_period\n"),
         "L/training.csv: cannot be read as UTF-8, UTF-16 or Windows-1252: byte 0x81 at offset 3", 1),
    Case("utf32", reencode("training.csv", "utf-32-le", codecs.BOM_UTF32_LE),
         "L/training.csv: cannot be read as UTF-8, UTF-16 or Windows-1252: it is UTF-32", 1),
    Case("utf16-le-accepted", reencode("training.csv", "utf-16-le", codecs.BOM_UTF16_LE, "\r\n"), VALID, 0),
    Case("utf16-be-yaml-accepted", reencode("partner_updates.yml", "utf-16-be", codecs.BOM_UTF16_BE), VALID, 0),
    Case("utf8-bom-accepted", reencode("budget.meta.csv", "utf-8", codecs.BOM_UTF8, "\r\n"), VALID, 0),
    Case("utf16-without-bom", reencode("training.csv", "utf-16-le"), "L/training.csv: UTF-16 without a byte-order mark", 1),
    Case("cp1252-pound-accepted", both(reencode("budget.meta.csv", "cp1252", newline="\r\n"),
                                       reencode("budget.csv", "cp1252", edit=lambda t: t.replace("Central Lancs", "Central Lancs (£)"))),
         VALID, 0),
    Case("latin1-accepted", reencode("priorities.yml", "latin-1", edit=lambda t: t.replace("Young Inspectors", "Young Inspectors (café)")),
         VALID, 0),
    Case("windows-line-endings-accepted", both(reencode("training.csv", "utf-8", newline="\r\n"),
                                               reencode("challenge_log.yml", "utf-8", newline="\r\n")), VALID, 0),
    Case("extra-column", edit("training.csv", lambda t: t.replace("\n", ",\n").replace("rated_good_percent,\n", "rated_good_percent,notes\n", 1)),
         "L/training.csv, row 1, column 'notes': unknown column", 1),
    Case("missing-column", edit("training.csv", lambda t: "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 7)
                                                                     for line in t.split("\n"))),
         "L/training.csv, row 1, column 'places': missing column", 1),
    Case("misspelt-column", edit("training.csv", lambda t: t.replace("attendees", "atendees", 1)),
         "L/training.csv, row 1, column 'atendees': misspelt column", 1),
    Case("misspelt-column-cp1252", reencode("training.csv", "cp1252", edit=lambda t: t.replace("attendees", "atendees", 1) + "201314,Financial year,Partnership,,,Café £,x,x,x,x,x,x\n"),
         "column 'atendees' (read as Windows-1252)", 1),
    Case("formula-cell-accepted", both(set_cell("board_attendance.csv", 2, "agency", "=cmd|' /C calc'!A0"),
                                       edit("challenge_log.yml", lambda t: re.sub(r"raised_with: [^\n]*", "raised_with: \"=cmd|' /C calc'!A0\"", t, count=1))),
         VALID, 0),
    Case("million-rows", million_rows, "L/training.csv: too large: ", 1, seconds=PATHOLOGICAL, max_rss_mb=400),
    Case("million-short-rows", write("training.csv", "x\n" * 1_000_001), "L/training.csv: too large: 1,000,001 rows; the limit is 100,000 rows",
         1, seconds=PATHOLOGICAL, max_rss_mb=400),
    Case("yaml-too-large", write("partner_updates.yml", "items:\n" + "#" * (2 * 1024 * 1024)),
         "L/partner_updates.yml: too large: 2.0 MB; the limit for this kind of file is 1.0 MB", 1, seconds=PATHOLOGICAL),
    Case("yaml-tabs", edit("partner_updates.yml", lambda t: t.replace("\n  - partner:", "\n\t- partner:", 1)),
         "L/partner_updates.yml, line 8: not valid YAML: found character '\\t' that cannot start any token; YAML indents with spaces, never tabs", 1),
    Case("yaml-list", write("priorities.yml", "- priority: Keep children safe\n  year: 2013-14\n"),
         "L/priorities.yml: wrong shape: expected a mapping with an 'items:' list at the top level, found a list", 1),
    Case("yaml-alias-bomb", write("partner_updates.yml", ALIAS_BOMB),
         "L/partner_updates.yml, line 2: YAML alias: anchors and aliases (&name, *name) are not allowed", 1, seconds=PATHOLOGICAL),
    Case("yaml-deep-nesting", write("partner_updates.yml", "items: " + "[" * 50_000 + "]" * 50_000 + "\n"),
         "L/partner_updates.yml, line 1: YAML nested too deeply", 1, seconds=PATHOLOGICAL),
    Case("yaml-missing-key", edit("challenge_log.yml", lambda t: re.sub(r"\n    response: [^\n]*", "", t, count=1)),
         "L/challenge_log.yml, line 9, column 'items[1].response': missing key", 1),
    Case("yaml-empty-final", both(final, write("partner_updates.yml", "# Partner updates\nitems: []\n")),
         "L/partner_updates.yml, column 'items': no items: found no items", 1),
    Case("yaml-placeholder-final", both(final, write("challenge_log.yml", TEMPLATE_CHALLENGE)),
         "L/challenge_log.yml, column 'items': no items: found only the template's example", 1),
    Case("yaml-empty-declared-final", both(final, write("partner_updates.yml", ""), declare_not_provided("partner_updates.yml", "none came in")),
         "not provided (declared in params): partner_updates.yml", 0),
    Case("yaml-python-tag", write("partner_updates.yml", "items:\n  - partner: !!python/object/apply:os.system [\"touch ../../../../../pwned\"]\n    update: x\n"),
         "L/partner_updates.yml, line 2: not valid YAML: could not determine a constructor for the tag", 1),
    Case("wrong-type", set_cell("lado_timescales.csv", 3, "allegations", "forty-seven"),
         "L/lado_timescales.csv, row 3, column 'allegations': wrong type: found 'forty-seven'", 1),
    Case("negative-count", set_cell("cse_referrals.csv", 2, "referrals", "-260"),
         "L/cse_referrals.csv, row 2, column 'referrals': negative count: found -260", 1),
    Case("two-broken-files", both(write("training.csv", b"\x00\x01\x02"), write("priorities.yml", ALIAS_BOMB)),
         "L/priorities.yml, line 2: YAML alias", 1),
    Case("meta-missing", lambda p: local(p, "training.meta.csv").unlink(), "L/training.meta.csv: missing file: found no file", 1),
    Case("partnership-dotdot", lambda p: None, "--partnership ../lancashire: invalid parameters", 2, partnership="../lancashire"),
    Case("partnership-absolute", lambda p: None, "not a valid partnership id, found '/etc/passwd'", 2, partnership="/etc/passwd"),
    Case("year-dotdot", lambda p: None, "--year ../2013-14: invalid parameters", 2, year="../2013-14"),
    Case("chapter-dotdot", add_chapter("../../outside/evil"),
         "key 'chapters' (line 4): not a valid chapter name, found '../../outside/evil'", 2),
    Case("symlink-in-inputs", link_outside("training.csv"), "L/training.csv: outside the project: a symbolic link to", 1),
    Case("symlink-any-file", link_outside("README.md"), "L/README.md: outside the project: a symbolic link to", 1),
    Case("local-folder-is-a-link", link_folder_outside, "data/local/lancashire/2013-14: outside the project: a symbolic link to", 1),
    Case("symlink-params", link_outside("params/lancashire.yml"), "params/lancashire.yml: invalid parameters", 2),
    Case("params-binary", write(YEAR_FILE, random.Random(13).randbytes(2000)), "params/lancashire/2013-14.yml: invalid parameters", 2),
    Case("params-alias-bomb", write(YEAR_FILE, ALIAS_BOMB), "line 2: YAML alias: anchors and aliases", 2, seconds=PATHOLOGICAL),
    Case("params-deep-nesting", write("params/lancashire.yml", "name: " + "{a: " * 50_000 + "}" * 50_000 + "\n"),
         "params/lancashire.yml: invalid parameters", 2, seconds=PATHOLOGICAL),
    Case("template-into-linked-folder", link_partnership_folder_outside, "data/local/lancashire/2017-18: outside the project: "
         "in a folder that is a symbolic link to", 2, "template", year="2017-18"),
    Case("params-unknown-key", edit(YEAR_FILE, lambda t: t.replace("history_years:", "histroy_years:")),
         "key 'histroy_years' (line 23): unknown key", 2),
    Case("params-empty", write(YEAR_FILE, ""), "expected a mapping of keys to values at the top level, found an empty file", 2),
    Case("params-list", write(YEAR_FILE, "- year: 2013-14\n"), "expected a mapping of keys to values at the top level, found a list", 2),
    # Builds, against a copy of a project whose report was built: nothing is built, the report is untouched.
    Case("build-symlink-in-inputs", link_outside("training.csv"), "L/training.csv: outside the project: a symbolic link to", 1, "build"),
    Case("build-alias-bomb", write("partner_updates.yml", ALIAS_BOMB), "L/partner_updates.yml, line 2: YAML alias", 1, "build", seconds=15),
    Case("build-params-binary", write(YEAR_FILE, random.Random(13).randbytes(2000)), "params/lancashire/2013-14.yml: invalid parameters", 1, "build"),
    Case("build-partnership-dotdot", lambda p: None, "--partnership ../lancashire: invalid parameters", 2, "build", partnership="../lancashire"),
    Case("build-year-all-partnership-absolute", lambda p: None, "not a valid partnership id, found '/tmp'", 2, "build",
         partnership="/tmp", year="all"),
    Case("build-empty-yaml-final", both(final, write("audit_findings.yml", "items:\n")),
         "L/audit_findings.yml, column 'items': no items: found no items", 1, "build"),
    Case("build-header-only-final", both(final, header_only("training.csv")),
         "L/training.csv, column 'time_period': no data for the report year", 1, "build"),
    Case("build-million-rows", million_rows, "L/training.csv: too large: ", 1, "build", seconds=15, max_rss_mb=400),
]

# The supporting details the checks also give for some cases (asserted beside the main fragment).
MORE = {
    "params-deep-nesting": "line 1: YAML nested too deeply",
    "params-alias-bomb": "params/lancashire/2013-14.yml: invalid parameters",
    "symlink-params": "outside the project: a symbolic link to",
    "params-binary": "not a text file: it looks like binary data",
    "build-params-binary": "not a text file: it looks like binary data",
    "two-broken-files": f"{LOCAL}/training.csv: not a text file",
    "partnership-dotdot": "not a valid partnership id, found '../lancashire'",
    "empty-csv-final": "1 problem(s) in 1 file(s)",
    "yaml-empty-declared-final": VALID,
    "build-empty-yaml-final": "a final report needs every input present and valid; nothing was built",
}


def table() -> str:
    rows = [f"| {c.name} | {c.command} | {c.exit} | `{c.message}` |" for c in CASES]
    return "\n".join(["| case | command | exit | message (fragment) |", "|---|---|---|---|", *rows])


# -- running and proving nothing was written -----------------------------------------------
@dataclass
class Run:
    code: int
    out: str
    seconds: float
    max_rss_mb: float


def run(project: Path, case: Case) -> Run:
    """Run the CLI as a user would; measure wall time and the peak memory of that process alone
    (a child of the test process's command server: cli_fork.py)."""
    args = [case.command, "-p", case.partnership, "-y", case.year, "--project", str(project)]
    result = cli_fork.run(args, project, merge=True)
    return Run(result.returncode, result.stdout, result.seconds, result.max_rss_mb)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and link under folder (links not followed): path -> content hash or link target."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[rel] = "dir"
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if case.command == "build":
        # a copy of the shared example build: its report is the "previous report"
        project = copy_built(request.getfixturevalue("lancashire_build"), tmp_path / "project")
    else:
        project = copy_project(tmp_path / "project")
    case.setup(project)
    before = snapshot(tmp_path)
    result = run(project, case)
    assert result.code == case.exit, result.out
    assert case.fragment in result.out, result.out
    if case.name in MORE:
        assert MORE[case.name] in result.out, result.out
    assert "Traceback" not in result.out, result.out
    assert result.seconds < case.seconds, f"{case.name} took {result.seconds:.1f} s"
    if case.max_rss_mb:
        assert result.max_rss_mb < case.max_rss_mb, f"{case.name} used {result.max_rss_mb:.0f} MB"
    if case.exit != 0:
        # Nothing written anywhere in the test's folder: not in the project, not beside it, and for a
        # build, the previous report and the cache are as they were and no folder was added.
        assert snapshot(tmp_path) == before
    elif case.command == "check":
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize("case", [c for c in CASES if c.seconds == PATHOLOGICAL and c.command == "check"], ids=lambda c: c.name)
def test_pathological_files_are_refused_within_5_seconds(case: Case, tmp_path: Path) -> None:
    """The reader refuses each pathological file (one TextFileError naming it) within 5 seconds."""
    project = copy_project(tmp_path / "project")
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "data/national" not in str(p)
              and "data/reference" not in str(p)}
    case.setup(project)
    changed = [p for p in project.rglob("*") if p.is_file() and p in before and p.read_bytes() != before[p]]
    assert len(changed) == 1
    path = changed[0]
    start = time.monotonic()
    with pytest.raises(TextFileError) as e:
        if path.suffix == ".csv":
            read_csv_text(path, path.name, root=project)
        else:
            read_yaml(path, path.name, root=project)
    assert time.monotonic() - start < 5
    assert str(e.value).startswith(path.name)


def test_the_docstring_table_is_the_corpus() -> None:
    doc = __doc__ or ""
    assert doc.split("<!-- corpus -->\n")[1].split("\n<!-- /corpus -->")[0] == table()


def test_corpus_covers_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30 and len({c.name for c in CASES}) == len(CASES)


if __name__ == "__main__":
    print(table())
