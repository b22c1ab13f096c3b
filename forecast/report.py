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

from forecast.formatting import pct, usd
from forecast.types import LEVERS, FlagLevel
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
    from reportlab.platypus import Flowable

    from forecast.plan import Flag, Plan
    from forecast.recommendation import CommitmentResult
    from forecast.scenario import LeverSet, Workload


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


def _tier_text(plan: Plan, result: CommitmentResult) -> str:
    """Which discount a commitment earns, as a phrase after "it"."""
    if result.is_ramp:
        return f"earns a discount of {_discount(result)} by year"
    if result.annual_commit <= 0:
        return "earns no discount (no commitment)"
    earned = [t for t in plan.scenario.contract.discount_tiers
              if t.min_annual_commit <= result.annual_commit]
    if not earned:
        return "earns no discount (below the first tier)"
    tier = earned[-1]
    return (f"earns the {pct(tier.discount)} discount tier (commit at least "
            f"{usd(tier.min_annual_commit)} a year)")


def _land_first(plan: Plan) -> tuple[list[str], float, float, int]:
    """Workloads to land before signing: the leaders of the migration order that together
    carry at least 60% of the monthly saving, at most three.

    Returns (names, their monthly saving, the total monthly saving, how many other
    workloads save something).
    """
    a = plan.projection.attribution
    order = sorted(range(len(plan.projection.workloads)), key=lambda i: a.migration_order[i])
    positive = [i for i in order if a.saving_per_month[i] > 0]
    total = float(sum(a.saving_per_month[i] for i in positive))
    names: list[str] = []
    carried = 0.0
    for i in positive:
        if len(names) == 3 or (names and carried >= 0.6 * total):
            break
        names.append(plan.projection.workloads[i])
        carried += float(a.saving_per_month[i])
    return names, carried, total, len(positive) - len(names)


def _join(names: Sequence[str]) -> str:
    marked = [text(n, NAME_LIMIT) for n in names]
    if len(marked) <= 1:
        return "".join(marked)
    return ", ".join(marked[:-1]) + " and " + marked[-1]


def conclusion(plan: Plan) -> list[str]:
    """The three-line conclusion, "optimize, then commit", as paragraph markup.

    1. Optimize first: the leaders of the migration order to land before signing (at most
       three, as many as carry 60% of the monthly saving), with their share of it.
    2. Then commit: the recommended amount, its discount, expected cost, saving against
       today's path and shortfall chance; or commit nothing when no tier pays for its risk.
    3. The trap: the recommended commitment's own stranding when its flag is amber or red;
       else what a commitment sized on today's spend would strand; else that nothing
       strands. A red walk-back exposure is added to it.
    """
    rec = plan.recommendation
    r = rec.recommended
    names, carried, total, n_more = _land_first(plan)
    if names:
        more = f"; {n_more} more follow in migration order" if n_more > 0 else ""
        verb = "they carry" if len(names) > 1 else "it carries"
        first = (f"<b>Optimize first.</b> Land {_join(names)} before signing: {verb} "
                 f"{usd(carried)} ({pct(carried / total)}) of the {usd(total)} a month the "
                 f"plan saves once in place{more}.")
    else:
        first = ("<b>Optimize first.</b> This plan has no optimization saving to land: the "
                 "commitment below is sized on today's usage.")
    if r.per_year.sum() > 0:
        second = (f"<b>Then commit</b> {_amount(r)} a year, sized on the optimized usage: it "
                  f"{_tier_text(plan, r)}. Expected cost {usd(r.expected_cost)} over the "
                  f"term, {usd(r.saving_vs_current)} below today's path at list, with a "
                  f"{pct(r.shortfall_probability)} chance that some year falls short.")
    else:
        second = ("<b>Then commit nothing yet:</b> no discount tier pays for its shortfall "
                  "risk at the optimized usage; buy at list and revisit once the "
                  "optimizations have landed.")
    base = rec.baseline_sized
    if r.flag in (FlagLevel.AMBER, FlagLevel.RED) and r.stranded_savings > 0.5:
        third = (f"<b>Watch the floor:</b> even the recommended commitment strands "
                 f"{usd(r.stranded_savings)} ({pct(r.stranded_share)} of the savings); "
                 f"commit at most {usd(rec.safe_commit.annual_commit)} a year, or ramp "
                 f"{_amount(rec.ramp)}.")
    elif base.stranded_savings > 0.5 and base.flag != FlagLevel.GREEN:
        third = (f"<b>Do not size it on today's bill:</b> a commitment sized on today's spend "
                 f"({_amount(base)} a year) would strand {usd(base.stranded_savings)}, "
                 f"{pct(base.stranded_share)} of the savings, under the commitment floor.")
    else:
        third = ("<b>Nothing strands:</b> at the recommended size every dollar the "
                 "optimizations save lowers the bill.")
    if plan.walk_back.level == FlagLevel.RED:
        third += (f" Batch only what truly waits: walking the gray workloads back would add "
                  f"{usd(plan.walk_back.extra_cost)}.")
    return [first, second, third]


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


