"""The command line's text: ``project``, ``plan`` (with the buyer's position) and ``track`` in
words and tables, every figure the library's.
"""

from __future__ import annotations

from typing import Any


def _project_text(projection: Any, book: Any) -> str:
    from forecast.formatting import pct, rounded_shares, table, usd
    from forecast.types import LEVERS

    attribution = projection.attribution
    cur, opt = attribution.current_total, attribution.optimized_total
    n = len(projection.months)
    out = [
        f"{projection.scenario_name}: {n} months {projection.months[0]} to "
        f"{projection.months[-1]}, price book {book.id} ({book.effective_date})",
        "",
        f"  current path    {usd(cur):>14}   ({usd(cur / n)}/month on average)",
        f"  optimized path  {usd(opt):>14}   ({usd(opt / n)}/month on average)",
        f"  saving          {usd(cur - opt):>14}   ({pct((cur - opt) / cur if cur else 0, 1)})",
        "",
        "Saving by lever (Shapley shares: levers multiply, so each is averaged over the 6 "
        "orders)",
    ]
    steps = dict(attribution.waterfall)
    total = attribution.total_saving
    shares = rounded_shares([attribution.shapley[lv] / total if total else 0.0
                             for lv in LEVERS], 1)
    rows = [[str(lv), usd(attribution.shapley[lv]), pct(share, 1), usd(steps[lv])]
            for lv, share in zip(LEVERS, shares, strict=True)]
    out.append(table(rows, ["lever", "shapley", "share", "waterfall (route, cache, batch)"],
                     right={1, 2, 3}))
    out += ["", "Workloads, in migration order (largest monthly saving first)"]
    order = sorted(range(len(projection.workloads)),
                   key=lambda i: attribution.migration_order[i])
    rows = []
    for i in order:
        wt = projection.waiting[i]
        rows.append([
            str(attribution.migration_order[i]), projection.workloads[i], str(wt.waiting),
            pct(wt.batch_eligible_share), usd(projection.current[:, i].sum()),
            usd(projection.optimized[:, i].sum()), usd(attribution.saving_per_month[i]),
        ])
    out.append(table(rows, ["#", "workload", "waiting", "batchable", "current",
                            "optimized", "saving/month"], right={0, 3, 4, 5, 6}))
    for w in projection.warnings:
        out.append(f"warning: {w}")
    return "\n".join(out)


def _plan_text(plan: Any) -> str:
    """The plan in words and tables: the answer, its bridge, then the detail."""
    from forecast import narrative
    from forecast.formatting import pct, table, usd
    from forecast.plan import SAVING_LABEL
    from forecast.types import CommitmentKind

    rec = plan.recommendation
    sc = plan.scenario
    contract = sc.contract
    r = rec.recommended
    out = [
        f"{sc.name}: {contract.years}-year contract from {sc.start}, {plan.n_paths:,} paths, "
        f"seed {plan.seed}, price book {plan.book.id}",
        "",
    ]
    if plan.position is not None:
        out += [*_position_text(plan), ""]
    out += [
        f"RECOMMENDED  {narrative.with_tier(r, contract)}  "
        f"[{narrative.colour_text(r, rec.appetite).upper()}]",
        f"  {narrative.why_recommended(plan)}",
    ]
    for note in (narrative.tier_edge_note(plan), narrative.ramp_note(plan)):
        if note:
            out.append(f"  {note}")
    out += ["", f"Savings bridge, expected over the {contract.years}-year term"]
    for sign, words, amount in narrative.bridge_rows(r):
        shown = usd(-amount if sign == "-" else amount)
        out.append(f"  {sign or ' '} {words:<58} {shown:>14}")
    out.append(f"  {SAVING_LABEL}: {usd(r.saving_vs_today)} (vs pay as you go: "
               f"{usd(r.saving_vs_payg)})")
    out.append(f"  {narrative.precision_line(plan)}")
    out += [f"  {line}" for line in narrative.noise_lines(plan)]
    out += ["", "Optimize, then commit"]
    out += [f"  {i}. {line.plain}" for i, line in enumerate(narrative.conclusion(plan), 1)]
    out += ["", "Other commitments (money over the term)"]
    others = [rec.risk_neutral, rec.risk_bounded, rec.ramp, rec.safe_commit, rec.unoptimized,
              *([rec.run_rate] if rec.run_rate is not None else []), *plan.named]
    rows = [[o.label, narrative.with_tier(o, contract), usd(o.expected_cost),
             usd(o.saving_vs_today), pct(o.shortfall_probability), pct(o.stranded_share),
             narrative.colour_text(o, rec.appetite)] for o in others]
    out.append(table(rows, ["", "commitment", "expected cost", "saving vs today",
                            "shortfall", "stranded", "colour"], right={2, 3, 4, 5}))
    out += ["", "Commitment options (money over the whole term)"]
    rows = []
    for c in plan.candidates:
        label = "" if c.kind == CommitmentKind.GRID else c.label
        rows.append([label, narrative.amount_text(c), "/".join(pct(d) for d in c.discount)
                     if c.is_ramp else pct(c.discount[0]),
                     usd(c.expected_cost), usd(c.cost_p10), usd(c.cost_p90),
                     pct(c.shortfall_probability), usd(c.expected_unused),
                     usd(c.stranded_savings), c.colour.value])
    out.append(table(rows, ["", "annual commit", "disc.", "expected cost", "P10", "P90",
                            "shortfall", "unused", "stranded", "colour"],
                     right={1, 2, 3, 4, 5, 6, 7, 8}))
    if plan.not_options:
        out.append(plan.not_options)
    out += ["", "Flags"]
    for f in plan.flags:
        out.append(f"  [{f.level.value.upper():5s}] {f.kind}: {f.message}")
    if plan.sensitivity:
        out += ["", "Sensitivity: risk-bounded annual commitment (base "
                f"{usd(plan.sensitivity[0].base)}) at each assumption's low / high"]
        rows = [[r.assumption, f"{r.low_label}: {usd(r.low)}", f"{r.high_label}: {usd(r.high)}",
                 usd(r.swing)] for r in plan.sensitivity]
        out.append(table(rows, ["assumption", "low", "high", "swing"], right={3}))
    return "\n".join(out)


