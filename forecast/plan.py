"""The plan: scenario -> projection and simulation -> recommendation, candidates and flags.

This is the one call every face makes (CLI ``plan``, the app, the PDF report), so that the
three always show the same figures for the same seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from forecast.contract import yearly
from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.pricebook import PriceBook
from forecast.projection import Projection, project
from forecast.recommendation import (
    CommitmentResult,
    Recommendation,
    evaluate_commitment,
    recommend,
)
from forecast.scenario import Scenario
from forecast.sensitivity import SENSITIVITY_PATHS, SensitivityRow, tornado
from forecast.simulation import Simulation, simulate
from forecast.types import FlagLevel, FloatArray, Waiting

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Flag:
    """A finding for the buyer: what, how bad, how much, and what to do."""

    kind: str
    level: FlagLevel
    amount: float
    message: str
    share: float | None = None
    commitment: str | None = None

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "level": str(self.level), "amount": self.amount,
               "message": self.message}
        if self.share is not None:
            out["share"] = self.share
        if self.commitment is not None:
            out["commitment"] = self.commitment
        return out


@dataclass(frozen=True)
class WalkBack:
    """What it costs if every gray workload's batch move is walked back."""

    extra_cost: float
    overage_if_reverted: float
    overage_planned: float
    level: FlagLevel


@dataclass(frozen=True)
class Plan:
    """Everything the planner says about one scenario, for one seed.

    Attributes
    ----------
    yearly_current, yearly_optimized : ndarray of shape (n_paths, years)
        Yearly list usage on each path.
    candidates : list of CommitmentResult
        The commitments tabled for the buyer, by annual amount.
    """

    scenario: Scenario
    book: PriceBook
    projection: Projection
    simulation: Simulation
    yearly_current: FloatArray
    yearly_optimized: FloatArray
    recommendation: Recommendation
    candidates: list[CommitmentResult]
    named: list[CommitmentResult]
    walk_back: WalkBack
    flags: list[Flag]
    sensitivity: list[SensitivityRow] = field(default_factory=list)
    seed: int = 0

    @property
    def n_paths(self) -> int:
        return self.simulation.n_paths

    def candidates_frame(self) -> pd.DataFrame:
        """One row per tabled commitment."""
        import pandas as pd

        return pd.DataFrame([c.to_dict() for c in self.candidates])

    def curve_frame(self) -> pd.DataFrame:
        """The sweep: expected cost and shortfall probability against commitment size."""
        import pandas as pd

        s = self.recommendation.sweep
        return pd.DataFrame({
            "annual_commit": s.commitment, "discount": s.discount,
            "expected_cost": s.expected_cost,
            "shortfall_probability": s.shortfall_probability,
            "stranded_share": s.stranded_share,
        })

    def to_dict(self) -> dict:
        """The ``commitplan plan --json`` document."""
        rec = self.recommendation
        return {
            "scenario": self.scenario.name,
            "price_book": {"id": self.book.id,
                           "effective_date": self.book.effective_date.isoformat()},
            "paths": self.n_paths,
            "seed": self.seed,
            "contract": {"years": self.scenario.contract.years,
                         "overage": str(self.scenario.contract.overage),
                         "rollover": self.scenario.contract.rollover,
                         "max_shortfall_probability": rec.appetite},
            "yearly_list_usage": {
                "current_mean": self.yearly_current.mean(axis=0).tolist(),
                "optimized_mean": self.yearly_optimized.mean(axis=0).tolist(),
                "optimized_p10": np.quantile(self.yearly_optimized, 0.1, axis=0).tolist(),
                "optimized_p90": np.quantile(self.yearly_optimized, 0.9, axis=0).tolist(),
            },
            "recommendation": {
                "recommended": rec.recommended.to_dict(),
                "risk_neutral": rec.risk_neutral.to_dict(),
                "risk_bounded": rec.risk_bounded.to_dict(),
                "ramp": rec.ramp.to_dict() | {"advised": rec.ramp_advised},
                "safe_from_stranding": rec.safe_commit.to_dict(),
                "sized_on_current_path": rec.baseline_sized.to_dict(),
                "grid_optimum": rec.grid_optimum,
            },
            "candidates": [c.to_dict() for c in self.candidates],
            "walk_back": {"extra_cost": self.walk_back.extra_cost,
                          "overage_if_reverted": self.walk_back.overage_if_reverted,
                          "overage_planned": self.walk_back.overage_planned,
                          "level": str(self.walk_back.level)},
            "flags": [f.to_dict() for f in self.flags],
            "sensitivity": [r.to_dict() for r in self.sensitivity],
            "warnings": self.projection.warnings,
        }


def display_grid(high: float, n: int = 8) -> FloatArray:
    """About ``n`` round amounts (1, 2 or 5 times a power of ten) from 0 to ``high``."""
    if high <= 0:
        return np.array([0.0])
    raw = high / n
    power = 10 ** np.floor(np.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10) if m * power >= raw), default=raw)
    return np.arange(0.0, high + step / 2, step)


