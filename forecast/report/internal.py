"""The internal copy of the negotiation PDF, page by page: the summary with the bridge and
the negotiation box, offers, options on the table, forecast, commitment options, savings
(also in the vendor's copy) and sensitivity; the appendix is :mod:`forecast.report.appendix`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from forecast.formatting import pct, rounded_shares, usd
from forecast.types import LEVERS, CommitmentKind, FlagKind, Overage
from forecast.typeset import (
    ACCENT,
    BODY,
    INK,
    MUTED,
    NAME_LIMIT,
    RULE,
    SHADE,
    box,
    chart_drawing,
    chip,
    para,
    table,
    text,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from forecast import Flag, Plan
    from forecast.recommendation import CommitmentResult


def _amount(result: CommitmentResult) -> str:
    """Annual amount, or one amount per year for a ramp."""
    if result.is_ramp:
        return " / ".join(usd(c) for c in result.per_year)
    return usd(result.annual_commit)


def _discount(result: CommitmentResult) -> str:
    if len(set(result.discount.tolist())) > 1:
        return " / ".join(pct(d) for d in result.discount)
    return pct(float(result.discount[0]))


# --------------------------------------------------------------------------- pages


def conclusion(plan: Plan) -> list[str]:
    """The three-line conclusion (:func:`forecast.narrative.conclusion`) as paragraph
    markup: the lead of each line in bold, the text escaped."""
    from forecast.narrative import conclusion as lines

    return [f"<b>{text(line.lead)}</b> {text(line.body)}" for line in lines(plan)]


def _lines(values: Sequence[str]) -> str:
    """One value per line in a table cell (a ramp's years)."""
    return "\n".join(values)


def _amount_cell(result: CommitmentResult) -> str:
    return _lines([usd(c) for c in result.per_year]) if result.is_ramp \
        else usd(result.annual_commit)


def _discount_cell(result: CommitmentResult) -> str:
    if len(set(result.discount.tolist())) > 1:
        return _lines([pct(d) for d in result.discount])
    return pct(float(result.discount[0]))


def _summary(plan: Plan, generated: dt.date, width: float) -> list[Flowable]:
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    from forecast import narrative

    sc, rec, book = plan.scenario, plan.recommendation, plan.book
    r = rec.recommended
    c = sc.contract
    story: list[Flowable] = [
        para(text(sc.name, NAME_LIMIT), "title"),
        para(f"Commitment plan · prepared {generated.isoformat()} · price book "
           f"{text(book.id)} (effective {book.effective_date.isoformat()}) · {c.years}-year "
           f"contract from {sc.start} · {plan.n_paths:,} simulated paths, seed {plan.seed}",
           "subtitle"),
    ]
    d = plan.decision
    if d is None:
        # The ramp, when it beats flat, is in the conclusion's second line below.
        notes = [narrative.why_recommended(plan)]
        notes += [n for n in (narrative.tier_edge_note(plan),) if n]
        story.append(box([
            para("RECOMMENDED COMMITMENT", "label"),
            para(text(narrative.with_tier(r, c)), "headline"),
            *(para(text(n), "body") for n in notes),
        ], width, "#f0f6ff", ACCENT))
    else:
        story.append(box([
            para("THE DECISION", "label"),
            para(text(narrative.decision_headline(plan)), "headline"),
            para("<b>" + text(narrative.decision_line(plan).removeprefix("DECISION: ")[:1]
                              .upper() + narrative.decision_line(plan)
                              .removeprefix("DECISION: ")[1:]) + ".</b> " + text(d.reason),
                 "body"),
        ], width, "#f0f6ff", ACCENT))
    story.append(Spacer(1, 5))
    if plan.position is not None:
        story.append(_negotiation_box(plan, width))
        story.append(Spacer(1, 5))

    saving = plan.saving_dict()
    if d is None:
        span = f"{c.years}-YEAR TERM"
        tiles = [
            (f"EXPECTED COST, {span}", usd(r.expected_cost),
             f"P10 {usd(r.cost_p10)} · P90 {usd(r.cost_p90)}"),
            (saving["label"].upper(), usd(saving["vs_today"]),
             f"{usd(saving['vs_payg'])} of it from committing, the rest from the levers"),
            ("SHORTFALL PROBABILITY", pct(r.shortfall_probability),
             f"chance some year's usage falls below the commitment (appetite "
             f"{pct(rec.appetite)})"),
            ("RISK COLOUR", str(r.colour).upper(),
             "; ".join(narrative.reason_text(x, rec.appetite) for x in r.reasons)
             or "no stranding, shortfall or discount risk"),
        ]
    else:
        span = f"{d.window_months}-MONTH WINDOW" if d.window_months else f"{c.years}-YEAR TERM"
        tiles = [
            (f"EXPECTED COST, {span}", usd(d.expected_cost),
             f"pay as you go {usd(d.bridge.payg)}"),
            (saving["label"].upper(), usd(saving["vs_today"]),
             f"{usd(saving['vs_payg'])} of it from committing, the rest from the levers"),
            ("SHORTFALL PROBABILITY", pct(d.shortfall_probability),
             f"chance some year's usage falls below the commitment (appetite "
             f"{pct(rec.appetite)})"),
            ("IN A BAD CASE (P90)", usd(d.extra_cost_p90),
             f"cost minus pay as you go on the same path; worst 10%: "
             f"{usd(d.cvar90_extra_cost)}"),
        ]
    cells = [[para(label, "label"), para(value, "figure"), para(text(note), "tile_note")]
             for label, value, note in tiles]
    tile_table = Table([cells], colWidths=[w * width for w in (0.27, 0.29, 0.24, 0.20)],
                       hAlign="LEFT")
    tile_table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), BODY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEAFTER", (0, 0), (-2, -1), 0.5, colors.HexColor(RULE)),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    story += [tile_table, Spacer(1, 7)]

    where = "the decision" if d is not None else "the recommendation"
    over = span.lower()
    story.append(para(f"The savings bridge of {where}: where the {usd(saving['vs_today'])} "
                      f"comes from (expected over the {over})", "h2"))
    rows = [[f"{sign} {words}".strip(), usd(-amount if sign == "-" else amount)]
            for sign, words, amount in narrative.decision_bridge_rows(plan)]
    story.append(table(["", "USD"], rows, width * 0.62, [1, None], right={1},
                       highlight=[len(rows) - 1]))
    story.append(Spacer(1, 7))

    story.append(box([para("OPTIMIZE, THEN COMMIT", "label")]
                      + [para(f"{i}. {line}", "conclusion")
                         for i, line in enumerate(conclusion(plan), 1)],
                      width, SHADE, INK))

    return story


