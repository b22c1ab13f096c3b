"""Fuzz: malformed scenarios and command lines never crash the planner.

Hypothesis (derandomized, a bounded number of examples) mutates the bundled scenarios (wrong
types, non-finite and huge numbers, percentages, deep nesting, duplicate keys, control
characters, missing and unknown fields) and assembles command lines from good and bad
flags, amounts and paths. For each, run in-process through ``forecast.cli.main``:

- the exit status is 0 or 2, never 1 (an internal error) or a traceback;
- on 2, the message names a field (or the line, or the argument);
- on 2, no file in the working folder is created or changed;
- on 0, every number in every JSON output is finite (NaN or Infinity fails the parse);
- numpy prints no RuntimeWarning.

Two subprocess smoke tests check the same through the real entry point.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import warnings
from contextlib import chdir
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from forecast import limits
from forecast.errors import PlannerError
from tests.conftest import ROOT, SCENARIOS
from tests.inprocess import Run, finite_json, run_cli

BUNDLED = [yaml.safe_load(p.read_text()) for p in SCENARIOS]
# One with every optional clause, so that mutations reach them too: price cuts, a red
# shortfall line, a shortfall credit, price protection and offers of both kinds.
_CLAUSES = yaml.safe_load((ROOT / "scenarios" / "nightly-enrichment.yaml").read_text())
_CLAUSES["uncertainty"]["price_cuts"] = {"annual_probability": 0.3,
                                         "size": {"mean": 0.25, "sd": 0.1}}
_CLAUSES["contract"].update(shortfall_credit=0.25, price_protection=True, sign_by="2027-06",
                            risk_appetite={"max_shortfall_probability": 0.1,
                                           "red_shortfall_probability": 0.3,
                                           "max_extra_cost_p90": 50_000,
                                           "max_expected_unused": 100_000})
_CLAUSES["current_discount"] = 0.12
_CLAUSES["offers"].append({"name": "Credit", "discount_tiers": [
    {"min_annual_commit": 400000, "discount": 0.1}], "shortfall_credit": 0.5,
    "price_protection": True, "years": 2, "sign_by": "2027-03", "from": "vendor"})
_CLAUSES["negotiation"] = {"min_ask_value": 5_000, "disclose": "P30"}
_CLAUSES["history"] = [{"month": "2026-10", "list_spend": 61_000},
                       {"month": "2026-11", "list_spend": 64_500.5}]
# A growth fitted on history, with the part of its error the workloads share.
_CLAUSES["workloads"][0]["growth"] = {**_CLAUSES["workloads"][0].get("growth", {}),
                                      "monthly_sd": 0.01, "fit_months": 12}
_CLAUSES["uncertainty"].update(shared_growth_sd=0.005, shared_fit_months=12)
# The last workload's volume is noise around a trend (growth.model), fitted on 12 months.
_CLAUSES["workloads"][-1]["growth"] = {**_CLAUSES["workloads"][-1].get("growth", {}),
                                       "monthly_sd": 0.01, "fit_months": 12,
                                       "model": "trend_noise"}
BUNDLED.append(_CLAUSES)
# One on the 2026-12 book whose models retire inside the horizon (Opus 4.5 from 2027-02,
# Sonnet 4.5 from 2026-12), with a current discount and a contract id: mutations reach the
# retirement moves, current_discount and the new book.
_RETIRING = yaml.safe_load((ROOT / "scenarios" / "nightly-enrichment.yaml").read_text())
_RETIRING.update(price_book="anthropic-2026-12", start="2026-10", current_discount=0.12)
_RETIRING["contract"]["id"] = "ACME-2026-10"
BUNDLED.append(_RETIRING)
FAST = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: A problem led by a field path: ``workloads[3].optimized.models.claude-haiku-4-5: ...``.
FIELD_PATH = re.compile(r"[A-Za-z_][\w-]*(\[\d+\])*(\.[\w-]+(\[\d+\])*)*: ")
#: Problems with the file as a whole, before any field exists.
FILE_PROBLEMS = ("line ", "not valid YAML/JSON", "the file must hold a mapping",
                 "the file is empty", "holds more than", "is larger than", "no such file",
                 "is a folder", "is not UTF-8")

BAD_VALUES = st.sampled_from([
    math.inf, -math.inf, math.nan, "1e400", "-1e400", ".inf", True, False, None, 10**400,
    -(10**30), -1, 0, 1, 3, 50, 100, 1e308, -1e308, 5e-324, 1e11, 1e16, "", "   ",
    "\x1b[31mred", "bell\x07", "nul\x00", "cr\rcr", "\x85", [], {}, [1, 2], {"x": 1},
    "1e5", "abc", 2**63, 0.5, 0.99, -0.99, "2027-13", "0000-01", "claude-sonet-4-5",
]) | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20)


#: Values at the edges of what a field accepts (forecast/limits.py), by field name.
EDGES: dict[str, list[Any]] = {
    "requests_per_month": [0, 1e-9, 5e-324, 1e8, "1e7", "2.5e6"],
    "monthly": [limits.GROWTH_RANGE[0], limits.GROWTH_RANGE[1], 0.0, "3e-2",
                limits.TOKEN_DRIFT_RANGE[1]],
    "volatility": [0.0, limits.MAX_TOKEN_DRIFT_VOLATILITY, limits.MAX_VOLATILITY],
    "shared_growth_volatility": [0.0, limits.MAX_VOLATILITY],
    "monthly_sd": [0.0, limits.MAX_GROWTH_SD, 0.1000001],
    "shared_growth_sd": [0.0, limits.MAX_GROWTH_SD, 0.2],
    "fit_months": [0, 2, 3, 600, 601, 12.0, 12.5, "12"],
    "shared_fit_months": [0, 1, 3, 600, 10**9],
    "model": ["random_walk", "trend_noise", "TREND_NOISE", "trend noise", "damped", ""],
    "mean": [0.0, 1e-12, 1.0, 0.999999, limits.MAX_SLIP_MONTHS],
    "sd": [0.0, 1e-200, limits.MIN_BETA_SD, 0.2],
    "cacheable_prefix": [0, limits.MAX_TOKENS_PER_REQUEST], "input": [0, 1e5],
    "output": [0, 1e5],
    "walk_back_probability": [0.0, 1.0], "urgent_share": [0.0, 1.0],
    "launch_probability": [0.0, 1e-9, 1.0], "batch_share": [0.0, 1.0],
    "cache_hit_rate": [0.0, 1.0], "rollover": [0.0, 1.0], "discount": [0.0, 0.999],
    "min_annual_commit": [0, limits.MAX_ANNUAL_COMMIT], "horizon_months": [12, 60],
    "years": [1, 5], "lands_month": [1, 12], "ramp_months": [0, limits.MAX_RAMP_MONTHS],
    "ends_month": [1, limits.MAX_ENDS_MONTH], "starts_month": [1, 12],
    "acceptable_latency_minutes": [1e-9, 59.9, 60, limits.MAX_LATENCY_MINUTES],
    "max_shortfall_probability": [1e-9, 0.999], "name": ["x" * 2000, "Ünïcødé 名前", "a"],
    "start": ["2000-01", "2099-12", "2027-01-31"],
    "workspace": [["support"], "support", ["x" * 2000], [], ["a", "a"]],
    "id": ["ACME-1", "", "x" * 2000],
    "annual_probability": [0.0, 1.0, 1.5, -0.1], "shortfall_credit": [0.0, 1.0, 2.0],
    "price_protection": [True, False, 1, "yes"],
    "commitments": [[0], [1e11], [1, 2], [], [-1]],
    "red_shortfall_probability": [0.05, 1.0, 0.0],
    "sign_by": ["2027-13", "2026-12", "2027-06-30", "", 2027, "June"],
    "max_extra_cost_p90": [0, -1, limits.MAX_ANNUAL_COMMIT, 1e12],
    "max_expected_unused": [0, -1, limits.MAX_ANNUAL_COMMIT, 1e12],
    "current_discount": [0.0, 0.9999, 1.0, -0.01, "12%"],
    "price_book": ["anthropic-2026-11", "anthropic-2026-12", "anthropic-2027-01"],
}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a nested document (the root excluded)."""
    out = []
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return out
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def scenario_texts(draw: st.DrawFn) -> str:
    """A bundled scenario with one to three mutations, as YAML or JSON text."""
    doc = copy.deepcopy(draw(st.sampled_from(BUNDLED)))
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        op = draw(st.sampled_from(["replace", "replace", "delete", "extra", "deep", "scale",
                                   "edge", "edge", "edge"]))
        if op == "edge":
            # A value at or near a bound: most of these validate and go on to be planned.
            path = draw(st.sampled_from([p for p in paths if p[-1] in EDGES] or paths))
            parent, key = _parent(doc, path), path[-1]
            if key in EDGES:
                parent[key] = draw(st.sampled_from(EDGES[key]))
        elif op == "replace":
            parent[key] = draw(BAD_VALUES)
        elif op == "delete":
            del parent[key]
        elif op == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "batch_shar", "Name", "note"]))] = 1
        elif op == "deep":
            parent[key] = _nested(draw(st.sampled_from([5, 40, 100])))
        elif op == "scale" and isinstance(parent[key], int | float) \
                and not isinstance(parent[key], bool):
            parent[key] = parent[key] * draw(st.sampled_from([100, 1e6, 1e300, -1]))
    if draw(st.booleans()):
        text = json.dumps(doc)  # NaN and Infinity appear as such: YAML reads them as text
    else:
        try:
            text = yaml.safe_dump(doc, sort_keys=False)
        except yaml.YAMLError:
            text = json.dumps(doc)
    twist = draw(st.sampled_from(["none", "none", "none", "duplicate", "truncate", "control",
                                  "overlong", "no-date"]))
    if twist == "duplicate":
        text = ('{"name": "first", ' + text[1:]) if text.startswith("{") \
            else text + "\nname: again\n"
    elif twist == "truncate":
        text = text[:draw(st.integers(0, max(0, len(text) - 1)))]
    elif twist == "control":
        text = text.replace("name:", 'name: "\\e[2J\\a"\nx_old_name:', 1)
    elif twist == "overlong":  # an integer past Python's 4,300-digit text conversion
        text = re.sub(r"(?<=: )\d+\b", "9" * draw(st.sampled_from([400, 4301, 5000])), text,
                      count=1)
    elif twist == "no-date":  # a date YAML reads but no calendar has
        text = re.sub(r"(?m)^start: .*$", draw(st.sampled_from(
            ["start: 2026-02-30", "start: 2027-13-01", "start: 0000-01-01"])), text, count=1)
    return text


