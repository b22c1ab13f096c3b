"""A book of clients refreshed on Dask (forecast/portfolio.py, ``commitplan portfolio``).

The clusters here are ``LocalCluster``s of 1 or 2 workers: threads in this process
(``processes=False``) for the figures, and 2 worker processes for the killed-worker test.
Every figure is a single client's own ``plan --json`` / ``track --json`` figure for the same
seed and paths, or worked by hand (the steady client below).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml

from forecast.cli import main
from forecast.cli import portfolio_command as cli_portfolio
from forecast.portfolio import (
    COLUMNS,
    RefreshOptions,
    check_client_memory,
    client_folder,
    client_seed,
    decision_summary,
    describe_change,
    read_book,
    refresh_book,
    refresh_client,
)
from tests.conftest import ROOT
from tests.inprocess import finite_json, run_cli

pytestmark = pytest.mark.xdist_group("dask")

distributed = pytest.importorskip("distributed")

PATHS = "300"
TRACKING_USAGE = sorted((ROOT / "tests" / "fixtures" / "tracking").glob("*.csv"))

#: One workload at constant volume and no spread: list usage per year is
#: 12 months x 10,000 requests x (4,000 x $3 + 1,000 x $15) / 1e6 = 12 x 10,000 x $0.027
#: = $3,240 on every path. One tier, 10% from $2,000; a zero-spread year never falls short
#: below (1 - 0.1) x 3,240 = $2,916, the largest commitment within any appetite.
STEADY = """\
name: Steady chat
start: 2027-01
horizon_months: 12
simulation: {paths: 200, seed: 1}
workloads:
  - name: Steady chat
    requests_per_month: 10000
    tokens: {cacheable_prefix: 0, input: 4000, output: 1000}
    waiting: interactive
    current: {models: {claude-sonnet-4-5: 1.0}}
    growth: {monthly: 0.0, volatility: 0.0}
uncertainty: {shared_growth_volatility: 0.0, walk_back_probability: 0.0}
contract:
  years: 1
  discount_tiers: [{min_annual_commit: 2000, discount: 0.10}]
  overage: list
"""


def make_book(folder: Path) -> Path:
    """A folder book of 6 clients: 4 bundled scenarios (one tracked against the tracking
    fixture's usage), the steady client, and one broken scenario (no workloads)."""
    folder.mkdir(parents=True)
    for name, source in [("team", "team-three-workloads"), ("nightly", "nightly-enrichment"),
                         ("globex", "enterprise-portfolio"),
                         ("signed", "signed-contract-tracking")]:
        shutil.copy(ROOT / "scenarios" / f"{source}.yaml", folder / f"{name}.yaml")
    (folder / "steady.yaml").write_text(STEADY)
    (folder / "broken.yaml").write_text("name: Broken\nworkloads: []\n")
    usage = folder / "usage" / "signed"
    usage.mkdir(parents=True)
    for f in TRACKING_USAGE:
        shutil.copy(f, usage / f.name)
    return folder


@contextmanager
def threads_cluster(workers: int) -> Iterator[Any]:
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                       processes=False, dashboard_address=":0")
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def cluster2() -> Iterator[Any]:
    with threads_cluster(2) as cluster:
        yield cluster


def portfolio(cluster: Any, monkeypatch: pytest.MonkeyPatch, *argv: str) -> Any:
    """``commitplan portfolio argv`` in-process, on ``cluster`` (in place of the
    LocalCluster that ``--workers`` would start)."""
    monkeypatch.setattr(cli_portfolio, "_connect",
                        lambda _args: (distributed.Client(cluster), None))
    return run_cli("portfolio", *argv)


def rows(out: Path) -> dict[str, dict[str, Any]]:
    document = finite_json((out / "summary.json").read_text())
    return {r["client"]: r for r in document["clients"]}


