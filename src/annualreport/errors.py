"""Error types that carry what a person needs to fix the problem."""

from __future__ import annotations


class AnnualReportError(Exception):
    """Base class: every error the CLI shows as a message rather than a traceback."""


class ParamsError(AnnualReportError):
    """A params file is missing, unreadable or invalid; the message lists every problem."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{path}: invalid parameters\n{lines}")


class InputError(AnnualReportError):
    """An input data file is missing or not in the published form. `row` (as a spreadsheet counts
    them, the header being row 1) and `kind` say where and what, when the reader knows."""

    def __init__(self, message: str, row: int | None = None, kind: str = ""):
        super().__init__(message)
        self.row = row
        self.kind = kind


class InputProblems(AnnualReportError):
    """Inputs failed their checks; `problems` holds one line per fault (file, row, column)."""

    def __init__(self, problems: list, why: str):
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{why}; nothing was built:\n{lines}")


class ChapterFailed(AnnualReportError):
    """A chapter notebook raised while executing.

    Attributes name the chapter, the failing cell (1-based index among code cells and its
    first source line), the exception, and where the executed notebook was kept.
    """

    def __init__(self, chapter: str, cell: str, exception: str, notebook: str):
        self.chapter = chapter
        self.cell = cell
        self.exception = exception
        self.notebook = notebook
        super().__init__(
            f"chapter '{chapter}' failed in {cell}: {exception}\n"
            f"  executed notebook kept for inspection: {notebook}"
        )


class RenderError(AnnualReportError):
    """A renderer (pandoc, typst or quarto) failed or is not installed."""


class BuildFolderError(AnnualReportError):
    """The build folder cannot be written (read-only, full disk, a file where a folder should be)."""

    def __init__(self, folder: str, error: OSError):
        self.folder = folder
        self.error = error
        what = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename else ""
        super().__init__(f"cannot write the report in {folder}/: {what}{where}; "
                         "the previous report and the cache were left as they were")


class DirtyTree(AnnualReportError):
    """A final report would cite a commit that does not hold the files it was built from."""

    def __init__(self, files: list[str]):
        self.files = files
        shown = "\n".join(f"  {f}" for f in files)
        super().__init__("a final report must be built from committed files, and these differ from the commit "
                         f"(modified, untracked or ignored):\n{shown}\n"
                         "commit them, or build with --allow-dirty (the report's appendix will then say so)")
