"""What tracking reports: statuses, warnings, a workload and a contract year against the
plan, and the :class:`Tracking` every face reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from forecast.formatting import pct
from forecast.results import Serializable
from forecast.types import Lever, Overage


class Status(StrEnum):
    """How a workload's levers compare with the plan in the as-of month (module docstring)."""

    ON_PLAN = "on plan"
    BEHIND = "behind"
    AHEAD = "ahead"
    REVERTED = "reverted"
    NOT_OBSERVED = "not observed"


class WarningKind(StrEnum):
    """What an early warning is about."""

    SHORTFALL = "shortfall"
    CLOSED_SHORT = "closed_short"
    OVERAGE = "overage"
    BELOW_PLAN = "below_plan"
    BEHIND_PLAN = "behind_plan"
    REVERTED = "reverted"
    NOT_OBSERVED = "not_observed"
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"
    DATA = "data"


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class LeverValues(Serializable):
    """A workload's levers in one month, planned or observed.

    ``None`` where a value is not known (a lever the files cannot show). ``list_spend`` is
    the month's list spend: observed, or the plan's expected spend for that calendar month.
    """

    batch_share: float | None
    cache_hit_rate: float | None
    models: dict[str, float] | None
    list_spend: float | None


@dataclass(frozen=True)
class LeverCheck:
    """One lever of one workload against the plan: the gap in points (observed minus
    planned for batch share and hit rate; the total-variation distance for the mix) and
    the lever's status."""

    lever: Lever
    planned: float | dict[str, float]
    observed: float | dict[str, float]
    gap: float
    status: Status


@dataclass(frozen=True)
class WorkloadTrack(Serializable):
    """A workload in the as-of month.

    Attributes
    ----------
    extra_cost : float
        What the observed levers cost a month at list beyond the plan's levers for that
        month, at the observed volume (negative when ahead); 0 when not observed.
    lands : str
        The month the plan's move is fully in place (``YYYY-MM``).
    """

    name: str
    month: str
    planned: LeverValues
    observed: LeverValues | None
    status: Status
    checks: tuple[LeverCheck, ...]
    extra_cost: float
    lands: str


@dataclass(frozen=True)
class YearTrack(Serializable):
    """One contract year: consumption (at the discounted rate) against the commitment.

    ``p10`` and ``p90`` are quantiles of the consumption at year end over the paths;
    ``expected_overage`` is what usage beyond the commitment is expected to cost under the
    contract's overage rule. A closed year (all its months observed) has no spread.
    """

    year: int
    first_month: str
    last_month: str
    committed: float
    discount: float
    consumed_to_date: float
    expected_at_year_end: float
    p10: float
    p90: float
    shortfall_probability: float
    expected_unused: float
    expected_overage: float
    months_observed: int

    @property
    def closed(self) -> bool:
        return self.months_observed >= 12


@dataclass(frozen=True)
class TrackWarning:
    """An early warning: what it is about, the year or workload it concerns, its words."""

    kind: WarningKind
    message: str
    year: int | None = None
    workload: str | None = None


@dataclass(frozen=True)
class Tracking:
    """The commitment tracked against usage to date; every face reads this.

    Attributes
    ----------
    burn_down : pandas.DataFrame
        One row per contract month: ``year``, ``month`` (``YYYY-MM``), ``actual`` (cumulative
        consumption in the year, observed months only, else NaN), ``expected``, ``p10``,
        ``p50``, ``p90`` (cumulative consumption over the paths, forecast months only; the
        as-of month repeats the actual so a chart's fan starts on it), ``committed``.
    unattributed_list : float
        List cost of the usage to date that matches no workload or several.
    usage_above_plan : float or None
        The as-of month's list spend over the plan's for that month, minus 1 (0.32: 32%
        above plan); None when the plan expects nothing.
    notes : tuple of str
        What the reading left out or could not be sure of (also among the warnings).
    """

    scenario_name: str
    start: str
    as_of: str
    years: tuple[YearTrack, ...]
    workloads: tuple[WorkloadTrack, ...]
    warnings: tuple[TrackWarning, ...]
    burn_down: pd.DataFrame
    n_paths: int
    seed: int
    price_book: str
    overage: Overage
    unattributed_list: float
    usage_above_plan: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def current_year(self) -> int:
        """The contract year the month after the as-of month falls in (the last year once
        the term is over)."""
        open_years = [y.year for y in self.years if not y.closed]
        return open_years[0] if open_years else self.years[-1].year

    def summary(self) -> pd.DataFrame:
        """One row per contract year: committed, consumed to date, the year-end forecast,
        its P10/P90, shortfall probability, expected unused (USD; probabilities 0-1)."""
        return pd.DataFrame([{
            "year": y.year, "months": f"{y.first_month} to {y.last_month}",
            "committed": y.committed, "discount": y.discount,
            "consumed_to_date": y.consumed_to_date,
            "expected_at_year_end": y.expected_at_year_end, "p10": y.p10, "p90": y.p90,
            "shortfall_probability": y.shortfall_probability,
            "expected_unused": y.expected_unused, "expected_overage": y.expected_overage,
        } for y in self.years])

    def workload_summary(self) -> pd.DataFrame:
        """One row per workload: status, and each lever planned against observed."""
        rows = []
        for w in self.workloads:
            obs = w.observed
            rows.append({
                "workload": w.name, "status": str(w.status),
                "batch_share_planned": w.planned.batch_share,
                "batch_share_observed": None if obs is None else obs.batch_share,
                "cache_hit_rate_planned": w.planned.cache_hit_rate,
                "cache_hit_rate_observed": None if obs is None else obs.cache_hit_rate,
                "models_planned": mix_text(w.planned.models),
                "models_observed": None if obs is None else mix_text(obs.models),
                "list_spend_planned": w.planned.list_spend,
                "list_spend_observed": None if obs is None else obs.list_spend,
                "extra_cost_per_month": w.extra_cost,
            })
        return pd.DataFrame(rows)

    def behind(self) -> list[WorkloadTrack]:
        """The workloads behind plan or reverted."""
        return [w for w in self.workloads if w.status in (Status.BEHIND, Status.REVERTED)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``commitplan track --json``."""
        return {"as_of": self.as_of, "years": [y.to_dict() for y in self.years],
                "workloads": [w.to_dict() for w in self.workloads],
                "warnings": [w.message for w in self.warnings]}


def mix_text(mix: dict[str, float] | None) -> str | None:
    """A model mix in words: ``claude-haiku-4-5 60%, claude-sonnet-4-5 40%``."""
    if mix is None:
        return None
    return ", ".join(f"{m} {pct(s)}" for m, s in sorted(mix.items(), key=lambda kv: -kv[1])
                     if s > 0)
