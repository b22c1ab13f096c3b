"""What the planner says in words: the sentences every face (app, CLI, PDF) shows.

Each function reads a :class:`~forecast.plan.Plan` and returns plain text (no markup): the
app renders it as Markdown-free text, the PDF escapes it and sets the ``lead`` of a
:class:`Line` in bold, the CLI prints it. A face never words a finding itself, so the app, the
command line and the PDF say the same thing in the same words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forecast.commitment import compare
from forecast.contract import tier_edges
from forecast.formatting import pct, usd, usd_short
from forecast.types import FlagLevel, Risk

if TYPE_CHECKING:
    from forecast.commitment import CommitmentResult, RiskReason
    from forecast.negotiation import Ask, OfferResult, WalkAway
    from forecast.plan import Plan
    from forecast.scenario import Contract

#: The migration leaders to land before signing carry at least this share of the saving...
LAND_FIRST_SHARE = 0.6
#: ...and are at most this many workloads.
LAND_FIRST_MAX = 3


@dataclass(frozen=True)
class Line:
    """One statement: a short lead (set in bold where the face can) and the rest."""

    lead: str
    body: str

    @property
    def plain(self) -> str:
        return f"{self.lead} {self.body}"


@dataclass(frozen=True)
class LandFirst:
    """The workloads to land before signing (the "land these first" rule).

    Attributes
    ----------
    names : list of str
        The leaders of the migration order that together carry at least
        ``LAND_FIRST_SHARE`` of the monthly saving, at most ``LAND_FIRST_MAX``.
    carried, total : float
        Their monthly saving, and the plan's whole monthly saving (USD a month, at today's
        volume once landed).
    n_more : int
        Other workloads that save something.
    """

    names: list[str]
    carried: float
    total: float
    n_more: int


def land_first(plan: Plan) -> LandFirst:
    """The "land these first" rule, the one home for it."""
    a = plan.projection.attribution
    order = sorted(range(len(plan.projection.workloads)), key=lambda i: a.migration_order[i])
    positive = [i for i in order if a.saving_per_month[i] > 0]
    total = float(sum(a.saving_per_month[i] for i in positive))
    names: list[str] = []
    carried = 0.0
    for i in positive:
        if len(names) == LAND_FIRST_MAX or (names and carried >= LAND_FIRST_SHARE * total):
            break
        names.append(plan.projection.workloads[i])
        carried += float(a.saving_per_month[i])
    return LandFirst(names, carried, total, len(positive) - len(names))


def join_names(names: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def amount_text(result: CommitmentResult) -> str:
    """Annual amount in whole dollars, or one amount per year for a ramp."""
    if result.is_ramp:
        return " / ".join(usd(c) for c in result.per_year)
    return usd(result.annual_commit)


def tier_phrase(contract: Contract, result: CommitmentResult) -> str:
    """Which discount a commitment earns, as a phrase after "it"."""
    if result.is_ramp:
        return "earns a discount of " + " / ".join(pct(d) for d in result.discount) \
            + " by year"
    d = float(result.discount[0])
    earned = [t for t in contract.discount_tiers
              if t.min_annual_commit <= result.annual_commit]
    if not earned or d <= 0:
        if result.annual_commit <= 0:
            return "earns no discount (no commitment)"
        return "earns no discount (below the first tier)"
    tier = earned[-1]
    return (f"earns the {pct(tier.discount)} discount tier (commit at least "
            f"{usd(tier.min_annual_commit)} a year)")


def why_recommended(plan: Plan) -> str:
    """Why the recommended commitment is the one: its tier, its rule, what it is sized on."""
    rec = plan.recommendation
    r = rec.recommended
    if r.per_year.sum() <= 0:
        return zero_explanation(plan)
    return (f"It {tier_phrase(plan.scenario.contract, r)}. Of all flat commitments whose "
            f"shortfall probability stays within your {pct(rec.appetite)} appetite, it has the "
            "lowest expected cost. Sized on the optimized usage, not on today's bill.")


def zero_explanation(plan: Plan) -> str:
    """Why the answer is $0: no commitment, pay as you go."""
    rec = plan.recommendation
    return (f"$0 means no commitment: pay as you go. No flat commitment within your "
            f"{pct(rec.appetite)} shortfall appetite earns a discount that lowers the expected "
            "cost on the optimized usage; buy at list and revisit once the optimizations "
            "have landed.")


def conclusion(plan: Plan) -> list[Line]:
    """The three-line conclusion, "optimize, then commit".

    1. Optimize first: the leaders of the migration order to land before signing
       (:func:`land_first`), with their share of the monthly saving.
    2. Then commit: the recommended amount, its tier, expected cost, saving against today's
       path and shortfall chance; or commit nothing when no tier pays for its risk.
    3. The trap: the recommended commitment's own stranding when its flag is amber or red;
       else what a commitment sized on the unoptimized forecast would strand; else that
       nothing strands. A red walk-back exposure is added to it.
    """
    rec = plan.recommendation
    r = rec.recommended
    first_rule = land_first(plan)
    if first_rule.names:
        n_more = first_rule.n_more
        more = (f"; {n_more} more follow{'s' if n_more == 1 else ''} in migration order"
                if n_more > 0 else "")
        verb = "they carry" if len(first_rule.names) > 1 else "it carries"
        share = first_rule.carried / first_rule.total if first_rule.total else 0.0
        first = Line("Optimize first.",
                     f"Land {join_names(first_rule.names)} before signing: {verb} "
                     f"{usd(first_rule.carried)} ({pct(share)}) of the "
                     f"{usd(first_rule.total)} a month the plan saves once in place{more}.")
    else:
        first = Line("Optimize first.", "This plan has no optimization saving to land: the "
                     "commitment below is sized on today's usage.")
    if r.per_year.sum() > 0:
        second = Line("Then commit",
                      f"{amount_text(r)} a year, sized on the optimized usage: it "
                      f"{tier_phrase(plan.scenario.contract, r)}. Expected cost "
                      f"{usd(r.expected_cost)} over the term, {usd(r.saving_vs_today)} below "
                      f"today's path at list, with a {pct(r.shortfall_probability)} chance that "
                      "some year falls short.")
    else:
        second = Line("Then commit nothing yet:", "no flat commitment's discount pays for its "
                      "shortfall risk at the optimized usage; buy at list and revisit once "
                      "the optimizations have landed.")
    ramp = ramp_note(plan)
    if ramp:
        second = Line(second.lead, f"{second.body} {ramp}")
    base = rec.unoptimized
    if r.flag in (FlagLevel.AMBER, FlagLevel.RED) and r.stranded_savings > 0.5:
        third = Line("Watch the floor:",
                     f"even the recommended commitment strands {usd(r.stranded_savings)} "
                     f"({pct(r.stranded_share)} of the savings); commit at most "
                     f"{usd(rec.safe_commit.annual_commit)} a year, or ramp "
                     f"{amount_text(rec.ramp)}.")
    elif base.stranded_savings > 0.5 and base.flag != FlagLevel.GREEN:
        third = Line("Do not size it on today's bill:",
                     f"a commitment sized on the unoptimized forecast ({amount_text(base)} a "
                     f"year) would strand {usd(base.stranded_savings)}, "
                     f"{pct(base.stranded_share)} of the savings, under the commitment floor.")
    else:
        third = Line("Nothing strands:", "at the recommended size every dollar the "
                     "optimizations save lowers the bill.")
    if plan.walk_back.level == FlagLevel.RED:
        third = Line(third.lead, third.body + " Batch only what truly waits: walking the "
                     f"gray workloads back would add {usd(plan.walk_back.if_all_revert)}.")
    return [first, second, third]


def with_tier(result: CommitmentResult, contract: Contract, short: bool = False) -> str:
    """An amount written with the tier it earns: ``$3,000,000 a year (10% tier)``.

    Short form for metrics: ``$3.00M a year · 10%``; never rounded up across a tier edge.
    A ramp gives one amount per year; $0 says it is no commitment.
    """
    edges = tier_edges(contract)

    def money(c: float) -> str:
        return usd_short(c, edges) if short else usd(c)

    if result.total_commit <= 0:
        earned = float(result.discount[0])
        return "$0: no commitment" + (f" ({pct(earned)} tier)" if earned > 0 else
                                      ", pay as you go")
    if result.is_ramp:
        amounts = " / ".join(money(c) for c in result.per_year)
        tiers = " / ".join(pct(d) for d in result.discount)
        return f"{amounts} ({tiers})" if short else f"{amounts} a year ({tiers} tiers)"
    d = float(result.discount[0])
    tier = f"{pct(d)} tier" if d > 0 else "no discount"
    return f"{money(result.annual_commit)}/yr · {tier}" if short \
        else f"{money(result.annual_commit)} a year ({tier})"


def reason_text(reason: RiskReason, appetite: float) -> str:
    """One risk behind a colour, in words."""
    if reason.risk == Risk.STRANDING:
        return f"strands {pct(reason.value)} of the optimization savings"
    if reason.risk == Risk.SHORTFALL:
        return (f"falls short with probability {pct(reason.value)} (appetite "
                f"{pct(appetite)})")
    return "earns no discount: pay as you go plus shortfall risk"


def colour_text(result: CommitmentResult, appetite: float) -> str:
    """``green`` or ``red: falls short with probability 96% (appetite 10%)``."""
    if not result.reasons:
        return str(result.colour)
    return f"{result.colour}: " + "; ".join(reason_text(r, appetite) for r in result.reasons)


def tier_edge_note(plan: Plan) -> str | None:
    """When the recommended commitment sits on a tier edge: what the next tier would take
    and give, from the same paths."""
    from forecast.commitment import evaluate_commitment
    from forecast.contract import next_tier

    r = plan.recommendation.recommended
    contract = plan.scenario.contract
    if r.is_ramp or r.annual_commit <= 0 or r.annual_commit not in tier_edges(contract):
        return None
    nxt = next_tier(contract, r.annual_commit)
    if nxt is None:
        return (f"{usd(r.annual_commit)} is the top tier's threshold: the deepest discount "
                "on offer.")
    amount, discount = nxt
    other = evaluate_commitment(contract, plan.usage, amount)
    delta = other.expected_cost - r.expected_cost
    change = f"{usd(-delta)} less" if delta < 0 else f"{usd(delta)} more"
    return (f"{usd(r.annual_commit)} is the {pct(float(r.discount[0]))} tier's threshold. The "
            f"next tier, {pct(discount)} from {usd(amount)} a year, would cost {change} in "
            f"expectation over the term with a {pct(other.shortfall_probability)} chance "
            "that some year falls short.")


def ramp_note(plan: Plan) -> str | None:
    """When the best ramp beats the best flat commitment: by how much, at what risk."""
    rec = plan.recommendation
    if not rec.ramp_advised:
        return None
    flat = (f"{usd(rec.recommended.annual_commit)} flat" if rec.recommended.total_commit > 0
            else "no commitment")
    return (f"A ramp of {with_tier(rec.ramp, plan.scenario.contract)} costs "
            f"{usd(rec.ramp_gain)} less in expectation than {flat}, with a "
            f"{pct(rec.ramp.shortfall_probability)} chance that some year falls short "
            f"(appetite {pct(rec.appetite)}): usage grows over the term, so ask for it.")


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


#: The bridge's lines in order: (key, words, sign shown before the amount).
BRIDGE_LINES: tuple[tuple[str, str, str], ...] = (
    ("today_list", "today's path at list", ""),
    ("levers", "optimization levers", "-"),
    ("payg", "pay as you go on the optimized path", "="),
    ("discount", "discount earned", "-"),
    ("unused", "unused commitment", "+"),
    ("expected_cost", "expected cost of the commitment", "="),
)


def bridge_rows(result: CommitmentResult) -> list[tuple[str, str, float]]:
    """The savings bridge of a commitment as (sign, words, amount) rows, top to bottom.

    The levers line notes the stranded savings as "of which stranded": a part of the
    levers' saving the commitment floor absorbs (it shows again as unused commitment),
    not another saving.
    """
    values = result.bridge.to_dict()
    rows = []
    for key, words, sign in BRIDGE_LINES:
        if key == "levers" and result.stranded_savings > 0.5:
            words = f"{words} (of which stranded: {usd(result.stranded_savings)})"
        rows.append((sign, words, values[key]))
    return rows


def offer_colour(offer: OfferResult) -> FlagLevel:
    """An offer's colour: its commitment's; red when it does not beat paying as you go."""
    from forecast.negotiation import offer_level

    return offer_level(offer)


def walk_away_text(w: WalkAway) -> str:
    """The walk-away under one offer, in a sentence."""
    if w.bound == "none":
        return f"{w.offer}: no commitment within your appetite beats paying as you go"
    why = "the shortfall risk passes your appetite beyond it" if w.bound == "appetite" \
        else "paying as you go is cheaper beyond it"
    return f"{w.offer}: at most {usd(w.annual_commit)} a year ({why})"


def walk_away_short(w: WalkAway) -> str:
    """The walk-away under one offer in a few words: ``Vendor: $3.95M (appetite)``."""
    if w.bound == "none":
        return f"{w.offer}: none"
    bound = "appetite" if w.bound == "appetite" else "pay as you go"
    return f"{w.offer}: {usd_short(w.annual_commit)} ({bound})"


def offer_colour_text(offer: OfferResult) -> str:
    """An offer's colour and why: its commitment's risks, and whether it beats paying as you
    go within the appetite."""
    colour = offer_colour(offer)
    reasons = [reason_text(r, offer.appetite) for r in offer.result.reasons]
    if not offer.worth_signing and offer.result.total_commit > 0:
        reasons.insert(0, "does not beat pay as you go within your appetite")
    return f"{colour}: " + "; ".join(reasons) if reasons else str(colour)


#: An ask worth less than this share of the offer's expected cost is not worth a line of the
#: position (it still appears, valued, in the asks table).
MATERIAL_SHARE = 0.001


def material_asks(plan: Plan) -> list[Ask]:
    """The asks worth raising: at least $1 and 0.1% of their offer's expected cost."""
    position = plan.position
    if position is None:
        return []
    cost = {o.name: o.result.expected_cost for o in position.offers}
    return [a for a in position.asks
            if a.expected_value >= max(1.0, MATERIAL_SHARE * cost.get(a.offer, 0.0))]


