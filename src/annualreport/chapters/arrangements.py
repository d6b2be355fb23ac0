"""The safeguarding partners' chapters (2019-20 on, inputs.framework): what their notebooks call.

Independent scrutiny, rapid reviews and local child safeguarding practice reviews (LCSPRs) set against the
national panel's themes, relevant agencies and education, the voice of children and families, and evidence
of impact. Their content is the partnership's own text (YAML inputs declared in local_schema.TEXT_INPUTS);
each function returns Markdown, and an input that was not provided gives the standard "Not provided"
sentence (LocalView.missing) instead of a table. Text is shown as typed (escaped), never as Markdown.
No counts are made from these lists: a review is about a child, and its count would be a small number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from IPython.display import Markdown

from annualreport.chapters.fmt import join_words
from annualreport.inputs.framework import NATIONAL_PANEL_THEMES
from annualreport.render.markdown_text import inline, paragraphs
from annualreport.render.outputs import pipe_table, text_widths

if TYPE_CHECKING:
    from annualreport.chapters.chapter import Chapter

EDUCATION = ("education", "early years", "schools", "colleges", "further education")
SCRUTINY_COLUMNS = {"activity": "What was scrutinised", "by": "By", "findings": "What it found",
                    "response": "What the safeguarding partners did"}
REVIEW_COLUMNS = {"review": "Review", "kind": "Kind", "status": "Stage", "themes": "Themes"}
VOICE_COLUMNS = {"activity": "How we listened", "heard": "What children and families told us", "changed": "What changed"}
IMPACT_COLUMNS = {"area": "Area of work", "action": "What was done", "evidence": "Evidence of impact", "status": "Judgement"}


def _table(ch: Chapter, header: list[str], body: list[list[str]], caption: str) -> Markdown:
    return Markdown(pipe_table(header, body, text_widths(header, body), caption, ch.outputs.next_table()))


def scrutiny_table(ch: Chapter) -> Markdown:
    """The year's independent scrutiny: what was looked at, by whom, what it found and the response."""
    return ch.local.items_table("scrutiny.yml", SCRUTINY_COLUMNS, f"Independent scrutiny in {ch.year}")


def themes_of(item: dict) -> list[str]:
    """A review's themes, as typed, from its `themes` text separated by ';'."""
    return [t.strip() for t in str(item.get("themes") or "").split(";") if t.strip()]


def _key(theme: str) -> str:
    return " ".join(theme.lower().replace("’", "'").split())


def reviews_table(ch: Chapter) -> Markdown:
    """The rapid reviews and LCSPRs of the year: reference, kind, stage and themes."""
    return ch.local.items_table("reviews.yml", REVIEW_COLUMNS, f"Rapid reviews and LCSPRs in {ch.year}")


def reviews_learning(ch: Chapter) -> Markdown:
    """What each review taught, a section per review (`###`, under the chapter's `##` heading of it)."""
    items = ch.local.items("reviews.yml")
    if not items:
        return ch.local.missing("reviews.yml")
    return Markdown("\n\n".join(f"### {inline(i.get('review', ''))} {{.unnumbered}}\n\n"
                                 f"{paragraphs(i.get('learning') or 'No learning recorded yet.')}" for i in items))


def national_themes(ch: Chapter) -> Markdown:
    """The national panel's practice themes, each with the partnership's reviews that found it, and the
    themes found locally that the panel's list does not have."""
    items = ch.local.items("reviews.yml")
    if not items:
        return ch.local.missing("reviews.yml")
    national = {_key(t): t for t in NATIONAL_PANEL_THEMES}
    found: dict[str, list[str]] = {k: [] for k in national}
    local: dict[str, str] = {}
    for item in items:
        for theme in themes_of(item):
            if _key(theme) in found:
                found[_key(theme)].append(str(item.get("review", "")))
            else:
                local.setdefault(_key(theme), theme)
    body = [[national[k], join_words(list(dict.fromkeys(refs))) or "Not found this year"] for k, refs in found.items()]
    table = _table(ch, ["National panel theme", "Our reviews that found it"], body,
                   f"The national panel's practice themes in our reviews, {ch.year}").data
    other = (f"\n\nOur reviews also found: {join_words([inline(t) for t in local.values()])}." if local else "")
    return Markdown(table + other)


def _is_education(item: dict) -> bool:
    return str(item.get("sector", "")).strip().lower() in EDUCATION


def agencies_tables(ch: Chapter) -> Markdown:
    """The relevant agencies and what each did: education first (schools, colleges, early years), then
    the others by sector."""
    items = ch.local.items("agencies.yml")
    if not items:
        return ch.local.missing("agencies.yml")
    education = [i for i in items if _is_education(i)]
    others = sorted((i for i in items if not _is_education(i)), key=lambda i: str(i.get("sector", "")).lower())
    parts = ["## Education"]
    parts.append(_table(ch, ["Setting", "Contribution"], [[str(i.get("agency", "")), str(i.get("contribution", ""))]
                                                          for i in education], f"Education's part in {ch.year}").data
                 if education else "No education setting is named among the relevant agencies this year.")
    if others:
        parts += ["## Other relevant agencies",
                  _table(ch, ["Agency", "Sector", "Contribution"],
                         [[str(i.get(k, "")) for k in ("agency", "sector", "contribution")] for i in others],
                         f"Other relevant agencies in {ch.year}").data]
    return Markdown("\n\n".join(parts))


def voice_table(ch: Chapter) -> Markdown:
    """How children, young people and families were heard, what they said and what changed."""
    return ch.local.items_table("voice.yml", VOICE_COLUMNS, f"What children and families told us in {ch.year}, and what changed")


def impact_table(ch: Chapter) -> Markdown:
    """Each area of work with what was done, the evidence of its impact and the judgement."""
    return ch.local.items_table("impact.yml", IMPACT_COLUMNS, f"Evidence of impact, {ch.year}")


def little_progress(ch: Chapter) -> Markdown:
    """A sentence naming the areas of little progress (Working Together asks for them), or none."""
    items = ch.local.items("impact.yml")
    if not items:
        return Markdown("")
    slow = [inline(i.get("area", "")) for i in items if i.get("status") == "little progress"]
    early = [inline(i.get("area", "")) for i in items if i.get("status") == "too early to tell"]
    lines = [f"Little progress was made in {'one area' if len(slow) == 1 else 'these areas'}: {join_words(slow)}."
             if slow else "No area of work was judged to have made little progress."]
    if early:
        lines.append(f"It is too early to tell the impact of the work on {join_words(early)}.")
    return Markdown(" ".join(lines))
