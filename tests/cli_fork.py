"""Run `python -m annualreport ...` as a forked child of a server that has already imported it.

Each test process (each xdist worker) starts one server the first time it runs a command. The
server imports the command line and everything a build imports (pandas, nbclient, the store, the
final gate, the renderers, and IPython, which jupyter_client imports to find a kernel: about 1
CPU-second per process), and then, for each command, forks a child that becomes that command, as the kernel
server's children become kernels (execution/forked.py): standard input /dev/null, standard output
and error to files, its own working folder, environment and `sys.path[0]`, `sys.argv` as `python -m
annualreport` sets it. The child runs `annualreport.cli.main` and exits as the interpreter would
(non-daemon threads joined, exit functions run, then its exit status). The server answers with the
child's exit status, wall time and its own peak resident memory (`os.wait4`), so the time and memory
bounds of the bad-input corpus still hold for the command alone.

Nothing of a command stays in the server: every child is forked from the same state, in which no
command has run (no cache filled, no kernel started, one thread). A test that needs the real
process (a signal sent to it, `-X importtime`, two builds at once) starts `python -m annualreport`
itself, as before.

Run as a script, this file is the server: requests and answers are JSON lines on its standard input
and on the file descriptor given as its argument.
"""

from __future__ import annotations

import gc
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROG = "python -m annualreport"  # the name click gives the program when it is run that way


@dataclass(frozen=True)
class Result:
    """What a command did: its exit status, what it printed, its wall time and peak memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float

    def completed(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, self.returncode, self.stdout, self.stderr)


class Server:
    """One server process, for the commands of this test process (one command at a time)."""

    def __init__(self) -> None:
        read, self._answers_fd = os.pipe()
        self._proc = subprocess.Popen([sys.executable, __file__, str(self._answers_fd)], stdin=subprocess.PIPE,
                                      pass_fds=(self._answers_fd,), text=True)
        os.close(self._answers_fd)
        self._answers = os.fdopen(read, "r", encoding="utf-8")
        self._lock = threading.Lock()

    def run(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float, merge: bool = False) -> Result:
        """Run `python -m annualreport ARGS` in `cwd` with `env`; stderr into stdout when `merge`.
        A command still running after `timeout` seconds is killed (subprocess.TimeoutExpired)."""
        with self._lock, tempfile.TemporaryDirectory(prefix="cli-fork-") as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(out if merge else err)}
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            pid = json.loads(self._readline(60))["pid"]
            try:
                answer = json.loads(self._readline(timeout))
            except subprocess.TimeoutExpired:
                os.kill(pid, 9)
                self._readline(60)
                raise subprocess.TimeoutExpired([PROG, *args], timeout) from None
            text = out.read_text(encoding="utf-8", errors="replace")
            return Result(answer["returncode"], text, "" if merge else err.read_text(encoding="utf-8", errors="replace"),
                          answer["seconds"], answer["max_rss_kb"] / 1024)

    def _readline(self, timeout: float) -> str:
        ready, _, _ = select.select([self._answers], [], [], timeout)
        if not ready:
            raise subprocess.TimeoutExpired("cli_fork", timeout)
        line = self._answers.readline()
        if not line:
            raise RuntimeError(f"the command server stopped (exit status {self._proc.wait()})")
        return line

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
        self._answers.close()


_server: Server | None = None
_server_lock = threading.Lock()


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 900, merge: bool = False) -> Result:
    """Run a command on this process's server (started on first use, stopped at exit)."""
    global _server
    with _server_lock:
        if _server is None:
            import atexit

            _server = Server()
            atexit.register(_server.close)
    return _server.run(args, cwd, dict(os.environ if env is None else env), timeout, merge)


# -- the server and its children -------------------------------------------------------------------
def _child(request: dict) -> None:
    """Become the command of `request`; never returns."""
    from annualreport.execution.forked import become, run_as_main

    main_py = Path(__import__("annualreport").__file__).with_name("__main__.py")
    become(request["cwd"], request["env"], [str(main_py), *request["args"]], request["stdout"], request["stderr"])
    from annualreport.cli import main

    run_as_main(lambda: main(args=request["args"], prog_name=PROG))


def serve(answers_fd: int) -> None:
    """Import once, then fork a child for every request read on standard input."""
    import annualreport.build  # noqa: F401  - what every build imports
    import annualreport.cli  # noqa: F401
    import annualreport.execution.batch  # noqa: F401
    import annualreport.execution.execute  # noqa: F401
    import annualreport.execution.kernel_server  # noqa: F401
    import annualreport.execution.pool  # noqa: F401
    import annualreport.inputs.checks  # noqa: F401
    import annualreport.publication.gate  # noqa: F401  - with pandas, as every build's final gate reads tables
    import annualreport.render.embedded  # noqa: F401
    import annualreport.render.pdf_row_headers  # noqa: F401  - with pikepdf, as the PDF is made
    import annualreport.render.quarto  # noqa: F401
    import annualreport.store.figures  # noqa: F401  - the store, made or read when a chapter executes
    import IPython.paths  # noqa: F401  - IPython, as jupyter_client looks for kernels: 0.18 s of every build that executes a chapter
    import ipykernel.kernelspec  # noqa: F401
    import psutil  # noqa: F401

    assert threading.active_count() == 1, "the command server must not fork with threads running"
    # What the server imported is kept out of the garbage collector's full collections, in every child
    # (as a build keeps its imports out: execution/batch.py): without it a build's child spent 0.1 CPU-s
    # walking them, and copied the pages it touched.
    gc.collect()
    gc.freeze()
    answers = os.fdopen(answers_fd, "w", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing the server prints reaches the protocol
    for line in sys.stdin:
        request = json.loads(line)
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            answers.close()
            _child(request)
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()
        _, status, usage = os.wait4(pid, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - start,
                                  "max_rss_kb": usage.ru_maxrss}) + "\n")
        answers.flush()


if __name__ == "__main__":
    sys.stdin.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    serve(int(sys.argv[1]))
