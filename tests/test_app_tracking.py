"""The Tracking tab, driven by ``streamlit.testing.v1.AppTest``.

The bundled example ``scenarios/signed-contract-tracking.yaml`` (a two-year contract of
$250,000 then $350,000 from 2027-01, 8% then 10% off) with the usage to date of
``tests/fixtures/tracking/`` (2026-12-29 to 2027-05-10; its generator works out each month's
list cost without the planner). The page's figures are ``forecast.tracking.track_usage``'s
for the same inputs (the tracker's numbers are tested in tests/test_tracking.py); what is
worked by hand here is the consumption to date and the as-of month. Runs at 400 paths.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from forecast.focus import focus_export
from forecast.formatting import pct, usd_short
from forecast.scenario_io import load_scenario, scenario_price_book
from forecast.tracking import WarningKind, track_usage
from tests.conftest import ROOT
from tests.test_app import (  # noqa: F401  (_fresh: the autouse fixture, shared)
    APP,
    _fresh,
    errors,
    open_app,
    show,
)
from ui import cache
from ui.text import md

SIGNED_PATH = ROOT / "scenarios" / "signed-contract-tracking.yaml"
SIGNED = load_scenario(SIGNED_PATH)
BOOK = scenario_price_book(SIGNED)
FIXTURES = ROOT / "tests" / "fixtures" / "tracking"
USAGE = FIXTURES / "console-usage-2026-12-to-2027-05.csv"
PATHS = 400
FIGURES = ("Committed", "Consumed to date", "Expected at year end", "Shortfall probability",
           "Expected unused", "Expected overage")


def monthly_list_costs() -> dict[str, dict[str, float]]:
    """Each month's list cost per workspace, from the fixture's own arithmetic."""
    spec = importlib.util.spec_from_file_location("make_usage", FIXTURES / "make_usage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.monthly_list_costs()


def expected(as_of: str | None = None) -> Any:
    """What the page should show: the tracker on the same file, paths and seed."""
    return track_usage(SIGNED, BOOK, [(USAGE.name, USAGE.read_bytes())], as_of=as_of,
                       paths=PATHS, seed=SIGNED.simulation.seed)


def open_signed(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["paths"] = str(PATHS)
    at.query_params["scenario"] = SIGNED.name
    at.run()
    assert not at.exception, at.exception
    return show(at, "Tracking")


def tab_labels(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def uploader(at: AppTest) -> Any:
    return next(u for u in at.get("file_uploader") if "usage_to_date" in str(u.key))


def upload_usage(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    key = uploader(at).key
    at.file_uploader(key=key).set_value([(n, c, "text/csv") for n, c in files])
    at.run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[tuple[str, str, str]]:
    """The tracking metrics: (label, value, the line under it), year after year."""
    return [(m.label, m.value, m.proto.delta) for m in at.metric if m.label in FIGURES]


def shown_figures(tracking: Any) -> list[tuple[str, str, str]]:
    """The metrics the tab should show for each open year, in the page's format."""
    out = []
    appetite = SIGNED.contract.risk_appetite.max_shortfall_probability
    for y in tracking.years:
        if y.closed:
            continue
        over = y.shortfall_probability > appetite
        out += [("Committed", usd_short(y.committed), f"{pct(y.discount)} discount"),
                ("Consumed to date", usd_short(y.consumed_to_date),
                 f"{pct(y.consumed_to_date / y.committed)} of it"),
                ("Expected at year end", usd_short(y.expected_at_year_end),
                 f"P10–P90 {usd_short(y.p10)}–{usd_short(y.p90)}"),
                ("Shortfall probability", pct(y.shortfall_probability),
                 f"over the {pct(appetite)} appetite" if over else f"appetite {pct(appetite)}"),
                ("Expected unused", usd_short(y.expected_unused), "paid anyway"),
                ("Expected overage", usd_short(y.expected_overage), "at the discounted rate")]
    return out


# --------------------------------------------------------------------------- when it shows
def test_the_tab_is_offered_for_a_signed_contract_and_tracks_once_usage_is_uploaded():
    at = open_app(PATHS)  # the enterprise example: no contract.commitments
    assert "Tracking" not in tab_labels(at)
    at = open_signed()
    labels = tab_labels(at)
    assert labels.index("Tracking") == labels.index("Offers") + 1
    # Before any usage: the uploader and what to give it, no figure.
    assert figures(at) == [] and not at.get("vega_lite_chart")
    assert any("Upload the usage since the contract's start" in c.value for c in at.caption)
    upload_usage(at, (USAGE.name, USAGE.read_bytes()))
    assert len(figures(at)) == 12  # two open years, six figures each
    assert len(at.get("vega_lite_chart")) == 2  # a burn-down per open year