def _why_recommended(plan: Plan) -> str:
    rec = plan.recommendation
    r = rec.recommended
    if r.per_year.sum() <= 0:
        return (f"No commitment within your {pct(rec.appetite)} shortfall appetite earns a "
                "discount that lowers the expected cost: pay as you go at list, and revisit "
                "once the optimizations have landed.")
    return (f"It {_tier_text(plan, r)}. Of all flat commitments whose shortfall probability stays "
            f"within your {pct(rec.appetite)} appetite, it has the lowest expected cost. Sized "
            "on the optimized usage, not on today's bill.")


def _summary(plan: Plan, generated: dt.date, width: float) -> list[Flowable]:
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

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
    years = " / ".join(str(i + 1) for i in range(c.years))
    story.append(box([
        para("RECOMMENDED COMMITMENT", "label"),
        para(f"{_amount(r)} a year" + (f" (years {years})" if r.is_ramp else "")
           + (" (no commitment)" if r.per_year.sum() <= 0 else ""), "headline"),
        para(_why_recommended(plan), "body"),
    ], width, "#f0f6ff", ACCENT))
    story.append(Spacer(1, 5))

    tiles = [
        (f"EXPECTED COST, {c.years}-YEAR TERM", usd(r.expected_cost),
         f"P10 {usd(r.cost_p10)} · P90 {usd(r.cost_p90)}"),
        ("SAVING VS LIST PRICE", usd(r.saving_vs_list),
         "against paying list for the optimized usage"),
        ("SAVING VS TODAY'S PATH", usd(r.saving_vs_current),
         "against today's usage at list: no optimization, no commitment"),
        ("SHORTFALL PROBABILITY", pct(r.shortfall_probability),
         "chance some year's usage falls below the commitment"),
    ]
    cells = [[para(label, "label"), para(value, "figure"), para(note, "tile_note")]
             for label, value, note in tiles]
    tile_table = Table([cells], colWidths=[w * width for w in (0.3, 0.24, 0.24, 0.22)],
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

    story.append(box([para("OPTIMIZE, THEN COMMIT", "label")]
                      + [para(f"{i}. {line}", "conclusion")
                         for i, line in enumerate(conclusion(plan), 1)],
                      width, SHADE, INK))

    story.append(para("The options on the table (money over the whole term)", "h2"))
    options: list[tuple[str, str, CommitmentResult]] = [
        ("Recommended", "lowest expected cost within the appetite", r),
        ("Risk-neutral", "lowest expected cost, whatever the risk", rec.risk_neutral),
        ("Risk-bounded", f"the most within a {pct(rec.appetite)} shortfall chance",
         rec.risk_bounded),
        ("Ramp", "each year sized on its own usage"
         + (" (advised: usage grows)" if rec.ramp_advised else ""), rec.ramp),
        ("Sized on today's spend", "what today's unoptimized bill suggests",
         rec.baseline_sized),
    ]
    for named in plan.named:
        if named.label == "scenario commitment":
            options.append(("Scenario commitment", "the amount named in the scenario", named))
        else:
            options.append(("--commit", "asked for on the command line", named))
    rows, chips = [], {}
    for i, (label, what, res) in enumerate(options):
        rows.append([para(f"<b>{text(label)}</b> "
                        f'<font size="6.6" color="{MUTED}">{text(what)}</font>', "cell"),
                     _amount_cell(res), _discount_cell(res), usd(res.expected_cost),
                     usd(res.saving_vs_current), pct(res.shortfall_probability),
                     usd(res.stranded_savings), chip(res.flag)])
        chips[(7, i)] = str(res.flag)
    story.append(table(
        ["option", "annual commitment", "discount", "expected cost", "saving vs today",
         "shortfall", "stranded", "flag"],
        rows, width, [1, None, None, None, None, None, None, 0.16],
        right={1, 2, 3, 4, 5, 6}, chips=chips, highlight=[0]))

    story.append(para("Stranded savings and walk-back exposure", "h2"))
    # The definition goes above the table: if many flags spill to page two, rows follow.
    story.append(para(
        "Stranded savings: optimization savings that no longer lower the bill because usage "
        "falls under the commitment floor (unused commitment is paid anyway). Green up to "
        f"{pct(c.stranded_thresholds.amber)} of the gross savings, amber up to "
        f"{pct(c.stranded_thresholds.red)}, red above.", "note"))
    story.append(_flag_table(_summary_flags(plan), width))
    return story


def _summary_flags(plan: Plan) -> list[Flag]:
    """Stranded savings and walk-back; a named commitment's shortfall flag goes with the
    options (its probability is in the summary's options table)."""
    return [f for f in plan.flags if f.kind in ("stranded_savings", "walk_back")]


def _flag_table(flags: Sequence[Flag], width: float) -> Flowable:
    rows, chips = [], {}
    for f in flags:
        rows.append([chip(f.level), _flag_text(f)])
        chips[(0, len(rows) - 1)] = str(f.level)
    return table(["flag", "finding"], rows, width, [0.085, 0.915], chips=chips)


def _flag_text(flag: Flag) -> Flowable:
    if flag.kind == "stranded_savings":
        head = (f"Stranded savings: {usd(flag.amount)}, {pct(flag.share or 0.0)} of the "
                "gross savings.")
    elif flag.kind == "walk_back":
        head = f"Walk-back exposure: {usd(flag.amount)} more over the term."
    elif flag.kind == "shortfall":
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
        rows.append(["" if cand.label == "grid" else cand.label, _amount_cell(cand),
                     _discount_cell(cand), usd(cand.expected_cost), usd(cand.cost_p10),
                     usd(cand.cost_p90), pct(cand.shortfall_probability),
                     usd(cand.expected_unused), usd(cand.expected_overage),
                     usd(cand.stranded_savings), chip(cand.flag)])
        chips[(10, i)] = str(cand.flag)
        if cand is rec.recommended:
            highlight.append(i)
    story.append(table(
        ["", "annual commitment", "discount", "expected cost", "P10", "P90", "shortfall",
         "unused", "overage", "stranded", "flag"],
        rows, width, [1, *[None] * 9, 0.55], right=range(1, 10), chips=chips,
        highlight=highlight))
    story.append(para(
        "P10 / P90: the cost over the term on the luckiest and the unluckiest tenth of "
        "paths. Shortfall: the chance that some year's usage falls below the commitment. "
        "Unused: expected commitment paid but not used. Overage: expected spend beyond the "
        "commitment. Stranded: expected optimization savings lost under the floor; the flag "
        "grades them as a share of the gross savings.", "note"))
    shortfalls = [f for f in plan.flags if f.kind == "shortfall"]
    if shortfalls:
        story.append(para("Shortfall risk of the commitments you named", "h2"))
        story.append(_flag_table(shortfalls, width))
    return story


def _savings(plan: Plan, width: float) -> list[Flowable]:
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
    rows = [[str(lv), usd(a.shapley[lv]), pct(a.shapley[lv] / total if total else 0.0, 1),
             usd(steps[lv])] for lv in LEVERS]
    story.append(table(["lever", "Shapley saving", "share", "waterfall step"], rows,
                        width * 0.5, [1, None, None, None], right={1, 2, 3}))
    summary = proj.summary().sort_values("migration_order")
    rows = []
    for row in summary.itertuples(index=False):
        rows.append([str(row.migration_order), row.workload, row.waiting,
                     pct(row.batch_eligible_share), usd(row.current_total),
                     usd(row.optimized_total), usd(row.saving), usd(row.saving_per_month)])
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
    checks = [f for f in plan.flags if f.kind in ("waiting_test", "caching_break_even")]
    if checks:
        story.append(para("Checks on the plan", "h2"))
        story.append(_flag_table(checks, width))
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


def _appendix(plan: Plan, width: float, generated: dt.date) -> list[Flowable]:
    from forecast.sensitivity import SENSITIVITY_PATHS
    from forecast.types import CacheTTL

    sc, book = plan.scenario, plan.book
    c, unc = sc.contract, sc.uncertainty
    story: list[Flowable] = [para("Assumptions", "h1")]
    if sc.description:
        story.append(para(text(sc.description), "body"))

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


# --------------------------------------------------------------------------- entry points
def render_pdf(plan: Plan, generated: dt.date | None = None) -> bytes:
    """The negotiation PDF of a plan, as bytes.

    Parameters
    ----------
    plan : Plan
        The plan to report (``build_plan``); its sensitivity rows, when present, fill the
        sensitivity page.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today). The same plan and date give the
        same bytes.

    Returns
    -------
    bytes
        The PDF document.
    """
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    generated = generated or dt.date.today()
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=0.85 * 72, title=f"Commitment plan: {plan.scenario.name}",
        author="Commitment Planner", subject="Spend commitment sizing for the negotiation",
        creator="Commitment Planner (forecast.report)", invariant=1, lang="en",
        initialFontName=BODY)
    width = doc.width
    story: list[Flowable] = []
    story += _summary(plan, generated, width)
    for section in (_forecast(plan, width), _options(plan, width), _savings(plan, width),
                    _sensitivity(plan, width), _appendix(plan, width, generated)):
        story.append(PageBreak())
        story += section
    story = no_orphan_headings(story)
    doc.build(story, canvasmaker=canvas_maker(plan.scenario.name, generated))
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
              inputs: Sequence[str | Path] = ()) -> None:
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

    Raises
    ------
    PlannerError
        When the file cannot be written (a folder, a missing folder, no permission, an
        input), naming the path.
    """
    from forecast.files import write_output

    check_output_path(path, inputs)
    write_output(path, render_pdf(plan, generated), inputs, what="the report")
