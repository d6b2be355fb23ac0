"""The partnership's own figures as indicators: each declared once, like the national ones.

A local indicator is either a count (or an amount in pounds): one measure of a local dataset
(local_schema.DATASETS) on the annual rows whose filters have the given values, added up when a
filter names several values ("Within 1 month" and "1 to 3 months"); or a percentage of two such
counts, always recomputed from the counts (never read from a file's percentage column, and never
averaged over councils). The store (store/local_figures.py) computes each for every member council
whose file has rows and for the partnership; chapters, narrative placeholders, the summary at a
glance and `annualreport indicators` read them from there, so one figure has one value everywhere.
Publication decides which council rows are published from these declarations (see
local_tables.published_rows): a council's cell is published only where an indicator is made of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

from annualreport.inputs.local_schema import DATASET_BY_NAME

LocalUnit = Literal["count", "percent", "gbp"]
Polarity = Literal["high", "low", "none"]


@dataclass(frozen=True)
class LocalIndicator:
    """One local figure. A count has `dataset`, `measure` and `where` (filter -> the values added
    up); a percentage has `numerator` and `denominator` (ids of two counts of the same dataset)."""

    id: str
    title: str
    unit: LocalUnit
    decimals: int
    definition: str
    dataset: str
    measure: str | None = None
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    polarity: Polarity = "none"

    @property
    def is_share(self) -> bool:
        return self.numerator is not None

    def describe(self) -> str:
        """Where the figure comes from, in words: 'lado_outcomes.csv: allegations where outcome = Total'."""
        if self.is_share:
            return f"{self.dataset}.csv: {self.numerator} / {self.denominator} x 100, from the counts of the same rows"
        where = " and ".join(f"{f} = {' + '.join(vs)}" for f, vs in self.where)
        return f"{self.dataset}.csv: {self.measure}, financial year rows" + (f" where {where}" if where else "")


def _count(id: str, title: str, definition: str, dataset: str, measure: str, unit: LocalUnit = "count",
           polarity: Polarity = "none", **where: str | tuple[str, ...]) -> LocalIndicator:
    spec = tuple((f, (v,) if isinstance(v, str) else tuple(v)) for f, v in where.items())
    return LocalIndicator(id, title, unit, 0, definition, dataset, measure, spec, polarity=polarity)


def _share(id: str, title: str, definition: str, dataset: str, numerator: str, denominator: str,
           polarity: Polarity = "high", decimals: int = 0) -> LocalIndicator:
    return LocalIndicator(id, title, "percent", decimals, definition, dataset, numerator=numerator,
                          denominator=denominator, polarity=polarity)


TOTAL = "Total"

LOCAL_INDICATORS: tuple[LocalIndicator, ...] = (
    # -- allegations (LADO) -------------------------------------------------------------------------
    _count("lado_allegations", "Allegations managed by the LADO",
           "Allegations against people who work with children that the LADO managed in the year, the total of "
           "the outcomes file (those still open are counted as awaiting outcome).",
           "lado_outcomes", "allegations", outcome=TOTAL),
    _count("lado_substantiated", "LADO allegations substantiated",
           "Allegations managed by the LADO in the year whose outcome was substantiated.",
           "lado_outcomes", "allegations", outcome="Substantiated"),
    _count("lado_concluded", "LADO allegations concluded",
           "Allegations concluded in the year, the total of the time-to-resolution file.",
           "lado_timescales", "allegations", time_to_resolution=TOTAL),
    _count("lado_concluded_1_month", "LADO allegations concluded within one month",
           "Allegations concluded in the year within one month of referral.",
           "lado_timescales", "allegations", time_to_resolution="Within 1 month"),
    _count("lado_concluded_3_months", "LADO allegations concluded within three months",
           "Allegations concluded in the year within three months of referral (within one month, or in one to "
           "three months).", "lado_timescales", "allegations", time_to_resolution=("Within 1 month", "1 to 3 months")),
    _share("lado_within_1_month", "LADO allegations concluded within one month (%)",
           "Percentage of the allegations concluded in the year that were concluded within one month.",
           "lado_timescales", "lado_concluded_1_month", "lado_concluded", decimals=1),
    _share("lado_within_3_months", "LADO allegations concluded within three months (%)",
           "Percentage of the allegations concluded in the year that were concluded within three months.",
           "lado_timescales", "lado_concluded_3_months", "lado_concluded", decimals=1),
    # -- multi-agency training ----------------------------------------------------------------------
    _count("training_courses", "Multi-agency training courses run", "Training courses the partnership ran in the year.",
           "training", "courses", course_type=TOTAL),
    _count("training_places", "Multi-agency training places offered", "Places offered on the partnership's courses.",
           "training", "places", course_type=TOTAL),
    _count("training_attendees", "Multi-agency training attendees", "People attending the partnership's courses.",
           "training", "attendees", course_type=TOTAL),
    _count("training_evaluations", "Training evaluations returned", "Course evaluations returned by attendees.",
           "training", "evaluations", course_type=TOTAL),
    _count("training_rated_good", "Training evaluations rating the course good or excellent",
           "Course evaluations that rated the course good or excellent.", "training", "rated_good", course_type=TOTAL),
    _share("training_rated_good_percent", "Training rated good or excellent (%)",
           "Percentage of the evaluations returned that rated the course good or excellent.",
           "training", "training_rated_good", "training_evaluations"),
    # -- governance: attendance and budget ----------------------------------------------------------
    _count("board_meetings_invited", "Meetings invited to (all agencies)",
           "Board (or partnership) meetings each member agency was invited to, added up over the agencies.",
           "board_attendance", "meetings_invited", agency=TOTAL),
    _count("board_meetings_attended", "Meetings attended (all agencies)",
           "Board (or partnership) meetings each member agency attended, added up over the agencies.",
           "board_attendance", "meetings_attended", agency=TOTAL),
    _share("board_attendance", "Attendance at meetings (%)",
           "Percentage of the board (or partnership) meetings the member agencies were invited to that they attended.",
           "board_attendance", "board_meetings_attended", "board_meetings_invited"),
    _count("budget_income", "Budget: total income", "The partnership's income in the year, in pounds.",
           "budget", "amount_gbp", "gbp", budget_line_type="Income", budget_line=TOTAL),
    _count("budget_expenditure", "Budget: total expenditure", "The partnership's expenditure in the year, in pounds.",
           "budget", "amount_gbp", "gbp", budget_line_type="Expenditure", budget_line=TOTAL),
    _count("budget_reserve", "Budget: reserve at the end of the year", "The reserve's closing balance, in pounds.",
           "budget", "amount_gbp", "gbp", budget_line_type="Reserve", budget_line="Closing balance"),
    # -- child deaths -------------------------------------------------------------------------------
    _count("child_deaths_reviewed", "Child deaths reviewed", "Child deaths the child death overview panel reviewed in the year.",
           "child_deaths", "deaths_reviewed", category=TOTAL),
    _count("child_deaths_modifiable", "Child deaths reviewed with modifiable factors",
           "Child deaths reviewed in the year in which the panel found modifiable factors.",
           "child_deaths", "modifiable", category=TOTAL),
    _share("child_deaths_modifiable_percent", "Child deaths reviewed with modifiable factors (%)",
           "Percentage of the child deaths reviewed in the year in which the panel found modifiable factors.",
           "child_deaths", "child_deaths_modifiable", "child_deaths_reviewed", polarity="none"),
    # -- children at risk outside the home ----------------------------------------------------------
    _count("reported_missing", "Children reported missing from home or care",
           "Children reported missing from home or care in the year (the partnership's own records).",
           "missing_children", "children"),
    _count("missing_episodes", "Missing episodes", "Episodes of children going missing from home or care in the year.",
           "missing_children", "episodes"),
    _count("missing_return_interviews_offered", "Return interviews offered",
           "Return interviews offered to children after they had been missing.", "missing_children", "return_interviews_offered"),
    _count("missing_return_interviews_completed", "Return interviews completed",
           "Return interviews completed with children after they had been missing.", "missing_children",
           "return_interviews_completed"),
    _share("missing_return_interviews_percent", "Return interviews completed (%)",
           "Percentage of the return interviews offered that were completed.",
           "missing_children", "missing_return_interviews_completed", "missing_return_interviews_offered"),
    _count("cse_referrals", "Child sexual exploitation referrals",
           "Referrals about child sexual exploitation to the police or children's social care in the year.",
           "cse_referrals", "referrals", police_division=TOTAL),
    _count("private_fostering_notifications", "Private fostering notifications",
           "Notifications of private fostering arrangements received in the year.", "private_fostering", "notifications"),
    _count("private_fostering_arrangements", "Private fostering arrangements",
           "Private fostering arrangements in place during the year.", "private_fostering", "arrangements"),
    _count("private_fostering_visited", "Private fostering arrangements visited within timescales",
           "Private fostering arrangements visited within the regulation timescales.", "private_fostering", "visited_in_time"),
    _share("private_fostering_visited_percent", "Private fostering arrangements visited within timescales (%)",
           "Percentage of the private fostering arrangements in place that were visited within the regulation "
           "timescales.", "private_fostering", "private_fostering_visited", "private_fostering_arrangements"),
)

LOCAL_BY_ID: dict[str, LocalIndicator] = {i.id: i for i in LOCAL_INDICATORS}


def published_terms(dataset: str) -> dict[str, list[tuple[tuple[str, tuple[str, ...]], ...]]]:
    """For a dataset: measure -> the filter values of the rows some local indicator is made of
    (a council's cells that are published in the store and the per-council tables)."""
    out: dict[str, list[tuple[tuple[str, tuple[str, ...]], ...]]] = {}
    for ind in LOCAL_INDICATORS:
        if ind.dataset == dataset and not ind.is_share:
            out.setdefault(ind.measure, []).append(ind.where)  # type: ignore[arg-type]
    return out


def check_declarations(national: Iterable[str] = ()) -> list[str]:
    """Faults in the declarations above (a test runs this): unknown datasets, measures, filters, and
    ids that are already `national` indicators' (one name, one figure)."""
    faults = [f"{i.id}: a national indicator has this id" for i in LOCAL_INDICATORS if i.id in set(national)]
    for ind in LOCAL_INDICATORS:
        dataset = DATASET_BY_NAME.get(ind.dataset)
        if dataset is None:
            faults.append(f"{ind.id}: no dataset {ind.dataset}")
            continue
        if ind.is_share:
            for part in (ind.numerator, ind.denominator):
                other = LOCAL_BY_ID.get(part or "")
                if other is None or other.is_share or other.dataset != ind.dataset:
                    faults.append(f"{ind.id}: {part} is not a count of {ind.dataset}")
            continue
        if ind.measure not in {m.name for m in dataset.measures}:
            faults.append(f"{ind.id}: no measure {ind.measure} in {ind.dataset}")
        if {f for f, _ in ind.where} != {f.name for f in dataset.filters}:
            faults.append(f"{ind.id}: must give a value for each filter of {ind.dataset}")
    return faults
