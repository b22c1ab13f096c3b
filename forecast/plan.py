"""The plan: scenario -> projection and simulation -> recommendation, candidates and flags.

This is the one call every face makes (CLI ``plan``, the app, the PDF report), so that the
three always show the same figures for the same seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from forecast.commitment import CommitmentResult, evaluate_commitment, next_tier_value
from forecast.contract import YearlyUsage, as_commitment, discount_for
from forecast.cost import caching_warnings, corner_costs_by_month
from forecast.decision import Decision, decide, landed_month
from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.negotiation import Position, negotiate
from forecast.precision import yearly_usage_document
from forecast.pricebook import PriceBook
from forecast.projection import Projection, project
from forecast.recommendation import Recommendation, recommend
from forecast.scenario import Scenario
from forecast.sensitivity import SENSITIVITY_PATHS, SensitivityRow, tornado
from forecast.simulation import Simulation, simulate
from forecast.types import CommitmentKind, FlagKind, FlagLevel, FloatArray, Risk, Waiting

Progress = Callable[[str], None]

#: Walk-back exposure: amber / red above these shares of the expected cost (expected extra
#: cost with walk-back drawn) ...
WALK_BACK_EXPECTED = (0.01, 0.03)
#: ... or, when the plan assumes no walk-back, amber when reverting every gray batch move
#: would add more than this share.
WALK_BACK_IF_ALL = 0.10


@dataclass(frozen=True)
class Flag:
    """A finding for the buyer: what, how bad, how much, and what to do."""

    kind: FlagKind
    level: FlagLevel
    amount: float
    message: str
    share: float | None = None
    commitment: CommitmentKind | None = None

    def to_dict(self) -> dict:
        out = {"kind": str(self.kind), "level": str(self.level), "amount": self.amount,
               "message": self.message}
        if self.share is not None:
            out["share"] = self.share
        if self.commitment is not None:
            out["commitment"] = str(self.commitment)
        return out


@dataclass(frozen=True)
class WalkBack:
    """Walk-back exposure of the recommended commitment, on the same paths.

    Attributes
    ----------
    expected_extra_cost : float
        Expected cost with walk-back drawn minus with none (0 at probability 0).
    if_all_revert : float
        Expected cost if every gray workload's batch move reverts, minus with none.
    overage_planned, overage_if_reverted : float
        Expected overage with no walk-back and with every batch move reverted.
    """

    expected_extra_cost: float
    if_all_revert: float
    overage_planned: float
    overage_if_reverted: float
    probability: float
    level: FlagLevel

    def to_dict(self) -> dict:
        return {"expected_extra_cost": self.expected_extra_cost,
                "if_all_revert": self.if_all_revert, "probability": self.probability,
                "overage_planned": self.overage_planned,
                "overage_if_reverted": self.overage_if_reverted, "level": str(self.level)}


@dataclass(frozen=True)
class Plan:
    """Everything the planner says about one scenario, for one seed.

    Attributes
    ----------
    usage : YearlyUsage
        Yearly list usage on each path (arrays of shape (n_paths, years)).
    candidates : list of CommitmentResult
        The commitments tabled for the buyer, by annual amount (none that earns no
        discount: those are pay as you go plus risk, see ``not_options``).
    not_options : str
        Why some commitments are not tabled ("" when all are).
    """

    scenario: Scenario
    book: PriceBook
    projection: Projection
    simulation: Simulation
    usage: YearlyUsage
    recommendation: Recommendation
    candidates: list[CommitmentResult]
    named: list[CommitmentResult]
    walk_back: WalkBack
    flags: list[Flag]
    not_options: str = ""
    sensitivity: list[SensitivityRow] = field(default_factory=list)
    seed: int = 0
    position: Position | None = None
    decision: Decision | None = None

    @property
    def n_paths(self) -> int:
        return self.simulation.n_paths

    @property
    def yearly_current(self) -> FloatArray:
        """ndarray of shape (n_paths, years): today's path per contract year."""
        return self.usage.current

    @property
    def yearly_optimized(self) -> FloatArray:
        """ndarray of shape (n_paths, years): the optimized path per contract year."""
        return self.usage.optimized

    def to_dict(self) -> dict:
        """The ``commitplan plan --json`` document."""
        rec = self.recommendation
        r = rec.recommended
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
            "saving": self.saving_dict(),
            "bridge": self.bridge_dict(),
            "bridge_se": (self.recommendation.recommended.bridge if self.decision is None
                          else self.decision.bridge).se_to_dict(),
            "decision": None if self.decision is None else self.decision.to_dict(),
            "when_to_sign": [] if self.decision is None or self.decision.timing is None
            else [row.to_dict() for row in self.decision.timing.rows],
            "when_to_sign_window": None if self.decision is None
            or self.decision.timing is None else {
                "offer": self.decision.timing.offer,
                "months": self.decision.timing.window_months,
                "paths": int(self.decision.timing.payg_costs.size),
                "notes": self.decision.timing.notes},
            "budget": [] if self.decision is None else [b.to_dict()
                                                       for b in self.decision.budget],
            "current_discount": self.scenario.current_discount or 0.0,
            "yearly_list_usage": yearly_usage_document(self.usage.current,
                                                       self.usage.optimized),
            "recommendation": {
                "recommended": r.to_dict(),
                "risk_neutral": rec.risk_neutral.to_dict(),
                "risk_bounded": rec.risk_bounded.to_dict(),
                "ramp": rec.ramp.to_dict() | {"advised": rec.ramp_advised,
                                              "gain_vs_recommended": rec.ramp_gain},
                "safe_from_stranding": None if rec.safe_from_stranding is None
                else rec.safe_from_stranding.to_dict(),
                "unoptimized_forecast": rec.unoptimized.to_dict(),
                "run_rate": None if rec.run_rate is None else rec.run_rate.to_dict(),
                "grid_optimum": rec.grid_optimum,
            },
            "candidates": [c.to_dict() for c in self.candidates],
            "not_options": self.not_options,
            "walk_back": self.walk_back.to_dict(),
            "offers": [] if self.position is None else [o.to_dict()
                                                        for o in self.position.offers],
            "position": None if self.position is None else self.position.to_dict(),
            "flags": [f.to_dict() for f in self.flags],
            "sensitivity": [r.to_dict() for r in self.sensitivity],
            "warnings": self.projection.warnings,
        }


    def saving_dict(self) -> dict:
        """The one saving: the decision's (the recommendation's when no decision is made)."""
        d = self.decision
        if d is None:
            r = self.recommendation.recommended
            return {"label": SAVING_LABEL, "vs_today": r.saving_vs_today,
                    "vs_payg": r.saving_vs_payg, "of_which_stranded": r.stranded_savings,
                    "vs_today_se": r.saving_vs_today_se, "vs_payg_se": r.saving_vs_payg_se}
        r = d.result  # pay as you go (no result) is a control variate itself: no error
        return {"label": saving_label(d.current_discount), "vs_today": d.saving_vs_today,
                "vs_payg": d.saving_vs_payg, "of_which_stranded": d.stranded_savings,
                "vs_today_se": 0.0 if r is None else r.saving_vs_today_se,
                "vs_payg_se": 0.0 if r is None else r.saving_vs_payg_se}

    def bridge_dict(self) -> dict:
        """The decision's savings bridge (with today's rate when it is known)."""
        d = self.decision
        if d is None:
            return self.recommendation.recommended.bridge.to_dict()
        return d.bridge.to_dict() | {"current_discount": d.current_discount,
                                     "today_rate": d.today_rate}


