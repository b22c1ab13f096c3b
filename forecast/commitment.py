"""A commitment someone names, evaluated: :class:`CommitmentResult` with its savings bridge
(docs/model.md, "One savings bridge"), the savings it strands, and one colour with its reasons
(:func:`evaluate_commitment`); the contract rule itself is :mod:`forecast.contract`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from forecast.contract import (
    NOISE,
    SLACK,
    YearlyUsage,
    evaluate,
    extra_cost_tail,
    next_tier,
)
from forecast.precision import Estimate, proportion, quantiles
from forecast.results import Serializable, as_dict
from forecast.scenario import Contract
from forecast.types import (
    COMMITMENT_LABELS,
    CommitmentKind,
    FlagLevel,
    FloatArray,
    Risk,
    worst,
)

if TYPE_CHECKING:
    pass


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class Bridge(Serializable):
    """One savings bridge over the contract term, from the means over the paths.

    ``today_list - levers = payg``, ``payg - discount + unused = expected_cost`` (docs/model.md,
    "One savings bridge"). Each line is computed from its own definition; they add up to
    the cent.
    """

    today_list: float
    levers: float
    payg: float
    discount: float
    unused: float
    expected_cost: float
    #: Monte Carlo standard error of each line, by the line's name (docs/model.md,
    #: "Precision"); empty for a bridge not estimated from paths.
    standard_errors: dict[str, float] = field(default_factory=dict)

    @property
    def saving_vs_today(self) -> float:
        """Today's path at list minus the expected cost: the saving every face quotes."""
        return self.today_list - self.expected_cost

    @property
    def saving_vs_payg(self) -> float:
        """Pay as you go on the optimized path minus the expected cost: what committing adds."""
        return self.payg - self.expected_cost

    def to_dict(self) -> dict[str, float]:
        """The six lines, from the fields (their errors apart: :meth:`se_to_dict`)."""
        return {k: v for k, v in as_dict(self).items() if k != "standard_errors"}

    def se_to_dict(self) -> dict[str, float]:
        """The standard error of each line, keyed as :meth:`to_dict` (0 where unknown)."""
        return {key: float(self.standard_errors.get(key, 0.0)) for key in self.to_dict()}


@dataclass(frozen=True)
class RiskReason(Serializable):
    """One risk behind a commitment's colour: which, how bad, and the figure."""

    risk: Risk
    level: FlagLevel
    value: float
    #: The dollars behind it: the expected unused commitment for a shortfall or an unused
    #: bound, the P90 extra cost for the extra-cost bound.
    dollars: float = 0.0