def _landing_note(scenario: Scenario) -> str:
    lands = [w.lands_month + max(w.ramp_months, 1) - 1 for w in scenario.workloads
             if w.optimized is not None and w.target != w.current]
    if not lands or max(lands) <= 1:
        return ""
    return (f"the optimizations land after signature (fully in place by month "
            f"{max(lands)}, later if they slip)")


def stranded_flag(result: CommitmentResult, rec: Recommendation, scenario: Scenario) -> Flag:
    """The stranded-savings flag for one commitment, with its reason and the way out."""
    amount = "/".join(usd(c) for c in result.per_year) if result.is_ramp \
        else usd(result.annual_commit)
    if result.stranded_savings <= 0.5:
        if result.per_year.sum() == 0:
            message = (f"{result.label}: no commitment, so nothing is stranded (and no "
                       "discount is earned).")
        else:
            message = (f"{result.label} {amount} a year strands no savings: every dollar the "
                       "optimizations save lowers the bill.")
        return Flag("stranded_savings", result.flag, 0.0, message, 0.0, result.label)
    causes = []
    if result.label == "sized on today's spend":
        causes.append("it is sized on today's unoptimized spend")
    elif result.annual_commit > rec.safe_commit.annual_commit:
        causes.append("it sits above the optimized usage")
    note = _landing_note(scenario)
    if note:
        causes.append(note)
    why = "; ".join(causes) if causes else "part of the usage falls under the floor"
    message = (
        f"{result.label} {amount} a year strands {usd(result.stranded_savings)} "
        f"({pct(result.stranded_share)} of the {usd(result.gross_savings)} the optimizations "
        f"save over the term at its {pct(result.discount[0])} discount): usage falls under "
        f"the commitment floor, so those savings do not lower the bill. Why: {why}."
    )
    if result.flag != FlagLevel.GREEN:
        amber = pct(scenario.contract.stranded_thresholds.amber)
        if rec.recommended.flag == FlagLevel.GREEN and rec.recommended.annual_commit == 0:
            target = (f"nothing yet: no discount tier is worth its shortfall risk on the "
                      f"optimized usage (stranding stays under {amber} up to "
                      f"{usd(rec.safe_commit.annual_commit)} a year)")
        elif rec.recommended.flag == FlagLevel.GREEN:
            target = (f"{usd(rec.recommended.annual_commit)} a year, the recommendation sized "
                      f"on the optimized usage (stranding stays under {amber} up to "
                      f"{usd(rec.safe_commit.annual_commit)})")
        else:
            target = (f"at most {usd(rec.safe_commit.annual_commit)} a year to keep stranding "
                      f"under {amber}")
        message += f" Way out: commit {target}"
        if rec.ramp.per_year.sum() > 0 and rec.ramp.is_ramp:
            message += f", or ramp {'/'.join(usd(c) for c in rec.ramp.per_year)}"
        message += "."
    return Flag("stranded_savings", result.flag, result.stranded_savings, message,
                result.stranded_share, result.label)


def _walk_back(scenario: Scenario, sim: Simulation, result: CommitmentResult,
               yearly_current: FloatArray) -> WalkBack:
    years = scenario.contract.years
    reverted = yearly(sim.reverted, years)
    on_reverted = evaluate_commitment(scenario.contract, reverted, yearly_current,
                                      result.per_year, "walked back")
    extra = on_reverted.expected_cost - result.expected_cost
    ratio = extra / result.expected_cost if result.expected_cost else 0.0
    level = FlagLevel.RED if ratio > 0.10 else FlagLevel.AMBER if ratio > 0.02 \
        else FlagLevel.GREEN
    return WalkBack(extra, on_reverted.expected_overage, result.expected_overage, level)


