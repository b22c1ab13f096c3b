"""The negotiation PDF: one scenario's plan as the document a buyer takes to the table.

Pages, in order: the summary (the number, its risk, the stranded-savings flag, the walk-back
exposure and a three-line conclusion), the forecast, the commitment options, where the
savings come from, the sensitivity tornado and an assumptions appendix. A footer on every
page carries the scenario's name and ``page N of M``.

Every figure comes from a :class:`~forecast.plan.Plan` and every chart from
:mod:`forecast.charts` (the app's definitions). Fonts, escaping of user text, tables, vector
charts and the footer are in :mod:`forecast.typeset`; this module only says what goes on
each page. US Letter, portrait.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from forecast.formatting import pct, rounded_shares, usd
from forecast.types import LEVERS, Audience, CommitmentKind, FlagKind
from forecast.typeset import (
    ACCENT,
    BODY,
    INK,
    MARGIN,
    MUTED,
    NAME_LIMIT,
    RULE,
    SHADE,
    box,
    canvas_maker,
    chart_drawing,
    chip,
    no_orphan_headings,
    para,
    register_fonts,
    table,
    text,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable, SimpleDocTemplate

    from forecast.plan import Flag, Plan
    from forecast.recommendation import CommitmentResult
    from forecast.scenario import LeverSet, Workload
    from forecast.tracking import Tracking


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
                     usd(o.result.expected_cost), usd(o.result.cost_p10),
                     usd(o.result.cost_p90), usd(o.saving_vs_payg),
                     pct(o.result.shortfall_probability), usd(o.result.stranded_savings),
                     o.dominated_by or "", chip(colour)])
        chips[(11, i)] = str(colour)
    story.append(table(
        ["#", "offer", "commitment", "discount", "expected cost", "P10", "P90",
         "vs pay as you go", "shortfall", "stranded", "dominated by", "colour"],
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
        story.append(para("Every ask, valued against the offer as it stands", "h2"))
        story.append(table(["offer", "ask", "expected value", "shortfall after"],
                           [[a.offer, a.description, usd(a.expected_value),
                             pct(a.shortfall_probability_after)] for a in worth],
                           width, [0.5, 1, None, None], right={2, 3}))
    curve = sorted((*position.named_break_even, *position.break_even),
                   key=lambda b: b.annual_commit)
    story.append(para("Break-even discount: the least flat discount worth accepting", "h2"))
    story.append(table(["annual commitment", "break-even discount"],
                       [[usd(b.annual_commit), "none" if b.discount is None
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
    overage = "the discounted rate" if str(c.overage) == "discounted" else "list price"
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
             if f.kind in (FlagKind.WAITING_TEST, FlagKind.CACHING_BREAK_EVEN)]
    if checks and found:
        story.append(para("Checks on the plan", "h2"))
        story.append(_flag_table(found, width))
    return story


def _sensitivity(plan: Plan, width: float) -> list[Flowable]:
    from forecast.charts import tornado_chart
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
           "risk-bounded annual commitment, which moves continuously; the recommended one "
           "often sits on a tier edge and moves in steps (last column).", "note"),
    ]
    rows = [[r.assumption, r.low_label, usd(r.low), r.high_label, usd(r.high), usd(r.swing),
             f"{usd(r.recommended_low)} / {usd(r.recommended_high)}"] for r in rows_in]
    story.append(table(
        ["assumption", "low", "risk-bounded at low", "high", "risk-bounded at high",
         "swing", "recommended at low / high"],
        rows, width, [1, 0.8, None, 0.8, None, None, None], right={2, 4, 5, 6}))
    story.append(para(f"Base: risk-bounded {usd(rows_in[0].base)} a year, recommended "
                    f"{usd(rows_in[0].recommended_base)} a year.", "note"))
    return story


def _levers(levers: LeverSet) -> str:
    """Models on the first line; batch and caching on the second."""
    models = ", ".join(f"{m} {pct(s)}" for m, s in levers.models.items())
    parts = [f"batch {pct(levers.batch_share)}"]
    if str(levers.cache_ttl) != "none":
        hit = f"cache hits {pct(levers.cache_hit_rate)} ({levers.cache_ttl})"
        if levers.batch_cache_hit_rate is not None:
            hit += f", {pct(levers.batch_cache_hit_rate)} in batch"
        parts.append(hit)
    else:
        parts.append("no caching")
    return models + "\n" + "; ".join(parts)


def _volume(w: Workload) -> tuple[str, str]:
    t = w.token_counts
    tokens = f"{t.cacheable_prefix:,.0f} / {t.input:,.0f} / {t.output:,.0f}"
    if w.uses_monthly_tokens:
        return "token totals", tokens
    return f"{w.requests_per_month:,.0f}", tokens


def _waiting(w: Workload) -> str:
    out = str(w.waiting)
    if w.acceptable_latency_minutes is not None:
        out += f", {w.acceptable_latency_minutes:g} min"
    if w.urgent_share:
        out += f", {pct(w.urgent_share)} urgent"
    return out


def _appendix(plan: Plan, width: float, generated: dt.date, internal: bool = True
              ) -> list[Flowable]:
    sc = plan.scenario
    story: list[Flowable] = [para("Assumptions", "h1")]
    if sc.description:
        story.append(para(text(sc.description), "body"))

    if internal:
        story += _run_settings(plan, width, generated)
    story += _workload_tables(plan, width)
    return story


def _run_settings(plan: Plan, width: float, generated: dt.date) -> list[Flowable]:
    """The run, the contract terms and the uncertainty: the buyer's copy only."""
    from forecast.sensitivity import SENSITIVITY_PATHS

    sc, book = plan.scenario, plan.book
    c, unc = sc.contract, sc.uncertainty
    story: list[Flowable] = []
    story.append(para("Run, contract and uncertainty", "h2"))
    named = c.commitment_per_year()
    real, drift = unc.lever_realization, unc.token_drift
    sensitivity = (f"; sensitivity on {min(SENSITIVITY_PATHS, plan.n_paths):,} paths per run"
                   if plan.sensitivity else "; sensitivity not computed")
    settings = [
        ("scenario", sc.name),
        ("prepared", generated.isoformat()),
        ("horizon", f"{sc.horizon_months} months from {sc.start}"),
        ("simulation", f"{plan.n_paths:,} paths, seed {plan.seed}{sensitivity}"),
        ("price book", f"{book.id}, effective {book.effective_date.isoformat()}; source: "
                       f"{book.source}"),
        ("contract term", f"{c.years} year{'s' if c.years > 1 else ''}"),
        ("commitment in the scenario", " / ".join(usd(x) for x in named) + " a year"
         if named else "none named (recommendation only)"),
        ("discount tiers", "; ".join(f"{pct(t.discount)} from {usd(t.min_annual_commit)} a "
                                     "year" for t in c.discount_tiers) or "none"),
        ("overage", "billed at the discounted rate" if str(c.overage) == "discounted"
         else "billed at list price"),
        ("rollover of unused commitment", pct(c.rollover)),
        ("risk appetite", "shortfall probability at most "
                          f"{pct(c.risk_appetite.max_shortfall_probability)}"),
        ("stranded-savings flag", f"amber above {pct(c.stranded_thresholds.amber)}, red "
                                  f"above {pct(c.stranded_thresholds.red)} of gross savings"),
        ("shared growth volatility", f"{unc.shared_growth_volatility:g} (monthly log change "
                                     "common to every workload)"),
        ("lever realization", f"Beta, mean {real.mean:g}, sd {real.sd:g} (the fraction of "
                              "each planned change achieved)"),
        ("landing slip", f"Poisson, mean {unc.slip_months.mean:g} months"),
        ("walk-back probability", f"{unc.walk_back_probability:g} (a gray workload's batch "
                                  "move reverted at a random month)"),
        ("token drift", f"{drift.monthly:g} a month, volatility {drift.volatility:g}"),
    ]
    story.append(table(["setting", "value"], [list(s) for s in settings], width,
                        [None, 1]))
    return story