def _negotiation_box(plan: Plan, width: float) -> Flowable:
    """The position in a box: target, walk-away, opening ask, the three most valuable asks,
    each with its dollar value."""
    from reportlab.platypus import Table, TableStyle

    from forecast import narrative

    rows = [[para(f"<b>{text(heading)}</b>", "body"),
             [para(text(line), "body") for line in lines]]
            for heading, lines in narrative.position_items(plan)]
    grid = Table(rows, colWidths=[0.16 * width, 0.80 * width], hAlign="LEFT")
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), BODY),
                              ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                              ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    return box([para("THE NEGOTIATION · INTERNAL: NOT FOR THE VENDOR", "label"), grid], width,
               "#fff8ec", "#b26a00")


def _offers(plan: Plan, width: float) -> list[Flowable]:
    """The offers compared on the same paths, ranked."""
    from forecast import narrative

    position = plan.position
    if position is None:
        return []
    story: list[Flowable] = [para("The offers, compared on the same simulated paths", "h1")]
    rows, chips = [], {}
    for i, o in enumerate(position.offers):
        colour = narrative.offer_colour(o)
        rows.append([str(o.rank), o.name, _amount_cell(o.result), _discount_cell(o.result),
                     usd(o.result.expected_cost), usd(o.result.extra_cost_p90),
                     usd(o.saving_vs_payg), pct(o.result.shortfall_probability),
                     usd(o.result.expected_unused), usd(o.result.stranded_savings),
                     o.dominated_by or "", chip(colour)])
        chips[(11, i)] = str(colour)
    story.append(table(
        ["#", "offer", "commitment", "discount", "expected cost", "extra cost P90",
         "vs pay as you go", "shortfall", "unused", "stranded", "dominated by", "colour"],
        rows, width, [None, 1, None, None, None, None, None, None, None, None, 0.7, 0.5],
        right={0, 2, 3, 4, 5, 6, 7, 8, 9}, chips=chips,
        highlight=[i for i, o in enumerate(position.offers) if o is position.target]))
    story.append(para(
        "Every offer is evaluated on the same paths, so the differences are the terms', not "
        "noise. An offer that leaves the amount to you is shown at its best flat commitment "
        "within your appetite. Dominated by: another offer costs no more on every path and "
        "less in expectation. Vs pay as you go: the expected saving against buying the "
        "optimized usage at list with no commitment, your alternative.", "note"))
    worth = narrative.material_asks(plan)
    if worth:
        story.append(para("The asks package: each ask's marginal value in the package", "h2"))
        story.append(table(["offer", "ask", "marginal value", "shortfall after alone"],
                           [[a.offer, a.description, usd(a.expected_value),
                             pct(a.shortfall_probability_after)] for a in worth],
                           width, [0.5, 1, None, None], right={2, 3}))
    curve = sorted((*position.named_break_even, *position.break_even),
                   key=lambda b: b.annual_commit)
    story.append(para("Break-even discount: the least flat discount worth accepting", "h2"))
    story.append(table(["annual commitment", "break-even discount"],
                       [[b.label, "none" if b.discount is None
                         else pct(b.discount, 1)] for b in curve],
                       width * 0.45, [1, 1], right={0, 1}))
    story.append(para("At or above it, committing that amount costs no more than paying as you "
                      "go in expectation; none: no discount makes it pay (usage is unlikely to "
                      "reach the commitment).", "note"))
    return story


