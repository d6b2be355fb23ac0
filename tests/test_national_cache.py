"""The national datasets kept on disk between processes (store/national_cache.py): real files in a
temporary folder, the cache folder moved there by ANNUALREPORT_CACHE_DIR, and the in-process caches
emptied between calls so that each call is what a new process would do."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, copy_project, run_cli
from pandas.testing import assert_frame_equal

from annualreport.inputs.result_cache import cache_dir
from annualreport.provenance import hashes
from annualreport.store import national, national_cache, sources

POP = "ons_mid-year_population_estimates_2012_to_2024.csv"


def fresh_process() -> None:
    """Forget what this process read, as a new process would have."""
    for cached in (sources._dataset_frame, sources.normalised, sources.load_catalog, national.read_ees, hashes._HASHES):
        cached.cache_clear()


def read(folder: Path, dataset: str = "population") -> pd.DataFrame:
    fresh_process()
    return sources.dataset_frame(folder, dataset)


def computed(folder: Path, dataset: str = "population") -> pd.DataFrame:
    """The frame read from the CSVs, cache off."""
    national_cache.use(None)
    return read(folder, dataset)


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert_frame_equal(a, b, check_exact=True)
    assert a.dtypes.equals(b.dtypes) and a.index.equals(b.index)


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def cache_off_after() -> object:
    yield
    national_cache.use(None)
    fresh_process()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANNUALREPORT_CACHE_DIR", str(tmp_path / "cache"))
    return cache_dir() / "national"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A national folder with the catalog and the one file of the population dataset."""
    folder = tmp_path / "national"
    folder.mkdir()
    for name in ("catalog.yml", POP):
        shutil.copyfile(REPO / "data" / "national" / name, folder / name)
    return folder


def test_every_dataset_comes_back_exactly(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "national"
    shutil.copytree(REPO / "data" / "national", folder)
    datasets = list(sources.load_catalog(folder).datasets)

    def every() -> dict[str, pd.DataFrame]:  # one process's reading of every dataset
        fresh_process()
        return {d: sources.dataset_frame(folder, d) for d in datasets}

    fresh = every()  # cache off
    national_cache.use(cache, "env")
    for kept in (every(), every()):  # the first process computes and keeps them, the next reads them back
        assert len(entries(cache)) == len(datasets)
        for d in datasets:
            same(kept[d], fresh[d])


def test_an_entry_is_what_is_read(small: Path, cache: Path) -> None:
    national_cache.use(cache, "env")
    full = read(small)
    [entry] = entries(cache)
    entry.write_bytes(pickle.dumps(full.head(3), protocol=5))  # not what the CSV gives: only the cache can
    same(read(small), full.head(3))


def test_a_revised_figure_is_a_new_entry(small: Path, cache: Path) -> None:
    national_cache.use(cache, "env")
    before = read(small)
    csv = small / POP
    csv.write_text(csv.read_text(encoding="utf-8").replace(",12183016\n", ",12183017\n", 1), encoding="utf-8")
    after = read(small)
    assert len(entries(cache)) == 2
    assert not after.equals(before) and "12183017" in set(after["population_estimate"])
    same(after, computed(small))


def test_another_environment_is_a_new_entry(small: Path, cache: Path) -> None:
    national_cache.use(cache, "env-a")
    read(small)
    national_cache.use(cache, "env-b")
    read(small)
    assert len(entries(cache)) == 2


def test_older_entries_are_pruned(small: Path, cache: Path) -> None:
    for n in range(national_cache.KEEP + 2):
        national_cache.use(cache, f"env-{n}")
        read(small)
    assert len(entries(cache)) == national_cache.KEEP


def test_refresh_reads_the_files_again(small: Path, cache: Path) -> None:
    national_cache.use(cache, "env")
    full = read(small)
    [entry] = entries(cache)
    entry.write_bytes(pickle.dumps(full.head(3), protocol=5))
    national_cache.use(cache, "env", refresh=True)
    same(read(small), full)
    same(pickle.loads(entry.read_bytes()), full)  # and the entry is rewritten


def test_a_damaged_entry_is_computed_again_and_rewritten(small: Path, cache: Path) -> None:
    national_cache.use(cache, "env")
    full = read(small)
    [entry] = entries(cache)
    entry.write_bytes(b"\x80\x05garbage, not a pickle")
    same(read(small), full)
    same(pickle.loads(entry.read_bytes()), full)


def test_an_unwritable_folder_warns_once(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("ANNUALREPORT_CACHE_DIR", str(tmp_path / "a-file"))  # mkdir fails, even as root
    folder = cache_dir() / "national"
    warnings: list[str] = []
    national_cache.use(folder, "env", warn=warnings.append)
    full = read(small)
    national_cache.use(folder, "env", warn=warnings.append)  # as the next build of a batch does
    same(read(small), full)
    same(full, computed(small))
    assert len(warnings) == 1 and str(folder) in warnings[0]
    assert not capsys.readouterr().err


def test_the_default_warning_is_one_stderr_line(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    folder = tmp_path / "a-file" / "national"
    national_cache.use(folder, "env")
    read(small)
    read(small)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(folder) in err


def test_nothing_is_written_unless_enabled(small: Path, cache: Path) -> None:
    read(small)
    assert not cache.parent.exists()


def referrals_2013_14(csv: str) -> str:
    """Lancashire's referrals in 2013-14, the line of `indicators`' CSV."""
    return next(line for line in csv.splitlines() if line.startswith("referrals,") and ",Lancashire,2013-14,2014," in line)


def test_the_indicators_and_placeholders_commands_read_the_datasets_through_the_cache(tmp_path: Path) -> None:
    """`indicators` and `placeholders` keep the datasets as a build does, and read them back: a figure
    changed in a kept entry (and only there) is what the next command shows."""
    project = copy_project(tmp_path / "project")
    env = {**os.environ, "ANNUALREPORT_CACHE_DIR": str(tmp_path / "cache")}
    args = ("-p", "lancashire", "-y", "2013-14", "--project", str(project))
    first = run_cli(project, "indicators", *args, env=env)
    assert first.returncode == 0, first.stderr
    assert ",19460," in referrals_2013_14(first.stdout)
    [entry] = sorted((tmp_path / "cache" / "national").glob("referrals-*.pickle"))  # each dataset kept once
    frame = pickle.loads(entry.read_bytes())
    frame.loc[(frame.code == "888") & (frame.time_period == 2014), "referral_count"] = "19461"
    entry.write_bytes(pickle.dumps(frame, protocol=5))
    again = run_cli(project, "indicators", *args, env=env)
    assert ",19461," in referrals_2013_14(again.stdout)
    shown = run_cli(project, "placeholders", *args, env=env)
    assert shown.returncode == 0, shown.stderr
    assert next(line for line in shown.stdout.splitlines() if line.startswith("{{ referrals.value }}")).split()[-1] == "19,461"
