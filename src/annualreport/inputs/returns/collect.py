"""`annualreport returns collect`: read completed workbooks back into the local inputs.

Every fault is reported by workbook, sheet and cell, and nothing is written unless every workbook
passes: first the cells themselves (labels unchanged, each figure a valid number or x), then the
local files as they would be written, through the same checks as `annualreport check` (totals,
percentages, duplicates), each fault mapped back to the cell it came from. A sheet left wholly
blank is an input not provided yet: its local file is left as it is.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from annualreport.inputs.checks import TABLE_CHECKS, Context, local_folder, read_table
from annualreport.inputs.local_schema import DATASET_BY_NAME, DATASETS, STANDARD_COLUMNS, Dataset, Measure, time_period_code
from annualreport.inputs.local_template import META_COLUMNS, meta_rows, write_csv
from annualreport.inputs.params import ReportParams
from annualreport.inputs.relations import all_relation_faults
from annualreport.inputs.returns.layout import (
    FIRST_ROW,
    HEADER_ROW,
    NOT_AVAILABLE,
    RECORD_SHEET,
    SheetRecord,
    decode_record,
    expected_kind,
    first_measure_column,
    header,
    label_cells,
    read_rows,
    sheet_name,
)
from annualreport.project import Project

INVALID = "invalid"  # stands in for a figure already reported as a fault


@dataclass(frozen=True)
class Fault:
    workbook: str
    sheet: str | None
    cell: str | None
    message: str

    def __str__(self) -> str:
        where = self.workbook + (f", sheet {self.sheet}" if self.sheet else "") + (f", cell {self.cell}" if self.cell else "")
        return f"{where}: {self.message}"


@dataclass
class Collected:
    """One dataset's figures read from one sheet: CSV rows, and where each came from."""

    dataset: Dataset
    workbook: str
    sheet: str
    rows: list[dict[str, str]] = field(default_factory=list)
    sheet_rows: list[int] = field(default_factory=list)  # the sheet row of each CSV row


