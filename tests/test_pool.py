"""Warm kernels (execution/pool.py): real papermill runs on real kernels, warm against fresh."""

from __future__ import annotations

import json
import os
import re
import signal
import shutil
from pathlib import Path

import nbformat
import pytest

from annualreport.errors import AnnualReportError
from annualreport.execution.execute import ChapterRun, run_chapter
from annualreport.execution.pool import KernelPool
from annualreport.store import KEYS_DIR
from annualreport.store.figures import write_public_store

REPO = Path(__file__).resolve().parents[1]
PARAMS = {"partnership": "lancashire", "year": "2013-14", "build_dir": "."}


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory: pytest.TempPathFactory, lancashire_build: Path) -> Path:
    """A build folder as chapters see it: the example's store and local inputs, as the shared example
    build (conftest.py) wrote them (build_store's store.csv and store.json, copy_inputs' inputs/)."""
    work = tmp_path_factory.mktemp("store")
    for name in ("store.csv", "store.json"):
        shutil.copyfile(lancashire_build / name, work / name)
    shutil.copytree(lancashire_build / "inputs", work / "inputs")
    return work


def fresh_folder(store_folder: Path, dest: Path) -> Path:
    shutil.copytree(store_folder, dest)
    (dest / "chapters").mkdir()
    return dest


def notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell('partnership = "x"\nyear = "x"\nbuild_dir = "."')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def chapter(source: Path, folder: Path) -> ChapterRun:
    return ChapterRun(source.stem, source, folder / "chapters" / f"{source.stem}.ipynb", PARAMS)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def outputs(executed: Path) -> list:
    """The outputs of each code cell (a warning names the kernel's process: ipykernel_<pid>)."""
    nb = nbformat.read(executed, as_version=4)
    return json.loads(re.sub(r"ipykernel_\d+", "ipykernel_PID", json.dumps([c.get("outputs") for c in nb.cells if c.cell_type == "code"])))


