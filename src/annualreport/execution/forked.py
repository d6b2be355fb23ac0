"""A forked child that becomes a program of its own, as `python -m MODULE ARGS` would start it.

The kernel server (kernel_server.py) forks each kernel from a process that has already made the
heavy imports; the tests fork each command the same way (tests/cli_fork.py). The child must then look
like a fresh process of that program, and end like one: `become` gives it its standard streams,
working folder, environment, `sys.argv` and `sys.path[0]`; `run_as_main` runs the program and exits
with the status the interpreter would give (non-daemon threads joined, exit functions run).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
from typing import Callable, NoReturn


def become(cwd: str, env: dict[str, str], argv: list[str], stdout: str, stderr: str) -> None:
    """Standard input /dev/null, standard output and error appended to the files `stdout` and
    `stderr` (one file when they are the same path), `cwd`, exactly `env`, `argv`, and `cwd` as
    `sys.path[0]` (as `python -m` sets it)."""
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    out = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(out if stderr == stdout else os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 2)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = list(argv)
    sys.path[0] = cwd


def run_as_main(main: Callable[[], object]) -> NoReturn:
    """Run `main` as a process's program and end the process as the interpreter would."""
    code = 1
    try:
        main()
        code = 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - as an uncaught exception ends a process
        traceback.print_exc()
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # the interpreter joins non-daemon threads
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    finally:
        os._exit(code)