def names_a_field(stderr: str) -> bool:
    """True when every problem in an error message is led by a field, a line or the file."""
    body = stderr.strip().removeprefix("error: ")
    if not body:
        return False
    lines = [ln.strip().removeprefix("- ") for ln in body.splitlines()]
    head = lines[0].split(": ", 1)[-1]
    problems = lines[1:] if re.match(r"\d+ problems:$", head) else [head]

    def named(problem: str) -> bool:
        return bool(FIELD_PATH.match(problem)) \
            or any(problem.startswith(p) or p in problem for p in FILE_PROBLEMS)

    return all(named(p) for p in problems)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def checked(*argv: str) -> Run:
    """Run the CLI and check what every run must satisfy: exit 0 or 2, no traceback, no
    numpy warning, a named field on failure, finite JSON on success."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_cli(*argv)
    assert result.code in (0, 2), (argv, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], \
        [str(w.message) for w in caught]
    if result.code == 0 and argv[0] in ("project", "plan") and "--json" in argv \
            and "-o" not in argv:
        finite_json(result.stdout)
    return result


# --------------------------------------------------------------------------- scenarios
@settings(FAST, max_examples=70)
@given(text=scenario_texts(), sensitivity=st.sampled_from([False, False, False, True]))
def test_malformed_scenarios_exit_2_with_a_field_or_run_finite(text: str, sensitivity: bool):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "s.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        before = snapshot(folder)
        result = checked("validate", str(path))
        event(f"validate exits {result.code}")
        if result.code == 2:
            assert result.stderr.startswith(f"error: {path}: "), result.stderr
            assert names_a_field(result.stderr), result.stderr
            for command in (("project", "--json"), ("plan", "--json", "--paths", "20")):
                again = checked(command[0], str(path), *command[1:], "-o",
                                str(folder / "out.json"))
                assert again.code == 2
            assert snapshot(folder) == before  # nothing written on failure
            return
        out = folder / "projection.json"
        assert checked("project", str(path), "--json", "-o", str(out)).code == 0
        finite_json(out.read_text())
        assert checked("project", str(path), "--csv").code == 0
        plan = ["plan", str(path), "--json", "--paths", "30"]
        assert checked(*plan, *([] if sensitivity else ["--no-sensitivity"])).code == 0


# --------------------------------------------------------------------------- arguments
AMOUNTS = st.sampled_from([
    "1" + "0" * 400, "inf", "nan", "-1", "0", "1.2M", "900k/1.1M", "900k/1.1M/1.3M/2M", "",
    "1e5", "$5", "1,000,000", "5kk", "100,000M", "100,001M", "١٢٣", "1_0", ".5k", "/",
])
ASKS_FOR = st.sampled_from(["scenario contract", "Our counter", "Vendor renewal", "nobody",
                           "", "x" * 3000])
NUMBERS = st.sampled_from(["0", "1", "-3", "20", "100001", "9" * 30, "abc", "1.5", "",
                           "1" + "0" * 5000, "9223372036854775808", " 7"])
PATHS = st.sampled_from(["{SCEN}"] * 6 + ["{MISSING}", "{DIR}", "/dev/zero", "{EMPTY}",
                                          "{BINARY}"])
OUTPUTS = st.sampled_from(["{OUT}", "{OUT}", "{OUT}", "{SCEN}", "{DIR}", "{NODIR}", "{RO}",
                           "/dev/null", "{LINK}"])


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["validate", "project", "plan", "plan", "bogus"]))
    argv = [command] if command != "bogus" else [draw(st.sampled_from(["", "-h", "--x"]))]
    if draw(st.integers(0, 9)) > 0:
        argv.append(draw(PATHS))
    options = {
        "--json": [], "--csv": [], "--no-sensitivity": [], "--jsn": [],
        "-o": [OUTPUTS], "--paths": [NUMBERS], "--seed": [NUMBERS],
        "--commit": [AMOUNTS], "--commit ": [AMOUNTS, AMOUNTS],
        "--asks-for": [ASKS_FOR],
    }
    for flag in draw(st.lists(st.sampled_from(sorted(options)), max_size=4)):
        argv.append(flag.strip())
        argv += [draw(value) for value in options[flag]]
    if command == "plan" and "--paths" not in argv:
        argv += ["--paths", "30"]  # keep the runs fast: a plan's default is 100 paths here
    return argv


def _workspace(folder: Path) -> dict[str, str]:
    scenario = yaml.safe_load(SCENARIOS[-1].read_text())
    scenario["simulation"] = {"paths": 100, "seed": 3}
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    (folder / "empty.yaml").write_text("")
    (folder / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "ro.json").write_text("keep")
    (folder / "ro.json").chmod(0o444)
    (folder / "sub").mkdir()
    (folder / "link.json").symlink_to("target.json")
    return {"{SCEN}": str(folder / "s.yaml"), "{MISSING}": str(folder / "missing.yaml"),
            "{DIR}": str(folder / "sub"), "{EMPTY}": str(folder / "empty.yaml"),
            "{BINARY}": str(folder / "binary.yaml"), "{OUT}": str(folder / "out.json"),
            "{NODIR}": str(folder / "no" / "out.json"), "{RO}": str(folder / "ro.json"),
            "{LINK}": str(folder / "link.json")}


@settings(FAST, max_examples=90)
@given(argv=command_lines())
def test_malformed_command_lines_exit_2_or_run(argv: list[str]):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        places = _workspace(folder)
        argv = [places.get(a, a) for a in argv]
        before = snapshot(folder)
        result = checked(*argv)
        event(f"{argv[0]} exits {result.code}")
        after = snapshot(folder)
        if result.code == 2:
            assert result.stderr.strip(), argv
            assert after == before, argv  # no output file on failure
            return
        assert after["s.yaml"] == before["s.yaml"]  # an input is never overwritten
        assert after["ro.json"] == b"keep"
        changed = {name for name in after if before.get(name) != after[name]}
        if "-o" in argv and argv[0] in ("project", "plan"):
            last = len(argv) - 1 - argv[::-1].index("-o")  # argparse keeps the last -o
            target = Path(argv[last + 1])
            allowed = {target.name, "target.json"} if target.parent == folder else set()
            assert changed <= allowed, (argv, changed)
            if "--json" in argv and target.parent == folder:
                finite_json((folder / ("target.json" if target.name == "link.json"
                                       else target.name)).read_text())
        else:
            assert not changed


def test_argument_errors_name_the_argument():
    for argv, needle in ((["plan", str(SCENARIOS[0]), "--paths", "abc"], "--paths"),
                         (["plan", str(SCENARIOS[0]), "--commit", "1" + "0" * 400],
                          "--commit"),
                         (["plan", str(SCENARIOS[0]), "--seed", "-3"], "--seed"),
                         (["project", str(SCENARIOS[0]), "--jsn"], "--jsn")):
        result = checked(*argv)
        assert result.code == 2 and needle in result.stderr, (argv, result.stderr)


# --------------------------------------------------------------------------- smoke tests
def _subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forecast", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_smoke_bad_scenario_through_the_entry_point(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nname: y\nhorizon_months: .inf\n")
    result = _subprocess("plan", str(bad), "--json", "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "line 2: duplicate key 'name' (first on line 1)" in result.stderr
    assert "Traceback" not in result.stderr and sorted(p.name for p in tmp_path.iterdir()) \
        == ["bad.yaml"]


def test_smoke_good_scenario_json_is_finite(tmp_path: Path):
    result = _subprocess("plan", str(ROOT / "scenarios" / "team-three-workloads.yaml"),
                         "--json", "--paths", "200", "--commit", "250k", "--commit", "1e400",
                         cwd=tmp_path)
    assert result.returncode == 2 and "--commit" in result.stderr  # 1e400 is not an amount
    result = _subprocess("plan", str(ROOT / "scenarios" / "team-three-workloads.yaml"),
                         "--json", "--paths", "200", "--commit", "250k", "--commit", "400k",
                         "-o", "plan.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    finite_json((tmp_path / "plan.json").read_text())


# --------------------------------------------------------------------------- track, export
TRACKED = ROOT / "scenarios" / "signed-contract-tracking.yaml"
TRACKED_USAGE = ROOT / "tests" / "fixtures" / "tracking" / "console-usage-2026-12-to-2027-05.csv"
MONTHS = st.sampled_from(["2027-04", "2027-02", "2027-01", "2028-12", "2027-4", "2027-13",
                          "1999-01", "2026-12", "2029-01", "", "abc", "2027-04-01", "9" * 40,
                          " 2027-02"])
USAGE = st.sampled_from(["{USAGE}"] * 12 + ["{MISSING}", "{DIR}", "/dev/zero", "{EMPTY}",
                                            "{BINARY}", "{BADCSV}", "{SCEN}"])
TRACK_OUTPUTS = st.sampled_from(["{OUT}", "{OUT}", "{PDF}", "{SCEN}", "{USAGE}", "{DIR}",
                                 "{NODIR}", "{RO}", "/dev/null"])
FOLDERS = st.sampled_from(["{NEWDIR}"] * 4 + ["{DIR}", "{DIR}", "{RO}", "{RODIR}", "{NODIR}",
                                              "{SCEN}", "{USAGE}"])


@st.composite
def tracking_command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["track", "track", "track", "export", "export"]))
    argv = [command, draw(st.sampled_from(["{SCEN}"] * 8 + ["{NOCONTRACT}", "{MISSING}"]))]
    if command == "track":
        argv += [draw(USAGE) for _ in range(draw(st.sampled_from([1, 1, 1, 2, 0])))]
        options: dict[str, list[Any]] = {"--json": [], "--as-of": [MONTHS],
                                         "-o": [TRACK_OUTPUTS], "--paths": [NUMBERS],
                                         "--seed": [NUMBERS], "--jsn": []}
        weights = ["--json", "--json", "--as-of", "--as-of", "-o", "-o", "--paths", "--seed",
                   "--jsn"]
    else:
        options = {"--focus": [], "-o": [FOLDERS], "--paths": [NUMBERS], "--seed": [NUMBERS],
                   "--planned": [], "--focus-version": [st.sampled_from(
                       ["1.3", "1.4", "1.5", "", "1.30"])]}
        weights = sorted(options)
        if draw(st.integers(0, 9)) > 0:
            argv.append("--focus")
        if draw(st.integers(0, 9)) > 0:
            argv += ["-o", draw(FOLDERS)]
    for flag in draw(st.lists(st.sampled_from(weights), max_size=2)):
        argv.append(flag)
        argv += [draw(value) for value in options[flag]]
    if "--paths" not in argv:
        argv += ["--paths", "40"]
    return argv


def _tracking_workspace(folder: Path) -> dict[str, str]:
    scenario = yaml.safe_load(TRACKED.read_text())
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    del scenario["contract"]["commitments"]
    (folder / "nocontract.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    (folder / "usage.csv").write_bytes(TRACKED_USAGE.read_bytes())
    (folder / "bad.csv").write_text("date,model\n2027-01-01,not-a-model\n")
    (folder / "empty.csv").write_text("")
    (folder / "binary.csv").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "ro.json").write_text("keep")
    (folder / "ro.json").chmod(0o444)
    (folder / "sub").mkdir()
    (folder / "rodir").mkdir()
    (folder / "rodir").chmod(0o555)
    return {"{SCEN}": str(folder / "s.yaml"), "{NOCONTRACT}": str(folder / "nocontract.yaml"),
            "{MISSING}": str(folder / "missing.csv"), "{USAGE}": str(folder / "usage.csv"),
            "{BADCSV}": str(folder / "bad.csv"), "{EMPTY}": str(folder / "empty.csv"),
            "{BINARY}": str(folder / "binary.csv"), "{DIR}": str(folder / "sub"),
            "{PDF}": str(folder / "out.pdf"), "{OUT}": str(folder / "out.json"),
            "{NODIR}": str(folder / "no" / "out"), "{RO}": str(folder / "ro.json"),
            "{RODIR}": str(folder / "rodir"), "{NEWDIR}": str(folder / "focus")}


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (paths relative to it) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@settings(FAST, max_examples=45)
@given(argv=tracking_command_lines())
def test_malformed_track_and_export_command_lines_exit_2_or_run(argv: list[str]):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        places = _tracking_workspace(folder)
        try:
            argv = [places.get(a, a) for a in argv]
            before = tree(folder)
            result = checked(*argv)
            event(f"{argv[0]} exits {result.code}")
            after = tree(folder)
            if result.code == 2:
                assert result.stderr.strip(), argv
                assert after == before, argv  # nothing written on failure
                assert not (folder / "focus").exists()
                return
            for name in ("s.yaml", "usage.csv", "ro.json"):
                assert after[name] == before[name]  # an input is never overwritten
            changed = {name for name in after if before.get(name) != after[name]}
            if argv[0] == "export":
                assert changed and all(n.endswith(".csv") for n in changed), changed
            elif "-o" in argv:
                last = len(argv) - 1 - argv[::-1].index("-o")
                target = Path(argv[last + 1])
                assert changed <= ({target.name} if target.parent == folder else set())
                if target.suffix == ".json" and "--json" in argv:
                    finite_json(target.read_text())
            else:
                assert not changed
                if "--json" in argv:
                    finite_json(result.stdout)
        finally:
            (folder / "rodir").chmod(0o755)


def test_usage_match_edges_are_refused_naming_the_field():
    scenario = yaml.safe_load(TRACKED.read_text())
    for match, needle in (({}, "usage_match: names no field"),
                          ({"workspace": []}, "usage_match.workspace"),
                          ({"workspace": ["a\x1b[2J"]}, "usage_match.workspace[0]: contains ESC"),
                          ({"workspace": ["x"] * (limits.MAX_MATCH_VALUES + 1)},
                           "usage_match.workspace"),
                          ({"team": ["a"]}, "usage_match.team: unknown field")):
        doc = copy.deepcopy(scenario)
        doc["workloads"][0]["usage_match"] = match
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "s.yaml"
            path.write_text(yaml.safe_dump(doc), encoding="utf-8")
            result = checked("validate", str(path))
        assert result.code == 2 and needle in result.stderr, (match, result.stderr)
        assert names_a_field(result.stderr), result.stderr


@pytest.mark.parametrize("extra", [
    ["--usage", "{MISSING}"], ["--usage", "{BADCSV}"], ["--usage", "{USAGE}", "--as-of", "2027-13"],
    ["--usage", "{USAGE}", "--as-of", "2026-01"], ["--usage"], ["--as-of", "2027-04"],
])
def test_report_usage_flags_exit_2_and_write_nothing(extra: list[str]):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        places = _tracking_workspace(folder)
        try:
            argv = ["report", places["{SCEN}"], "-o", str(folder / "r.pdf"), "--paths", "30",
                    "--no-sensitivity", *(places.get(a, a) for a in extra)]
            before = tree(folder)
            result = checked(*argv)
            if extra == ["--as-of", "2027-04"]:  # without --usage: no tracking page, a plan
                assert result.code == 0, result.stderr
                return
            assert result.code == 2, (argv, result.stderr)
            assert tree(folder) == before
        finally:
            (folder / "rodir").chmod(0o755)


def test_report_usage_without_a_signed_contract_exits_2_before_simulating():
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        places = _tracking_workspace(folder)
        try:
            result = checked("report", places["{NOCONTRACT}"], "-o", str(folder / "r.pdf"),
                             "--usage", places["{USAGE}"], "--paths", "30")
            assert result.code == 2 and "contract.commitments: not given" in result.stderr
            assert not (folder / "r.pdf").exists()
        finally:
            (folder / "rodir").chmod(0o755)


# --------------------------------------------------------------------------- history, desk
HISTORY = sorted((ROOT / "tests" / "fixtures" / "usage" / "history").glob("*.json"))
SHARES = st.sampled_from(["0.3", "30%", "1", "0", "150", "-0.1", "abc", "", "nan", "1e400"])
DATES = st.sampled_from(["2026-10-07", "2026-10-06", "2026-13-01", "yesterday", "", "1677-01-01",
                         "2263-01-01", "2026-10"])


@st.composite
def history_command_lines(draw: st.DrawFn) -> list[str]:
    """backtest, prices, import and report with their own flags, good and malformed."""
    command = draw(st.sampled_from(["backtest", "backtest", "prices", "import", "report"]))
    if command == "prices":
        argv = ["prices"]
        options: dict[str, list[Any]] = {"--model": [st.sampled_from(
            ["claude-sonnet-5-5", "Claude Haiku 5.5", "claude-fable-5-2", "gpt-4", "",
             "x" * 2000])],
            "--on": [DATES], "--json": [], "--unverified": [],
            "--price-book": [st.sampled_from(["anthropic-2026-11", "anthropic-2026-12",
                                              "anthropic-2027-01", "", "{SCEN}"])]}
    elif command == "report":
        argv = ["report", "{SCEN}", "-o", draw(st.sampled_from(["{PDF}", "{PDF}", "{SCEN}"])),
                "--no-sensitivity", "--paths", "30"]
        options = {"--audience": [st.sampled_from(["internal", "vendor", "Vendor", "", "x"])],
                   "--asks-for": [ASKS_FOR], "--propose": [ASKS_FOR],
                   "--commit": [AMOUNTS]}
    else:
        argv = [command, *(["{HISTORY}"] if draw(st.integers(0, 9)) else [])]
        options = {"--group-by": [st.sampled_from(["product", "model", "workspace", "api_key",
                                                   "team", ""])],
                   "--batch-share": [SHARES], "--include-provisional": [], "--json": []}
        if command == "backtest":
            options |= {"--train-months": [NUMBERS], "--horizon": [NUMBERS], "--rolling": [],
                        "--paths": [NUMBERS], "--seed": [NUMBERS]}
            if draw(st.integers(0, 3)):
                argv += ["--train-months", draw(st.sampled_from(["6", "9", "3", "12", "0"]))]
            argv += ["--paths", "100"]
        else:
            options |= {"--months": [NUMBERS], "-o": [OUTPUTS], "--report": []}
            options.pop("--json")
    for flag in draw(st.lists(st.sampled_from(sorted(options)), max_size=3)):
        argv.append(flag)
        argv += [draw(value) for value in options[flag]]
    return argv


@settings(FAST, max_examples=40)
@given(argv=history_command_lines())
def test_malformed_history_and_desk_command_lines_exit_2_or_run(argv: list[str]):
    """The flags of backtest, prices, import and report (--audience, --asks-for): exit 0 or 2,
    no traceback, the bad argument named, nothing written on failure."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        places = _workspace(folder)
        places["{PDF}"] = str(folder / "out.pdf")
        expanded: list[str] = []
        for a in argv:
            expanded += [str(h) for h in HISTORY] if a == "{HISTORY}" else [places.get(a, a)]
        before = snapshot(folder)
        result = checked(*expanded)
        event(f"{argv[0]} exits {result.code}")
        if result.code == 2:
            assert result.stderr.strip(), expanded
            assert snapshot(folder) == before, expanded  # nothing written on failure
            return
        assert snapshot(folder)["s.yaml"] == before["s.yaml"]
        if "--json" in argv and "-o" not in argv:
            finite_json(result.stdout)