@dataclass(frozen=True)
class CommitmentResult:
    """One commitment (flat or ramp) evaluated on every path.

    Money is summed over the contract term; ``per_year`` and ``discount`` have one entry per
    contract year. ``colour`` is the worst of its risks (``reasons``).
    """

    kind: CommitmentKind
    label: str
    per_year: FloatArray
    discount: FloatArray
    expected_cost: float
    cost_p10: float
    cost_p50: float
    cost_p90: float
    shortfall_probability: float
    shortfall_by_year: FloatArray
    expected_unused: float
    expected_overage: float
    bridge: Bridge
    gross_savings: float
    stranded_savings: float
    stranded_share: float
    extra_cost_p90: float
    cvar90_extra_cost: float
    colour: FlagLevel
    reasons: tuple[RiskReason, ...] = field(default_factory=tuple)
    #: Monte Carlo standard errors (docs/model.md, "Precision"): of ``expected_cost``,
    #: ``saving_vs_today``, ``saving_vs_payg`` (through the control variates when the usage
    #: has them), of ``shortfall_probability`` (binomial) and of the cost quantiles.
    expected_cost_se: float = 0.0
    saving_vs_today_se: float = 0.0
    saving_vs_payg_se: float = 0.0
    shortfall_probability_se: float = 0.0
    cost_p10_se: float = 0.0
    cost_p90_se: float = 0.0
    #: Per path, the cost over the term minus pay as you go, shape (n_paths,): two options'
    #: difference and its paired standard error come from these (None for one path).
    extra_cost_paths: FloatArray | None = field(default=None, repr=False, compare=False)

    def within_bounds(self, contract: Contract, appetite: float | None = None) -> bool:
        """Within every bound of ``contract.risk_appetite`` that is set (the shortfall one
        replaced by ``appetite`` when given)."""
        return bounds_met(contract, self.shortfall_probability, self.extra_cost_p90,
                          self.expected_unused, appetite)

    @property
    def flag(self) -> FlagLevel:
        """The commitment's one colour (alias of ``colour``)."""
        return self.colour

    @property
    def is_ramp(self) -> bool:
        return bool(np.ptp(self.per_year) > 0)

    @property
    def annual_commit(self) -> float:
        """The flat annual amount (first year's amount for a ramp)."""
        return float(self.per_year[0])

    @property
    def total_commit(self) -> float:
        """The commitment over the whole term."""
        return float(self.per_year.sum())

    @property
    def earns_discount(self) -> bool:
        """True when every committed year earns a discount (or nothing is committed)."""
        return bool(np.all((self.discount > 0) | (self.per_year <= 0)))

    @property
    def expected_list(self) -> float:
        """Pay as you go: the optimized usage at list (the bridge's ``payg``)."""
        return self.bridge.payg

    @property
    def expected_current_list(self) -> float:
        """Today's path at list (the bridge's ``today_list``)."""
        return self.bridge.today_list

    @property
    def saving_vs_today(self) -> float:
        return self.bridge.saving_vs_today

    @property
    def saving_vs_payg(self) -> float:
        return self.bridge.saving_vs_payg

    def to_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "label": self.label,
            "annual_commit": self.annual_commit,
            "per_year": self.per_year.tolist(),
            "is_ramp": self.is_ramp,
            "discount": float(self.discount[0]),
            "discount_per_year": self.discount.tolist(),
            "expected_cost": self.expected_cost,
            "cost_p10": self.cost_p10,
            "cost_p50": self.cost_p50,
            "cost_p90": self.cost_p90,
            "shortfall_probability": self.shortfall_probability,
            "shortfall_probability_by_year": self.shortfall_by_year.tolist(),
            "expected_unused": self.expected_unused,
            "expected_overage": self.expected_overage,
            "extra_cost_p90": self.extra_cost_p90,
            "cvar90_extra_cost": self.cvar90_extra_cost,
            "saving_vs_today": self.saving_vs_today,
            "saving_vs_payg": self.saving_vs_payg,
            "gross_savings": self.gross_savings,
            "stranded_savings": self.stranded_savings,
            "stranded_share": self.stranded_share,
            "flag": str(self.colour),
            "reasons": [r.to_dict() for r in self.reasons],
            "bridge": self.bridge.to_dict(),
            "expected_cost_se": self.expected_cost_se,
            "saving_vs_today_se": self.saving_vs_today_se,
            "saving_vs_payg_se": self.saving_vs_payg_se,
            "shortfall_probability_se": self.shortfall_probability_se,
            "cost_p10_se": self.cost_p10_se,
            "cost_p90_se": self.cost_p90_se,
            "bridge_se": self.bridge.se_to_dict(),
        }


def stranded_level(share: float, contract: Contract) -> FlagLevel:
    """Red above the red threshold, amber above the amber one, else green."""
    t = contract.stranded_thresholds
    if share > t.red + SLACK:
        return FlagLevel.RED
    if share > t.amber + SLACK:
        return FlagLevel.AMBER
    return FlagLevel.GREEN


def shortfall_level(probability: float, contract: Contract, appetite: float | None = None
                    ) -> FlagLevel:
    """Amber above the appetite, red above the red line (default twice the appetite)."""
    ra = contract.risk_appetite
    amber = ra.max_shortfall_probability if appetite is None else appetite
    red = ra.red_line if appetite is None or ra.red_shortfall_probability is not None \
        else min(1.0, 2.0 * appetite)
    if probability > red + SLACK:
        return FlagLevel.RED
    if probability > amber + SLACK:
        return FlagLevel.AMBER
    return FlagLevel.GREEN


@dataclass(frozen=True)
class DollarRisk:
    """A commitment's risk in dollars over the term (docs/model.md, "Risk in dollars").

    ``expected_extra`` is the expected cost minus pay as you go; ``extra_p90`` and
    ``cvar90`` the P90 and CVaR90 of cost minus pay as you go path by path.
    """

    expected_extra: float
    extra_p90: float
    cvar90: float
    expected_unused: float

    @property
    def cheaper_than_payg(self) -> bool:
        """Cheaper than pay as you go in expectation and at P90: a shortfall then costs no
        more than paying as you go would have on nine paths in ten."""
        return self.expected_extra < -NOISE and self.extra_p90 <= SLACK