def _workload_tables(plan: Plan, width: float) -> list[Flowable]:
    """Every workload's inputs, levers and landing, and the prices of the models used."""
    from forecast.types import CacheTTL

    sc, book = plan.scenario, plan.book
    story: list[Flowable] = []
    story.append(para("Workloads: inputs", "h2"))
    rows = []
    for w in sc.workloads:
        volume, tokens = _volume(w)
        counted = f" ({w.token_counts.counted_on})" if w.token_counts.counted_on else ""
        rows.append([w.name, volume, tokens + counted, _waiting(w),
                     f"{pct(w.growth.monthly, 1)} ± {w.growth.volatility:g}",
                     f"{w.starts_month} to {w.ends_month or sc.horizon_months}",
                     pct(w.launch_probability)])
    story.append(table(
        ["workload", "requests a month", "tokens a request: prefix / input / output",
         "waiting test", "growth a month ± volatility", "months active", "launch chance"],
        rows, width, [1, None, 0.62, 0.5, None, None, None], right={1, 2, 4, 5, 6}))

    story.append(para("Workloads: levers and landing", "h2"))
    rows = []
    for w in sc.workloads:
        changed = w.optimized is not None and w.target != w.current
        rows.append([w.name, _levers(w.current),
                     _levers(w.target) if changed else "unchanged",
                     str(w.lands_month) if changed else "",
                     str(w.ramp_months) if changed else ""])
    story.append(table(["workload", "current", "optimized", "lands in month",
                         "ramp months"], rows, width, [0.75, 1, 1, None, None],
                        right={3, 4}))

    story.append(para(f"Price book {text(book.id)}: the models used, USD per million tokens",
                    "h2"))
    used: list[str] = []
    for w in sc.workloads:
        for m in (*w.current.models, *w.target.models):
            if m not in used:
                used.append(m)
    rows = []
    for m in used:
        price = book.models[m]
        rows.append([m, usd(price.input, 2), usd(price.output, 2),
                     usd(price.input * book.write_multiplier(m, CacheTTL.FIVE_MINUTES), 2),
                     usd(price.input * book.write_multiplier(m, CacheTTL.ONE_HOUR), 2),
                     usd(price.input * book.read_multiplier(m), 2),
                     f"{price.tokenizer_factor:g}"])
    story.append(table(["model", "input", "output", "cache write, 5 min",
                         "cache write, 1 hour", "cache read", "tokenizer factor"], rows,
                        width, [1, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45], right=range(1, 7)))
    story.append(para(f"Batch: {pct(book.batch_discount)} off every token class, stacking with "
                    "caching. Tokenizer factor: tokens counted for the same text against the "
                    "reference tokenizer; routing to a model with a higher factor scales the "
                    "workload's token volumes.", "note"))
    return story


