"""The negotiation desk and the savings bridge in the page (``streamlit.testing.v1.AppTest``).

The figures are the library's (tested there); here, that the page shows them as the library
gives them, adds them up as a buyer reads them, and keeps what an advisor types: the bridge
beside the headline adds up line by line as shown, the position under the headline is the
one ``build_plan(..., negotiation=True)`` makes, offers typed in the Offers tab are ranked
on the same paths (with a dominance worked out by hand), a bad cell names its row and field,
and the offers are kept in the scenario (its YAML, a saved variant, a reload).
"""

from __future__ import annotations

import re

import pytest

from forecast import narrative
from forecast.formatting import usd_short
from forecast.plan import build_plan
from forecast.scenario_io import read_scenario_text, scenario_price_book
from tests.test_app import (  # noqa: F401  (_fresh: the autouse fixture, shared)
    ENTERPRISE,
    ENTERPRISE_SCENARIO,
    SAVING,
    _fresh,
    errors,
    metric,
    money,
    open_app,
    page_html,
    show,
    table_with,
    widget,
)
from ui.text import md

PATHS = 400
VENDOR = {"name": "Vendor opening", "discount": "4M: 10%", "commitments": "4M",
          "overage": "list"}
FLAT_8 = {"name": "Flat 8%", "discount": "8%", "commitments": "3M"}


def offers_key(at) -> str:
    return next(k for k in at.session_state if str(k).endswith("|offers"))


def type_offers(at, *rows: dict, view: str = "Offers"):
    at.session_state[offers_key(at)] = {"edited_rows": {}, "added_rows": list(rows),
                                        "deleted_rows": []}
    return show(at, view)


_DOLLARS = r"(-?\$[\d,]+)"


def dollars(text: str) -> float:
    return float(text.replace("$", "").replace(",", ""))


def bridge_lines(html: str, title: str) -> dict[str, float]:
    """The bridge whose title starts with ``title``, as shown: {words: amount}."""
    block = html[html.index(title):]
    block = block[:block.index("</table>")]
    rows = re.findall(r"<tr[^>]*><td>([-+=]?)</td><td>([^<]*)</td><td>" + _DOLLARS +
                      "</td></tr>", block)
    return {words: dollars(amount) for _sign, words, amount in rows}


# --------------------------------------------------------------------------- the bridge
def test_the_headline_saving_is_the_bridges_and_the_bridge_adds_up_as_shown():
    """Beside the headline, the bridge of the decision in whole dollars: today's path at
    list - levers = pay as you go; pay as you go - discount + unused = expected cost; the
    saving is the first line minus the last, and the headline shows it (to the cent each
    line is the library's; shown rounded to the dollar, each sum is within $2)."""
    at = open_app(PATHS)
    html = page_html(at)
    lines = bridge_lines(html, "Savings bridge · decision: ")
    today, levers, payg, discount, unused, cost = lines.values()
    assert list(lines) == ["today's path at list", "optimization levers",
                           "pay as you go on the optimized path", "discount earned",
                           "unused commitment", "expected cost of the decision"] or \
        list(lines)[1].startswith("optimization levers (of which stranded: $")
    assert levers < 0 and discount < 0 and unused >= 0  # shown with their signs
    assert today + levers == pytest.approx(payg, abs=2)
    assert payg + discount + unused == pytest.approx(cost, abs=2)
    saving = re.search(SAVING + ": " + _DOLLARS.replace("-?", ""), html)
    assert saving is not None
    assert dollars(saving.group(1)) == pytest.approx(today - cost, abs=2)
    # The headline figure is that saving, in the page's short format, under the one label.
    assert metric(at, SAVING) == usd_short(dollars(saving.group(1)))
    help_text = next(m.proto.help for m in at.metric if m.label == SAVING)
    assert help_text.startswith(md(saving.group(1)))


def test_stranded_savings_are_of_which_never_another_saving():
    """The commitment sized on the unoptimized forecast strands savings: its bridge (picked
    in the Commitment tab) says "of which stranded" on the levers' line, and has no other
    saving line; the unused commitment carries them."""
    at = show(open_app(PATHS), "Commitment")
    at.selectbox(key="bridge_of").select("unoptimized_forecast").run()
    assert not at.exception
    html = page_html(at)
    title = "sized on the unoptimized forecast · "
    lines = bridge_lines(html, title)
    levers = next(w for w in lines if w.startswith("optimization levers"))
    assert re.fullmatch(r"optimization levers \(of which stranded: \$[\d,]+\)", levers)
    assert len(lines) == 6 and lines["unused commitment"] > 0
    today, cost = lines["today's path at list"], lines["expected cost of the commitment"]
    assert lines["pay as you go on the optimized path"] + lines["discount earned"] + \
        lines["unused commitment"] == pytest.approx(cost, abs=2)
    assert today > cost


def test_every_tabled_commitment_has_its_colour_and_reasons():
    """The sized-on-the-unoptimized-forecast row falls short almost surely: red, and its
    reasons say why (shortfall above the appetite, stranding)."""
    at = show(open_app(PATHS), "Commitment")
    table = table_with(at, "colour")
    row = table[table["commitment"] == "sized on the unoptimized forecast"].iloc[0]
    assert row["colour"] == "red"
    assert "falls short with probability" in row["why"] and "strands" in row["why"]
    assert set(table["colour"]) <= {"green", "amber", "red"}