def _when_to_sign(plan: Plan, width: float) -> list[Flowable]:
    """Signing now against waiting, over one window on the same paths."""
    from forecast import narrative

    rows = narrative.when_to_sign_rows(plan)
    d = plan.decision
    if not rows or d is None or d.timing is None:
        return []
    w = d.timing
    story: list[Flowable] = [para("When to sign, and the budget", "h1")]
    if d.budget:
        story.append(para("Budget per contract year of the decision: expected cash cost", "h2"))
        story.append(table(narrative.budget_header(plan), narrative.budget_rows(plan),
                           width, [0.6, 1, 1.4, 1, 1.2], right={1, 2, 3, 4}))
    story += [para("When to sign", "h2"), para(
        f"Signing now against paying as you go for a few months and signing then, under "
        f"{text(narrative.offer_words(w.offer))}, each followed by the full term: expected "
        f"over a common {w.window_months}-month window on {w.payg_costs.size:,} paths, months "
        "outside the contract at pay as you go. A commitment signed later is sized, path by "
        "path, on the usage observed by then. The usage shift is what waiting gains on the "
        "expected path alone (the window's months at list move to its start); waiting is "
        "advised only when it is worth materially more than that.", "body")]
    story.append(table(narrative.WHEN_TO_SIGN_HEADER, rows, width,
                       [1.2, 1, 1, 0.7, 1, 0.7], right={1, 2, 3, 4}))
    for note in w.notes:
        story.append(para(text(note[:1].upper() + note[1:]) + ".", "note"))
    return story


