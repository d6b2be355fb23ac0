"""Parameters: one YAML file per partnership and one per partnership-year, validated.

    params/<partnership>.yml          name, member councils, region, comparators, branding
    params/<partnership>/<year>.yml   year, status, chapters (default: the year's framework's), thresholds

Every problem is reported with the file, the key (and its line) and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from annualreport.errors import ParamsError
from annualreport.inputs.framework import framework_for
from annualreport.inputs.names import check_name, check_names, check_year, list_partnerships, list_years
from annualreport.project import Project
from annualreport.inputs.local_schema import DATASET_BY_NAME
from annualreport.inputs.reference import gss_codes, local_authorities
from annualreport.inputs.textfile import TextFileError
from annualreport.inputs.yamlfile import read_yaml

STRICT = ConfigDict(extra="forbid", strict=True)


class Member(BaseModel):
    """One member council of a partnership."""

    model_config = STRICT
    name: str
    la_code: str = Field(description="DfE 3-digit local authority code, e.g. '888'")
    gss_code: str = Field(description="ONS GSS code, e.g. 'E10000017'")

    @field_validator("la_code")
    @classmethod
    def _three_digits(cls, v: str) -> str:
        if not re.fullmatch(r"\d{3}", v):
            raise ValueError(f"expected a DfE 3-digit code such as '888', found '{v}'")
        return v

    @field_validator("gss_code")
    @classmethod
    def _gss(cls, v: str) -> str:
        if not re.fullmatch(r"E\d{8}", v):
            raise ValueError(f"expected a GSS code such as 'E10000017', found '{v}'")
        return v


LOGO_FILE = re.compile(r"[A-Za-z0-9]+(?:[_.-][A-Za-z0-9]+)*\.(?:png|svg|jpg|jpeg)")


class Logo(BaseModel):
    """A logo on the report's cover: an image file in params/<partnership>/branding/ and what it shows."""

    model_config = STRICT
    file: str = Field(description="file name in params/<partnership>/branding/, e.g. 'logo.svg' (PNG, SVG or JPEG)")
    alt: str = Field(min_length=1, description="what the logo shows, for readers who cannot see it")

    @field_validator("file")
    @classmethod
    def _file_name(cls, v: str) -> str:
        if not LOGO_FILE.fullmatch(v):
            raise ValueError(f"expected a file name such as 'logo.svg' or 'police.png' (letters, digits, '-', '_'; "
                             f"PNG, SVG or JPEG; no folders), found '{v}'")
        return v


class Branding(BaseModel):
    model_config = STRICT
    colour: str = "#12436D"
    board_name: str | None = None
    logo: Logo | None = None
    partner_logos: list[Logo] = Field(default_factory=list, description="the partners' logos, shown on the cover")
    data_url: str | None = Field(default=None, description="where the report's data files are published "
                                 "(https://...); the PDF's data links go there, else to the data appendix")

    @field_validator("data_url")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"https://[A-Za-z0-9.-]+(?:/[A-Za-z0-9._~%/-]*)?", v):
            raise ValueError(f"expected a web address such as 'https://www.example.org.uk/annual-report/data/', found '{v}'")
        return v

    @field_validator("colour")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", v):
            raise ValueError(f"expected a colour such as '#12436D', found '{v}'")
        return v