# --------------------------------------------------------------------------- figures
def test_six_clients_give_five_single_client_figures_and_one_error_row(
        tmp_path: Path, cluster2: Any, monkeypatch: pytest.MonkeyPatch):
    book = make_book(tmp_path / "book")
    out = tmp_path / "out"
    run = portfolio(cluster2, monkeypatch, str(book), "-o", str(out), "--paths", PATHS)
    assert run.code == 3, run.stderr
    assert "failed: broken: " in run.stderr and "workloads" in run.stderr
    got = rows(out)
    assert sorted(got) == ["broken", "globex", "nightly", "signed", "steady", "team"]
    assert got["broken"]["status"] == "failed" and "workloads" in got["broken"]["error"]
    assert got["broken"]["files"] == []
    assert not (out / "clients" / "broken").exists()
    for name in ["globex", "nightly", "signed", "steady", "team"]:
        row = got[name]
        assert row["status"] == "ok" and row["error"] is None
        single = run_cli("plan", str(book / f"{name}.yaml"), "--json", "--no-sensitivity",
                         "--paths", PATHS)
        assert single.code == 0, single.stderr
        # The client's plan.json is the single-client document, byte for byte.
        assert (out / "clients" / name / "plan.json").read_text() == single.stdout
        plan = json.loads(single.stdout)
        decision = plan.get("decision")
        if decision is not None:  # a plan that carries its one decision: the row is it
            assert row["offer"] == decision["offer"]
            assert row["commitment_per_year"] == decision["per_year"]
            assert row["sign_after_months"] == decision["sign_after_months"]
            for key in ("expected_cost", "saving_vs_payg", "shortfall_probability",
                        "extra_cost_p90"):
                assert row[key] == decision[key], key
        else:  # today's recommendation under the scenario's contract, signed now
            rec = plan["recommendation"]["recommended"]
            assert row["commitment_per_year"] == rec["per_year"]
            assert row["expected_cost"] == rec["expected_cost"]
            assert row["saving_vs_payg"] == plan["saving"]["vs_payg"]
            assert row["shortfall_probability"] == rec["shortfall_probability"]
            assert row["colour"] == rec["flag"] and row["reasons"] == rec["reasons"]
            committed = sum(rec["per_year"]) > 0  # nothing committed: pay as you go
            assert row["offer"] == ("scenario contract" if committed else "pay as you go")
            assert row["sign_after_months"] == 0
        assert row["seed"] == plan["seed"] and row["paths"] == int(PATHS)
    # Tracking, for the client with usage only: its track --json, byte for byte.
    track = run_cli("track", str(book / "signed.yaml"), *map(str, TRACKING_USAGE), "--json",
                    "--paths", PATHS)
    assert track.code == 0, track.stderr
    assert (out / "clients" / "signed" / "tracking.json").read_text() == track.stdout
    tracked = json.loads(track.stdout)
    assert got["signed"]["tracking_as_of"] == tracked["as_of"]
    assert got["signed"]["tracking_shortfall_probability"] in \
        [y["shortfall_probability"] for y in tracked["years"]]
    assert got["signed"]["tracking_status"] in ("on track", "off track")
    assert all(got[n]["tracking_status"] is None for n in ["globex", "nightly", "steady"])
    # The steady client by hand: commitment $2,916, cost $2,916 on every path, pay as you
    # go $3,240: the extra cost over pay as you go is -$324 on every path, so at P90 too.
    steady = got["steady"]
    assert steady["commitment_per_year"] == [2916.0]
    assert steady["expected_cost"] == pytest.approx(2916.0, abs=0.01)
    assert steady["saving_vs_payg"] == pytest.approx(324.0, abs=0.01)
    assert steady["extra_cost_p90"] == pytest.approx(-324.0, abs=0.01)
    assert steady["shortfall_probability"] == 0.0
    # The summary: CSV with the columns, index page naming every client, no previous run.
    csv_lines = (out / "summary.csv").read_text().splitlines()
    assert csv_lines[0] == ",".join(COLUMNS) and len(csv_lines) == 7
    assert ",2916.00,324.00,0.000000,-324.00,green," in \
        next(line for line in csv_lines if line.startswith("steady,"))
    page = (out / "index.html").read_text()
    assert all(name in page for name in got)
    assert all(r["change"] is None for r in got.values())