#: Paths of the longer simulation "when to sign" needs when the horizon is short of its
#: window (the same seed; the delays are compared on these paths, all alike).
TIMING_PATHS = 4_000


#: How every face labels the one saving it quotes (the bridge's first line minus its last).
SAVING_LABEL = "expected saving vs today's path at list"


def saving_label(current_discount: float = 0.0) -> str:
    """The one saving's label: against today's path at list, or at today's effective rate
    when a cost report revealed it (``scenario.current_discount``)."""
    if current_discount <= 0:
        return SAVING_LABEL
    return f"expected saving vs today's path at today's rate ({pct(current_discount)} under list)"


def display_grid(high: float, n: int = 8) -> FloatArray:
    """About ``n`` round amounts (1, 2 or 5 times a power of ten) from 0 to ``high``."""
    if high <= 0:
        return np.array([0.0])
    raw = high / n
    power = 10 ** np.floor(np.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10) if m * power >= raw), default=raw)
    return np.arange(0.0, high + step / 2, step)


def _landing_note(scenario: Scenario) -> str:
    landed = landed_month(scenario)
    if landed is None or landed <= 1:
        return ""
    return (f"the optimizations land after signature (fully in place by month "
            f"{landed}, later if they slip)")


def _amount(result: CommitmentResult) -> str:
    return "/".join(usd(c) for c in result.per_year) if result.is_ramp \
        else usd(result.annual_commit)


