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

# Datasets of data/national/catalog.yml (which files and releases each is read from is declared there).
POPULATION = "population"
REFERRALS = "referrals"
CPP_SUBSEQUENT = "cpp_subsequent"
CPP_DURATION = "cpp_duration"
CIN = "children_in_need"
CLA = "cla_number"
STABILITY = "placement_stability"
PLACEMENTS = "new_placements"
LEAVERS_ACTIVITY = "care_leavers_activity"
LEAVERS_ACCOMMODATION = "care_leavers_accommodation"
WORKFORCE = "workforce"
S47 = "s47_icpc"
CPP_CATEGORY_AT31 = "cpp_category_at31"
CPP_CATEGORY_STARTS = "cpp_category_starts"
PRIMARY_NEED = "cin_primary_need"
ASSESSMENTS = "assessments"
REFERRAL_SOURCES = "referral_sources"
CPP_REVIEWS = "cpp_reviews"
MISSING = "missing"

@dataclass(frozen=True)
class Source:
    """A column of a national dataset (canonical names: see data/national/catalog.yml).

    `period_offset` shifts the dataset's time_period: rates for the year ending 31 March 2014 use
    the ONS mid-2013 population estimate, so population has offset -1.
    """

    dataset: str
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


def _pct(id: str, title: str, definition: str, source: Source | None, numerator: str, denominator: str,
         lait: str | None = None, decimals: int = 0) -> Indicator:
    return Indicator(id, title, "percent", decimals, definition, source, numerator, denominator, lait)


CATEGORIES = (("neglect", "Neglect", "Neglect_Initial"), ("emotional", "Emotional abuse", "Emotional_Initial"),
              ("physical", "Physical abuse", "Physical_Initial"), ("sexual", "Sexual abuse", "Sexual_Initial"),
              ("multiple", "Multiple categories", "Multiple_Initial"))
PRIMARY_NEEDS = (("abuse", "Abuse or neglect", "N1_Abuse_or_neglect"),
                 ("disability", "Child's disability or illness", "N2_Childs_disability_or_illness"),
                 ("acute_stress", "Family in acute stress", "N4_Family_in_acute_stress"),
                 ("dysfunction", "Family dysfunction", "N5_Family_dysfunction"))
REFERRAL_SOURCE_COLUMNS = (("police", "the police", "Police"), ("schools", "schools", "Schools"),
                           ("health", "health services", "Health_Services"), ("la_services", "local authority services", "LA_Services"),
                           ("individuals", "individuals", "Individual"))


def _categories(prefix: str, when: str, total: Source, total_id: str, total_title: str) -> tuple[Indicator, ...]:
    """Child protection plans by initial category of abuse (count and share), with their total."""
    out = [Indicator(total_id, total_title, "count", 0, f"Child protection plans {when}, the total of the category breakdown.", total)]
    for key, title, column in CATEGORIES:
        count_id = f"{prefix}_{key}"
        out.append(Indicator(count_id, f"Plans {when}: {title.lower()}", "count", 0,
                             f"Child protection plans {when} whose initial category of abuse was {title.lower()}.",
                             Source(total.dataset, column)))
        out.append(_pct(f"{count_id}_percent", f"Plans {when}: {title.lower()} (%)",
                        f"Percentage of child protection plans {when} whose initial category of abuse was {title.lower()} "
                        "(computed by us from DfE's counts).", None, count_id, total_id))
    return tuple(out)