def _position_text(plan: Any) -> list[str]:
    """The buyer's position, first: the alternative, the target, the walk-away, the asks."""
    from forecast import narrative
    from forecast.formatting import pct, table, usd

    position = plan.position
    out = ["POSITION (internal: the appetite, the walk-away and the alternative are yours alone)"]
    out += [f"  {line}" for line in narrative.position_lines(plan)]
    out += ["", "Offers, compared on the same paths (money over each offer's term)"]
    rows = []
    for o in position.offers:
        rows.append([str(o.rank), o.name, narrative.with_tier(o.result, o.terms),
                     usd(o.result.expected_cost), usd(o.saving_vs_payg),
                     pct(o.result.shortfall_probability), usd(o.result.stranded_savings),
                     str(narrative.offer_colour(o)), o.dominated_by or ""])
    out.append(table(rows, ["#", "offer", "commitment", "expected cost", "vs pay as you go",
                            "shortfall", "stranded", "colour", "dominated by"],
                     right={0, 3, 4, 5, 6}))
    worth = narrative.material_asks(plan)
    if worth:
        out += ["", "Asks, valued on the same paths against the offer as it stands"]
        rows = [[a.offer, a.description, usd(a.expected_value),
                 pct(a.shortfall_probability_after)] for a in worth]
        out.append(table(rows, ["offer", "ask", "expected value", "shortfall after"],
                         right={2, 3}))
    nothing = [a for a in position.asks if a not in worth]
    if nothing:
        out.append("Worth little or nothing on these paths: " + "; ".join(
            f"{a.description} ({a.offer})" for a in nothing) + ".")
    curve = sorted((*position.named_break_even, *position.break_even),
                   key=lambda b: b.annual_commit)
    if curve:
        out += ["", "Break-even discount: the least flat discount worth accepting per annual "
                "commitment (none: no discount makes it pay)"]
        out.append("  " + " · ".join(
            f"{usd(b.annual_commit)}: {'none' if b.discount is None else pct(b.discount, 1)}"
            for b in curve))
    return out


def tracking_text(tracking: Any) -> str:
    """``commitplan track`` in words and tables."""
    from forecast.formatting import pct, table, usd
    from forecast.tracking import mix_text

    t = tracking
    seen = sum(y.months_observed for y in t.years)
    out = [f"{t.scenario_name}: {len(t.years)}-year contract from {t.start}, as of {t.as_of} "
           f"({seen} month{'s' * (seen != 1)} of usage), {t.n_paths:,} paths, seed {t.seed}, "
           f"price book {t.price_book}", "",
           "Contract years: consumption at the discounted rate against the commitment"]
    rows = [[str(y.year), f"{y.first_month} to {y.last_month}", usd(y.committed),
             pct(y.discount), usd(y.consumed_to_date), usd(y.expected_at_year_end),
             usd(y.p10), usd(y.p90), pct(y.shortfall_probability), usd(y.expected_unused)]
            for y in t.years]
    out.append(table(rows, ["year", "months", "committed", "disc.", "consumed to date",
                            "expected at year end", "P10", "P90", "shortfall",
                            "expected unused"], right={2, 3, 4, 5, 6, 7, 8, 9}))
    out += ["", f"Workloads in {t.as_of} against the plan for that month (planned / observed)"]

    def both(planned: Any, observed: Any, show: Any) -> str:
        return f"{'-' if planned is None else show(planned)} / " \
               f"{'-' if observed is None else show(observed)}"

    rows = []
    for w in t.workloads:
        obs = w.observed
        rows.append([w.name, str(w.status),
                     both(w.planned.batch_share, obs and obs.batch_share, pct),
                     both(w.planned.cache_hit_rate, obs and obs.cache_hit_rate, pct),
                     both(w.planned.list_spend, obs and obs.list_spend, usd)])
    out.append(table(rows, ["workload", "status", "batch share", "cache hits",
                            "list spend"], right={2, 3, 4}))
    mixes = [(w.name, mix_text(w.planned.models), mix_text(w.observed.models))
             for w in t.workloads if w.observed is not None
             and mix_text(w.planned.models) != mix_text(w.observed.models)]
    for name, planned, observed in mixes:
        out.append(f"  {name}: models planned {planned}; observed {observed}")
    if t.warnings:
        out += ["", "Warnings"]
        out += [f"  {i}. {w.message}" for i, w in enumerate(t.warnings, 1)]
    return "\n".join(out)
