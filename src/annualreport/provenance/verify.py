"""`annualreport verify <manifest.json>`: re-run a recorded build and compare every output.

The report is rebuilt in a temporary folder from the project's current params and inputs, with
the cache off, and each output's SHA-256 is compared with the manifest's. When they all match
the answer is "identical" (exit 0). Otherwise (exit 1) the differences are explained, grouped by cause:

- inputs: a file whose hash changed since the build, with the figures that moved (old and new
  values, from the store and from the local inputs the build kept);
- code: the git commit or this library's code differs from the recorded one;
- environment: the lock file changed, or installed packages differ from it;
- determinism: outputs differ although inputs, code and environment are the same (a bug), with
  the first differing bytes or notebook cell.

When the report cannot be rebuilt at all (exit 2: the manifest is missing, or the current inputs no
longer pass their checks), NotRebuilt says why, listing each problem and what changed since the build.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from annualreport.build import build_report
from annualreport.execution.cache import code_digest, sha256_file
from annualreport.errors import AnnualReportError
from annualreport.chapters.fmt import format_value, period_label
from annualreport.inputs.local_data import INPUTS
from annualreport.inputs.local_schema import DATASET_BY_NAME, STANDARD_COLUMNS
from annualreport.execution.progress import Progress
from annualreport.project import Project, find_project
from annualreport.provenance.manifest import environment, environment_drift
from annualreport.provenance.vcs import head_commit
from annualreport.store import STORE_CSV, STORE_META


EXIT_IDENTICAL, EXIT_DIFFERENT, EXIT_NOT_REBUILT = 0, 1, 2


class NotRebuilt(AnnualReportError):
    """The report could not be rebuilt (exit 2): why, and what changed since the build."""

    def __init__(self, cause: AnnualReportError, changes: list[str]):
        self.cause = cause
        self.changes = changes
        since = ("\nchanged since the build:\n" + "\n".join(f"  {line}" for line in changes)) if changes else ""
        super().__init__(f"{cause}{since}")


@dataclass
class Verdict:
    identical: bool
    inputs: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    environment: list[str] = field(default_factory=list)
    determinism: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # outputs that differ

    def lines(self) -> list[str]:
        if self.identical:
            out = ["identical: every output matches the manifest"]
            if self.inputs:
                out += ["(inputs changed without changing any output:)", *(f"  {line}" for line in self.inputs)]
            return out
        out = [f"different: {len(self.outputs)} output(s) differ from the manifest: {', '.join(self.outputs[:8])}"
               + (" ..." if len(self.outputs) > 8 else "")]
        for title, group in (("inputs changed since the build", self.inputs), ("code changed", self.code),
                             ("environment differs from the lock", self.environment),
                             ("outputs differ with identical inputs, code and environment (a determinism bug)", self.determinism)):
            if group:
                out += [f"{title}:", *(f"  {line}" for line in group)]
        return out


def copy_project(project: Project, dest: Path, partnership: str, year: str) -> Project:
    """A copy of the project holding what one partnership-year is built from (params, notebooks,
    national and reference data, that year's local inputs), so a rebuild touches nothing of the original."""
    (dest / "data" / "local").mkdir(parents=True)
    for folder in ("params", "notebooks"):
        shutil.copytree(project.root / folder, dest / folder)
    for folder in ("national", "reference"):
        shutil.copytree(project.root / "data" / folder, dest / "data" / folder)
    local = project.root / "data" / "local" / partnership / year
    if local.is_dir():
        shutil.copytree(local, dest / "data" / "local" / partnership / year)
    return Project(dest)


def _shown(value: float, state: object, info: dict) -> str:
    return format_value(None if pd.isna(value) else float(value), info["unit"], info["decimals"], str(state))


def _store_changes(old: Path, new: Path, limit: int = 20) -> list[str]:
    """Figures that moved between two stores: 'referrals, Lancashire (partnership), 2013-14: 19,460 -> 19,461'."""
    if not (old / STORE_CSV).is_file():
        return ["(the original store.csv is gone, so the figures that moved cannot be listed)"]
    indicators = json.loads((new / STORE_META).read_text())["indicators"]
    key = ["indicator", "area_type", "area_code", "time_period"]
    a = pd.read_csv(old / STORE_CSV, dtype={"area_code": str}, keep_default_na=False, na_values={"value": [""]})
    b = pd.read_csv(new / STORE_CSV, dtype={"area_code": str}, keep_default_na=False, na_values={"value": [""]})
    both = a.merge(b, on=key, how="outer", suffixes=("_old", "_new"))
    moved = both[(both.value_old.fillna(-1e300) != both.value_new.fillna(-1e300)) | (both.state_old != both.state_new)]
    lines = []
    for row in moved.itertuples():
        info = indicators.get(row.indicator, {"unit": "count", "decimals": 0})
        name = row.area_name_new if isinstance(row.area_name_new, str) else row.area_name_old
        lines.append(f"indicator {row.indicator}, {name} ({row.area_type}), {period_label(int(row.time_period))}: "
                     f"{_shown(row.value_old, row.state_old, info)} -> {_shown(row.value_new, row.state_new, info)}")
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def _row_name(row: dict[str, str], filters: tuple[str, ...]) -> str:
    """What a row of a local input is about: 'Partnership, Total, 2013-14 Part 1'."""
    area = row.get("la_name") if row.get("geographic_level") == "Local authority" else "Partnership"
    period = row.get("time_period", "")
    if len(period) == 6 and period.isdigit():
        period = f"{period[:4]}-{period[4:]}"
    part = row.get("time_identifier", "")
    when = period + (f" {part.split(' (')[0]}" if part and part != "Financial year" else "")
    return ", ".join(v for v in [area or "", *(row.get(f, "") for f in filters), when] if v)


def _keyed_changes(before: list[list[str]], after: list[list[str]], label: str, key: tuple[str, ...],
                   filters: tuple[str, ...]) -> list[str] | None:
    """Cells that changed, each named by its row's key columns; None when the files lack them."""
    if not before or not after or not set(key) <= set(before[0]) or not set(key) <= set(after[0]):
        return None
    def keyed(rows: list[list[str]]) -> dict[tuple[str, ...], dict[str, str]]:
        out = {}
        for cells in rows[1:]:
            row = dict(zip(rows[0], cells))
            out[tuple(row.get(k, "") for k in key)] = row
        return out
    old, new = keyed(before), keyed(after)
    columns = [c for c in dict.fromkeys([*before[0], *after[0]]) if c not in key]
    lines = []
    for k in dict.fromkeys([*old, *new]):
        if k not in new:
            lines.append(f"{label}, {_row_name(old[k], filters)}: row removed")
        elif k not in old:
            lines.append(f"{label}, {_row_name(new[k], filters)}: row added")
        else:
            lines += [f"{label}, {_row_name(new[k], filters)}, column '{c}': {old[k].get(c, '')!r} -> {new[k].get(c, '')!r}"
                      for c in columns if old[k].get(c, "") != new[k].get(c, "")]
    return lines


def _csv_changes(old: Path, new: Path, label: str, limit: int = 10) -> list[str]:
    """Cells that differ between the local input the build kept and the current file, named by the
    dataset's standard and filter columns ('cse_referrals.csv, Partnership, Total, 2013-14 Part 1,
    column 'referrals': '12' -> '13''), or by row number for a file that is not a known dataset."""
    if not old.is_file():
        return [f"{label}: not in the original build"]
    if not new.is_file():
        return [f"{label}: removed since the build"]
    if old.suffix != ".csv":
        return [f"{label}: text changed"]
    try:
        before, after = _read_rows(old), _read_rows(new)
    except (UnicodeDecodeError, csv.Error) as e:
        return [f"{label}: can no longer be read as UTF-8 CSV ({e})"]
    dataset = DATASET_BY_NAME.get(new.name.removesuffix(".csv"))
    filters = tuple(f.name for f in dataset.filters) if dataset else ()
    lines = _keyed_changes(before, after, new.name, STANDARD_COLUMNS + filters, filters) if dataset else None
    if lines is None:
        lines = []
        header = after[0] if after else []
        for r in range(max(len(before), len(after))):
            x = before[r] if r < len(before) else []
            y = after[r] if r < len(after) else []
            for c in range(max(len(x), len(y))):
                old_cell = x[c] if c < len(x) else ""
                new_cell = y[c] if c < len(y) else ""
                if old_cell != new_cell:
                    column = header[c] if c < len(header) else str(c + 1)
                    lines.append(f"{new.name}, row {r + 1}, column '{column}': {old_cell!r} -> {new_cell!r}")
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])