def test_desk_argument_errors_name_the_argument(tmp_path: Path):
    out = tmp_path / "out.pdf"
    for argv, needle in (
            (["report", str(SCENARIOS[0]), "-o", str(out), "--audience", "Vendor"],
             "--audience"),
            (["plan", str(SCENARIOS[0]), "--paths", "30", "--no-sensitivity", "--asks-for",
              "nobody"], "--asks-for: no offer named nobody"),
            (["report", str(SCENARIOS[0]), "-o", str(out), "--audience", "vendor",
              "--propose", "nobody"], "--propose: no offer named 'nobody'"),
            (["backtest", *map(str, HISTORY), "--train-months", "0"], "--train-months"),
            (["import", *map(str, HISTORY), "--batch-share", "150"], "--batch-share"),
            (["prices", "--on", "2026-13-01"], "--on")):
        result = checked(*argv)
        assert result.code == 2 and needle in result.stderr, (argv, result.stderr)
        assert not out.exists()


@pytest.mark.parametrize(("patch", "field"), [
    ({"negotiation": {"min_ask_value": -1}}, "negotiation.min_ask_value"),
    ({"negotiation": {"min_ask_value": "lots"}}, "negotiation.min_ask_value"),
    ({"negotiation": {"min_ask_value": True}}, "negotiation.min_ask_value"),
    ({"negotiation": {"min_ask_value": 1e300}}, "negotiation.min_ask_value"),
    ({"negotiation": {"disclose": "P0"}}, "negotiation.disclose"),
    ({"negotiation": {"disclose": "P100"}}, "negotiation.disclose"),
    ({"negotiation": {"disclose": "median"}}, "negotiation.disclose"),
    ({"negotiation": {"disclose": 25}}, "negotiation.disclose"),
    ({"negotiation": {"disclose": None}}, "negotiation.disclose"),
    ({"negotiation": {"discloze": "P25"}}, "negotiation.discloze"),
    ({"negotiation": "P25"}, "negotiation"),
    ({"offers": [{"name": "A", "from": "seller"}]}, "offers[0].from"),
    ({"offers": [{"name": "A", "from": 1}]}, "offers[0].from"),
    ({"offers": [{"name": "A", "from": None}]}, "offers[0].from"),
    ({"history": []}, "history"),
    ({"history": "2026-01"}, "history"),
    ({"history": [{"month": "2026-13", "list_spend": 1}]}, "history[0].month"),
    ({"history": [{"month": "2026-01", "list_spend": -1}]}, "history[0].list_spend"),
    ({"history": [{"month": "2026-01", "list_spend": "nan"}]}, "history[0].list_spend"),
    ({"history": [{"month": "2026-01"}]}, "history[0].list_spend"),
    ({"history": [{"month": "2026-01", "list_spend": 1, "x": 2}]}, "history[0].x"),
    ({"history": [{"month": "2026-02", "list_spend": 1},
                  {"month": "2026-01", "list_spend": 1}]}, "history[1].month"),
    ({"history": [{"month": "2026-01", "list_spend": 1},
                  {"month": "2026-01", "list_spend": 1}]}, "history[1].month"),
    ({"history": [{"month": f"{2000 + i // 12}-{i % 12 + 1:02d}", "list_spend": 1}
                  for i in range(121)]}, "history"),
])
def test_negotiation_fields_are_refused_naming_the_field(tmp_path: Path, patch: dict,
                                                         field: str):
    doc = copy.deepcopy(BUNDLED[0]) | patch
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = checked("validate", str(path))
    assert result.code == 2 and field in result.stderr, result.stderr


