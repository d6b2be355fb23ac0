"""Where a project's folders are: params/, data/, notebooks/ and build/.

A project is the folder holding `params/` and `notebooks/`; commands look for it from the
current folder upwards, so they work from any sub-folder of a checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from annualreport.errors import AnnualReportError


@dataclass(frozen=True)
class Project:
    """The folders of one annualreport project."""

    root: Path

    @property
    def params_dir(self) -> Path:
        return self.root / "params"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def national_dir(self) -> Path:
        return self.root / "data" / "national"

    @property
    def reference_dir(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def rel(self, path: Path) -> str:
        """`path` relative to the project root when inside it (following no links), for messages and manifests."""
        for candidate, root in ((path, self.root), (path.resolve(), self.root.resolve())):
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                continue
        return str(path)


def find_project(start: Path | None = None) -> Project:
    """The project containing `start` (default: the current folder).

    Raises AnnualReportError when no folder upwards holds both `params/` and `notebooks/`.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "params").is_dir() and (folder / "notebooks").is_dir():
            return Project(folder)
    raise AnnualReportError(
        f"no annualreport project found in {here} or above "
        "(a project folder holds params/ and notebooks/); use --project DIR"
    )