def bounds_met(contract: Contract, shortfall_probability: float, extra_p90: float,
               expected_unused: float, appetite: float | None = None) -> bool:
    """True when a commitment is within every bound of the appetite that is set."""
    ra = contract.risk_appetite
    limit = ra.max_shortfall_probability if appetite is None else appetite
    if shortfall_probability > limit + 1e-12:
        return False
    if ra.max_extra_cost_p90 is not None and extra_p90 > ra.max_extra_cost_p90 + CENT_SLACK:
        return False
    return not (ra.max_expected_unused is not None
                and expected_unused > ra.max_expected_unused + CENT_SLACK)


#: Dollar bounds are met to the cent.
CENT_SLACK = 0.005


def risk_reasons(contract: Contract, per_year: FloatArray, discount: FloatArray,
                 stranded_share: float, shortfall_probability: float,
                 appetite: float | None = None, dollars: DollarRisk | None = None
                 ) -> tuple[RiskReason, ...]:
    """Every risk that colours a commitment amber or red (docs/model.md, "One colour").

    A commitment above 0 that earns no discount is red: it only adds risk to paying as you
    go. A commitment cheaper than pay as you go in expectation and at P90 (``dollars``) is
    at worst amber for its shortfall probability: falling short then costs less than not
    committing on nine paths in ten. Past a dollar bound of the appetite it is amber.
    """
    out = []
    level = stranded_level(stranded_share, contract)
    if level != FlagLevel.GREEN:
        out.append(RiskReason(Risk.STRANDING, level, stranded_share))
    level = shortfall_level(shortfall_probability, contract, appetite)
    unused = 0.0 if dollars is None else dollars.expected_unused
    if level == FlagLevel.RED and dollars is not None and dollars.cheaper_than_payg:
        level = FlagLevel.AMBER
    if level != FlagLevel.GREEN:
        out.append(RiskReason(Risk.SHORTFALL, level, shortfall_probability, unused))
    ra = contract.risk_appetite
    if dollars is not None and ra.max_extra_cost_p90 is not None \
            and dollars.extra_p90 > ra.max_extra_cost_p90 + CENT_SLACK:
        out.append(RiskReason(Risk.EXTRA_COST, FlagLevel.AMBER, ra.max_extra_cost_p90,
                              dollars.extra_p90))
    if dollars is not None and ra.max_expected_unused is not None \
            and dollars.expected_unused > ra.max_expected_unused + CENT_SLACK:
        out.append(RiskReason(Risk.UNUSED, FlagLevel.AMBER, ra.max_expected_unused,
                              dollars.expected_unused))
    no_discount = (np.asarray(per_year) > 0) & (np.asarray(discount) <= 0)
    if np.any(no_discount):
        out.append(RiskReason(Risk.NO_DISCOUNT, FlagLevel.RED, float(no_discount.sum())))
    return tuple(out)


