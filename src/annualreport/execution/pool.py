"""A pool of kernels shared by the chapters of many reports (placeholder).

This placeholder only holds `size`: builds given a pool still start a fresh kernel per chapter.
The warm pool (kernels started once with the heavy imports done, reset between chapters)
replaces it with the same interface.
"""

from __future__ import annotations


class KernelPool:
    """Kernels for chapters; `with KernelPool(size) as pool:` shuts them all down on exit."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, *exc: object) -> None:
        """Shuts all kernels down (the placeholder holds none)."""
