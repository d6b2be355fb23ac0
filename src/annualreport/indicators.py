"""The indicator registry: what each figure in the report is and where it comes from.

Each indicator is either read from a column of a national statistics file (`source`) or
computed as numerator / denominator x multiplier from two other indicators. Indicators that
are percentages or rates also name their numerator and denominator so that a partnership of
several councils recomputes them from summed counts instead of averaging rates.
Polarity (which direction is better) comes from DfE's LAIT measure dictionary, matched on the
measure's name; comparators apply to rates and percentages only (counts of areas of different
sizes are not compared), and a partnership figure is given only where adding up is valid.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

Unit = Literal["count", "percent", "rate_per_10k", "number"]
Polarity = Literal["high", "low", "none"]
MULTIPLIER: dict[str, float] = {"count": 1.0, "percent": 100.0, "rate_per_10k": 10_000.0, "number": 1.0}

POPULATION_FILE = "ons_mid-year_population_estimates_2012_to_2024.csv"
REFERRALS_FILE = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
CPP_SUBSEQUENT_FILE = "d3_cpps_subsequent_plan_2013_to_2025.csv"
CPP_DURATION_FILE = "d5_cpps_at31march_by_duration_2013_to_2025.csv"
CIN_FILE = "b1_children_in_need_2013_to_2025.csv"
CLA_FILE = "cla_number_and_rate_per_10k_children.csv"
STABILITY_FILE = "la_cla_placement_stability.csv"
PLACEMENTS_FILE = "la_cla_during_year_new_placements.csv"
LEAVERS_ACTIVITY_FILE = "la_care_leavers_activity.csv"
LEAVERS_ACCOMMODATION_FILE = "la_care_leavers_accommodation_suitability.csv"
WORKFORCE_FILE = "csww_indicators_2017_to_2025.csv"


@dataclass(frozen=True)
class Source:
    """A column of a national statistics file.

    `period_offset` shifts the file's time_period: rates for the year ending 31 March 2014 use
    the ONS mid-2013 population estimate, so population has offset -1.
    """

    file: str
    column: str
    filters: dict[str, str] = field(default_factory=dict)
    period_offset: int = 0


@dataclass(frozen=True)
class Indicator:
    """One figure of the report. `source` reads it from a file; otherwise it is computed as
    numerator / denominator x multiplier. `lait_measure` is DfE's LAIT name for it (polarity)."""

    id: str
    title: str
    unit: Unit
    decimals: int
    definition: str
    source: Source | None = None
    numerator: str | None = None
    denominator: str | None = None
    lait_measure: str | None = None
    polarity_default: Polarity = "none"

    @property
    def is_count(self) -> bool:
        return self.unit == "count"

    @property
    def computed(self) -> bool:
        """True when the value is computed from numerator and denominator, not read."""
        return self.source is None

    @property
    def additive(self) -> bool:
        """Whether a partnership of several councils has this figure: counts add up, and rates
        and percentages are recomputed from their counts; other published rates are not averaged."""
        return self.is_count or (self.numerator is not None and self.denominator is not None)

    @property
    def comparators(self) -> tuple[str, ...]:
        """Comparator areas that apply: counts are shown beside England and the region, but only
        rates and percentages are compared with neighbours or ranked in quartiles."""
        return ("england", "region") if self.is_count else ("england", "region", "sn_mean", "sn_median", "quartile")


def _pct(id: str, title: str, definition: str, source: Source, numerator: str, denominator: str,
         lait: str | None = None, decimals: int = 0) -> Indicator:
    return Indicator(id, title, "percent", decimals, definition, source, numerator, denominator, lait)


