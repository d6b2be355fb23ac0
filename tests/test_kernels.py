"""Kernels' sockets and output (execution/kernel_manager.py): real kernels, real sockets.

A kernel on TCP could lose one of its ports to another socket between jupyter_client choosing it
and the kernel binding it (the flaky `Exception in thread Heartbeat ... Address already in use`
seen in the CLI's stderr): these tests take the port at exactly that moment."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_core.utils import run_sync

from annualreport.execution.execute import ChapterRun, connect_client, run_chapter
from annualreport.execution.kernel_manager import LOG, PREFIX, TrackedKernelManager, sweep
from annualreport.execution.pool import KernelPool

ARGS = ["--IPKernelApp.log_level=CRITICAL"]


def squatted(port: str) -> type[TrackedKernelManager]:
    """A kernel manager whose `port` is taken by another socket just before the kernel starts,
    as another process may do (on ipc there is no port to take: nothing happens)."""

    class Squatted(TrackedKernelManager):
        squat: socket.socket | None = None

        async def _async_launch_kernel(self, cmd: list[str], **kw: Any) -> None:
            if self.transport == "tcp":
                self.squat = socket.socket()
                self.squat.bind((self.ip, getattr(self, port)))
                self.squat.listen(1)
            return await super()._async_launch_kernel(cmd, **kw)

    return Squatted


def start_and_ask(km: TrackedKernelManager) -> tuple[bool, str]:
    """Start the kernel, wait until it answers; whether it did, and what its process printed."""
    run_sync(km.start_kernel)(extra_arguments=ARGS)
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=60)
        ready = True
    except RuntimeError:  # "Kernel died before replying to kernel_info"
        ready = False
    finally:
        kc.stop_channels()
    log = km.log_since(0)
    run_sync(km.shutdown_kernel)(now=True)
    squat = getattr(km, "squat", None)
    if squat is not None:
        squat.close()
    return ready, log


@pytest.mark.parametrize("port", ["hb_port", "shell_port"])
def test_a_port_taken_while_the_kernel_starts_breaks_tcp_and_cannot_happen_on_private_ipc_sockets(port: str) -> None:
    # On TCP (what kernels used): a taken heartbeat port prints a thread's traceback, a taken shell port kills it.
    ready, log = start_and_ask(squatted(port)(kernel_name="python3", transport="tcp"))
    assert "Address already in use" in log
    assert ("Exception in thread Heartbeat" in log) if port == "hb_port" else not ready
    # The default: Unix sockets, by absolute path, in a folder of the kernel's own, removed at shutdown.
    km = squatted(port)(kernel_name="python3")
    assert km.transport == "ipc"
    run_sync(km.start_kernel)(extra_arguments=ARGS, cwd="/")  # another working folder than ours
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=60)  # it found its sockets where we said they are
    kc.stop_channels()
    folder = km.folder
    assert folder is not None and Path(km.ip).is_absolute() and Path(km.ip).parent == folder
    assert stat.S_IMODE(folder.stat().st_mode) & 0o777 == 0o700  # tempfile.mkdtemp: no other user's process gets in
    assert sorted(p.name for p in folder.iterdir() if p.is_socket()) == sorted(f"k-{n}" for n in km.ports)
    assert Path(km.connection_file).parent == folder  # the key to its messages too, not left in /tmp if we are killed
    run_sync(km.shutdown_kernel)(now=True)
    assert not folder.exists()
    ready, log = start_and_ask(squatted(port)(kernel_name="python3"))
    assert ready and log == ""


def notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


def test_what_a_kernel_prints_stays_off_the_terminal_unless_its_chapter_fails(tmp_path: Path,
                                                                             capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "chapters").mkdir()
    noise = "import os\nos.write(2, b'kernel noise on fd 2\\n')\n"  # the process's own stderr, not the cell's
    quiet = notebook(tmp_path / "quiet.ipynb", noise)
    failing = notebook(tmp_path / "failing.ipynb", noise + "raise ValueError('a real fault')")

    def run(source: Path, pool: KernelPool | None = None) -> Any:
        r = ChapterRun(source.stem, source, tmp_path / "chapters" / source.name, {})
        return pool.submit(r, tmp_path, 60).result() if pool else run_chapter(r, tmp_path, 60)

    ok = run(quiet)
    assert ok.error is None and ok.kernel_log == ""
    failed = run(failing)
    assert failed.error is not None and "a real fault" in str(failed.error)
    assert failed.kernel_log == "kernel noise on fd 2"
    with KernelPool(1) as pool:
        assert run(quiet, pool).error is None
        failed = run(failing, pool)
        assert failed.kernel_log == "kernel noise on fd 2"  # only what it printed during this chapter
    out, err = capfd.readouterr()
    assert "kernel noise" not in out + err and "Traceback" not in err


def test_a_temporary_folder_too_long_for_a_unix_socket_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long = tmp_path / ("x" * 100)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    km = TrackedKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=ARGS)
    try:
        assert km.folder is not None and km.folder.parent == Path("/tmp")
        kc = km.client()
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=60)
        kc.stop_channels()
    finally:
        run_sync(km.shutdown_kernel)(now=True)


def test_a_kernel_slow_to_answer_is_asked_again_until_the_start_up_limit() -> None:
    """A kernel that does not answer within a second (on a loaded machine; here it is stopped for
    three) is asked again until the start-up limit, not given up on at the first silence."""
    km = TrackedKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=ARGS)
    pid = km.provisioner.pid  # type: ignore[union-attr]
    resume = threading.Timer(3, os.kill, (pid, signal.SIGCONT))
    try:
        os.kill(pid, signal.SIGSTOP)
        resume.start()
        started = time.monotonic()
        kc = run_sync(connect_client)(km, 60)
        assert time.monotonic() - started >= 3
        assert run_sync(kc.is_alive)()
        kc.stop_channels()
    finally:
        resume.cancel()
        os.kill(pid, signal.SIGCONT)
        run_sync(km.shutdown_kernel)(now=True)


def test_kernel_folders_left_by_a_process_that_was_killed_are_removed(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale = tmp_path / f"{PREFIX}{gone.pid}-x1"  # its kernels ended with it; SIGKILL left the folder
    stale.mkdir()
    (stale / LOG).write_text("")
    running = tmp_path / f"{PREFIX}{os.getppid()}-x2"  # a process still running: its kernels may be too
    running.mkdir()
    other = tmp_path / "annualreport-kernel-notes"
    other.mkdir()
    sweep(tmp_path)
    assert not stale.exists() and running.exists() and other.exists()


def test_a_warm_kernel_loses_no_output_of_a_chapters_first_cell(tmp_path: Path) -> None:
    """A pool's kernel gets a new client for each chapter, ready when its IOPub channel hears the
    kernel (execute.BoundedClient): the first cell's printed output and display, sent at once, arrive."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell("n = 0")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("print('first', n)\nn"), nbformat.v4.new_code_cell("print('second')")]
    source = tmp_path / "chapter.ipynb"
    nbformat.write(nb, source)
    with KernelPool(1) as pool:
        for i in range(15):
            output = tmp_path / f"out-{i}.ipynb"
            result = pool.submit(ChapterRun("c", source, output, {"n": i}), tmp_path, 60).result()
            assert result.error is None
            cells = [c for c in nbformat.read(output, as_version=4).cells if c.cell_type == "code"]
            first, second = cells[-2].outputs, cells[-1].outputs
            assert [o.get("text") for o in first if o.output_type == "stream"] == [f"first {i}\n"], first
            assert [o["data"]["text/plain"] for o in first if o.output_type == "execute_result"] == [str(i)]
            assert [o.get("text") for o in second] == ["second\n"]


def test_a_print_flushed_in_parts_is_one_output(tmp_path: Path) -> None:
    """However the kernel's stdout happened to flush (here: by hand, mid-line), consecutive prints
    are one stream output, so an executed notebook's bytes do not depend on timing; a display
    between two prints stays between them."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import sys\nfrom IPython.display import display\n"
                                          "print('a', end='')\nsys.stdout.flush()\nprint('b')\nsys.stdout.flush()\n"
                                          "print('c')\ndisplay(1)\nprint('d')")]
    source = tmp_path / "chapter.ipynb"
    nbformat.write(nb, source)
    with KernelPool(1) as pool:
        result = pool.submit(ChapterRun("c", source, tmp_path / "out.ipynb", {}), tmp_path, 60).result()
    assert result.error is None
    outputs = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[-1].outputs
    assert [(o.output_type, o.get("text") or o.get("data", {}).get("text/plain")) for o in outputs] == [
        ("stream", "ab\nc\n"), ("display_data", "1"), ("stream", "d\n")]
