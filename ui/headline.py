"""The answer at the top of the page: the headline figures, the stranded-savings flag, and
why (the planner's own sentences), fed by the ``Plan`` and ``forecast.narrative`` only.

Layout code elsewhere never looks inside: what the headline shows can change here alone.
Text from the library is plain; it is escaped here (``ui.text``) and set in HTML, the lead
of a :class:`forecast.narrative.Line` in bold.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from forecast import narrative
from forecast.charts import FLAG_COLOURS
from forecast.formatting import pct, usd, usd_short
from forecast.plan import Flag, Plan
from forecast.recommendation import CommitmentResult
from ui.text import html_text, md

#: The flag kind of the stranded-savings flags (one per commitment shown).
STRANDED = "stranded_savings"


def is_sized_on_today(result: CommitmentResult) -> bool:
    """The commitment a buyer signs who sizes on today's spend (the one place the page
    tells it by its label)."""
    return result.label == "sized on today's spend"


def stranded_flags(plan: Plan) -> list[Flag]:
    return [f for f in plan.flags if f.kind == STRANDED]


def amount_text(result: CommitmentResult) -> str:
    """``$3.00M a year``, or ``$1.00M → $1.50M → $2.00M a year`` for a ramp."""
    if result.is_ramp:
        return " → ".join(usd_short(c) for c in result.per_year) + " a year"
    return f"{usd_short(result.annual_commit)} a year"


def tier_label(result: CommitmentResult) -> str:
    """The tier a headline amount earns, in two or three words."""
    if result.annual_commit <= 0:
        return "no commitment"
    discount = float(result.discount[0])
    return f"{pct(discount)} tier" if discount > 0 else "below every tier"


def tier_edge_line(plan: Plan) -> str | None:
    """When the recommendation sits on a tier's edge (or is $0), what the next tier would
    take and give, read from the plan's sweep; ``None`` inside a tier or at the top one."""
    rec = plan.recommendation
    r = rec.recommended
    tiers = sorted(plan.scenario.contract.discount_tiers, key=lambda t: t.min_annual_commit)
    if r.is_ramp or not tiers:
        return None
    amount = r.annual_commit
    edge = next((t for t in tiers if abs(t.min_annual_commit - amount) <= 0.5), None)
    higher = [t for t in tiers if t.min_annual_commit > amount + 0.5]
    if not higher or (edge is None and amount > 0):
        return None
    nxt = higher[0]
    head = (f"{usd_short(amount)} is the least that earns the {pct(edge.discount)} tier, so "
            "the answer stays on it while usage moves a little (the risk-bounded figure moves "
            "with it). " if edge is not None else "")
    name = "next" if amount > 0 else "first"
    sweep = rec.sweep
    at = np.flatnonzero(np.abs(sweep.commitment - nxt.min_annual_commit) <= 0.5)
    if at.size == 0:
        return (f"{head}The {name} tier, {pct(nxt.discount)}, takes "
                f"{usd_short(nxt.min_annual_commit)} a year: beyond any usage the forecast "
                "reaches.")
    i = int(at[0])
    extra = float(sweep.expected_cost[i]) - r.expected_cost
    change = (f"{usd_short(abs(extra))} {'more' if extra > 0 else 'less'} than the "
              "recommendation")
    return (f"{head}The {name} tier, {pct(nxt.discount)}, takes "
            f"{usd_short(nxt.min_annual_commit)} a year: expected cost "
            f"{usd_short(float(sweep.expected_cost[i]))} over the term ({change}), with a "
            f"{pct(float(sweep.shortfall_probability[i]))} chance that some year falls short "
            f"(appetite {pct(rec.appetite)}).")


def _flag_html(level: str, text_html: str, title: str, minor: bool = False) -> str:
    colour = FLAG_COLOURS[level]
    return (f'<div class="cp-flag{" cp-minor" if minor else ""}" title="{html_text(title)}" '
            f'style="border-color:{colour}; background:{colour}14;">'
            f'<span class="cp-level" style="color:{colour}">{level.upper()}</span> · '
            f"{text_html}</div>")