# --------------------------------------------------------------------------- round two
# Every file a command reads against every file it writes: no output may be an input, however
# it is spelled (the same path, ./name, a detour through a folder, a symlink, a hard link).
BOOK = ROOT / "forecast" / "data" / "pricebooks" / "anthropic-2026-11.yaml"
#: Per command that writes: its command line (``{OUT}`` is the output) and the files it reads
#: (the scenario's own price book, book.yaml beside it, included).
WRITERS: dict[str, tuple[list[str], list[str]]] = {
    "project": (["project", "{SCEN}", "--json", "-o", "{OUT}"], ["{SCEN}", "{BOOK}"]),
    "plan": (["plan", "{SCEN}", "--paths", "30", "--no-sensitivity", "-o", "{OUT}"],
             ["{SCEN}", "{BOOK}"]),
    "report": (["report", "{SCEN}", "--paths", "30", "--no-sensitivity", "--usage",
                "{USAGE}", "-o", "{OUT}"], ["{SCEN}", "{BOOK}", "{USAGE}"]),
    "track": (["track", "{SCEN}", "{USAGE}", "--paths", "30", "-o", "{OUT}"],
              ["{SCEN}", "{BOOK}", "{USAGE}"]),
    "import": (["import", "{USAGE}", "--price-book", "{BOOK}", "-o", "{OUT}"],
               ["{USAGE}", "{BOOK}"]),
    "export": (["export", "{SCEN}", "--focus", "--paths", "30", "-o", "{OUT}"],
               ["{SCEN}", "{BOOK}"]),
    # A book of clients (a folder of scenarios) refreshed into a folder.
    "portfolio": (["portfolio", "{CLIENTS}", "--workers", "1", "--paths", "30", "-o",
                   "{OUT}"], ["{CLIENTS}", "{CLIENT}"]),
}
#: The parser's arguments that name files a command reads (checked against WRITERS below).
FILE_ARGUMENTS = {"file": "{SCEN}", "usage": "{USAGE}", "price_book": "{BOOK}",
                  "contract": "{SCEN}", "book": "{CLIENTS}"}