def cell_text(value: object, measure: Measure) -> str | None:
    """A figure cell as CSV text; None when it is not a valid figure (blank is '')."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == NOT_AVAILABLE:
            return NOT_AVAILABLE
        try:
            value = Decimal(text.replace(",", ""))
        except ArithmeticError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None  # a date, a formula error, a tick box
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return None
    if measure.unit == "count" and (number < 0 or number != number.to_integral_value()):
        return None
    if measure.unit == "percent" and not 0 <= number <= 100:
        return None
    if measure.unit == "rate_per_10k" and number < 0:
        return None
    return str(int(number)) if measure.unit == "count" else (repr(value) if isinstance(value, float) else str(value))


def read_sheet(ws: Worksheet, record: SheetRecord, book: str, params: ReportParams, faults: list[Fault]) -> Collected | None:
    """The figures of one sheet, or None when every figure is blank (not provided yet)."""
    dataset = DATASET_BY_NAME[record.dataset]
    year = params.report.year
    for col, text in enumerate(header(dataset), start=1):
        if (ws.cell(HEADER_ROW, col).value or "") != text:
            faults.append(Fault(book, ws.title, f"{get_column_letter(col)}{HEADER_ROW}",
                                f"the heading was changed: found {ws.cell(HEADER_ROW, col).value!r}; expected {text!r}"))
    start = first_measure_column(dataset)
    collected = Collected(dataset, book, ws.title)
    filled = False
    for offset, key in enumerate(record.keys):
        row = FIRST_ROW + offset
        spare = bool(dataset.filters) and all(v == "" for v in key[4:])
        texts = {}
        for i, m in enumerate(dataset.measures):
            coord = f"{get_column_letter(start + i)}{row}"
            text = cell_text(ws[coord].value, m)
            if text is None:
                faults.append(Fault(book, ws.title, coord, f"{m.label}: found {ws[coord].value!r}; expected {expected_kind(m)}"))
                text = INVALID  # reported once; never written, since a fault stops the writing
            texts[m.name] = text
        labels = label_cells(key, dataset, year, params.partnership.name)
        if spare:
            categories = [str(ws.cell(row, 3 + i).value or "").strip() for i in range(len(dataset.filters))]
            if not any(texts.values()):
                continue  # an unused spare row
            for i, value in enumerate(categories):
                if not value:
                    faults.append(Fault(book, ws.title, f"{get_column_letter(3 + i)}{row}",
                                        f"{dataset.filters[i].label}: a row with figures needs its category"))
            key = (*key[:4], *categories)
        else:
            for col, text in enumerate(labels, start=1):
                found = ws.cell(row, col).value
                if str(found or "") != text:
                    faults.append(Fault(book, ws.title, f"{get_column_letter(col)}{row}",
                                        f"the row's label was changed: found {found!r}; expected {text!r}"))
        filled = filled or any(texts.values())
        standard = dict(zip(STANDARD_COLUMNS, (time_period_code(year), *key[:4])))
        collected.rows.append({**standard, **{f.name: key[4 + i] for i, f in enumerate(dataset.filters)}, **texts})
        collected.sheet_rows.append(row)
    if not filled:
        return None
    for csv_row, row in zip(collected.rows, collected.sheet_rows):
        for i, m in enumerate(dataset.measures):
            if csv_row[m.name] == "":
                faults.append(Fault(book, ws.title, f"{get_column_letter(start + i)}{row}",
                                    f"{m.label}: blank in a sheet that has figures; expected {expected_kind(m)}"))
    return collected


def read_workbook(path: Path, params: ReportParams, faults: list[Fault]) -> list[Collected]:
    book = path.name
    try:
        wb = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        faults.append(Fault(book, None, None, f"cannot be read as an Excel workbook (.xlsx): {e}"))
        return []
    if RECORD_SHEET not in wb.sheetnames:
        faults.append(Fault(book, None, None, "not a returns workbook made by `annualreport returns make` "
                                              f"(its hidden sheet {RECORD_SHEET} is missing)"))
        return []
    try:
        fields, records = decode_record([list(r) for r in wb[RECORD_SHEET].iter_rows(values_only=True)])
    except (ValueError, TypeError) as e:
        faults.append(Fault(book, RECORD_SHEET, None, f"the workbook's record is damaged: {e}"))
        return []
    wanted = (params.partnership_id, params.report.year)
    if (fields.get("partnership"), fields.get("year")) != wanted:
        faults.append(Fault(book, None, None, f"made for {fields.get('partnership')} {fields.get('year')}, "
                                              f"not {wanted[0]} {wanted[1]}"))
        return []
    out = []
    for record in records:
        if record.sheet not in wb.sheetnames or record.dataset not in DATASET_BY_NAME:
            faults.append(Fault(book, record.sheet, None, "the sheet is missing or was renamed; expected a sheet "
                                                          f"named {sheet_name(DATASET_BY_NAME[record.dataset])!r}"))
            continue
        collected = read_sheet(wb[record.sheet], record, book, params, faults)
        if collected is not None:
            out.append(collected)
    return out


def merged_rows(existing: list[dict[str, str]], new: list[dict[str, str]], year: str) -> list[dict[str, str]]:
    """The local file's rows with the year's rows replaced by `new`, in the place they had."""
    code = time_period_code(year)
    at = next((i for i, r in enumerate(existing) if r.get("time_period", "").strip() == code), None)
    others = [r for r in existing if r.get("time_period", "").strip() != code]
    if at is None:
        at = sum(1 for r in others if r.get("time_period", "").strip() < code)
    return others[:at] + new + others[at:]


def staged_problems(project: Project, params: ReportParams, items: list[Collected], stage: Path) -> list[Fault]:
    """Write the files as they would be into `stage` and run `check`'s table checks on them, naming the
    workbook cell behind each fault (or the local file, for a row from another year)."""
    faults = []
    folder = local_folder(project, params.partnership_id, params.report.year)
    ctx = Context(project, params, stage)
    tables = {}
    cells: dict[tuple[str, int, str], tuple[Collected, str]] = {}  # staged file, row, column -> workbook cell
    for item in items:
        header_, existing = read_rows(folder / f"{item.dataset.name}.csv")
        rows = merged_rows(existing, item.rows, params.report.year)
        write_csv(stage / f"{item.dataset.name}.csv", item.dataset.columns, rows)
        write_csv(stage / f"{item.dataset.name}.meta.csv", META_COLUMNS, meta_rows(item.dataset))
        origin = {}  # CSV row number -> sheet row
        first = rows.index(item.rows[0]) if item.rows else 0
        for i, sheet_row in enumerate(item.sheet_rows):
            origin[first + i + 2] = sheet_row
        table = read_table(ctx, item.dataset)
        tables[item.dataset.name] = (project.rel(folder / f"{item.dataset.name}.csv"), table.rows)
        columns = {m.name: get_column_letter(first_measure_column(item.dataset) + i) for i, m in enumerate(item.dataset.measures)}
        for row, sheet_row in origin.items():
            for measure, column in columns.items():
                cells[table.label, row, measure] = (item, f"{column}{sheet_row}")
        for check in TABLE_CHECKS:
            for p in check(ctx, table):
                detail = f"{p.kind}: found {p.found}; expected {p.expected}" if p.expected else f"{p.kind}: {p.found}"
                if p.row in origin:
                    cell = f"{columns.get(p.column or '', 'A')}{origin[p.row]}"
                    faults.append(Fault(item.workbook, item.sheet, cell, detail))
                else:
                    faults.append(Fault(tables[item.dataset.name][0], None, None, f"row {p.row}: {detail}"))
    for dataset in DATASETS:  # the files not returned now, as they are
        if dataset.name not in tables and (table := read_table(Context(project, params, folder), dataset)) is not None:
            tables[dataset.name] = (table.label, table.rows)
    staged = {project.rel(folder / f"{i.dataset.name}.csv"): ctx.label(stage / f"{i.dataset.name}.csv") for i in items}
    for file, row, column, found, expected in all_relation_faults(tables):
        item, cell = cells.get((staged.get(file, ""), row, column), (None, ""))
        detail = f"files disagree: found {found}; expected {expected}"
        faults.append(Fault(item.workbook, item.sheet, cell, detail) if item else Fault(file, None, None, f"row {row}: {detail}"))
    return faults


def collect_returns(project: Project, params: ReportParams, files: list[Path]) -> tuple[list[Fault], list[Collected]]:
    """Read the workbooks; when none has a fault, write the local inputs. Returns (faults, written)."""
    faults: list[Fault] = []
    items: list[Collected] = []
    seen: dict[str, str] = {}
    for path in files:
        for item in read_workbook(path, params, faults):
            if item.dataset.name in seen:
                faults.append(Fault(item.workbook, item.sheet, None, f"{item.dataset.title} is also returned in "
                                                                     f"{seen[item.dataset.name]}: one workbook per dataset"))
                continue
            seen[item.dataset.name] = item.workbook
            items.append(item)
    if faults:
        return faults, []
    project.build_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".returns-", dir=project.build_dir))
    try:
        faults = staged_problems(project, params, items, stage)
        if faults:
            return faults, []
        folder = local_folder(project, params.partnership_id, params.report.year)
        folder.mkdir(parents=True, exist_ok=True)
        for item in items:
            name = item.dataset.name
            os.replace(stage / f"{name}.csv", folder / f"{name}.csv")
            if not (folder / f"{name}.meta.csv").is_file():
                os.replace(stage / f"{name}.meta.csv", folder / f"{name}.meta.csv")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [], items