# --------------------------------------------------------------------------- vendor copy
def _vendor_summary(plan: Plan, generated: dt.date, width: float) -> list[Flowable]:
    """The copy for the other side of the table: the ask and its evidence. Nothing of the
    buyer's appetite, walk-away, alternative, cost curve or risk tables."""
    import numpy as np
    from reportlab.platypus import Spacer

    from forecast import formatting, narrative

    sc, position = plan.scenario, plan.position
    c = sc.contract
    story: list[Flowable] = [
        para(text(sc.name), "title"),
        para(f"Commitment proposal · prepared {generated.isoformat()} · {c.years}-year "
             f"contract from {sc.start} · list prices of {text(plan.book.id)}", "subtitle"),
    ]
    d = plan.decision
    from forecast.negotiation import Clause

    # The proposal's own shape stands: a ramp ask only beside a flat proposal signed now.
    flat_now = d is not None and not d.is_ramp and d.sign_after_months == 0
    asks = [] if position is None or d is None or not d.signs else [
        a for a in position.asks if a.offer == d.offer and a.expected_value > 0.5
        and (flat_now or a.clause != Clause.RAMP)]
    lines = [para("OUR PROPOSAL", "label")]
    if d is not None and d.signs:
        years = len(d.per_year)
        amount = formatting.with_tier(d.per_year, d.discount, d.edges)
        term = f"for {years} year{'s' * (years > 1)}"
        if d.sign_after_months > 0:
            lines.append(para(f"Usage-based pricing for {d.sign_after_months} months while "
                              f"the optimizations land, then commit about {text(amount)} "
                              f"{term}", "headline"))
        else:
            lines.append(para(f"Commit {text(amount)} {term}", "headline"))
    elif d is None and plan.recommendation.recommended.total_commit > 0:
        r = plan.recommendation.recommended
        lines.append(para(f"Commit {text(narrative.with_tier(r, c))} for "
                          f"{c.years} year{'s' * (c.years > 1)}", "headline"))
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


