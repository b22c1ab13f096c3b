"""After signing: the commitment tracked against usage to date (forecast/tracking/).

Figures worked by hand from small Console exports written here (prices of
anthropic-2026-11: Sonnet 4.5 $3 / $15, Haiku 4.5 $1 / $5, Opus 4.5 $5 / $25 per million
tokens, batch half price), and the bundled example (scenarios/signed-contract-tracking.yaml
with tests/fixtures/tracking/, whose generator works out each month's list cost itself).
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from forecast.errors import PlannerError
from forecast.pricebook import load_price_book
from forecast.scenario_io import load_scenario, parse_scenario
from forecast.tracking import (
    LEVER_TOLERANCE,
    Status,
    WarningKind,
    read_usage_to_date,
    track,
    track_usage,
)
from forecast.types import Lever
from tests.conftest import ROOT
from tests.inprocess import finite_json, run_cli

BOOK = load_price_book("anthropic-2026-11")
EXAMPLE = ROOT / "scenarios" / "signed-contract-tracking.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "tracking"
EXAMPLE_USAGE = FIXTURES / "console-usage-2026-12-to-2027-05.csv"
HEADER = ("date,model,workspace,api_key,service_tier,input_tokens_uncached,"
          "cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens")
M = 1_000_000


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_usage", FIXTURES / "make_usage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def days_of(month: str) -> list[str]:
    year, m = (int(p) for p in month.split("-"))
    return [dt.date(year, m, d).isoformat() for d in range(1, calendar.monthrange(year, m)[1] + 1)]


def csv_rows(month: str, workspace: str, model: str, uncached: int, output: int,
             tier: str = "standard") -> list[str]:
    """The same row on every day of ``month``."""
    return [f"{d},{model},{workspace},key-{workspace},{tier},{uncached},0,0,0,{output}"
            for d in days_of(month)]


def console(*rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *(r for block in rows for r in block)]) + "\n").encode()


def scenario(**over: Any) -> Any:
    """One workload, Chat, on Sonnet 4.5; a one-year contract of $10,000 at 10% off."""
    data: dict[str, Any] = {
        "name": "tracked", "start": "2027-01", "horizon_months": 12,
        "simulation": {"paths": 200, "seed": 3},
        "workloads": [{
            "name": "Chat", "requests_per_month": 1000,
            "tokens": {"input": 1000, "output": 100}, "waiting": "async",
            "current": {"models": {"claude-sonnet-4-5": 1.0}},
            "growth": {"monthly": 0.02},
            "usage_match": {"workspace": ["chat"]},
        }],
        "contract": {"years": 1, "commitments": [10_000],
                     "discount_tiers": [{"min_annual_commit": 5000, "discount": 0.10}]},
    }
    for key, value in over.items():
        data[key] = value
    return parse_scenario(data)


SONNET = "claude-sonnet-4-5"
# Chat in January: 1M input and 0.1M output a day on Sonnet 4.5 = 3.00 + 1.50 = $4.50 a day,
# 31 days = $139.50. February: 2M and 0.1M = 6.00 + 1.50 = $7.50 a day, 28 days = $210.
# 'other' on 2027-02-10 only: 1M Haiku 4.5 input = $1.00 (matches no workload).
JAN, FEB, OTHER = 31 * 4.50, 28 * 7.50, 1.00
SMALL = console(csv_rows("2027-01", "chat", SONNET, M, 100_000),
                csv_rows("2027-02", "chat", SONNET, 2 * M, 100_000),
                ["2027-02-10,claude-haiku-4-5,other,key-other,standard,1000000,0,0,0,0"])


def tracked(s: Any, content: bytes, **kwargs: Any) -> Any:
    return track_usage(s, BOOK, [("usage.csv", content)], **kwargs)


# --------------------------------------------------------------------------- consumption
def test_consumption_to_date_is_the_usage_at_list_less_the_discount_to_the_cent():
    t = tracked(scenario(), SMALL)
    assert t.as_of == "2027-02"  # the last month the export covers in full
    year = t.years[0]
    # Every line draws the commitment down, the unmatched one too: (139.50 + 210 + 1) x 0.9.
    assert year.consumed_to_date == pytest.approx((JAN + FEB + OTHER) * 0.9, abs=0.005)
    assert year.consumed_to_date == pytest.approx(315.45, abs=0.005)
    assert year.committed == 10_000 and year.discount == 0.10


def test_no_uncertainty_left_gives_the_exact_year_end():
    """No volatility, no plan, no spread: each month after February is February's level
    (Chat $210 for 28 days, 'other' $1.00 for 28 days) grown 2% a month for Chat, flat for
    the unmatched usage, times the month's days over February's."""
    t = tracked(scenario(), SMALL)
    year = t.years[0]
    days = [31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # March to December 2027
    rest = sum((FEB * 1.02 ** k + OTHER) * d / 28 for k, d in enumerate(days, start=1))
    expected = 0.9 * (JAN + FEB + OTHER + rest)
    # To the cent (the simulation's cells are float32: a relative 1e-7 at most).
    assert year.expected_at_year_end == pytest.approx(expected, abs=0.005)
    assert year.p10 == pytest.approx(expected, abs=0.005)
    assert year.p90 == pytest.approx(expected, abs=0.005)
    # Far below the $10,000 committed: short on every path, the gap paid anyway.
    assert year.shortfall_probability == 1.0
    assert year.expected_unused == pytest.approx(10_000 - expected, abs=0.005)
    assert any(w.kind == WarningKind.SHORTFALL and w.year == 1 for w in t.warnings)


def test_a_closed_year_is_exact_whatever_the_spread():
    """Year 1 fully observed (2027-01 to 2027-12) on a two-year contract with volatility:
    its year-end figure is what was consumed, on every path."""
    s = scenario(horizon_months=24, contract={
        "years": 2, "commitments": [900, 900],
        "discount_tiers": [{"min_annual_commit": 500, "discount": 0.10}]},
        uncertainty={"shared_growth_volatility": 0.1})
    months = [f"2027-{m:02d}" for m in range(1, 13)]
    content = console(*(csv_rows(m, "chat", SONNET, M, 0) for m in months))
    t = tracked(s, content)
    assert t.as_of == "2027-12"
    y1, y2 = t.years
    consumed = 0.9 * 3.00 * 365  # $3 a day (1M Sonnet input), 365 days, 10% off
    assert y1.consumed_to_date == pytest.approx(consumed, abs=0.005)
    assert y1.expected_at_year_end == y1.p10 == y1.p90 == pytest.approx(consumed, abs=0.005)
    assert y1.shortfall_probability == 0.0 and y1.closed
    assert y2.consumed_to_date == 0.0 and y2.p10 < y2.p90  # the spread is in year 2 only


def test_unmatched_usage_is_reported_not_dropped():
    t = tracked(scenario(), SMALL)
    unmatched = [w for w in t.warnings if w.kind == WarningKind.UNMATCHED]
    assert len(unmatched) == 1
    assert "1 usage lines ($1.00 at list to date" in unmatched[0].message
    assert "'other'" in unmatched[0].message
    assert t.unattributed_list == pytest.approx(OTHER)


def test_a_line_matching_two_workloads_is_reported_and_counted_once():
    s = scenario()
    data = s.model_dump(mode="json", exclude_none=True)
    second = copy.deepcopy(data["workloads"][0])
    second["name"] = "Everything on Sonnet"
    second["usage_match"] = {"model": [SONNET]}
    data["workloads"].append(second)
    t = tracked(parse_scenario(data), SMALL)
    ambiguous = [w for w in t.warnings if w.kind == WarningKind.AMBIGUOUS]
    assert len(ambiguous) == 1 and "Chat and Everything on Sonnet" in ambiguous[0].message
    # 31 + 28 Chat lines match both; counted once: the same consumption as before.
    assert ambiguous[0].message.startswith("59 usage lines ($349.50 at list to date)")
    assert t.years[0].consumed_to_date == pytest.approx((JAN + FEB + OTHER) * 0.9, abs=0.005)


# --------------------------------------------------------------------------- status
def batch_scenario(**optimized: Any) -> Any:
    plan = {"batch_share": 1.0, "lands_month": 1, "ramp_months": 0} | optimized
    return scenario(workloads=[{
        "name": "Nightly", "requests_per_month": 1000, "tokens": {"input": 1000},
        "waiting": "async", "current": {"models": {"claude-opus-4-5": 1.0}},
        "optimized": plan, "usage_match": {"workspace": ["nightly"]}}])


def batch_usage(month: str, share: float) -> list[str]:
    """Opus 4.5, 1M input a day, a share of it on the batch tier."""
    return [*csv_rows(month, "nightly", "claude-opus-4-5", round(share * M), 0, "batch"),
            *csv_rows(month, "nightly", "claude-opus-4-5", round((1 - share) * M), 0)]


def test_observed_batch_share_below_plan_is_behind():
    """Planned 100% batch from month 1; observed 20% (the batched share of the list cost
    before the batch discount): 80 points short, behind."""
    t = tracked(batch_scenario(), console(batch_usage("2027-01", 0.2)))
    w = t.workloads[0]
    assert w.status == Status.BEHIND
    batch = next(c for c in w.checks if c.lever == Lever.BATCH)
    assert batch.planned == 1.0 and batch.observed == pytest.approx(0.2)
    assert batch.gap == pytest.approx(-0.8) and batch.status == Status.BEHIND
    # At the observed volume, the plan's levers cost 0.5 / (0.2 x 0.5 + 0.8) of it: January
    # cost 31 x 5 x (0.1 + 0.8) = $139.50, so the plan would cost $77.50; $62.00 more.
    assert w.extra_cost == pytest.approx(31 * 5 * 0.9 - 31 * 5 * 0.5, abs=1e-6)
    warning = next(x for x in t.warnings if x.kind == WarningKind.BEHIND_PLAN)
    assert warning.message.startswith(
        "Nightly: land the batch move (planned 100% batch by 2027-01, observed 20% in 2027-01)")


@pytest.mark.parametrize(("observed", "status"), [
    (1.0 - LEVER_TOLERANCE, Status.ON_PLAN),  # 5 points short: on plan
    (0.90, Status.BEHIND),
])
def test_batch_within_five_points_is_on_plan(observed: float, status: Status):
    t = tracked(batch_scenario(), console(batch_usage("2027-01", observed)))
    assert t.workloads[0].status == status


def test_batch_ahead_of_the_ramp_is_ahead():
    """The plan ramps batch in over 4 months from month 1: 25% planned in January; 60%
    observed."""
    t = tracked(batch_scenario(ramp_months=4), console(batch_usage("2027-01", 0.6)))
    w = t.workloads[0]
    assert w.planned.batch_share == pytest.approx(0.25)
    assert w.status == Status.AHEAD


def test_a_batch_move_that_falls_back_is_reverted():
    """On plan in January (100%), 20% in February: walked back."""
    content = console(batch_usage("2027-01", 1.0), batch_usage("2027-02", 0.2))
    t = tracked(batch_scenario(), content)
    assert t.workloads[0].status == Status.REVERTED
    assert any(w.kind == WarningKind.REVERTED for w in t.warnings)
    # Taken as final: the re-simulated plan does not land it again. February's $139.20
    # (28 days x $5 x (0.1 + 0.8)) carries on flat (no growth, no spread) to December.
    feb = 28 * 5 * (0.2 * 0.5 + 0.8)
    rest = sum(feb * d / 28 for d in [31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    jan = 31 * 5 * 0.5
    s_growth0 = tracked(_no_growth(batch_scenario()), content)
    assert s_growth0.years[0].expected_at_year_end == pytest.approx(
        0.9 * (jan + feb + rest), abs=0.005)


def _no_growth(s: Any) -> Any:
    data = s.model_dump(mode="json", exclude_none=True)
    for w in data["workloads"]:
        w["growth"] = {"monthly": 0.0}
    return parse_scenario(data)


def test_a_dearer_model_mix_than_planned_is_behind():
    """Planned all on Haiku 4.5 from month 1; the usage stays on Opus 4.5."""
    s = batch_scenario(batch_share=0.0, models={"claude-haiku-4-5": 1.0})
    t = tracked(s, console(batch_usage("2027-01", 0.0)))
    routing = next(c for c in t.workloads[0].checks if c.lever == Lever.ROUTING)
    assert routing.gap == pytest.approx(1.0)  # total-variation distance: all of it moved
    assert routing.status == Status.BEHIND and t.workloads[0].status == Status.BEHIND


def test_the_remaining_plan_lands_after_as_of():
    """Batch planned from month 3 (not due by the as-of month 2027-01): January is on plan
    at 0%; the forecast lands it in March: March on is half price."""
    s = _no_growth(batch_scenario(lands_month=3))
    t = tracked(s, console(batch_usage("2027-01", 0.0)))
    assert t.workloads[0].status == Status.ON_PLAN
    per_day = 5.0  # $5 a day at list in January
    days = [28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # February to December 2027
    rest = per_day * days[0] + sum(per_day * 0.5 * d for d in days[1:])
    assert t.years[0].expected_at_year_end == pytest.approx(0.9 * (31 * per_day + rest),
                                                            abs=0.005)


# --------------------------------------------------------------------------- the example
@pytest.fixture(scope="module")
def example() -> Any:
    s = load_scenario(EXAMPLE)
    return track_usage(s, BOOK, [(EXAMPLE_USAGE.name, EXAMPLE_USAGE.read_bytes())])


def test_example_consumption_is_the_generators_arithmetic(example: Any):
    costs = _generator().monthly_list_costs()
    year1 = sum(sum(costs[m].values()) for m in ("2027-01", "2027-02", "2027-03", "2027-04"))
    assert example.as_of == "2027-04"
    assert example.years[0].consumed_to_date == pytest.approx(0.92 * year1, abs=0.005)
    assert example.years[1].consumed_to_date == 0.0


def test_example_statuses(example: Any):
    status = {w.name: w.status for w in example.workloads}
    assert status == {"Support chat": Status.ON_PLAN, "Nightly enrichment": Status.BEHIND,
                      "PR review": Status.REVERTED}
    kinds = [w.kind for w in example.warnings]
    assert WarningKind.UNMATCHED in kinds  # the sandbox workspace
    assert {"Nightly enrichment", "PR review"} == {w.workload for w in example.warnings
                                                   if w.workload}


def test_example_summary_and_json_keys(example: Any):
    frame = example.summary()
    assert list(frame["year"]) == [1, 2]
    document = example.to_dict()
    assert set(document) == {"as_of", "years", "workloads", "warnings"}
    # every field of a year and of a workload, in the order the dataclass declares them
    # (forecast.results: one serializer, so that the JSON never drops a field)
    assert list(document["years"][0]) == [
        "year", "first_month", "last_month", "committed", "discount", "consumed_to_date",
        "expected_at_year_end", "p10", "p90", "shortfall_probability", "expected_unused",
        "expected_overage", "months_observed"]
    assert list(document["workloads"][0]) == ["name", "month", "planned", "observed",
                                              "status", "checks", "extra_cost", "lands"]
    assert all(isinstance(w, str) for w in document["warnings"])
    burn = example.burn_down
    assert len(burn) == 24
    # The fan starts on the actual: April's forecast equals April's consumption to date.
    april = burn[burn["month"] == "2027-04"].iloc[0]
    assert april["p10"] == pytest.approx(april["actual"], abs=1e-6)
    assert april["p90"] == pytest.approx(april["actual"], abs=1e-6)


def test_example_burn_down_chart_has_the_three_parts(example: Any):
    from forecast.charts import burn_down_chart

    spec = burn_down_chart(example, 1).to_dict()
    text = json.dumps(spec)
    assert "consumed to date" in text and "committed" in text and "p90" in text
    with pytest.raises(ValueError, match="year 3"):
        burn_down_chart(example, 3)


# --------------------------------------------------------------------------- import
def test_import_writes_usage_match_and_track_reads_it_back():
    from forecast.usage import import_usage

    path = ROOT / "tests" / "fixtures" / "usage" / "console-usage.csv"
    result = import_usage([(path.name, path.read_bytes())])
    matches = {w.name: w.usage_match for w in result.scenario.workloads}
    assert {n: m.workspace for n, m in matches.items()} == {"Support": ["Support"],
                                                            "Research": ["Research"]}
    data = result.scenario.model_dump(mode="json", exclude_none=True)
    data["start"] = "2026-03"  # the export's first full month
    data["contract"] = {"years": 1, "commitments": [1000]}
    s = parse_scenario(data)
    t = track_usage(s, BOOK, [(path.name, path.read_bytes())], as_of="2026-04")
    assert not [w for w in t.warnings if w.kind in (WarningKind.UNMATCHED,
                                                    WarningKind.AMBIGUOUS)]
    assert {w.status for w in t.workloads} == {Status.ON_PLAN}


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("as_of", "message"), [
    ("2027-4", "--as-of: '2027-4' is not a month; give YYYY-MM"),
    ("2026-12", "--as-of: 2026-12 is before the contract start 2027-01"),
    ("2028-01", "--as-of: 2028-01 is past the contract's end (2027-12)"),
    ("2027-03", "--as-of: the usage does not cover 2027-03 in full"),
])
def test_bad_as_of_is_refused_with_the_reason(as_of: str, message: str):
    with pytest.raises(PlannerError, match=re.escape(message)):
        tracked(scenario(), SMALL, as_of=as_of)


def test_usage_all_before_the_start_is_refused():
    content = console(csv_rows("2026-11", "chat", SONNET, M, 0))
    with pytest.raises(PlannerError, match="all before the contract start 2027-01"):
        tracked(scenario(), content)


def test_usage_partly_before_the_start_is_left_out_and_said():
    content = console(csv_rows("2026-12", "chat", SONNET, M, 0),
                      csv_rows("2027-01", "chat", SONNET, M, 0))
    t = tracked(scenario(), content)
    assert t.years[0].consumed_to_date == pytest.approx(0.9 * 31 * 3.0, abs=0.005)
    assert any("31 usage lines before the contract start 2027-01 ($93.00 at list)" in n
               for n in t.notes)


def test_a_missing_month_is_refused():
    content = console(csv_rows("2027-01", "chat", SONNET, M, 0),
                      csv_rows("2027-03", "chat", SONNET, M, 0))
    # A Console export counts the days between its rows as covered, so a gap needs two
    # files: January's, then March's.
    with pytest.raises(PlannerError, match="not 2027-02: usage to date must cover every month"):
        track_usage(scenario(), BOOK, [
            ("jan.csv", console(csv_rows("2027-01", "chat", SONNET, M, 0))),
            ("mar.csv", console(csv_rows("2027-03", "chat", SONNET, M, 0)))])
    assert content  # (one file covering both is read as a February without usage)


def test_no_workload_matching_is_refused():
    content = console(csv_rows("2027-01", "elsewhere", SONNET, M, 0))
    with pytest.raises(PlannerError, match="no usage line matches any workload's usage_match "
                                           r"\(the usage names workspaces 'elsewhere'"):
        tracked(scenario(), content)


def test_no_usage_match_at_all_is_refused():
    data = scenario().model_dump(mode="json", exclude_none=True)
    del data["workloads"][0]["usage_match"]
    with pytest.raises(PlannerError, match=r"workloads\[\]\.usage_match: no workload says"):
        tracked(parse_scenario(data), SMALL)


def test_a_field_the_files_do_not_carry_is_named():
    data = scenario().model_dump(mode="json", exclude_none=True)
    data["workloads"][0]["usage_match"] = {"product": ["claude_code"]}
    with pytest.raises(PlannerError, match=r"workloads\[0\]\.usage_match\.product: the usage "
                                           "files state no product"):
        tracked(parse_scenario(data), SMALL)


def test_an_unknown_model_in_usage_match_is_named():
    data = scenario().model_dump(mode="json", exclude_none=True)
    data["workloads"][0]["usage_match"] = {"model": ["claude-sonet-4-5"]}
    with pytest.raises(PlannerError, match=r"workloads\[0\]\.usage_match\.model\[0\]: "
                                           "'claude-sonet-4-5' is not a model"):
        tracked(parse_scenario(data), SMALL)


def test_no_signed_contract_names_contract_commitments():
    s = scenario(contract={"years": 1})
    with pytest.raises(PlannerError, match=r"^contract\.commitments: not given; tracking "
                                           "follows a signed contract"):
        tracked(s, SMALL)


# --------------------------------------------------------------------------- the CLI
def _files(tmp_path: Path, s: Any, content: bytes) -> tuple[str, str]:
    from forecast.scenario_io import save_scenario

    scenario_path, usage = tmp_path / "s.yaml", tmp_path / "usage.csv"
    save_scenario(s, scenario_path)
    usage.write_bytes(content)
    return str(scenario_path), str(usage)


def test_cli_track_json(tmp_path: Path):
    path, usage = _files(tmp_path, scenario(), SMALL)
    result = run_cli("track", path, usage, "--json")
    assert result.code == 0, result.stderr
    document = finite_json(result.stdout)
    assert document["as_of"] == "2027-02"
    assert document["years"][0]["consumed_to_date"] == pytest.approx(315.45, abs=0.005)


@pytest.mark.parametrize(("argv", "message"), [
    (["--as-of", "2027-13"], "argument --as-of: '2027-13' is not a month; give YYYY-MM"),
    (["--as-of", "2026-06"], "error: --as-of: 2026-06 is before the contract start 2027-01"),
    (["--as-of", "2031-01"], "error: --as-of: 2031-01 is past the contract's end"),
])
def test_cli_track_bad_as_of_exits_2(tmp_path: Path, argv: list[str], message: str):
    path, usage = _files(tmp_path, scenario(), SMALL)
    result = run_cli("track", path, usage, *argv)
    assert result.code == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_cli_track_without_a_contract_exits_2_naming_the_field(tmp_path: Path):
    path, usage = _files(tmp_path, scenario(contract={"years": 1}), SMALL)
    result = run_cli("track", path, usage)
    assert result.code == 2
    assert result.stderr.startswith("error: contract.commitments: not given")


def test_cli_track_pdf_and_the_output_is_never_an_input(tmp_path: Path):
    path, usage = _files(tmp_path, scenario(), SMALL)
    out = tmp_path / "tracking.pdf"
    result = run_cli("track", path, usage, "-o", str(out))
    assert result.code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    before = Path(usage).read_bytes()
    result = run_cli("track", path, usage, "-o", usage)
    assert result.code == 2 and "is the input" in result.stderr
    assert Path(usage).read_bytes() == before


def test_report_with_usage_has_the_tracking_page(tmp_path: Path):
    from pypdf import PdfReader

    out = tmp_path / "report.pdf"
    result = run_cli("report", str(EXAMPLE), "--usage", str(EXAMPLE_USAGE), "-o", str(out),
                     "--paths", "300", "--no-sensitivity")
    assert result.code == 0, result.stderr
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert any("Tracking the commitment: as of 2027-04" in p for p in pages)
    assert any("Workloads behind plan" in p for p in pages)


def test_tracking_pdf_is_the_same_bytes_for_the_same_date(example: Any):
    from forecast.report import render_tracking_pdf

    day = dt.date(2027, 5, 2)
    assert render_tracking_pdf(example, day) == render_tracking_pdf(example, day)


# The `commitplan track` example of docs/tracking.md is re-run by tests/test_docs.py.


def test_read_usage_to_date_names_the_file_on_error():
    with pytest.raises(PlannerError, match=r"bad\.csv"):
        read_usage_to_date([("bad.csv", b"not,a,usage,export\n1,2,3,4\n")], scenario())


def test_track_accepts_a_priced_history():
    history = read_usage_to_date([("usage.csv", SMALL)], scenario())
    t = track(scenario(), BOOK, history, paths=50, seed=1)
    assert t.n_paths == 50 and t.years[0].consumed_to_date == pytest.approx(315.45, abs=0.005)
    assert np.isfinite(t.burn_down[["p10", "p90"]].to_numpy(dtype=float)[2:]).all()
