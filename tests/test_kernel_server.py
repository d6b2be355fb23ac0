"""Kernels forked from a warmed kernel server (execution/kernel_server.py): real servers, kernels and
processes. That a forked kernel's chapters give the bytes of a kernel started as a process of its own
is test_pool.test_chapters_on_one_warm_kernel_are_byte_identical_to_fresh_kernels."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from jupyter_core.utils import run_sync

from annualreport.execution import kernel_server
from annualreport.execution.kernel_manager import TrackedKernelManager
from annualreport.execution.pool import KERNEL_ARGUMENTS


def ask(km: TrackedKernelManager, code: str) -> str:
    """What `code` prints in the kernel."""
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=60)
        printed: list[str] = []
        run_sync(kc.execute_interactive)(code, timeout=60, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
    finally:
        kc.stop_channels()
    return "".join(printed)


def gone(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> subprocess.Popen:
    """A server of this test's own, used by the kernels this process starts."""
    path, proc = kernel_server.start()
    monkeypatch.setenv(kernel_server.ENVIRONMENT, path)
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()  # as when the process that started it ends: it stops
    assert proc.wait(timeout=30) == 0
    assert not Path(path).parent.exists()


def test_a_forked_kernel_is_the_servers_child_in_its_folder_with_its_environment(server: subprocess.Popen, tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANNUALREPORT_TEST_VALUE", "given")  # not read by any import: the kernel is forked
    km = TrackedKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(tmp_path))
    try:
        pid = km.provisioner.pid
        assert psutil.Process(pid).ppid() == server.pid
        assert os.getsid(pid) == pid  # a session of its own, as jupyter_client starts kernels: Ctrl-C is the build's
        printed = ask(km, "import os, sys\n"
                          "print(os.getcwd(), os.environ['ANNUALREPORT_TEST_VALUE'], sys.path[0] == os.getcwd(), os.environ['MPLBACKEND'])")
        assert printed.split() == [str(tmp_path), "given", "True", "module://matplotlib_inline.backend_inline"]
        assert run_sync(km.is_alive)()
    finally:
        run_sync(km.shutdown_kernel)()
    assert gone(pid)
    assert km.provisioner is None or not km.has_kernel


def test_a_kernel_whose_environment_differs_from_the_servers_is_started_as_a_process_of_its_own(
        server: subprocess.Popen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "agg")  # read when matplotlib is imported: a forked kernel would not have it
    km = TrackedKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=str(tmp_path))
    try:
        assert psutil.Process(km.provisioner.pid).ppid() == os.getpid()
        assert ask(km, "import matplotlib; print(matplotlib.get_backend())").strip() == "agg"
    finally:
        run_sync(km.shutdown_kernel)(now=True)


KILLED = """
import os, sys, signal
import psutil
from jupyter_core.utils import run_sync
from annualreport.execution import kernel_server
from annualreport.execution.kernel_manager import TrackedKernelManager
km = TrackedKernelManager(kernel_name="python3")
run_sync(km.start_kernel)(cwd=sys.argv[1])
own = kernel_server._OWN.process
print(km.provisioner.pid, psutil.Process(km.provisioner.pid).ppid(), own.pid if own else 0, kernel_server._OWN.path or "-",
      flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as a build killed mid-way: nothing is shut down
"""


@pytest.mark.parametrize("shared", [True, False], ids=["a-running-server", "the-processs-own-server"])
def test_a_process_killed_takes_its_kernels_with_it(shared: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    request: pytest.FixtureRequest) -> None:
    if shared:
        server = request.getfixturevalue("server")
    else:
        monkeypatch.delenv(kernel_server.ENVIRONMENT, raising=False)  # the process starts its own
    proc = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    kernel, parent, own, path = proc.stdout.split()
    assert int(parent) == (server.pid if shared else int(own))  # the kernel was forked by the server
    assert gone(int(kernel)), "the kernel of a killed process is still running"
    if shared:
        assert server.poll() is None  # a running server goes on serving others
    else:
        assert gone(int(own)), "the killed process's own server is still running"
        assert not Path(path).parent.exists()