# --------------------------------------------------------------------------- tracking
def tracking_page(tracking: Tracking, width: float) -> list[Flowable]:
    """After signing: the burn-down of the open years, the shortfall risk per year, the
    workloads behind plan and the warnings, from :func:`forecast.tracking.track`."""
    from reportlab.platypus import Spacer

    from forecast.charts import burn_down_chart
    from forecast.tracking import Status, mix_text
    from forecast.types import Lever

    t = tracking
    seen = sum(y.months_observed for y in t.years)
    story: list[Flowable] = [
        para(f"Tracking the commitment: as of {text(t.as_of)}", "h1"),
        para(f"{seen} month{'s' * (seen != 1)} of usage from {text(t.start)}; the rest of the "
             f"term re-simulated from each workload's observed level ({t.n_paths:,} paths, "
             f"seed {t.seed}, price book {text(t.price_book)}).", "subtitle"),
    ]
    open_years = [y for y in t.years if not y.closed][:2] or [t.years[-1]]
    for y in open_years:
        story.append(chart_drawing(burn_down_chart(t, y.year, height=150), width * 0.9))
        story.append(Spacer(1, 6))
    story.append(para("Consumption at the discounted rate (list cost times one minus the "
                      "discount), cumulated over each contract year. Solid: consumed to date; "
                      "dashed, with the P10-P90 band: the forecast to year end. Above the red "
                      "line the year passes its commitment; below it the gap is paid anyway.",
                      "note"))
    story.append(para("Shortfall risk by contract year", "h2"))
    rows = [[str(y.year), f"{y.first_month} to {y.last_month}", usd(y.committed),
             usd(y.consumed_to_date), usd(y.expected_at_year_end), usd(y.p10), usd(y.p90),
             pct(y.shortfall_probability), usd(y.expected_unused)] for y in t.years]
    story.append(table(["year", "months", "committed", "consumed to date",
                        "expected at year end", "P10", "P90", "shortfall probability",
                        "expected unused"], rows, width,
                       [None, 1, None, None, None, None, None, None, None],
                       right=range(2, 9)))
    behind = t.behind()
    story.append(para("Workloads behind plan", "h2"))
    if not behind:
        story.append(para(f"None: every workload with usage in {text(t.as_of)} has its "
                          "levers on plan or ahead of it.", "body"))
    else:
        rows = []
        for w in behind:
            for c in w.checks:
                if c.status not in (Status.BEHIND, Status.REVERTED):
                    continue
                if c.lever == Lever.ROUTING:
                    planned, observed = mix_text(c.planned), mix_text(c.observed)  # type: ignore[arg-type]
                else:
                    planned, observed = pct(c.planned), pct(c.observed)  # type: ignore[arg-type]
                rows.append([w.name, str(w.status), str(c.lever), str(planned), str(observed),
                             usd(w.extra_cost)])
        story.append(table(["workload", "status", "lever", f"planned in {t.as_of}",
                            "observed", "extra cost a month at list"], rows, width,
                           [1.2, None, None, 1, 1, None], right={5}))
    if t.warnings:
        story.append(para("What to do", "h2"))
        story += [para(f"{i}. {text(w.message)}", "body") for i, w in enumerate(t.warnings, 1)]
    return story


def render_tracking_pdf(tracking: Tracking, generated: dt.date | None = None) -> bytes:
    """The tracking page on its own (``commitplan track -o OUT.pdf``), as bytes."""

    generated = generated or dt.date.today()
    register_fonts()
    buffer = io.BytesIO()
    doc = _document(buffer, f"Commitment tracking: {tracking.scenario_name}",
                    "A signed commitment against usage to date")
    story = [para(text(tracking.scenario_name, NAME_LIMIT), "title"),
             *tracking_page(tracking, doc.width)]
    doc.build(no_orphan_headings(story),
              canvasmaker=canvas_maker(tracking.scenario_name, generated,
                                       "commitment tracking · internal"))
    return buffer.getvalue()