def _options_on_the_table(plan: Plan, width: float) -> list[Flowable]:
    """The commitments a buyer weighs, side by side, each with its colour."""
    rec = plan.recommendation
    r = rec.recommended
    c = plan.scenario.contract
    story: list[Flowable] = []
    story.append(para("The options on the table (money over the whole term)", "h1"))
    options: list[CommitmentResult] = [
        r, rec.risk_neutral, rec.risk_bounded, rec.ramp, rec.unoptimized,
        *([rec.run_rate] if rec.run_rate is not None else []), *plan.named]
    what = {
        CommitmentKind.RECOMMENDED: "lowest expected cost within the appetite",
        CommitmentKind.RISK_NEUTRAL: "lowest expected cost, whatever the risk",
        CommitmentKind.RISK_BOUNDED: f"the most within a {pct(rec.appetite)} shortfall chance",
        CommitmentKind.RAMP: "per-year amounts chosen jointly"
        + (" (beats flat: usage grows)" if rec.ramp_advised else ""),
        CommitmentKind.UNOPTIMIZED_FORECAST: "each year's expected spend on today's path",
        CommitmentKind.RUN_RATE: "today's monthly bill, a year of it, flat",
        CommitmentKind.SCENARIO: "the amount named in the scenario",
        CommitmentKind.NAMED: "asked for on the command line",
    }
    rows, chips = [], {}
    for i, res in enumerate(options):
        label = res.label[:1].upper() + res.label[1:]
        rows.append([para(f"<b>{text(label)}</b> "
                        f'<font size="6.6" color="{MUTED}">{text(what[res.kind])}</font>',
                          "cell"),
                     _amount_cell(res), _discount_cell(res), usd(res.expected_cost),
                     usd(res.saving_vs_today), pct(res.shortfall_probability),
                     usd(res.stranded_savings), chip(res.colour)])
        chips[(7, i)] = str(res.colour)
    story.append(table(
        ["option", "annual commitment", "discount", "expected cost", "saving vs today",
         "shortfall", "stranded", "colour"],
        rows, width, [1, None, None, None, None, None, None, 0.16],
        right={1, 2, 3, 4, 5, 6}, chips=chips, highlight=[0]))
    story.append(para(
        "Colour: the worst of the commitment's risks. Stranded savings (optimization savings "
        "that no longer lower the bill because usage falls under the commitment floor) amber "
        f"above {pct(c.stranded_thresholds.amber)} of the gross savings, red above "
        f"{pct(c.stranded_thresholds.red)}; shortfall probability amber above the "
        f"{pct(rec.appetite)} appetite, red above {pct(c.risk_appetite.red_line)}; a "
        "commitment that earns no discount is red (pay as you go plus risk).", "note"))
    story.append(para("Stranded savings and walk-back exposure", "h2"))
    story.append(_flag_table(_summary_flags(plan), width))
    return story


def _summary_flags(plan: Plan) -> list[Flag]:
    """Stranded savings and walk-back; a named commitment's shortfall flag goes with the
    options (its probability is in the summary's options table)."""
    return [f for f in plan.flags if f.kind in (FlagKind.STRANDED_SAVINGS, FlagKind.WALK_BACK)]


def _flag_table(flags: Sequence[Flag], width: float) -> Flowable:
    rows, chips = [], {}
    for f in flags:
        rows.append([chip(f.level), _flag_text(f)])
        chips[(0, len(rows) - 1)] = str(f.level)
    return table(["flag", "finding"], rows, width, [0.085, 0.915], chips=chips)


def _flag_text(flag: Flag) -> Flowable:
    if flag.kind == FlagKind.STRANDED_SAVINGS:
        head = (f"Stranded savings: {usd(flag.amount)}, {pct(flag.share or 0.0)} of the "
                "gross savings.")
    elif flag.kind == FlagKind.WALK_BACK:
        head = f"Walk-back exposure: {usd(flag.amount)} expected over the term."
    elif flag.kind == FlagKind.SHORTFALL:
        head = f"Shortfall: a {pct(flag.share or 0.0)} chance."
    else:  # the plan's warnings (waiting test, caching break-even) say it all themselves
        return para(text(flag.message), "cell")
    return para(f"<b>{head}</b> {text(flag.message)}", "cell")


def _forecast(plan: Plan, width: float) -> list[Flowable]:
    import numpy as np

    from forecast.charts import fan_chart

    r = plan.recommendation.recommended
    story: list[Flowable] = [
        para("Forecast: monthly spend, today's path against the optimized one", "h1"),
        chart_drawing(fan_chart(plan), width),
        para(f"List spend per month over {plan.n_paths:,} simulated paths: the band spans P10 to "
           "P90, the line is the median. Grey is today's path (no optimization), blue the "
           "optimized one, each workload's optimizations landing in their month and ramping "
           "in (later if they slip, partly if they under-deliver). The red dashed line is the "
           "list spend the recommended commitment covers each month (annual commitment / "
           "(1 - discount) / 12): above it is overage, below it the commitment is paid "
           "anyway.", "note"),
        para("By contract year (list prices; the commitment draws down at the discounted "
           "rate)", "h2"),
    ]
    cur, opt = plan.yearly_current, plan.yearly_optimized
    p10, p90 = np.quantile(opt, 0.1, axis=0), np.quantile(opt, 0.9, axis=0)
    rows = []
    for y in range(plan.scenario.contract.years):
        commit, d = float(r.per_year[y]), float(r.discount[y])
        rows.append([f"year {y + 1}", usd(float(cur[:, y].mean())),
                     usd(float(opt[:, y].mean())), usd(float(p10[y])), usd(float(p90[y])),
                     usd(commit), pct(d), usd(commit / (1.0 - d))])
    story.append(table(
        ["contract year", "today's path (mean)", "optimized (mean)", "optimized P10",
         "optimized P90", "recommended commitment", "discount", "list usage it covers"],
        rows, width, [1, 1, 1, 1, 1, 1, 0.7, 1], right=range(1, 8)))
    story.append(para("List usage it covers: the commitment divided by one minus the discount, "
                    "the list spend that draws it down in full.", "note"))
    return story


