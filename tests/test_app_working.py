"""The page on a live call (``streamlit.testing.v1.AppTest``): nothing typed is lost, two
tabs on one workspace agree, the offers table evaluates whole rows, uploads say why.

A reload, a restart or a second tab is a new session: a new ``AppTest`` on the same
workspace folder (the autouse fixture's). Runs at 400 paths.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_app import (  # noqa: F401  (_fresh: the autouse fixture, shared)
    ENTERPRISE,
    TEAM_TEXT,
    _fresh,
    errors,
    open_app,
    show,
    table_with,
    upload,
    widget,
)
from tests.test_app_desk import FLAT_8, VENDOR, offers_key, type_offers
from ui.text import md

PATHS = 400
#: The enterprise example's tiers, as the sidebar shows them.
TIERS = "1M: 6% / 3M: 10% / 6M: 14%"


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


def notices(at) -> str:
    return "\n".join(s.value for s in at.success)


def working_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "workspace" / "working").glob("*.json"))


def edit_everything(at):
    """A lever one notch (cache), a contract term (the tiers), two offers typed."""
    widget(at.select_slider, "Cache hit rate").set_value(-0.05).run()
    widget(at.text_input, "Discount tiers").input("1M: 6% / 3M: 11%").run()
    return type_offers(at, VENDOR, FLAT_8)


# --------------------------------------------------------------------------- working copy
def test_what_is_typed_survives_a_reload_with_the_view_open(tmp_path):
    at = edit_everything(open_app(PATHS))
    assert not at.exception and not at.error, errors(at)
    assert "working copy, saved " in captions(at)
    [copy] = working_files(tmp_path)
    kept = json.loads(copy.read_text())
    assert kept["scenario"] == ENTERPRISE and kept["view"] == "Offers"
    assert [o["name"] for o in kept["data"]["offers"]] == ["Vendor opening", "Flat 8%"]
    assert kept["levers"]["cache_shift"] == -0.05

    again = open_app(PATHS)  # a reload: a new session on the same workspace
    assert not again.exception and not again.error, errors(again)
    assert widget(again.select_slider, "Cache hit rate").value == -0.05
    assert widget(again.text_input, "Discount tiers").value == "1M: 6% / 3M: 11%"
    assert again.session_state["view_default"] == "Offers"
    table = table_with(again, "price_protection")  # the editor, from the working copy
    assert list(table["name"]) == ["Vendor opening", "Flat 8%"]
    ranked = table_with(again, "dominated_by")
    assert {"Vendor opening", "Flat 8%"} <= set(ranked["offer"])
    assert "working copy, saved " in captions(again)


def test_revert_discards_the_working_copy(tmp_path):
    at = open_app(PATHS)
    widget(at.text_input, "Discount tiers").input("1M: 6% / 3M: 11%").run()
    assert len(working_files(tmp_path)) == 1
    at.button(key="revert").click().run()
    assert working_files(tmp_path) == []
    assert "working copy" not in captions(at)
    assert widget(at.text_input, "Discount tiers").value == TIERS
    assert widget(open_app(PATHS).text_input, "Discount tiers").value == TIERS


def test_save_as_variant_names_the_working_copy_and_drops_it(tmp_path):
    at = open_app(PATHS)
    widget(at.text_input, "Discount tiers").input("1M: 6% / 3M: 11%").run()
    at.text_input(key="variant_name").input("Eleven at three")
    widget(at.button, "Save").click()
    at.run()
    assert at.selectbox(key="picker").value == "Eleven at three"
    assert widget(at.text_input, "Discount tiers").value == "1M: 6% / 3M: 11%"
    assert working_files(tmp_path) == []  # the variant is the scenario now, nothing edited
    at.selectbox(key="picker").select(ENTERPRISE).run()
    assert widget(at.text_input, "Discount tiers").value == TIERS


def test_a_second_tab_takes_up_the_later_write_and_says_so(tmp_path):
    first, second = open_app(PATHS), open_app(PATHS)
    widget(first.text_input, "Discount tiers").input("1M: 6% / 3M: 12%").run()
    # The second tab's next run (any click): the copy the first wrote wins, and it says so.
    show(second, "Commitment")
    assert widget(second.text_input, "Discount tiers").value == "1M: 6% / 3M: 12%"
    assert "was changed in another tab" in notices(second)
    # Then the second writes: the first takes that up on its next run.
    widget(second.text_input, "Discount tiers").input("1M: 6% / 3M: 9%").run()
    show(first, "Spend")
    assert widget(first.text_input, "Discount tiers").value == "1M: 6% / 3M: 9%"
    assert "was changed in another tab" in notices(first)
    # A revert over there is a write too.
    second.button(key="revert").click().run()
    show(first, "Commitment")
    assert widget(first.text_input, "Discount tiers").value == TIERS
    assert "reverted to the scenario in another tab" in notices(first)


def test_a_view_opened_in_another_tab_is_no_change(tmp_path):
    first, second = open_app(PATHS), open_app(PATHS)
    widget(first.text_input, "Discount tiers").input("1M: 6% / 3M: 12%").run()
    show(second, "Spend")  # takes the copy up
    show(first, "Savings")  # only the view: the same edit
    show(second, "Commitment")
    assert "another tab" not in notices(second)


# --------------------------------------------------------------------------- two tabs
def test_a_deletion_in_one_tab_is_seen_in_the_other(tmp_path):
    first = upload(open_app(PATHS), "team.yaml",
                   TEAM_TEXT.replace("name: Small team", "name: Shared team", 1).encode())
    name = first.selectbox(key="picker").value
    second = open_app(PATHS)
    assert name in second.selectbox(key="picker").options
    show(first, "Files")
    show(second, "Files")
    first.button(key=f"delete|{name}").click().run()
    assert name not in first.selectbox(key="picker").options
    # The other tab's next run lists the workspace again...
    show(second, "Spend")
    assert name not in second.selectbox(key="picker").options
    # ...and a delete button it drew before that run says so, not "deleted" again.
    third = open_app(PATHS)
    third.selectbox(key="picker").select(ENTERPRISE).run()
    kept = upload(first, "team.yaml",
                  TEAM_TEXT.replace("name: Small team", "name: Twice deleted", 1).encode())
    other = kept.selectbox(key="picker").value
    show(third, "Files")  # lists it
    show(kept, "Files")
    kept.button(key=f"delete|{other}").click().run()
    third.button(key=f"delete|{other}").click().run()
    assert not third.exception
    assert "was not deleted" in errors(third) and "another tab deleted it" in errors(third)
    assert "Deleted" not in notices(third)


def test_a_scenario_open_in_a_tab_when_another_deletes_it(tmp_path):
    first = upload(open_app(PATHS), "team.yaml",
                   TEAM_TEXT.replace("name: Small team", "name: Gone soon", 1).encode())
    name = first.selectbox(key="picker").value
    second = open_app(PATHS)
    second.selectbox(key="picker").select(name).run()
    show(first, "Files")
    first.button(key=f"delete|{name}").click().run()
    show(second, "Commitment")
    assert not second.exception
    assert second.selectbox(key="picker").value != name
    assert md(f"“{name}” was deleted in another tab") in notices(second)


def test_one_name_cannot_be_saved_twice_across_tabs(tmp_path):
    first, second = open_app(PATHS), open_app(PATHS)
    for at in (first, second):
        widget(at.text_input, "Discount tiers").input("1M: 6% / 3M: 11%").run()
    first.text_input(key="variant_name").input("Shared name")
    widget(first.button, "Save").click()
    first.run()
    second.text_input(key="variant_name").input("Shared name")
    widget(second.button, "Save").click()
    second.run()
    assert not second.exception
    assert md("“Shared name” is already a scenario's name") in errors(second)
    kept = [json.loads(p.read_text())["name"]
            for p in (tmp_path / "workspace").glob("*.json")]
    assert kept == ["Shared name"]
    # The user's choice: numbered.
    second.button(key="variant_numbered").click().run()
    assert second.selectbox(key="picker").value == "Shared name (2)"
    kept = sorted(json.loads(p.read_text())["name"]
                  for p in (tmp_path / "workspace").glob("*.json"))
    assert kept == ["Shared name", "Shared name (2)"]


# --------------------------------------------------------------------------- offers table
def test_a_half_typed_row_is_one_hint_beside_the_table_and_the_answer_stands():
    at = type_offers(open_app(PATHS), VENDOR)
    ranked = set(table_with(at, "dominated_by")["offer"])
    # Row 2 named, nothing else typed yet.
    at.session_state[offers_key(at)] = {"edited_rows": {}, "deleted_rows": [],
                                        "added_rows": [VENDOR, {"name": "Counter"}]}
    show(at, "Offers")
    assert not at.error, errors(at)  # nothing at the top
    [hint] = at.warning
    assert md('Offers table, row 2 "Counter"') in hint.value
    assert "type its discount or commitment" in hint.value
    assert set(table_with(at, "dominated_by")["offer"]) == ranked  # not ranked yet
    # Whole: ranked, the hint gone.
    at.session_state[offers_key(at)] = {"edited_rows": {}, "deleted_rows": [],
                                        "added_rows": [VENDOR, {"name": "Counter",
                                                                "discount": "9%",
                                                                "commitments": "3M"}]}
    show(at, "Offers")
    assert not at.warning and "Counter" in set(table_with(at, "dominated_by")["offer"])


def test_a_name_used_twice_names_the_rows_as_the_table_counts_them():
    at = type_offers(open_app(PATHS), VENDOR, FLAT_8, {**FLAT_8, "commitments": "4M"})
    [hint] = at.warning
    assert md('row 3 "Flat 8%":') + " `name`: is the name of row 2 too" in hint.value
    assert "offers[" not in hint.value


# --------------------------------------------------------------------------- uploads
def test_a_50_mb_scenario_says_why_in_the_messages():
    at = open_app(PATHS)
    big = b"# padding\n" * (5 * 2**20)  # 50 MB
    at = upload(at, "huge.yaml", big)
    text = errors(at)
    assert md("huge.yaml was not loaded") in text
    assert "the file is 50.0 MB; a scenario file is at most 4 MB" in text.replace("\\", "")


def test_the_usage_uploader_is_empty_after_an_import():
    """A new (empty) uploader once the import is made: the next import does not take the
    same files again."""
    from tests.test_app import import_fixture

    at = import_fixture(open_app(PATHS))
    keys = [u.key for u in at.get("file_uploader")]
    assert "usage_files|1" in keys and "usage_files|0" not in keys, keys
    assert not at.file_uploader(key="usage_files|1").value


def test_a_share_that_rounds_to_zero_reads_0_never_minus_0():
    """-0.04% to one decimal is 0.0% (the import report's "-0.0% to 0.0%"); -3% stays."""
    from forecast.formatting import pct

    assert pct(-0.0004, 1) == "0.0%" and pct(-0.0) == "0%" and pct(-0.004) == "0%"
    assert pct(-0.03) == "-3%" and pct(-0.006) == "-1%" and pct(0.125, 1) == "12.5%"


def test_the_import_guide_says_when_every_step_is_done():
    from tests.test_app import import_fixture

    at = import_fixture(open_app(PATHS))
    guide = "\n".join(m.value for m in at.markdown)
    assert md("set the optimized levers and enter the contract's discount tiers") in guide
    widget(at.text_input, "Discount tiers").input("100: 5%").run()
    widget(at.select_slider, "Cache hit rate").set_value(0.05).run()  # a lever a notch up
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Every step done** (2 of 2)" in shown, shown
    assert "nothing is optimized yet" not in shown
