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
        f"  levers' saving  {usd(cur - opt):>14}   ({pct((cur - opt) / cur if cur else 0, 1)})",
        f"  (at list over the {n}-month horizon, in closed form; `plan`'s bridge quotes the "
        "same levers as a simulated mean over the contract term: over the same months they "
        "agree within Monte Carlo error)",
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
    from forecast import narrative, precision_text
    from forecast.formatting import pct, table, usd
    from forecast.types import CommitmentKind

    rec = plan.recommendation
    sc = plan.scenario
    contract = sc.contract
    r = rec.recommended
    d = plan.decision
    out = [narrative.decision_line(plan),
           f"  {d.reason}" if d is not None else "",
           f"  {narrative.decision_figures(plan)}" if d is not None else "",
           "",
           f"{sc.name}: {contract.years}-year contract from {sc.start}, {plan.n_paths:,} paths, "
           f"seed {plan.seed}, price book {plan.book.id}",
           ""]
    if d is not None and d.budget:
        out += ["Budget per contract year (expected cash cost)",
                table(narrative.budget_rows(plan), narrative.budget_header(plan),
                      right={1, 2, 3, 4}), ""]
    timing = narrative.when_to_sign_rows(plan)
    if timing:
        w = d.timing
        out += [f"When to sign ({narrative.offer_words(w.offer)}; expected over a common "
                f"{w.window_months}-month window on {w.payg_costs.size:,} paths, months "
                "outside the contract at pay as you go)",
                table(timing, narrative.WHEN_TO_SIGN_HEADER, right={1, 2, 3, 4})]
        out += [f"  {note}" for note in w.notes]
        out.append("")
    if plan.position is not None:
        out += [*_position_text(plan), ""]
    out += [
        f"Recommended under the contract's terms  {narrative.with_tier(r, contract)}  "
        f"[{narrative.colour_text(r, rec.appetite).upper()}]",
        f"  {narrative.why_recommended(plan)}",
    ]
    for note in (narrative.tier_edge_note(plan), narrative.ramp_note(plan)):
        if note:
            out.append(f"  {note}")
    span = f"{d.window_months}-month window" if d is not None and d.window_months \
        else f"{contract.years}-year term"
    out += ["", f"Savings bridge of the decision, expected over the {span}"]
    for sign, words, amount in narrative.decision_bridge_rows(plan):
        shown = usd(-amount if sign == "-" else amount)
        out.append(f"  {sign or ' '} {words:<58} {shown:>14}")
    saving = plan.saving_dict()
    out.append(f"  {saving['label']}: {usd(saving['vs_today'])} (vs pay as you go: "
               f"{usd(saving['vs_payg'])})")
    out.append(f"  {precision_text.precision_line(plan)}")
    out += [f"  {line}" for line in precision_text.noise_lines(plan)]
    out += ["", "Optimize, then commit"]
    out += [f"  {i}. {line.plain}" for i, line in enumerate(narrative.conclusion(plan), 1)]
    out += ["", "Other commitments (money over the term)"]
    safe = [rec.safe_from_stranding] if rec.safe_from_stranding is not None else []
    others = [rec.risk_neutral, rec.risk_bounded, rec.ramp, *safe, rec.unoptimized,
              *([rec.run_rate] if rec.run_rate is not None else []), *plan.named]
    rows = [[o.label, narrative.with_tier(o, contract), usd(o.expected_cost),
             usd(o.saving_vs_payg), pct(o.shortfall_probability), usd(o.extra_cost_p90),
             pct(o.stranded_share), narrative.colour_text(o, rec.appetite)] for o in others]
    out.append(table(rows, ["", "commitment", "expected cost", "vs pay as you go",
                            "shortfall", "extra cost P90", "stranded", "colour"],
                     right={2, 3, 4, 5, 6}))
    out += ["", "Commitment options (money over the whole term)"]
    rows = []
    for c in plan.candidates:
        label = "" if c.kind == CommitmentKind.GRID else c.label
        rows.append([label, narrative.amount_text(c), "/".join(pct(d) for d in c.discount)
                     if c.is_ramp else pct(c.discount[0]),
                     usd(c.expected_cost), usd(c.cost_p10), usd(c.cost_p90),
                     pct(c.shortfall_probability), usd(c.extra_cost_p90),
                     usd(c.cvar90_extra_cost), usd(c.expected_unused),
                     usd(c.stranded_savings), c.colour.value])
    out.append(table(rows, ["", "annual commit", "disc.", "expected cost", "P10", "P90",
                            "shortfall", "extra P90", "extra CVaR90", "unused", "stranded",
                            "colour"],
                     right={1, 2, 3, 4, 5, 6, 7, 8, 9, 10}))
    if plan.not_options:
        out.append(plan.not_options)
    out += ["", "Flags"]
    for f in plan.flags:
        out.append(f"  [{f.level.value.upper():5s}] {f.kind}: {f.message}")
    if plan.sensitivity:
        out += ["", "Sensitivity: recommended annual commitment (base "
                f"{usd(plan.sensitivity[0].recommended_base)}) at each assumption's low / "
                "high; the risk-bounded one (it moves continuously) beside it"]
        rows = [[r.assumption, f"{r.low_label}: {usd(r.recommended_low)}",
                 f"{r.high_label}: {usd(r.recommended_high)}", usd(r.recommended_swing),
                 f"{usd(r.low)} / {usd(r.high)}"] for r in plan.sensitivity]
        out.append(table(rows, ["assumption", "low", "high", "swing",
                                "risk-bounded low / high"], right={3, 4}))
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
                     pct(o.result.shortfall_probability), usd(o.result.extra_cost_p90),
                     usd(o.result.expected_unused), usd(o.result.stranded_savings),
                     str(narrative.offer_colour(o)), o.dominated_by or ""])
    out.append(table(rows, ["#", "offer", "commitment", "expected cost", "vs pay as you go",
                            "shortfall", "extra cost P90", "unused", "stranded", "colour",
                            "dominated by"],
                     right={0, 3, 4, 5, 6, 7, 8}))
    worth = narrative.material_asks(plan)
    if worth:
        out += ["", "The asks package: each ask's marginal value in it (same paths)"]
        rows = [[a.offer, a.description, usd(a.expected_value),
                 pct(a.shortfall_probability_after)] for a in worth]
        out.append(table(rows, ["offer", "ask", "marginal value", "shortfall after alone"],
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
            f"{b.label}: {'none' if b.discount is None else pct(b.discount, 1)}"
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
