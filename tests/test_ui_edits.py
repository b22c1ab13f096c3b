"""The page's scenario edits (``ui/edits.py``): table cells, typed amounts, portfolio levers.

Each expected value is written out by hand from the scenario it edits.
"""

from __future__ import annotations

import pytest

from forecast import formatting
from forecast.errors import ScenarioError
from forecast.scenario import load_scenario, parse_scenario, scenario_to_dict
from forecast.types import CacheTTL, Waiting
from forecast.waiting import batch_eligible_share
from tests.conftest import ROOT, SCENARIOS, make_scenario
from ui import edits

ENTERPRISE = scenario_to_dict(load_scenario(ROOT / "scenarios" / "enterprise-portfolio.yaml"))


def row_of(name: str) -> int:
    return next(i for i, w in enumerate(ENTERPRISE["workloads"]) if w["name"] == name)


# --------------------------------------------------------------------------- typed text
@pytest.mark.parametrize(("text", "models"), [
    ("claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3",
     {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.3}),
    ("claude-haiku-4-5 70%, claude-sonnet-4-5=30%",
     {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.3}),
    ("claude-opus-4-5", {"claude-opus-4-5": 1.0}),
    ("  ", None),
])
def test_parse_models(text, models):
    parsed = edits.parse_models(text)
    assert parsed == (None if models is None else pytest.approx(models))


def test_parse_models_says_how_to_write_a_mix():
    with pytest.raises(ValueError, match="write model: share pairs"):
        edits.parse_models("claude-haiku-4-5: lots, claude-sonnet-4-5: 0.3")


def test_format_models_reads_back():
    mix = {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.3}
    assert edits.parse_models(edits.format_models(mix)) == mix


def test_parse_amounts():
    assert formatting.parse_amounts("") is None
    assert formatting.parse_amounts("900k / 1.1M / 1,300,000") == [900_000, 1_100_000, 1_300_000]
    assert formatting.parse_amounts("$2.5M") == [2_500_000]
    with pytest.raises(ValueError, match="one per contract year separated by /"):
        formatting.parse_amounts("a lot")
    assert formatting.parse_amounts(formatting.format_amounts([900_000, 1_100_000])) == [900_000,
                                                                              1_100_000]


def test_parse_tiers_and_back():
    tiers = edits.parse_tiers("1M: 6% / 3M: 10% / 6,500,000: 0.14")
    assert tiers == [{"min_annual_commit": 1e6, "discount": 0.06},
                     {"min_annual_commit": 3e6, "discount": 0.10},
                     {"min_annual_commit": 6.5e6, "discount": 0.14}]
    assert edits.format_tiers(tiers) == "1M: 6% / 3M: 10% / 6.5M: 14%"
    assert edits.parse_tiers(edits.format_tiers(tiers)) == tiers
    assert edits.parse_tiers("") == []
    with pytest.raises(ValueError, match="commit: discount pairs"):
        edits.parse_tiers("1M 6%")


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
    """Log anomaly explanations plans 90% batch of an 80% eligible share: the planner warns
    (walk-back); the table only refuses values typed in it."""
    edit = edits.apply_table_edits(ENTERPRISE, {})
    edits.validate(edit)


def test_schema_errors_name_the_table_row():
    assert edits.locate(["workloads[1].optimized.models: shares sum to 1.2; they must sum to 1",
                         "contract.years: too long"], ['row 1 "A"', 'row 2 "B"']) == [
        'Workloads table, row 2 "B": optimized.models: shares sum to 1.2; they must sum to 1',
        "contract.years: too long"]


def test_emphasize_field():
    assert edits.emphasize_field('Workloads table, row 2 "B": optimized.models: sum $1') == (
        r'Workloads table, row 2 "B": `optimized.models`: sum \$1')
    assert edits.emphasize_field("contract.years: 6 years") == "`contract.years`: 6 years"


