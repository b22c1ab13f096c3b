"""The vendor's copy of the negotiation PDF: the buyer's proposal with its asks as clauses to
add, the optimization plan with its timeline, and at most one forecast figure per year (the
buyer's disclosure case); nothing of the buyer's expected path, alternative, appetite,
walk-away or break-even (docs/negotiation.md, "What the vendor sees").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forecast.errors import PlannerError
from forecast.formatting import pct, usd, with_tier
from forecast.report.appendix import _levers
from forecast.typeset import (
    ACCENT,
    box,
    para,
    table,
    text,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from forecast import Plan
    from forecast.negotiation import Ask
    from forecast.types import FloatArray


@dataclass(frozen=True)
class Proposal:
    """What the buyer proposes: the commitment per year under an offer's terms, and after
    how many months of usage-based pricing it is signed (0: now).

    ``per_year`` has shape (years,); all zeros: no commitment proposed.
    """

    per_year: FloatArray
    discount: FloatArray
    edges: list[float]
    sign_after_months: int
    offer: str | None


def proposal(plan: Plan, propose: str | None = None) -> Proposal:
    """The buyer's proposal: ``propose`` (an offer's name) when given, else the first
    commitment named with ``--commit`` (under the scenario contract's terms), else the
    decision. The buyer's number wins over the planner's.

    Raises
    ------
    PlannerError
        When ``propose`` names no offer.
    """
    from forecast.contract import discount_for, tier_edges
    from forecast.types import CommitmentKind

    position = plan.position
    if propose is not None:
        offers = {} if position is None else {o.name: o for o in position.offers}
        if propose not in offers:
            raise PlannerError(f"--propose: no offer named {propose!r}; offers: "
                               + ", ".join(offers) if offers else
                               f"--propose: no offer named {propose!r}; the plan has no "
                               "offers")
        o = offers[propose]
        c = np.asarray(o.result.per_year, dtype=float)
        return Proposal(c, discount_for(o.terms, c), tier_edges(o.terms), 0, o.name)
    named = [c for c in plan.named if c.kind == CommitmentKind.NAMED]
    if named:
        terms = plan.scenario.contract
        c = np.asarray(named[0].per_year, dtype=float)
        return Proposal(c, discount_for(terms, c), tier_edges(terms), 0, None)
    d = plan.decision
    if d is not None:
        return Proposal(np.asarray(d.per_year, dtype=float), d.discount, d.edges,
                        d.sign_after_months, d.offer if d.signs else None)
    r = plan.recommendation.recommended
    terms = plan.scenario.contract
    return Proposal(r.per_year, r.discount, tier_edges(terms), 0, None)


def vendor_asks(plan: Plan) -> list[Ask]:
    """The asks package as clauses to add to the proposal: the package's asks, except those
    that change the commitment (the proposal's own amounts stand)."""
    from forecast.negotiation import SHAPE_CLAUSES

    position = plan.position
    if position is None or position.package is None:
        return []
    return [a for a in position.asks if a.offer == position.package.offer
            and a.clause not in SHAPE_CLAUSES]


def disclosure(plan: Plan) -> tuple[str, FloatArray] | None:
    """The disclosure case: its label and the quantile of optimized yearly usage at list,
    shape (years,); None when the scenario discloses none."""
    neg = plan.scenario.negotiation
    q = neg.disclose_quantile
    if q is None:
        return None
    values = np.quantile(plan.usage.optimized, q, axis=0)
    label = (f"{neg.disclose}: usage with our optimization plan, at list, that "
             f"{pct(1.0 - q)} of our scenarios exceed")
    return label, values


# --------------------------------------------------------------------------- vendor copy
def _vendor_summary(plan: Plan, generated: dt.date, width: float,
                    propose: str | None = None) -> list[Flowable]:
    """The copy for the other side of the table: the proposal, its clauses, the plan and the
    disclosure case."""
    from reportlab.platypus import Spacer

    from forecast import narrative

    sc = plan.scenario
    p = proposal(plan, propose)
    years = len(p.per_year)
    story: list[Flowable] = [
        para(text(sc.name), "title"),
        para(f"Commitment proposal · prepared {generated.isoformat()} · {years}-year "
             f"contract from {sc.start} · list prices of {text(plan.book.id)}", "subtitle"),
    ]
    lines = [para("OUR PROPOSAL", "label")]
    term = f"for {years} year{'s' * (years > 1)}"
    if float(p.per_year.sum()) > 0:
        amount = with_tier(p.per_year, p.discount, p.edges)
        if p.sign_after_months > 0:
            lines.append(para(f"Usage-based pricing for {p.sign_after_months} months while "
                              f"the optimizations land, then commit about {text(amount)} "
                              f"{term}", "headline"))
        else:
            lines.append(para(f"Commit {text(amount)} {term}", "headline"))
    else:
        lines.append(para("Usage-based pricing while the optimizations land", "headline"))
    asks = vendor_asks(plan) if float(p.per_year.sum()) > 0 else []
    if asks:
        lines.append(para("With these clauses:", "body"))
        lines += [para(f"{i}. {text(a.description[:1].upper() + a.description[1:])}.",
                       "conclusion") for i, a in enumerate(asks, 1)]
    story += [box(lines, width, "#f0f6ff", ACCENT), Spacer(1, 7)]

    first = narrative.land_first(plan)
    a = plan.projection.attribution
    share = a.total_saving / a.current_total if a.current_total else 0.0
    story.append(para("Why this size", "h2"))
    if share > 0:
        story.append(para(
            "Our optimization plan moves work nobody waits on to the Batch API, caches shared "
            "prompt prefixes and routes work to the lightest model that clears the bar: it "
            f"takes our list spend down by {pct(share)}. The commitment is sized on that plan"
            + (f", led by {text(narrative.join_names(first.names))}" if first.names else "")
            + ". Its timeline follows.", "body"))
    else:
        story.append(para("Sized on our usage as it runs today: no optimization is planned "
                          "yet.", "body"))
    story += _history(plan, width)
    case = disclosure(plan)
    if case is not None:
        label, values = case
        story.append(para("The usage we plan on", "h2"))
        rows = [[f"year {y + 1}", usd(float(v))] for y, v in enumerate(values)]
        story.append(table(["contract year", sc.negotiation.disclose], rows, width * 0.45,
                           [1, 1], right={1}))
        story.append(para(text(label[:1].upper() + label[1:]) + ": a cautious case, the "
                          "one figure a year we share.", "note"))
    months = [w.lands_month for w in sc.workloads if w.optimized is not None
              and w.target != w.current]
    if months:
        last = max(w.lands_month + max(w.ramp_months, 1) - 1 for w in sc.workloads
                   if w.optimized is not None and w.target != w.current)
        story.append(para(f"Landing: the optimizations land from month {min(months)} to "
                          f"month {last} of the contract.", "note"))
    return story


def _history(plan: Plan, width: float) -> list[Flowable]:
    """Usage as it happened (``scenario.history``, from an import): list spend by month, in
    rows of up to four months."""
    months = plan.scenario.history
    if not months:
        return []
    cells = [(m.month, usd(m.list_spend)) for m in months]
    per_row = 4
    rows = []
    for i in range(0, len(cells), per_row):
        chunk = cells[i:i + per_row]
        chunk += [("", "")] * (per_row - len(chunk))
        rows.append([x for pair in chunk for x in pair])
    header = ["month", "list spend"] * per_row
    return [para("Our usage as it happened", "h2"),
            table(header, rows, width, [None, 1] * per_row, right={1, 3, 5, 7}),
            para(f"List spend as billed, {months[0].month} to {months[-1].month} (a month "
                 "partly covered by the usage files scaled to the whole month).", "note")]


def _vendor_timeline(plan: Plan, width: float) -> list[Flowable]:
    """The optimization plan workload by workload, in the order it lands."""
    sc = plan.scenario
    story: list[Flowable] = [para("The optimization plan and its timeline", "h2")]
    rows = []
    for w in sorted(sc.workloads, key=lambda w: (w.lands_month, w.name)):
        changed = w.optimized is not None and w.target != w.current
        if not changed:
            continue
        rows.append([w.name, _levers(w.current), _levers(w.target), str(w.lands_month),
                     str(w.lands_month + max(w.ramp_months, 1) - 1)])
    if not rows:
        return []
    story.append(table(["workload", "today", "planned", "starts in month", "in place by month"],
                       rows, width, [0.75, 1, 1, None, None], right={3, 4}))
    return story
