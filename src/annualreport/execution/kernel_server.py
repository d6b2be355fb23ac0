"""Kernels forked from one warmed process: the heavy imports paid once, not once per kernel.

A kernel started as a process of its own spends about a CPU-second starting Python and importing
ipykernel, pandas, matplotlib and the chapters' modules (kernel_state.WARM_IMPORTS). A kernel server
does that once; each kernel is then a child it forks (a few milliseconds), which starts ipykernel
exactly as `python -m ipykernel_launcher` would: its own session (as jupyter_client starts
kernels), the connection file, arguments, working folder and environment it was asked for, its
output to the kernel's log. So a build of two kernels pays for one set of imports, and a kernel
replaced after a failure, or recycled in a batch, starts at once.

The server is a process of its own (`python -m annualreport.execution.kernel_server`), with one
thread, listening on a Unix socket in a private folder. A client (TrackedKernelManager, through
`launch`) connects once per kernel and keeps that connection while the kernel runs; the server
answers with the kernel's pid, and later with its exit status. A connection that closes (the
build was killed) kills its kernel; a server whose standard input closes (the process that
started it has gone) kills every kernel and stops.

Each process starts its own server when it first starts a kernel. `ANNUALREPORT_KERNEL_SERVER=PATH`
makes it use a running one instead (started with `--socket PATH`), as a series of builds on one
machine may (the tests do); `ANNUALREPORT_KERNEL_SERVER=none` starts every kernel as a process of
its own. Whichever it is, a kernel is forked only when that gives the kernel a
fresh one would have: the server must run this same code (the digest of this library's code) with
the same Python, and the environment variables read while the imports were made (IMPORT_TIME) must
be the kernel's. Otherwise, or when no server can be started, the kernel is started as a process
of its own, as before.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import json
import os
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ENVIRONMENT = "ANNUALREPORT_KERNEL_SERVER"  # a running server's socket, or NONE
NONE = "none"  # every kernel a process of its own, as without a server
INLINE = "module://matplotlib_inline.backend_inline"  # the backend ipykernel gives matplotlib
# Environment variables that the imports read (Python's own, locale, time zone, matplotlib's and the
# maths libraries' settings, the folders they keep configuration in): a kernel whose values differ
# from the server's is started as a process of its own.
IMPORT_TIME = ("PYTHON", "MPL", "OMP_", "OPENBLAS_", "MKL_", "NUMEXPR_", "LC_", "LANG", "TZ", "HOME", "XDG_")
STARTUP_TIMEOUT = 60  # seconds for a server to import what kernels use


def import_env(env: dict[str, str]) -> dict[str, str]:
    """The variables of `env` that the imports read, with matplotlib's backend as a kernel has it."""
    found = {k: v for k, v in env.items() if k.startswith(IMPORT_TIME)}
    found["MPLBACKEND"] = env.get("MPLBACKEND") or INLINE
    return found


@functools.lru_cache(maxsize=1)
def identity() -> dict[str, Any]:
    """What a server and its client must share: this library's code and the Python running it."""
    from annualreport.execution.cache import code_digest

    return {"code": code_digest(), "python": sys.executable}


# -- the client: a kernel launched through a server -------------------------------------------------
class ForkedKernel:
    """The part of `subprocess.Popen` that jupyter_client uses, for a kernel the server forked: its
    exit status is the server's last answer on the kernel's connection."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._conn = conn

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            answer = _answer(self._conn)  # its exit status, or nothing: the server has gone, and the kernel with it
            self.returncode = answer.get("returncode", -signal.SIGKILL)
            self._conn.close()
        return self.returncode

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _answer(conn: socket.socket) -> dict[str, Any]:
    """One JSON line (a request or an answer) read from `conn`, byte by byte so that nothing after it
    is taken; {} at its end."""
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            return {}
        line += byte
    return json.loads(line)


class _Own:
    """This process's own server, started when it first launches a kernel."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path: str | None = None
        self.process: subprocess.Popen | None = None
        self.failed = False

    def socket_path(self) -> str | None:
        with self.lock:
            if self.path is None and not self.failed:
                try:
                    self.path, self.process = start()  # its standard input stays open while this process runs
                except (OSError, RuntimeError, subprocess.SubprocessError):
                    self.failed = True  # kernels start as processes of their own
                else:
                    atexit.register(self.stop)
            return self.path

    def stop(self) -> None:
        """Stop the server (it kills any kernel left) and wait for it, so that its work is this
        process's (counted in its children's CPU time) and nothing outlives it."""
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_OWN = _Own()