# --------------------------------------------------------------------------- portfolio levers
def test_batch_all_eligible_sets_each_workload_to_its_eligible_share():
    data = edits.apply_portfolio_levers(ENTERPRISE, edits.PortfolioLevers(batch_of_eligible=1.0))
    for w in parse_scenario(data).workloads:
        if w.waiting == Waiting.GRAY:  # under an hour nothing can wait; else the non-urgent
            expected = 0.0 if w.acceptable_latency_minutes < 60 else 1.0 - w.urgent_share
        else:
            expected = 1.0 if w.waiting == Waiting.ASYNC else 0.0
        assert w.target.batch_share == pytest.approx(expected), w.name


def test_half_of_eligible():
    i = row_of("PR review bot")  # gray, 120 minutes, urgent share 0.3: 70% eligible
    data = edits.apply_portfolio_levers(ENTERPRISE, edits.PortfolioLevers(batch_of_eligible=0.5))
    assert parse_scenario(data).workloads[i].target.batch_share == pytest.approx(0.35)


def test_cache_hit_rate_zero_turns_caching_off():
    data = edits.apply_portfolio_levers(ENTERPRISE, edits.PortfolioLevers(cache_hit_rate=0.0))
    for w in parse_scenario(data).workloads:
        if w.token_counts.cacheable_prefix > 0:
            assert w.target.cache_ttl == CacheTTL.NONE and w.target.cache_hit_rate == 0.0


def test_cache_hit_rate_switches_caching_on_where_it_was_off():
    data = edits.apply_portfolio_levers(
        ENTERPRISE, edits.PortfolioLevers(cache_hit_rate=0.9, cache_ttl="1h"))
    for w in parse_scenario(data).workloads:
        if w.token_counts.cacheable_prefix > 0:
            assert w.target.cache_hit_rate == 0.9 and w.target.cache_ttl == CacheTTL.ONE_HOUR


def test_routing_moves_a_share_of_one_models_traffic():
    i = row_of("Sales email drafting")  # Sonnet 4.5 only, kept on the optimized path
    levers = edits.PortfolioLevers(route_share=0.3, route_from="claude-sonnet-4-5",
                                   route_to="claude-haiku-4-5")
    w = parse_scenario(edits.apply_portfolio_levers(ENTERPRISE, levers)).workloads[i]
    assert w.target.models == pytest.approx({"claude-sonnet-4-5": 0.7, "claude-haiku-4-5": 0.3})
    assert w.current.models == {"claude-sonnet-4-5": 1.0}


def test_landing_and_ramp_for_every_workload():
    levers = edits.PortfolioLevers(lands_month=6, ramp_months=0)
    for w in parse_scenario(edits.apply_portfolio_levers(ENTERPRISE, levers)).workloads:
        assert (w.lands_month, w.ramp_months) == (6, 0)
    assert levers.describe() == ["land in month 6", "ramp over 0 months"]


def test_no_lever_set_changes_nothing():
    assert edits.apply_portfolio_levers(ENTERPRISE, edits.PortfolioLevers()) is ENTERPRISE


# --------------------------------------------------------------------------- variants
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_standard_variants_are_valid_scenarios(path):
    data = scenario_to_dict(load_scenario(path))
    for make, _why in edits.STANDARD_VARIANTS.values():
        parse_scenario(make(data))


def test_conservative_and_walk_back():
    cons = parse_scenario(edits.conservative(ENTERPRISE))
    assert cons.uncertainty.lever_realization.mean == pytest.approx(0.85 - 0.15)
    assert cons.uncertainty.slip_months.mean == pytest.approx(1.5 + 2.0)
    back = parse_scenario(edits.walked_back(ENTERPRISE))
    for w in back.workloads:
        if w.waiting == Waiting.GRAY:
            assert w.target.batch_share == w.current.batch_share


def test_unique_name():
    assert edits.unique_name("A", ["A", "A (2)"]) == "A (3)"
    assert edits.unique_name("B", ["A"]) == "B"
