"""Runs inside a warm kernel (pool.py): the heavy imports once, and a reset between chapters.

A chapter executed on a warm kernel must give the same executed notebook, byte for byte, as one
executed on a fresh kernel. So before each chapter `reset(folder)` puts back what a fresh kernel
has: an empty user namespace with execution count 1, the chapter's build folder as working folder
(as nbclient starts a fresh kernel there), no open figures, the matplotlib rcParams, warning
filters (and their "shown once" registries), `sys.path` and environment variables as they were
after the warm-up, and empty caches in this library's modules.

What a reset cannot put back (a chapter that replaced a function of this library, changed a
pandas option or numpy's error handling, registered a display formatter, started a thread...)
shows up in `fingerprint()`, which `reset` returns: when it differs from the warm-up's, the pool
replaces the kernel with a fresh one before running the chapter.

This module imports only the standard library at import time; the kernel imports it by name.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import sys
import threading
import warnings
from typing import Any

# The modules a chapter uses, imported once when the kernel starts (what each fresh kernel paid for).
WARM_IMPORTS = (
    "pandas", "numpy", "matplotlib", "matplotlib.pyplot", "afcharts.af_colours",
    "IPython.display", "annualreport.chapters.chapter", "annualreport.chapters.local_view",
    "annualreport.chapters.charts", "annualreport.publication.suppression", "annualreport.inputs.local_schema",
)

_baseline: dict[str, Any] = {}
# What the chapter running now has printed (characters), and the most the kernel forwards: see limit_streams.
_printed = [0, 0]


def warm_up(stream_limit: int = 0) -> str:
    """Import what chapters use, record the state a reset restores, and return the fingerprint;
    with `stream_limit`, cap what each chapter prints (limit_streams).

    What the imports made is then frozen out of the garbage collector's sight (gc.freeze): those
    objects live as long as the kernel, and a full collection, which IPython's reset runs before
    every chapter, would otherwise go through all of them each time (most of a reset's time)."""
    import gc
    import importlib

    for name in WARM_IMPORTS:
        importlib.import_module(name)
    if stream_limit:
        limit_streams(stream_limit)
    order_streams()
    gc.collect()
    gc.freeze()
    import matplotlib

    _baseline["rcParams"] = dict(matplotlib.rcParams)
    _baseline["filters"] = list(warnings.filters)
    _baseline["path"] = list(sys.path)
    _baseline["environ"] = dict(os.environ)
    _baseline["main"] = {k: v for k, v in _user_ns().items() if k.startswith("__") and k.endswith("__")}
    return reset(os.getcwd())


def limit_streams(limit: int) -> None:
    """Forward at most `limit` characters (and one more) of what a chapter prints to stdout and stderr.

    ipykernel sends what is printed between two flushes (a fifth of a second) as one message: a
    loop printing hundreds of megabytes reaches the build as one message of that size, read whole
    (seconds, and its size in memory several times over) before the build's own limit on outputs
    (execute.BoundedClient) can cut the chapter off. Capped here, the build gets just past its limit
    and stops the kernel; what the chapter prints beyond it is dropped. `reset` starts the count again."""
    _printed[1] = limit

    def capped(write: Any) -> Any:
        def write_capped(text: str) -> int:
            room = _printed[1] + 1 - _printed[0]
            if room <= 0:
                return len(text)
            _printed[0] += min(len(text), room)
            return write(text[:room]) if len(text) > room else write(text)

        return write_capped

    for stream in (sys.stdout, sys.stderr):
        stream.write = capped(stream.write)  # type: ignore[method-assign]


def order_streams() -> None:
    """Send what a chapter prints to stdout and stderr in the order it printed it.

    ipykernel buffers each stream on its own and sends a stream's buffer a fifth of a second after
    its first write: a cell that prints, warns and prints again would give [out, err, out] or
    [out+out, err] depending on the machine's load, and so two executed notebooks (and two reports:
    stderr is dropped, the two prints become one block or two) from one chapter. Here a write to one
    stream first flushes the other if it was written last, so the order is always the cell's."""
    last: list[Any] = [None]

    def ordered(stream: Any, other: Any) -> Any:
        write = stream.write

        def write_ordered(text: str) -> int:
            if last[0] is other:
                other.flush()  # ipykernel: sent before this stream's text is buffered
            last[0] = stream
            return write(text)

        return write_ordered

    out, err = sys.stdout, sys.stderr
    out.write, err.write = ordered(out, err), ordered(err, out)  # type: ignore[method-assign]


def _user_ns() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def _clear_caches() -> None:
    """Empty every functools cache of this library's modules (they are keyed by relative paths too)."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "annualreport" or name.startswith("annualreport.")):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type):  # a class with a cache_clear method (hashes._Memo): not a cache itself
                continue
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def reset(folder: str) -> str:
    """Make this kernel look like a fresh one started in `folder`; return the fingerprint."""
    import matplotlib
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    os.chdir(folder)
    _printed[0] = 0
    plt.close("all")
    matplotlib.rcParams.clear()  # RcParams.clear bypasses validation of the keys it removes
    dict.update(matplotlib.rcParams, _baseline["rcParams"])
    warnings.filters[:] = _baseline["filters"]
    warnings._filters_mutated()  # type: ignore[attr-defined]  # forgets which warnings were shown once
    sys.path[:] = _baseline["path"]
    if dict(os.environ) != _baseline["environ"]:
        os.environ.clear()
        os.environ.update(_baseline["environ"])
    _clear_caches()
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # namespace, history, Out; execution count back to 1
        shell.user_ns.update(_baseline["main"])
    return fingerprint()


def _module_state(name: str, module: Any) -> list:
    out = []
    for key, value in sorted(vars(module).items()):
        size = len(value) if isinstance(value, (dict, list, set)) else None
        out.append((key, id(value), size))
    return [name, out]


def fingerprint() -> str:
    """A digest of the kernel state that `reset` does not restore (see the module docstring)."""
    import matplotlib.units
    import numpy as np
    import pandas as pd
    from IPython import get_ipython

    parts: list[Any] = []
    for name in sorted(sys.modules):
        module = sys.modules[name]
        if module is not None and (name == "annualreport" or name.startswith("annualreport.")):
            parts.append(_module_state(name, module))
    parts.append(repr(pd._config.config._global_config))  # type: ignore[attr-defined]  # every pandas option
    parts.append(sorted(np.geterr().items()))
    parts.append(sorted(map(str, matplotlib.units.registry)))
    parts.append(threading.active_count())
    parts.append(sorted(vars(builtins)))
    shell = get_ipython()
    if shell is not None:
        for mime, formatter in sorted(shell.display_formatter.formatters.items()):
            parts.append((mime, len(formatter.type_printers), len(formatter.deferred_printers)))
        parts.append(sorted((event, len(callbacks)) for event, callbacks in shell.events.callbacks.items()))
        parts.append(len(shell.input_transformers_post))
    parts.append((id(sys.displayhook), id(sys.excepthook)))
    return hashlib.sha256(repr(parts).encode()).hexdigest()