@pytest.mark.slow
def test_chapters_on_one_warm_kernel_are_byte_identical_to_fresh_kernels(store_folder: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    chapters = ["front_door", "allegations", "looked_after"]  # charts, local inputs, tables
    fresh = fresh_folder(store_folder, tmp_path / "fresh")
    warm = fresh_folder(store_folder, tmp_path / "warm")
    with monkeypatch.context() as env:
        env.setenv("ANNUALREPORT_KERNEL_SERVER", "none")  # fresh: a kernel per chapter, each a process of its own
        for name in chapters:
            result = run_chapter(chapter(REPO / "notebooks" / f"{name}.ipynb", fresh), fresh, 600)
            assert result.error is None, result.error
    # warm (and recycled): kernels forked from the run's kernel server (conftest.py, kernel_server.py),
    # reading the store's public view as a build writes it for its chapters (fresh: each makes its own)
    write_public_store(warm)
    with KernelPool(1) as pool:
        for name in chapters:  # one after another on the same kernel
            result = pool.submit(chapter(REPO / "notebooks" / f"{name}.ipynb", warm), warm, 600).result()
            assert result.error is None, result.error
        assert pool.counts == {"started": 1, "replaced": 0, "recycled": 0}
    # A kernel recycled after two chapters: the third runs on a new kernel, with the same outputs.
    recycled = fresh_folder(store_folder, tmp_path / "recycled")
    write_public_store(recycled)
    with KernelPool(1, max_chapters=2) as pool:
        for name in chapters:
            result = pool.submit(chapter(REPO / "notebooks" / f"{name}.ipynb", recycled), recycled, 600).result()
            assert result.error is None, result.error
        assert pool.counts == {"started": 2, "replaced": 0, "recycled": 1}
    fresh_files = files(fresh)
    for folder in (warm, recycled):
        shutil.rmtree(folder / KEYS_DIR)  # as the build removes it
    assert any(name.startswith("figures/") for name in fresh_files)
    for folder in (warm, recycled):
        warm_files = files(folder)
        assert sorted(fresh_files) == sorted(warm_files)
        for name, data in fresh_files.items():
            assert warm_files[name] == data, f"{name} differs between a fresh kernel and {folder.name}"


PROBE = ("import os, matplotlib, warnings\n"
         "import annualreport.chapters.fmt as fmt\n"
         "print('leaked' in globals(), matplotlib.rcParams['lines.linewidth'], os.getcwd() != '/',\n"
         "      fmt.format_value(1234.0, 'count', 0), os.environ.get('LEAKED'), flush=True)\n"
         "warnings.warn('shown once per place')")  # flushed: stdout before stderr whatever the machine's load


def test_a_chapter_that_leaks_state_does_not_affect_the_next_on_the_same_kernel(store_folder: Path, tmp_path: Path) -> None:
    sources = tmp_path / "notebooks"
    sources.mkdir()
    probe = notebook(sources / "probe.ipynb", PROBE, "get_ipython().execution_count")
    leak = notebook(sources / "leak.ipynb",
                    "import os, matplotlib\nleaked = 1\nmatplotlib.rcParams['lines.linewidth'] = 9\n"
                    "os.environ['LEAKED'] = 'yes'\nos.chdir('/')",
                    PROBE)
    patch = notebook(sources / "patch.ipynb",
                     "import annualreport.chapters.fmt as fmt\nfmt.format_value = lambda *a, **k: 'patched'")
    fresh = fresh_folder(store_folder, tmp_path / "fresh")
    assert run_chapter(chapter(probe, fresh), fresh, 60).error is None
    expected = outputs(fresh / "chapters" / "probe.ipynb")
    assert "False 1.5 True 1,234 None" in json.dumps(expected)
    with KernelPool(1) as pool:
        folder = fresh_folder(store_folder, tmp_path / "warm")
        for source in (probe, leak):
            assert pool.submit(chapter(source, folder), folder, 60).result().error is None
        assert "True 9.0 False 1,234 yes" in json.dumps(outputs(folder / "chapters" / "leak.ipynb"))  # the leak happened
        assert pool.submit(chapter(probe, folder), folder, 60).result().error is None
        assert outputs(folder / "chapters" / "probe.ipynb") == expected  # and was reset: same outputs, warning too
        assert "shown once per place" in json.dumps(expected)
        assert pool.counts == {"started": 1, "replaced": 0, "recycled": 0}
        # A library function replaced cannot be reset: the kernel is replaced before the next chapter.
        assert pool.submit(chapter(patch, folder), folder, 60).result().error is None
        assert pool.submit(chapter(probe, folder), folder, 60).result().error is None
        assert outputs(folder / "chapters" / "probe.ipynb") == expected
        assert pool.counts == {"started": 2, "replaced": 1, "recycled": 0}


def test_what_a_chapter_prints_and_warns_keeps_the_order_it_was_written_in(store_folder: Path, tmp_path: Path) -> None:
    # Written within a millisecond: ipykernel would send each stream a fifth of a second later, as
    # one message per stream ([one three, two four]), or in between on a loaded machine.
    source = notebook(tmp_path / "streams.ipynb",
                      "import sys, warnings\nprint('one')\nwarnings.warn('two')\nprint('three')\nprint('four', file=sys.stderr)")
    folder = fresh_folder(store_folder, tmp_path / "warm")
    with KernelPool(1) as pool:
        assert pool.submit(chapter(source, folder), folder, 60).result().error is None
    streams = outputs(folder / "chapters" / "streams.ipynb")[-1]
    assert [out["name"] for out in streams] == ["stdout", "stderr", "stdout", "stderr"]
    assert [out["text"].strip().split()[-1] for out in streams[::2]] == ["one", "three"]
    assert "UserWarning: two" in streams[1]["text"] and streams[3]["text"] == "four\n"


def test_a_killed_kernel_is_replaced_and_its_chapter_reported(store_folder: Path, tmp_path: Path) -> None:
    sources = tmp_path / "notebooks"
    sources.mkdir()
    pid = notebook(sources / "pid.ipynb", "import os\nprint(os.getpid())")
    suicide = notebook(sources / "suicide.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    folder = fresh_folder(store_folder, tmp_path / "warm")

    def kernel_pid(pool: KernelPool) -> int:
        assert pool.submit(chapter(pid, folder), folder, 60).result().error is None
        return int(outputs(folder / "chapters" / "pid.ipynb")[-1][0]["text"])

    with KernelPool(1) as pool:
        first = kernel_pid(pool)
        os.kill(first, signal.SIGKILL)  # killed while idle: the next chapter gets a new kernel
        second = kernel_pid(pool)
        assert second != first
        result = pool.submit(chapter(suicide, folder), folder, 60).result()  # killed while running its chapter
        assert result.error is not None and result.error.chapter == "suicide"
        assert "kernel" in result.error.cell.lower() or "died" in str(result.error).lower(), str(result.error)
        third = kernel_pid(pool)
        assert third not in (first, second)
        assert pool.counts["started"] == 3


def test_a_kernel_past_its_memory_limit_is_recycled_and_a_bad_limit_is_named(store_folder: Path, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "notebooks"
    sources.mkdir()
    pid = notebook(sources / "pid.ipynb", "import os\nprint(os.getpid())")
    folder = fresh_folder(store_folder, tmp_path / "warm")

    def pids(pool: KernelPool, n: int) -> list[int]:
        out = []
        for _ in range(n):
            assert pool.submit(chapter(pid, folder), folder, 60).result().error is None
            out.append(int(outputs(folder / "chapters" / "pid.ipynb")[-1][0]["text"]))
        return out

    monkeypatch.setenv("ANNUALREPORT_KERNEL_MEMORY_MB", "1")  # a warm kernel holds far more: recycled after each
    with KernelPool(1) as pool:
        assert pool.max_memory_mb == 1
        assert len(set(pids(pool, 3))) == 3
        assert pool.counts == {"started": 3, "replaced": 0, "recycled": 3}
    monkeypatch.delenv("ANNUALREPORT_KERNEL_MEMORY_MB")
    with KernelPool(1) as pool:  # the default limit: one kernel for all
        assert len(set(pids(pool, 3))) == 1
        assert pool.counts == {"started": 1, "replaced": 0, "recycled": 0}
    monkeypatch.setenv("ANNUALREPORT_KERNEL_CHAPTERS", "fifty")
    with pytest.raises(AnnualReportError, match="ANNUALREPORT_KERNEL_CHAPTERS='fifty': expected a whole number"):
        KernelPool(1)


def test_kernels_start_only_as_chapters_need_them(store_folder: Path, tmp_path: Path) -> None:
    sources = tmp_path / "notebooks"
    sources.mkdir()
    pid = notebook(sources / "pid.ipynb", "import os\nprint(os.getpid())")
    # Two chapters that wait for each other (up to 30 s): both end at once only on two kernels at once
    # (two trivial chapters could end before the pool needed a second kernel, on a busy machine).
    meet = notebook(sources / "meet.ipynb", "import os, time, uuid\nos.makedirs('meet', exist_ok=True)\n"
                    "open(f'meet/{uuid.uuid4()}', 'w').close()\nstart = time.monotonic()\n"
                    "while len(os.listdir('meet')) < 2 and time.monotonic() - start < 30:\n    time.sleep(0.02)")
    folder = fresh_folder(store_folder, tmp_path / "warm")
    pool = KernelPool(2)
    try:
        assert pool.counts["started"] == 0  # made, not started: a build that executes nothing starts none
        for _ in range(2):  # one chapter at a time: one kernel is enough
            assert pool.submit(chapter(pid, folder), folder, 60).result().error is None
        assert pool.counts["started"] == 1
        both = [pool.submit(chapter(meet, folder), folder, 60) for _ in range(2)]  # two at once: the second kernel
        assert all(f.result().error is None for f in both)
        assert pool.counts["started"] == 2 and len(list((folder / "meet").iterdir())) == 2
    finally:
        pool.close()


def test_the_chapters_of_the_build_that_came_first_run_first(store_folder: Path, tmp_path: Path) -> None:
    """Builds sharing a pool (a batch) take kernels in the order they sent their first chapter, so
    they drift apart instead of all rendering, then all building their stores, at once."""
    sources = tmp_path / "notebooks"
    sources.mkdir()
    log, release = tmp_path / "order.log", tmp_path / "release"
    record = f"import os\nwith open({str(log)!r}, 'a') as f:\n    f.write(os.path.basename(os.getcwd()) + '\\n')"
    wait = (f"import os, time\nstart = time.monotonic()\nwhile not os.path.exists({str(release)!r}) "
            "and time.monotonic() - start < 30:\n    time.sleep(0.02)")
    first = notebook(sources / "first.ipynb", wait, record)
    later = notebook(sources / "later.ipynb", record)
    a, b = fresh_folder(store_folder, tmp_path / "a"), fresh_folder(store_folder, tmp_path / "b")
    with KernelPool(1) as pool:  # one kernel: the others wait in the queue while `first` holds it
        futures = [pool.submit(chapter(first, a), a, 60), pool.submit(chapter(later, b), b, 60),
                   pool.submit(chapter(later, a), a, 60), pool.submit(chapter(later, b), b, 60)]
        release.touch()
        assert all(f.result().error is None for f in futures)
    assert log.read_text().split() == ["a", "a", "b", "b"]  # in the order sent, it would be a, b, a, b


def test_kernel_memory_counts_the_processes_below_it(tmp_path: Path) -> None:
    """A kernel's memory (what recycles it) includes every process below it: read from /proc's
    children files, the same processes psutil finds by scanning the machine, grandchildren too."""
    import subprocess
    import sys
    import time

    import psutil

    from annualreport.execution.pool import _descendants

    # A parent that starts a child from a second thread, and a child that starts its own child.
    script = ("import subprocess, sys, threading, time\n"
              "t = threading.Thread(target=lambda: subprocess.Popen(['sleep', '30']))\n"
              "t.start(); t.join()\n"
              "subprocess.Popen(['bash', '-c', 'sleep 30 & wait'])\n"
              "print('ready', flush=True); time.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        expected = sorted(p.pid for p in psutil.Process(parent.pid).children(recursive=True))
        for _ in range(50):  # bash may not have started its sleep yet
            if len(expected) == 3:
                break
            time.sleep(0.05)
            expected = sorted(p.pid for p in psutil.Process(parent.pid).children(recursive=True))
        assert len(expected) == 3
        assert sorted(_descendants(parent.pid) or []) == expected
    finally:
        for p in psutil.Process(parent.pid).children(recursive=True):
            p.kill()
        parent.kill()
        parent.wait()
    assert _descendants(parent.pid) is None  # gone: psutil's answer (no process) is used
