"""Read the national statistics as DfE publishes them on Explore Education Statistics.

Files are read as published: UTF-8 with or without a byte-order mark, columns in any order,
and the EES symbols in value columns kept as typed states rather than NaN or zero.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from annualreport.errors import InputError

if TYPE_CHECKING:  # imported where a file is read: the states and symbols need no pandas
    import pandas as pd

MANDATORY_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name")


class State(str, Enum):
    """What a published cell holds: a number, or why there is none."""

    VALUE = "value"
    SUPPRESSED = "suppressed"  # c: small number, suppressed by the publisher
    NOT_AVAILABLE = "not available"  # x, or no row at all
    NOT_APPLICABLE = "not applicable"  # z
    LOW = "rounds to zero"  # low, k
    LOW_RELIABILITY = "low reliability"  # u


SYMBOLS = {
    "c": State.SUPPRESSED,
    "x": State.NOT_AVAILABLE,
    "z": State.NOT_APPLICABLE,
    "low": State.LOW,
    "k": State.LOW,
    "u": State.LOW_RELIABILITY,
    "": State.NOT_AVAILABLE,
}


@dataclass(frozen=True)
class Cell:
    """One published value: a number when state is VALUE, otherwise None."""

    value: float | None
    state: State

    @classmethod
    def parse(cls, raw: object, where: str = "") -> "Cell":
        """Parse a published cell: a number, or one of the EES symbols `c x z low u k`."""
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return cls(None, State.NOT_AVAILABLE)
        text = str(raw).strip()
        symbol = SYMBOLS.get(text.lower())
        if symbol is not None:
            return cls(None, symbol)
        try:
            return cls(float(text.replace(",", "")), State.VALUE)
        except ValueError:
            raise InputError(f"{where}: '{text}' is neither a number nor an EES symbol (c x z low u k)") from None


PARSER_FAULT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv_cells(path: Path) -> pd.DataFrame:
    """Any CSV, every cell as text, header names stripped (a byte-order mark is dropped).

    A file that is missing, not UTF-8, or has a row with more fields than its header raises
    InputError naming the file and the row, never a pandas traceback."""
    import pandas as pd

    if not path.is_file():
        raise InputError(f"{path}: national statistics file missing")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as e:
        found = PARSER_FAULT.search(str(e))  # pandas counts lines from 1 with the header: a spreadsheet's rows
        row = int(found.group(2)) if found else None
        what = (f"{found.group(3)} fields where the header has {found.group(1)}: a value with a comma must be in "
                "double quotes, or the row has a field too many") if found else str(e).strip()
        raise InputError(f"{path.name}{f', row {row}' if row else ''}: {what}", row, "wrong layout") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: the file is empty (no header row)", None, "unreadable file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path.name}: not UTF-8 text (byte {e.start}); save it as CSV UTF-8", None,
                         "unreadable file") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


@lru_cache(maxsize=32)
def read_ees(path: Path) -> pd.DataFrame:
    """Read one EES tidy CSV with every column as text; cached per path.

    Raises InputError when the file is missing or lacks the mandatory EES columns.
    """
    frame = read_csv_cells(path)
    missing = [c for c in MANDATORY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path.name}: missing mandatory EES column(s) {', '.join(missing)}")
    frame["time_period"] = frame["time_period"].astype(int)
    return frame