SPELLINGS = ["plain", "dot", "detour", "symlink", "hardlink"]


def _io_workspace(folder: Path) -> dict[str, str]:
    """A signed-contract scenario whose price book is a file beside it, its usage to date."""
    scenario = yaml.safe_load(TRACKED.read_text())
    scenario["price_book"] = "book.yaml"
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    (folder / "book.yaml").write_bytes(BOOK.read_bytes())
    (folder / "usage.csv").write_bytes(TRACKED_USAGE.read_bytes())
    (folder / "sub").mkdir()
    (folder / "clients").mkdir()
    (folder / "clients" / "team.yaml").write_bytes(
        (ROOT / "scenarios" / "team-three-workloads.yaml").read_bytes())
    return {"{SCEN}": str(folder / "s.yaml"), "{BOOK}": str(folder / "book.yaml"),
            "{USAGE}": str(folder / "usage.csv"), "{CLIENTS}": str(folder / "clients"),
            "{CLIENT}": str(folder / "clients" / "team.yaml")}


def _spelled(path: Path, spelling: str, folder: Path) -> str:
    """Another name for ``path`` (made in ``folder``, the command's working folder)."""
    if spelling == "dot":
        return str(Path(".") / path.relative_to(folder))
    if spelling == "detour":
        return str(folder / "sub" / ".." / path.name)
    if spelling == "symlink":
        (folder / f"alias-{path.name}").symlink_to(path.name)
        return str(folder / f"alias-{path.name}")
    if spelling == "hardlink" and not path.is_dir():  # a folder has no hard links
        (folder / f"hard-{path.name}").hardlink_to(path)
        return str(folder / f"hard-{path.name}")
    return str(path)