def stranded_flag(result: CommitmentResult, rec: Recommendation, scenario: Scenario) -> Flag:
    """The stranded-savings flag for one commitment, with its reason and the way out."""
    amount = _amount(result)
    name = result.label[:1].upper() + result.label[1:] if result.label else "This commitment"
    level = next((r.level for r in result.reasons if r.risk == Risk.STRANDING),
                 FlagLevel.GREEN)
    if result.stranded_savings <= 0.5:
        if result.total_commit == 0:
            earns = (f"and earns its {pct(float(result.discount[0]))} discount"
                     if result.discount[0] > 0 else "and no discount is earned")
            message = f"{name}: no commitment, so nothing is stranded ({earns})."
        else:
            message = (f"{name} {amount} a year strands no savings: every dollar the "
                       "optimizations save lowers the bill.")
        return Flag(FlagKind.STRANDED_SAVINGS, level, 0.0, message, 0.0, result.kind)
    causes = []
    if result.kind in (CommitmentKind.UNOPTIMIZED_FORECAST, CommitmentKind.RUN_RATE):
        causes.append("it is sized on today's unoptimized spend")
    elif result.annual_commit > rec.safe_commit.annual_commit:
        causes.append("it sits above the optimized usage")
    note = _landing_note(scenario)
    if note:
        causes.append(note)
    cuts = scenario.uncertainty.price_cuts
    if cuts.annual_probability > 0 and not scenario.contract.price_protection:
        causes.append(f"list prices may fall (a {pct(cuts.annual_probability)} chance a year of "
                      f"a cut of about {pct(cuts.size.mean)}): spend in dollars falls with them, "
                      "so a dollar commitment burns slower (ask for price protection)")
    why = "; ".join(causes) if causes else "part of the usage falls under the floor"
    message = (
        f"{name} {amount} a year strands {usd(result.stranded_savings)} "
        f"({pct(result.stranded_share)} of the {usd(result.gross_savings)} the optimizations "
        f"save over the term at its {pct(result.discount[0])} discount): usage falls under "
        f"the commitment floor, so those savings do not lower the bill. Why: {why}."
    )
    if level != FlagLevel.GREEN:
        amber = pct(scenario.contract.stranded_thresholds.amber)
        r = rec.recommended
        if r.flag == FlagLevel.GREEN and r.total_commit == 0:
            target = (f"nothing yet: no discount tier is worth its shortfall risk on the "
                      f"optimized usage (stranding stays under {amber} up to "
                      f"{usd(rec.safe_commit.annual_commit)} a year)")
        elif r.flag == FlagLevel.GREEN:
            target = (f"{usd(r.annual_commit)} a year, the recommendation sized "
                      f"on the optimized usage (stranding stays under {amber} up to "
                      f"{usd(rec.safe_commit.annual_commit)})")
        else:
            target = (f"at most {usd(rec.safe_commit.annual_commit)} a year to keep stranding "
                      f"under {amber}")
        message += f" Way out: commit {target}"
        if rec.ramp.total_commit > 0 and rec.ramp.is_ramp:
            message += f", or ramp {_amount(rec.ramp)}"
        message += "."
    return Flag(FlagKind.STRANDED_SAVINGS, level, result.stranded_savings, message,
                result.stranded_share, result.kind)


