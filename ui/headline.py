"""The answer at the top of the page: the headline figures, the buyer's position and the
savings bridge beside them, the stranded-savings flags, and why (the planner's own
sentences), fed by the ``Plan`` and ``forecast.narrative`` only.

Layout code elsewhere never looks inside: what the headline shows can change here alone.
Text from the library is plain; it is escaped here (``ui.text``) and set in HTML, the lead
of a :class:`forecast.narrative.Line` in bold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from forecast import CommitmentResult, Contract, Flag, Plan, narrative
from forecast.charts import FLAG_COLOURS
from forecast.contract import tier_edges
from forecast.formatting import pct, usd, usd_short
from forecast.plan import SAVING_LABEL
from forecast.types import CommitmentKind, FlagKind
from ui.text import html_text, md

#: The commitments a buyer might size on what they spend today, and how the flags name them.
SIZED_ON_TODAY = {CommitmentKind.UNOPTIMIZED_FORECAST: "Sized on the unoptimized forecast",
                  CommitmentKind.RUN_RATE: "Sized on today's run rate x 12"}


def stranded_flags(plan: Plan) -> list[Flag]:
    """The stranded-savings flags, one per commitment shown, in the order of
    :func:`flagged_commitments`."""
    return [f for f in plan.flags if f.kind == FlagKind.STRANDED_SAVINGS]


def flagged_commitments(plan: Plan) -> list[CommitmentResult]:
    """The commitments the stranded-savings flags are about, in the plan's order."""
    rec = plan.recommendation
    return [rec.recommended, *plan.named, rec.unoptimized,
            *([rec.run_rate] if rec.run_rate is not None else [])]


def amount_text(result: CommitmentResult, edges: Sequence[float] = ()) -> str:
    """``$3.00M a year``, or ``$1.00M → $1.50M → $2.00M a year`` for a ramp; never rounded
    up across a tier edge."""
    if result.is_ramp:
        return " → ".join(usd_short(c, edges) for c in result.per_year) + " a year"
    return f"{usd_short(result.annual_commit, edges)} a year"


def tier_label(result: CommitmentResult) -> str:
    """The tier a headline amount earns, in two or three words."""
    if result.annual_commit <= 0:
        return "no commitment"
    discount = float(result.discount[0])
    return f"{pct(discount)} tier" if discount > 0 else "below every tier"


def _flag_html(level: str, text_html: str, title: str, minor: bool = False) -> str:
    colour = FLAG_COLOURS[level]
    return (f'<div class="cp-flag{" cp-minor" if minor else ""}" title="{html_text(title)}" '
            f'style="border-color:{colour}; background:{colour}14;">'
            f'<span class="cp-level" style="color:{colour}">{level.upper()}</span> · '
            f"{text_html}</div>")


def _stranded_html(flag: Flag, result: CommitmentResult, edges: Sequence[float]) -> str:
    """``Recommended $3.00M a year strands $0 (0% of ...)``: the flag's amount and share."""
    strands = (f"strands <b>{usd_short(flag.amount)}</b> ({pct(flag.share or 0.0)} of the "
               f"{usd_short(result.gross_savings)} the optimizations save over the term at "
               f"its {pct(float(result.discount[0]))} discounted rate)")
    if flag.amount <= 0.5:
        strands += ": every dollar saved lowers the bill"
    amount = html_text(amount_text(result, edges))
    if result.kind in SIZED_ON_TODAY:
        return f"{SIZED_ON_TODAY[result.kind]} ({amount}), a commitment {strands}"
    who = "Recommended" if result.kind == CommitmentKind.RECOMMENDED else "Your commitment"
    return f"{who} {amount} {strands}"


def scenario_mark(scenario_json: str) -> str:
    """A short fingerprint of the scenario answered (the benchmark waits for it to change)."""
    return hashlib.sha1(scenario_json.encode()).hexdigest()[:12]


def saving_label(plan: Plan | None = None) -> str:
    """The headline saving's label: the one every face gives it (``forecast.plan``)."""
    label = SAVING_LABEL if plan is None else plan.saving_dict()["label"]
    return label[:1].upper() + label[1:]