def _stranded_html(flag: Flag, result: CommitmentResult, who: str) -> str:
    """``Recommended $3.00M a year strands $0 (0% of ...)``: the flag's amount and share."""
    strands = (f"strands <b>{usd_short(flag.amount)}</b> ({pct(flag.share or 0.0)} of the "
               f"{usd_short(result.gross_savings)} the optimizations save over the term)")
    if flag.amount <= 0.5:
        strands += ": every dollar saved lowers the bill"
    amount = html_text(amount_text(result))
    if is_sized_on_today(result):
        return f"Sized on today's spend ({amount}), a commitment {strands}"
    return f"{html_text(who)} {amount} {strands}"


def scenario_mark(scenario_json: str) -> str:
    """A short fingerprint of the scenario answered (the benchmark waits for it to change)."""
    return hashlib.sha1(scenario_json.encode()).hexdigest()[:12]


def render(plan: Plan, notes: list[str], scenario_json: str) -> None:
    """The headline figures, the flags, why, and a caption of ``notes`` (plain text)."""
    rec = plan.recommendation
    years = plan.scenario.contract.years
    with st.container(horizontal=True, gap="small", key="cp-headline"):
        figures = (
            ("Recommended / yr", rec.recommended,
             f"{usd(rec.recommended.annual_commit)} a year: the lowest expected cost among "
             f"commitments within the {pct(rec.appetite)} shortfall appetite, sized on the "
             "optimized path."),
            ("Risk-neutral / yr", rec.risk_neutral,
             f"{usd(rec.risk_neutral.annual_commit)} a year: the lowest expected cost, "
             "whatever the shortfall risk."),
            ("Risk-bounded / yr", rec.risk_bounded,
             f"{usd(rec.risk_bounded.annual_commit)} a year: the largest commitment with at "
             f"most {pct(rec.appetite)} chance of a shortfall in some year."),
        )
        for label, result, why in figures:
            st.metric(label, usd_short(result.annual_commit), delta=tier_label(result),
                      delta_color="off", delta_arrow="off", help=md(why))
        saving = rec.recommended.saving_vs_current
        st.metric(f"Saving, {years}-yr term", usd_short(saving),
                  delta=f"vs {usd_short(rec.recommended.expected_current_list)} today",
                  delta_color="off", delta_arrow="off",
                  help=md(f"{usd(saving)}: today's path at list "
                          f"({usd(rec.recommended.expected_current_list)} expected over the "
                          "term) minus the expected cost of the optimized path under the "
                          "recommended commitment."))

    stranded = stranded_flags(plan)
    results = [rec.recommended, *plan.named, rec.baseline_sized]
    whos = ["Recommended", *("Your commitment" for _ in plan.named), ""]
    blocks = []
    for i, (flag, result, who) in enumerate(zip(stranded, results, whos, strict=False)):
        line = _stranded_html(flag, result, who)
        blocks.append(_flag_html(str(flag.level), ("<b>Stranded savings</b>: " + line)
                                 if i == 0 else line, flag.message, minor=i > 0))

    why = narrative.why_recommended(plan)
    edge = tier_edge_line(plan)
    steps = "".join(f"<li><b>{html_text(line.lead)}</b> {html_text(line.body)}</li>"
                    for line in narrative.conclusion(plan))
    blocks.append(f'<div class="cp-why"><p>{html_text(why)}'
                  f'{" " + html_text(edge) if edge else ""}</p>'
                  f'<ol class="cp-steps">{steps}</ol></div>')
    blocks.append(f'<div class="cp-answer" data-scenario="{scenario_mark(scenario_json)}">'
                  "</div>")
    st.html("".join(blocks))
    st.caption(" · ".join(md(n) for n in notes))


def notes(plan: Plan, paths: int, seed: int, levers: list[str]) -> list[str]:
    """The caption under the headline: the spread, the risk, the ramp, the walk-back."""
    rec = plan.recommendation
    r = rec.recommended
    out = [f"cost P10–P90 {usd_short(r.cost_p10)}–{usd_short(r.cost_p90)} over the term",
           f"shortfall risk {pct(r.shortfall_probability)} (appetite {pct(rec.appetite)})"]
    if rec.ramp_advised:
        out.append(f"ramp advised: {amount_text(rec.ramp)}")
    out.append(f"walk-back exposure {plan.walk_back.level}: "
               f"{usd_short(plan.walk_back.extra_cost)}")
    out.append(f"{paths:,} paths, seed {seed}")
    if levers:
        out.append("portfolio levers: " + ", ".join(levers))
    return out
