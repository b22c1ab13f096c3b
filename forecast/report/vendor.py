"""The vendor's copy of the negotiation PDF: the ask, the usage evidence and the optimization
plan with its timeline; nothing of the buyer's appetite, walk-away or alternative.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from forecast.formatting import pct, usd
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


# --------------------------------------------------------------------------- vendor copy
def _vendor_summary(plan: Plan, generated: dt.date, width: float) -> list[Flowable]:
    """The copy for the other side of the table: the ask and its evidence. Nothing of the
    buyer's appetite, walk-away, alternative, cost curve or risk tables."""
    import numpy as np
    from reportlab.platypus import Spacer

    from forecast import narrative

    sc, position = plan.scenario, plan.position
    c = sc.contract
    story: list[Flowable] = [
        para(text(sc.name), "title"),
        para(f"Commitment proposal · prepared {generated.isoformat()} · {c.years}-year "
             f"contract from {sc.start} · list prices of {text(plan.book.id)}", "subtitle"),
    ]
    target = position.target if position is not None else None
    result = target.result if target is not None else plan.recommendation.recommended
    terms = target.terms if target is not None else c
    asks = [] if position is None else [a for a in position.asks
                                        if target is not None and a.offer == target.name
                                        and a.expected_value > 0.5]
    lines = [para("OUR PROPOSAL", "label")]
    if result.total_commit > 0:
        lines.append(para(f"Commit {text(narrative.with_tier(result, terms))} for "
                          f"{terms.years} year{'s' * (terms.years > 1)}", "headline"))
    else:
        lines.append(para("Usage-based pricing while the optimizations land", "headline"))
    if asks:
        lines.append(para("With:", "body"))
        lines += [para(f"{i}. {text(a.description[:1].upper() + a.description[1:])}.",
                       "conclusion") for i, a in enumerate(asks[:4], 1)]
    story += [box(lines, width, "#f0f6ff", ACCENT), Spacer(1, 7)]

    story.append(para("The usage behind it: expected list spend by contract year", "h2"))
    cur, opt = plan.usage.current.mean(axis=0), plan.usage.optimized.mean(axis=0)
    rows = [[f"year {y + 1}", usd(float(cur[y])), usd(float(opt[y]))]
            for y in range(c.years)]
    story.append(table(["contract year", "as we run today", "with our optimization plan"],
                       rows, width * 0.7, [1, 1, 1], right={1, 2}))
    first = narrative.land_first(plan)
    a = plan.projection.attribution
    share = a.total_saving / a.current_total if a.current_total else 0.0
    story.append(para(
        f"Our optimization plan moves work nobody waits on to the Batch API, caches shared "
        f"prompt prefixes and routes work to the lightest model that clears the bar: over the "
        f"{len(plan.projection.months)}-month horizon it takes list spend from "
        f"{usd(a.current_total)} to {usd(a.optimized_total)} ({pct(share)} "
        f"less). The commitment is sized on that plan"
        + (f", led by {text(narrative.join_names(first.names))}" if first.names else "")
        + ". Its timeline follows.", "body"))
    months = np.asarray([w.lands_month for w in sc.workloads])
    story.append(para(f"Landing: the optimizations land from month {int(months.min())} to "
                      f"month {int(max(w.lands_month + w.ramp_months for w in sc.workloads))} "
                      "of the contract.", "note"))
    return story


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
    story.append(table(["workload", "today", "planned", "starts in month", "in place by month"],
                       rows, width, [0.75, 1, 1, None, None], right={3, 4}))
    return story
