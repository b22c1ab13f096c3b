"""The offers table (``ui/offers.py``): proposals typed during a call, read into the
scenario's ``offers:`` through the schema, every bad cell named by its row and field.

Each expected value is written out by hand from the text typed.
"""

from __future__ import annotations

import pytest

from forecast.errors import ScenarioError
from forecast.scenario import scenario_to_dict
from forecast.scenario_io import load_scenario, parse_scenario
from tests.conftest import ROOT
from ui import edits, offers

ENTERPRISE = scenario_to_dict(load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml"))
VENDOR = {"name": "Vendor opening", "discount": "4M: 10%", "commitments": "4M",
          "overage": "list"}


def typed(*rows: dict, data: dict | None = None, **state) -> edits.TableEdit:
    """The offers editor's state with ``rows`` added, applied to ``data``."""
    base = edits.apply_table_edits(data or ENTERPRISE, {})
    return offers.apply_offer_edits(base, {"added_rows": list(rows), **state})


def test_a_typed_offer_becomes_the_scenarios_offer():
    """``4M: 10%`` is one tier (4,000,000 a year earns 10%), ``4M`` a flat 4,000,000 a year
    for each of the contract's 3 years, ``list`` the overage rule; the rest is the
    contract's."""
    scenario = edits.validate(typed(VENDOR))
    (offer,) = scenario.offers
    assert offer.name == "Vendor opening"
    assert [(t.min_annual_commit, t.discount) for t in offer.discount_tiers] == [(4e6, 0.10)]
    terms = offer.to_contract(scenario.contract)
    assert terms.commitment_per_year() == [4e6, 4e6, 4e6]
    assert str(terms.overage) == "list"
    assert terms.rollover == scenario.contract.rollover == 0.0
    assert terms.years == 3


def test_one_rate_is_a_discount_for_the_commitment_beside_it():
    """``8%`` is one discount (0.08) earned from the offer's own commitment, 3,000,000; a
    share typed as ``0.25`` and a years cell of 2.0 are read as 0.25 and 2."""
    scenario = edits.validate(typed({"name": "Flat 8%", "discount": "8%", "commitments": "3M",
                                     "rollover": 0.25, "years": 2.0}))
    (offer,) = scenario.offers
    assert offer.discount == pytest.approx(0.08) and offer.discount_tiers is None
    assert offer.rollover == 0.25 and offer.years == 2 and isinstance(offer.years, int)
    terms = offer.to_contract(scenario.contract)
    assert [(t.min_annual_commit, t.discount) for t in terms.discount_tiers] == \
        [(3e6, pytest.approx(0.08))]


def test_blank_cells_take_the_contracts_terms_and_leave_the_commitment_to_the_buyer():
    scenario = edits.validate(typed({"name": "Our counter", "discount": "2.5M: 10%",
                                     "commitments": " ", "overage": None,
                                     "rollover": float("nan"), "price_protection": None}))
    offer = scenario.offers[0]
    assert offer.commitments is None and offer.overage is None and offer.rollover is None
    assert offer.price_protection is None
    terms = offer.to_contract(scenario.contract)
    assert terms.commitment_per_year() is None  # the buyer chooses
    assert terms.overage == scenario.contract.overage


def test_an_empty_added_row_is_not_an_offer_yet():
    """Clicking "add row" adds an empty row: nothing to validate until something is typed."""
    edit = typed({}, {"name": None, "discount": ""})
    assert "offers" not in edit.data and edit.problems == []
    edits.validate(edit)


def test_an_unreadable_cell_names_its_row_and_field_and_leaves_the_row_out():
    """A row that does not read is not an offer yet: the scenario keeps the whole rows, and
    the hint names the row as the table shows it (row 2, the second)."""
    edit = typed(VENDOR, {"name": "Bad one", "discount": "lots", "commitments": "3M"})
    assert [o.name for o in edits.validate(edit).offers] == ["Vendor opening"]
    (hint,) = edit.offer_hints
    assert hint.startswith('Offers table, row 2 "Bad one": discount: cannot read \'lots\'')
    assert "e.g. 1M: 6% / 3M: 10%" in hint


@pytest.mark.parametrize(("row", "expected"), [
    ({"name": "Short ramp", "commitments": "3M / 2M"},
     'Offers table, row 2 "Short ramp": commitments: ramp has 2 years for a 3-year term'),
    ({"name": "No amount", "discount": "8%"},
     'Offers table, row 2 "No amount": commitments: one discount needs the commitment'),
    ({"name": "Counter"},
     'Offers table, row 2 "Counter": type its discount or commitment'),
    ({"discount": "8%", "commitments": "3M"},
     'Offers table, row 2 "new offer": name it'),
    ({"name": "Whose", "from": "seller", "discount": "8%", "commitments": "3M"},
     'Offers table, row 2 "Whose": from:'),
])
def test_a_row_not_whole_is_a_hint_naming_its_row(row, expected):
    """A ramp of 2 amounts for the 3-year term; one discount with no commitment; a name
    alone; terms without a name: each row left out, its hint on its table row."""
    edit = typed(VENDOR, row)
    assert [o.name for o in edits.validate(edit).offers] == ["Vendor opening"]
    assert len(edit.offer_hints) == 1 and edit.offer_hints[0].startswith(expected), \
        edit.offer_hints


def test_a_term_past_the_horizon_is_the_schemas_problem_on_its_row():
    """A 4-year term on the 36-month horizon: whole on its own, refused by the scenario."""
    with pytest.raises(ScenarioError) as err:
        edits.validate(typed(VENDOR, {"name": "Too long", "years": 4}))
    assert err.value.problems[0].startswith(
        'Offers table, row 2 "Too long": years: 4 years need a horizon of at least 48 months')


def test_a_name_used_twice_is_refused_naming_both_rows():
    edit = typed(VENDOR, dict(VENDOR))
    assert [o.name for o in edits.validate(edit).offers] == ["Vendor opening"]
    assert edit.offer_hints == ['Offers table, row 2 "Vendor opening": name: is the name of '
                                "row 1 too; names are unique"]


def test_a_row_reference_in_a_schema_message_is_the_tables_row():
    """``offers[0]`` inside a message reads as the table's row (row 1 = the first)."""
    problems = edits.locate(["offers[1].name: 'X' is used by offers[0] too"], [],
                            ['row 1 "X"', 'row 2 "X"'])
    assert problems == ['Offers table, row 2 "X": name: \'X\' is used by row 1 "X" too']


def test_kept_offers_show_in_the_table_and_edit_in_place():
    """An offer saved in the scenario is a row of the table; editing its commitment and
    deleting another keeps each row's own data."""
    data = scenario_to_dict(edits.validate(typed(VENDOR, {"name": "Flat 8%", "discount": "8%",
                                                          "commitments": "3M"})))
    frame = offers.offers_frame(data)
    assert list(frame.columns) == [c.key for c in offers.COLUMNS]
    assert list(frame["name"]) == ["Vendor opening", "Flat 8%"]
    assert list(frame["discount"]) == ["4M: 10%", "8%"]
    assert list(frame["commitments"]) == ["4,000,000", "3,000,000"]
    assert frame["overage"].iloc[0] == "list" and offers.is_blank(frame["overage"].iloc[1])
    assert offers.is_blank(frame["rollover"].iloc[0])
    assert not frame["price_protection"].iloc[0]  # the contract's: no price protection
    edit = offers.apply_offer_edits(edits.apply_table_edits(data, {}), {
        "edited_rows": {"1": {"commitments": "3.5M"}}, "deleted_rows": [0]})
    scenario = edits.validate(edit)
    assert [o.name for o in scenario.offers] == ["Flat 8%"]
    assert scenario.offers[0].commitments == [3.5e6] and scenario.offers[0].discount == 0.08
    assert edit.offer_labels == ['row 1 "Flat 8%"']  # the first row the table shows


def test_the_offers_round_trip_through_the_scenario_file():
    """What the table writes is what the YAML download holds: loading it gives the offers
    back."""
    from forecast.scenario_io import dump_scenario, read_scenario_text

    scenario = edits.validate(typed(VENDOR, {"name": "Our counter", "discount": "2.5M: 10%",
                                             "rollover": 0.25, "price_protection": True}))
    again = read_scenario_text(dump_scenario(scenario))
    assert again.offers == scenario.offers
    assert again.offers[1].price_protection is True and again.offers[1].rollover == 0.25
    assert parse_scenario(scenario_to_dict(again)) == scenario


def test_a_problem_of_the_offers_table_reads_like_the_workloads_tables():
    """The row named as typed (escaped), the field in code style, the message escaped."""
    from ui.text import md, problem_md

    line = 'Offers table, row 2 "[x](http://y)": discount: cannot read \'lots\''
    assert problem_md(line) == (md('Offers table, row 2 "[x](http://y)":') + " `discount`: "
                                + md("cannot read 'lots'"))


def test_who_proposed_an_offer_is_a_column():
    """From: blank is the vendor (the default), buyer marks a counter; the table shows it and
    the scenario keeps it."""
    scenario = edits.validate(typed(VENDOR, {"name": "Our counter", "discount": "3M: 8%",
                                             "from": "buyer"}))
    assert [o.side for o in scenario.offers] == ["vendor", "buyer"]
    frame = offers.offers_frame(scenario_to_dict(scenario))
    assert list(frame["from"]) == ["vendor", "buyer"]
    assert scenario_to_dict(scenario)["offers"][1]["from"] == "buyer"