REGISTRY: tuple[Indicator, ...] = (
    Indicator(
        "child_population", "Children aged 0 to 17", "count", 0,
        "ONS mid-year population estimate of children aged 0 to 17, for the mid-year before the 31 March "
        "that ends the reporting year (the population DfE uses for rates).",
        Source(POPULATION_FILE, "population_estimate", {"age_group": "Children aged 0 to 17 years"}, period_offset=-1),
    ),
    # -- front door -----------------------------------------------------------------------
    Indicator("referrals", "Referrals to children's social care", "count", 0,
              "Referrals to children's social care received during the year (1 April to 31 March).",
              Source(REFERRALS_FILE, "referral_count"), lait_measure="Number of referrals to Children's Social Services"),
    Indicator("rereferrals", "Re-referrals within 12 months", "count", 0,
              "Referrals during the year that were within 12 months of a previous referral of the same child.",
              Source(REFERRALS_FILE, "rereferral_count")),
    Indicator("referral_rate", "Referrals per 10,000 children", "rate_per_10k", 1,
              "Referrals during the year per 10,000 children aged 0 to 17.",
              numerator="referrals", denominator="child_population",
              lait_measure="Rates per 10,000 of referrals to Children's Social Services"),
    Indicator("rereferral_percent", "Re-referrals within 12 months (%)", "percent", 1,
              "Percentage of referrals during the year that were within 12 months of a previous referral.",
              Source(REFERRALS_FILE, "rereferral_percent"), "rereferrals", "referrals",
              "Percentage of re-referrals to children's social care within 12 months"),
    # -- children in need -------------------------------------------------------------------
    Indicator("cin_at31", "Children in need at 31 March", "count", 0,
              "Episodes of need open at 31 March (children in need, including those on plans and looked after).",
              Source(CIN_FILE, "At31_episodes")),
    Indicator("cin_rate", "Children in need per 10,000 children", "rate_per_10k", 1,
              "Children in need at 31 March per 10,000 children aged 0 to 17.",
              numerator="cin_at31", denominator="child_population", lait_measure="Children in Need rate per 10,000"),
    # -- child protection -------------------------------------------------------------------
    Indicator("cp_plans", "Child protection plans at 31 March", "count", 0,
              "Children who were the subject of a child protection plan at 31 March.", Source(CPP_DURATION_FILE, "CPP_At31")),
    Indicator("cp_rate", "Child protection plans per 10,000 children", "rate_per_10k", 1,
              "Children subject of a child protection plan at 31 March per 10,000 children aged 0 to 17.",
              numerator="cp_plans", denominator="child_population", lait_measure="Child Protection Plans rate per 10,000"),
    Indicator("cp_starts", "Child protection plans starting in the year", "count", 0,
              "Child protection plans that started during the year.", Source(CPP_SUBSEQUENT_FILE, "CPP_start")),
    Indicator("cp_subsequent", "Second or subsequent plans", "count", 0,
              "Child protection plans starting during the year that were a second or subsequent plan.",
              Source(CPP_SUBSEQUENT_FILE, "CPP_subsequent")),
    Indicator("cp_subsequent_percent", "Second or subsequent plans (%)", "percent", 1,
              "Percentage of child protection plans starting during the year that were a second or subsequent plan "
              "(at any time).", Source(CPP_SUBSEQUENT_FILE, "CPP_subsequent_percent"), "cp_subsequent", "cp_starts",
              "Percentage of children who became the subject of a plan for a second or subsequent time"),
    Indicator("cp_2years", "Plans lasting 2 years or more at 31 March", "count", 0,
              "Child protection plans open at 31 March that had lasted 2 years or more.",
              Source(CPP_DURATION_FILE, "2_years_or_more")),
    Indicator("cp_2years_percent", "Plans lasting 2 years or more (%)", "percent", 1,
              "Percentage of child protection plans at 31 March that had lasted 2 years or more.",
              Source(CPP_DURATION_FILE, "2_years_or_more_percent"), "cp_2years", "cp_plans",
              "Child Protection Plans lasting 2 years or more as at 31 March"),
    # -- children looked after ----------------------------------------------------------------
    Indicator("cla_at31", "Children looked after at 31 March", "count", 0,
              "Children looked after by the local authority on 31 March.",
              Source(CLA_FILE, "children_count", {"population_type": "Children looked after on 31 March each year"}),
              lait_measure="Number of Children looked after"),
    Indicator("cla_rate", "Children looked after per 10,000 children", "rate_per_10k", 0,
              "Children looked after on 31 March per 10,000 children aged 0 to 17.",
              numerator="cla_at31", denominator="child_population", lait_measure="Children looked after rate per 10,000"),
    Indicator("cla_starts", "Children starting to be looked after", "count", 0,
              "Children who started to be looked after during the year.",
              Source(CLA_FILE, "children_count", {"population_type": "Children starting to be looked after each year"})),
    Indicator("cla_stability_base", "Children looked after at 31 March (placement stability)", "count", 0,
              "Children looked after on 31 March, the base of the short-term placement stability measure.",
              Source(STABILITY_FILE, "children_count", {"cla_group": "CLA on 31 March", "placement_stability": "Total children"})),
    Indicator("cla_3plus", "Children with 3 or more placements in the year", "count", 0,
              "Children looked after on 31 March who had 3 or more placements during the year.",
              Source(STABILITY_FILE, "children_count", {"cla_group": "CLA on 31 March",
                                                        "placement_stability": "With 3 or more placements during the year"})),
    _pct("cla_3plus_percent", "Children with 3 or more placements (%)",
         "Percentage of children looked after on 31 March with 3 or more placements during the year.",
         Source(STABILITY_FILE, "children_percent", {"cla_group": "CLA on 31 March",
                                                     "placement_stability": "With 3 or more placements during the year"}),
         "cla_3plus", "cla_stability_base", "Placement 1 - % CLA with three or more placements"),
    Indicator("cla_longterm_base", "Children looked after 2.5 years or more, under 16", "count", 0,
              "Children under 16 looked after continuously for at least 2.5 years on 31 March.",
              Source(STABILITY_FILE, "children_count", {
                  "cla_group": "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
                  "placement_stability": "Total children"})),
    Indicator("cla_longterm_stable", "Living with the same carer for 2 years or more", "count", 0,
              "Of those, children living in the same placement for at least 2 years.",
              Source(STABILITY_FILE, "children_count", {
                  "cla_group": "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
                  "placement_stability": "Living with the same carer for at least 2 years"})),
    _pct("cla_longterm_percent", "Long-term placement stability (%)",
         "Percentage of children under 16 looked after for 2.5 years or more who had lived with the same carer "
         "for at least 2 years.",
         Source(STABILITY_FILE, "children_percent", {
             "cla_group": "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
             "placement_stability": "Living with the same carer for at least 2 years"}),
         "cla_longterm_stable", "cla_longterm_base", "Long Term Placement Stability (%)"),
    Indicator("new_placements", "New placements in the year", "count", 0, "Placements that started during the year.",
              Source(PLACEMENTS_FILE, "children_count", {"characteristic": "Location of new placements during the year",
                                                         "breakdown": "Total new placements"})),
    Indicator("placements_far", "New placements outside the LA more than 20 miles from home", "count", 0,
              "New placements during the year outside the local authority's boundary and more than 20 miles from home.",
              Source(PLACEMENTS_FILE, "children_count", {"characteristic": "Location of new placements during the year",
                                                         "breakdown": "Placed outside LA boundary more than 20 miles from home"})),
    _pct("placements_far_percent", "New placements outside the LA, over 20 miles (%)",
         "Percentage of new placements that were outside the local authority and more than 20 miles from home.",
         Source(PLACEMENTS_FILE, "children_percent", {"characteristic": "Location of new placements during the year",
                                                      "breakdown": "Placed outside LA boundary more than 20 miles from home"}),
         "placements_far", "new_placements", "Children looked after placed more than 20 miles from home, outside LA Boundary (%)"),
    # -- care leavers -----------------------------------------------------------------------
    Indicator("care_leavers", "Care leavers aged 19 to 21", "count", 0,
              "Care leavers aged 19 to 21 (former relevant children).",
              Source(LEAVERS_ACTIVITY_FILE, "care_leaver_count", {"care_leaver_age": "19 to 21 years", "breakdown": "Total"})),
    Indicator("care_leavers_eet", "Care leavers aged 19 to 21 in education, employment or training", "count", 0,
              "Care leavers aged 19 to 21 in education, employment or training.",
              Source(LEAVERS_ACTIVITY_FILE, "care_leaver_count", {"care_leaver_age": "19 to 21 years",
                                                                  "breakdown": "Total in education, employment or training"})),
    _pct("care_leavers_eet_percent", "Care leavers 19 to 21 in education, employment or training (%)",
         "Percentage of care leavers aged 19 to 21 in education, employment or training.",
         Source(LEAVERS_ACTIVITY_FILE, "care_leaver_percent", {"care_leaver_age": "19 to 21 years",
                                                               "breakdown": "Total in education, employment or training"}),
         "care_leavers_eet", "care_leavers", "Care Leavers - Education, Employment & Training (EET) (%)"),
    Indicator("care_leavers_accommodation_base", "Care leavers aged 19 to 21 (accommodation)", "count", 0,
              "Care leavers aged 19 to 21, the base of the accommodation measure.",
              Source(LEAVERS_ACCOMMODATION_FILE, "care_leaver_count", {"care_leaver_age": "19 to 21 years",
                                                                       "breakdown": "Suitability total"})),
    Indicator("care_leavers_suitable", "Care leavers aged 19 to 21 in suitable accommodation", "count", 0,
              "Care leavers aged 19 to 21 whose accommodation was considered suitable.",
              Source(LEAVERS_ACCOMMODATION_FILE, "care_leaver_count", {"care_leaver_age": "19 to 21 years",
                                                                       "breakdown": "Accommodation considered suitable"})),
    _pct("care_leavers_suitable_percent", "Care leavers 19 to 21 in suitable accommodation (%)",
         "Percentage of care leavers aged 19 to 21 in accommodation considered suitable.",
         Source(LEAVERS_ACCOMMODATION_FILE, "care_leaver_percent", {"care_leaver_age": "19 to 21 years",
                                                                    "breakdown": "Accommodation considered suitable"}),
         "care_leavers_suitable", "care_leavers_accommodation_base", "Care Leavers - Suitable accommodation (%)"),
    # -- workforce: published rates whose counts are not all published, so not added up ---------
    Indicator("sw_turnover", "Social worker turnover (%)", "percent", 1,
              "Children's social workers (FTE) leaving in the year as a percentage of those in post.",
              Source(WORKFORCE_FILE, "turnover_rate_fte"), lait_measure="Percentage rate of social worker turnover"),
    Indicator("sw_agency", "Agency social workers (%)", "percent", 1,
              "Agency social workers (FTE) as a percentage of all social workers at 30 September.",
              Source(WORKFORCE_FILE, "agency_rate_fte"), lait_measure="Percentage of agency social workers"),
    Indicator("sw_vacancy", "Social worker vacancies (%)", "percent", 1,
              "Vacant social worker posts (FTE) as a percentage of all posts at 30 September.",
              Source(WORKFORCE_FILE, "vacancy_rate_fte"), lait_measure="Percentage of social worker vacancies"),
    Indicator("sw_caseload", "Average caseload per social worker", "number", 1,
              "Cases held per case-holding social worker (FTE) at 30 September.",
              Source(WORKFORCE_FILE, "caseload_fte"), polarity_default="low"),
)

INDICATORS: dict[str, Indicator] = {i.id: i for i in REGISTRY}


@lru_cache(maxsize=4)
def lait_polarity(dictionary: Path) -> dict[str, Polarity]:
    """Measure name -> polarity from DfE's LAIT dictionary ('High', 'Low' or '-')."""
    out: dict[str, Polarity] = {}
    with dictionary.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("Polarity") or "").strip().lower()
            out.setdefault(row["Measure"].strip(), "high" if text == "high" else "low" if text == "low" else "none")
    return out


def polarity_of(indicator: Indicator, dictionary: Path) -> Polarity:
    """DfE's polarity for the indicator's LAIT measure, else the registry's default.

    Raises KeyError when a named LAIT measure is not in the dictionary (a typo in the registry)."""
    if indicator.lait_measure:
        table = lait_polarity(dictionary)
        if indicator.lait_measure not in table:
            raise KeyError(f"indicator {indicator.id}: no LAIT measure '{indicator.lait_measure}' in {dictionary.name}")
        return table[indicator.lait_measure]
    return indicator.polarity_default
