"""Scenario schema: loading, saving and the messages a user sees for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.errors import ScenarioError
from forecast.scenario_io import dump_scenario, load_scenario, read_scenario_text, save_scenario
from tests.conftest import SCENARIOS, make_scenario


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_round_trip(path: Path, tmp_path: Path):
    scenario = load_scenario(path)
    for suffix in (".yaml", ".json"):
        out = tmp_path / f"copy{suffix}"
        save_scenario(scenario, out)
        assert load_scenario(out) == scenario


def test_optimized_inherits_current_fields():
    s = make_scenario({"optimized": {"batch_share": 1.0}})
    target = s.workloads[0].target
    assert target.models == {"claude-sonnet-4-5": 1.0}
    assert target.batch_share == 1.0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"optimized": {"models": {"claude-haiku-4-5": 0.7, "claude-sonnet-4-5": 0.5}}},
         r"workloads\[0\]\.optimized\.models: shares sum to 1\.2; they must sum to 1"),
        ({"requests_per_month": -1}, r"workloads\[0\]\.requests_per_month: is -1"),
        ({"optimized": {"cache_hit_rate": 1.5, "cache_ttl": "5m"}},
         r"workloads\[0\]\.optimized\.cache_hit_rate: is 1\.5"),
        ({"optimized": {"cache_hit_rate": 0.5}},
         r"workloads\[0\]\.optimized\.cache_hit_rate: is 0\.5 but cache_ttl is none"),
        ({"waiting": "interactive", "optimized": {"batch_share": 0.3}},
         r"workloads\[0\]\.optimized\.batch_share: is 0\.3 on an interactive workload"),
        ({"optimized": {"lands_month": 13}},
         r"workloads\[0\]\.optimized\.lands_month: is 13, past the 12-month horizon"),
        ({"optimized": {"models": {"claude-sonet-4-5": 1.0}}},
         r"unknown model 'claude-sonet-4-5'.*did you mean 'claude-sonnet-4-5'"),
        ({"waiting": "gray"}, r"workloads\[0\]\.acceptable_latency_minutes: a gray workload"),
        ({"monthly_tokens": {"input": 1e9}},
         r"workloads\[0\]\.monthly_tokens: give either requests_per_month"),
    ],
)
def test_bad_workload_messages_name_the_field(override, message):
    with pytest.raises(ScenarioError, match=message):
        make_scenario(override)


def test_second_workload_index_in_path():
    with pytest.raises(ScenarioError, match=r"workloads\[1\]\.optimized\.models: shares sum"):
        make_scenario({}, {"optimized": {"models": {"claude-haiku-4-5": 0.2}}})


def test_duplicate_workload_names():
    with pytest.raises(ScenarioError, match=r"workloads\[1\]\.name: 'A' is used by "):
        make_scenario({"name": "A"}, {"name": "A"})


def test_many_problems_reported_together():
    # Both problems, each naming its field, its value and what would be right, in the order
    # of the fields, and the message lists them both.
    with pytest.raises(ScenarioError) as info:
        make_scenario({"requests_per_month": -1, "urgent_share": 2})
    first, second = info.value.problems
    assert first.startswith("workloads[0].requests_per_month: is -1; ")
    assert "greater than or equal to 0" in first
    assert second.startswith("workloads[0].urgent_share: is 2; ")
    assert "less than or equal to 1" in second and "write 0.02 for 2%" in second
    assert str(info.value).startswith("2 problems:")
    assert first in str(info.value) and second in str(info.value)


def test_malformed_yaml_names_the_line():
    text = "name: x\nworkloads:\n  - name: a\n    tokens: {input: 1\n    waiting: async\n"
    with pytest.raises(ScenarioError, match=r"line 5, column \d+: not valid YAML"):
        read_scenario_text(text)


def test_contract_rules():
    with pytest.raises(ScenarioError, match=r"contract\.commitments: ramp has 3 years"):
        make_scenario(contract={"years": 2, "commitments": [1, 2, 3]}, horizon_months=24)
    with pytest.raises(ScenarioError, match=r"contract\.years: 2 years need a horizon"):
        make_scenario(contract={"years": 2})
    s = make_scenario(contract={"years": 1, "commitments": 5000})
    assert s.contract.commitment_per_year() == [5000.0]


def test_monthly_token_form():
    s = make_scenario({"requests_per_month": None, "tokens": None,
                       "monthly_tokens": {"input": 4e7, "output": 1e7}})
    w = s.workloads[0]
    assert w.volume == 1.0 and w.token_counts.input == 4e7
    text = dump_scenario(s)
    assert "monthly_tokens" in text and "requests_per_month" not in text