def test_same_seed_same_summary_bytes_at_one_and_two_workers(
        tmp_path: Path, cluster2: Any, monkeypatch: pytest.MonkeyPatch):
    book = make_book(tmp_path / "book")
    (book / "globex.yaml").unlink()  # the largest; the point is the worker count
    outs = []
    with threads_cluster(1) as cluster1:
        for cluster, name in [(cluster1, "one"), (cluster2, "two")]:
            out = tmp_path / name
            run = portfolio(cluster, monkeypatch, str(book), "-o", str(out), "--paths", "200",
                            "--seed", "5")
            assert run.code == 3, run.stderr
            outs.append(out)
    for f in ["summary.json", "summary.csv", "index.html"]:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f
    got = rows(outs[0])
    # --seed 5: each client's seed is SHA-256("5:<name>")'s first 8 bytes, top bit cleared.
    for name in ["team", "nightly", "signed", "steady"]:
        digest = hashlib.sha256(f"5:{name}".encode()).digest()
        assert got[name]["seed"] == int.from_bytes(digest[:8], "big") & (2**63 - 1)
        assert json.loads((outs[0] / "clients" / name / "plan.json").read_text())["seed"] \
            == got[name]["seed"]
    assert got["team"]["seed"] != got["nightly"]["seed"]


def test_a_second_refresh_reports_the_changes(
        tmp_path: Path, cluster2: Any, monkeypatch: pytest.MonkeyPatch):
    book = make_book(tmp_path / "book")
    for name in ["globex", "nightly", "signed"]:
        (book / f"{name}.yaml").unlink()
    out = tmp_path / "out"
    assert portfolio(cluster2, monkeypatch, str(book), "-o", str(out), "--paths", "200"
                     ).code == 3
    first = rows(out)
    assert json.loads((out / "summary.json").read_text())["previous_refresh"] is False
    # Steady doubles its volume: $6,480 a year at list, so the commitment covering it is
    # 0.9 x 6,480 = $5,832; broken is fixed; a new client arrives; team is untouched.
    (book / "steady.yaml").write_text(STEADY.replace("requests_per_month: 10000",
                                                     "requests_per_month: 20000"))
    (book / "broken.yaml").write_text(STEADY.replace("name: Steady chat\nstart",
                                                     "name: Mended\nstart"))
    (book / "newcomer.yaml").write_text(STEADY)
    run = portfolio(cluster2, monkeypatch, str(book), "-o", str(out), "--paths", "200")
    assert run.code == 0, run.stderr
    second = rows(out)
    assert json.loads((out / "summary.json").read_text())["previous_refresh"] is True
    assert first["steady"]["commitment_per_year"] == [2916.0]
    assert second["steady"]["commitment_per_year"] == [5832.0]
    assert second["steady"]["change"] == "commitment $2,916 -> $5,832 a year"
    assert second["team"]["change"] == "unchanged"
    assert second["broken"]["change"] == "recovered (was failing)"
    assert second["newcomer"]["change"] == "new client"
    assert "commitment $2,916 -&gt; $5,832 a year" in (out / "index.html").read_text()


def test_describe_change_names_each_field_that_moved():
    before = {"status": "ok", "offer": "scenario contract", "commitment_per_year": [1e6],
              "sign_after_months": 0, "colour": "green", "tracking_status": "on track"}
    after = before | {"offer": "Vendor", "commitment_per_year": [9e5, 1.1e6],
                      "sign_after_months": 6, "colour": "amber",
                      "tracking_status": "off track"}
    assert describe_change(before, after) == (
        "offer scenario contract -> Vendor; commitment $1,000,000 -> $900,000/$1,100,000 a "
        "year; sign after 0 -> 6 months; colour green -> amber; tracking on track -> off "
        "track")
    assert describe_change(before, before | {"status": "failed"}) == "now failing"
    assert describe_change(before, dict(before)) == "unchanged"