REGISTRY: tuple[Indicator, ...] = (
    Indicator(
        "child_population", "Children aged 0 to 17", "count", 0,
        "ONS mid-year population estimate of children aged 0 to 17, for the mid-year before the 31 March "
        "that ends the reporting year (the population DfE uses for rates).",
        Source(POPULATION, "population_estimate", {"age_group": "Children aged 0 to 17 years"}, period_offset=-1),
    ),
    # -- front door -----------------------------------------------------------------------
    Indicator("referrals", "Referrals to children's social care", "count", 0,
              "Referrals to children's social care received during the year (1 April to 31 March).",
              Source(REFERRALS, "referral_count"), lait_measure="Number of referrals to Children's Social Services"),
    Indicator("rereferrals", "Re-referrals within 12 months", "count", 0,
              "Referrals during the year that were within 12 months of a previous referral of the same child.",
              Source(REFERRALS, "rereferral_count")),
    Indicator("referral_rate", "Referrals per 10,000 children", "rate_per_10k", 1,
              "Referrals during the year per 10,000 children aged 0 to 17.",
              numerator="referrals", denominator="child_population",
              lait_measure="Rates per 10,000 of referrals to Children's Social Services"),
    Indicator("rereferral_percent", "Re-referrals within 12 months (%)", "percent", 1,
              "Percentage of referrals during the year that were within 12 months of a previous referral.",
              Source(REFERRALS, "rereferral_percent"), "rereferrals", "referrals",
              "Percentage of re-referrals to children's social care within 12 months"),
    # -- children in need -------------------------------------------------------------------
    Indicator("cin_at31", "Children in need at 31 March", "count", 0,
              "Episodes of need open at 31 March (children in need, including those on plans and looked after).",
              Source(CIN, "At31_episodes")),
    Indicator("cin_rate", "Children in need per 10,000 children", "rate_per_10k", 1,
              "Children in need at 31 March per 10,000 children aged 0 to 17.",
              numerator="cin_at31", denominator="child_population", lait_measure="Children in Need rate per 10,000"),
    # -- child protection -------------------------------------------------------------------
    Indicator("cp_plans", "Child protection plans at 31 March", "count", 0,
              "Children who were the subject of a child protection plan at 31 March.", Source(CPP_DURATION, "CPP_At31")),
    Indicator("cp_rate", "Child protection plans per 10,000 children", "rate_per_10k", 1,
              "Children subject of a child protection plan at 31 March per 10,000 children aged 0 to 17.",
              numerator="cp_plans", denominator="child_population", lait_measure="Child Protection Plans rate per 10,000"),
    Indicator("cp_starts", "Child protection plans starting in the year", "count", 0,
              "Child protection plans that started during the year.", Source(CPP_SUBSEQUENT, "CPP_start")),
    Indicator("cp_subsequent", "Second or subsequent plans", "count", 0,
              "Child protection plans starting during the year that were a second or subsequent plan.",
              Source(CPP_SUBSEQUENT, "CPP_subsequent")),
    Indicator("cp_subsequent_percent", "Second or subsequent plans (%)", "percent", 1,
              "Percentage of child protection plans starting during the year that were a second or subsequent plan "
              "(at any time).", Source(CPP_SUBSEQUENT, "CPP_subsequent_percent"), "cp_subsequent", "cp_starts",
              "Percentage of children who became the subject of a plan for a second or subsequent time"),
    Indicator("cp_2years", "Plans lasting 2 years or more at 31 March", "count", 0,
              "Child protection plans open at 31 March that had lasted 2 years or more.",
              Source(CPP_DURATION, "2_years_or_more")),
    Indicator("cp_2years_percent", "Plans lasting 2 years or more (%)", "percent", 1,
              "Percentage of child protection plans at 31 March that had lasted 2 years or more.",
              Source(CPP_DURATION, "2_years_or_more_percent"), "cp_2years", "cp_plans",
              "Child Protection Plans lasting 2 years or more as at 31 March"),
    # -- children looked after ----------------------------------------------------------------
    Indicator("cla_at31", "Children looked after at 31 March", "count", 0,
              "Children looked after by the local authority on 31 March.",
              Source(CLA, "children_count", {"population_type": "Children looked after on 31 March each year"}),
              lait_measure="Number of Children looked after"),
    Indicator("cla_rate", "Children looked after per 10,000 children", "rate_per_10k", 0,
              "Children looked after on 31 March per 10,000 children aged 0 to 17 (DfE's published rate; for years "
              "DfE published no rate, computed by us the same way from the ONS mid-year estimate).",
              Source(CLA, "rate_per_10000", {"population_type": "Children looked after on 31 March each year"}),
              numerator="cla_at31", denominator="child_population", lait_measure="Children looked after rate per 10,000"),
    Indicator("cla_starts", "Children starting to be looked after", "count", 0,
              "Children who started to be looked after during the year.",
              Source(CLA, "children_count", {"population_type": "Children starting to be looked after each year"})),
    Indicator("cla_stability_base", "Children looked after at 31 March (placement stability)", "count", 0,
              "Children looked after on 31 March, the base of the short-term placement stability measure.",
              Source(STABILITY, "children_count", {"cla_group": "CLA on 31 March", "placement_stability": "Total children"})),
    Indicator("cla_3plus", "Children with 3 or more placements in the year", "count", 0,
              "Children looked after on 31 March who had 3 or more placements during the year.",
              Source(STABILITY, "children_count", {"cla_group": "CLA on 31 March",
                                                        "placement_stability": "With 3 or more placements during the year"})),
    _pct("cla_3plus_percent", "Children with 3 or more placements (%)",
         "Percentage of children looked after on 31 March with 3 or more placements during the year.",
         Source(STABILITY, "children_percent", {"cla_group": "CLA on 31 March",
                                                     "placement_stability": "With 3 or more placements during the year"}),
         "cla_3plus", "cla_stability_base", "Placement 1 - % CLA with three or more placements"),
    Indicator("cla_longterm_base", "Children looked after 2.5 years or more, under 16", "count", 0,
              "Children under 16 looked after continuously for at least 2.5 years on 31 March.",
              Source(STABILITY, "children_count", {
                  "cla_group": "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
                  "placement_stability": "Total children"})),
    Indicator("cla_longterm_stable", "Living with the same carer for 2 years or more", "count", 0,
              "Of those, children living in the same placement for at least 2 years.",
              Source(STABILITY, "children_count", {
                  "cla_group": "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
                  "placement_stability": "Living with the same carer for at least 2 years"})),
    _pct("cla_longterm_percent", "Long-term placement stability (%)",
         "Percentage of children under 16 looked after for 2.5 years or more who had lived with the same carer "
         "for at least 2 years.",
         Source(STABILITY, "children_percent", {
             "cla_group": "Children looked after continuously for at least 2.5 years on 31 March aged under 16 years",
             "placement_stability": "Living with the same carer for at least 2 years"}),
         "cla_longterm_stable", "cla_longterm_base", "Long Term Placement Stability (%)"),
    Indicator("new_placements", "New placements in the year", "count", 0, "Placements that started during the year.",
              Source(PLACEMENTS, "children_count", {"characteristic": "Location of new placements during the year",
                                                         "breakdown": "Total new placements"})),
    Indicator("placements_far", "New placements outside the LA more than 20 miles from home", "count", 0,
              "New placements during the year outside the local authority's boundary and more than 20 miles from home.",
              Source(PLACEMENTS, "children_count", {"characteristic": "Location of new placements during the year",
                                                         "breakdown": "Placed outside LA boundary more than 20 miles from home"})),
    _pct("placements_far_percent", "New placements outside the LA, over 20 miles (%)",
         "Percentage of new placements that were outside the local authority and more than 20 miles from home.",
         Source(PLACEMENTS, "children_percent", {"characteristic": "Location of new placements during the year",
                                                      "breakdown": "Placed outside LA boundary more than 20 miles from home"}),
         "placements_far", "new_placements", "Children looked after placed more than 20 miles from home, outside LA Boundary (%)"),
    # -- care leavers -----------------------------------------------------------------------
    Indicator("care_leavers", "Care leavers aged 19 to 21", "count", 0,
              "Care leavers aged 19 to 21 (former relevant children).",
              Source(LEAVERS_ACTIVITY, "care_leaver_count", {"care_leaver_age": "19 to 21 years", "breakdown": "Total"})),
    Indicator("care_leavers_eet", "Care leavers aged 19 to 21 in education, employment or training", "count", 0,
              "Care leavers aged 19 to 21 in education, employment or training.",
              Source(LEAVERS_ACTIVITY, "care_leaver_count", {"care_leaver_age": "19 to 21 years",
                                                                  "breakdown": "Total in education, employment or training"})),
    _pct("care_leavers_eet_percent", "Care leavers 19 to 21 in education, employment or training (%)",
         "Percentage of care leavers aged 19 to 21 in education, employment or training.",
         Source(LEAVERS_ACTIVITY, "care_leaver_percent", {"care_leaver_age": "19 to 21 years",
                                                               "breakdown": "Total in education, employment or training"}),
         "care_leavers_eet", "care_leavers", "Care Leavers - Education, Employment & Training (EET) (%)"),
    Indicator("care_leavers_accommodation_base", "Care leavers aged 19 to 21 (accommodation)", "count", 0,
              "Care leavers aged 19 to 21, the base of the accommodation measure.",
              Source(LEAVERS_ACCOMMODATION, "care_leaver_count", {"care_leaver_age": "19 to 21 years",
                                                                       "breakdown": "Suitability total"})),
    Indicator("care_leavers_suitable", "Care leavers aged 19 to 21 in suitable accommodation", "count", 0,
              "Care leavers aged 19 to 21 whose accommodation was considered suitable.",
              Source(LEAVERS_ACCOMMODATION, "care_leaver_count", {"care_leaver_age": "19 to 21 years",
                                                                       "breakdown": "Accommodation considered suitable"})),
    _pct("care_leavers_suitable_percent", "Care leavers 19 to 21 in suitable accommodation (%)",
         "Percentage of care leavers aged 19 to 21 in accommodation considered suitable.",
         Source(LEAVERS_ACCOMMODATION, "care_leaver_percent", {"care_leaver_age": "19 to 21 years",
                                                                    "breakdown": "Accommodation considered suitable"}),
         "care_leavers_suitable", "care_leavers_accommodation_base", "Care Leavers - Suitable accommodation (%)"),
    # -- missing from care -------------------------------------------------------------------
    Indicator("cla_during_year", "Children looked after during the year", "count", 0,
              "Children looked after at any time during the year, the base of the missing-from-care measures.",
              Source(MISSING, "number", {"cla_group": "Children looked after during the year"})),
    Indicator("missing_children", "Children looked after who went missing", "count", 0,
              "Children looked after who had at least one missing incident during the year.",
              Source(MISSING, "number", {"cla_group": "Children who had a missing incident during the year"})),
    Indicator("missing_incidents", "Missing incidents of children looked after", "count", 0,
              "Missing incidents of children looked after during the year.",
              Source(MISSING, "number", {"cla_group": "Number of missing incidents during the year"})),
    _pct("missing_percent", "Children looked after who went missing (%)",
         "Percentage of children looked after during the year who had at least one missing incident.",
         Source(MISSING, "number", {"cla_group": "Percentage of children who had a missing incident during the year"}),
         "missing_children", "cla_during_year", "% Children looked after who were missing"),
    Indicator("away_children", "Children looked after away from placement without authorisation", "count", 0,
              "Children looked after who were away from placement without authorisation during the year.",
              Source(MISSING, "number", {"cla_group": "Children who were away from placement without authorisation during the year"})),
    # -- section 47 enquiries and conferences -------------------------------------------------
    Indicator("s47", "Section 47 enquiries", "count", 0,
              "Section 47 enquiries (into whether a child is suffering or likely to suffer significant harm) that "
              "started during the year.", Source(S47, "Section47")),
    Indicator("s47_rate", "Section 47 enquiries per 10,000 children", "rate_per_10k", 1,
              "Section 47 enquiries starting in the year per 10,000 children aged 0 to 17 (DfE's published rate; "
              "for years DfE published no rate, computed by us the same way from the ONS mid-year estimate).",
              Source(S47, "Section47_rate"), "s47", "child_population", "Section 47 enquiries rate per 10,000 children"),
    Indicator("icpc", "Initial child protection conferences", "count", 0,
              "Initial child protection conferences held during the year.", Source(S47, "ICPC")),
    Indicator("icpc_rate", "Initial child protection conferences per 10,000 children", "rate_per_10k", 1,
              "Initial child protection conferences in the year per 10,000 children aged 0 to 17 (DfE's published "
              "rate; for years DfE published no rate, computed by us the same way from the ONS mid-year estimate).",
              Source(S47, "ICPC_rate"), "icpc", "child_population", "Rate of Initial Stage Child Protection conferences"),
    _pct("s47_to_icpc_percent", "Section 47 enquiries leading to a conference (%)",
         "Initial child protection conferences as a percentage of section 47 enquiries in the year (computed by us "
         "from DfE's counts).", None, "icpc", "s47", decimals=1),
    # -- assessments ---------------------------------------------------------------------------
    Indicator("assessments", "Assessments completed", "count", 0,
              "Children's social care assessments (under the Children Act 1989) completed during the year.",
              Source(ASSESSMENTS, "Assessments_completed")),
    Indicator("assessments_rate", "Assessments completed per 10,000 children", "rate_per_10k", 1,
              "Assessments completed in the year per 10,000 children aged 0 to 17.",
              Source(ASSESSMENTS, "Assessments_completed_rate"), "assessments", "child_population"),
    Indicator("assessments_45days", "Assessments completed within 45 working days", "count", 0,
              "Assessments completed within 45 working days of their start (the sum of DfE's duration bands up to "
              "45 days).", Source(ASSESSMENTS, "Within_45_days")),
    _pct("assessments_45days_percent", "Assessments completed within 45 working days (%)",
         "Percentage of assessments completed in the year that were completed within 45 working days.",
         None, "assessments_45days", "assessments", "Continuous assessments completed within 45 working days", decimals=1),
    Indicator("assessment_median_days", "Median duration of assessments (working days)", "number", 0,
              "The median number of working days from the start to the completion of assessments completed in the year.",
              Source(ASSESSMENTS, "Median_days"), polarity_default="none"),
    # -- child protection plans: categories of abuse and reviews ------------------------------
    *_categories("cp_at31", "at 31 March", Source(CPP_CATEGORY_AT31, "CPP_At31"), "cp_plans_category_total",
                 "Child protection plans at 31 March (category breakdown)"),
    *_categories("cp_start", "starting in the year", Source(CPP_CATEGORY_STARTS, "CPP_start"), "cp_starts_category_total",
                 "Child protection plans starting in the year (category breakdown)"),
    Indicator("cp_reviews_due", "Plans at 31 March open 3 months or more", "count", 0,
              "Child protection plans at 31 March that had lasted at least 3 months, so required a review.",
              Source(CPP_REVIEWS, "CPP_At31_3Months")),
    Indicator("cp_reviews_in_time", "Plans reviewed within the required timescales", "count", 0,
              "Of those, plans whose reviews were all held within the required timescales.",
              Source(CPP_REVIEWS, "Reviewed_within_timescales")),
    _pct("cp_reviews_in_time_percent", "Plans reviewed within the required timescales (%)",
         "Percentage of child protection plans at 31 March lasting 3 months or more that were reviewed within the "
         "required timescales.", Source(CPP_REVIEWS, "Reviewed_within_timescales_percent"), "cp_reviews_in_time",
         "cp_reviews_due", "Review of Child Protection Cases", decimals=1),
    # -- children in need by primary need; referrals by source ---------------------------------
    Indicator("cin_need_total", "Children in need at 31 March (primary need breakdown)", "count", 0,
              "Children in need at 31 March, the total of the primary-need breakdown.", Source(PRIMARY_NEED, "At31_episodes")),
    *(Indicator(f"cin_need_{key}", f"Children in need at 31 March: {title}", "count", 0,
                f"Children in need at 31 March whose primary need at assessment was {title.lower()}.",
                Source(PRIMARY_NEED, column)) for key, title, column in PRIMARY_NEEDS),
    _pct("cin_need_abuse_percent", "Children in need with abuse or neglect as primary need (%)",
         "Percentage of children in need at 31 March whose primary need at assessment was abuse or neglect "
         "(computed by us from DfE's counts).", None, "cin_need_abuse", "cin_need_total"),
    Indicator("referrals_by_source_total", "Referrals (source breakdown)", "count", 0,
              "Referrals completed in the year, the total of the source-of-referral breakdown.",
              Source(REFERRAL_SOURCES, "Referrals")),
    *(x for key, title, column in REFERRAL_SOURCE_COLUMNS for x in (
        Indicator(f"referrals_from_{key}", f"Referrals from {title}", "count", 0,
                  f"Referrals in the year whose source was {title}.", Source(REFERRAL_SOURCES, column)),
        _pct(f"referrals_from_{key}_percent", f"Referrals from {title} (%)",
             f"Percentage of referrals in the year whose source was {title} (computed by us from DfE's counts).",
             None, f"referrals_from_{key}", "referrals_by_source_total"))),
    # -- workforce: published rates whose counts are not all published, so not added up ---------
    Indicator("sw_turnover", "Social worker turnover (%)", "percent", 1,
              "Children's social workers (FTE) leaving in the year as a percentage of those in post.",
              Source(WORKFORCE, "turnover_rate_fte"), lait_measure="Percentage rate of social worker turnover"),
    Indicator("sw_agency", "Agency social workers (%)", "percent", 1,
              "Agency social workers (FTE) as a percentage of all social workers at 30 September.",
              Source(WORKFORCE, "agency_rate_fte"), lait_measure="Percentage of agency social workers"),
    Indicator("sw_vacancy", "Social worker vacancies (%)", "percent", 1,
              "Vacant social worker posts (FTE) as a percentage of all posts at 30 September.",
              Source(WORKFORCE, "vacancy_rate_fte"), lait_measure="Percentage of social worker vacancies"),
    Indicator("sw_caseload", "Average caseload per social worker", "number", 1,
              "Cases held per case-holding social worker (FTE) at 30 September.",
              Source(WORKFORCE, "caseload_fte"), polarity_default="low"),
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