class Partnership(BaseModel):
    """A safeguarding partnership (or LSCB): one or more member councils sharing one board."""

    model_config = STRICT
    name: str
    short_name: str
    members: list[Member] = Field(min_length=1)
    region: str
    statistical_neighbours: Literal["2021", "2025"] = "2025"
    branding: Branding = Branding()
    minimum_suppression: int = Field(default=6, ge=2, description="the lowest thresholds.suppress_below a final report may use")
    glossary: dict[str, str] = Field(
        default_factory=dict,
        description="the partnership's own terms and acronyms, each with its meaning, added to the report's glossary")
    returns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="partner agency -> the local datasets it returns (`returns make --by-agency`)")

    @field_validator("returns")
    @classmethod
    def _returns(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: dict[str, str] = {}
        for agency, names in v.items():
            for name in names:
                if name not in DATASET_BY_NAME:
                    raise ValueError(f"{agency}: unknown local dataset '{name}'; expected one of {', '.join(DATASET_BY_NAME)}")
                if name in seen:
                    raise ValueError(f"'{name}' is returned by both {seen[name]} and {agency}")
                seen[name] = agency
        return v


class Thresholds(BaseModel):
    model_config = STRICT
    suppress_below: int = Field(default=6, ge=1, description="counts from 1 to this minus 1 are suppressed")
    no_change_tolerance: float = Field(default=1.0, ge=0, description="relative change (%) judged 'no change'")


class Signatory(BaseModel):
    """Who signs the foreword: their name and role, printed under it."""

    model_config = STRICT
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class ReportYear(BaseModel):
    """The settings of one partnership's report for one financial year."""

    model_config = STRICT
    year: str
    status: Literal["draft", "final"] = "draft"
    chapters: list[str] = Field(default_factory=list, description="the chapters in report order; by default the "
                                "chapters of the year's framework (inputs.framework: the LSCB's up to 2018-19, the "
                                "safeguarding partners' from 2019-20)")
    history_years: int = Field(default=4, ge=4, le=12, description="previous years shown beside the report year")
    thresholds: Thresholds = Field(default_factory=lambda: Thresholds())
    targets: dict[str, float] = Field(
        default_factory=dict, description="targets the partnership set: indicator id or local measure -> value")
    not_provided: dict[str, str] = Field(
        default_factory=dict,
        description="local inputs the partnership does not have this year, each with the reason the report states")
    signatories: list[Signatory] = Field(
        default_factory=list, description="who signs the foreword (name and role), printed under it")
    names_allowed: list[str] = Field(
        default_factory=list,
        description="phrases that look like a person's name but are not one (e.g. 'Royal Albert Edward Infirmary'), "
                    "allowed by the public folder's scan for personal names")
    glossary: dict[str, str] = Field(
        default_factory=dict,
        description="the partnership's own terms and acronyms, each with its meaning, added to the report's glossary")

    @field_validator("year")
    @classmethod
    def _year_form(cls, v: str) -> str:
        check_year(v)
        return v

    @field_validator("chapters")
    @classmethod
    def _chapter_names(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("an empty list: list the chapters in report order, or leave the key out for the "
                             "chapters of the year's framework")
        for name in v:
            check_name(name, "chapter name")
        return v

    @model_validator(mode="after")
    def _unique_chapters(self) -> "ReportYear":
        if "chapters" not in self.model_fields_set:  # the year's framework decides (inputs.framework)
            self.chapters = list(framework_for(self.year).chapters)
        dupes = sorted({c for c in self.chapters if self.chapters.count(c) > 1})
        if dupes:
            raise ValueError(f"chapters listed twice: {', '.join(dupes)}")
        return self

    @property
    def time_period(self) -> int:
        """The national files' `time_period` for this year: 2013-14 -> 2014 (year ending 31 March)."""
        return int(self.year[:4]) + 1


@dataclass(frozen=True)
class ReportParams:
    """Everything a build needs to know about one partnership-year."""

    partnership_id: str
    partnership: Partnership
    report: ReportYear
    partnership_file: Path
    year_file: Path
    warnings: tuple[str, ...] = ()  # what a draft may be built with but a final may not (said by the build)

    @property
    def logo_files(self) -> list[Path]:
        """The cover's logo files (the partnership's, then the partners'), checked to exist by load_params."""
        branding = self.partnership.branding
        logos = ([branding.logo] if branding.logo else []) + branding.partner_logos
        return [branding_dir(self.partnership_file) / logo.file for logo in logos]


def branding_dir(partnership_file: Path) -> Path:
    """params/<partnership>/branding/: where a partnership's logos are."""
    return partnership_file.parent / partnership_file.stem / "branding"


def _load_yaml(path: Path, project: Project) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    """A params file's mapping and the line of each key, read with the one safe reader (any of the
    accepted encodings, no aliases, bounded size and depth); every fault is a ParamsError naming the file."""
    rel = project.rel(path)
    if not path.is_file():
        raise ParamsError(rel, ["file not found"])
    try:
        doc = read_yaml(path, rel, root=project.root, expect="a mapping of keys to values")
    except TextFileError as e:
        raise ParamsError(rel, [(f"line {e.line}: " if e.line else "") + f"{e.kind}: {e.detail}"]) from None
    return doc.data, doc.lines


def _describe(error: Any, model: type[BaseModel], lines: dict[tuple[Any, ...], int]) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    line = lines.get(loc)
    where = f"key '{key}'" + (f" (line {line})" if line else "")
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return f"{where}: unknown key; expected one of: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{where}: required key is missing"
    msg = error["msg"].removeprefix("Value error, ")
    return f"{where}: {msg} (found {error.get('input')!r})" if "found" not in msg else f"{where}: {msg}"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` within `model` (following nested models and list items)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        current = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if current is None:
            return []
    return list(current.model_fields)


def _validate(model: type[BaseModel], path: Path, project: Project) -> tuple[BaseModel, dict[tuple[Any, ...], int]]:
    data, lines = _load_yaml(path, project)
    try:
        return model.model_validate(data), lines
    except ValidationError as e:
        problems = [_describe(err, model, lines) for err in e.errors()]
        raise ParamsError(project.rel(path), problems) from None


def load_params(project: Project, partnership_id: str, year: str) -> ReportParams:
    """Load and validate the params of one partnership-year.

    Raises ParamsError naming the file, each bad key with its line, and what was expected;
    member councils are checked against DfE's LA code list and the national statistics. The id and
    year are validated before any file is looked for, so nothing outside params/ is ever read.
    """
    check_names(partnership_id, year)
    partnership_file = project.params_dir / f"{partnership_id}.yml"
    if not partnership_file.is_file():
        known = ", ".join(list_partnerships(project)) or "none"
        raise ParamsError(project.rel(partnership_file), [f"no such partnership '{partnership_id}' (known: {known})"])
    year_file = project.params_dir / partnership_id / f"{year}.yml"
    if not year_file.is_file():
        known = ", ".join(list_years(project, partnership_id)) or "none"
        raise ParamsError(project.rel(year_file), [f"no params for year {year} (years with params: {known})"])

    partnership, lines = _validate(Partnership, partnership_file, project)
    report, year_lines = _validate(ReportYear, year_file, project)
    assert isinstance(partnership, Partnership) and isinstance(report, ReportYear)
    _check_members(partnership, partnership_file, project, lines)
    _check_logos(partnership, partnership_file, project, lines)
    if report.year != year:
        raise ParamsError(project.rel(year_file), [f"key 'year': '{report.year}' does not match the file name ({year})"])
    _check_chapters(report, year_file, project)
    _check_not_provided(report, year_file, project)
    _check_targets(report, year_file, project)
    warnings = _check_threshold(partnership, report, year_file, partnership_file, project, year_lines)
    return ReportParams(partnership_id, partnership, report, partnership_file, year_file, warnings)


def _check_threshold(partnership: Partnership, report: ReportYear, path: Path, partnership_file: Path, project: Project,
                     lines: dict[tuple[Any, ...], int]) -> tuple[str, ...]:
    """A year may not lower the suppression threshold below the partnership's declared minimum:
    refused for a final report, a warning for a draft."""
    threshold, minimum = report.thresholds.suppress_below, partnership.minimum_suppression
    if threshold >= minimum:
        return ()
    line = lines.get(("thresholds", "suppress_below"))
    problem = ("key 'thresholds.suppress_below'" + (f" (line {line})" if line else "") + f": {threshold} is below the "
               f"partnership's minimum_suppression of {minimum} ({project.rel(partnership_file)}); counts from "
               f"{threshold} to {minimum - 1} would be published")
    if report.status == "final":
        raise ParamsError(project.rel(path), [problem + "; a final report may not lower the threshold"])
    return (f"{project.rel(path)}: {problem} (allowed in a draft only)",)


def _check_members(partnership: Partnership, path: Path, project: Project, lines: dict[tuple[Any, ...], int]) -> None:
    """Member councils must be in DfE's LA code list, with their own GSS code, in the stated region."""
    las = local_authorities(project.reference_dir)
    gss = gss_codes(project.national_dir / "ons_mid-year_population_estimates_2012_to_2024.csv")
    problems = []

    def where(*loc: Any) -> str:
        line = lines.get(loc)
        return f"key '{'.'.join(map(str, loc))}'" + (f" (line {line})" if line else "")

    for i, m in enumerate(partnership.members):
        la = las.get(m.la_code)
        if la is None:
            problems.append(f"{where('members', i, 'la_code')}: unknown LA code '{m.la_code}' (not in DfE's LA code list)")
            continue
        if m.gss_code not in gss.get(m.la_code, set()):
            known = ", ".join(sorted(gss.get(m.la_code, set()))) or "none"
            problems.append(f"{where('members', i, 'gss_code')}: '{m.gss_code}' is not {la.name}'s GSS code (expected {known})")
        if la.region != partnership.region:
            problems.append(f"{where('region')}: '{partnership.region}' but {la.name} is in '{la.region}'")
    if problems:
        raise ParamsError(project.rel(path), problems)


def _check_logos(partnership: Partnership, path: Path, project: Project, lines: dict[tuple[Any, ...], int]) -> None:
    """Every logo named in branding is a regular file in params/<partnership>/branding/ (not a link)."""
    folder = branding_dir(path)
    named = ([(("branding", "logo", "file"), partnership.branding.logo)] if partnership.branding.logo else []) + [
        (("branding", "partner_logos", i, "file"), logo) for i, logo in enumerate(partnership.branding.partner_logos)]
    problems = []
    for loc, logo in named:
        file = folder / logo.file
        line = lines.get(loc)
        where = f"key '{'.'.join(map(str, loc))}'" + (f" (line {line})" if line else "")
        if file.is_symlink() or not file.is_file():
            problems.append(f"{where}: {project.rel(file)} " + ("is a symbolic link; copy the file in instead"
                                                               if file.is_symlink() else "not found"))
    if problems:
        raise ParamsError(project.rel(path), problems)


def _check_not_provided(report: ReportYear, path: Path, project: Project) -> None:
    from annualreport.inputs.local_schema import DATASET_BY_NAME, TEXT_BY_NAME

    known = sorted(DATASET_BY_NAME) + sorted(TEXT_BY_NAME)
    unknown = [name for name in report.not_provided if name not in known]
    if unknown:
        raise ParamsError(project.rel(path), [f"key 'not_provided.{name}': no local input of that name (known: {', '.join(known)})"
                                              for name in unknown])


def _check_targets(report: ReportYear, path: Path, project: Project) -> None:
    from annualreport.store.indicators import INDICATORS
    from annualreport.inputs.local_indicators import LOCAL_BY_ID

    known = sorted(INDICATORS) + sorted(LOCAL_BY_ID)
    unknown = [name for name in report.targets if name not in known]
    if unknown:
        raise ParamsError(project.rel(path), [f"key 'targets.{name}': no indicator or local measure of that name "
                                              f"(known: {', '.join(known)})" for name in unknown])


def _check_chapters(report: ReportYear, path: Path, project: Project) -> None:
    available = sorted(p.stem for p in project.notebooks_dir.glob("*.ipynb"))
    unknown = [c for c in report.chapters if c not in available]
    if unknown:
        raise ParamsError(
            project.rel(path),
            [f"key 'chapters': no notebook for chapter '{c}' (available: {', '.join(available)})" for c in unknown],
        )