def _options(plan: Plan, width: float) -> list[Flowable]:
    from forecast.charts import cost_curve

    rec = plan.recommendation
    c = plan.scenario.contract
    overage = "the discounted rate" if c.overage is Overage.DISCOUNTED else "list price"
    story: list[Flowable] = [
        para("Commitment options", "h1"),
        chart_drawing(cost_curve(plan, height=220), width * 0.92),
        para("Top: expected cost over the term for each flat annual commitment; the dotted "
           "verticals are the discount tiers' thresholds. Bottom: the chance that some "
           f"contract year's usage falls short of the commitment (dashed: the "
           f"{pct(rec.appetite)} appetite).", "note"),
        para(f"Candidate commitments (money over the {c.years}-year term; overage billed at "
           f"{overage})", "h2"),
    ]
    rows, chips, highlight = [], {}, []
    for i, cand in enumerate(plan.candidates):
        rows.append(["" if cand.kind == CommitmentKind.GRID else cand.label,
                     _amount_cell(cand),
                     _discount_cell(cand), usd(cand.expected_cost), usd(cand.cost_p10),
                     usd(cand.cost_p90), pct(cand.shortfall_probability),
                     usd(cand.expected_unused), usd(cand.expected_overage),
                     usd(cand.stranded_savings), chip(cand.colour)])
        chips[(10, i)] = str(cand.colour)
        if cand is rec.recommended:
            highlight.append(i)
    story.append(table(
        ["", "annual commitment", "discount", "expected cost", "P10", "P90", "shortfall",
         "unused", "overage", "stranded", "colour"],
        rows, width, [1, *[None] * 9, 0.55], right=range(1, 10), chips=chips,
        highlight=highlight))
    story.append(para(
        "P10 / P90: the cost over the term on the luckiest and the unluckiest tenth of "
        "paths. Shortfall: the chance that some year's usage falls below the commitment. "
        "Unused: expected commitment paid but not used. Overage: expected spend beyond the "
        "commitment. Stranded: expected optimization savings lost under the floor; the flag "
        "grades them as a share of the gross savings.", "note"))
    if plan.not_options:
        story.append(para(text(plan.not_options), "note"))
    shortfalls = [f for f in plan.flags if f.kind in (FlagKind.SHORTFALL, FlagKind.NO_DISCOUNT)]
    if shortfalls:
        story.append(para("Shortfall risk of the commitments you named", "h2"))
        story.append(_flag_table(shortfalls, width))
    return story