def _first_difference(old: Path | None, new: Path) -> str:
    """Where two versions of an output first differ: a notebook cell, or a byte offset."""
    if old is None or not old.is_file():
        return "the original file is gone, so only its hash can be compared"
    if new.suffix == ".ipynb":
        a, b = json.loads(old.read_text()), json.loads(new.read_text())
        for i, (x, y) in enumerate(zip(a.get("cells", []), b.get("cells", []))):
            if x != y:
                return f"first differing cell: {i} (id {y.get('id')})"
        return "the notebooks' metadata differ" if a.get("metadata") != b.get("metadata") else "different number of cells"
    x, y = old.read_bytes(), new.read_bytes()
    offset = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return f"first differing byte at {offset}: {x[offset:offset + 32]!r} vs {y[offset:offset + 32]!r}"


def verify(manifest_path: Path, progress: Progress | None = None) -> Verdict:
    """Rebuild the report a manifest describes and explain any difference (see module docstring)."""
    progress = progress or Progress(quiet=True)
    if not manifest_path.is_file():
        raise AnnualReportError(f"{manifest_path}: no such manifest")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    original = manifest_path.parent
    project = find_project(original)
    partnership, year = manifest["partnership"], manifest["year"]
    verdict = Verdict(identical=False)

    for rel, entry in manifest["inputs"].items():
        path = project.root / rel
        now = sha256_file(path) if path.is_file() else None
        if now != entry["sha256"]:
            verdict.inputs.append(f"{rel}: SHA-256 {entry['sha256'][:12]} -> {now[:12] if now else 'missing'}")
            if rel.startswith("data/local/"):
                verdict.inputs += [f"  {line}" for line in _csv_changes(original / INPUTS / path.name, path, rel)]
    code = manifest["code"]
    commit_now = head_commit(Path(__file__).resolve().parent)
    if code.get("commit") and commit_now != code["commit"]:
        verdict.code.append(f"git commit {code['commit'][:12]} -> {(commit_now or 'none')[:12]}")
    if code["code_sha256"] != code_digest():
        verdict.code.append(f"annualreport's code differs from the recorded build ({code['annualreport']})")
    env, recorded_env = environment(project), manifest["environment"]
    if env["lock_sha256"] != recorded_env["lock_sha256"]:
        verdict.environment.append("requirements.lock changed since the build")
    if env["python"] != recorded_env["python"]:
        verdict.environment.append(f"Python {recorded_env['python']} -> {env['python']}")
    verdict.environment += environment_drift(project)

    with tempfile.TemporaryDirectory(prefix="annualreport-verify-") as tmp:
        copy = copy_project(project, Path(tmp) / "project", partnership, year)
        progress.say(f"{partnership} {year}", "rebuilding in a temporary folder with the cache off")
        try:
            # a rebuild publishes nothing, so a dirty tree is no reason to refuse it; git is asked
            # about the original project's files (the copy's are the same files, outside any checkout)
            build_report(copy, partnership, year, renderer=manifest["renderer"]["name"], force=True,
                         progress=progress, allow_dirty=True, sources_of=project)
        except AnnualReportError as e:
            raise NotRebuilt(e, verdict.inputs + verdict.code + verdict.environment) from None
        rebuilt = copy.build_dir / partnership / year
        for rel, entry in sorted(manifest["outputs"].items()):
            path = rebuilt / rel
            if not path.is_file() or sha256_file(path) != entry["sha256"]:
                verdict.outputs.append(rel)
        for rel in sorted(p.relative_to(rebuilt).as_posix() for p in rebuilt.rglob("*") if p.is_file()):
            if rel not in manifest["outputs"] and rel != "manifest.json" and not rel.startswith("records/"):
                verdict.outputs.append(f"{rel} (new)")
        if verdict.outputs and verdict.inputs:
            moved = _store_changes(original, rebuilt)
            if moved:
                verdict.inputs += ["figures that moved:"] + [f"  {line}" for line in moved]
        if verdict.outputs and not (verdict.inputs or verdict.code or verdict.environment):
            for rel in verdict.outputs[:5]:
                name = rel.removesuffix(" (new)")
                old = original / name if (original / name).is_file() else None
                verdict.determinism.append(f"{name}: {_first_difference(old, rebuilt / name)}")
    verdict.identical = not verdict.outputs
    return verdict
