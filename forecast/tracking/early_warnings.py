"""Early warnings in words: shortfall and overage year by year, workloads behind plan or
walked back, usage that matches no workload or several; each naming what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.contract import (
    evaluate,
    next_tier,
)
from forecast.formatting import pct, usd
from forecast.pricebook import PriceBook
from forecast.scenario import Scenario
from forecast.tracking.matching import UsageMatches, _match_fields, _match_text, _seen_values
from forecast.tracking.results import (
    LeverCheck,
    Status,
    TrackWarning,
    WarningKind,
    WorkloadTrack,
    YearTrack,
    mix_text,
)
from forecast.types import FloatArray, Lever, Overage

#: Usage more than this above or below the plan's expected spend is warned.
PLAN_TOLERANCE = 0.10
#: Overage expected above this share of a year's commitment is warned.
OVERAGE_SHARE = 0.01


#: The words a lever goes by in a warning.
_MOVE = {Lever.BATCH: "the batch move", Lever.CACHING: "prompt caching",
         Lever.ROUTING: "the model routing"}


# --------------------------------------------------------------------------- warnings
@dataclass(frozen=True)
class _Context:
    """What the warnings read (arrays of shape (n_paths, years))."""

    scenario: Scenario
    book: PriceBook
    as_of: str
    t_a: int
    years: list[YearTrack]
    tracks: tuple[WorkloadTrack, ...]
    outcome: Any
    list_years: FloatArray
    consumed: FloatArray
    consumed_frozen: FloatArray
    per_year: FloatArray
    above: float | None
    observed_total: float
    plan_total: float

    @property
    def open_years(self) -> list[YearTrack]:
        return [y for y in self.years if not y.closed]


def _money_warnings(c: _Context) -> list[TrackWarning]:
    """Shortfall and overage, year by year, with what to do."""
    contract = c.scenario.contract
    appetite = contract.risk_appetite.max_shortfall_probability
    out = []
    for y in c.years:
        k = y.year - 1
        if y.closed:
            if y.expected_unused > 0.005:
                out.append(TrackWarning(WarningKind.CLOSED_SHORT, (
                    f"year {y.year} closed {usd(y.expected_unused)} short of its "
                    f"{usd(y.committed)} commitment: paid anyway"), y.year))
            continue
        if y.shortfall_probability > appetite + 1e-12:
            ask = (f"ask now to carry the unused balance into year {y.year + 1}"
                   if y.year < contract.years else "ask for a shortfall credit")
            text = (f"year {y.year} falls short with probability "
                    f"{pct(y.shortfall_probability)}: expected unused "
                    f"{usd(y.expected_unused)} of the {usd(y.committed)} committed. Bring "
                    f"usage onto the contract before {y.last_month} (workloads planned for "
                    f"later, other teams' Claude spend) or {ask}")
            committed = c.per_year[k]
            stranded = float((np.minimum(committed, c.consumed_frozen[:, k])
                              - np.minimum(committed, c.consumed[:, k])).mean())
            if stranded > 0.005 * committed:
                text += (f"; the moves still to land would strand {usd(stranded)} of their "
                         f"savings under the commitment in year {y.year}")
            out.append(TrackWarning(WarningKind.SHORTFALL, text, y.year))
        elif y.expected_overage > OVERAGE_SHARE * y.committed:
            if y.year == c.open_years[0].year and c.above is not None \
                    and c.above > PLAN_TOLERANCE:
                lead = (f"usage runs {pct(c.above)} above plan ({usd(c.observed_total)} "
                        f"against {usd(c.plan_total)} at list in {c.as_of})")
            else:
                lead = f"year {y.year} is expected to pass its commitment"
            rule = "at list" if contract.overage == Overage.LIST else "at the discounted rate"
            text = (f"{lead}: the overage {rule} costs {usd(y.expected_overage)} in year "
                    f"{y.year} (expected)")
            ask = _next_tier_value(c, k)
            if ask is not None:
                amount, discount, value = ask
                text += (f"; ask for the next tier now: {usd(amount)} a year earns "
                         f"{pct(discount)} and saves about {usd(value)} on this forecast")
            elif any(t.status in (Status.BEHIND, Status.REVERTED) for t in c.tracks):
                text += "; land the moves behind plan first"
            out.append(TrackWarning(WarningKind.OVERAGE, text, y.year))
    first = c.open_years[0] if c.open_years else None
    if first is not None and c.above is not None and c.above < -PLAN_TOLERANCE \
            and not any(w.kind == WarningKind.SHORTFALL and w.year == first.year for w in out):
        out.append(TrackWarning(WarningKind.BELOW_PLAN, (
            f"usage runs {pct(-c.above)} below plan ({usd(c.observed_total)} against "
            f"{usd(c.plan_total)} at list in {c.as_of}); year {first.year} still falls short "
            f"with probability {pct(first.shortfall_probability)} only"), first.year))
    return out


def _next_tier_value(c: _Context, k: int) -> tuple[float, float, float] | None:
    """The next tier above year ``k``'s commitment: its threshold, discount and what moving
    that year to it saves in expectation on the forecast paths (None when it saves nothing
    or there is none)."""
    contract = c.scenario.contract
    tier = next_tier(contract, float(c.per_year[k]))
    if tier is None:
        return None
    amount, discount = tier
    moved = c.per_year.copy()
    moved[k] = amount
    now = evaluate(contract, c.list_years, c.per_year).cost.sum(axis=1).mean()
    then = evaluate(contract, c.list_years, moved).cost.sum(axis=1).mean()
    value = float(now - then)
    return (amount, discount, value) if value > 0.5 else None


def _lever_words(check: LeverCheck) -> tuple[str, str]:
    """(planned, observed) of a lever in words."""
    if check.lever == Lever.BATCH:
        return f"{pct(check.planned)} batch", pct(check.observed)  # type: ignore[arg-type]
    if check.lever == Lever.CACHING:
        return (f"{pct(check.planned)} cache hits",  # type: ignore[arg-type]
                pct(check.observed))  # type: ignore[arg-type]
    return str(mix_text(check.planned)), str(mix_text(check.observed))  # type: ignore[arg-type]


_WHY_REVERTED = {Lever.BATCH: "find out who waits on the batched results before moving "
                              "them again",
                 Lever.CACHING: "check what changed in the shared prefix (any change misses "
                                "the cache)",
                 Lever.ROUTING: "find out which calls moved back and why"}


def _workload_warnings(c: _Context) -> list[TrackWarning]:
    """One warning per workload behind plan or reverted, naming the move to land."""
    out = []
    first = c.open_years[0] if c.open_years else None
    appetite = c.scenario.contract.risk_appetite.max_shortfall_probability
    for w in c.tracks:
        if w.status not in (Status.BEHIND, Status.REVERTED):
            continue
        cost = (f"it costs {usd(w.extra_cost)} a month at list more than the plan"
                if w.extra_cost > 0.5 else "")
        parts = []
        for check in w.checks:
            planned, observed = _lever_words(check)
            when = f"by {w.lands}" if w.lands <= c.as_of else f"in {c.as_of}"
            if check.status == Status.REVERTED:
                parts.append(f"{_MOVE[check.lever]} was walked back (planned {planned} "
                             f"{when}, observed {observed} in {c.as_of}): "
                             f"{_WHY_REVERTED[check.lever]}")
            elif check.status == Status.BEHIND:
                parts.append(f"land {_MOVE[check.lever]} (planned {planned} {when}, "
                             f"observed {observed} in {c.as_of})")
        text = f"{w.name}: " + "; ".join(parts)
        if cost:
            text += f"; {cost}"
        if first is not None and first.shortfall_probability > appetite and cost:
            text += (f"; with year {first.year} likely to fall short, this year's part of "
                     "that saving would be stranded under the commitment")
        kind = WarningKind.REVERTED if w.status == Status.REVERTED else WarningKind.BEHIND_PLAN
        out.append(TrackWarning(kind, text, workload=w.name))
    return out


def _usage_warnings(scenario: Scenario, scope: pd.DataFrame, matches: UsageMatches,
                    names: list[str], unattributed: float, total: float,
                    tracks: list[WorkloadTrack], t_a: int) -> list[TrackWarning]:
    """Usage that matches no workload or several; workloads that should run and show none."""
    out = []
    unmatched = matches.count == 0
    if unmatched.any():
        cost = float(scope.loc[unmatched, "list_cost"].sum())
        out.append(TrackWarning(WarningKind.UNMATCHED, (
            f"{int(unmatched.sum())} usage lines ({usd(cost, 2)} at list to date, "
            f"{pct(cost / total if total else 0, 1)} of the usage) match no workload "
            f"({_seen_values(scope[unmatched], _match_fields(scenario))}): counted in the "
            "consumption and carried flat "
            "in the forecast; add them to a workload's usage_match")))
    several = matches.count > 1
    if several.any():
        cost = float(scope.loc[several, "list_cost"].sum())
        groups = sorted(set(matches.ambiguous_names))
        shown = "; ".join(" and ".join(g) for g in groups[:3])
        out.append(TrackWarning(WarningKind.AMBIGUOUS, (
            f"{int(several.sum())} usage lines ({usd(cost, 2)} at list to date) match more "
            f"than one workload ({shown}): counted once in the consumption, attributed to "
            "none; make the usage_match fields exclusive")))
    for i, (w, t) in enumerate(zip(scenario.workloads, tracks, strict=True)):
        running = w.starts_month <= t_a and (w.ends_month is None or w.ends_month >= t_a)
        if t.status == Status.NOT_OBSERVED and running:
            where = "it has no usage_match" if w.usage_match is None else \
                f"usage_match {_match_text(w)}"
            out.append(TrackWarning(WarningKind.NOT_OBSERVED, (
                f"{w.name}: no usage matched it in {t.month} ({where}); it is forecast at "
                "nothing from here: check workloads"
                f"[{i}].usage_match"), workload=w.name))
    return out
