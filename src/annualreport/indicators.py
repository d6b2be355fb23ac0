"""The indicator registry: what each figure in the report is and where it comes from.

Each indicator is either read from a column of a national statistics file (`source`) or
computed as numerator / denominator x multiplier from two other indicators. Indicators that
are percentages or rates also name their numerator and denominator so that a partnership of
several councils recomputes them from summed counts instead of averaging rates.
Polarity (which direction is better) comes from DfE's LAIT measure dictionary by measure code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

Unit = Literal["count", "percent", "rate_per_10k"]
Polarity = Literal["high", "low", "none"]
MULTIPLIER: dict[str, float] = {"count": 1.0, "percent": 100.0, "rate_per_10k": 10_000.0}

POPULATION_FILE = "ons_mid-year_population_estimates_2012_to_2024.csv"
REFERRALS_FILE = "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
CPP_SUBSEQUENT_FILE = "d3_cpps_subsequent_plan_2013_to_2025.csv"
CPP_DURATION_FILE = "d5_cpps_at31march_by_duration_2013_to_2025.csv"


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
    id: str
    title: str
    unit: Unit
    decimals: int
    definition: str
    source: Source | None = None
    numerator: str | None = None
    denominator: str | None = None
    lait_code: str | None = None
    polarity_default: Polarity = "none"

    @property
    def is_count(self) -> bool:
        return self.unit == "count"

    @property
    def computed(self) -> bool:
        """True when the value is computed from numerator and denominator, not read."""
        return self.source is None


REGISTRY: tuple[Indicator, ...] = (
    Indicator(
        "child_population", "Children aged 0 to 17", "count", 0,
        "ONS mid-year population estimate of children aged 0 to 17, for the mid-year before the 31 March "
        "that ends the reporting year (the population DfE uses for rates).",
        Source(POPULATION_FILE, "population_estimate", {"age_group": "Children aged 0 to 17 years"}, period_offset=-1),
    ),
    Indicator(
        "referrals", "Referrals to children's social care", "count", 0,
        "Referrals to children's social care received during the year (1 April to 31 March).",
        Source(REFERRALS_FILE, "referral_count"), lait_code="305",
    ),
    Indicator(
        "rereferrals", "Re-referrals within 12 months", "count", 0,
        "Referrals during the year that were within 12 months of a previous referral of the same child.",
        Source(REFERRALS_FILE, "rereferral_count"),
    ),
    Indicator(
        "referral_rate", "Referrals per 10,000 children", "rate_per_10k", 1,
        "Referrals during the year per 10,000 children aged 0 to 17.",
        numerator="referrals", denominator="child_population", lait_code="305",
    ),
    Indicator(
        "rereferral_percent", "Re-referrals within 12 months (%)", "percent", 1,
        "Percentage of referrals during the year that were within 12 months of a previous referral.",
        Source(REFERRALS_FILE, "rereferral_percent"), numerator="rereferrals", denominator="referrals",
        lait_code="271",
    ),
    Indicator(
        "cp_plans", "Child protection plans at 31 March", "count", 0,
        "Children who were the subject of a child protection plan at 31 March.",
        Source(CPP_DURATION_FILE, "CPP_At31"),
    ),
    Indicator(
        "cp_rate", "Child protection plans per 10,000 children", "rate_per_10k", 1,
        "Children subject of a child protection plan at 31 March per 10,000 children aged 0 to 17.",
        numerator="cp_plans", denominator="child_population", lait_code="215",
    ),
    Indicator(
        "cp_starts", "Child protection plans starting in the year", "count", 0,
        "Child protection plans that started during the year.",
        Source(CPP_SUBSEQUENT_FILE, "CPP_start"),
    ),
    Indicator(
        "cp_subsequent", "Second or subsequent plans", "count", 0,
        "Child protection plans starting during the year that were a second or subsequent plan.",
        Source(CPP_SUBSEQUENT_FILE, "CPP_subsequent"),
    ),
    Indicator(
        "cp_subsequent_percent", "Second or subsequent plans (%)", "percent", 1,
        "Percentage of child protection plans starting during the year that were a second or subsequent plan "
        "(at any time).",
        Source(CPP_SUBSEQUENT_FILE, "CPP_subsequent_percent"), numerator="cp_subsequent", denominator="cp_starts",
        lait_code="15",
    ),
    Indicator(
        "cp_2years", "Plans lasting 2 years or more at 31 March", "count", 0,
        "Child protection plans open at 31 March that had lasted 2 years or more.",
        Source(CPP_DURATION_FILE, "2_years_or_more"),
    ),
    Indicator(
        "cp_2years_percent", "Plans lasting 2 years or more (%)", "percent", 1,
        "Percentage of child protection plans at 31 March that had lasted 2 years or more.",
        Source(CPP_DURATION_FILE, "2_years_or_more_percent"), numerator="cp_2years", denominator="cp_plans",
        lait_code="264",
    ),
)

INDICATORS: dict[str, Indicator] = {i.id: i for i in REGISTRY}


@lru_cache(maxsize=4)
def lait_polarity(dictionary: Path) -> dict[str, Polarity]:
    """Measure code -> polarity from DfE's LAIT dictionary ('High', 'Low' or '-')."""
    out: dict[str, Polarity] = {}
    with dictionary.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            text = (row.get("Polarity") or "").strip().lower()
            polarity: Polarity = "high" if text == "high" else "low" if text == "low" else "none"
            # A code can appear on several rows (number and rate); a stated direction wins over '-'.
            if out.get(row["Measure_code"], "none") == "none":
                out[row["Measure_code"]] = polarity
    return out


def polarity_of(indicator: Indicator, dictionary: Path) -> Polarity:
    """The indicator's polarity: DfE's where it has a measure code, else the registry's default."""
    if indicator.lait_code:
        return lait_polarity(dictionary).get(indicator.lait_code, indicator.polarity_default)
    return indicator.polarity_default