def _savings(plan: Plan, width: float, checks: bool = True) -> list[Flowable]:
    from reportlab.platypus import KeepTogether

    from forecast.charts import shapley_chart, waterfall_chart

    proj = plan.projection
    a = proj.attribution
    total = a.total_saving
    n = len(proj.months)
    story: list[Flowable] = [
        para("Where the savings come from", "h1"),
        para(f"Over the {n}-month horizon the plan takes spend at list from "
           f"{usd(a.current_total)} to {usd(a.optimized_total)}: {usd(total)} saved "
           f"({pct(total / a.current_total if a.current_total else 0.0)}). The levers "
           "multiply, so a sequential waterfall depends on its order; the Shapley split "
           "averages each lever over all six orders and is order-free.", "body"),
        chart_drawing(shapley_chart(proj, width=560, height=100), width * 0.9),
        chart_drawing(waterfall_chart(proj, width=560, height=200), width * 0.9),
    ]
    steps = dict(a.waterfall)
    shares = rounded_shares([a.shapley[lv] / total if total else 0.0 for lv in LEVERS], 1)
    rows = [[str(lv), usd(a.shapley[lv]), pct(share, 1), usd(steps[lv])]
            for lv, share in zip(LEVERS, shares, strict=True)]
    story.append(table(["lever", "Shapley saving", "share", "waterfall step"], rows,
                        width * 0.5, [1, None, None, None], right={1, 2, 3}))
    current, optimized = proj.current.sum(axis=0), proj.optimized.sum(axis=0)
    rows = []
    for i in sorted(range(len(proj.workloads)), key=lambda i: a.migration_order[i]):
        w = proj.waiting[i]
        rows.append([str(a.migration_order[i]), proj.workloads[i], str(w.waiting),
                     pct(w.batch_eligible_share), usd(current[i]), usd(optimized[i]),
                     usd(current[i] - optimized[i]), usd(a.saving_per_month[i])])
    # Heading, table and note move to the next page together rather than split.
    story.append(KeepTogether([
        para("Workloads in migration order (largest monthly saving first)", "h2"),
        table(["#", "workload", "waiting", "batchable", f"today's path, {n} months",
                f"optimized, {n} months", "saving", "saving a month"],
               rows, width, [None, 1, None, None, None, None, None, None],
               right={0, 3, 4, 5, 6, 7}),
        para("Waiting: interactive (someone waits on every result: stays real time), async "
           "(nobody waits: batch candidate) or gray (an acceptable latency and an urgent "
           "share that must stay real time). Batchable: the share that passes this waiting "
           "test. Saving a month: at today's volume once the workload's plan has fully "
           "landed; it sets the migration order.", "note"),
    ]))
    found = [f for f in plan.flags
             if f.kind in (FlagKind.WAITING_TEST, FlagKind.CACHING_BREAK_EVEN,
                           FlagKind.MODEL_RETIRES)]
    if checks and found:
        story.append(para("Checks on the plan", "h2"))
        story.append(_flag_table(found, width))
    return story


def _sensitivity(plan: Plan, width: float) -> list[Flowable]:
    from forecast.charts import tornado_chart, tornado_moves_recommended
    from forecast.sensitivity import SENSITIVITY_PATHS

    story: list[Flowable] = [para("Sensitivity: what moves the commitment most", "h1")]
    rows_in = plan.sensitivity
    if not rows_in:
        story.append(para("The sensitivity tornado was not computed for this export. Export "
                        "again without --no-sensitivity to add it.", "body"))
        return story
    paths = min(SENSITIVITY_PATHS, plan.n_paths)
    story += [
        chart_drawing(tornado_chart(rows_in), width * 0.92),
        para("Each assumption set to its low and its high value, everything else as in the "
           f"scenario, re-simulated on {paths:,} paths with the same seed (common random "
           "numbers: the difference is the assumption's effect, not noise). Measured on the "
           "recommended annual commitment, the headline's; it often sits on a tier edge and "
           "moves in steps, so the risk-bounded one, which moves continuously, is beside it "
           "(last column).", "note"),
    ]
    if not tornado_moves_recommended(rows_in):
        story.append(para(
            f"No assumption moves the recommended commitment "
            f"({usd(rows_in[0].recommended_base)} a year): it holds at each one's low and high "
            "value. The chart draws the risk-bounded commitment instead, the largest within "
            "your appetite, to show how much room each assumption leaves.", "body"))
    rows = [[r.assumption, r.low_label, usd(r.recommended_low), r.high_label,
             usd(r.recommended_high), usd(r.recommended_swing),
             f"{usd(r.low)} / {usd(r.high)}"] for r in rows_in]
    story.append(table(
        ["assumption", "low", "recommended at low", "high", "recommended at high",
         "swing", "risk-bounded at low / high"],
        rows, width, [1, 0.8, None, 0.8, None, None, None], right={2, 4, 5, 6}))
    story.append(para(f"Base: recommended {usd(rows_in[0].recommended_base)} a year, "
                    f"risk-bounded {usd(rows_in[0].base)} a year.", "note"))
    return story
