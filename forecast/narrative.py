"""What the planner says in words: the sentences every face (app, CLI, PDF) shows.

Each function reads a :class:`~forecast.plan.Plan` and returns plain text (no markup): the
app renders it as Markdown-free text, the PDF escapes it and sets the ``lead`` of a
:class:`Line` in bold, the CLI prints it. A face never words a finding itself, so the app, the
command line and the PDF say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from forecast import formatting
from forecast.contract import tier_edges
from forecast.formatting import pct, usd, usd_short
from forecast.types import FlagLevel, Risk, WalkAwayBound

if TYPE_CHECKING:
    from forecast.commitment import CommitmentResult, RiskReason
    from forecast.decision import Decision
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
    """Annual amount in whole dollars, or one amount per year for a ramp
    (:func:`forecast.formatting.amount_text`)."""
    return formatting.amount_text(result.per_year)


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
    d = plan.decision
    first_rule = land_first(plan)
    landed = _landed(plan)
    if first_rule.names:
        n_more = first_rule.n_more
        more = (f"; {n_more} more follow{'s' if n_more == 1 else ''} in migration order"
                if n_more > 0 else "")
        verb = "they carry" if len(first_rule.names) > 1 else "it carries"
        share = first_rule.carried / first_rule.total if first_rule.total else 0.0
        if d is not None and d.sign_after_months > 0:
            when = f"in the {d.sign_after_months} months before signing"
        elif landed is not None and landed > 1:
            when = (f"first; they land after signature (by month {landed}), which the "
                    "commitment below is sized for")
        else:
            when = "before signing"
        first = Line("Optimize first.",
                     f"Land {join_names(first_rule.names)} {when}: {verb} "
                     f"{usd(first_rule.carried)} ({pct(share)}) of the "
                     f"{usd(first_rule.total)} a month the plan saves once in place{more}.")
    else:
        first = Line("Optimize first.", "This plan has no optimization saving to land: the "
                     "commitment below is sized on today's usage.")
    if d is not None:
        from forecast.plan import saving_label

        if d.signs:
            when = "now" if d.sign_after_months == 0 else \
                f"after {d.sign_after_months} months of pay as you go"
            second = Line("Then commit",
                          f"{decision_amount(d)} under {offer_words(d.offer)}, signed {when}. "
                          f"Expected cost {usd(d.expected_cost)}, "
                          f"{saving_label(d.current_discount)} {usd(d.saving_vs_today)}, "
                          f"with a {pct(d.shortfall_probability)} chance that some year "
                          "falls short.")
        else:
            second = Line("Then commit nothing:", d.reason)
    elif r.per_year.sum() > 0:
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
    # The ramp note compares the ramp with flat: beside a decision that is a ramp (or is
    # sized later), it would be a second answer.
    ramp = ramp_note(plan) if d is None or (not d.is_ramp and d.sign_after_months == 0) \
        else None
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


def _landed(plan: Plan) -> int | None:
    from forecast.decision import landed_month

    return landed_month(plan.scenario)


def with_tier(result: CommitmentResult, contract: Contract, short: bool = False) -> str:
    """An amount written with the tier it earns (:func:`forecast.formatting.with_tier`)."""
    return formatting.with_tier(result.per_year, result.discount, tier_edges(contract), short)


def reason_text(reason: RiskReason, appetite: float) -> str:
    """One risk behind a colour, in words (a shortfall with its dollars)."""
    if reason.risk == Risk.STRANDING:
        return f"strands {pct(reason.value)} of the optimization savings"
    if reason.risk == Risk.SHORTFALL:
        return (f"falls short with probability {pct(reason.value)} (appetite "
                f"{pct(appetite)}), {usd(reason.dollars)} expected unused")
    if reason.risk == Risk.EXTRA_COST:
        return (f"costs {usd(reason.dollars)} more than pay as you go at P90 (bound "
                f"{usd(reason.value)})")
    if reason.risk == Risk.UNUSED:
        return (f"leaves {usd(reason.dollars)} unused in expectation (bound "
                f"{usd(reason.value)})")
    return "earns no discount: pay as you go plus shortfall risk"


# --------------------------------------------------------------------------- the decision
def offer_words(offer: str | None) -> str:
    """How a sentence names an offer (:func:`forecast.decision.offer_words`)."""
    from forecast.decision import offer_words as words

    return words(offer)


def ramp_shape(per_year: Sequence[float]) -> str:
    """``flat``, ``back-loaded`` (never falls, ends higher), ``front-loaded`` (never rises,
    ends lower) or ``uneven``: read from the amounts."""
    values = [float(c) for c in per_year]
    if len(values) < 2 or max(values) - min(values) <= 0.5:
        return "flat"
    steps = [b - a for a, b in pairwise(values)]
    if all(x >= -0.5 for x in steps):
        return "back-loaded"
    if all(x <= 0.5 for x in steps):
        return "front-loaded"
    return "uneven"


def decision_amount(decision: Decision, short: bool = False) -> str:
    """The decision's commitment with its tier (``about`` when it is chosen later), or
    pay as you go."""
    if not decision.signs:
        return "no commitment: pay as you go"
    about = "about " if decision.sign_after_months > 0 else ""
    return about + formatting.with_tier(decision.per_year, decision.discount, decision.edges,
                                        short)


def decision_line(plan: Plan) -> str:
    """The decision in one line, the first thing every face says."""
    d = plan.decision
    if d is None or not d.signs:
        return "DECISION: pay as you go, no commitment"
    amount = decision_amount(d)
    if d.sign_after_months > 0:
        return (f"DECISION: pay as you go for {d.sign_after_months} months, then sign "
                f"{amount} under {offer_words(d.offer)}")
    return f"DECISION: sign {amount} now, under {offer_words(d.offer)}"


def decision_headline(plan: Plan) -> str:
    """The decision in a few words for a headline (compact amounts, never rounded up across
    a tier edge): ``Sign $3.00M/yr · 10% tier now``."""
    d = plan.decision
    if d is None or not d.signs:
        return "Pay as you go: no commitment"
    amount = decision_amount(d, short=True)
    if d.sign_after_months > 0:
        return f"Pay as you go {d.sign_after_months} months, then sign {amount}"
    return f"Sign {amount} now"


def decision_figures(plan: Plan) -> str:
    """The decision's figures in a sentence: cost, the one saving, pay as you go, risk in
    dollars."""
    from forecast.plan import saving_label

    d = plan.decision
    assert d is not None
    span = f"the {d.window_months}-month window" if d.window_months \
        else f"the {len(d.per_year)}-year term"
    out = (f"Expected cost {usd(d.expected_cost)} over {span}; {saving_label(d.current_discount)}"
           f" {usd(d.saving_vs_today)}, of which {usd(d.saving_vs_payg)} against pay as you go.")
    if d.signs:
        out += (f" A {pct(d.shortfall_probability)} chance that some year falls short; in a "
                f"bad case (P90) it costs {versus_payg(d.extra_cost_p90)}, in the worst 10% "
                f"{versus_payg(d.cvar90_extra_cost)} on average.")
    return out


def versus_payg(extra: float) -> str:
    """An extra cost against pay as you go in words: ``$12,000 more than pay as you go``."""
    if abs(extra) < 0.5:
        return "the same as pay as you go"
    return f"{usd(abs(extra))} {'more' if extra > 0 else 'less'} than pay as you go"


def when_to_sign_rows(plan: Plan) -> list[list[str]]:
    """The when-to-sign table: delay, expected cost over the window, against pay as you go,
    shortfall chance, the usage shift, and which one the decision takes."""
    d = plan.decision
    if d is None or d.timing is None:
        return []
    w = d.timing
    rows = []
    for i, r in enumerate(w.rows):
        label = "now" if r.sign_after_months == 0 else f"after {r.sign_after_months} months"
        if r.lapsed:
            label += " (offer lapsed)"
        shift = w.usage_shift[i] if w.usage_shift else 0.0
        mark = "decision" if d.sign_after_months == r.sign_after_months and d.signs else ""
        rows.append([label, usd(r.expected_cost), usd(r.saving_vs_payg),
                     pct(r.shortfall_probability), usd(shift), mark])
    return rows


WHEN_TO_SIGN_HEADER = ["sign", "expected cost", "vs pay as you go", "shortfall",
                       "usage shift", ""]


def budget_rows(plan: Plan) -> list[list[str]]:
    """The budget view: per contract year, the decision's expected cost with its P10-P90,
    pay as you go and today's rate."""
    d = plan.decision
    if d is None:
        return []
    return [[f"year {b.year}", usd(b.expected_cost), f"{usd(b.cost_p10)} to {usd(b.cost_p90)}",
             usd(b.payg_expected_cost), usd(b.today_rate_cost)] for b in d.budget]


