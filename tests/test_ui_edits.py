"""The page's scenario edits (``ui/edits.py``, ``ui/portfolio.py``): table cells, portfolio
levers and their tracks.

Each expected value is written out by hand from the scenario it edits.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecast.errors import ScenarioError
from forecast.scenario import scenario_to_dict
from forecast.scenario_io import load_scenario, parse_scenario
from forecast.types import CacheTTL, Waiting
from forecast.waiting import batch_eligible_share
from tests.conftest import ROOT, SCENARIOS, make_scenario
from ui import edits, portfolio

ENTERPRISE = scenario_to_dict(load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml"))


def row_of(name: str) -> int:
    return next(i for i, w in enumerate(ENTERPRISE["workloads"]) if w["name"] == name)


# --------------------------------------------------------------------------- the table
def test_the_table_shows_the_resolved_target():
    frame = edits.workloads_frame(ENTERPRISE)
    assert len(frame) == len(ENTERPRISE["workloads"])
    # Sales email drafting leaves its models out of `optimized`: it keeps Sonnet 4.5.
    row = frame.iloc[row_of("Sales email drafting")]
    assert row["optimized_models"] == "claude-sonnet-4-5: 1"
    assert row["cache_hit_rate"] == 0.6 and row["cache_ttl"] == "5m"


def test_an_edit_writes_only_the_cell_changed():
    i = row_of("Sales email drafting")
    edit = edits.apply_table_edits(ENTERPRISE, {"edited_rows": {str(i): {"lands_month": 5.0}}})
    scenario = edits.validate(edit)
    w = edit.data["workloads"][i]
    assert w["optimized"]["lands_month"] == 5 and isinstance(w["optimized"]["lands_month"], int)
    assert "models" not in w["optimized"]  # still "keep the current models"
    assert scenario.workloads[i].lands_month == 5
    assert edit.data["workloads"][:i] == ENTERPRISE["workloads"][:i]


def test_added_and_deleted_rows_keep_their_table_row_in_errors():
    n = len(ENTERPRISE["workloads"])
    edit = edits.apply_table_edits(ENTERPRISE, {
        "deleted_rows": [0],
        "added_rows": [{"name": "New bot", "requests_per_month": 1000,
                        "current_models": "claude-haiku-4-5: 1"}]})
    with pytest.raises(ScenarioError) as err:
        edits.validate(edit)
    # The new workload is workloads[n - 1] after the deletion, but row n + 1 of the table.
    assert err.value.problems == [
        f'Workloads table, row {n + 1} "New bot": waiting: missing; this field is required']


def test_a_monthly_token_workload_is_edited_in_monthly_tokens():
    data = scenario_to_dict(make_scenario({
        "requests_per_month": None, "tokens": None,
        "monthly_tokens": {"cacheable_prefix": 0, "input": 4e9, "output": 1e9}}))
    edit = edits.apply_table_edits(data, {"edited_rows": {0: {"input_tokens": 5e9}}})
    assert edits.validate(edit).workloads[0].monthly_tokens.input == 5e9
    assert "tokens" not in edit.data["workloads"][0]


def test_a_typed_batch_share_is_capped_by_the_waiting_test():
    """Support ticket triage is gray with urgent share 0.2: 80% can batch, not 90%."""
    i = row_of("Support ticket triage")
    workload = load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml").workloads[i]
    assert batch_eligible_share(workload) == pytest.approx(0.8)
    edit = edits.apply_table_edits(ENTERPRISE, {"edited_rows": {i: {"batch_share": 0.9}}})
    with pytest.raises(ScenarioError) as err:
        edits.validate(edit)
    (problem,) = err.value.problems
    assert problem.startswith(f'Workloads table, row {i + 1} "Support ticket triage": '
                              "optimized.batch_share: is 0.9, above the batch-eligible share 0.8")
    edit = edits.apply_table_edits(ENTERPRISE, {"edited_rows": {i: {"batch_share": 0.8}}})
    assert edits.validate(edit).workloads[i].target.batch_share == 0.8


def test_a_file_planned_past_the_cap_still_loads():
    """Log anomaly explanations plans 90% batch of an 80% eligible share (gray, 20% urgent):
    the file loads past the cap (the planner warns of walk-back); the same 90% typed in the
    table is refused. The table only refuses values typed in it."""
    from forecast.waiting import batch_eligible_share

    names = [w["name"] for w in ENTERPRISE["workloads"]]
    i = names.index("Log anomaly explanations")
    loaded = edits.validate(edits.apply_table_edits(ENTERPRISE, {}))
    w = loaded.workloads[i]
    assert w.target.batch_share == 0.9
    assert batch_eligible_share(w) == pytest.approx(0.8)  # 1 - 20% urgent: past the cap
    typed = edits.apply_table_edits(ENTERPRISE, {"edited_rows": {i: {"batch_share": 0.9}}})
    with pytest.raises(ScenarioError, match=r"above the batch-eligible share 0\.8"):
        edits.validate(typed)


def test_schema_errors_name_the_table_row():
    assert edits.locate(["workloads[1].optimized.models: shares sum to 1.2; they must sum to 1",
                         "contract.years: too long"], ['row 1 "A"', 'row 2 "B"']) == [
        'Workloads table, row 2 "B": optimized.models: shares sum to 1.2; they must sum to 1',
        "contract.years: too long"]


def test_the_table_follows_its_column_table():
    """Every column of the editor is one entry of COLUMNS, in that order, the levers first."""
    frame = edits.workloads_frame(ENTERPRISE)
    assert list(frame.columns) == [c.key for c in edits.COLUMNS]
    assert list(frame.columns[:3]) == ["name", "optimized_models", "batch_share"]


def test_blank_cells_follow_their_column():
    """A blank lever cell removes the field (the current value applies again); a blank
    growth cell writes 0; a blank name writes an empty name (refused by the schema)."""
    i = row_of("Sales email drafting")  # optimized cache_hit_rate 0.6 in the file
    edit = edits.apply_table_edits(ENTERPRISE, {"edited_rows": {i: {
        "cache_hit_rate": None, "growth_monthly": float("nan"), "name": " "}}})
    w = edit.data["workloads"][i]
    assert "cache_hit_rate" not in w["optimized"]
    assert w["growth"]["monthly"] == 0.0
    assert w["name"] == ""


def test_a_blank_lever_cell_of_a_workload_without_a_plan_adds_nothing():
    data = scenario_to_dict(make_scenario({}))  # BASE_WORKLOAD has no `optimized`
    edit = edits.apply_table_edits(data, {"edited_rows": {0: {"batch_share": None}}})
    assert "optimized" not in edit.data["workloads"][0]


# --------------------------------------------------------------------------- portfolio levers
GRAY = {"waiting": "gray", "acceptable_latency_minutes": 120, "urgent_share": 0.3}
PREFIX = {"tokens": {"cacheable_prefix": 2000, "input": 1000, "output": 500}}


def two_workloads() -> dict:
    """W0: async (all of it may batch), plans 20% batch, caches at 50% (5m), lands month 2,
    ramps 0; W1: gray with 70% eligible (latency 120 min, urgent 30%), plans 35% batch (half
    of what may wait), caches at 90%, lands month 5, ramps 3 months."""
    return scenario_to_dict(make_scenario(
        {**PREFIX, "optimized": {"batch_share": 0.2, "cache_hit_rate": 0.5, "cache_ttl": "5m",
                                 "lands_month": 2}},
        {**PREFIX, **GRAY, "optimized": {"batch_share": 0.35, "cache_hit_rate": 0.9,
                                         "cache_ttl": "5m", "lands_month": 5,
                                         "ramp_months": 3}}))


def test_a_batch_notch_moves_each_workload_from_its_own_plan():
    """+10 points of what may batch: W0 0.2 -> 0.3; W1 half of 0.7 -> 0.6 x 0.7 = 0.42."""
    moved = parse_scenario(portfolio.apply_portfolio_levers(
        two_workloads(), portfolio.PortfolioLevers(batch_shift=0.1)))
    assert [w.target.batch_share for w in moved.workloads] == pytest.approx([0.3, 0.42])


def test_the_batch_lever_ends_at_nothing_and_at_all_that_may_wait():
    data = two_workloads()
    none = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(-1.0)))
    assert [w.target.batch_share for w in none.workloads] == [0.0, 0.0]
    every = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(1.0)))
    assert [w.target.batch_share for w in every.workloads] == pytest.approx([1.0, 0.7])


def test_batch_all_eligible_sets_each_workload_to_its_eligible_share():
    data = portfolio.apply_portfolio_levers(ENTERPRISE, portfolio.PortfolioLevers(batch_shift=1.0))
    for w in parse_scenario(data).workloads:
        if w.waiting == Waiting.GRAY:  # under an hour nothing can wait; else the non-urgent
            expected = 0.0 if w.acceptable_latency_minutes < 60 else 1.0 - w.urgent_share
        else:
            expected = 1.0 if w.waiting == Waiting.ASYNC else 0.0
        assert w.target.batch_share == pytest.approx(expected), w.name


def test_a_cache_notch_moves_each_hit_rate_and_zero_turns_caching_off():
    data = two_workloads()
    up = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(
        cache_shift=0.05)))
    assert [w.target.cache_hit_rate for w in up.workloads] == pytest.approx([0.55, 0.95])
    down = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(
        cache_shift=-0.5)))  # W0 0.5 -> 0: off; W1 0.9 -> 0.4
    assert down.workloads[0].target.cache_ttl == CacheTTL.NONE
    assert down.workloads[0].target.cache_hit_rate == 0.0
    assert down.workloads[1].target.cache_hit_rate == pytest.approx(0.4)


def test_a_cache_notch_starts_caching_where_the_plan_had_none():
    data = scenario_to_dict(make_scenario({**PREFIX, "optimized": {"lands_month": 2}}))
    w = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(
        cache_shift=0.1))).workloads[0]
    assert w.target.cache_hit_rate == pytest.approx(0.1)
    assert w.target.cache_ttl == CacheTTL.FIVE_MINUTES


def test_cache_ttl_for_every_workload_that_caches():
    data = portfolio.apply_portfolio_levers(ENTERPRISE, portfolio.PortfolioLevers(cache_ttl="1h"))
    for w in parse_scenario(data).workloads:
        if w.target.cache_hit_rate > 0:
            assert w.target.cache_ttl == CacheTTL.ONE_HOUR, w.name


def test_routing_moves_a_share_of_one_models_traffic():
    i = row_of("Sales email drafting")  # Sonnet 4.5 only, kept on the optimized path
    levers = portfolio.PortfolioLevers(route_share=0.3, route_from="claude-sonnet-4-5",
                                   route_to="claude-haiku-4-5")
    w = parse_scenario(portfolio.apply_portfolio_levers(ENTERPRISE, levers)).workloads[i]
    assert w.target.models == pytest.approx({"claude-sonnet-4-5": 0.7, "claude-haiku-4-5": 0.3})
    assert w.current.models == {"claude-sonnet-4-5": 1.0}


def test_landing_and_ramp_move_from_each_plan_within_bounds():
    """Lands 2 and 5, ramps 0 and 3 months, horizon 12: two months later lands 4 and 7;
    twelve later both land in month 12 (the horizon); ramps a month shorter are 0 and 2."""
    data = two_workloads()
    later = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(
        lands_shift=2, ramp_shift=-1)))
    assert [(w.lands_month, w.ramp_months) for w in later.workloads] == [(4, 0), (7, 2)]
    last = parse_scenario(portfolio.apply_portfolio_levers(data, portfolio.PortfolioLevers(
        lands_shift=12)))
    assert [w.lands_month for w in last.workloads] == [12, 12]
    assert portfolio.PortfolioLevers(lands_shift=2, ramp_shift=-1).describe() == [
        "land 2 months later", "ramp 1 month shorter"]


def test_no_lever_moved_changes_nothing():
    assert portfolio.apply_portfolio_levers(ENTERPRISE, portfolio.PortfolioLevers()) is ENTERPRISE


# --------------------------------------------------------------------------- lever tracks
def test_the_batch_track_starts_at_the_planned_share():
    """Batched fractions of what may wait: W0 0.2, W1 0.5; spend weights 1 and 3; eligible
    shares 1 and 0.7. Planned portfolio share = (1 x 1 x 0.2 + 3 x 0.7 x 0.5) / (1 + 2.1)
    = 1.25 / 3.1. Notches of 5 points run from -0.50 (W1 reaches 0) to +0.80 (W0 reaches 1)."""
    track = portfolio.batch_track(parse_scenario(two_workloads()), np.array([1.0, 3.0]))
    assert track.shifts[0] == -0.5 and track.shifts[-1] == 0.8
    assert len(track.shifts) == 27 and track.shifts[track.planned] == 0.0
    assert track.value_of(0.0) == pytest.approx(1.25 / 3.1)
    # One notch up: (0.25 + 2.1 x 0.55) / 3.1; all the way: everything that may wait.
    assert track.value_of(0.05) == pytest.approx((0.25 + 2.1 * 0.55) / 3.1)
    assert track.value_of(0.8) == pytest.approx(1.0)
    assert track.value_of(-0.5) == pytest.approx(0.0)


def test_the_cache_track_weighs_only_workloads_with_a_prefix():
    """Hit rates 0.5 and 0.9 with weights 2 and 2, a third workload with no prefix (weight
    100) left out: planned 0.7; +10 points: (0.6 + 1.0) / 2 = 0.8."""
    scenario = parse_scenario({**two_workloads(), "workloads": [
        *two_workloads()["workloads"], {**scenario_to_dict(make_scenario())["workloads"][0],
                                        "name": "no prefix"}]})
    track = portfolio.cache_track(scenario, np.array([2.0, 2.0, 100.0]))
    assert track.value_of(0.0) == pytest.approx(0.7)
    assert track.value_of(0.1) == pytest.approx(0.8)
    assert track.shifts[0] == -0.9 and track.shifts[-1] == 0.5


def test_month_tracks_show_the_months_they_give():
    scenario = parse_scenario(two_workloads())
    lands = portfolio.months_track(scenario, ramp=False)
    # From -4 (the later one, month 5, lands in month 1) to +10 (the earlier one, month 2,
    # lands in month 12, the horizon).
    assert lands.shifts == tuple(range(-4, 11)) and lands.shifts[lands.planned] == 0
    assert lands.value_of(0) == "months 2–5"
    assert lands.value_of(-4) == "month 1" and lands.value_of(10) == "month 12"
    ramp = portfolio.months_track(scenario, ramp=True)
    assert ramp.value_of(0) == "0–3 months" and ramp.value_of(-3) == "0 months"
    assert ramp.value_of(2) == "2–5 months"


def test_no_track_when_nothing_can_move():
    interactive = parse_scenario(scenario_to_dict(make_scenario({"waiting": "interactive"})))
    assert portfolio.batch_track(interactive, np.array([1.0])) is None
    assert portfolio.cache_track(interactive, np.array([1.0])) is None
    assert portfolio.months_track(interactive, ramp=False) is None

# --------------------------------------------------------------------------- variants
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_standard_variants_are_the_librarys_on_scenario_data(path):
    from forecast.variations import STANDARD_VARIANTS

    scenario = load_scenario(path)
    assert list(edits.STANDARD_VARIANTS) == list(STANDARD_VARIANTS)
    for name, (edit, why) in edits.STANDARD_VARIANTS.items():
        assert parse_scenario(edit(scenario_to_dict(scenario))) == \
            STANDARD_VARIANTS[name].vary(scenario)
        assert why == STANDARD_VARIANTS[name].why


# --------------------------------------------------------------------------- names
def test_unique_name():
    assert edits.unique_name("A", ["A", "A (2)"]) == "A (3)"
    assert edits.unique_name("B", ["A"]) == "B"


# --------------------------------------------------------------------------- the next notch
def test_the_next_notch_follows_one_lever_the_way_it_moved():
    """A nudge of one tracked lever predicts one more notch the same way; any other change
    (a second lever, or a lever without a track) predicts nothing; the track's end stops it."""
    scenario = parse_scenario(two_workloads())
    tracks = {"batch": portfolio.batch_track(scenario, np.array([1.0, 3.0])),
              "cache": None,
              "lands": portfolio.months_track(scenario, ramp=False)}
    plan = portfolio.PortfolioLevers()
    assert portfolio.next_notch(plan, portfolio.PortfolioLevers(batch_shift=-0.05), tracks) == \
        portfolio.PortfolioLevers(batch_shift=-0.1)
    assert portfolio.next_notch(portfolio.PortfolioLevers(lands_shift=2),
                            portfolio.PortfolioLevers(lands_shift=1), tracks) == \
        portfolio.PortfolioLevers(lands_shift=0)
    # Two levers at once, an untracked one, the end of the track (+0.80), nothing moved.
    assert portfolio.next_notch(plan, portfolio.PortfolioLevers(batch_shift=0.05, lands_shift=1),
                            tracks) is None
    assert portfolio.next_notch(plan, portfolio.PortfolioLevers(cache_shift=0.05), tracks) is None
    assert portfolio.next_notch(portfolio.PortfolioLevers(batch_shift=0.75),
                            portfolio.PortfolioLevers(batch_shift=0.8), tracks) is None
    assert portfolio.next_notch(plan, plan, tracks) is None
    # Another setting changed with it (a TTL): not a nudge.
    assert portfolio.next_notch(plan, portfolio.PortfolioLevers(batch_shift=0.05, cache_ttl="1h"),
                            tracks) is None
