"""The Offers tab: the offers table, the offers ranked, the asks valued, the break-even
discount.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from forecast import OfferResult, Plan, charts, narrative
from forecast.contract import tier_edges
from forecast.formatting import pct, usd, usd_short
from forecast.types import WalkAwayBound
from ui import offers as offers_table
from ui.text import md
from ui.views.common import chart, money, shares, text_column


# --------------------------------------------------------------------------- offers
def offers_editor(origin: dict[str, Any], key: str, problems: Sequence[str]) -> None:
    """The offers table, drawn on every run (even behind another tab) so that its edits are
    kept; read back by ``ui.offers.apply_offer_edits``. Its own problems under it."""
    st.markdown("**Offers on the table** · type each proposal as you hear it, one row per "
                "offer. Your scenario's contract (sidebar) is always the first offer; a blank "
                "cell takes its term. Leave the commitment blank when the buyer chooses it.")
    columns: dict[str, Any] = {}
    for c in offers_table.COLUMNS:
        width = offers_table.WIDTHS[c.key]
        if c.key == "overage":
            columns[c.key] = st.column_config.SelectboxColumn(
                c.label, help=c.help, options=offers_table.overage_options(), width=width)
        elif c.key == "from":
            columns[c.key] = st.column_config.SelectboxColumn(
                c.label, help=c.help, options=offers_table.side_options(), width=width)
        elif c.key == "price_protection":
            columns[c.key] = st.column_config.CheckboxColumn(c.label, help=c.help,
                                                             width=width)
        elif c.key in ("rollover", "shortfall_credit"):
            columns[c.key] = st.column_config.NumberColumn(c.label, help=c.help, min_value=0.0,
                                                           max_value=1.0, format="percent",
                                                           width=width)
        elif c.key == "years":
            columns[c.key] = st.column_config.NumberColumn(c.label, help=c.help, min_value=1,
                                                           max_value=5, format="%d",
                                                           width=width)
        else:
            columns[c.key] = st.column_config.TextColumn(c.label, help=c.help, width=width,
                                                         pinned=c.key == "name")
    frame = offers_table.offers_frame(origin)
    # The table grows with its rows up to ten (header, rows, the row to add one): no inner
    # scroll up to 8 offers. "auto" lets the browser grow it: a height that changed with the
    # rows would make it a new widget, and drop what is typed in it.
    with st.container(key="cp-offers"):
        st.data_editor(frame, key=key, num_rows="dynamic", hide_index=True, width="stretch",
                       height="auto", placeholder="", column_config=columns)
    if problems:
        from ui.sidebar import problems_md

        st.warning(problems_md("Not ranked yet (the answer stands on the whole rows):",
                               list(problems)))


def text_width(texts: Sequence[str], least: int) -> int:
    """A column's width in pixels that shows each of ``texts`` whole (a ramp, ``$3.00M /
    $3.50M / $4.00M (6% / 6% / 10%)``): about 7.6 pixels a character of the table's font,
    and its cell padding; at least ``least``."""
    return max(least, round(7.6 * max((len(t) for t in texts), default=0)) + 20)


def _offer_why(offer: OfferResult) -> str:
    """The risks behind an offer's colour, and whether it beats paying as you go."""
    reasons = [narrative.reason_text(r, offer.appetite) for r in offer.result.reasons]
    if not offer.worth_signing and offer.result.total_commit > 0:
        reasons.insert(0, "does not beat pay as you go within your appetite")
    return "; ".join(reasons)


