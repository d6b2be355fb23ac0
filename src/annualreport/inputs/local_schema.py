"""The format of local partnership inputs: the figures and text no national dataset holds.

Numbers are tidy CSV in the style of DfE's Explore Education Statistics (EES): one row per
period x area x filter combination, with the standard columns

    time_period      financial year as six digits, 201314 for 2013-14
    time_identifier  'Financial year', or 'Part 1 (April to September)' / 'Part 2 (October to March)'
    geographic_level 'Local authority' (a member council; la_code required) or 'Partnership'
    la_code          DfE 3-digit code of the member council; blank for partnership rows
    la_name          the council's name; blank for partnership rows

then the dataset's filter columns (text; the value 'Total' marks a total row) and its indicator
columns (numbers; blank, or an EES symbol such as 'x' for not available, 'c' for suppressed).
Each CSV has a `<name>.meta.csv` beside it in EES meta format (col_name, col_type, label,
indicator_unit, indicator_dp) naming each filter and indicator column.

Lists and text are YAML: priorities, challenge log, audit findings and partner updates.
This module is the one definition of every dataset: `annualreport check` validates against
it and `annualreport template` writes blank files and their documentation from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Unit = Literal["count", "percent", "gbp", "rate_per_10k", "number"]

STANDARD_COLUMNS = ("time_period", "time_identifier", "geographic_level", "la_code", "la_name")
TIME_IDENTIFIERS = ("Financial year", "Part 1 (April to September)", "Part 2 (October to March)")
GEOGRAPHIC_LEVELS = ("Local authority", "Partnership")
UNIT_SYMBOL = {"count": "", "percent": "%", "gbp": "£", "rate_per_10k": "per 10,000", "number": ""}


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    hint: str
    exhaustive: bool = True  # the values other than 'Total' add up to the 'Total' row


@dataclass(frozen=True)
class Measure:
    """An indicator column. Percentages and rates name the count columns they are made of,
    so `check` can recompute them; a rate per 10,000 uses the ONS child population. Counts of
    meetings, courses or standards say nothing about a child and are not suppressed."""

    name: str
    label: str
    unit: Unit
    dp: int = 0
    numerator: str | None = None
    denominator: str | None = None
    disclosive: bool = True  # a count of children or of cases about them: small values are suppressed


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    chapter: str
    filters: tuple[Filter, ...] = ()
    measures: tuple[Measure, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return STANDARD_COLUMNS + tuple(f.name for f in self.filters) + tuple(m.name for m in self.measures)


@dataclass(frozen=True)
class TextInput:
    name: str  # file name, e.g. priorities.yml
    title: str
    description: str
    chapter: str
    example: str  # a commented YAML example for the template
    item_keys: dict[str, str] = field(default_factory=dict)  # key -> what it holds
    list_key: str = "items"
    statuses: tuple[str, ...] = ()


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "lado_allegations_by_sector", "LADO allegations by employment sector",
        "Allegations against people who work with children managed by the LADO, by the employment sector of "
        "the person the allegation is about.", "allegations",
        (Filter("employment_sector", "Employment sector", "e.g. Education, Social Care, Health, Foster Care, Police, Total"),),
        (Measure("allegations", "Allegations", "count"),),
    ),
    Dataset(
        "lado_outcomes", "LADO outcomes of allegations",
        "Outcome of each allegation concluded or considered in the year (the outcome categories of the "
        "Working Together definitions: substantiated, unsubstantiated, unfounded, false, malicious, and "
        "those with no further action or awaiting outcome).", "allegations",
        (Filter("outcome", "Outcome", "e.g. Substantiated, Unsubstantiated, Unfounded, False, Malicious, Total"),),
        (Measure("allegations", "Allegations", "count"),),
    ),
    Dataset(
        "lado_timescales", "LADO time to resolution",
        "Allegations concluded in the year by the time taken from referral to conclusion.", "allegations",
        (Filter("time_to_resolution", "Time to resolution", "Within 1 month, 1 to 3 months, 3 to 12 months, Over 12 months, Total"),),
        (Measure("allegations", "Allegations concluded", "count"),),
    ),
    Dataset(
        "training", "Multi-agency training",
        "Training delivered by the partnership: courses run, places offered, people attending, and "
        "evaluations returned and rating the course good or excellent.", "training",
        (Filter("course_type", "Course type", "e.g. Face to face, E-learning, Total"),),
        (
            Measure("courses", "Courses run", "count", disclosive=False),
            Measure("places", "Places offered", "count", disclosive=False),
            Measure("attendees", "Attendees", "count", disclosive=False),
            Measure("evaluations", "Evaluations returned", "count", disclosive=False),
            Measure("rated_good", "Rated good or excellent", "count", disclosive=False),
            Measure("rated_good_percent", "Rated good or excellent (%)", "percent", 1, "rated_good", "evaluations"),
        ),
    ),
    Dataset(
        "budget", "Budget",
        "Income (contributions by partner), expenditure by line, and the reserve, in pounds.", "governance",
        (
            Filter("budget_line_type", "Budget line type", "Income, Expenditure, Reserve", exhaustive=False),
            Filter("budget_line", "Budget line", "the partner or expenditure line; Total for the line type's total; "
                   "Opening balance and Closing balance for the reserve"),
        ),
        (Measure("amount_gbp", "Amount (£)", "gbp"),),
    ),
    Dataset(
        "board_attendance", "Board attendance by agency",
        "Board meetings each member agency was invited to and attended.", "governance",
        (Filter("agency", "Agency", "the member agency; Total for all agencies"),),
        (
            Measure("meetings_invited", "Meetings invited to", "count", disclosive=False),
            Measure("meetings_attended", "Meetings attended", "count", disclosive=False),
            Measure("attendance_percent", "Attendance (%)", "percent", 0, "meetings_attended", "meetings_invited"),
        ),
    ),
    Dataset(
        "section11_audit", "Section 11 audit results",
        "The section 11 (Children Act 2004) self-assessment: standards assessed per agency and how many "
        "were rated green, amber and red.", "quality_assurance",
        (Filter("agency", "Agency", "the agency audited; Total for all agencies"),),
        (
            Measure("standards_assessed", "Standards assessed", "count", disclosive=False),
            Measure("green", "Rated green", "count", disclosive=False),
            Measure("amber", "Rated amber", "count", disclosive=False),
            Measure("red", "Rated red", "count", disclosive=False),
        ),
    ),
    Dataset(
        "child_deaths", "Child deaths reviewed",
        "Child deaths reviewed by the child death overview panel in the year, by category of death, and "
        "how many had modifiable factors.", "learning",
        (Filter("category", "Category of death", "the ten CDOP categories, e.g. Perinatal/neonatal event; Total"),),
        (
            Measure("deaths_reviewed", "Deaths reviewed", "count"),
            Measure("modifiable", "With modifiable factors", "count"),
            Measure("modifiable_percent", "With modifiable factors (%)", "percent", 0, "modifiable", "deaths_reviewed"),
        ),
    ),
    Dataset(
        "missing_children", "Children missing from home or care",
        "Children reported missing, missing episodes, and return interviews offered and completed.", "outside_home",
        (),
        (
            Measure("children", "Children reported missing", "count"),
            Measure("episodes", "Missing episodes", "count"),
            Measure("return_interviews_offered", "Return interviews offered", "count"),
            Measure("return_interviews_completed", "Return interviews completed", "count"),
            Measure("return_interviews_percent", "Return interviews completed (%)", "percent", 0,
                    "return_interviews_completed", "return_interviews_offered"),
            Measure("children_rate_per_10k", "Children reported missing per 10,000 children", "rate_per_10k", 1, "children"),
        ),
    ),
    Dataset(
        "cse_referrals", "Child sexual exploitation referrals",
        "Referrals about child sexual exploitation to police or children's social care, by police division.",
        "outside_home",
        (Filter("police_division", "Police division", "e.g. North, South, East, West, Total"),),
        (Measure("referrals", "Referrals", "count"),),
    ),
    Dataset(
        "private_fostering", "Private fostering",
        "Private fostering notifications received and arrangements in place, and the share of arrangements "
        "visited within the regulation timescales.", "outside_home",
        (),
        (
            Measure("notifications", "Notifications received", "count"),
            Measure("arrangements", "Arrangements in place during the year", "count"),
            Measure("visited_in_time", "Arrangements visited within timescales", "count"),
            Measure("visited_in_time_percent", "Visited within timescales (%)", "percent", 0, "visited_in_time", "arrangements"),
        ),
    ),
)

TEXT_INPUTS: tuple[TextInput, ...] = (
    TextInput(
        "priorities.yml", "Priorities", "Last year's priorities with their progress, and next year's.", "priorities",
        "items:\n  - priority: Reduce re-referrals\n    year: 2013-14\n    status: partly achieved\n"
        "    progress: Re-referrals fell from 31% to 27%.\n  - priority: Tackle child sexual exploitation\n"
        "    year: 2014-15\n    status: planned\n    progress: ''\n",
        {"priority": "the priority in a few words", "year": "the year it is for, e.g. 2013-14",
         "status": "achieved, partly achieved, not achieved, ongoing or planned", "progress": "what was done"},
        statuses=("achieved", "partly achieved", "not achieved", "ongoing", "planned"),
    ),
    TextInput(
        "challenge_log.yml", "Challenge log", "Challenges raised with partner agencies (by the board or the partnership), and their response.",
        "quality_assurance",
        "items:\n  - raised_with: Health\n    issue: Attendance at child protection conferences\n"
        "    response: Named lead appointed\n    status: resolved\n",
        {"raised_with": "the agency challenged", "issue": "what was challenged", "response": "what they did",
         "status": "open or resolved"},
        statuses=("open", "resolved"),
    ),
    TextInput(
        "audit_findings.yml", "Audit findings", "Multi-agency audits in the year: what was found, what follows.",
        "quality_assurance",
        "items:\n  - audit: Supervision audit\n    findings: All agencies but one had a supervision policy.\n"
        "    actions: Policy to be agreed by March.\n",
        {"audit": "name of the audit", "findings": "what it found", "actions": "what will be done"},
    ),
    TextInput(
        "partner_updates.yml", "Partner updates", "Each partner agency's account of its year.", "partner_updates",
        "items:\n  - partner: Lancashire Constabulary\n    update: |\n      A paragraph or two in plain words.\n",
        {"partner": "the agency", "update": "its account of the year (Markdown)"},
    ),
    # The safeguarding partners' arrangements (2019-20 on; inputs.framework): their chapters' inputs.
    TextInput(
        "scrutiny.yml", "Independent scrutiny",
        "What the independent scrutiny of the arrangements looked at in the year, what it found and what the "
        "safeguarding partners did in response.", "scrutiny",
        "items:\n  - activity: Scrutiny of the front door\n    by: Independent scrutineer\n"
        "    findings: Referrals from schools were handled well; health referrals waited longer.\n"
        "    response: Health and children's social care agreed a shared triage.\n",
        {"activity": "what was scrutinised", "by": "who carried it out (e.g. independent scrutineer, young scrutineers, "
         "peer review)", "findings": "what it found", "response": "what the safeguarding partners did"},
    ),
    TextInput(
        "reviews.yml", "Rapid reviews and local child safeguarding practice reviews",
        "Rapid reviews and local child safeguarding practice reviews (LCSPRs) in the year: each review by its "
        "reference (never a child's name), its kind and stage, its themes (separated by ';', in the words of the "
        "national panel's themes where they fit) and what was learnt.", "reviews",
        "items:\n  - review: RR 2022-01\n    kind: rapid review\n    status: LCSPR commissioned\n"
        "    themes: Sharing information in a timely way; Critical thinking and challenge\n"
        "    learning: Health visitors did not know of the police call-outs.\n",
        {"review": "its reference, e.g. RR 2022-01 (never a child's or family's name)",
         "kind": "rapid review or LCSPR", "status": "where it stands: for a rapid review its decision, for an "
         "LCSPR in progress, published or recommendations completed",
         "themes": "the themes it found, separated by ';'", "learning": "what was learnt and what changed"},
        statuses=("no further review", "LCSPR commissioned", "national review", "in progress", "published",
                  "recommendations completed"),
    ),
    TextInput(
        "agencies.yml", "Relevant agencies and education",
        "The relevant agencies the safeguarding partners named, schools and other education among them, and "
        "what each contributed in the year.", "agencies",
        "items:\n  - agency: Schools and colleges\n    sector: Education\n"
        "    contribution: Designated safeguarding leads met each term; every school returned its section 175 audit.\n",
        {"agency": "the relevant agency or group of agencies", "sector": "e.g. Education, Early years, Health, "
         "Housing, Voluntary and community, Probation, Youth justice", "contribution": "what it did in the year"},
    ),
    TextInput(
        "voice.yml", "Voice of children and families",
        "How the partnership heard children, young people and families in the year, what they said and what "
        "changed as a result.", "voice",
        "items:\n  - activity: Young people's survey on feeling safe\n"
        "    heard: Young people feel less safe travelling after dark.\n"
        "    changed: Transport safety added to the exploitation campaign.\n",
        {"activity": "how children or families were heard", "heard": "what they said", "changed": "what changed as a result"},
    ),
    TextInput(
        "impact.yml", "Evidence of impact",
        "For each priority or area of work, what the partnership did, the evidence of its impact on children, "
        "and where there was little progress.", "impact",
        "items:\n  - area: Neglect\n    action: Neglect toolkit launched with training for 400 staff.\n"
        "    evidence: Audits found the toolkit used in most neglect cases.\n    status: some impact\n",
        {"area": "the priority or area of work", "action": "what was done", "evidence": "the evidence of impact on "
         "children and families", "status": "impact shown, some impact, little progress or too early to tell"},
        statuses=("impact shown", "some impact", "little progress", "too early to tell"),
    ),
)

@dataclass(frozen=True)
class Term:
    """A figure of one dataset: `measure` on the rows whose filters have the `where` values."""

    dataset: str
    measure: str
    where: tuple[tuple[str, str], ...] = ()
    sign: int = 1


@dataclass(frozen=True)
class Relation:
    """Figures of different files (or columns) that must agree, for each period and area (and each
    value of the `by` filters): sum(left) `op` sum(right). Checked by `annualreport check`."""

    left: tuple[Term, ...]
    op: Literal["==", ">="]
    right: tuple[Term, ...]
    why: str
    by: tuple[str, ...] = ()


def _total(dataset: str, measure: str, column: str, value: str = "Total", sign: int = 1) -> Term:
    return Term(dataset, measure, ((column, value),), sign)


RELATIONS: tuple[Relation, ...] = (
    Relation((_total("lado_outcomes", "allegations", "outcome"),), "==",
             (_total("lado_allegations_by_sector", "allegations", "employment_sector"),),
             "every allegation has an employment sector and an outcome (Awaiting outcome for those still open)"),
    Relation((_total("lado_outcomes", "allegations", "outcome"),), ">=",
             (_total("lado_timescales", "allegations", "time_to_resolution"),),
             "allegations concluded cannot outnumber the allegations managed; the difference is those still open"),
    Relation((Term("training", "places"),), ">=", (Term("training", "attendees"),),
             "a course cannot be attended by more people than it had places", by=("course_type",)),
    Relation((Term("budget", "amount_gbp", (("budget_line_type", "Income"), ("budget_line", "Total"))),
              Term("budget", "amount_gbp", (("budget_line_type", "Expenditure"), ("budget_line", "Total")), -1)), "==",
             (Term("budget", "amount_gbp", (("budget_line_type", "Reserve"), ("budget_line", "Closing balance"))),
              Term("budget", "amount_gbp", (("budget_line_type", "Reserve"), ("budget_line", "Opening balance")), -1)),
             "income less expenditure is the movement in the reserve (its closing less its opening balance)"),
)

# The figures made from these inputs (and that params may set targets for) are declared in local_indicators.py.
DATASET_BY_NAME = {d.name: d for d in DATASETS}
TEXT_BY_NAME = {t.name: t for t in TEXT_INPUTS}


def time_period_code(year: str) -> str:
    """'2013-14' -> '201314', the EES form of a financial year."""
    return f"{year[:4]}{year[5:7]}"
