"""The command line: bad input exits 2 with the field named and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCENARIOS
from tests.inprocess import commitplan

BAD = sorted((Path(__file__).parent / "bad_scenarios").iterdir())

# What each bad file's message must name (the field path or the line).
EXPECTED = {
    "bad_waiting.json": "workloads[0].waiting",
    "batch_on_interactive.yaml": "workloads[0].optimized.batch_share",
    "discount_out_of_range.yaml": "contract.discount_tiers[0].discount",
    "empty.yaml": "empty",
    "gray_without_latency.yaml": "workloads[0].acceptable_latency_minutes",
    "hit_rate_range.yaml": "workloads[0].optimized.cache_hit_rate",
    "landing_past_horizon.yaml": "workloads[0].optimized.lands_month",
    "malformed.yaml": "line 7",
    "negative_volume.yaml": "workloads[0].requests_per_month",
    "ramp_longer_than_term.yaml": "contract.commitments",
    "shares_sum.yaml": "workloads[0].optimized.models: shares sum to 1.2",
    "tiers_not_increasing.yaml": "contract.discount_tiers[1].min_annual_commit",
    "typo_field.yaml": "workloads[0].optimized.batch_shar: unknown field",
    "unknown_model.yaml": "unknown model 'claude-sonet-4-5'",
    "unknown_price_book.yaml": "price_book: unknown price book 'acme-secret-rates'",
    "zero_paths.yaml": "simulation.paths",
    "three_problems.yaml": "3 problems:",
}


def run(*args: str):
    """In process (fast); the smoke tests below run the real command in its own process."""
    return commitplan(*args)


def test_python_m_forecast_runs_in_its_own_process():
    # Smoke test: `python -m forecast`, a fresh interpreter, a bad flag and a good command.
    ok = subprocess.run([sys.executable, "-m", "forecast", "project", str(SCENARIOS[0]),
                         "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ok.returncode == 0 and '"months"' in ok.stdout, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "forecast", "project", str(SCENARIOS[0]),
                          "--jsn"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_every_bad_file_has_an_expectation():
    assert sorted(p.name for p in BAD) == sorted(EXPECTED)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_validate_rejects_bad_scenarios(path: Path):
    result = run("validate", str(path))
    assert result.returncode == 2
    assert EXPECTED[path.name] in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_mistyped_flag_exits_2_without_traceback():
    result = run("project", str(SCENARIOS[0]), "--jsn")
    assert result.returncode == 2
    assert "unrecognized arguments: --jsn" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file():
    result = run("project", "no/such/file.yaml")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_project_json_document():
    path = ROOT / "scenarios" / "team-three-workloads.yaml"
    result = run("project", str(path), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["scenario"].startswith("Small team")
    assert doc["price_book"]["id"] == "anthropic-2026-11"
    assert len(doc["months"]) == len(doc["current"]["monthly"]) == 24
    assert doc["current"]["total"] == pytest.approx(sum(doc["current"]["monthly"]))
    shapley = doc["attribution"]["shapley"]
    assert set(shapley) == {"routing", "caching", "batch"}
    # Shapley shares add up to the saving.
    assert sum(shapley.values()) == pytest.approx(doc["current"]["total"] -
                                                  doc["optimized"]["total"])
    names = [w["name"] for w in doc["workloads"]]
    assert names == ["Live chat assistant", "Nightly content pipeline", "PR review bot"]
    pr = doc["workloads"][2]
    assert pr["waiting"] == "gray" and pr["batch_eligible_share"] == pytest.approx(0.75)


def test_project_csv_and_output_file(tmp_path: Path):
    out = tmp_path / "monthly.csv"
    result = run("project", str(SCENARIOS[0]), "--csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    header = out.read_text().splitlines()[0]
    assert header == "month,workload,current,optimized,saving"


def test_the_commitplan_command_is_installed_and_runs():
    # The console script the package installs (beside this Python) is the CLI: it runs a
    # command and exits as main() does.
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "commitplan"]
    from forecast.cli import main

    assert script.load() is main
    exe = Path(sys.executable).parent / "commitplan"
    ok = subprocess.run([str(exe), "validate", str(SCENARIOS[0])], capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and "valid scenario" in ok.stdout, ok.stderr
    bad = subprocess.run([str(exe), "validate", "no-such-file.yaml"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "no such file" in bad.stderr