# --------------------------------------------------------------------------- the decision
def test_the_summary_reads_the_plans_decision_when_it_has_one():
    """The fields of forecast.decision.Decision (branch `decision`), read as they are."""
    from forecast.commitment import RiskReason
    from forecast.types import FlagLevel, Risk

    signed = SimpleNamespace(colour="amber", reasons=(
        RiskReason(Risk.SHORTFALL, FlagLevel.AMBER, 0.12, 30_000.0),))
    decision = SimpleNamespace(kind="sign_now", offer="Our counter", result=signed,
                               per_year=np.array([800000.0, 900000.0]), sign_after_months=0,
                               expected_cost=2.5e6, saving_vs_payg=1.2e5,
                               shortfall_probability=0.12, extra_cost_p90=3.0e4,
                               reason="beats pay as you go by $120,000")
    row = decision_summary(SimpleNamespace(decision=decision))
    assert row == {"offer": "Our counter", "commitment_per_year": [800000.0, 900000.0],
                   "sign_after_months": 0, "expected_cost": 2.5e6, "saving_vs_payg": 1.2e5,
                   "shortfall_probability": 0.12, "extra_cost_p90": 3.0e4,
                   "colour": "amber",
                   "reasons": [{"risk": "shortfall", "level": "amber", "value": 0.12,
                                "dollars": 30_000.0},
                               "beats pay as you go by $120,000"]}
    waiting = SimpleNamespace(kind="pay_as_you_go", offer=None, result=None,
                              per_year=np.zeros(2), sign_after_months=0, expected_cost=3e6,
                              saving_vs_payg=0.0, shortfall_probability=0.0,
                              extra_cost_p90=0.0, reason="no offer beats pay as you go")
    row = decision_summary(SimpleNamespace(decision=waiting))
    assert row["offer"] == "pay as you go" and row["commitment_per_year"] == [0.0, 0.0]
    assert row["colour"] is None and row["reasons"] == ["no offer beats pay as you go"]