def test_the_tabs_figures_are_the_trackers_and_the_consumption_is_worked_by_hand():
    at = upload_usage(open_signed(), (USAGE.name, USAGE.read_bytes()))
    tracking = expected()
    assert figures(at) == shown_figures(tracking)
    # The as-of month: the file covers 2026-12-29 to 2027-05-10, so April is the last month
    # it covers in full.
    assert tracking.as_of == "2027-04"
    assert at.selectbox[0].value == "2027-04"
    # Consumed to date in year 1: the list cost of January to April at 1 - 8%.
    costs = monthly_list_costs()
    year1 = 0.92 * sum(sum(costs[m].values()) for m in ("2027-01", "2027-02", "2027-03",
                                                        "2027-04"))
    assert tracking.years[0].consumed_to_date == pytest.approx(year1, abs=0.005)
    assert ("Consumed to date", usd_short(year1), f"{pct(year1 / 250_000)} of it") in \
        figures(at)
    # What to do: the risks as warnings, in the tracker's order and words (each a sentence);
    # the notes on the data as notes.
    risks = [w for w in tracking.warnings if w.kind not in
             (WarningKind.UNMATCHED, WarningKind.AMBIGUOUS, WarningKind.DATA)]
    shown = [w.value for w in at.warning]
    assert len(shown) == len(risks) == 4
    for w, text in zip(risks, shown, strict=True):
        words = w.message if w.workload else w.message[:1].upper() + w.message[1:]
        assert text == md(words)
    assert any("Nightly enrichment" in t and "land the batch move" in t for t in shown)
    assert [i.value for i in at.info] == [md(w.message[:1].upper() + w.message[1:])
                                           for w in tracking.warnings if w.kind in
                                           (WarningKind.UNMATCHED, WarningKind.AMBIGUOUS,
                                            WarningKind.DATA)]
    # The tables: years (decision columns first), then workloads with their status.
    years = next(d.value for d in at.dataframe if "shortfall" in d.value.columns)
    assert list(years.columns[:4]) == ["year", "shortfall", "expected", "spread"]
    assert list(years["expected"]) == [usd_short(y.expected_at_year_end)
                                       for y in tracking.years]
    assert list(years["shortfall"]) == [pct(y.shortfall_probability) for y in tracking.years]
    workloads = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert dict(zip(workloads["workload"], workloads["status"], strict=True)) == {
        w.name: str(w.status) for w in tracking.workloads}
    assert dict(zip(workloads["workload"], workloads["status"], strict=True)) == {
        "Support chat": "on plan", "Nightly enrichment": "behind", "PR review": "reverted"}
    # Nightly enrichment: planned 100% batch by March, observed 10% (the fixture's shares).
    assert workloads.set_index("workload").loc["Nightly enrichment", "batch"] == "100% / 10%"
    assert {b.label for b in at.get("download_button")} >= {"Tracking PDF",
                                                             "FOCUS export (zip)"}
    assert not at.error


def test_an_earlier_as_of_month_tracks_as_it_was_then():
    at = upload_usage(open_signed(), (USAGE.name, USAGE.read_bytes()))
    at.selectbox[0].set_value("2027-03").run()
    assert not at.exception
    tracking = expected("2027-03")
    assert figures(at) == shown_figures(tracking)
    costs = monthly_list_costs()
    year1 = 0.92 * sum(sum(costs[m].values()) for m in ("2027-01", "2027-02", "2027-03"))
    assert tracking.years[0].consumed_to_date == pytest.approx(year1, abs=0.005)
    assert figures(at)[1][1] == usd_short(year1)


# --------------------------------------------------------------------------- files
def test_a_bad_file_is_named_and_not_kept():
    at = open_signed()
    upload_usage(at, ("notes.csv", b"hello,world\n1,2\n"))
    text = errors(at)
    assert "notes.csv was not kept" in text.replace("\\", "")
    assert "missing columns" in text
    assert figures(at) == []
    # A good file beside a bad one: the good one is kept, the bad one named.
    upload_usage(at, ("empty.json", b""), (USAGE.name, USAGE.read_bytes()))
    assert "empty.json was not kept" in errors(at).replace("\\", "")
    assert len(figures(at)) == 12


def test_usage_the_contract_cannot_use_is_a_message_not_a_traceback():
    """A well-formed export of December 2026 only: before the contract's start."""
    december = b"".join(line for line in USAGE.read_bytes().splitlines(keepends=True)
                        if not line[:7].startswith(b"2027-"))
    at = upload_usage(open_signed(), ("december.csv", december))
    assert not at.exception
    assert "all before the contract start 2027\\-01" in errors(at)
    assert figures(at) == []


def test_the_usage_is_listed_again_after_a_reload_and_can_be_removed():
    upload_usage(open_signed(), (USAGE.name, USAGE.read_bytes()))
    again = open_signed()  # a new session on the same workspace folder: a reload
    assert any(md(USAGE.name) in m.value for m in again.markdown)
    assert figures(again) == shown_figures(expected())
    remove = next(b for b in again.button if b.label == "Remove")
    remove.click().run()
    assert figures(again) == [] and not any(md(USAGE.name) in m.value for m in again.markdown)
    assert figures(open_signed()) == []  # gone from the workspace too


def test_the_view_open_is_kept_when_the_tracking_tab_comes_or_goes():
    at = open_app(PATHS)
    show(at, "Offers")
    at.selectbox(key="picker").set_value(SIGNED.name).run()
    assert not at.exception
    assert "Tracking" in tab_labels(at)
    assert at.session_state["view"] == "Offers"
    show(at, "Tracking")
    at.selectbox(key="picker").set_value(load_scenario(
        ROOT / "scenarios" / "enterprise-portfolio.yaml").name).run()
    assert "Tracking" not in tab_labels(at) and at.session_state["view"] == "Spend"


def test_the_focus_download_holds_both_files_of_the_export():
    files = cache.focus_files(SIGNED.model_dump_json(), PATHS, SIGNED.simulation.seed)
    export = focus_export(SIGNED, BOOK, paths=PATHS, seed=SIGNED.simulation.seed).files()
    archive = zipfile.ZipFile(io.BytesIO(files["focus.zip"]))
    assert sorted(archive.namelist()) == ["contract_commitment.csv", "projection.csv"]
    for name, data in export.items():
        assert archive.read(name) == data == files[name]
    # One commitment row per contract year, the signed amounts (header + 2 rows).
    import csv

    rows = list(csv.DictReader(io.StringIO(export["contract_commitment.csv"].decode())))
    assert len(rows) == SIGNED.contract.years
    assert [r["ContractCommitmentCost"] for r in rows] == ["250000", "350000"]
    assert {r["ContractId"] for r in rows} == {SIGNED.contract.id}  # signed: the provider's