def _input_as_output(command: str, source: str, spelling: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        places = _io_workspace(folder)
        template, _inputs = WRITERS[command]
        target = Path(places[source])
        places["{OUT}"] = _spelled(target, spelling, folder)
        argv = [places.get(a, a) for a in template]
        before = tree(folder)
        with chdir(folder):
            result = checked(*argv)
        assert result.code == 2, (argv, result.stderr)
        # The message names the output; the refusal comes from the guard (or, for export,
        # from its output being a file rather than a folder).
        assert places["{OUT}"] in result.stderr, result.stderr
        # (a command writing into a folder refuses a file as its folder, and the book's own
        # folder as the one to write a refresh into)
        assert "is the input" in result.stderr or (
            command in ("export", "portfolio") and ("is a file" in result.stderr
                                                    or "is the book's own folder"
                                                    in result.stderr)), result.stderr
        assert tree(folder) == before, argv  # the input is as it was, nothing else written


@pytest.mark.parametrize(("command", "source"),
                         [(c, s) for c, (_, inputs) in WRITERS.items() for s in inputs])
def test_every_input_of_every_writing_command_is_refused_as_its_output(command: str,
                                                                      source: str):
    # Before round two, `import USAGE --price-book B.yaml -o B.yaml` overwrote the book.
    _input_as_output(command, source, "plain")


@settings(FAST, max_examples=40)
@given(case=st.sampled_from([(c, s) for c, (_, inputs) in WRITERS.items() for s in inputs]),
       spelling=st.sampled_from(SPELLINGS))
def test_inputs_spelled_otherwise_are_refused_as_outputs(case: tuple[str, str],
                                                         spelling: str):
    _input_as_output(*case, spelling)


def test_the_writers_table_covers_every_file_the_parser_reads():
    # A new input flag on a command that writes must join WRITERS (and so the two tests
    # above); the parser is the list of what each command reads and writes.
    from forecast.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        dests = {a.dest for a in parser._actions}
        if "output" not in dests:
            continue
        reads = {FILE_ARGUMENTS[d] for d in dests if d in FILE_ARGUMENTS}
        assert name in WRITERS, f"{name} writes -o but is not in WRITERS"
        assert reads <= set(WRITERS[name][1]), (name, reads)


def test_a_trailing_slash_names_a_folder_and_is_refused(tmp_path: Path):
    # Before round two, `-o plain.json/` wrote plain.json.
    for output in ("plain.json/", "plain.json/.", "sub/plain.json/"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        result = checked("project", str(SCENARIOS[0]), "--json", "-o",
                         f"{tmp_path}/{output}")  # as typed: pathlib would drop "/."
        assert result.code == 2 and "ends in '/', which names a folder" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]
        assert not any((tmp_path / "sub").iterdir())


SEEDED = {
    "portfolio": ["portfolio", str(ROOT / "scenarios"), "-o", "{OUT}", "--workers", "1"],
    "plan": ["plan", str(SCENARIOS[0]), "--paths", "30", "--no-sensitivity"],
    "report": ["report", str(SCENARIOS[0]), "-o", "{OUT}", "--paths", "30"],
    "backtest": ["backtest", *map(str, HISTORY), "--train-months", "6", "--paths", "100"],
    "track": ["track", str(TRACKED), str(TRACKED_USAGE), "--paths", "30"],
    "export": ["export", str(TRACKED), "--focus", "-o", "{OUT}", "--paths", "30"],
}


def test_every_seed_flag_is_one_bounded_seed():
    # Every command with --seed: the parser's list, so a new one is held to the bound too.
    from forecast.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    seeded = {name for name, p in sub.choices.items()
              if any(a.dest == "seed" for a in p._actions)}
    assert seeded == set(SEEDED)


@pytest.mark.parametrize("command", sorted(SEEDED))
@pytest.mark.parametrize("seed", ["18446744073709551616", str(limits.MAX_SEED + 1), "1e40",
                                  "-1", "1" + "0" * 5000])
def test_every_command_bounds_its_seed(command: str, seed: str, tmp_path: Path):
    # Before round two, `backtest --seed 18446744073709551616` ran. MAX_SEED = 2^63 - 1, so
    # 2^63 is the first refused.
    argv = [a.replace("{OUT}", str(tmp_path / "out")) for a in SEEDED[command]]
    result = checked(*argv, "--seed", seed)
    assert result.code == 2 and "--seed" in result.stderr, result.stderr
    assert ("between 0 and 9,223,372,036,854,775,807" in result.stderr
            or "is not a whole number" in result.stderr), result.stderr
    assert not any(tmp_path.iterdir())


def test_the_largest_seed_is_taken():
    result = checked("plan", str(SCENARIOS[0]), "--paths", "30", "--no-sensitivity",
                     "--seed", str(limits.MAX_SEED))
    assert result.code == 0 and f"seed {limits.MAX_SEED}" in result.stdout


@pytest.mark.parametrize(("argv", "needle"), [
    (["prices", "--model", ""], "argument --model: '' is blank"),
    (["prices", "--model", "   "], "argument --model: '   ' is blank"),
    (["prices", "--on", "20261001"], "argument --on: '20261001' is not a date; give "
                                     "YYYY-MM-DD"),
    (["prices", "--on", "2026-W40-1"], "argument --on"),
    (["prices", "--on", "2026-02-30"], "argument --on"),
])
def test_prices_refuses_a_blank_model_and_a_date_without_dashes(argv: list[str], needle: str):
    # Before round two, --model '' printed the whole book and --on 20261001 was a date.
    result = checked(*argv)
    assert result.code == 2 and needle in result.stderr, result.stderr
    assert result.stdout == ""


def test_prices_takes_a_date_with_dashes():
    result = checked("prices", "--on", "2026-10-01")
    assert result.code == 0 and "in force on 2026-10-01" in result.stdout


def _team_text() -> str:
    return (ROOT / "scenarios" / "team-three-workloads.yaml").read_text()


@pytest.mark.parametrize(("old", "new", "message"), [
    ("requests_per_month: 1200000", "requests_per_month: " + "9" * 5000,
     "workloads[0].requests_per_month: is a 5,000-digit integer; above 1e+11 (100 billion "
     "requests a month) it is surely a typo"),
    ("requests_per_month: 1200000", "requests_per_month: -" + "9" * 5000,
     "workloads[0].requests_per_month: is a 5,000-digit negative integer; input should be "
     "greater than or equal to 0"),
    ("requests_per_month: 1200000", "requests_per_month: " + "9" * 400,
     "workloads[0].requests_per_month: is a 400-digit integer; above 1e+11"),
    ("seed: 7", "seed: " + "9" * 5000, "simulation.seed: is a 5,000-digit integer; input "
     "should be less than or equal to 9223372036854775807"),
    ("start: 2027-01", "start: 2026-02-30", "start: is '2026-02-30', which is not a date "
     "(day is out of range for month); give the contract's first month as YYYY-MM"),
])
def test_values_python_cannot_build_are_named_by_their_field(old: str, new: str, message: str,
                                                            tmp_path: Path):
    # Before round two: "not valid YAML/JSON (ValueError: Exceeds the limit (4300 digits)
    # ...)" and "not valid YAML/JSON (day is out of range for month)", no field named.
    path = tmp_path / "s.yaml"
    text = _team_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = checked("validate", str(path))
    assert result.code == 2 and message in result.stderr, result.stderr
    assert "not valid YAML/JSON" not in result.stderr and names_a_field(result.stderr)


def test_a_disagreeing_usage_set_quotes_its_example_from_the_file_that_holds_it(
        tmp_path: Path):
    # JSON pages split by month (January; February and March) beside a Console CSV that says
    # chat used 3M uncached tokens on 2026-02-15 where the February page says 2M: the
    # example day is in febmar.json, not in jan.json (which the message named before).
    # Tokens that day (tests/usage/test_dedup.py): chat 2M + 0.2M and nightly 4M + 1M in
    # the JSON; the CSV's chat 3M + 0.2M. Compared by model and tier: Sonnet 2.2M vs 3.2M.
    from tests.usage.test_dedup import console_csv, json_page

    page = json.loads(json_page())
    jan = dict(page, data=[b for b in page["data"] if b["starting_at"].startswith("2026-01")])
    febmar = dict(page, data=[b for b in page["data"]
                              if b["starting_at"][:7] in ("2026-02", "2026-03")])
    (tmp_path / "jan.json").write_text(json.dumps(jan))
    (tmp_path / "febmar.json").write_text(json.dumps(febmar))
    (tmp_path / "console.csv").write_text(console_csv(changed={"2026-02-15": 3_000_000}))
    with chdir(tmp_path):
        result = checked("import", "jan.json", "febmar.json", "console.csv")
    assert result.code == 2
    assert "e.g. 2026-02-15 00:00 model claude-sonnet-4-5, service_tier standard: " \
           "3,200,000 tokens in console.csv, 2,200,000 in febmar.json" in result.stderr, \
        result.stderr


# --------------------------------------------------------------------------- the process
def test_a_closed_pipe_ends_quietly_as_cat_does():
    # `commitplan prices | head -1`: before round two, "internal error: BrokenPipeError"
    # and status 1. Now nothing on standard error and 141 (128 + SIGPIPE), as for `cat`.
    # The reader is gone before the first write (its end closed at once), so every run
    # meets the closed pipe (with `head` that depends on who is faster).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run([sys.executable, "-m", "forecast", "prices"], stdout=write_end,
                                stderr=subprocess.PIPE, cwd=ROOT, timeout=120)
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert result.stderr == b""