# --------------------------------------------------------------------------- memory
def test_the_memory_estimate_is_checked_before_the_plan(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    book = make_book(tmp_path / "book")
    entry = next(c for c in read_book(book).clients if c.name == "team")
    monkeypatch.setenv("COMMITPLAN_MEMORY_MIB", "64")
    # 100,000 paths x 24 months: the per-path series alone are 10 copies x 100,000 x 24 x
    # 8 bytes = 183 MiB, past 64 MiB.
    row = refresh_client(entry, RefreshOptions(str(tmp_path / "out"), paths=100_000))
    assert row["status"] == "failed"
    assert "past the memory budget of 64 MiB" in row["error"]
    assert not (tmp_path / "out").exists()  # refused before anything was simulated
    # A worker that does not see OUTDIR (a cluster without a shared folder) says so.
    monkeypatch.setenv("COMMITPLAN_MEMORY_MIB", "2048")
    row = refresh_client(entry, RefreshOptions(str(tmp_path / "out"), paths=50))
    assert row["status"] == "failed" and "no such folder on the worker's machine" in \
        row["error"] and not (tmp_path / "out").exists()
    monkeypatch.delenv("COMMITPLAN_MEMORY_MIB")
    monkeypatch.setattr("forecast.portfolio.client._worker_memory_limit", lambda: 100 << 20)
    from forecast.errors import PlannerError
    from forecast.scenario_io import load_scenario

    with pytest.raises(PlannerError, match="worker's memory limit of 100 MiB"):
        check_client_memory(load_scenario(entry.scenario), 100_000)
    check_client_memory(load_scenario(entry.scenario), 1000)  # 1.8 MiB of series: fits


# --------------------------------------------------------------------------- the book
def test_a_book_file_lists_clients_with_their_usage(tmp_path: Path):
    folder = make_book(tmp_path / "book")
    (folder / "clients.yml").write_text(yaml.safe_dump({"clients": [
        {"name": "Acme Corp.", "scenario": "team.yaml"},
        {"name": "Signed Ltd", "scenario": "signed.yaml", "usage": ["usage/signed/"],
         "as_of": "2027-03"}]}))
    book = read_book(folder / "clients.yml")
    assert [c.name for c in book.clients] == ["Acme Corp.", "Signed Ltd"]
    assert [c.folder for c in book.clients] == ["acme-corp", "signed-ltd"]
    assert book.clients[0].scenario == str((folder / "team.yaml").resolve())
    assert book.clients[1].usage == tuple(str(folder / "usage" / "signed" / f.name)
                                          for f in TRACKING_USAGE)
    assert book.clients[1].as_of == "2027-03"
    assert client_folder("株式会社") == "client-" + hashlib.sha256(
        "株式会社".encode()).hexdigest()[:8]
    assert client_seed(5, "a") != client_seed(5, "b") != client_seed(6, "b")


@pytest.mark.parametrize(("book", "message"), [
    ({"clients": []}, "clients: List should have at least 1 item"),
    ({"clients": [{"name": "A", "scenario": "a.yaml"}, {"name": "a", "scenario": "b.yaml"}]},
     "clients[1].name: 'a' shares its folder 'a' with 'A'"),
    ({"clients": [{"name": "A", "scenario": "a.yaml", "usgae": []}]},
     "clients[0].usgae: unknown field"),
    ({"clients": [{"name": "A\x1b[31m", "scenario": "a.yaml"}]}, "clients[0].name: contains"),
    ({"clients": [{"name": "A", "scenario": "a.yaml", "as_of": "2027-13"}]},
     "clients[0].as_of: '2027-13' is not a month"),
    ({"customers": []}, "clients: missing"),
])
def test_a_bad_book_exits_2_naming_the_field(tmp_path: Path, book: dict, message: str):
    path = tmp_path / "book.yaml"
    path.write_text(yaml.safe_dump(book))
    run = run_cli("portfolio", str(path), "-o", str(tmp_path / "out"))
    assert run.code == 2 and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


def test_bad_outdir_and_scheduler_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    book = make_book(tmp_path / "book")
    (tmp_path / "a-file").write_text("x")
    run = run_cli("portfolio", str(book), "-o", str(tmp_path / "a-file"))
    assert run.code == 2 and "is a file; give a folder" in run.stderr
    run = run_cli("portfolio", str(book), "-o", str(book))
    assert run.code == 2 and "is the book's own folder" in run.stderr
    run = run_cli("portfolio", str(book), "-o", str(tmp_path / "no" / "out"))
    assert run.code == 2 and "is not an existing folder" in run.stderr
    monkeypatch.setattr(cli_portfolio, "CONNECT_TIMEOUT", 1)
    run = run_cli("portfolio", str(book), "-o", str(tmp_path / "out"), "--scheduler",
                  "tcp://127.0.0.1:9")
    assert run.code == 2 and "--scheduler: cannot reach tcp://127.0.0.1:9" in run.stderr
    run = run_cli("portfolio", str(book), "-o", str(tmp_path / "out"), "--workers", "2",
                  "--scheduler", "tcp://127.0.0.1:9")
    assert run.code == 2 and "not allowed with argument" in run.stderr


def test_pdfs_and_focus_files_are_written_per_client(
        tmp_path: Path, cluster2: Any, monkeypatch: pytest.MonkeyPatch):
    book = make_book(tmp_path / "book")
    for name in ["team", "nightly", "globex", "broken"]:
        (book / f"{name}.yaml").unlink()
    out = tmp_path / "out"
    run = portfolio(cluster2, monkeypatch, str(book), "-o", str(out), "--paths", "200",
                    "--pdf", "internal,vendor", "--focus")
    assert run.code == 0, run.stderr
    got = rows(out)
    assert got["steady"]["files"] == [f"clients/steady/{f}" for f in [
        "focus/contract_commitment.csv", "focus/projection.csv", "internal.pdf", "plan.json",
        "vendor.pdf"]]
    assert "clients/signed/tracking.json" in got["signed"]["files"]
    assert complete_files(out) == []
    # The FOCUS contract row carries the commitment of the summary: $2,916 for year 1.
    contract = (out / "clients" / "steady" / "focus" / "contract_commitment.csv").read_text()
    assert ",2916," in contract


# --------------------------------------------------------------------------- interrupted
def complete_files(out: Path) -> list[Path]:
    """Every file under OUTDIR, each checked whole: JSON parses, a PDF ends with %%EOF,
    CSV ends with a line end. Returns the hidden files (a write in flight when killed)."""
    hidden = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.name.startswith("."):
            hidden.append(path)
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            finite_json(data.decode())
        elif path.suffix == ".pdf":
            assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), path
        else:
            assert data.endswith(b"\n"), path
    return hidden


