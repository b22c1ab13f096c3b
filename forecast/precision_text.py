"""What the planner says about its Monte Carlo error, in words for every face: the error of
the recommendation's figures, and the options the simulation cannot tell apart
(docs/model.md, "Precision"). The figures are :mod:`forecast.precision`'s and the results'.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from forecast.commitment import compare
from forecast.formatting import usd
from forecast.narrative import with_tier

if TYPE_CHECKING:
    from forecast.plan import Plan


def precision_line(plan: Plan) -> str:
    """The Monte Carlo error of the recommendation's figures, in words (docs/model.md,
    "Precision")."""
    r = plan.recommendation.recommended
    share = r.expected_cost_se / r.expected_cost if r.expected_cost > 0 else 0.0
    return (f"Monte Carlo error at {plan.n_paths:,} paths (one standard error): expected "
            f"cost ±{usd(r.expected_cost_se)} ({_significant(share * 100)}%), saving vs pay as "
            f"you go "
            f"±{usd(r.saving_vs_payg_se)}, shortfall probability "
            f"±{r.shortfall_probability_se * 100:.2f} points.")


def _significant(value: float, digits: int = 2) -> str:
    """A small number with two significant digits, never in exponent form (0.000086)."""
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def noise_lines(plan: Plan) -> list[str]:
    """Options the simulation cannot tell apart: their difference in expected cost on the
    same paths is within two standard errors of its paired difference."""
    out = []
    rec = plan.recommendation
    contract = plan.scenario.contract
    if rec.ramp.is_ramp:
        diff = compare(rec.ramp, rec.recommended, plan.usage)
        if diff.within_noise():
            out.append(
                f"The ramp {with_tier(rec.ramp, contract)} and "
                f"{with_tier(rec.recommended, contract)} flat are within noise of each "
                f"other: {usd(abs(diff.value))} apart in "
                f"expectation, ±{usd(diff.se)} (paired, same paths).")
    if plan.position is not None:
        for call in plan.position.within_noise:
            out.append(
                f"Offers {call.first!r} and {call.second!r} are within noise of each other: "
                f"{usd(abs(call.difference))} apart in expectation, ±{usd(call.difference_se)} "
                "(paired, same paths); more paths, or another term, decides between them.")
    return out