def decision_figure(plan: Plan) -> tuple[str, str]:
    """The decision as a metric: (value, delta): ``$300K/yr`` and ``12% tier · sign now``,
    or ``Pay as you go`` and ``no commitment``."""
    d = plan.decision
    if d is None or not d.signs:
        return "Pay as you go", "no commitment"
    edges = d.edges
    if d.is_ramp:
        value = " → ".join(usd_short(c, edges) for c in d.per_year)
    else:
        value = f"{usd_short(d.annual_commit, edges)}/yr"
    if d.sign_after_months > 0:
        value = "~" + value
    when = "sign now" if d.sign_after_months == 0 else f"sign in {d.sign_after_months} months"
    tiers = " / ".join(pct(x) for x in d.discount) if d.is_ramp else pct(float(d.discount[0]))
    return value, f"{tiers} tier · {when}"


def decision_bridge_html(plan: Plan, title: str) -> str:
    """The decision's savings bridge (``forecast.narrative.decision_bridge_rows``), then the
    one saving under its label."""
    rows = []
    for sign, words, amount in narrative.decision_bridge_rows(plan):
        shown = usd(-amount if sign == "-" else amount)
        total = ' class="cp-total"' if sign == "=" else ""
        rows.append(f"<tr{total}><td>{html_text(sign)}</td><td>{html_text(words)}</td>"
                    f"<td>{html_text(shown)}</td></tr>")
    saving = plan.saving_dict()
    return (f'<div class="cp-bridge"><p class="cp-box-title">{html_text(title)}</p>'
            f'<table>{"".join(rows)}</table>'
            f"<p><b>{html_text(saving_label(plan))}: {html_text(usd(saving['vs_today']))}"
            f"</b> (vs pay as you go: {html_text(usd(saving['vs_payg']))})</p></div>")


def bridge_html(result: CommitmentResult, contract: Contract, title: str) -> str:
    """The savings bridge of one commitment as a small table (``forecast.narrative``'s rows,
    whole dollars that add up to the cent), then the saving it leads to."""
    rows = []
    for sign, words, amount in narrative.bridge_rows(result):
        shown = usd(-amount if sign == "-" else amount)
        total = ' class="cp-total"' if sign == "=" else ""
        rows.append(f"<tr{total}><td>{html_text(sign)}</td><td>{html_text(words)}</td>"
                    f"<td>{html_text(shown)}</td></tr>")
    return (f'<div class="cp-bridge"><p class="cp-box-title">{html_text(title)}</p>'
            f'<table>{"".join(rows)}</table>'
            f"<p><b>{html_text(saving_label())}: {html_text(usd(result.saving_vs_today))}"
            f"</b> (vs pay as you go: {html_text(usd(result.saving_vs_payg))})</p></div>")


def position_html(plan: Plan, scenario_json: str) -> str:
    """The buyer's position (``forecast.narrative.position_items``): target, walk-away,
    opening ask, the asks worth most, the alternative; marked with the scenario it answers
    (the benchmark waits for it)."""
    items = "".join(
        f"<dt>{html_text(heading)}</dt><dd>{'<br>'.join(html_text(x) for x in lines)}</dd>"
        for heading, lines in narrative.position_items(plan))
    return (f'<div class="cp-position" data-scenario="{scenario_mark(scenario_json)}">'
            '<p class="cp-box-title" title="The appetite, the walk-away and the alternative '
            "are yours alone: the PDF's copy for the vendor leaves them out.\">Your position "
            "· internal: not for the vendor</p>"
            f"<dl>{items}</dl></div>")