def start() -> tuple[str, subprocess.Popen]:
    """Start a server that stops when the returned process's standard input is closed (at the latest
    when this process ends); its socket path and process."""
    from annualreport.execution.kernel_manager import private_folder

    folder = private_folder()  # as a kernel's: short enough for a socket, removed by `sweep` if left behind
    path = str(folder / "s")
    proc = subprocess.Popen([sys.executable, "-m", "annualreport.execution.kernel_server", "--socket", path, "--owned"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=folder)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], STARTUP_TIMEOUT)
    if not ready or proc.stdout.readline().strip() != b"ready":
        proc.kill()
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError("the kernel server did not start")
    return path, proc


def launch(cmd: list[str], kw: dict[str, Any]) -> ForkedKernel | None:
    """Have a server fork the kernel that `cmd` (ipykernel_launcher's command line) with the Popen
    arguments `kw` would start; None when it cannot (the caller starts the kernel itself)."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"] or not hasattr(kw.get("stdout"), "name"):
        return None
    path = os.environ.get(ENVIRONMENT) or _OWN.socket_path()
    if not path or path == NONE:
        return None
    env = dict(kw.get("env") or os.environ)
    env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
    request = {"args": cmd[3:], "cwd": str(kw.get("cwd") or os.getcwd()), "env": env, "log": kw["stdout"].name,
               **identity()}
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(STARTUP_TIMEOUT)
        conn.connect(path)
        conn.sendall(json.dumps(request).encode() + b"\n")
        answer = _answer(conn)
        conn.settimeout(None)
    except (OSError, ValueError):
        answer = {}
    if "pid" not in answer:  # refused (another code, Python or environment), or no server
        conn.close()
        return None
    return ForkedKernel(answer["pid"], conn)


# -- the server ----------------------------------------------------------------------------------------
class Server:
    """Forks kernels on request; one thread, one selector (see the module docstring)."""

    def __init__(self, path: str, owned: bool) -> None:
        self.path = path
        self.owned = owned
        self.identity = identity()
        self.env = import_env(dict(os.environ))
        self.kernels: dict[int, socket.socket] = {}  # pid -> the connection that asked for it
        self.selector = selectors.DefaultSelector()
        self.listener = _listen(path)
        self.wakeup_r, wakeup_w = os.pipe()
        os.set_blocking(self.wakeup_r, False)
        os.set_blocking(wakeup_w, False)
        signal.set_wakeup_fd(wakeup_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        # A build's own server leaves Ctrl-C to the build (it kills the kernels); one started by hand stops.
        signal.signal(signal.SIGINT, signal.SIG_IGN if owned else lambda *_: self.stop())
        signal.signal(signal.SIGTERM, lambda *_: self.stop())
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, self._reap)
        if owned:
            self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, self._owner)

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                key.data(key.fileobj)

    def _accept(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        try:
            conn.settimeout(10)
            request = _answer(conn)
            refusal = self._refusal(request)
            if refusal:
                conn.sendall(json.dumps({"refused": refusal}).encode() + b"\n")
                conn.close()
                return
            pid = os.fork()
            if pid == 0:
                self._become_kernel(request)
            self.kernels[pid] = conn
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            self.selector.register(conn, selectors.EVENT_READ, lambda c, pid=pid: self._closed(c, pid))
        except (OSError, ValueError):
            conn.close()

    def _refusal(self, request: dict) -> str:
        if {k: request.get(k) for k in self.identity} != self.identity:
            return "another version of the code or another Python"
        if import_env(request.get("env") or {}) != self.env:
            return "another environment"
        return ""

    def _closed(self, conn: socket.socket, pid: int) -> None:
        """The client's connection closed (or sent something): its kernel goes."""
        self.selector.unregister(conn)
        if self.kernels.pop(pid, None) is not None:
            _kill(pid)
        conn.close()

    def _reap(self, _: Any) -> None:
        try:
            while os.read(self.wakeup_r, 512):
                pass
        except BlockingIOError:
            pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.kernels.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
                except OSError:
                    pass
                self.selector.unregister(conn)
                conn.close()

    def _owner(self, fd: int) -> None:
        if not os.read(fd, 512):  # the process that started this server has gone
            self.stop()

    def stop(self) -> None:
        for pid in list(self.kernels):
            _kill(pid)
        Path(self.path).unlink(missing_ok=True)
        if self.owned:
            Path(self.path).parent.rmdir()
        os._exit(0)

    def _become_kernel(self, request: dict) -> None:
        """In the forked child: start ipykernel as `python -m ipykernel_launcher ARGS` would. Never returns."""
        from annualreport.execution.forked import become, run_as_main

        try:
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM):
                signal.signal(signum, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self.selector.close()
            self.listener.close()
            os.close(self.wakeup_r)
            for conn in self.kernels.values():
                conn.close()
            os.setsid()
            launcher = Path(__import__("ipykernel").__file__).parent.with_name("ipykernel_launcher.py")
            become(request["cwd"], request["env"], [str(launcher), *request["args"]], request["log"], request["log"])
        except BaseException:  # noqa: BLE001 - nothing of the server may go on in the child
            os._exit(1)
        from ipykernel.kernelapp import IPKernelApp

        run_as_main(lambda: IPKernelApp.launch_instance(argv=request["args"]))


def _listen(path: str) -> socket.socket:
    """A Unix socket listening at `path`, which only this user may connect to; the socket of a
    server that is no longer running is replaced, anything else at `path` is an error."""
    if os.path.exists(path):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except ConnectionRefusedError:  # left by a server that was killed
            os.unlink(path)
        except OSError as e:
            raise SystemExit(f"kernel server: {path} exists and is not a server's socket ({e.strerror or e})") from None
        else:
            raise SystemExit(f"kernel server: another server is listening at {path}")
        finally:
            probe.close()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    return listener


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session: it and what it started
    except OSError:
        pass


# What a kernel imports as it starts, after the fork: its debugger (debugpy, about 0.1 CPU-second),
# IPython's history database and object inspector. Imported here, once, for every kernel.
KERNEL_IMPORTS = ("ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.history", "IPython.core.oinspect", "sqlite3")


def warm() -> None:
    """Import what every kernel imports, as a kernel has them (ipykernel, then the chapters' modules)."""
    import gc
    import importlib

    from annualreport.execution.kernel_state import WARM_IMPORTS

    os.environ["MPLBACKEND"] = os.environ.get("MPLBACKEND") or INLINE  # as ipykernel sets it before any import
    # debugpy's import warns that breakpoints may be missed under frozen modules: no one debugs these kernels
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    importlib.import_module("ipykernel.kernelapp")
    for name in KERNEL_IMPORTS + WARM_IMPORTS:
        importlib.import_module(name)
    # What the imports made lives as long as every kernel: out of the garbage collector's sight, so
    # that a kernel's collections do not go through it (nor write to, and so copy, its pages).
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m annualreport.execution.kernel_server",
                                     description="Fork warmed kernels for builds (set ANNUALREPORT_KERNEL_SERVER=PATH to use it).")
    parser.add_argument("--socket", required=True, help="the Unix socket to listen on (a path of at most 100 bytes)")
    parser.add_argument("--owned", action="store_true", help="stop when standard input closes (a build's own server)")
    args = parser.parse_args(argv)
    warm()
    if threading.active_count() != 1:
        raise SystemExit("kernel server: a thread runs after the imports; kernels cannot be forked safely")
    server = Server(args.socket, args.owned)
    print("ready", flush=True)
    server.serve()


if __name__ == "__main__":
    main()