def test_a_closed_pipe_in_process_is_status_141(monkeypatch):
    from forecast import cli

    class Closed:
        def write(self, _text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", Closed())
    assert cli.main(["prices"]) == cli.EXIT_BROKEN_PIPE == 141


def test_text_the_terminal_cannot_encode_is_escaped(tmp_path: Path):
    # Before round two: "internal error: UnicodeEncodeError" under PYTHONIOENCODING=ascii.
    path = tmp_path / "名前.yaml"
    path.write_text(_team_text().replace("name: Small team", "name: 日本語 plan", 1),
                    encoding="utf-8")
    assert "日本語" in path.read_text(encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for argv in (["validate", str(path)], ["plan", str(path), "--paths", "30",
                                           "--no-sensitivity"]):
        result = subprocess.run([sys.executable, "-m", "forecast", *argv], capture_output=True,
                                cwd=tmp_path, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode("ascii")  # every byte is ASCII
        assert "\\u65e5\\u672c\\u8a9e plan" in out  # 日本語, escaped
    bad = tmp_path / "bad-名.yaml"
    bad.write_text("name: 名\nname: x\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "forecast", "validate", str(bad)],
                            capture_output=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 2 and b"duplicate key 'name'" in result.stderr
    result.stderr.decode("ascii")


def test_the_pdf_bytes_do_not_depend_on_the_time_zone(tmp_path: Path):
    # Before round two the charts' month axes were drawn in local time and the default
    # "prepared" date was the local day: the same plan gave other bytes under another TZ.
    # The same plan and the same date must give the same bytes anywhere (UTC-12 to UTC+14).
    hashes = {}
    script = ("import datetime as dt, hashlib, sys\n"
              "from forecast import build_plan, load_price_book, load_scenario, render_pdf\n"
              f"s = load_scenario({str(ROOT / 'scenarios' / 'team-three-workloads.yaml')!r})\n"
              "p = build_plan(s, load_price_book(s.price_book), paths=60, seed=1, "
              "sensitivity=False)\n"
              "print(hashlib.sha256(render_pdf(p, dt.date(2026, 12, 1))).hexdigest())\n")
    for tz in ("UTC", "Pacific/Kiritimati", "America/Los_Angeles", "Etc/GMT+12"):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                cwd=ROOT, env={**os.environ, "TZ": tz}, timeout=300)
        assert result.returncode == 0, result.stderr
        hashes[tz] = result.stdout.strip()
    assert len(set(hashes.values())) == 1, hashes


def test_the_default_report_date_is_the_utc_day(monkeypatch):
    import datetime as dt

    from forecast.report import build

    class Late(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # 23:30 on 31 December in UTC: 1 January in Tokyo
            moment = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
            return moment if tz is None else moment.astimezone(tz)

    monkeypatch.setattr(build.dt, "datetime", Late)
    assert build.utc_today() == dt.date(2026, 12, 31)


# --------------------------------------------------------------------------- address space
#: 6,000,000 KiB: the `ulimit -v 6000000` of the issue, about 5.7 GiB.
SMALL_LIMIT = 6_000_000 * 1024


def _limited(*argv: str, limit: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``commitplan argv`` in a child process with an address-space limit (RLIMIT_AS, what
    ``ulimit -v`` sets), never in the test process itself."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return subprocess.run([sys.executable, "-m", "forecast", *argv], capture_output=True,
                          text=True, cwd=cwd, timeout=600, preexec_fn=cap)


@pytest.mark.parametrize("argv", [
    ["report", "{TEAM}", "-o", "r.pdf", "--paths", "100"],
    ["report", "{TRACKED}", "-o", "r.pdf", "--paths", "30", "--usage", "{USAGE}"],
    ["track", "{TRACKED}", "{USAGE}", "-o", "t.pdf", "--paths", "30"],
])
def test_charts_under_a_small_address_space_limit_exit_2_naming_it(argv: list[str],
                                                                   tmp_path: Path):
    # Before round two: rc -5 (SIGTRAP) and a page of addresses from V8. Now exit 2 before
    # any work, naming the limit (6,000,000 KiB) and what the chart engine needs (65 GiB =
    # 68,157,440 KiB), and nothing written.
    from forecast.chartengine import ADDRESS_SPACE_NEEDED

    places = {"{TEAM}": str(ROOT / "scenarios" / "team-three-workloads.yaml"),
              "{TRACKED}": str(TRACKED), "{USAGE}": str(TRACKED_USAGE)}
    result = _limited(*(places.get(a, a) for a in argv), limit=SMALL_LIMIT, cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert ADDRESS_SPACE_NEEDED == 65 * 2**30 == 68_157_440 * 1024
    assert "address-space limit (ulimit -v, RLIMIT_AS) is 5.7 GiB (6,000,000 KiB)" \
        in result.stderr and "at least 68,157,440 KiB" in result.stderr, result.stderr
    assert not any(tmp_path.iterdir())


def test_a_two_hundred_workload_report_under_the_limit_exits_2(tmp_path: Path):
    # The third case: the refusal comes before the scenario is even simulated.
    team = yaml.safe_load((ROOT / "scenarios" / "team-three-workloads.yaml").read_text())
    team["workloads"] = [dict(copy.deepcopy(team["workloads"][i % 3]), name=f"w{i}")
                         for i in range(200)]
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(team, sort_keys=False))
    result = _limited("report", "big.yaml", "-o", "r.pdf", "--paths", "100",
                      limit=SMALL_LIMIT, cwd=tmp_path)
    assert result.returncode == 2 and "ulimit -v" in result.stderr, result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml"]


def test_charts_under_a_limit_the_engine_fits_are_drawn_in_a_child(tmp_path: Path):
    # 70 GiB of address space: above the 65 GiB the engine needs, so the charts are drawn in
    # a child process of their own (the plan's arrays do not count against its reservation),
    # and the PDF is the same bytes as without any limit.
    argv = ("report", str(ROOT / "scenarios" / "team-three-workloads.yaml"), "-o", "r.pdf",
            "--paths", "60", "--no-sensitivity", "--seed", "3")
    limited = _limited(*argv, limit=70 * 2**30, cwd=tmp_path)
    assert limited.returncode == 0, limited.stderr[-2000:]
    free = tmp_path / "free"
    free.mkdir()
    unlimited = _subprocess(*argv, cwd=free)
    assert unlimited.returncode == 0, unlimited.stderr
    assert (tmp_path / "r.pdf").read_bytes() == (free / "r.pdf").read_bytes()


def test_the_chart_engine_dying_in_its_child_is_a_message(tmp_path: Path):
    # Should the engine need more than measured, the child's death is caught: a message
    # naming the limit, not an abort of the planner. Forced here by pretending the engine
    # needs 1 byte, under the small limit (the child then aborts as V8 does).
    script = ("import resource, sys\n"
              f"resource.setrlimit(resource.RLIMIT_AS, ({SMALL_LIMIT}, {SMALL_LIMIT}))\n"
              "import forecast.chartengine as ce\n"
              "ce.ADDRESS_SPACE_NEEDED = 1\n"
              "try:\n"
              "    ce.render_svg({'mark': 'point', 'data': {'values': [{'x': 1}]},\n"
              "                   'encoding': {'x': {'field': 'x', 'type': 'quantitative'}}})\n"
              "except ce.ChartEngineError as exc:\n"
              "    print(exc)\n"
              "    sys.exit(2)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "the chart engine (vl-convert) was killed by signal" in result.stdout
    assert "under an address-space limit of 5.7 GiB" in result.stdout, result.stdout


# --------------------------------------------------------------------------- workspace
#: What may be found in the app's workspace folder besides its own entries: links (to a
#: secret outside it, to a whole entry outside it, dangling), a FIFO, a folder, linked
#: tracking folders, odd names and foreign files.
PLANTS = ["link-secret", "link-entry", "dangling", "fifo", "folder", "tracking-link",
          "tracking-sub-link", "manifest-link", "usage-link", "odd-names", "foreign",
          "huge", "yaml-link"]
SECRET = b"root:x:0:0:SECRET-outside-the-workspace"


def _plant(kind: str, ws: Path, outside: Path, tracked: str) -> None:
    import hashlib

    from ui.workspace import Workspace

    secret = outside / "passwd"
    if kind == "link-secret":  # the case: a link to /etc/passwd archived as leak.yaml
        (ws / "leak.yaml").symlink_to(secret)
        (ws / "leak.json").symlink_to(secret)
    elif kind == "link-entry":  # a whole, valid entry outside, linked in
        Workspace(outside / "other").keep("Outside entry", __import__(
            "ui.workspace").workspace.EntryKind.UPLOAD, _small_scenario("Outside entry"))
        for name in ("outside-entry.yaml", "outside-entry.json"):
            (ws / name).symlink_to(outside / "other" / name)
    elif kind == "dangling":
        (ws / "gone.json").symlink_to(outside / "nothing.json")
    elif kind == "fifo":
        os.mkfifo(ws / "pipe.json")
        os.mkfifo(ws / "pipe.yaml")
    elif kind == "folder":
        (ws / "dir.json").mkdir()
        (ws / "dir.yaml").mkdir()
    elif kind == "tracking-link":
        (ws / "tracking").rename(outside / "tracking-moved")
        (outside / "tracking-moved" / "leak.usage").write_bytes(SECRET)
        (ws / "tracking").symlink_to(outside / "tracking-moved")
    elif kind == "tracking-sub-link":
        folder = Workspace(ws).tracking_folder(tracked)
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
        (outside / "sub").mkdir(exist_ok=True)
        (outside / "sub" / "leak.usage").write_bytes(SECRET)
        folder.symlink_to(outside / "sub")
    elif kind == "manifest-link":
        manifest = Workspace(ws).tracking_folder(tracked) / "files.json"
        manifest.unlink(missing_ok=True)
        manifest.symlink_to(secret)
    elif kind == "usage-link":  # a kept usage file's bytes replaced by a link to the secret
        digest = hashlib.sha256(b"date,model\n").hexdigest()
        usage = Workspace(ws).tracking_folder(tracked) / f"{digest}.usage"
        usage.unlink(missing_ok=True)
        usage.symlink_to(secret)
    elif kind == "odd-names":
        for name in ("名前.json", "a\nb.json", ".hidden.json", "..json", " .yaml",
                     "x" * 250 + ".json", "-rf.json", "$(id).json"):
            (ws / name).write_text('{"name": "odd", "kind": "upload"}')
    elif kind == "foreign":
        (ws / "notes.txt").write_text("not the workspace's")
        (ws / "garbage.json").write_bytes(b"\xff\xfe\x00garbage")
        (ws / "list.json").write_text("[1, 2]")
        (ws / "list.yaml").write_text("- 1\n")
        (ws / "bomb.json").write_text('{"name": "b", "kind": "upload"}')
        (ws / "bomb.yaml").write_text("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
                                      + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, "
                                                f"*{p}, *{p}, *{p}, *{p}]\n"
                                                for p, c in zip("abcdefg", "bcdefgh",
                                                                strict=True)))
    elif kind == "huge":  # larger than any file the workspace writes (sparse: no disk used)
        with open(ws / "huge.json", "wb") as fh:
            fh.truncate(5 * 1024 * 1024)
    elif kind == "yaml-link":  # a genuine entry's JSON, its scenario swapped for a link
        (ws / "kept-a.yaml").unlink()
        (ws / "kept-a.yaml").symlink_to(secret)


def _small_scenario(name: str) -> Any:
    from tests.conftest import make_scenario

    scenario = make_scenario()
    return scenario.model_copy(update={"name": name})


@settings(FAST, max_examples=40)
@given(plants=st.lists(st.sampled_from(PLANTS), min_size=1, max_size=4, unique=True))
def test_workspace_contents_never_leak_or_crash(plants: list[str]):
    """Whatever is put in the workspace folder, listing it does not fail or block, nothing
    outside it is listed, read or archived, and writing goes on inside it only."""
    import zipfile

    from ui.workspace import EntryKind, Workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws, outside = Path(tmp) / "ws", Path(tmp) / "outside"
        ws.mkdir()
        outside.mkdir()
        (outside / "passwd").write_bytes(SECRET)
        workspace = Workspace(ws)
        workspace.keep("Kept A", EntryKind.UPLOAD, _small_scenario("Kept A"))
        tracked = "Kept A"
        workspace.keep_usage(tracked, [("usage.csv", b"date,model\n")])
        for kind in plants:
            linked = (ws / "tracking").is_symlink() or workspace.tracking_folder(
                tracked).is_symlink()
            if kind in ("manifest-link", "usage-link", "tracking-sub-link") and linked:
                continue  # its folder is already a link out of the workspace
            _plant(kind, ws, outside, tracked)
        outside_before = tree(outside)

        kept, unreadable = workspace.entries()
        event(f"{len(kept)} kept, {len(unreadable)} unreadable")
        names = {k.name for k in kept}
        assert names <= {"Kept A"}, names
        assert ("Kept A" in names) == ("yaml-link" not in plants)
        if "link-secret" in plants:
            assert any(u.file == "leak.json" and "link" in u.problem for u in unreadable)
        if "link-entry" in plants:
            assert "Outside entry" not in names

        archive = zipfile.ZipFile(__import__("io").BytesIO(workspace.archive()))
        members = archive.namelist()
        for member in members:
            data = archive.read(member)
            assert SECRET not in data, member
        assert not any(m.endswith(("leak.yaml", "leak.json", "leak.usage")) for m in members)
        assert all(not (ws / m.removeprefix("commitplan-workspace/")).is_symlink()
                   for m in members)

        # Usage kept through a linked folder or list is refused or rewritten in place, never
        # written or read outside; the secret is never returned as usage.
        try:
            files = workspace.usage_files(tracked)
            contents = [workspace.usage_content(tracked, f) for f in files]
            assert all(SECRET not in c for c in contents)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        try:
            workspace.keep_usage(tracked, [("more.csv", b"date,model,x\n")])
        except OSError:
            assert {"tracking-link", "tracking-sub-link"} & set(plants)
        workspace.keep("Kept B", EntryKind.VARIANT, _small_scenario("Kept B"))
        workspace.delete_usage(tracked, ["usage.csv"])
        workspace.delete_usage(tracked)
        for entry in ("kept-a", "outside-entry", "leak"):
            workspace.delete(entry)  # a link is removed, never what it points to
        assert tree(outside) == outside_before  # nothing outside was written or removed
        assert (ws / "kept-b.yaml").is_file() and not (ws / "kept-b.yaml").is_symlink()


@pytest.mark.parametrize(("where", "value", "message"), [
    ("growth", 2, "workloads[0].growth.fit_months: is 2; give the months the growth was "
                  "fitted on, 3 to 600 (or 0 when the growth is not fitted)"),
    ("growth", 601, "workloads[0].growth.fit_months: is 601"),
    ("uncertainty", -1, "uncertainty.shared_fit_months: is -1"),
])
def test_fit_months_out_of_range_name_the_field(where: str, value: int, message: str):
    from forecast.scenario_io import parse_scenario

    doc = copy.deepcopy(_CLAUSES)
    if where == "growth":
        doc["workloads"][0]["growth"]["fit_months"] = value
    else:
        doc["uncertainty"]["shared_fit_months"] = value
    with pytest.raises(PlannerError) as info:
        parse_scenario(doc)
    assert message in str(info.value)


def test_a_linked_book_refresh_in_the_workspace_is_not_read(tmp_path: Path):
    # The Files tab's book (WORKSPACE/book/summary.json) is read from the workspace's own
    # folder only: a link planted as book/ or as its summary.json is not followed.
    from ui.book import BOOK_FOLDER, book_listing

    summary = {"clients": [{"client": "c", "status": "ok", "scenario": "/etc/passwd"}]}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "summary.json").write_text(json.dumps(summary))
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / BOOK_FOLDER).symlink_to(elsewhere)
    assert book_listing(ws) is None
    (ws / BOOK_FOLDER).unlink()
    (ws / BOOK_FOLDER).mkdir()
    (ws / BOOK_FOLDER / "summary.json").symlink_to(elsewhere / "summary.json")
    assert book_listing(ws) is None
    (ws / BOOK_FOLDER / "summary.json").unlink()
    (ws / BOOK_FOLDER / "summary.json").write_text(json.dumps(summary))
    listing = book_listing(ws)  # its own file is read as before
    assert listing is not None and listing.rows[0]["client"] == "c"


# --------------------------------------------------------------------------- the app's desk
_COPY_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                         st.text(max_size=20), st.lists(st.integers(), max_size=3),
                         st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(
    st.binary(max_size=200),
    st.builds(lambda d: json.dumps(d).encode(), st.fixed_dictionaries({
        "scenario": st.sampled_from(["Globex enterprise portfolio", "other", None]),
        "data": st.one_of(_COPY_VALUES, st.just({"name": "x"})),
        "levers": _COPY_VALUES, "view": _COPY_VALUES, "as_of": _COPY_VALUES}))))
def test_a_damaged_working_copy_is_a_warning_and_the_scenario_as_saved(raw: bytes):
    """Whatever the working copy file holds, a new session opens: the scenario as saved and
    a warning naming the working copy, or the copy taken up when it reads as one."""
    from forecast.scenario_io import load_scenario
    from ui.state import ScenarioStore, scenario_data
    from ui.workspace import Workspace

    enterprise = load_scenario(SCENARIOS[0].parent / "enterprise-portfolio.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        store = ScenarioStore(Workspace(Path(tmp)))
        path = store.copies.path(enterprise.name)
        path.parent.mkdir(parents=True)
        path.write_bytes(raw)
        again = ScenarioStore.open([enterprise], enterprise.name, Workspace(Path(tmp)))
        entry = again.current
        if entry.working is None:
            assert entry.origin == scenario_data(enterprise)
            assert all("working copy" in w for w in again.warnings)
        again.check_working(enterprise.name)  # a run: no exception either


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.dictionaries(
    st.sampled_from(["name", "discount", "commitments", "overage", "rollover", "years",
                     "shortfall_credit", "price_protection", "unknown"]),
    _COPY_VALUES, max_size=8), max_size=5),
    deleted=st.lists(st.integers(-2, 6), max_size=3))
