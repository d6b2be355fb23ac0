"""The framework of a report's year: who leads safeguarding, which chapters the report has, its words.

Two frameworks have governed local safeguarding of children in England since these reports began:

- **Local Safeguarding Children Boards** (Children Act 2004, Working Together 2015): an LSCB with an
  Independent Chair, member agencies, serious case reviews. Reports up to **2018-19**.
- **Safeguarding partners** (Children and Social Work Act 2017, Working Together 2018, then 2023): the
  council, the chief officer of police and the health body (the clinical commissioning group, the
  integrated care board from 1 July 2022) lead multi-agency safeguarding arrangements with independent
  scrutiny, rapid reviews and local child safeguarding practice reviews (LCSPRs), and name the relevant
  agencies (schools and other education among them) they work with. Reports from **2019-20**.

Why the boundary is between 2018-19 and 2019-20: Working Together 2018 required every area to publish its
new arrangements by 29 June 2019 and to have them in place by 29 September 2019, when LSCBs ceased. The
financial year 2019-20 (1 April 2019 to 31 March 2020) is the first whose yearly report is the safeguarding
partners'; 2018-19 was the LSCBs' last full year and its report the LSCB's.

`framework_for(year)` gives the framework: its default chapter list (the year's params may still choose
any chapters, of either framework), its words (the `{{ framework.<word> }}` placeholders of narrative, and
what generated text says) and the glossary entries it adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

from annualreport.inputs.local_schema import DATASET_BY_NAME, DATASETS, TEXT_BY_NAME, TEXT_INPUTS

FIRST_PARTNERS_YEAR = 2019  # the report year 2019-20: arrangements in place by 29 September 2019

LSCB_CHAPTERS = ("summary", "local_context", "front_door", "child_protection", "looked_after", "outside_home",
                 "allegations", "learning", "training", "quality_assurance", "governance", "priorities",
                 "partner_updates", "appendix")

PARTNERS_CHAPTERS = ("summary", "local_context", "governance", "scrutiny", "front_door", "child_protection",
                     "looked_after", "outside_home", "allegations", "reviews", "learning", "agencies", "training",
                     "quality_assurance", "voice", "impact", "priorities", "partner_updates", "appendix")

# Words that change with the framework. A word starting with a capital is the same word at the start
# of a sentence. Narrative uses them as {{ framework.body }}; notebooks as ch.words["body"].
LSCB_WORDS = {
    "body": "the board",
    "Body": "The board",
    "body_name": "Local Safeguarding Children Board",
    "leaders": "the board's member agencies",
    "accountability": "The board holds partners to account",
    "attendance_lead": "Its members' attendance",
    "meetings": "board meetings",
    "attendance_heading": "Board attendance",
    "attendance_caption": "Board attendance by agency",
    "reviews": "serious case reviews",
    "Reviews": "Serious case reviews",
    "review": "serious case review",
    "chair": "Independent Chair",
    "guidance": "Working Together to Safeguard Children 2015",
    "health_partner": "the clinical commissioning groups",
    "draft_for": "the board",
    "draft_banner": "the board and its committees",
}

PARTNERS_WORDS = {
    "body": "the partnership",
    "Body": "The partnership",
    "body_name": "safeguarding children partnership",
    "leaders": "the safeguarding partners",
    "attendance_lead": "Attendance at partnership meetings",
    "meetings": "partnership meetings",
    "attendance_heading": "Attendance at partnership meetings",
    "attendance_caption": "Attendance at partnership meetings by agency",
    "reviews": "local child safeguarding practice reviews (LCSPRs)",
    "Reviews": "Local child safeguarding practice reviews (LCSPRs)",
    "review": "local child safeguarding practice review (LCSPR)",
    "chair": "independent scrutineer",
    "draft_for": "the safeguarding partners",
    "draft_banner": "the safeguarding partners",
}

# Local inputs whose title names the board: what a safeguarding partners' report calls them.
PARTNERS_TITLES = {"board_attendance": "Attendance at partnership meetings by agency"}

# Glossary entries the safeguarding partners' reports use (the shipped glossary has the LSCB's).
PARTNERS_GLOSSARY = {
    "LCSPR": "Local child safeguarding practice review: a review the safeguarding partners commission when a "
             "serious incident may hold lessons for local practice. LCSPRs replaced serious case reviews in 2019",
    "ICB": "Integrated care board, the NHS body that plans health services for the area (the clinical "
           "commissioning group before 1 July 2022)",
    "safeguarding partners": "The council, the police and the integrated care board, who together lead the "
                             "area's arrangements to safeguard children (Working Together to Safeguard Children)",
    "relevant agencies": "Organisations the safeguarding partners name to work with them, such as schools, "
                         "colleges, early years settings, housing and the voluntary sector",
    "independent scrutiny": "A check by someone independent of the safeguarding partners that the arrangements "
                            "work well for children",
    "rapid review": "The safeguarding partners' first look, within 15 working days, at a serious incident "
                    "notified to the national panel: what happened, and whether an LCSPR is needed",
    "Child Safeguarding Practice Review Panel": "The national panel that commissions national reviews of serious "
                                                "child safeguarding cases and reports the themes they share",
    "serious incident notification": "The council's report to Ofsted and the national panel, within five "
                                     "working days, of a child's death or serious harm where abuse or neglect "
                                     "is known or suspected",
    "Working Together": "Working Together to Safeguard Children, the government's statutory guidance on "
                        "multi-agency working to safeguard children",
}

# The practice themes that the Child Safeguarding Practice Review Panel's annual reports (2020, 2021) found
# across the rapid reviews and LCSPRs of England; a partnership's own reviews are set against them.
NATIONAL_PANEL_THEMES = (
    "Understanding what the child's daily life is like",
    "Working with families where engagement is reluctant and with parents with complex needs",
    "Critical thinking and challenge",
    "Responding to changing risk and need",
    "Sharing information in a timely way",
    "Organisational leadership and culture for good practice",
)


@dataclass(frozen=True)
class Framework:
    """The framework a report year follows: its id, name, default chapters, words and glossary."""

    id: Literal["lscb", "partners"]
    name: str
    chapters: tuple[str, ...]
    words: Mapping[str, str]
    glossary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def _guidance(start: int) -> str:
    return "Working Together to Safeguard Children 2023" if start >= 2023 else "Working Together to Safeguard Children 2018"


def _health(start: int) -> str:
    """The health safeguarding partner of a year: CCGs until 30 June 2022, then ICBs."""
    if start >= 2023:
        return "the integrated care board"
    if start == 2022:
        return "the integrated care board (the clinical commissioning group until 30 June 2022)"
    return "the clinical commissioning group"


def framework_for(year: str) -> Framework:
    """The framework of the report year '2013-14' (see the module's docstring for the boundary)."""
    start = int(year[:4])
    if start < FIRST_PARTNERS_YEAR:
        return Framework("lscb", "Local Safeguarding Children Board (Working Together 2015)", LSCB_CHAPTERS,
                         MappingProxyType(dict(LSCB_WORDS)))
    health = _health(start)
    words = dict(PARTNERS_WORDS, guidance=_guidance(start), health_partner=health,
                 accountability=f"The safeguarding partners lead the partnership: the local authority, the chief officer "
                                f"of police and {health}. They hold each other and the relevant agencies to account")
    return Framework("partners", f"safeguarding partners (Working Together {words['guidance'][-4:]})", PARTNERS_CHAPTERS,
                     MappingProxyType(words), MappingProxyType(dict(PARTNERS_GLOSSARY)))


def framework_placeholders(year: str) -> dict[str, str]:
    """The framework's words as narrative placeholders: {{ framework.body }} -> 'the partnership'."""
    return {f"framework.{key}": value for key, value in framework_for(year).words.items()}


def input_title(name: str, year: str) -> str:
    """A local input's title in the words of the year's framework ('Board attendance by agency' up to
    2018-19, 'Attendance at partnership meetings by agency' from 2019-20)."""
    if framework_for(year).id == "partners" and name in PARTNERS_TITLES:
        return PARTNERS_TITLES[name]
    return (DATASET_BY_NAME.get(name) or TEXT_BY_NAME[name]).title


def inputs_of(chapters: list[str] | tuple[str, ...]) -> set[str]:
    """The local inputs (dataset and text input names) the given chapters show: the only ones a report
    with those chapters needs, so a 2013-14 report does not ask for a scrutiny report."""
    return ({d.name for d in DATASETS if d.chapter in chapters}
            | {t.name for t in TEXT_INPUTS if t.chapter in chapters})
