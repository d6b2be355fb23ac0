"""`annualreport returns make`: the workbooks a coordinator sends to partner agencies.

Rows come from what is already known: this year's rows when the local file has them (the
workbook then carries their figures, for correction), else last year's rows with this year's
figures left blank, else one Total row per area. Datasets with categories also get spare rows
where a partner can add a category of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from annualreport.errors import InputError
from annualreport.inputs.checks import local_folder
from annualreport.inputs.local_schema import DATASETS, Dataset, Measure
from annualreport.inputs.params import ReportParams
from annualreport.inputs.reference import local_authorities
from annualreport.inputs.returns.layout import (
    DESCRIPTION_ROW,
    FIRST_ROW,
    HEADER_ROW,
    HOW_ROW,
    INSTRUCTIONS_SHEET,
    RECORD_SHEET,
    TITLE_ROW,
    Key,
    SheetRecord,
    encode_record,
    expected_kind,
    first_measure_column,
    header,
    label_cells,
    previous_year,
    read_rows,
    row_key,
    rows_for,
    sheet_name,
)
from annualreport.project import Project

SPARE_ROWS = 5  # per area and period, in datasets with categories, for categories not listed
GREY = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="9E9E9E")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
OPEN = Protection(locked=False)

# Custom validation: the formula is written for the range's first cell; Excel shifts it row by row.
RULES = {
    "count": 'OR({c}="x",AND(ISNUMBER({c}),{c}>=0,{c}=INT({c})))',
    "percent": 'OR({c}="x",AND(ISNUMBER({c}),{c}>=0,{c}<=100))',
    "gbp": 'OR({c}="x",ISNUMBER({c}))',
    "rate_per_10k": 'OR({c}="x",AND(ISNUMBER({c}),{c}>=0))',
    "number": 'OR({c}="x",ISNUMBER({c}))',
}


@dataclass(frozen=True)
class Return:
    """One workbook to send: who it is for and the datasets it asks for."""

    agency: str
    datasets: tuple[Dataset, ...]

    @property
    def file_name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.agency.lower()).strip("-") or "returns"
        return f"{slug}.xlsx"


def returns_to_send(params: ReportParams, by_agency: bool) -> list[Return]:
    """One workbook for everything, or one per agency named in the partnership's `returns:` params
    (datasets no agency returns go in a workbook for the partnership itself)."""
    if not by_agency:
        return [Return(f"{params.partnership_id} {params.report.year} returns", DATASETS)]
    assigned = params.partnership.returns
    if not assigned:
        raise InputError(f"{params.partnership_file}: --by-agency needs `returns:` in the partnership params, "
                         "naming the local datasets each partner agency returns (e.g. Police: [cse_referrals])")
    by_name = {d.name: d for d in DATASETS}
    out = [Return(agency, tuple(by_name[n] for n in names)) for agency, names in assigned.items()]
    named = {n for names in assigned.values() for n in names}
    rest = tuple(d for d in DATASETS if d.name not in named)
    return out + ([Return(params.partnership.short_name, rest)] if rest else [])


def _number(text: str) -> int | float | str | None:
    """A CSV cell as a workbook cell: a number, 'x', or None for blank."""
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return text  # an EES symbol, kept as it is
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


def sheet_keys(dataset: Dataset, this_year: list[dict[str, str]], last_year: list[dict[str, str]],
               areas: list[tuple[str, str, str]]) -> list[Key]:
    """The rows of a dataset sheet (see the module docstring); spare rows have blank categories."""
    keys = list(dict.fromkeys(row_key(r, dataset) for r in (this_year or last_year)))
    if not keys:
        keys = [("Financial year", *area, *("Total" for _ in dataset.filters)) for area in areas]
    if dataset.filters:
        groups = dict.fromkeys(k[:4] for k in keys)
        keys += [(*g, *("" for _ in dataset.filters)) for g in groups for _ in range(SPARE_ROWS)]
    return keys


def _areas(project: Project, params: ReportParams, dataset: Dataset) -> list[tuple[str, str, str]]:
    """Areas of a new dataset: each member council for figures about children, else the partnership."""
    if not any(m.disclosive for m in dataset.measures):
        return [("Partnership", "", "")]
    names = local_authorities(project.reference_dir)
    return [("Local authority", m.la_code, names[m.la_code].name if m.la_code in names else m.name)
            for m in params.partnership.members]


def _style_header(ws: Worksheet, dataset: Dataset) -> None:
    ws.cell(TITLE_ROW, 1, dataset.title).font = Font(bold=True, size=14)
    ws.cell(DESCRIPTION_ROW, 1, dataset.description)
    ws.cell(HOW_ROW, 1, "Fill in the white cells. Enter x where a figure is not available. Grey cells are "
                        "locked; last year's figures are there for reference.")
    for col, text in enumerate(header(dataset), start=1):
        cell = ws.cell(HEADER_ROW, col, text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = GREY
        cell.border = BOX
        ws.column_dimensions[get_column_letter(col)].width = 14 if col > 2 else 24
    ws.row_dimensions[HEADER_ROW].height = 45


def _validate(ws: Worksheet, measure: Measure, col: int, last_row: int) -> None:
    first = f"{get_column_letter(col)}{FIRST_ROW}"
    rule = DataValidation(type="custom", formula1=RULES[measure.unit].format(c=first), allow_blank=True,
                          showErrorMessage=True, errorTitle=measure.label, error=f"Enter {expected_kind(measure)}.")
    rule.add(f"{first}:{get_column_letter(col)}{last_row}")
    ws.add_data_validation(rule)


def _category_lists(ws: Worksheet, dataset: Dataset, known: list[Key], last_row: int) -> None:
    """A drop-down of the categories already used, on each category column (other values allowed)."""
    for i, flt in enumerate(dataset.filters):
        values = [v for v in dict.fromkeys(k[4 + i] for k in known) if v and "," not in v and '"' not in v]
        if not values or sum(len(v) + 1 for v in values) > 250:
            continue  # Excel's limit for a list written in the rule
        col = get_column_letter(3 + i)
        rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=False)
        rule.add(f"{col}{FIRST_ROW}:{col}{last_row}")
        ws.add_data_validation(rule)


def write_sheet(ws: Worksheet, dataset: Dataset, keys: list[Key], figures: dict[Key, dict[str, str]],
                last: dict[Key, dict[str, str]], year: str, partnership_name: str) -> None:
    """Fill one dataset sheet (see layout's module docstring)."""
    _style_header(ws, dataset)
    start = first_measure_column(dataset)
    n = len(dataset.measures)
    for offset, key in enumerate(keys):
        row = FIRST_ROW + offset
        spare = bool(dataset.filters) and all(v == "" for v in key[4:])
        for col, text in enumerate(label_cells(key, dataset, year, partnership_name), start=1):
            cell = ws.cell(row, col, text or None)
            cell.border = BOX
            if spare and col > 2:
                cell.protection = OPEN  # a category of the partner's own
            else:
                cell.fill = GREY
        for i, m in enumerate(dataset.measures):
            cell = ws.cell(row, start + i, None if spare else _number(figures.get(key, {}).get(m.name, "")))
            cell.protection = OPEN
            cell.border = BOX
            before = ws.cell(row, start + n + i, None if spare else _number(last.get(key, {}).get(m.name, "")))
            before.fill = GREY
            before.font = Font(italic=True, color="595959")
            before.border = BOX
    last_row = FIRST_ROW + len(keys) - 1
    for i, m in enumerate(dataset.measures):
        _validate(ws, m, start + i, last_row)
    _category_lists(ws, dataset, keys, last_row)
    ws.freeze_panes = ws.cell(FIRST_ROW, start)
    ws.protection.sheet = True  # no password: it keeps labels from being changed by accident


def write_instructions(ws: Worksheet, params: ReportParams, ret: Return, sheets: list[str]) -> None:
    year = params.report.year
    lines = [
        (f"{params.partnership.name}: returns for {year}", Font(bold=True, size=14)),
        (f"For: {ret.agency}", Font(bold=True)),
        ("", None),
        ("How to fill in this workbook", Font(bold=True)),
        (f"1. Each sheet asks for one set of figures for the year {year} (1 April to 31 March).", None),
        ("2. Fill in the white cells only. Whole numbers for counts; percentages from 0 to 100; pounds for money.", None),
        ("3. Enter x where a figure is not available. Leave a whole sheet blank if you cannot provide it yet.", None),
        ("4. Categories not listed can be written in the blank rows at the bottom of a sheet.", None),
        ("5. Do not rename, move or delete sheets or rows: the workbook is read back by machine.", None),
        ("6. Never enter a name or anything that could identify a child, a family or a member of staff.", None),
        ("", None),
        ("Sheets in this workbook", Font(bold=True)),
    ]
    lines += [(f"- {name}: {d.description}", None) for name, d in zip(sheets, ret.datasets)]
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row, 1, text or None)
        if font:
            cell.font = font
    ws.column_dimensions["A"].width = 120
    ws.protection.sheet = True