def test_any_offers_table_state_reads_whole_rows_or_hints(rows, deleted):
    """Any editor state: the offers kept validate with the scenario, every other row is a
    hint naming its row; nothing raises but the scenario's own ScenarioError."""
    from forecast.errors import ScenarioError
    from forecast.scenario import scenario_to_dict
    from forecast.scenario_io import load_scenario
    from ui import edits, offers

    data = scenario_to_dict(load_scenario(SCENARIOS[0].parent / "enterprise-portfolio.yaml"))
    edit = offers.apply_offer_edits(edits.apply_table_edits(data, {}), {
        "added_rows": rows, "deleted_rows": deleted, "edited_rows": {}})
    assert all(h.startswith("Offers table, row ") for h in edit.offer_hints)
    assert len(edit.offer_labels) == len(edit.data.get("offers", []))
    try:
        edits.validate(edit)
    except ScenarioError as exc:
        assert all(p.startswith("Offers table, row ") for p in exc.problems), exc.problems


@settings(max_examples=60, deadline=None)
@given(raw=st.dictionaries(st.sampled_from(["batch_shift", "cache_shift", "cache_ttl",
                                            "route_share", "route_from", "route_to",
                                            "lands_shift", "ramp_shift", "other"]),
                           _COPY_VALUES, max_size=5))
def test_levers_in_a_working_copy_are_levers_or_refused(raw):
    """Levers read back from a working copy: the right kinds, or a TypeError/ValueError (the
    store then shows the scenario as saved), never a lever the sidebar cannot draw."""
    from ui.state import levers_from

    try:
        levers = levers_from(raw)
    except (TypeError, ValueError):
        return
    assert isinstance(levers.batch_shift, float) and math.isfinite(levers.batch_shift)
    assert isinstance(levers.lands_shift, int) and isinstance(levers.ramp_shift, int)
    assert levers.cache_ttl is None or isinstance(levers.cache_ttl, str)
