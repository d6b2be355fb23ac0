"""The one reader of every input text file: local CSVs and their .meta.csv, the YAML text inputs,
params and narrative files.

People's tools write text in several encodings. A file is read as

    UTF-8, with or without a byte-order mark (BOM)
    UTF-16 with a BOM, little- or big-endian (Excel's "Unicode text", Notepad's "Unicode")
    Windows-1252 (Excel's "CSV" on Windows; ISO-8859-1 / Latin-1 text reads the same way), when
    the bytes are not valid UTF-8

and its line endings are normalised to "\\n". Anything else is refused with one message naming the
file and what was found: binary data (NUL bytes or control characters), UTF-16 without a BOM,
UTF-32, or bytes that none of the three encodings can read. A file larger than its limit is refused
before it is read, so a huge file costs neither time nor memory; a file that resolves to a place
outside the project (a symbolic link pointing elsewhere) is refused before it is opened.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from annualreport.errors import InputError

MB = 1024 * 1024
CSV_MAX_BYTES = 10 * MB  # a local CSV or its .meta.csv
CSV_MAX_ROWS = 100_000  # rows of a local CSV, header included
YAML_MAX_BYTES = 1 * MB  # a YAML text input or params file, and a narrative file

UTF8, UTF8_BOM, UTF16, CP1252 = "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252"

# C0 control characters other than tab, line feed, vertical tab, form feed and carriage return,
# and DEL: text editors and spreadsheets never write them; binary data is full of them.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class TextFileError(InputError):
    """An input file that cannot be read: `label` names it, `line` (1-based) where when known, `kind`
    says what is wrong in a few words ("not a text file", "too large") and `detail` what was found."""

    def __init__(self, label: str, kind: str, detail: str, line: int | None = None):
        super().__init__(f"{label}{f', line {line}' if line else ''}: {kind}: {detail}", kind=kind)
        self.label = label
        self.detail = detail
        self.line = line


@dataclass(frozen=True)
class TextFile:
    """A decoded input file: its text (lines end with "\\n", no BOM) and the encoding it was read as."""

    label: str
    text: str
    encoding: str

    @property
    def read_as(self) -> str:
        """' (read as Windows-1252)' for a file that was not UTF-8, for messages where the encoding matters."""
        return "" if self.encoding in (UTF8, UTF8_BOM) else f" (read as {self.encoding})"


def size_words(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n:,} bytes"


def check_inside(path: Path, root: Path, label: str) -> None:
    """Refuse a path that resolves outside `root` (a symbolic link, or a folder link, pointing elsewhere)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as e:  # a link loop
        raise TextFileError(label, "outside the project", f"a link that cannot be followed ({e.__class__.__name__})") from None
    if not resolved.is_relative_to(root.resolve()):
        what = "a symbolic link" if path.is_symlink() else "in a folder that is a symbolic link"
        raise TextFileError(label, "outside the project", f"{what} to {resolved}; inputs must be files inside "
                                                          "the project (copy the file in instead of linking to it)")


def links_outside(folder: Path, root: Path, label: Callable[[Path], str]) -> list[TextFileError]:
    """Every entry under `folder` (at any depth, links not followed) that resolves outside `root`."""
    faults = []
    for path in sorted(folder.rglob("*")):
        try:
            check_inside(path, root, label(path))
        except TextFileError as e:
            faults.append(e)
    return faults


def decode(data: bytes, label: str) -> TextFile:
    """Decode the bytes of a text file (see the module docstring), or raise TextFileError naming `label`."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise TextFileError(label, "cannot be read as UTF-8, UTF-16 or Windows-1252",
                            "it is UTF-32 (by its byte-order mark); save it as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), UTF16
        except UnicodeDecodeError as e:
            raise TextFileError(label, "cannot be read as UTF-16", f"it starts with a UTF-16 byte-order mark but "
                                                                   f"has {e.reason} at byte {e.start}") from None
    elif data.startswith(codecs.BOM_UTF8):
        text, encoding = _utf8_or_fail(data[len(codecs.BOM_UTF8):], label), UTF8_BOM
    elif b"\x00" in data:
        raise TextFileError(label, *_nul_bytes(data))
    else:
        try:
            text, encoding = data.decode("utf-8"), UTF8
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("cp1252"), CP1252
            except UnicodeDecodeError as e:
                raise TextFileError(label, "cannot be read as UTF-8, UTF-16 or Windows-1252",
                                    f"byte 0x{data[e.start]:02X} at offset {e.start}; save it as UTF-8") from None
    control = _CONTROL.search(text)
    if control:
        raise TextFileError(label, "not a text file", f"it looks like binary data (control character "
                                                      f"{ord(control.group()):#04x} in text read as {encoding})")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return TextFile(label, text, encoding)


def _utf8_or_fail(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TextFileError(label, "cannot be read as UTF-8", f"it starts with a UTF-8 byte-order mark but has "
                                                              f"byte 0x{data[e.start]:02X} at offset {e.start + 3}") from None


def _nul_bytes(data: bytes) -> tuple[str, str]:
    """What a file with NUL bytes and no BOM most likely is: UTF-16 without a BOM, or binary data."""
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4 and (even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)) \
            and (even.count(0) < 0.1 * len(even) or odd.count(0) < 0.1 * len(odd)):
        return ("UTF-16 without a byte-order mark", "it cannot be told apart from binary data; save it as UTF-8, "
                "or as UTF-16 with a byte-order mark (BOM), as Excel's \"Unicode Text\" does")
    return "not a text file", "it looks like binary data (NUL bytes)"


def read_text(path: Path, label: str, *, max_bytes: int, root: Path | None = None) -> TextFile:
    """Read and decode an input file, refusing it (TextFileError naming `label`) when it lies outside
    `root`, is larger than `max_bytes` (checked before reading), or is not text."""
    if root is not None:
        check_inside(path, root, label)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TextFileError(label, "too large", f"{size_words(size)}; the limit for this kind of file is "
                                                    f"{size_words(max_bytes)}")
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # a file growing while read is still bounded
    except OSError as e:
        raise TextFileError(label, "cannot be read", str(e.strerror or e)) from None
    if len(data) > max_bytes:
        raise TextFileError(label, "too large", f"over {size_words(max_bytes)}, the limit for this kind of file")
    return decode(data, label)


def read_csv_text(path: Path, label: str, root: Path | None = None) -> TextFile:
    """A local CSV (or .meta.csv): read_text with the CSV limits of size and rows."""
    file = read_text(path, label, max_bytes=CSV_MAX_BYTES, root=root)
    rows = file.text.count("\n") + (0 if file.text.endswith("\n") or not file.text else 1)
    if rows > CSV_MAX_ROWS:
        raise TextFileError(label, "too large", f"{rows:,} rows; the limit is {CSV_MAX_ROWS:,} rows")
    return file