# --------------------------------------------------------------------------- entry points
def _document(buffer: io.BytesIO, title: str, subject: str) -> SimpleDocTemplate:
    """A US Letter document with the report's margins and metadata (invariant: the same
    story and date give the same bytes)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        buffer, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=0.85 * 72, title=title, author="Commitment Planner", subject=subject,
        creator="Commitment Planner (forecast.report)", invariant=1, lang="en",
        initialFontName=BODY)


def render_pdf(plan: Plan, generated: dt.date | None = None,
               audience: Audience = Audience.INTERNAL, tracking: Tracking | None = None
               ) -> bytes:
    """The negotiation PDF of a plan, as bytes.

    Parameters
    ----------
    plan : Plan
        The plan to report (``build_plan``); its sensitivity rows, when present, fill the
        sensitivity page.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today). The same plan and date give the
        same bytes.
    audience : Audience
        ``internal`` (default): everything, "internal" on every page. ``vendor``: the copy
        for the other side of the table: the ask, the usage evidence and the optimization
        plan with its timeline; nothing of the appetite, the walk-away, the alternative,
        the cost curve or the risk tables.
    tracking : Tracking, optional
        The signed contract against usage to date (:func:`forecast.tracking.track`): adds
        the tracking page after the summary, in the internal copy only.

    Returns
    -------
    bytes
        The PDF document.
    """
    from reportlab.platypus import PageBreak

    generated = generated or dt.date.today()
    register_fonts()
    buffer = io.BytesIO()
    doc = _document(buffer, f"Commitment plan: {plan.scenario.name}",
                    "Spend commitment sizing for the negotiation")
    width = doc.width
    if audience == Audience.VENDOR:
        first = _vendor_summary(plan, generated, width) + _vendor_timeline(plan, width)
        sections = [_savings(plan, width, checks=False),
                    _appendix(plan, width, generated, internal=False)]
        document = "commitment proposal"
    elif tracking is not None:
        # A signed contract: a tracking report. It follows the contract as signed and does
        # not advise signing or walking away.
        first = [para(text(plan.scenario.name, NAME_LIMIT), "title"),
                 para(f"Tracking report · prepared {generated.isoformat()} · the signed "
                      "contract against usage to date", "subtitle"),
                 *tracking_page(tracking, width)]
        sections = [_appendix(plan, width, generated)]
        document = "tracking report · internal"
    else:
        first = _summary(plan, generated, width)
        sections = [_offers(plan, width), _when_to_sign(plan, width),
                    _options_on_the_table(plan, width),
                    _forecast(plan, width), _options(plan, width), _savings(plan, width),
                    _sensitivity(plan, width), _appendix(plan, width, generated)]
        document = "commitment plan · internal"
    story: list[Flowable] = list(first)
    for section in sections:
        if section:
            story.append(PageBreak())
            story += section
    story = no_orphan_headings(story)
    doc.build(story, canvasmaker=canvas_maker(plan.scenario.name, generated, document))
    return buffer.getvalue()


def check_output_path(path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """The path a report can be written to, checked before any work is done.

    Raises
    ------
    PlannerError
        When the path is a folder, one of ``inputs``, read-only, or its folder does not
        exist (see :func:`forecast.files.check_output`).
    """
    from forecast.files import check_output

    return check_output(path, inputs).path


def write_pdf(plan: Plan, path: str | Path, generated: dt.date | None = None,
              audience: Audience = Audience.INTERNAL, inputs: Sequence[str | Path] = (),
              tracking: Tracking | None = None) -> None:
    """Render the PDF and write it whole or not at all.

    The document is rendered in memory first, then written by
    :func:`forecast.files.write_output`: a regular file atomically (a failed export leaves
    no file behind, or the previous one as it was), a device or FIFO in place, never over
    one of ``inputs``.

    Parameters
    ----------
    plan : Plan
        The plan to report.
    path : str or Path
        The PDF to write.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today).
    inputs : sequence of str or Path
        The files the plan was read from (the scenario): the PDF must be none of them.
    tracking : Tracking, optional
        Usage to date tracked against the signed contract: adds the tracking page.

    Raises
    ------
    PlannerError
        When the file cannot be written (a folder, a missing folder, no permission, an
        input), naming the path.
    """
    from forecast.files import write_output

    check_output_path(path, inputs)
    write_output(path, render_pdf(plan, generated, audience, tracking), inputs,
                 what="the report")