def position_items(plan: Plan) -> list[tuple[str, list[str]]]:
    """The position as (heading, lines): the target, the walk-away (the target's in a
    sentence, the other offers' in a few words), the opening ask, the most valuable asks
    worth raising and the alternative."""
    position = plan.position
    if position is None:
        return []
    out: list[tuple[str, list[str]]] = []
    t = position.target
    if t is None:
        out.append(("Target", ["none: no offer beats paying as you go within your appetite; "
                               "walk away, or counter"]))
    else:
        out.append(("Target", [f"{t.name}, {with_tier(t.result, t.terms)}: "
                               f"{usd(t.result.expected_cost)} expected over the term, "
                               f"{usd(t.saving_vs_payg)} below pay as you go, "
                               f"{pct(t.result.shortfall_probability)} shortfall chance"]))
    first = t or position.offers[0]
    walk = [walk_away_text(first.walk_away)]
    others = [walk_away_short(o.walk_away) for o in position.offers if o is not first]
    if others:
        walk.append("other offers: " + " · ".join(others))
    out.append(("Walk away", walk))
    material = material_asks(plan)
    ask = position.opening_ask if position.opening_ask in material else None
    if ask is not None:
        out.append(("Opening ask", [f"{ask.description} ({ask.offer}): worth "
                                    f"{usd(ask.expected_value)} over the term"]))
    top = [a for a in material if a is not ask][:3]
    if top:
        out.append(("Then ask for", [f"{a.description} ({a.offer}): {usd(a.expected_value)}"
                                     for a in top]))
    alt = position.alternative
    out.append(("Alternative", [f"pay as you go on the optimized path: "
                                f"{usd(alt.expected_cost)} expected over the term (P10 "
                                f"{usd(alt.cost_p10)}, P90 {usd(alt.cost_p90)})"]))
    return out


def position_lines(plan: Plan) -> list[str]:
    """The position in a few lines of text (:func:`position_items`, one line each)."""
    return [f"{heading}: " + "; ".join(lines) + "." for heading, lines in position_items(plan)]
