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
import re
import subprocess
import sys
import tempfile
import warnings
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
_CLAUSES["contract"].update(shortfall_credit=0.25, price_protection=True,
                            risk_appetite={"max_shortfall_probability": 0.1,
                                           "red_shortfall_probability": 0.3})
_CLAUSES["offers"].append({"name": "Credit", "discount_tiers": [
    {"min_annual_commit": 400000, "discount": 0.1}], "shortfall_credit": 0.5,
    "price_protection": True, "years": 2})
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
    twist = draw(st.sampled_from(["none", "none", "none", "duplicate", "truncate", "control"]))
    if twist == "duplicate":
        text = ('{"name": "first", ' + text[1:]) if text.startswith("{") \
            else text + "\nname: again\n"
    elif twist == "truncate":
        text = text[:draw(st.integers(0, max(0, len(text) - 1)))]
    elif twist == "control":
        text = text.replace("name:", 'name: "\\e[2J\\a"\nx_old_name:', 1)
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
                   "--asks-for": [ASKS_FOR]}
    else:
        argv = [command, *(["{HISTORY}"] if draw(st.integers(0, 9)) else [])]
        options = {"--group-by": [st.sampled_from(["product", "model", "workspace", "api_key",
                                                   "team", ""])],
                   "--batch-share": [SHARES], "--include-provisional": [], "--json": []}
        if command == "backtest":
            options |= {"--train-months": [NUMBERS], "--horizon": [NUMBERS], "--rolling": [],
                        "--paths": [NUMBERS]}
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
            (["backtest", *map(str, HISTORY), "--train-months", "0"], "--train-months"),
            (["import", *map(str, HISTORY), "--batch-share", "150"], "--batch-share"),
            (["prices", "--on", "2026-13-01"], "--on")):
        result = checked(*argv)
        assert result.code == 2 and needle in result.stderr, (argv, result.stderr)
        assert not out.exists()


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