def evaluate_commitment(contract: Contract, usage: YearlyUsage,
                        commitment: float | list[float] | FloatArray,
                        kind: CommitmentKind = CommitmentKind.GRID, label: str | None = None,
                        appetite: float | None = None) -> CommitmentResult:
    """Evaluate one commitment path by path: costs, risks, the bridge and stranding.

    Parameters
    ----------
    usage : YearlyUsage
        Yearly list usage on every path (shape (n_paths, years) in each series).
    commitment : float or sequence of float
        One annual amount, or one per contract year.
    kind, label
        What the commitment is; the label defaults to the kind's words.
    appetite : float, optional
        Shortfall appetite for its colour (default: the contract's).
    """
    optimized, baseline = usage.optimized, usage.current
    out = evaluate(contract, optimized, commitment, usage.price_level)
    c, d = out.commitment, out.discount
    total = out.cost.sum(axis=-1)
    p10, p50, p90 = quantiles(total, (0.1, 0.5, 0.9))
    d_base, d_opt = (1.0 - d) * baseline, (1.0 - d) * optimized
    c_eff = c * usage.price_level if contract.price_protection else c
    today_paths = baseline.sum(axis=-1)
    payg_paths = optimized.sum(axis=-1)
    # Every expected figure at once, through the same control variates (or plain means):
    # linear in the per-path figure, so the bridge's lines still add up to the cent.
    figures = np.stack([
        today_paths, payg_paths, out.discount_earned.sum(axis=-1), out.unused.sum(axis=-1),
        total, out.overage.sum(axis=-1), (d_base - d_opt).sum(axis=-1),
        (np.minimum(c_eff, d_base) - np.minimum(c_eff, d_opt)).sum(axis=-1),
        today_paths - total, payg_paths - total], axis=1)
    means, ses = usage.means(figures)
    today, payg, earned, unused, expected, overage, gross, stranded = (
        float(v) for v in means[:8])
    se = dict(zip(("today_list", "payg", "discount", "unused", "expected_cost"),
                  (float(v) for v in ses[[0, 1, 2, 3, 4]]), strict=True))
    se["levers"] = float(usage.mean(today_paths - payg_paths).se)
    noise = NOISE * max(float(d_base.sum(axis=-1).mean()), 1.0)
    if gross <= noise or stranded <= noise:
        # No saving to strand (or the optimized path costs more): nothing is stranded.
        share = 0.0
        stranded = max(stranded, 0.0) if gross > noise else 0.0
    else:
        share = stranded / gross
    bridge = Bridge(today_list=today, levers=today - payg, payg=payg, discount=earned,
                    unused=unused, expected_cost=expected, standard_errors=se)
    shortfall = proportion(out.short.any(axis=-1))
    extra = total - payg_paths  # cost minus pay as you go, path by path
    p90_extra, cvar_extra = (float(x) for x in extra_cost_tail(np.atleast_1d(extra)))
    dollars = DollarRisk(bridge.expected_cost - payg, p90_extra, cvar_extra, bridge.unused)
    reasons = risk_reasons(contract, c, d, share, shortfall.value, appetite, dollars)
    return CommitmentResult(
        kind=kind,
        label=COMMITMENT_LABELS[kind] if label is None else label,
        per_year=c,
        discount=d,
        expected_cost=bridge.expected_cost,
        cost_p10=p10.value,
        cost_p50=p50.value,
        cost_p90=p90.value,
        shortfall_probability=shortfall.value,
        shortfall_by_year=out.short.mean(axis=0) if out.short.ndim > 1 else out.short * 1.0,
        expected_unused=bridge.unused,
        expected_overage=overage,
        bridge=bridge,
        gross_savings=gross,
        stranded_savings=stranded,
        stranded_share=share,
        extra_cost_p90=p90_extra,
        cvar90_extra_cost=cvar_extra,
        colour=worst(r.level for r in reasons),
        reasons=reasons,
        expected_cost_se=se["expected_cost"],
        saving_vs_today_se=float(ses[8]),
        saving_vs_payg_se=float(ses[9]),
        shortfall_probability_se=shortfall.se,
        cost_p10_se=p10.se,
        cost_p90_se=p90.se,
        extra_cost_paths=total - payg_paths,
    )


def compare(a: CommitmentResult, b: CommitmentResult, usage: YearlyUsage) -> Estimate:
    """``E[cost of a - cost of b]`` on the same paths, with its paired standard error: the
    two are within noise of each other when it is within two standard errors of zero
    (:meth:`forecast.precision.Estimate.within_noise`)."""
    if a.extra_cost_paths is None or b.extra_cost_paths is None \
            or a.extra_cost_paths.shape != b.extra_cost_paths.shape:
        return Estimate(a.expected_cost - b.expected_cost, float("nan"))
    return usage.mean(a.extra_cost_paths - b.extra_cost_paths)


@dataclass(frozen=True)
class NextTierValue:
    """What the next tier above a commitment is worth, on the same paths: the one home of it.

    ``extra_cost`` is the expected cost at the tier's threshold minus the commitment's
    (negative: the next tier saves money)."""

    amount: float
    discount: float
    result: CommitmentResult
    extra_cost: float


def next_tier_value(contract: Contract, usage: YearlyUsage, result: CommitmentResult,
                    appetite: float | None = None) -> NextTierValue | None:
    """The next tier above a flat commitment, evaluated at its threshold on the same paths;
    None for a ramp or when no tier is above."""
    if result.is_ramp:
        return None
    nxt = next_tier(contract, result.annual_commit)
    if nxt is None:
        return None
    amount, discount = nxt
    other = evaluate_commitment(contract, usage, amount, appetite=appetite)
    return NextTierValue(amount, discount, other, other.expected_cost - result.expected_cost)
