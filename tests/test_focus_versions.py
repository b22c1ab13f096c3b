"""Every column rule of the FOCUS Contract Commitment dataset, for 1.3 and 1.4, on the
export of a signed contract and of a plan; identifiers; the command line's flags.

The rules are transcribed from the specification's pages (FinOps-Open-Cost-and-Usage-Spec/
FOCUS_Spec, specification/datasets/contract_commitment/): dataset.md of 1.3 (13 columns)
and of 1.4 (1.3's and 14 more; three conditional columns that do not apply here), and each
column's page (its type, whether it allows nulls, its allowed values). docs/focus.md lists
the pages read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from forecast.errors import PlannerError
from forecast.focus import CONTRACT_COMMITMENT_FILE, PROJECTION_FILE, focus_export
from forecast.pricebook import load_price_book
from forecast.scenario_io import load_scenario
from tests.conftest import ROOT
from tests.inprocess import run_cli

BOOK = load_price_book("anthropic-2026-11")
SIGNED = load_scenario(ROOT / "scenarios" / "signed-contract-tracking.yaml")
TODAY = dt.date(2026, 12, 7)

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")  # NumericFormat: no plus sign, no exponent
DURATION_UNITS = ("Minute", "Minutes", "Hour", "Hours", "Day", "Days", "Week", "Weeks",
                  "Month", "Months", "Quarter", "Quarters", "Year", "Years")

# column: (allows nulls, data type, allowed values or None)
RULES_1_3 = {
    "BillingCurrency": (True, "String", None),
    "ContractCommitmentCategory": (False, "String", {"Spend", "Usage"}),
    "ContractCommitmentCost": (True, "Decimal", None),
    "ContractCommitmentDescription": (True, "String", None),
    "ContractCommitmentId": (False, "String", None),
    "ContractCommitmentPeriodEnd": (False, "Date/Time", None),
    "ContractCommitmentPeriodStart": (False, "Date/Time", None),
    "ContractCommitmentQuantity": (True, "Decimal", None),
    "ContractCommitmentType": (False, "String", None),
    "ContractCommitmentUnit": (True, "String", None),
    "ContractId": (False, "String", None),
    "ContractPeriodEnd": (False, "Date/Time", None),
    "ContractPeriodStart": (False, "Date/Time", None),
}
RULES_1_4 = {
    **RULES_1_3,
    "ContractCommitmentApplicability": (False, "JSON", None),
    "ContractCommitmentBenefitCategory": (False, "String", {"Discount", "Monetary Pool",
                                                            "Availability", "Other"}),
    "ContractCommitmentCreated": (False, "Date/Time", None),
    "ContractCommitmentDiscountPercentage": (True, "Decimal", None),
    "ContractCommitmentDurationType": (False, "Duration", None),
    "ContractCommitmentFulfillmentInterval": (False, "String", {
        "Hourly", "Daily", "Weekly", "Monthly", "Quarterly", "Semi-Annual", "Annual",
        "Full Commitment Period", "Transactional", "Custom"}),
    "ContractCommitmentLastUpdated": (False, "Date/Time", None),
    "ContractCommitmentLifecycleStatus": (False, "String", {
        "Proposed", "Pending", "Active", "Exhausted", "Expired", "Canceled", "Superseded"}),
    "ContractCommitmentModel": (False, "String", {"Continuous", "Discontinuous"}),
    "ContractCommitmentOfferCategory": (False, "String", {"Public", "Negotiated"}),
    "ContractCommitmentPaymentInterval": (False, "String", {
        "One-Time", "Monthly", "Quarterly", "Semi-Annual", "Annual", "Custom"}),
    "ContractCommitmentPaymentModel": (False, "String", {"No Upfront", "Partial Upfront",
                                                         "All Upfront"}),
    "InvoiceIssuerName": (False, "String", None),
    "ServiceProviderName": (False, "String", None),
}
RULES = {"1.3": RULES_1_3, "1.4": RULES_1_4}
CASES = [(v, c) for v, rules in RULES.items() for c in rules]


def read(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def exports() -> dict[tuple[str, bool], tuple[list[str], list[dict[str, str]]]]:
    """The signed contract and a plan (the recommended commitment), in both versions."""
    unsigned = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    out = {}
    for version in RULES:
        for planned, scenario in ((False, SIGNED), (True, unsigned)):
            export = focus_export(scenario, BOOK, paths=100, seed=1, version=version,
                                  planned=planned, today=TODAY)
            out[(version, planned)] = read(export.files()[CONTRACT_COMMITMENT_FILE])
    return out


def _type_ok(kind: str, value: str) -> bool:
    if kind == "Date/Time":
        return bool(DATE_TIME.match(value))
    if kind == "Decimal":
        return bool(DECIMAL.match(value))
    if kind == "JSON":
        return isinstance(json.loads(value), dict)
    if kind == "Duration":  # "[positive integer] [unit]"
        number, _, unit = value.partition(" ")
        return number.isdigit() and int(number) > 0 and unit in DURATION_UNITS
    return isinstance(value, str)


@pytest.mark.parametrize(("version", "column"), CASES)
@pytest.mark.parametrize("planned", [False, True], ids=["signed", "planned"])
def test_each_column_rule(exports, version: str, column: str, planned: bool):
    """Presence, nullability, data type and allowed values of one column."""
    header, rows = exports[(version, planned)]
    nullable, kind, allowed = RULES[version][column]
    assert column in header  # presence: every column the dataset requires
    for row in rows:
        value = row[column]
        if value == "":  # FOCUS's null in a CSV
            assert nullable, f"{column} may not be null"
            continue
        assert _type_ok(kind, value), (column, value)
        if allowed is not None:
            assert value in allowed, (column, value)


@pytest.mark.parametrize("version", list(RULES))
def test_no_other_columns_and_the_cross_column_rules(exports, version: str):
    for planned in (False, True):
        header, rows = exports[(version, planned)]
        assert set(header) == set(RULES[version])  # a 1.3 file matches the 1.3 columns
        assert len(header) == {"1.3": 13, "1.4": 27}[version]
        assert len({r["ContractCommitmentId"] for r in rows}) == len(rows)  # unique
        for row in rows:
            # Quantity null: Cost must not be, and Unit is null with it.
            assert row["ContractCommitmentQuantity"] == "" and row["ContractCommitmentUnit"] == ""
            assert row["ContractCommitmentCost"] != ""
            assert re.fullmatch(r"[A-Z]{3}", row["BillingCurrency"])  # ISO 4217, for Spend
            if version == "1.4":
                # Discount: the percentage must not be null, and lies in [0, 1]
                assert 0 <= Decimal(row["ContractCommitmentDiscountPercentage"]) <= 1
                # All Upfront would require One-Time; Continuous would forbid a full term
                assert row["ContractCommitmentPaymentModel"] != "All Upfront"
                assert row["ContractCommitmentModel"] == "Discontinuous"
                applicability = json.loads(row["ContractCommitmentApplicability"])
                assert applicability == {"IsGlobalScope": True}


@pytest.mark.parametrize("version", list(RULES))
def test_dates_tile_the_contract(exports, version: str):
    _, rows = exports[(version, False)]
    # signed-contract-tracking: 2 years from 2027-01 (exclusive end 2029-01-01)
    assert [r["ContractCommitmentPeriodStart"] for r in rows] == [
        "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]
    assert rows[-1]["ContractCommitmentPeriodEnd"] == rows[0]["ContractPeriodEnd"] == \
        "2029-01-01T00:00:00Z"
    for before, after in itertools.pairwise(rows):
        assert before["ContractCommitmentPeriodEnd"] == after["ContractCommitmentPeriodStart"]
    for row in rows:
        assert row["ContractCommitmentPeriodStart"] < row["ContractCommitmentPeriodEnd"]


def test_a_signed_contract_carries_the_scenarios_identifiers(exports):
    _, rows = exports[("1.4", False)]
    assert {r["ContractId"] for r in rows} == {"ACME-CLAUDE-2027"}
    assert rows[1]["ContractCommitmentId"] == "ACME-CLAUDE-2027/year-2"
    # signed, starting 2027-01, on 2026-12-07: Pending; active in 2027; expired after 2028
    assert {r["ContractCommitmentLifecycleStatus"] for r in rows} == {"Pending"}
    for day, status in ((dt.date(2027, 6, 1), "Active"), (dt.date(2029, 1, 1), "Expired")):
        later = focus_export(SIGNED, BOOK, paths=20, seed=1, today=day)
        assert later.contract_commitment[0]["ContractCommitmentLifecycleStatus"] == status


def test_a_plan_is_marked_planned_in_columns_focus_allows(exports):
    for version in RULES:
        _, rows = exports[(version, True)]
        assert all(r["ContractId"].startswith("planned-") for r in rows)
        assert all("Planned, not signed" in r["ContractCommitmentDescription"] for r in rows)
        if version == "1.4":
            assert {r["ContractCommitmentLifecycleStatus"] for r in rows} == {"Proposed"}


def test_an_unsigned_plan_or_a_contract_without_id_is_refused_without_planned():
    unsigned = load_scenario(ROOT / "scenarios" / "team-three-workloads.yaml")
    with pytest.raises(PlannerError, match=r"names no commitment.*--planned"):
        focus_export(unsigned, BOOK, paths=20)
    no_id = SIGNED.model_copy(update={"contract": SIGNED.contract.model_copy(
        update={"id": None})})
    with pytest.raises(PlannerError, match=r"contract\.id: required to export a signed"):
        focus_export(no_id, BOOK, paths=20)
    with pytest.raises(PlannerError, match=r"--focus-version '2\.0'"):
        focus_export(SIGNED, BOOK, paths=20, version="2.0")


def test_cli_focus_version_and_planned(tmp_path: Path):
    signed = ROOT / "scenarios" / "signed-contract-tracking.yaml"
    run = run_cli("export", str(signed), "--focus", "-o", str(tmp_path / "a"), "--paths", "30")
    assert run.code == 0, run.stderr
    assert "(FOCUS 1.4)" in run.stderr and "signed contract ACME-CLAUDE-2027" in run.stderr
    header, _ = read((tmp_path / "a" / CONTRACT_COMMITMENT_FILE).read_bytes())
    assert len(header) == 27
    run = run_cli("export", str(signed), "--focus", "--focus-version", "1.3", "-o",
                  str(tmp_path / "b"), "--paths", "30")
    assert run.code == 0 and len(read((tmp_path / "b" / CONTRACT_COMMITMENT_FILE)
                                      .read_bytes())[0]) == 13
    plan = ROOT / "scenarios" / "team-three-workloads.yaml"
    refused = run_cli("export", str(plan), "--focus", "-o", str(tmp_path / "c"))
    assert refused.code == 2 and "--planned" in refused.stderr
    assert not (tmp_path / "c").exists()
    ok = run_cli("export", str(plan), "--focus", "--planned", "-o", str(tmp_path / "c"),
                 "--paths", "30")
    assert ok.code == 0 and "a plan (identifiers planned-" in ok.stderr
    bad = run_cli("export", str(signed), "--focus", "--focus-version", "1.5", "-o",
                  str(tmp_path / "d"))
    assert bad.code == 2 and "--focus-version" in bad.stderr
    _, months = read((tmp_path / "a" / PROJECTION_FILE).read_bytes())
    assert len(months) == 24 and months[1]["BillingPeriodStart"] == "2027-02-01T00:00:00Z"