# --------------------------------------------------------------------------- the position
def test_the_position_under_the_headline_is_the_libraries():
    """The page's position is ``build_plan(..., negotiation=True)``'s on the same scenario,
    paths and seed, in the library's own words."""
    at = open_app(PATHS)
    html = page_html(at)
    plan = build_plan(ENTERPRISE_SCENARIO, scenario_price_book(ENTERPRISE_SCENARIO),
                      paths=PATHS, seed=ENTERPRISE_SCENARIO.simulation.seed,
                      sensitivity=False)
    position = html[html.index("Your position · internal"):]
    for heading, lines in narrative.position_items(plan):
        assert f"<dt>{heading}</dt>" in position
        for line in lines:
            assert line in position
    assert {"Target", "Walk away", "Alternative"} <= {h for h, _ in
                                                      narrative.position_items(plan)}


def test_the_page_position_is_build_plans_on_the_same_simulation():
    from ui import cache

    scenario_json = ENTERPRISE_SCENARIO.model_dump_json()
    page = cache.position_for(scenario_json, PATHS, 11).position
    plan = build_plan(ENTERPRISE_SCENARIO, scenario_price_book(ENTERPRISE_SCENARIO),
                      paths=PATHS, seed=11, sensitivity=False)
    assert page.to_dict() == plan.position.to_dict()


# --------------------------------------------------------------------------- offers
def test_offers_typed_during_a_call_are_ranked_on_the_same_paths():
    """Flat 8% commits the same $3,000,000 a year as the recommendation under the contract
    (its 10% tier's edge) at 8% instead of 10%, overage at the discounted rate in both: on
    every path max(C, 0.92 L) >= max(C, 0.90 L), so the contract dominates it."""
    at = open_app(PATHS)
    assert "$" in metric(at, "Decision") and "DECISION: " in page_html(at)
    at = type_offers(at, VENDOR, FLAT_8)
    assert not at.error, errors(at)
    table = table_with(at, "dominated_by")
    assert set(table["offer"]) == {"scenario contract", "Vendor opening", "Flat 8%"}
    assert sorted(table["rank"]) == [1, 2, 3]
    rows = {r["offer"]: r for _, r in table.iterrows()}
    assert rows["Vendor opening"]["commitment"] == "$4.00M/yr · 10% tier"
    assert rows["Flat 8%"]["commitment"] == "$3.00M/yr · 8% tier"
    assert rows["scenario contract"]["commitment"] == "$3.00M/yr · 10% tier"
    assert rows["Flat 8%"]["dominated_by"] == "scenario contract"
    assert rows["scenario contract"]["rank"] < rows["Flat 8%"]["rank"]
    for r in rows.values():
        assert r["colour"] in {"green", "amber", "red"}
        assert r["walk_away"].startswith("$") or r["walk_away"] == "none"
    assert at.get("vega_lite_chart"), "break-even chart"
    # The headline's position now names the offers' walk-aways (the target's in a sentence,
    # the others' in a few words).
    html = page_html(at)
    assert "Vendor opening: $" in html or "Vendor opening: none" in html \
        or "Vendor opening: at most $" in html


def test_a_bad_offer_cell_names_the_row_and_field_beside_the_table():
    at = type_offers(open_app(PATHS), VENDOR, {"name": "Bad one", "discount": "lots",
                                               "commitments": "3M"})
    assert not at.error, errors(at)  # nothing at the top: the answer stands
    (hint,) = at.warning
    assert md("Offers table,") in hint.value and 'row 2 \\"Bad one\\"' in hint.value
    assert "`discount`" in hint.value
    assert "cannot read" in hint.value
    # The whole row is ranked, the bad one left out until it reads.
    assert set(table_with(at, "dominated_by")["offer"]) == {"scenario contract",
                                                            "Vendor opening"}


def test_the_asks_aim_at_the_vendor_offer_and_at_another_on_request():
    """The asks package aims at the latest vendor offer by default: the vendor's offer bills
    overage at list, so the discounted rate is one of its asks with no choice made; aimed at
    the scenario contract instead, none of the asks shown is the vendor offer's."""
    at = type_offers(open_app(PATHS), VENDOR)
    asks = table_with(at, "shortfall_after")
    vendor = asks[asks["offer"] == "Vendor opening"]
    assert "overage at the discounted rate instead of list" in set(vendor["ask"])
    assert all(money(v) > 0 for v in vendor["value"])
    at.multiselect(key=next(k for k in at.session_state if str(k).endswith("|asks_for"))
                   ).select("scenario contract").run()
    assert not at.exception, at.exception
    asks = table_with(at, "shortfall_after") if any(
        "shortfall_after" in d.value.columns for d in at.dataframe) else None
    assert asks is None or "Vendor opening" not in set(asks["offer"])


def test_offers_are_kept_in_the_scenario_its_yaml_and_the_workspace():
    at = type_offers(open_app(PATHS), VENDOR, FLAT_8)
    show(at, "Files")
    kept = read_scenario_text(at.code[-1].value)
    assert [o.name for o in kept.offers] == ["Vendor opening", "Flat 8%"]
    assert kept.offers[1].discount == pytest.approx(0.08)
    at.text_input(key="variant_name").input("With offers")
    widget(at.button, "Save").click()
    at.run()
    assert not at.exception
    reloaded = open_app(PATHS)
    reloaded.selectbox(key="picker").select("With offers").run()
    show(reloaded, "Offers")
    table = table_with(reloaded, "price_protection")  # the editor, from the kept scenario
    assert list(table["name"]) == ["Vendor opening", "Flat 8%"]
    assert list(table["discount"]) == ["4M: 10%", "8%"]
    # The scenario it was saved from is back as it was: no offers.
    reloaded.selectbox(key="picker").select(ENTERPRISE).run()
    show(reloaded, "Offers")
    assert table_with(reloaded, "price_protection").empty