def make_workbook(project: Project, params: ReportParams, ret: Return) -> Workbook:
    """The workbook for one agency."""
    year = params.report.year
    folder = local_folder(project, params.partnership_id, year)
    before_folder = local_folder(project, params.partnership_id, previous_year(year))
    wb = Workbook()
    instructions = wb.active
    instructions.title = INSTRUCTIONS_SHEET
    records: list[SheetRecord] = []
    for dataset in ret.datasets:
        _, rows = read_rows(folder / f"{dataset.name}.csv")
        last_rows = rows_for(rows, previous_year(year)) or rows_for(read_rows(before_folder / f"{dataset.name}.csv")[1], previous_year(year))
        this_rows = rows_for(rows, year)
        keys = sheet_keys(dataset, this_rows, last_rows, _areas(project, params, dataset))
        ws = wb.create_sheet(sheet_name(dataset))
        write_sheet(ws, dataset, keys, {row_key(r, dataset): r for r in this_rows},
                    {row_key(r, dataset): r for r in last_rows}, year, params.partnership.name)
        records.append(SheetRecord(ws.title, dataset.name, tuple(keys)))
    write_instructions(instructions, params, ret, [r.sheet for r in records])
    hidden = wb.create_sheet(RECORD_SHEET)
    for row in encode_record(params.partnership_id, year, records):
        hidden.append(row)
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True
    return wb


def make_returns(project: Project, params: ReportParams, out: Path, by_agency: bool = False,
                 overwrite: bool = False) -> list[Path]:
    """Write the workbooks into `out`; refuses to overwrite one (a partner's answers may be in it)."""
    returns = returns_to_send(params, by_agency)
    paths = [out / r.file_name for r in returns]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise InputError(f"{project.rel(existing[0])} exists: returns already made are never overwritten "
                         "(move it away, or use --force)")
    out.mkdir(parents=True, exist_ok=True)
    for ret, path in zip(returns, paths):
        tmp = path.with_name(f".{path.name}.tmp")
        make_workbook(project, params, ret).save(tmp)
        tmp.replace(path)
    return paths