def render(plan: Plan, notes: list[str], scenario_json: str) -> DeltaGenerator:
    """The headline figures, the desk (the position's place, the savings bridge), the flags,
    why, and a caption of ``notes`` (plain text).

    Returns the container the position goes in (:func:`position`): it is worked out after
    the headline is on screen.
    """
    rec = plan.recommendation
    contract = plan.scenario.contract
    edges = tier_edges(contract)
    years = contract.years
    r = rec.recommended
    d = plan.decision
    with st.container(horizontal=True, gap="small", key="cp-headline"):
        if d is not None:
            value, delta = decision_figure(plan)
            st.metric("Decision", value, delta=delta, delta_color="off", delta_arrow="off",
                      help=md(f"{narrative.decision_line(plan)}. {d.reason}"))
        figures = (
            ("Recommended / yr", r,
             f"{narrative.with_tier(r, contract)}: the lowest expected cost among "
             f"commitments within the {pct(rec.appetite)} shortfall appetite under the "
             "contract's terms, sized on the optimized path."),
            ("Risk-neutral / yr", rec.risk_neutral,
             f"{narrative.with_tier(rec.risk_neutral, contract)}: the lowest expected cost, "
             "whatever the shortfall risk."),
            ("Risk-bounded / yr", rec.risk_bounded,
             f"{narrative.with_tier(rec.risk_bounded, contract)}: the largest commitment with "
             f"at most {pct(rec.appetite)} chance of a shortfall in some year."),
        )
        # With a decision, it takes the recommendation's place: one amount to sign.
        for label, result, why in figures[1:] if d is not None else figures:
            st.metric(label, usd_short(result.annual_commit, edges), delta=tier_label(result),
                      delta_color="off", delta_arrow="off", help=md(why))
        saving = plan.saving_dict()["vs_today"]
        span = f"over the {years}-yr term" if d is None or not d.window_months \
            else f"over {d.window_months} months"
        with st.container(key="cp-saving"):
            st.metric(saving_label(plan), usd_short(saving),
                      delta=span, delta_color="off", delta_arrow="off",
                      help=md(f"{usd(saving)}: the bridge's first line minus the expected "
                              "cost of the decision. The bridge shows each step."))

    with st.container(horizontal=True, gap="medium", key="cp-desk"):
        slot = st.container(key="cp-position-box")
        with st.container(key="cp-bridge-box"):
            if d is not None:
                st.html(decision_bridge_html(plan, "Savings bridge · decision: "
                                             + narrative.decision_amount(d, short=True)))
            else:
                st.html(bridge_html(r, contract, f"Savings bridge · recommended "
                                    f"{narrative.with_tier(r, contract, short=True)}"))

    blocks = []
    pairs = zip(stranded_flags(plan), flagged_commitments(plan), strict=False)
    for i, (flag, result) in enumerate(pairs):
        line = _stranded_html(flag, result, edges)
        blocks.append(_flag_html(str(flag.level), ("<b>Stranded savings</b>: " + line)
                                 if i == 0 else line, flag.message, minor=i > 0))

    why = narrative.why_recommended(plan) if d is None else \
        f"{narrative.decision_line(plan)}. {d.reason} {narrative.decision_figures(plan)}"
    edge = narrative.tier_edge_note(plan) if d is None else None
    steps = "".join(f"<li><b>{html_text(line.lead)}</b> {html_text(line.body)}</li>"
                    for line in narrative.conclusion(plan))
    blocks.append(f'<div class="cp-why"><p>{html_text(why)}'
                  f'{" " + html_text(edge) if edge else ""}</p>'
                  f'<ol class="cp-steps">{steps}</ol></div>')
    blocks.append(f'<div class="cp-answer" data-scenario="{scenario_mark(scenario_json)}">'
                  "</div>")
    st.html("".join(blocks))
    st.caption(" · ".join(md(n) for n in notes))
    return slot


def position(slot: DeltaGenerator, plan: Plan, scenario_json: str) -> None:
    """Draw the position of ``plan`` (a plan with its position) in the headline's slot."""
    with slot:
        st.html(position_html(plan, scenario_json))


def notes(plan: Plan, paths: int, seed: int, levers: list[str]) -> list[str]:
    """The caption under the headline: the spread, the risk, the ramp, the walk-back."""
    rec = plan.recommendation
    r = rec.recommended
    out = [f"cost P10–P90 {usd_short(r.cost_p10)}–{usd_short(r.cost_p90)} over the term",
           f"shortfall risk {pct(r.shortfall_probability)} (appetite {pct(rec.appetite)})"]
    if rec.ramp_advised:
        out.append(f"ramp advised: {amount_text(rec.ramp, tier_edges(plan.scenario.contract))}")
    out.append(f"walk-back exposure {plan.walk_back.level}: "
               f"{usd_short(plan.walk_back.expected_extra_cost)} expected")
    out.append(f"{paths:,} paths, seed {seed}")
    if levers:
        out.append("portfolio levers: " + ", ".join(levers))
    return out