def budget_header(plan: Plan) -> list[str]:
    d = plan.decision
    today = "today's rate" if d is None or d.current_discount <= 0 else \
        f"today's rate ({pct(d.current_discount)} under list)"
    return ["contract year", "expected cost", "P10 to P90", "pay as you go", today]


def colour_text(result: CommitmentResult, appetite: float) -> str:
    """``green`` or ``red: falls short with probability 96% (appetite 10%)``."""
    if not result.reasons:
        return str(result.colour)
    return f"{result.colour}: " + "; ".join(reason_text(r, appetite) for r in result.reasons)


def tier_edge_note(plan: Plan) -> str | None:
    """When the recommended commitment sits on a tier edge: what the next tier would take
    and give, from the same paths."""
    from forecast.commitment import next_tier_value

    r = plan.recommendation.recommended
    contract = plan.scenario.contract
    if r.is_ramp or r.annual_commit <= 0 or r.annual_commit not in tier_edges(contract):
        return None
    value = next_tier_value(contract, plan.usage, r)
    if value is None:
        return (f"{usd(r.annual_commit)} is the top tier's threshold: the deepest discount "
                "on offer.")
    amount, discount, other = value.amount, value.discount, value.result
    delta = value.extra_cost
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
    shape = ramp_shape(rec.ramp.per_year)
    why = {"back-loaded": "back-loaded, it follows usage that grows over the term",
           "front-loaded": "front-loaded, it follows usage that falls as the levers land",
           }.get(shape, "it follows the usage year by year")
    return (f"A ramp of {with_tier(rec.ramp, plan.scenario.contract)} costs "
            f"{usd(rec.ramp_gain)} less in expectation than {flat}, with a "
            f"{pct(rec.ramp.shortfall_probability)} chance that some year falls short "
            f"(appetite {pct(rec.appetite)}): {why}.")


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


