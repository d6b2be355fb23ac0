"""The kernel manager every chapter's kernel is started with: private sockets, a quiet terminal,
and a registry so that Ctrl-C can stop every kernel at once.

Why not TCP. jupyter_client picks a kernel's five TCP ports by binding port 0 and closing the
socket, writes them to the connection file, and the kernel binds them a moment later. Between the
two, any process on the machine (another kernel starting, a client connecting from an ephemeral
port) can take one. ipykernel then fails: a shell port taken kills the kernel; a heartbeat port
taken leaves a `Heartbeat` thread's `ZMQError: Address already in use` traceback on the
terminal (jupyter_client issue 276, papermill issue 511). The more kernels start at once (a pool,
a batch, tests in parallel), the likelier it is.

So kernels talk over ZeroMQ's `ipc` transport: Unix sockets in a folder of their own, made with
`tempfile.mkdtemp` (so no other kernel or process uses the same names) and given by absolute path
(a kernel starts in another working folder than ours; a relative ipc path would name another
socket, and the client would wait for ever). Nothing is chosen and then released, so there is
nothing to race for. The folder is removed when the kernel is shut down; one left by a process
that was killed is removed by the next process that starts a kernel (`sweep`). The connection
file (the sockets and the key signing the kernel's messages) is kept there too, not left in the
temporary folder when a build is killed.

What the kernel process itself prints (ipykernel's warnings, a thread's traceback; not the
chapter's output, which arrives as messages) goes to a log file in that folder rather than the
user's terminal: `log_since()` gives what it printed while a chapter ran, shown when the chapter fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum

LOG = "kernel.log"
CONNECTION = "kernel.json"  # the connection file (ports and key): in the folder, and gone with it
LOG_TAIL = 4000  # characters of a kernel's log shown with a failed chapter
SOCKETS = "k"  # the sockets are <folder>/k-1 ... k-5: short, as a Unix socket path is at most 107 bytes
SOCKET_PATH_MAX = 100  # bytes: room for "-NNNNN" within the 107 of sockaddr_un


class _Kernels:
    """The kernels this process is running, so that an interrupt can stop them all at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[AsyncKernelManager] = set()
        self.cancelled = False

    def add(self, km: AsyncKernelManager) -> None:
        with self.lock:
            self.running.add(km)
            cancelled = self.cancelled
        if cancelled:  # started after the interrupt: stop it straight away
            kill(km)

    def discard(self, km: AsyncKernelManager) -> None:
        with self.lock:
            self.running.discard(km)

    def kill_all(self) -> None:
        with self.lock:
            self.cancelled = True
            running = list(self.running)
        for km in running:
            kill(km)


KERNELS = _Kernels()


def kill(km: AsyncKernelManager) -> None:
    """SIGKILL a kernel's process (its manager still has to shut it down to free its resources)."""
    pid = getattr(km.provisioner, "pid", None) if km.provisioner else None
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


PREFIX = "annualreport-kernel-"  # then the pid of the process that started the kernel, "-" and a random part
_swept: set[str] = set()  # the folders whose stale kernel folders this process has removed


def private_folder() -> Path:
    """A new folder only this user can enter, in the temporary folder, or in /tmp when the
    temporary folder's path is too long for a Unix socket inside it."""
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    if len(os.fsencode(folder / f"{SOCKETS}-00000")) > SOCKET_PATH_MAX and Path("/tmp").is_dir():
        folder.rmdir()
        folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir="/tmp"))
    if str(folder.parent) not in _swept:
        _swept.add(str(folder.parent))
        sweep(folder.parent)
    return folder


def sweep(parent: Path) -> None:
    """Remove the kernel folders left in `parent` by processes that no longer run (a build killed
    with SIGKILL cannot remove its own; its kernels end with it)."""
    for folder in parent.glob(f"{PREFIX}*-*"):
        pid = folder.name[len(PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its process is gone
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive (another user's pid), or unreadable: not ours to remove
            continue


class TrackedKernelManager(AsyncKernelManager):
    """A kernel manager on private ipc sockets, logging the kernel's own output to a file, and
    registering its kernel in KERNELS while it runs (see the module docstring)."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.folder: Path | None = None
        self._log: IO[bytes] | None = None

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        if self.folder is None:
            self.folder = private_folder()
        if self.transport == "ipc":
            self.ip = str(self.folder / SOCKETS)
        if not self.connection_file:  # else jupyter_client writes it to the temporary folder (mkstemp)
            self.connection_file = str(self.folder / CONNECTION)
        if self._log is None:
            self._log = open(self.folder / LOG, "ab")
        kw.setdefault("stdout", self._log)
        kw.setdefault("stderr", self._log)
        await super().start_kernel(**kw)
        KERNELS.add(self)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        """Fork the kernel from a warmed kernel server when one can give it (kernel_server.py), else
        start it as a process of its own."""
        from annualreport.execution import kernel_server

        forked = kernel_server.launch(kernel_cmd, kw)
        if forked is None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        provisioner = self.provisioner
        assert provisioner is not None
        provisioner.process, provisioner.pid, provisioner.pgid = forked, forked.pid, forked.pid  # type: ignore[attr-defined]
        provisioner.cwd = kw.get("cwd")  # type: ignore[attr-defined]
        self._reconcile_connection_info(provisioner.connection_info)

    def log_size(self) -> int:
        """How many bytes the kernel's log holds (see log_since)."""
        try:
            return (self.folder / LOG).stat().st_size if self.folder is not None else 0
        except OSError:
            return 0

    def log_since(self, offset: int, limit: int = LOG_TAIL) -> str:
        """The end (at most `limit` characters) of what the kernel printed after `offset` bytes."""
        if self.folder is None:
            return ""
        try:
            with open(self.folder / LOG, "rb") as f:
                f.seek(max(offset, f.seek(0, os.SEEK_END) - limit))
                data = f.read()
        except OSError:
            return ""
        return data.decode("utf-8", "replace").strip()

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:  # type: ignore[override]
        try:
            await super().shutdown_kernel(now=now, restart=restart)
        finally:
            KERNELS.discard(self)
            if not restart:
                self._remove_folder()

    def _remove_folder(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
