"""Bad numbers and bad text in a scenario: refused with the field named, never a wrong
answer with exit 0, never a crash later (forecast/limits.py, forecast/scenario.py)."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from forecast import limits
from forecast.errors import ScenarioError
from forecast.formatting import parse_amounts
from forecast.plan import build_plan
from forecast.pricebook import load_price_book
from forecast.report import render_pdf
from forecast.scenario import Realization
from forecast.scenario_io import parse_scenario, read_scenario_text
from tests.conftest import BASE_WORKLOAD, ROOT, SCENARIOS
from tests.inprocess import finite_json, run_cli

BOOK = load_price_book("anthropic-2026-11")


def base() -> dict[str, Any]:
    return {"name": "t", "horizon_months": 12, "workloads": [copy.deepcopy(BASE_WORKLOAD)]}


def with_value(path: str, value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``data`` (default: a valid scenario) with ``value`` at a dotted path."""
    data = base() if data is None else data
    node: Any = data
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        if isinstance(key, str):
            node = node.setdefault(key, {})
        else:
            node = node[key]
    node[keys[-1]] = value
    return data


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return info.value.problems


def through_yaml(data: dict[str, Any]) -> list[str]:
    """Problems of the scenario once written as YAML and read back (as a user's file)."""
    with pytest.raises(ScenarioError) as info:
        read_scenario_text(yaml.safe_dump(data, sort_keys=False))
    return info.value.problems


# --------------------------------------------------------------------------- non-finite
FIELDS = [
    "workloads.0.requests_per_month", "workloads.0.tokens.input",
    "workloads.0.growth.monthly", "workloads.0.growth.volatility",
    "workloads.0.growth.monthly_sd", "workloads.0.urgent_share",
    "workloads.0.long_prompt_share", "workloads.0.us_inference_share",
    "uncertainty.shared_growth_volatility", "uncertainty.slip_months.mean",
    "uncertainty.lever_realization.sd", "uncertainty.token_drift.monthly",
    "uncertainty.price_cuts.size.sd", "uncertainty.price_cuts.annual_probability",
    "contract.commitments", "contract.shortfall_credit",
    "contract.risk_appetite.red_shortfall_probability",
]


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "1e400", "-1e400"],
                         ids=["inf", "-inf", "nan", "str-1e400", "str--1e400"])
@pytest.mark.parametrize("field", FIELDS)
def test_non_finite_values_are_refused_with_the_field(field: str, value: Any):
    found = through_yaml(with_value(field, value))
    path = field.replace(".0.", "[0].")
    assert any(p.startswith(f"{path}") and ("finite" in p or "is -inf" in p) for p in found), \
        found


def test_non_finite_in_tiers_and_offers():
    data = with_value("contract.discount_tiers",
                      [{"min_annual_commit": math.inf, "discount": 0.05}])
    data["offers"] = [{"name": "o", "commitments": [math.nan], "discount": 0.1}]
    found = through_yaml(data)
    assert any(p.startswith("contract.discount_tiers[0].min_annual_commit: is inf") for p in found)
    assert any(p.startswith("offers[0].commitments[0]: is nan") for p in found)


# --------------------------------------------------------------------------- booleans
@pytest.mark.parametrize("field", [
    "workloads.0.requests_per_month", "horizon_months", "simulation.paths",
    "workloads.0.tokens.output", "contract.commitments", "uncertainty.slip_months.mean",
])
def test_a_boolean_where_a_number_belongs_is_refused(field: str):
    found = through_yaml(with_value(field, True))
    assert any(p.startswith(field.replace(".0.", "[0].")) and "is true; a number belongs here"
               in p for p in found), found


def test_a_boolean_model_share_is_refused():
    found = problems(with_value("workloads.0.current.models", {"claude-sonnet-4-5": True}))
    assert any("workloads[0].current.models.claude-sonnet-4-5: is true" in p for p in found)