def walk_back_exposure(scenario: Scenario, usage: YearlyUsage, result: CommitmentResult
                       ) -> WalkBack:
    """Walk-back exposure of a commitment (docs/model.md, "Walk-back exposure").

    On the same paths: the expected cost with walk-back drawn (``result``, evaluated on
    the simulated optimized path) minus with none (the planned path), and the cost if every
    gray batch move reverts, minus with none.
    """
    contract = scenario.contract
    planned = evaluate_commitment(contract, usage.with_optimized(usage.planned),
                                  result.per_year)
    reverted = evaluate_commitment(contract, usage.with_optimized(usage.reverted),
                                   result.per_year)
    expected_extra = result.expected_cost - planned.expected_cost
    if_all = reverted.expected_cost - planned.expected_cost
    p = scenario.uncertainty.walk_back_probability
    base = max(planned.expected_cost, 1.0)
    amber, red = WALK_BACK_EXPECTED
    if expected_extra > red * base:
        level = FlagLevel.RED
    elif expected_extra > amber * base or (p == 0 and if_all > WALK_BACK_IF_ALL * base):
        level = FlagLevel.AMBER
    else:
        level = FlagLevel.GREEN
    return WalkBack(expected_extra, if_all, planned.expected_overage,
                    reverted.expected_overage, p, level)


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
    negotiation: bool = True,
    asks_for: Sequence[str] = (),
    timing: bool = True,
    extend: Callable[[int], Simulation] | None = None,
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
        A simulation of this scenario's usage already made (the app reuses it when only the
        contract changed); ``paths`` and ``seed`` are then its own.
    negotiation : bool
        Evaluate the offers and the buyer's position (:mod:`forecast.negotiation`).
    asks_for : sequence of str
        Offers whose asks to value besides the best one's.
    timing : bool
        Evaluate when to sign (:mod:`forecast.signing`; may simulate a longer horizon).
    extend : callable, optional
        ``extend(months)``: the scenario simulated over more months with the same paths and
        seed (the app caches it); default: simulate it.
    """
    say = progress or (lambda _msg: None)
    seed = scenario.simulation.seed if seed is None else seed
    n_paths = scenario.simulation.paths if paths is None else paths
    if n_paths < 1:
        raise PlannerError(f"--paths: is {n_paths}; simulate at least 1 path")
    contract = scenario.contract
    projection = project(scenario, book)
    if simulation is None:
        say(f"simulating {n_paths:,} paths x {scenario.horizon_months} months x "
            f"{len(scenario.workloads)} workloads")
        simulation = simulate(scenario, book, n_paths=n_paths, seed=seed)
    # The projection is the simulation's exact mean: the control variates of every figure.
    simulation = dataclasses.replace(simulation, expected_current=projection.current_total,
                                     expected_optimized=projection.optimized_total)
    usage = YearlyUsage.from_simulation(simulation, contract.years)
    say("sweeping commitments")
    run_rate = 12.0 * float(projection.current_total[0])
    rec = recommend(contract, usage, run_rate=run_rate)

    named: list[CommitmentResult] = []
    per_year = contract.commitment_per_year()
    if per_year is not None:
        named.append(evaluate_commitment(contract, usage, per_year, CommitmentKind.SCENARIO))
    for amount in commits:
        try:
            per_year_amounts = as_commitment(contract, amount)
        except PlannerError as exc:
            raise PlannerError(f"--commit: {exc}") from None
        named.append(evaluate_commitment(contract, usage, per_year_amounts,
                                         CommitmentKind.NAMED))

    high = max(rec.unoptimized.annual_commit, rec.risk_bounded.annual_commit) * 1.1
    tabled, not_tabled = [], []
    for c in display_grid(high):
        pay_as_you_go = c == 0 and float(discount_for(contract, 0.0)) == 0
        result = evaluate_commitment(
            contract, usage, c,
            CommitmentKind.PAY_AS_YOU_GO if pay_as_you_go else CommitmentKind.GRID)
        if result.earns_discount:
            tabled.append(result)
        else:
            not_tabled.append(c)
    special = [rec.recommended, rec.risk_neutral, rec.risk_bounded, rec.ramp,
               *([rec.safe_from_stranding] if rec.safe_from_stranding is not None else []),
               rec.unoptimized, *named]
    if rec.run_rate is not None:
        special.append(rec.run_rate)
    candidates = _merge(tabled, [s for s in special
                                  if s.earns_discount or any(s is n for n in named)])
    not_options = _not_options(scenario, not_tabled)

    walk = walk_back_exposure(scenario, usage, rec.recommended)
    flags = _flags(scenario, book, rec, named, walk, projection)
    flags += _tier_flags(scenario, usage, rec, named)
    position = None
    if negotiation:
        say("evaluating the offers")
        position = negotiate(scenario, usage, rec, simulation,
                             [c.per_year for c in named if c.kind == CommitmentKind.NAMED],
                             list(asks_for))

    say("deciding: which offer, what commitment, when to sign")

    def longer(months: int) -> Simulation:
        return simulate(scenario.model_copy(update={"horizon_months": months}), book,
                        n_paths=min(simulation.n_paths, TIMING_PATHS), seed=seed)

    decision = decide(scenario, usage, rec, position, simulation, extend or longer,
                      timing=timing)
    position = repackage(position, decision, scenario, usage, simulation, rec.appetite,
                         list(asks_for))
    rows: list[SensitivityRow] = []
    if sensitivity:
        rows = tornado(scenario, book, paths=min(sensitivity_paths, n_paths), seed=seed,
                       anchor=rec.risk_bounded.annual_commit,
                       progress=lambda i, n: say(f"sensitivity {i}/{n}"))
    return Plan(scenario, book, projection, simulation, usage, rec, candidates, named, walk,
                flags, not_options, rows, seed, position, decision)


def repackage(position: Position | None, decision: Decision | None, scenario: Scenario,
              usage: YearlyUsage, simulation: Simulation, appetite: float,
              asks_for: list[str]) -> Position | None:
    """The position's asks package again, now that the decision is known: its commitment
    is the lower commitment asked for (docs/model.md, "The asks package")."""
    if position is None or decision is None or not decision.signs:
        return position
    from forecast.negotiation import with_package

    return with_package(position, scenario, usage, simulation, appetite, asks_for,
                        decision.offer, decision.per_year)


def _not_options(scenario: Scenario, amounts: list[float]) -> str:
    """Where commitments that earn no discount would have appeared: say why they are not."""
    tiers = scenario.contract.discount_tiers
    if not amounts or not tiers:
        return ("No discount tiers: every commitment is pay as you go plus shortfall risk, "
                "so none is an option; add the tiers on offer." if amounts else "")
    earning = [t.min_annual_commit for t in tiers if t.discount > 0]
    if not earning:
        return ("No tier gives a discount: every commitment is pay as you go plus shortfall "
                "risk, so none is an option.")
    first = min(earning)
    if first <= 0:
        return ""
    return (f"Commitments above $0 and below {usd(first)} a year earn no discount: they are "
            "pay as you go plus shortfall risk, so they are not options.")


def _merge(tabled: list[CommitmentResult], special: list[CommitmentResult]
           ) -> list[CommitmentResult]:
    """Special commitments replace grid rows of the same amount; sorted by amount."""
    keyed: dict[tuple[float, ...], CommitmentResult] = {}
    for c in tabled:
        keyed[tuple(np.round(c.per_year, 2))] = c
    for c in special:
        key = tuple(np.round(c.per_year, 2))
        if key in keyed and keyed[key].kind not in (CommitmentKind.GRID,
                                                    CommitmentKind.PAY_AS_YOU_GO):
            continue  # keep the first (more important) kind
        keyed[key] = c
    return sorted(keyed.values(), key=lambda c: (c.annual_commit, c.per_year.sum()))


def _flags(scenario: Scenario, book: PriceBook, rec: Recommendation,
           named: list[CommitmentResult], walk: WalkBack, projection: Projection
           ) -> list[Flag]:
    flags = [stranded_flag(rec.recommended, rec, scenario)]
    flags += [stranded_flag(c, rec, scenario) for c in named]
    flags.append(stranded_flag(rec.unoptimized, rec, scenario))
    if rec.run_rate is not None:
        flags.append(stranded_flag(rec.run_rate, rec, scenario))
    for c in named:
        for reason in c.reasons:
            if reason.risk == Risk.SHORTFALL:
                flags.append(Flag(
                    FlagKind.SHORTFALL, reason.level, c.expected_unused,
                    f"{c.label}: a {pct(c.shortfall_probability)} chance that some year's "
                    f"usage falls short of the commitment (appetite {pct(rec.appetite)}); "
                    f"expected unused commitment {usd(c.expected_unused)} over the term.",
                    c.shortfall_probability, c.kind))
            elif reason.risk == Risk.NO_DISCOUNT:
                flags.append(Flag(
                    FlagKind.NO_DISCOUNT, reason.level, c.expected_unused,
                    f"{c.label}: {_amount(c)} a year earns no discount; it is pay as you go "
                    "plus shortfall risk, not an option. Commit at least "
                    f"{usd(scenario.contract.discount_tiers[0].min_annual_commit)} a year "
                    "for the first tier, or nothing." if scenario.contract.discount_tiers
                    else f"{c.label}: there are no discount tiers, so a commitment earns "
                    "nothing and only adds shortfall risk.", None, c.kind))
    flags.append(_walk_back_flag(scenario, walk))
    for w in projection.waiting:
        if w.warning:
            flags.append(Flag(FlagKind.WAITING_TEST, FlagLevel.AMBER, 0.0, w.warning))
    for text in caching_warnings(scenario, book):
        flags.append(Flag(FlagKind.CACHING_BREAK_EVEN, FlagLevel.AMBER, 0.0, text))
    for move in corner_costs_by_month(scenario, book)[1]:
        flags.append(Flag(FlagKind.MODEL_RETIRES, FlagLevel.AMBER, 0.0, move.message()))
    return flags


def _walk_back_flag(scenario: Scenario, walk: WalkBack) -> Flag:
    gray = [w.name for w in scenario.workloads
            if w.waiting == Waiting.GRAY and w.target.batch_share > w.current.batch_share]
    if not gray:
        return Flag(FlagKind.WALK_BACK, FlagLevel.GREEN, 0.0,
                    "No gray workload moves to batch: no walk-back exposure.")
    message = (
        f"Walk-back exposure of the recommended commitment: at a {pct(walk.probability)} "
        f"chance that each gray workload's batch move ({', '.join(gray)}) is reverted, "
        f"{usd(walk.expected_extra_cost)} expected over the term; if every one reverts, "
        f"{usd(walk.if_all_revert)} (expected overage from {usd(walk.overage_planned)} to "
        f"{usd(walk.overage_if_reverted)}). Batch only the share that truly waits."
    )
    return Flag(FlagKind.WALK_BACK, walk.level, walk.expected_extra_cost, message)


#: A commitment this close under a tier's threshold (share of the commitment) is checked
#: against the threshold: the tier-miss flag.
TIER_MISS_REACH = 0.25


def _tier_flags(scenario: Scenario, usage: YearlyUsage, rec: Recommendation,
                named: list[CommitmentResult]) -> list[Flag]:
    """A named commitment just under a tier's threshold (what the threshold would earn),
    and one beaten in expectation by another amount within the appetite (by which)."""
    contract = scenario.contract
    out = []
    for c in named:
        if c.is_ramp or c.total_commit <= 0:
            continue
        amount = c.annual_commit
        value = next_tier_value(contract, usage, c)
        nxt = None if value is None else (value.amount, value.discount)
        if value is not None and value.amount - amount <= TIER_MISS_REACH * amount:
            at_edge = value.result
            gain = -value.extra_cost
            if gain > 0.5 and at_edge.shortfall_probability <= rec.appetite:
                out.append(Flag(
                    FlagKind.TIER_MISS, FlagLevel.AMBER, gain,
                    f"{c.label} {usd(amount)} a year sits {usd(nxt[0] - amount)} under the "
                    f"{pct(nxt[1])} tier: {usd(nxt[0] - amount)} more a year earns "
                    f"{pct(nxt[1])}, {usd(gain)} less over the term, with a "
                    f"{pct(at_edge.shortfall_probability)} chance that some year falls short "
                    f"(within your {pct(rec.appetite)} appetite).", None, c.kind))
                continue
        best = rec.recommended
        gain = c.expected_cost - best.expected_cost
        if gain > max(0.5, 1e-4 * c.expected_cost) and abs(best.annual_commit - amount) > 0.5:
            out.append(Flag(
                FlagKind.BEATEN, FlagLevel.AMBER, gain,
                f"{c.label} {usd(amount)} a year is beaten in expectation by "
                f"{usd(best.annual_commit)} a year (the recommendation): {usd(gain)} less over "
                f"the term, with a {pct(best.shortfall_probability)} chance that some year "
                f"falls short (within your {pct(rec.appetite)} appetite).", None, c.kind))
    return out