def offers(plan: Plan, asks_key: str, with_asks_for: Callable[[tuple[str, ...]], Plan]
           ) -> None:
    """The offers side by side on the same paths, every ask valued, the break-even discount.

    ``plan`` carries the position (asks of the best offer); ``with_asks_for(names)`` gives
    the plan whose position also values the asks of the offers named.
    """
    position = plan.position
    if position is None:
        return
    ranked = position.offers
    st.markdown("**The offers, compared on the same simulated paths** · ranked: worth "
                "signing first, then by expected cost a year; money over each offer's term")
    commitments = [narrative.with_tier(o.result, o.terms, short=True) for o in ranked]
    spreads = [f"{usd_short(o.result.cost_p10)}–{usd_short(o.result.cost_p90)}"
               for o in ranked]
    st.dataframe(pd.DataFrame({
        "rank": [o.rank for o in ranked],
        "offer": [o.name for o in ranked],
        "commitment": commitments,
        "expected_cost": money([o.result.expected_cost for o in ranked]),
        "spread": spreads,
        "vs_payg": money([o.saving_vs_payg for o in ranked]),
        "shortfall": shares([o.result.shortfall_probability for o in ranked]),
        "stranded": money([o.result.stranded_savings for o in ranked]),
        "colour": [str(narrative.offer_colour(o)) for o in ranked],
        "dominated_by": [o.dominated_by or "" for o in ranked],
        "walk_away": ["none" if o.walk_away.bound is WalkAwayBound.NONE else
                      usd_short(o.walk_away.annual_commit, tier_edges(o.terms))
                      for o in ranked],
        "why": [_offer_why(o) for o in ranked],
    }), hide_index=True, width="stretch", column_config={
        "rank": st.column_config.NumberColumn("#", width=30, pinned=True),
        "offer": st.column_config.TextColumn("offer", width=120, pinned=True),
        "commitment": text_column("commitment", width=text_width(commitments, 135),
                                  help_text="the offer's own, or the best flat one within "
                                            "your appetite when the buyer chooses; with the "
                                            "tier it earns"),
        "expected_cost": text_column("exp. cost", width=75,
                                     help_text="expected cost over the offer's term"),
        "spread": text_column("P10–P90", width=text_width(spreads, 115),
                              help_text="cost on the luckiest and the unluckiest tenth of "
                                        "paths"),
        "vs_payg": text_column("vs PAYG", width=70,
                               help_text="saving vs pay as you go: expected saving against "
                                         "paying list on the optimized path (your "
                                         "alternative)"),
        "shortfall": text_column("shortfall", width=65, help_text="chance that some year's "
                                 "usage falls short of the commitment"),
        "stranded": text_column("stranded", width=68),
        "colour": text_column("colour", width=60, right=False,
                              help_text="the worst of its risks; red when it does not beat "
                                        "pay as you go (the reasons: last column)"),
        "dominated_by": text_column("dominated by", width=110, right=False,
                                    help_text="an offer that costs no more on every path "
                                              "and less in expectation"),
        "walk_away": text_column("walk-away", width=75,
                                 help_text="walk away above this commitment a year: the "
                                           "largest whose expected cost stays at or below "
                                           "pay as you go, within your appetite"),
        "why": text_column("why this colour", width="medium", right=False,
                           help_text="the risks behind the colour (the whole text on hover)"),
    })
    alt_ = position.alternative
    st.caption(md(f"Your alternative, pay as you go on the optimized path: "
                  f"{usd_short(alt_.expected_cost)} expected over {alt_.years} years (P10 "
                  f"{usd_short(alt_.cost_p10)}, P90 {usd_short(alt_.cost_p90)}). Internal: "
                  "the walk-away, the appetite and the alternative are not for the vendor."))

    left, right = st.columns([3, 2], gap="medium")
    with left:
        target = position.target
        others = [o.name for o in ranked]  # the package may aim at any offer
        if st.session_state.get(asks_key) and any(n not in others
                                                  for n in st.session_state[asks_key]):
            st.session_state[asks_key] = [n for n in st.session_state[asks_key]
                                          if n in others]
        chosen = st.multiselect(
            "Value the asks for", others, key=asks_key,
            placeholder="another offer" if others else "no other offer",
            help="The asks package aims at the latest vendor offer; pick offers to aim it "
                 "at instead.")
        asks_plan = with_asks_for(tuple(chosen)) if chosen else plan
        pos = asks_plan.position
        asks = pos.asks if pos is not None else []
        package = pos.package if pos is not None else None
        aimed = ", ".join(p.offer for p in pos.packages) if pos is not None and pos.packages \
            else (target.name if target is not None else "the offers")
        st.markdown(f"**The asks package** · against {md(aimed)} as it stands: each ask's "
                    "marginal value (the package minus the package without it) over the "
                    "term, on the same paths, and the shortfall chance with it alone")
        if asks:
            st.dataframe(pd.DataFrame({
                "ask": [a.description for a in asks],
                "offer": [a.offer for a in asks],
                "value": money([a.expected_value for a in asks]),
                "shortfall_after": shares([a.shortfall_probability_after for a in asks]),
            }), hide_index=True, width="stretch", column_config={
                "ask": text_column("ask", width="large", right=False),
                "offer": text_column("offer", width="small", right=False),
                "value": text_column("marginal value",
                                     help_text="the package's saving minus the package's "
                                               "without this ask"),
                "shortfall_after": text_column("shortfall after")})
        if package is not None:
            if package.none_within:
                st.caption(md(f"No asks: no package under {package.offer} is within your "
                              "appetite."))
            else:
                st.caption(md(f"The package is worth {usd(package.value)} over the term "
                              f"(interaction {usd(package.interaction)}); an ask enters at "
                              f"{usd(package.min_ask_value)} or more."))
    with right:
        contract = plan.scenario.contract
        st.markdown("**Break-even discount** · the least flat discount worth accepting at "
                    "each commitment (blue); the contract's tiers (grey)")
        chart(charts.break_even_chart(position, contract, width="container", height=180))
        named = [b for b in position.named_break_even]
        lines = [(f"at {b.label} (the whole ramp): " if b.per_year is not None else
                  f"at {usd_short(b.annual_commit, tier_edges(contract))} a year: ")
                 + ("no discount makes it pay" if b.discount is None else pct(b.discount, 1))
                 for b in named]
        st.caption(md("Above the blue line, committing beats paying as you go in "
                      "expectation; a red cross: no discount makes that amount pay."
                      + (" Your commitment, " + "; ".join(lines) + "." if lines else "")))