# --------------------------------------------------------------------------- upper bounds
BOUNDS = [
    ("workloads.0.requests_per_month", limits.MAX_REQUESTS_PER_MONTH, "100 billion requests"),
    ("contract.commitments", limits.MAX_ANNUAL_COMMIT, "$100 billion a year"),
    ("uncertainty.slip_months.mean", limits.MAX_SLIP_MONTHS, "two years late"),
    ("workloads.0.acceptable_latency_minutes", limits.MAX_LATENCY_MINUTES, "a year of minutes"),
]


@pytest.mark.parametrize(("field", "bound", "meaning"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_past_a_documented_bound_is_a_typo(field: str, bound: float, meaning: str):
    # Tiny tokens keep the spend check (a separate bound) out of the way.
    tiny = {"cacheable_prefix": 0, "input": 1e-9, "output": 0}
    parse_scenario(with_value(field, bound, with_value("workloads.0.tokens", tiny)))
    found = problems(with_value(field, bound * 1.5, with_value("workloads.0.tokens", tiny)))
    path = field.replace(".0.", "[0].")
    assert any(p.startswith(path) and meaning in p and "surely a typo" in p for p in found), found


def test_tokens_per_request_and_monthly_tokens_have_their_own_bounds():
    found = problems(with_value("workloads.0.tokens.input", 2e7))
    assert found == ["workloads[0].tokens.input: is 2e+07 tokens per request; above 1e+07 "
                     "(ten times the largest context window) it is surely a typo; for token "
                     "totals a month, use monthly_tokens"]
    data = base()
    w = data["workloads"][0]
    del w["tokens"], w["requests_per_month"]
    w["monthly_tokens"] = {"input": 2e15}
    found = problems(data)
    assert found[0].startswith("workloads[0].monthly_tokens.input: is 2e+15; above 1e+15 (a "
                               "quadrillion tokens a month)")


def test_tier_minimum_bound():
    found = problems(with_value("contract.discount_tiers",
                                [{"min_annual_commit": 2e11, "discount": 0.05}]))
    assert found[0].startswith("contract.discount_tiers[0].min_annual_commit: is 2e+11; above "
                               "1e+11 ($100 billion a year)")


def test_expected_spend_past_the_cap_names_the_workload_and_month():
    # 1e9 requests of 10M output tokens on Sonnet ($15 per million): 1e9 * 10 * 15 = $1.5e11
    # a month from month 1, above the $1e11 cap, though each field is within its own bound.
    data = with_value("workloads.0.tokens", {"input": 0, "output": 1e7},
                      with_value("workloads.0.requests_per_month", 1e9))
    assert problems(data) == [
        "workloads[0]: expected list spend reaches $1.5e+11 a month by 2027-01; above $1e+11 "
        "(a hundred billion dollars) a month it is surely a typo: check requests_per_month or "
        "monthly_tokens, tokens and growth.monthly"]


@pytest.mark.parametrize(("field", "value", "message"), [
    # Past the float range, an integer is quoted by its length, with the field's bound.
    ("horizon_months", 10**400, "horizon_months: is a 401-digit integer; input should be "
     "less than or equal to 60"),
    ("workloads.0.ends_month", 10**400, "workloads[0].ends_month: is a 401-digit integer; "
     "input should be less than or equal to 1200"),
    ("workloads.0.optimized", {"ramp_months": 10**40},
     "workloads[0].optimized.ramp_months: is 1000000"),
    ("simulation.seed", 2**64, "simulation.seed: is 18446744073709551616; input should be "
     "less than or equal to 9223372036854775807"),
    ("workloads.0.starts_month", 10**30, "workloads[0].starts_month: is 1000000"),
])
def test_huge_whole_numbers_are_refused(field: str, value: Any, message: str):
    found = through_yaml(with_value(field, value))
    assert any(p.startswith(message) for p in found), found


# --------------------------------------------------------------------------- percentages
@pytest.mark.parametrize(("field", "value", "message"), [
    ("workloads.0.growth.monthly", 3,
     "is 3; a monthly growth of 300% is surely a percentage: write 0.03 for 3%"),
    ("uncertainty.shared_growth_volatility", 50,
     "is 50; a monthly volatility of 5000% is surely a percentage: write 0.5 for 50%"),
    ("workloads.0.growth.volatility", 20,
     "is 20; a monthly volatility of 2000% is surely a percentage: write 0.2 for 20%"),
    ("uncertainty.token_drift.monthly", 2,
     "is 2; a monthly token drift of 200% is surely a percentage: write 0.02 for 2%"),
    ("workloads.0.urgent_share", 25, "is 25; input should be less than or equal to 1; a "
     "share or rate is a fraction: write 0.25 for 25%"),
    ("uncertainty.lever_realization.mean", 85, "is 85; input should be less than or equal "
     "to 1; a share or rate is a fraction: write 0.85 for 85%"),
    ("contract.risk_appetite.max_shortfall_probability", 10, "is 10; input should be less "
     "than 1; a share or rate is a fraction: write 0.1 for 10%"),
    ("workloads.0.growth.monthly", -0.8, "is -0.8; a monthly growth of -80% is past what a "
     "real business sees: give a fraction from -0.5 to 1 (-50% to 100%)"),
])
def test_a_percentage_typed_for_a_fraction_says_what_was_meant(field, value, message):
    path = field.replace(".0.", "[0].")
    assert f"{path}: {message}" in problems(with_value(field, value))


# --------------------------------------------------------------------------- Beta spreads
def test_a_tiny_realization_sd_is_read_as_no_spread():
    assert Realization(mean=0.8, sd=1e-200).sd == 0.0
    assert Realization(mean=0.8, sd=limits.MIN_BETA_SD).sd == limits.MIN_BETA_SD
    data = with_value("uncertainty", {"lever_realization": {"mean": 0.8, "sd": 1e-200},
                                      "price_cuts": {"annual_probability": 0.5,
                                                     "size": {"mean": 0.2, "sd": 1e-300}}})
    scenario = parse_scenario(data)
    plan = build_plan(scenario, BOOK, paths=200, seed=1, sensitivity=False)
    assert np.isfinite(plan.recommendation.recommended.expected_cost)


def test_a_beta_sd_at_its_limit_is_refused():
    # mean 0.5: the largest sd of a Beta is sqrt(0.5 * 0.5) = 0.5, not reached by any Beta.
    found = problems(with_value("uncertainty.lever_realization", {"mean": 0.5, "sd": 0.5}))
    assert found[0].startswith("uncertainty.lever_realization.sd: is 0.5; a Beta with mean "
                               "0.5 needs sd below 0.5000")


# --------------------------------------------------------------------------- names, dates
@pytest.mark.parametrize("bad", ["\x1b[31mred", "bell\x07", "line\rover", "nul\x00",
                                 "next\x85line", "del\x7f", "tab\tbed", "\ud800"],
                         ids=["ESC", "BEL", "CR", "NUL", "C1", "DEL", "tab", "surrogate"])
@pytest.mark.parametrize("field", ["name", "workloads.0.name", "offers.0.name", "contract.id"])
def test_control_characters_in_names_are_refused(field: str, bad: str):
    data = base()
    data["offers"] = [{"name": "o"}]
    found = problems(with_value(field, bad, data))
    path = field.replace(".0.", "[0].").replace("offers.0", "offers[0]")
    assert any(p.startswith(f"{path}: contains ") and "a name must be plain text" in p
               for p in found), found


def test_tabs_and_line_breaks_are_fine_in_a_description_escapes_are_not():
    parse_scenario(with_value("description", "two\tcolumns\nand lines"))
    found = problems(with_value("description", "\x1b]8;;http://x\x07link"))
    assert found[0].startswith("description: contains ESC (U+001B) at position 1")


@pytest.mark.parametrize("field", ["name", "workloads.0.name"])
def test_a_name_of_only_spaces_is_refused(field: str):
    found = problems(with_value(field, "   "))
    assert f"{field.replace('.0.', '[0].')}: is blank; give a name with at least one visible " \
           "character" in found


@pytest.mark.parametrize(("start", "ok"), [("0000-01", False), ("1999-12", False),
                                           ("2000-01", True), ("2099-12", True),
                                           ("2100-01", False)])
def test_start_year_range(start: str, ok: bool):
    data = with_value("start", start)
    if ok:
        assert parse_scenario(data).start == start
    else:
        assert f"start: is {start}; give a month from 2000-01 to 2099-12 (YYYY-MM)" in \
            problems(data)


@pytest.mark.parametrize(("text", "message"), [
    ("start: 2027-13-45", "start: is '2027-13-45', which is not a date (month must be in "
     "1..12); give the contract's first month as YYYY-MM"),
    ("start: 0000-01-01", "start: is '0000-01-01', which is not a date (year 0 is out of "
     "range)"),
    ("start: 2026-02-30", "start: is '2026-02-30', which is not a date (day is out of range "
     "for month)"),
    ("horizon_months: 1" + "0" * 5000, "horizon_months: is a 5,001-digit integer; input "
     "should be less than or equal to 60"),
])
def test_values_yaml_itself_cannot_build_name_their_field(text: str, message: str):
    # Values YAML reads but Python cannot build (a date that is no date, an integer past
    # Python's 4,300-digit conversion limit) are refused by the field they were given for.
    with pytest.raises(ScenarioError) as err:
        read_scenario_text(f"name: x\n{text}\nworkloads: []\n")
    assert message in str(err.value) and "not valid YAML/JSON" not in str(err.value)


# --------------------------------------------------------------------------- file shape
def test_duplicate_key_names_the_key_and_both_lines():
    text = "name: a\nhorizon_months: 12\nname: b\n"
    with pytest.raises(ScenarioError, match=r"line 3: duplicate key 'name' \(first on line 1\)"):
        read_scenario_text(text)


def test_duplicate_key_in_json_and_in_a_nested_mapping():
    text = '{"name": "a",\n "workloads": [{"name": "w",\n   "name": "v"}]}'
    with pytest.raises(ScenarioError, match=r"line 3: duplicate key 'name' \(first on line 2\)"):
        read_scenario_text(text)


def test_a_merge_key_may_be_overridden():
    # `<<: *defaults` then an explicit key is YAML's way to share fields, not a duplicate.
    text = (ROOT / "scenarios" / "team-three-workloads.yaml").read_text()
    text = text.replace("simulation: {paths: 10000, seed: 7}",
                        "defaults: &d {paths: 10000, seed: 7}\nsimulation: {<<: *d, seed: 8}")
    text = text.replace("defaults: &d", "x-defaults: &d")
    with pytest.raises(ScenarioError, match=r"x-defaults: unknown field"):
        read_scenario_text(text)  # the anchor's own key is unknown; the merge itself is fine
    data = yaml.safe_load(text)
    del data["x-defaults"]
    assert parse_scenario(data).simulation.seed == 8


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused_not_a_recursion_error(opening: str, closing: str):
    text = "name: " + opening * 5000 + "1" + closing * 5000
    with pytest.raises(ScenarioError, match=r"line 1: nested more than 32 levels deep"):
        read_scenario_text(text)


def test_deep_nesting_in_json_through_the_cli(tmp_path: Path):
    path = tmp_path / "deep.json"
    path.write_text('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run_cli("validate", str(path))
    assert result.code == 2 and "nested more than 32 levels deep" in result.stderr


def test_alias_bomb_is_refused():
    # Nine levels of nine aliases stand for 9^9 = 387 million values.
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(ScenarioError, match=r"more than 1,000,000 values once its YAML aliases"):
        read_scenario_text("\n".join(lines) + "\nname: x\n")


# --------------------------------------------------------------------------- all problems
def test_validate_reports_schema_and_model_problems_together(tmp_path: Path):
    data = base()
    data["workloads"][0]["optimized"] = {"lands_month": 0}
    data["workloads"][0]["current"] = {"models": {"claude-sonet-4-5": 1.0}}
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_cli("validate", str(path))
    assert result.code == 2
    assert "workloads[0].optimized.lands_month: is 0" in result.stderr
    assert "workloads[0].current.models: unknown model 'claude-sonet-4-5'" in result.stderr


def test_scenario_level_problems_are_all_reported():
    data = base()
    w = copy.deepcopy(data["workloads"][0])
    data["workloads"] = [w | {"name": "A", "optimized": {"lands_month": 13}},
                         w | {"name": "A", "starts_month": 14}]
    data["contract"] = {"years": 2}
    assert problems(data) == [
        "workloads[0].optimized.lands_month: is 13, past the 12-month horizon",
        "workloads[1].name: 'A' is used by workloads[0] too; names must be unique",
        "workloads[1].starts_month: is 14, past the 12-month horizon",
        "contract.years: 2 years need a horizon of at least 24 months; horizon_months is 12",
    ]


# --------------------------------------------------------------------------- uploads
def test_uploads_may_use_bundled_price_books_only(tmp_path: Path, monkeypatch):
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    touched: list[str] = []
    monkeypatch.setattr("forecast.scenario_checks.load_price_book",
                        lambda ref, base_dir=None: touched.append(ref))
    text = yaml.safe_dump(with_value("price_book", str(secret)))
    with pytest.raises(ScenarioError) as info:
        read_scenario_text(text, "upload.yaml", allow_book_paths=False)
    (problem,) = info.value.problems
    assert problem.startswith("price_book: is '/") and problem.endswith(
        "; uploaded scenarios may use bundled price books only: anthropic-2026-11, "
        "anthropic-2026-12")
    assert touched == [] and "hunter2" not in str(info.value)


def test_uploads_with_a_bundled_book_load():
    text = yaml.safe_dump(base())
    assert read_scenario_text(text, allow_book_paths=False).price_book == "anthropic-2026-11"


# --------------------------------------------------------------------------- CLI amounts
@pytest.mark.parametrize("text", ["1" + "0" * 400, "inf", "nan", "1e400", "2e11", "200000M"])
def test_parse_amounts_refuses_non_finite_and_huge(text: str):
    with pytest.raises(ValueError, match=r"cannot read|is more than \$100,000,000,000 a year"):
        parse_amounts(text)


def test_parse_amounts_keeps_the_bound_itself():
    assert parse_amounts("100,000M") == [1e11]


@pytest.mark.parametrize("amount", ["1" + "0" * 400, "inf", "nan", "-5", "900k/1e400"])
def test_cli_commit_refuses_bad_amounts(amount: str):
    result = run_cli("plan", str(SCENARIOS[0]), "--commit", amount)
    assert result.code == 2 and "--commit" in result.stderr
    assert "Traceback" not in result.stderr


def test_commit_repeated_keeps_every_amount():
    # `--commit A --commit B C` evaluates A, B and C (append semantics).
    result = run_cli("plan", str(SCENARIOS[0]), "--paths", "200", "--no-sensitivity", "--json",
                     "--commit", "123k", "--commit", "456k", "789k")
    assert result.code == 0, result.stderr
    named = sorted(c["annual_commit"] for c in finite_json(result.stdout)["candidates"]
                   if c["label"] == "--commit")
    assert named == [123_000.0, 456_000.0, 789_000.0]


# --------------------------------------------------------------------------- finite output
def test_zero_usage_gives_finite_json(tmp_path: Path):
    # No usage at all: every share (saving over spend, stranded over gross) is 0/0 at the
    # source; the documents must still be JSON with finite numbers.
    data = with_value("workloads.0.requests_per_month", 0)
    data["workloads"][0]["optimized"] = {"batch_share": 1.0}
    data["contract"] = {"discount_tiers": [{"min_annual_commit": 0, "discount": 0.1}]}
    path = tmp_path / "zero.yaml"
    path.write_text(yaml.safe_dump(data))
    for args in (("project", "--json"), ("plan", "--json", "--paths", "100")):
        result = run_cli(args[0], str(path), *args[1:])
        assert result.code == 0, result.stderr
        finite_json(result.stdout)


def worst(growth: float, requests: float | None = None) -> dict[str, Any]:
    """Every bound at its most dangerous valid value; the volume as large as the spend cap
    allows when ``requests`` is None."""
    w = {
        "name": "W" * 300, "requests_per_month": requests or 1.0,
        "tokens": {"cacheable_prefix": 1e7, "input": 1e7, "output": 1e7},
        "waiting": "gray", "acceptable_latency_minutes": limits.MAX_LATENCY_MINUTES,
        "current": {"models": {"claude-opus-4-1": 1.0}, "cache_ttl": "1h"},
        "optimized": {"models": {"claude-haiku-4-5": 1.0}, "batch_share": 1.0,
                      "lands_month": 60, "ramp_months": limits.MAX_RAMP_MONTHS},
        "growth": {"monthly": growth, "volatility": limits.MAX_VOLATILITY,
                   "monthly_sd": limits.MAX_GROWTH_SD},
        "ends_month": limits.MAX_ENDS_MONTH, "launch_probability": 1e-9,
    }
    return {
        "name": "N" * 300, "horizon_months": 60, "start": "2099-12",
        "simulation": {"paths": 1000, "seed": limits.MAX_SEED},
        "workloads": [w, w | {"name": "V", "growth": {"monthly": -0.5}}],
        "uncertainty": {
            "shared_growth_volatility": limits.MAX_VOLATILITY,
            "lever_realization": {"mean": 0.5, "sd": 0.4999},
            "slip_months": {"mean": limits.MAX_SLIP_MONTHS}, "walk_back_probability": 1.0,
            "token_drift": {"monthly": limits.TOKEN_DRIFT_RANGE[1],
                            "volatility": limits.MAX_TOKEN_DRIFT_VOLATILITY},
            "price_cuts": {"annual_probability": 1.0, "size": {"mean": 0.999, "sd": 0.03}}},
        "contract": {"years": 5, "commitments": [limits.MAX_ANNUAL_COMMIT],
                     "discount_tiers": [{"min_annual_commit": limits.MAX_ANNUAL_COMMIT,
                                         "discount": 0.99}],
                     "rollover": 1.0, "shortfall_credit": 1.0},
    }


def largest_valid(growth: float) -> dict[str, Any]:
    """The worst scenario with the volume raised (by bisection) to just under the spend cap."""
    low, high = 1e-30, limits.MAX_REQUESTS_PER_MONTH
    for _ in range(120):
        mid = math.sqrt(low * high)
        try:
            parse_scenario(worst(growth, mid))
            low = mid
        except ScenarioError:
            high = mid
    return worst(growth, low)


@pytest.mark.parametrize("growth", [limits.GROWTH_RANGE[1], 0.0, limits.GROWTH_RANGE[0]])
def test_plan_on_the_worst_valid_values_is_finite(growth: float, tmp_path: Path):
    data = largest_valid(growth)
    path = tmp_path / "worst.yaml"
    path.write_text(yaml.safe_dump(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy overflow or 0/0 warning fails the test
        result = run_cli("plan", str(path), "--json", "--paths", "1000",
                         "--commit", "100,000M", "--commit", "0")
        assert result.code == 0, result.stderr
        finite_json(result.stdout)
        result = run_cli("project", str(path), "--json")
        assert result.code == 0, result.stderr
        finite_json(result.stdout)


def test_validate_prints_no_numpy_warnings(tmp_path: Path):
    path = tmp_path / "worst.yaml"
    path.write_text(yaml.safe_dump(largest_valid(limits.GROWTH_RANGE[1])))
    result = subprocess.run([sys.executable, "-m", "forecast", "validate", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and result.stderr == ""


# --------------------------------------------------------------------------- PDF
def test_pdf_with_10000_character_names_and_extreme_growth():
    # Names of 10,000 characters (a table row, the title and the footer cannot hold them)
    # and growth at its bound with the volume at the spend cap: the PDF is made, no layout
    # error, the title shortened with an ellipsis.
    data = largest_valid(limits.GROWTH_RANGE[1])
    data["name"] = "N" * 10_000
    data["workloads"][0]["name"] = "W" * 10_000
    data["simulation"]["paths"] = 200
    plan = build_plan(parse_scenario(data), BOOK, paths=200, sensitivity=False)
    pdf = render_pdf(plan)
    assert pdf.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    first = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "N" * 79 + "…" in first.replace("\n", "")