def decision_bridge_rows(plan: Plan) -> list[tuple[str, str, float]]:
    """The decision's savings bridge as (sign, words, amount) rows. When today's effective
    rate is known (``current_discount``), it starts from today's path at that rate and adds
    back the discount today's terms give, to reach today's path at list."""
    d = plan.decision
    if d is None:
        return bridge_rows(plan.recommendation.recommended)
    values = d.bridge.to_dict()
    rows: list[tuple[str, str, float]] = []
    if d.current_discount > 0:
        rows.append(("", f"today's path at today's rate ({pct(d.current_discount)} under list)",
                     d.today_rate))
        rows.append(("+", "today's discount, not in these terms",
                     values["today_list"] - d.today_rate))
    for key, words, sign in BRIDGE_LINES:
        if key == "levers" and d.stranded_savings > 0.5:
            words = f"{words} (of which stranded: {usd(d.stranded_savings)})"
        if key == "today_list" and d.current_discount > 0:
            sign = "="
        if key == "expected_cost":
            words = "expected cost of the decision"
        rows.append((sign, words, values[key]))
    return rows


def offer_colour(offer: OfferResult) -> FlagLevel:
    """An offer's colour: its commitment's; red when it does not beat paying as you go."""
    from forecast.negotiation import offer_level

    return offer_level(offer)


