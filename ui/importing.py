"""What the page keeps and shows of a usage import: its report, and the next step.

:func:`record_import` is the one place that reads the importer's result
(``forecast.usage.UsageImport`` and its typed report): it turns it into an
:class:`ImportRecord`, plain data that the workspace writes as JSON beside the imported
scenario, so the report is shown again after a reload. :func:`next_steps` says what the
scenario still needs (an import gives today's usage: nothing optimized yet, no discount
tiers) and whether each step is done.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from forecast import Scenario

if TYPE_CHECKING:
    from forecast import UsageImport


@dataclass(frozen=True)
class GroupLine:
    """One group of the history (a workload of the scenario), over the months used."""

    group: str
    months: int
    tokens: float
    list_cost: float
    level_cost: float
    growth: float
    growth_low: float | None
    growth_high: float | None
    volatility: float
    waiting: str
    in_scenario: bool


@dataclass(frozen=True)
class ImportRecord:
    """A usage import as the page shows it.

    Attributes
    ----------
    files : list of str
        The files read.
    months : str
        The months covered, with what was done with partial ones.
    level_month : str
        The month the scenario's volumes and levers come from.
    groups : list of GroupLine
    total_growth, total_low, total_high, total_volatility : float
        The fit of the total monthly list cost: growth a month and its 95% interval.
    warnings : list of str
        The importer's warnings and notes.
    report : str
        The importer's whole text report.
    """

    files: list[str]
    months: str
    level_month: str
    groups: list[GroupLine]
    total_growth: float
    total_low: float
    total_high: float
    total_volatility: float
    warnings: list[str] = field(default_factory=list)
    report: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportRecord:
        return cls(**{**data, "groups": [GroupLine(**g) for g in data.get("groups", [])]})


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def record_import(result: UsageImport) -> ImportRecord:
    """The page's record of an import (the one reader of the importer's typed report)."""
    report = result.report
    tokens = report.tokens.drop(columns=["list_cost"], errors="ignore").sum(axis=1)
    groups = []
    for g in report.groups:
        interval = g.interval
        groups.append(GroupLine(
            group=g.name, months=int((g.monthly_cost > 0).sum()),
            tokens=float(tokens.get(g.name, 0.0)), list_cost=float(g.monthly_cost.sum()),
            level_cost=float(g.level_cost), growth=float(g.growth_monthly),
            growth_low=_finite(interval[0]) if interval else None,
            growth_high=_finite(interval[1]) if interval else None,
            volatility=float(g.growth_volatility), waiting=str(g.waiting),
            in_scenario=g.scenario_cost is not None))
    low, high = report.total.interval()
    notes = [f"{g.name}: {g.fit_note}" for g in report.groups if g.fit_note]
    return ImportRecord(
        files=[s.name for s in report.sources], months=report.history_line(),
        level_month=report.level_month, groups=groups, total_growth=report.total.monthly,
        total_low=low, total_high=high, total_volatility=report.total.volatility,
        warnings=[*report.warnings, *notes], report=report.text())


@dataclass(frozen=True)
class Step:
    """One step of the guided next step after an import."""

    title: str
    how: str
    done: bool


def next_steps(scenario: Scenario, levers_moved: bool) -> list[Step]:
    """What an imported scenario needs before its answer means something: the optimized
    levers (any workload whose target differs from today's, or a portfolio lever moved) and
    the contract's discount tiers."""
    optimized = levers_moved or any(w.target != w.current for w in scenario.workloads)
    return [
        Step("Set the optimized levers",
             "per workload in the Workloads tab (optimized models, batch, cache hits, landing "
             "month), or every workload at once with the portfolio levers in the sidebar",
             optimized),
        Step("Enter the contract's discount tiers",
             "sidebar, Contract terms: commit at least this much a year for this discount, "
             "e.g. 1M: 6% / 3M: 10%", bool(scenario.contract.discount_tiers)),
    ]
