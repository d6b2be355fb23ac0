"""The public folder's scan for personal names: no one is named outside the partner updates and foreword.

A partnership's report names agencies, not people: a child, a parent or a member of staff named in
a table of audit findings or a challenge log is exactly the mistake a hand-made report makes. The
partner updates and the foreword are the places where a named chair or officer may speak. The scan
reads what is published (the HTML report, section by section, and the text cells of every CSV) and
reports a title with a surname ("Mrs Smith", "Dr Patel") or a common given name followed by a
surname ("Sarah Jones"). Organisations named after people ("Royal Albert Edward Infirmary") are
allowed by listing them under `names_allowed` in the year's params.
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from importlib import resources
from pathlib import Path

from annualreport.inputs.checks import Problem
from annualreport.publication.html_reading import HtmlReading, read_html

# Sections where people may be named: the partner updates chapter and the foreword (heading ids).
NAMED_SECTIONS = {"sec-partner-updates", "foreword"}
TITLE = r"(?:Mr|Mrs|Ms|Miss|Dr|Councillor|Cllr)\.?"
SURNAME = r"(?:[A-Z]\.\s+)?[A-Z](?:'[A-Z])?[a-z]+(?:-[A-Z][a-z]+)?"  # Smith, O'Neill, Smith-Jones
KIND = "personal name in a public file"


@cache
def given_names() -> frozenset[str]:
    """The common given names the scan looks for (data/given_names.txt)."""
    text = (resources.files("annualreport") / "data" / "given_names.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


@cache
def _pattern() -> re.Pattern[str]:
    names = "|".join(sorted(given_names(), key=len, reverse=True))
    return re.compile(rf"\b(?:{TITLE}\s+{SURNAME}|(?:{names})\s+{SURNAME})\b")


def names_in(text: str, allowed: list[str]) -> list[str]:
    """The personal names found in `text`, leaving out any that is part of an allowed phrase."""
    cleaned = text
    for phrase in allowed:
        cleaned = cleaned.replace(phrase, " ")
    return [m.group(0) for m in _pattern().finditer(cleaned)]


def scan_public(public: Path, allowed: list[str], page: HtmlReading | None = None) -> list[Problem]:
    """Personal names in report.html (outside the partner updates and foreword) and in the CSVs.
    `page`: report.html as the gate read it (html_reading), read here when not given."""
    problems: list[Problem] = []
    html = public / "report.html"
    if page is None and html.is_file():
        page = read_html(html)
    if page is not None:
        for chapter, section, text in page.texts:
            if chapter in NAMED_SECTIONS or section in NAMED_SECTIONS:
                continue
            for name in names_in(" ".join(text.split()), allowed):
                where = f"section '{section or chapter}'"
                problems.append(Problem("report.html", None, None, f"'{name}' in {where}",
                                        "no personal names outside the partner updates and foreword "
                                        "(or the phrase listed under names_allowed in the year's params)", KIND))
    for path in sorted((public / "data").glob("*.csv")):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        for row_number, row in enumerate(rows[1:], start=2):
            for column, cell in zip(rows[0], row):
                for name in names_in(cell, allowed):
                    problems.append(Problem(f"data/{path.name}", row_number, column, f"'{name}'",
                                            "no personal names in a published table", KIND))
    return list(dict.fromkeys(problems))