def walk_away_text(w: WalkAway) -> str:
    """The walk-away under one offer, in a sentence."""
    if w.bound is WalkAwayBound.NONE:
        return f"{w.offer}: no commitment under this offer beats pay as you go"
    why = "the shortfall risk passes your appetite beyond it" if w.bound is WalkAwayBound.APPETITE \
        else "paying as you go is cheaper beyond it"
    return f"{w.offer}: at most {usd(w.annual_commit)} a year ({why})"


def walk_away_short(w: WalkAway) -> str:
    """The walk-away under one offer in a few words: ``Vendor: $3.95M (appetite)``."""
    if w.bound is WalkAwayBound.NONE:
        return f"{w.offer}: no commitment under this offer beats pay as you go"
    bound = "appetite" if w.bound is WalkAwayBound.APPETITE else "pay as you go"
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
    """The asks worth raising: the asks package's (each at least the materiality line,
    ``negotiation.min_ask_value``), largest marginal value first."""
    position = plan.position
    if position is None:
        return []
    return list(position.asks)


def position_items(plan: Plan) -> list[tuple[str, list[str]]]:
    """The position as (heading, lines): the target, the walk-away (the target's in a
    sentence, the other offers' in a few words), the opening ask, the most valuable asks
    worth raising and the alternative."""
    position = plan.position
    if position is None:
        return []
    out: list[tuple[str, list[str]]] = []
    t = position.target
    d = plan.decision
    if d is not None and not d.signs:
        out.append(("Target", ["none: no commitment under any offer beats pay as you go "
                               "within your appetite; walk away, or counter"]))
    elif d is not None:
        when = "now" if d.sign_after_months == 0 else \
            f"after {d.sign_after_months} months of pay as you go"
        out.append(("Target", [f"{offer_words(d.offer)}, {decision_amount(d)}, signed "
                               f"{when}: {usd(d.saving_vs_payg)} below pay as you go"]))
    elif t is None:
        out.append(("Target", ["none: no commitment under any offer beats pay as you go "
                               "within your appetite; walk away, or counter"]))
    else:
        out.append(("Target", [f"{t.name}, {with_tier(t.result, t.terms)}: "
                               f"{usd(t.result.expected_cost)} expected over the term, "
                               f"{usd(t.saving_vs_payg)} below pay as you go, "
                               f"{pct(t.result.shortfall_probability)} shortfall chance"]))
    chosen = None if d is None else next((o for o in position.offers if o.name == d.offer),
                                         None)
    first = chosen or t or position.offers[0]
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
    # A ramp ask beside a decision already ramped or sized later would be a second answer.
    shaped = d is not None and (d.is_ramp or d.sign_after_months > 0)
    top = [a for a in material if a is not ask
           and not (shaped and str(a.clause) == "ramp")][:3]
    if top:
        out.append(("Then ask for", [f"{a.description} ({a.offer}): {usd(a.expected_value)}"
                                     for a in top]))
    for p in position.packages:
        if p.none_within:
            out.append(("Asks package", [f"none: under {p.offer} no combination of asks is "
                                         "within your appetite"]))
        elif p.asks:
            out.append(("Asks package", [
                f"against {p.offer}: {len(p.asks)} ask{'s' * (len(p.asks) > 1)} worth "
                f"{usd(p.value)} together over the term (marginals sum to "
                f"{usd(p.value - p.interaction)}, interaction {usd(p.interaction)}), "
                f"{pct(p.shortfall_probability_after)} shortfall chance after"]))
        else:
            out.append(("Asks package", [f"against {p.offer}: no ask worth "
                                         f"{usd(p.min_ask_value)} or more"]))
    alt = position.alternative
    out.append(("Alternative", [f"pay as you go on the optimized path: "
                                f"{usd(alt.expected_cost)} expected over the term (P10 "
                                f"{usd(alt.cost_p10)}, P90 {usd(alt.cost_p90)})"]))
    return out


def position_lines(plan: Plan) -> list[str]:
    """The position in a few lines of text (:func:`position_items`, one line each)."""
    return [f"{heading}: " + "; ".join(lines) + "." for heading, lines in position_items(plan)]
