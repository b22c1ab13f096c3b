"""FOCUS export (forecast/focus.py): the Contract Commitment dataset and the projection.

This file checks the 1.3 file (``version="1.3"``); tests/test_focus_versions.py checks every
column rule of 1.3 and 1.4, the signed/planned identifiers and the command line's flags.

Column rules checked against the specification's dataset.md and columns/*.md for the
Contract Commitment dataset (introduced in 1.3): 13 columns, all required in the dataset;
Date/Time values in UTC as ``YYYY-MM-DDTHH:mm:ssZ``; Decimal values plain (NumericFormat);
ContractCommitmentCategory one of Spend, Usage; ContractCommitmentUnit null exactly when
ContractCommitmentQuantity is null; ContractCommitmentId unique; BillingCurrency ISO 4217.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from forecast.errors import PlannerError
from forecast.focus import (
    CONTRACT_COMMITMENT_FILE,
    PROJECTION_FILE,
    decimal,
    focus_export,
    write_focus,
)
from forecast.pricebook import load_price_book
from forecast.scenario_io import load_scenario
from forecast.types import CommitmentKind
from tests.conftest import ROOT, make_scenario
from tests.inprocess import run_cli

BOOK = load_price_book("anthropic-2026-11")
#: The Contract Commitment dataset's columns (dataset.md), with whether each may be null.
MANDATORY = {
    "BillingCurrency": False,  # not null when the category is Spend
    "ContractCommitmentCategory": False, "ContractCommitmentCost": True,
    "ContractCommitmentDescription": True, "ContractCommitmentId": False,
    "ContractCommitmentPeriodEnd": False, "ContractCommitmentPeriodStart": False,
    "ContractCommitmentQuantity": True, "ContractCommitmentType": False,
    "ContractCommitmentUnit": True, "ContractId": False, "ContractPeriodEnd": False,
    "ContractPeriodStart": False,
}
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")  # NumericFormat: no sign for positives, no exponent


def read(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return list(reader.fieldnames or []), list(reader)


def check_contract_commitment(data: bytes, years: int) -> list[dict[str, str]]:
    header, rows = read(data)
    assert set(header) == set(MANDATORY) and len(header) == 13
    assert len(rows) == years  # one commitment row per contract year
    assert len({r["ContractCommitmentId"] for r in rows}) == years  # unique
    for row in rows:
        for column, nullable in MANDATORY.items():
            if not nullable:
                assert row[column].strip(), column
        for column in ("ContractPeriodStart", "ContractPeriodEnd",
                       "ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd"):
            assert DATE_TIME.match(row[column]), (column, row[column])
        assert row["ContractCommitmentCategory"] in ("Spend", "Usage")
        assert NUMBER.match(row["ContractCommitmentCost"])
        # Quantity null, so Cost must not be, and Unit must be null with it.
        assert row["ContractCommitmentQuantity"] == "" and row["ContractCommitmentUnit"] == ""
        assert re.fullmatch(r"[A-Z]{3}", row["BillingCurrency"])
    # The years tile the contract: each starts where the one before ends.
    for before, after in itertools.pairwise(rows):
        assert before["ContractCommitmentPeriodEnd"] == after["ContractCommitmentPeriodStart"]
    assert rows[0]["ContractCommitmentPeriodStart"] == rows[0]["ContractPeriodStart"]
    assert rows[-1]["ContractCommitmentPeriodEnd"] == rows[0]["ContractPeriodEnd"]
    return rows


def test_the_nightly_ramp_as_contract_commitments():
    # The contract's ramp with no offers on the table (with offers: the decision).
    s = load_scenario(ROOT / "scenarios" / "nightly-enrichment.yaml").model_copy(
        update={"offers": []})
    assert s.contract.id is None  # commitments but no provider id: exported as a plan
    export = focus_export(s, BOOK, paths=200, seed=1, version="1.3", planned=True)
    rows = check_contract_commitment(export.files()[CONTRACT_COMMITMENT_FILE], 3)
    assert export.source == CommitmentKind.SCENARIO and export.planned
    assert rows[0]["ContractId"] == "planned-acme-renewal-2027-nightly-enrichment-2027-01"
    assert "Planned, not signed" in rows[0]["ContractCommitmentDescription"]
    costs = [Decimal(r["ContractCommitmentCost"]) for r in rows]
    assert costs == [Decimal(900000), Decimal(1100000), Decimal(1300000)]
    assert sum(costs) == Decimal(3300000)  # the contract's total, to the cent
    assert [r["ContractCommitmentPeriodStart"] for r in rows] == [
        "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2029-01-01T00:00:00Z"]
    assert rows[0]["ContractPeriodEnd"] == "2030-01-01T00:00:00Z"  # exclusive end
    assert rows[0]["ContractCommitmentCategory"] == "Spend"
    # 900k earns the 8% tier, 1.1M and 1.3M the 12% one.
    assert "less 8.0%" in rows[0]["ContractCommitmentDescription"]
    assert "less 12.0%" in rows[2]["ContractCommitmentDescription"]


def test_the_recommended_commitment_when_the_scenario_names_none():
    from forecast.plan import build_plan

    s = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    assert s.contract.commitments is None
    export = focus_export(s, BOOK, paths=300, seed=5, version="1.3", planned=True)
    plan = build_plan(s, BOOK, paths=300, seed=5, sensitivity=False, negotiation=False)
    assert export.source == CommitmentKind.RECOMMENDED
    assert list(export.commitment) == list(plan.recommendation.recommended.per_year)
    rows = check_contract_commitment(export.files()[CONTRACT_COMMITMENT_FILE], 2)
    assert sum(Decimal(r["ContractCommitmentCost"]) for r in rows) == \
        Decimal(decimal(float(plan.recommendation.recommended.per_year.sum())))
    assert "Recommended by Commitment Planner" in rows[0]["ContractCommitmentDescription"]


def deterministic() -> Any:
    """$3,000 a month today (1M requests of 1,000 Sonnet 4.5 input tokens at $3/MTok),
    $1,500 all batched from month 1; no spread. Commit $20,000 a year at 10% off."""
    return make_scenario(
        {"requests_per_month": 1_000_000, "tokens": {"input": 1000, "output": 0},
         "optimized": {"batch_share": 1.0, "lands_month": 1}},
        horizon_months=12,
        contract={"years": 1, "commitments": [20_000], "id": "ACME-1",
                  "discount_tiers": [{"min_annual_commit": 10_000, "discount": 0.10}]})


def test_projection_columns_and_figures_worked_by_hand():
    export = focus_export(deterministic(), BOOK, paths=50, seed=0, version="1.3")
    header, rows = read(export.files()[PROJECTION_FILE])
    assert header[:5] == ["BillingPeriodStart", "BillingPeriodEnd", "BillingCurrency",
                          "ContractId", "ContractCommitmentId"]
    assert all(c.startswith("x_") for c in header[5:])  # custom columns after FOCUS ones
    assert len(rows) == 12
    # $1,500 an average month (365.2425 / 12 = 30.436875 days) is $1,500 x days / 30.436875
    # in a calendar month: January 1,500 x 31 / 30.436875 = 1,527.75; February
    # 1,500 x 28 / 30.436875 = 1,379.91; April 1,500 x 30 / 30.436875 = 1,478.47.
    # Consumption at the discounted rate: 0.9 of each (1,374.98; 1,241.91; 1,330.62).
    listed = {"2027-01": "1527.75", "2027-02": "1379.91", "2027-04": "1478.47"}
    contracted = {"2027-01": "1374.98", "2027-02": "1241.91", "2027-04": "1330.62"}
    for row in rows:
        assert DATE_TIME.match(row["BillingPeriodStart"])
        assert row["ContractCommitmentId"] == "ACME-1/year-1"
        month = row["BillingPeriodStart"][:7]
        if month in listed:
            assert row["x_ListCostExpected"] == listed[month]
            assert row["x_ContractedCostExpected"] == contracted[month]
        # no spread: P10 = P90 = the expectation
        assert row["x_ContractedCostP10"] == row["x_ContractedCostP90"] == \
            row["x_ContractedCostExpected"]
    # The year's 365 days: 1,500 x 365 / 30.436875 = 17,988.05 (an average year of 365.2425
    # days would be 18,000), so February is no longer overstated by 30.44 / 28 - 1 = 8.7%.
    total = sum(Decimal(r["x_ListCostExpected"]) for r in rows)
    assert abs(total - Decimal("17988.05")) <= Decimal("0.06")  # 12 roundings of half a cent
    # The year's figures on its closing month only (null elsewhere): usage 0.9 x 18,000 =
    # 16,200 < 20,000 falls short on every path; stranded = min(C, 0.9 x 36,000) -
    # min(C, 16,200) = 20,000 - 16,200 = 3,800.
    assert [r["x_ShortfallProbability"] for r in rows[:11]] == [""] * 11
    assert rows[11]["x_ShortfallProbability"] == "1"
    assert Decimal(rows[11]["x_StrandedSavings"]) == Decimal(3800)
    assert rows[11]["BillingPeriodEnd"] == "2028-01-01T00:00:00Z"


def test_decimal_is_numeric_format():
    assert decimal(1e16) == "10000000000000000"  # no exponent (1e+16 carries a sign)
    assert decimal(-0.001) == "0" and decimal(0.125, 6) == "0.125"
    with pytest.raises(ValueError):
        decimal(float("nan"))


# --------------------------------------------------------------------------- writing
def export_small() -> Any:
    return focus_export(deterministic(), BOOK, paths=20, seed=0, version="1.3")


def test_a_new_folder_holds_both_files(tmp_path: Path):
    out = tmp_path / "focus"
    written = write_focus(export_small(), out)
    assert sorted(p.name for p in written) == [CONTRACT_COMMITMENT_FILE, PROJECTION_FILE]
    assert sorted(os.listdir(tmp_path)) == ["focus"]  # no staging folder left
    assert sorted(os.listdir(out)) == [CONTRACT_COMMITMENT_FILE, PROJECTION_FILE]


def test_an_existing_folder_keeps_its_other_files(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / PROJECTION_FILE).write_text("old")
    write_focus(export_small(), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / PROJECTION_FILE).read_bytes().startswith(b"BillingPeriodStart")
    assert sorted(os.listdir(tmp_path)) == [CONTRACT_COMMITMENT_FILE, "notes.txt",
                                            PROJECTION_FILE]


def test_a_failure_between_the_two_renames_puts_the_old_pair_back(tmp_path: Path,
                                                                  monkeypatch: Any):
    (tmp_path / CONTRACT_COMMITMENT_FILE).write_text("old contract")
    (tmp_path / PROJECTION_FILE).write_text("old projection")
    real = os.replace
    calls = []

    def second_fails(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(PlannerError, match="No space left on device"):
        write_focus(export_small(), tmp_path)
    monkeypatch.setattr(os, "replace", real)
    assert (tmp_path / CONTRACT_COMMITMENT_FILE).read_text() == "old contract"
    assert (tmp_path / PROJECTION_FILE).read_text() == "old projection"
    assert sorted(os.listdir(tmp_path)) == [CONTRACT_COMMITMENT_FILE, PROJECTION_FILE]


def test_a_failed_new_folder_leaves_nothing(tmp_path: Path, monkeypatch: Any):
    def fails(src: Any, dst: Any) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "rename", fails)
    with pytest.raises(PlannerError, match="Input/output error"):
        write_focus(export_small(), tmp_path / "focus")
    assert os.listdir(tmp_path) == []


def test_cli_export_folder_cases(tmp_path: Path):
    scenario = ROOT / "scenarios" / "nightly-enrichment.yaml"
    result = run_cli("export", str(scenario), "--focus", "-o", str(tmp_path / "out"),
                     "--paths", "100", "--planned")
    assert result.code == 0, result.stderr
    # Offers are on the table: the plan's decision, not the contract's named ramp.
    assert "3 contract years, the plan's decision" in result.stderr

    a_file = tmp_path / "a-file"
    a_file.write_text("keep")
    result = run_cli("export", str(scenario), "--focus", "-o", str(a_file), "--paths", "100",
                     "--planned")
    assert result.code == 2 and "a-file: is a file; give a folder" in result.stderr
    assert a_file.read_text() == "keep"

    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = run_cli("export", str(scenario), "--focus", "-o", str(read_only),
                         "--paths", "100", "--planned")
        assert result.code == 2 and "read-only" in result.stderr
        assert os.listdir(read_only) == []
        result = run_cli("export", str(scenario), "--focus", "-o", str(read_only / "new"),
                         "--paths", "100", "--planned")
        assert result.code == 2 and "read-only" in result.stderr
    finally:
        read_only.chmod(stat.S_IRWXU)

    result = run_cli("export", str(scenario), "--focus", "-o", str(tmp_path / "no" / "x"),
                     "--planned")
    assert result.code == 2 and "is not an existing folder" in result.stderr
    result = run_cli("export", str(scenario), "-o", str(tmp_path / "x"))
    assert result.code == 2 and "--focus" in result.stderr


def test_cli_export_never_writes_over_the_scenario(tmp_path: Path):
    scenario = tmp_path / PROJECTION_FILE  # a scenario saved under the export's name
    scenario.write_text((ROOT / "scenarios" / "nightly-enrichment.yaml").read_text())
    before = scenario.read_bytes()
    result = run_cli("export", str(scenario), "--focus", "-o", str(tmp_path), "--paths", "50",
                     "--planned")
    assert result.code == 2 and "is the input" in result.stderr
    assert scenario.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [PROJECTION_FILE]