def test_a_worker_killed_mid_run_leaves_no_half_written_file_and_a_rerun_completes(
        tmp_path: Path):
    book = make_book(tmp_path / "book")
    for name in ["globex", "broken"]:
        (book / f"{name}.yaml").unlink()
    out = tmp_path / "out"
    options = RefreshOptions(str(out), paths=200, focus=True)
    entries = read_book(book)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    try:
        with distributed.Client(cluster) as client:
            pids = client.run(os.getpid)
            done: dict[str, Any] = {}
            runner = threading.Thread(
                target=lambda: done.update(refresh=refresh_book(entries, options, client)))
            runner.start()
            deadline = time.monotonic() + 120
            while not any(out.glob("clients/*/plan.json")) and time.monotonic() < deadline:
                time.sleep(0.05)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)  # mid-run: some client is being refreshed
            runner.join(timeout=300)
            assert not runner.is_alive()
    finally:
        cluster.close()
    # Files already there are whole; a write in flight left at most a hidden temporary.
    hidden = complete_files(out)
    assert all(p.name.endswith(".tmp") for p in hidden), hidden
    # The refresh went on without the dead worker (its task re-run elsewhere, or a row
    # saying it was lost); the summary is not written by refresh_book.
    refresh = done["refresh"]
    assert len(refresh.rows) == 4
    assert not (out / "summary.json").exists()
    # A re-run completes: every client ok, no temporary file left, every file whole.
    with threads_cluster(2) as again, distributed.Client(again) as client:
        rerun = refresh_book(entries, options, client)
    assert rerun.failed == []
    assert complete_files(out) == []
    for r in rerun.rows:
        assert sorted(r["files"]) == sorted(
            str(p.relative_to(out).as_posix())
            for p in (out / "clients" / r["client"]).rglob("*") if p.is_file())


def test_partial_files_of_a_killed_run_are_swept_and_nothing_else(tmp_path: Path):
    from forecast.portfolio import sweep_partial_files

    folder = tmp_path / "clients" / "acme"
    (folder / ".focus.0123abcd.tmp").mkdir(parents=True)
    (folder / ".focus.0123abcd.tmp" / "projection.csv").write_text("half")
    (folder / ".plan.json.89abcdef.tmp").write_text('{"half": ')
    (folder / "focus").mkdir()
    (folder / "focus" / ".projection.csv.0011aabb.old").write_text("kept during a swap")
    (folder / "plan.json").write_text("{}\n")
    (folder / ".notes").write_text("the advisor's own hidden file")
    assert sweep_partial_files(tmp_path) == 3
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == [
        ".notes", "focus", "plan.json"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_counts_clients_on_standard_error(
        tmp_path: Path, cluster2: Any, monkeypatch: pytest.MonkeyPatch):
    book = tmp_path / "book"
    book.mkdir()
    (book / "steady.yaml").write_text(STEADY)
    (book / "again.yaml").write_text(STEADY)
    monkeypatch.setattr(cli_portfolio, "_connect",
                        lambda _args: (distributed.Client(cluster2), None))
    err = _Terminal()
    with redirect_stderr(err):
        code = main(["portfolio", str(book), "-o", str(tmp_path / "out"), "--paths", "50"])
    assert code == 0
    assert "clients: 100%" in err.getvalue() and "2/2" in err.getvalue()
    assert "refreshed 2 clients into" in err.getvalue()


def test_scheduler_connects_to_an_existing_cluster(tmp_path: Path):
    """``--scheduler tcp://HOST:PORT``: the command connects to a running cluster (here one
    in this process, listening on TCP) and leaves it running."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "steady.yaml").write_text(STEADY)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp://", dashboard_address=":0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        run = run_cli("portfolio", str(book), "-o", str(tmp_path / "out"), "--paths", "50",
                      "--scheduler", address)
        assert run.code == 0, run.stderr
        assert rows(tmp_path / "out")["steady"]["commitment_per_year"] == [2916.0]
        assert cluster.status.name == "running"