def build_plan(
    scenario: Scenario,
    book: PriceBook,
    paths: int | None = None,
    seed: int | None = None,
    commits: Sequence[float | Sequence[float]] = (),
    sensitivity: bool = True,
    sensitivity_paths: int = SENSITIVITY_PATHS,
    progress: Progress | None = None,
    simulation: Simulation | None = None,
) -> Plan:
    """Run the whole planner on a scenario.

    Parameters
    ----------
    paths, seed : int, optional
        Override the scenario's simulation settings.
    commits : sequence of float or of sequences of float
        Extra commitments to evaluate (``--commit``): an annual amount, or a ramp with one
        amount per contract year.
    sensitivity : bool
        Compute the tornado (13 re-simulations at ``sensitivity_paths`` paths).
    progress : callable, optional
        Called with a short text at each stage.
    simulation : Simulation, optional
        A simulation of this scenario drawn with these ``paths`` and ``seed``, to reuse when
        only the contract's terms changed (the app): it is not drawn again.
    """
    say = progress or (lambda _msg: None)
    seed = scenario.simulation.seed if seed is None else seed
    n_paths = scenario.simulation.paths if paths is None else paths
    if n_paths < 1:
        raise PlannerError(f"--paths: is {n_paths}; simulate at least 1 path")
    contract = scenario.contract
    projection = project(scenario, book)
    if simulation is not None and simulation.n_paths != n_paths:
        raise ValueError(f"simulation has {simulation.n_paths} paths, not {n_paths}")
    say(f"simulating {n_paths:,} paths x {scenario.horizon_months} months x "
        f"{len(scenario.workloads)} workloads")
    sim = simulation if simulation is not None else simulate(scenario, book, n_paths=n_paths,
                                                             seed=seed)
    y_opt = yearly(sim.optimized, contract.years)
    y_cur = yearly(sim.current, contract.years)
    say("sweeping commitments")
    rec = recommend(contract, y_opt, y_cur)

    named: list[CommitmentResult] = []
    per_year = contract.commitment_per_year()
    if per_year is not None:
        named.append(evaluate_commitment(contract, y_opt, y_cur, per_year,
                                         "scenario commitment"))
    for amount in commits:
        from forecast.contract import as_commitment

        try:
            per_year_amounts = as_commitment(contract, amount)
        except PlannerError as exc:
            raise PlannerError(f"--commit: {exc}") from None
        named.append(evaluate_commitment(contract, y_opt, y_cur, per_year_amounts,
                                         "--commit"))

    high = max(rec.baseline_sized.annual_commit, rec.risk_bounded.annual_commit) * 1.1
    tabled = [evaluate_commitment(contract, y_opt, y_cur, c, "grid")
              for c in display_grid(high)]
    special = [rec.recommended, rec.risk_neutral, rec.risk_bounded, rec.ramp,
               rec.safe_commit, rec.baseline_sized, *named]
    candidates = _merge(tabled, special)

    walk = _walk_back(scenario, sim, rec.recommended, y_cur)
    flags = _flags(scenario, rec, named, walk, projection)

    rows: list[SensitivityRow] = []
    if sensitivity:
        rows = tornado(scenario, book, paths=min(sensitivity_paths, n_paths), seed=seed,
                       anchor=rec.risk_bounded.annual_commit,
                       progress=lambda i, n: say(f"sensitivity {i}/{n}"))
    return Plan(scenario, book, projection, sim, y_cur, y_opt, rec, candidates, named, walk,
                flags, rows, seed)


def _merge(tabled: list[CommitmentResult], special: list[CommitmentResult]
           ) -> list[CommitmentResult]:
    """Special commitments replace grid rows of the same amount; sorted by amount."""
    keyed: dict[tuple[float, ...], CommitmentResult] = {}
    for c in tabled:
        keyed[tuple(np.round(c.per_year, 2))] = c
    for c in special:
        key = tuple(np.round(c.per_year, 2))
        if key in keyed and keyed[key].label != "grid":
            continue  # keep the first (more important) label
        keyed[key] = c
    return sorted(keyed.values(), key=lambda c: (c.annual_commit, c.per_year.sum()))


def _flags(scenario: Scenario, rec: Recommendation, named: list[CommitmentResult],
           walk: WalkBack, projection: Projection) -> list[Flag]:
    flags = [stranded_flag(rec.recommended, rec, scenario)]
    flags += [stranded_flag(c, rec, scenario) for c in named]
    flags.append(stranded_flag(rec.baseline_sized, rec, scenario))
    for c in named:
        if c.shortfall_probability > rec.appetite:
            flags.append(Flag(
                "shortfall", FlagLevel.RED if c.shortfall_probability > 2 * rec.appetite
                else FlagLevel.AMBER, c.expected_unused,
                f"{c.label}: a {pct(c.shortfall_probability)} chance that some year's usage "
                f"falls short of the commitment (appetite {pct(rec.appetite)}); expected unused "
                f"commitment {usd(c.expected_unused)} over the term.", c.shortfall_probability,
                c.label))
    gray = [w.name for w in scenario.workloads
            if w.waiting == Waiting.GRAY and w.target.batch_share > w.current.batch_share]
    if gray:
        message = (
            f"If the batch move of the gray workloads ({', '.join(gray)}) is walked back, "
            f"the recommended commitment costs {usd(walk.extra_cost)} more over the term; "
            f"expected overage rises from {usd(walk.overage_planned)} to "
            f"{usd(walk.overage_if_reverted)}. Batch only the share that truly waits."
        )
    else:
        message = "No gray workload moves to batch: no walk-back exposure."
    flags.append(Flag("walk_back", walk.level, walk.extra_cost, message))
    for w in projection.warnings:
        kind = "caching_break_even" if "break-even" in w else "waiting_test"
        flags.append(Flag(kind, FlagLevel.AMBER, 0.0, w))
    return flags
