"""Inputs as people's tools write them: a UTF-16 copy and a Windows-1252 copy (both with Windows line
endings) of every input of the Lancashire 2013-14 example build the same report, byte for byte, as
the UTF-8 original; and the one reader decodes each accepted encoding to the same text."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from conftest import copy_project, run_cli, seed_cache, sha256

from annualreport.inputs.local_schema import DATASET_BY_NAME, TEXT_BY_NAME
from annualreport.inputs.textfile import CP1252, UTF8, UTF8_BOM, UTF16, TextFileError, decode

LOCAL = Path("data/local/lancashire/2013-14")
INPUT_NAMES = {f"{n}.csv" for n in DATASET_BY_NAME} | {f"{n}.meta.csv" for n in DATASET_BY_NAME} | set(TEXT_BY_NAME)


def rewrite_inputs(project: Path, encoding: str, bom: bytes) -> list[Path]:
    """Rewrite every params file and local input the build reads in `encoding`, with CRLF line endings."""
    files = [*sorted((project / "params").rglob("*.yml")),
             *sorted(p for p in (project / LOCAL).iterdir() if p.name in INPUT_NAMES)]
    for path in files:
        text = path.read_text(encoding="utf-8")
        path.write_bytes(bom + text.replace("\n", "\r\n").encode(encoding))
    return files


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", codecs.BOM_UTF16_LE), ("cp1252", b"")],
                         ids=["utf-16", "windows-1252"])
def test_other_encodings_build_the_same_report(encoding: str, bom: bytes, tmp_path: Path, lancashire_build: Path) -> None:
    # With the example's chapter cache: a chapter whose inputs (as the build copies them, normalised)
    # or parameters differ in any byte from the UTF-8 original's is executed again.
    project = seed_cache(copy_project(tmp_path / "project"), lancashire_build)
    files = rewrite_inputs(project, encoding, bom)
    assert len(files) > 25
    if encoding == "cp1252":  # the example's £ signs are single bytes now, and not UTF-8
        assert b"\xa3" in (project / LOCAL / "budget.meta.csv").read_bytes()
    proc = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")
    assert proc.returncode == 0, proc.stderr
    folder = project / "build" / "lancashire" / "2013-14"
    for name in ("report.html", "report.pdf"):
        assert sha256(folder / "public" / name) == sha256(lancashire_build / "public" / name), name
    # The build's copy of the inputs is normalised to UTF-8 with "\n": the same bytes as the original's.
    for name in INPUT_NAMES & {p.name for p in (lancashire_build / "inputs").iterdir()}:
        assert (folder / "inputs" / name).read_bytes() == (lancashire_build / "inputs" / name).read_bytes(), name


@pytest.mark.parametrize(("data", "encoding"), [
    ("£5, café\r\n".encode("utf-8"), UTF8),
    (codecs.BOM_UTF8 + "£5, café\r\n".encode("utf-8"), UTF8_BOM),
    (codecs.BOM_UTF16_LE + "£5, café\r\n".encode("utf-16-le"), UTF16),
    (codecs.BOM_UTF16_BE + "£5, café\r\n".encode("utf-16-be"), UTF16),
    ("£5, café\r\n".encode("cp1252"), CP1252),
    ("£5, café\r".encode("latin-1"), CP1252),  # Latin-1 reads as Windows-1252; an old Mac's lone CR too
])
def test_each_accepted_encoding_decodes_to_the_same_text(data: bytes, encoding: str) -> None:
    file = decode(data, "x.csv")
    assert (file.text, file.encoding) == ("£5, café\n", encoding)


@pytest.mark.parametrize(("data", "kind"), [
    (b"a,b\n\x00\x01", "not a text file"),
    ("a,b\n".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
    ("a,b\n".encode("utf-16-be"), "UTF-16 without a byte-order mark"),
    (b"a,\x8d\n", "cannot be read as UTF-8, UTF-16 or Windows-1252"),
    (b"a,\x07b\n", "not a text file"),
    (codecs.BOM_UTF8 + b"a\xff", "cannot be read as UTF-8"),
])
def test_what_is_refused_says_what_it_found(data: bytes, kind: str) -> None:
    with pytest.raises(TextFileError) as e:
        decode(data, "x.csv")
    assert e.value.kind == kind and str(e.value).startswith(f"x.csv: {kind}: ")
