"""Narrative: editors' words around computed figures, filled in after execution.

Markdown cells of a chapter hold text with named placeholders (`{{ cp_plans.value }}`,
`{{ cp_plans.change_sentence }}`), filled from the store when the book is stitched, so editing
narrative executes no notebook and cannot change a number. A per-partnership, per-year file
`params/<partnership>/<year>/narrative/<chapter>.md` replaces or adds text without touching the
notebook: markers name a markdown cell tagged `narrative:<name>` in the notebook,

    <!-- replace: intro -->      the text below replaces the cell
    <!-- after: intro -->        the text below is added after the cell

and text before any marker is added at the end of the chapter. An unknown placeholder, marker
name or chapter is an error naming the file, the cell and the name, with the nearest valid names. Narrative is Markdown formatting only: a raw block, an HTML
tag, a `javascript:` link or an image that is not one of the build's charts is an error naming
the file (or notebook and cell) and the line (see narrative_check).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from annualreport.chapters.compare import compare_words, describe_change, target_words
from annualreport.errors import AnnualReportError
from annualreport.execution.notebook_io import NotebookNode, markdown_cell
from annualreport.inputs.framework import framework_placeholders
from annualreport.chapters.fmt import format_value, period_label
from annualreport.render.markdown_text import inline
from annualreport.inputs.narrative_check import unsafe_markdown
from annualreport.inputs.textfile import YAML_MAX_BYTES, read_text

if TYPE_CHECKING:  # a build stitching its book has the values already (store_cache.StoreSummary): no pandas
    from annualreport.store.figures import Store

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
MARKER = re.compile(r"^<!--\s*(replace|after):\s*([\w-]+)\s*-->\s*$", re.M)
TAG = "narrative:"


class NarrativeError(AnnualReportError):
    """An unknown placeholder, narrative name or chapter in narrative text, or narrative that is not
    plain Markdown formatting (raw blocks, HTML, script links, images from outside the build)."""


def check_markdown(text: str, where: str) -> None:
    """Raise NarrativeError listing, with `where` and the line, everything in text that is not
    plain Markdown formatting."""
    problems = unsafe_markdown(text)
    if problems:
        lines = "\n".join(f"  {where}, line {line}: {what}" for line, what in problems)
        raise NarrativeError(f"{where}: narrative may use Markdown formatting only, never code or files from outside the build:\n{lines}")


def nearest(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    return f"; nearest valid names: {', '.join(close)}" if close else ""


def placeholders(store: Store) -> dict[str, str]:
    """Every name a narrative may use, with the Markdown it stands for (from the public store;
    names typed in params are escaped, so they show as typed)."""
    meta = store.meta
    period = store.time_period
    values = {"partnership": inline(meta["partnership"]), "short_name": inline(meta["short_name"]), "year": meta["year"],
              "previous_year": period_label(period - 1), "region": inline(meta["region"])}
    tolerance = meta["thresholds"]["no_change_tolerance"]

    def text(ind: str, info: dict, area: str = "partnership", p: int = period) -> str:
        f = store.figure(ind, area, p)
        return format_value(f.value, info["unit"], info["decimals"], f.state)

    for ind, info in meta["indicators"].items():
        own, prev = store.figure(ind), store.figure(ind, period=period - 1)
        change = describe_change(prev.value, own.value, info["unit"], info["decimals"], info["polarity"], tolerance, period - 1, period)
        values |= {
            f"{ind}.value": text(ind, info), f"{ind}.previous": text(ind, info, p=period - 1), f"{ind}.title": info["title"],
            f"{ind}.change_sentence": change.sentence, f"{ind}.direction": change.direction,
            f"{ind}.judgement": change.judgement,
        }
        if not info.get("local"):  # the partnership's own figures have no national comparators
            word, verdict = compare_words(own.value, store.figure(ind, "england").value, info["decimals"], info["polarity"])
            values |= {
                f"{ind}.england": text(ind, info, "england"), f"{ind}.region": text(ind, info, "region"),
                f"{ind}.sn_mean": text(ind, info, "sn_mean"),
                f"{ind}.england_comparison": f"{word} England ({text(ind, info, 'england')})" + (f", which is {verdict}" if verdict else ""),
            }
        if ind in meta.get("targets", {}):
            values[f"{ind}.target_sentence"] = target_words(own.value, meta["targets"][ind], info["unit"], info["decimals"], info["polarity"])
    values["demand_summary"] = demand_summary(values)
    values |= framework_placeholders(meta["year"])  # {{ framework.body }}: the words of the year's framework
    return values


GENERAL = {"partnership": "the partnership's name", "short_name": "the partnership's short name",
           "year": "the report year, e.g. 2013-14", "previous_year": "the year before the report year",
           "region": "the partnership's region", "demand_summary": "the foreword's sentences on demand (referrals and plans)",
           "glossary": "the glossary of the terms the report uses",
           "provenance": "how the report was made: code, data and environment"}
SUFFIXES = {"value": "the partnership's figure in the report year", "previous": "the partnership's figure the year before",
            "title": "the indicator's name", "change_sentence": "how it changed since the year before, in words",
            "direction": "up, down, same or unknown", "judgement": "improved, declined, no change, not judged or not available",
            "england": "England's figure", "region": "the region's figure", "sn_mean": "the mean of similar areas",
            "england_comparison": "how it compares with England, in words",
            "target_sentence": "how it compares with the partnership's target"}


def meanings(store: Store, names: list[str]) -> dict[str, str]:
    """What each placeholder name stands for: 'lado_allegations.value' -> 'Allegations managed by the
    LADO (the partnership's own figure, lado_outcomes.csv ...): the partnership's figure in the report year'."""
    out = {}
    for name in names:
        ind, _, suffix = name.partition(".")
        if not suffix:
            out[name] = GENERAL.get(name, "")
            continue
        if ind == "framework":
            out[name] = "a word of the year's framework (LSCB up to 2018-19, safeguarding partners after)"
            continue
        info = store.meta["indicators"][ind]
        kind = "the partnership's own figure" if info.get("local") else "national statistics"
        out[name] = f"{info['title']} ({kind}): {SUFFIXES[suffix]}"
    return out


def demand_summary(values: dict[str, str]) -> str:
    """The foreword's framing, chosen from the actual directions of referrals and plans: 'Demand rose.',
    'Demand fell.' or 'Demand moved in different directions.', then one sentence for each."""
    directions = {values.get(f"{ind}.direction") for ind in ("referrals", "cp_plans")}
    if directions <= {"up"}:
        lead = "Demand rose."
    elif directions <= {"down"}:
        lead = "Demand fell."
    elif directions <= {"same"}:
        lead = "Demand was much the same as the year before."
    elif "unknown" in directions or None in directions:
        lead = "Not every measure of demand can be compared with the year before."
    else:
        lead = "Demand moved in different directions."
    return (f"{lead} Referrals to children's social care {values.get('referrals.change_sentence', 'are not available')}. "
            f"Child protection plans at 31 March {values.get('cp_plans.change_sentence', 'are not available')}.")


def fill(text: str, values: dict[str, str], where: str) -> str:
    """Replace every {{ name }} in text; raise NarrativeError naming `where` and the name if unknown."""
    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise NarrativeError(f"{where}: unknown placeholder '{{{{ {name} }}}}'{nearest(name, sorted(values))}")
        return values[name]

    return PLACEHOLDER.sub(sub, text)


def narrative_files(folder: Path, chapters: list[str], label: str) -> dict[str, Path]:
    """chapter -> its narrative file; a file for a chapter not in the report is an error."""
    files = {p.stem: p for p in sorted(folder.glob("*.md"))} if folder.is_dir() else {}
    for chapter, path in files.items():
        if chapter not in chapters:
            raise NarrativeError(f"{label}/{path.name}: no chapter '{chapter}' in this report{nearest(chapter, chapters)}")
    return files


def apply_file(nb: NotebookNode, path: Path, label: str) -> None:
    """Apply a narrative file's replace/after blocks and trailing text to a chapter notebook."""
    text = read_text(path, label, max_bytes=YAML_MAX_BYTES).text
    check_markdown(text, label)
    named = {t[len(TAG):]: cell for cell in nb.cells if cell.cell_type == "markdown"
             for t in cell.metadata.get("tags", []) if t.startswith(TAG)}
    pieces = MARKER.split(text)
    lead, blocks = pieces[0], list(zip(pieces[1::3], pieces[2::3], pieces[3::3]))
    for action, name, body in blocks:
        if name not in named:
            raise NarrativeError(f"{label}: no narrative cell '{name}' in the chapter{nearest(name, sorted(named))} "
                                 f"(cells are tagged narrative:<name> in the notebook)")
        cell = named[name]
        if action == "replace":
            cell.source = body.strip("\n")
        else:
            index = nb.cells.index(cell)
            nb.cells.insert(index + 1, markdown_cell(body.strip("\n"), f"{cell.id}-after"))
    if lead.strip():
        nb.cells.append(markdown_cell(lead.strip("\n"), f"{path.stem}-narrative"))


def glossary_text(terms: dict[str, str], used_in: str) -> str:
    """A definition list of the glossary terms that appear in the report's text."""
    # A quick test first: a term not in the text at all (as written, or in lower case) is not looked for
    # as a word. Only two characters match an ASCII letter ignoring case without lower-casing to it.
    lowered = used_in.lower().replace("\u0131", "i").replace("\u017f", "s")

    def found(term: str) -> bool:  # an acronym as written; a term (lower case) at the start of a sentence too
        exact = term.isupper() or any(c.isupper() for c in term[1:])
        if (term not in used_in) if exact else (term.isascii() and term.lower() not in lowered):
            return False
        flags = 0 if exact else re.I
        return re.search(rf"(?<![\w&-]){re.escape(term)}s?(?![\w&-])", used_in, flags) is not None

    used = [t for t in sorted(terms, key=str.lower) if found(t)]
    return "\n".join(f"{inline(t)}\n:   {inline(terms[t])}\n" for t in used) or "No terms need explaining."


def unknown_acronyms(text: str, terms: dict[str, str]) -> list[str]:
    """Upper-case words of two or more letters in text that the glossary does not define."""
    found = set(re.findall(r"(?<![\w&-])([A-Z][A-Z&]*[A-Z])s?(?![\w&-])", text))
    return sorted(found - set(terms) - {"DRAFT", "II", "III", "IV"})
