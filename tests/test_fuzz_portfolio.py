"""Fuzz: malformed book files and ``commitplan portfolio`` command lines never crash it.

Hypothesis (derandomized, a bounded number of examples), as tests/test_fuzz.py does for the
other commands:

- a book file mutated at any field (wrong types, non-finite and huge numbers, control
  characters, blank and duplicate names, unknown and missing fields, bad months, deep
  nesting, duplicate keys, not YAML at all) is read into a book or refused with a message
  naming the field (``clients[1].as_of: ...``) or the line; never another exception;
- a command line assembled from good and bad ``--workers``, ``--scheduler``, ``--pdf``,
  ``--paths``, ``--seed``, ``--focus``, ``-o`` and BOOK exits 0 (then every number of
  summary.json is finite) or 2 with the argument named and no file created or changed,
  never 1 or a traceback.

``--workers`` and no flag would start worker processes: here they run on one small
in-process cluster instead (the flag's parsing is what is fuzzed); ``--scheduler`` really
connects, and a well-formed address nobody answers on is refused within the timeout.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast import limits
from forecast.cli import portfolio_command as cli_portfolio
from forecast.errors import PlannerError
from forecast.portfolio import read_book
from tests.inprocess import finite_json, run_cli
from tests.test_portfolio import STEADY, TRACKING_USAGE

pytestmark = pytest.mark.xdist_group("dask")
distributed = pytest.importorskip("distributed")

FAST = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

GOOD_BOOK: dict[str, Any] = {"clients": [
    {"name": "Steady", "scenario": "steady.yaml"},
    {"name": "Signed", "scenario": "signed.yaml", "usage": ["usage/"], "as_of": "2027-03"},
]}

BAD_VALUES = st.sampled_from([
    math.inf, -math.inf, math.nan, True, False, None, 10**400, -1, 0, 1, 1e308, "", "   ",
    "\x1b[31mred", "bell\x07", "nul\x00", "cr\rcr", "\x85", [], {}, [1, 2], {"x": 1},
    "2027-13", "0000-01", "2027-1", "27-01", "../../etc/passwd", "/dev/zero", "x" * 5000,
    "a.yaml", "usage/", ["usage/", 3], [None], "Steady", "steady",
]) | st.integers(-(10**20), 10**20) | st.text(max_size=30)

#: A problem led by a field path: ``clients[1].as_of: ...``.
FIELD_PATH = re.compile(r"[A-Za-z_][\w-]*(\[\d+\])*(\.[\w-]+(\[\d+\])*)*: ")
#: Problems with the book file as a whole, before any field exists.
FILE_PROBLEMS = ("line ", "not valid YAML/JSON", "the book is empty", "holds more than",
                 "is not UTF-8", "clients: missing")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def book_texts(draw: st.DrawFn) -> str:
    """A book file's text: the good book with a few mutations, or raw malformed text."""
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "raw"]))
    if kind == "raw":
        return draw(st.sampled_from([
            "", "   \n", "clients: [", "clients:\n  - name: a\n    name: b\n    scenario: x\n",
            "[" * 200 + "]" * 200, "clients: " + "[" * 40 + "]" * 40, "\ufeff\x00\x01",
            "clients: &a [*a]", "just text", "- 1\n- 2\n", "clients: {}\n", "42",
        ]))
    doc = copy.deepcopy(GOOD_BOOK)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths)) if paths else ()
        if not path:
            break
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["value", "value", "delete", "unknown", "duplicate"]))
        if action == "value":
            parent[path[-1]] = draw(BAD_VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "unknown" and isinstance(parent, dict):
            parent["nmae"] = "x"
        elif action == "duplicate" and isinstance(doc.get("clients"), list) \
                and doc["clients"]:
            doc["clients"].append(copy.deepcopy(doc["clients"][0]))
    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return str(doc)


def _write_fixture(folder: Path) -> None:
    (folder / "steady.yaml").write_text(STEADY)
    (folder / "signed.yaml").write_text(
        (Path(__file__).parent.parent / "scenarios" / "signed-contract-tracking.yaml")
        .read_text())
    (folder / "usage").mkdir(exist_ok=True)
    for f in TRACKING_USAGE:
        (folder / "usage" / f.name).write_bytes(f.read_bytes())


@settings(FAST, max_examples=120)
@given(text=book_texts())
def test_malformed_book_files_are_read_or_refused_naming_the_field(tmp_path_factory: Any,
                                                                   text: str):
    folder = tmp_path_factory.mktemp("book")
    _write_fixture(folder)
    path = folder / "book.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        book = read_book(path)
    except PlannerError as exc:
        message = str(exc)
        assert str(path) in message
        problem = message.removeprefix(f"{path}: ")
        assert FIELD_PATH.match(problem) or problem.startswith(FILE_PROBLEMS) \
            or all(FIELD_PATH.match(line.strip("- ")) for line in problem.splitlines()[1:]), \
            message
        return
    assert book.clients and all(c.folder for c in book.clients)
    assert len({c.folder for c in book.clients}) == len(book.clients)


# --------------------------------------------------------------------------- command lines
@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    try:
        yield cluster
    finally:
        cluster.close()


REAL_CONNECT = cli_portfolio._connect

GOOD = {
    "--workers": ["1", "2"],
    "--scheduler": ["tcp://127.0.0.1:9"],  # well formed, nobody answers: exit 2
    "--pdf": ["vendor", "internal,vendor"],
    "--paths": ["1", "50"],
    "--seed": ["0", "7", str(limits.MAX_SEED)],
}
BAD = {
    "--workers": ["0", "-1", "two", "257", "", "1.5", "1e3"],
    "--scheduler": ["", "localhost", "http//x", "tcp://:", "a b:1", "\x1b[31m:1",
                    "tcp://host:123456"],
    "--pdf": ["", ",", "internal,", "pdf", "INTERNAL", "internal;vendor", "\x00"],
    "--paths": ["0", "-5", "x", "100001", "1e3", ""],
    "--seed": ["-1", "x", str(limits.MAX_SEED + 1), "", "1.0"],
}


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], str, str]:
    """(flags, book kind, OUTDIR kind): each flag left out, good or bad."""
    argv: list[str] = []
    for flag in draw(st.permutations(list(GOOD))):
        choice = draw(st.sampled_from(["skip", "skip", "good", "bad"]))
        if choice == "good":
            argv += [flag, draw(st.sampled_from(GOOD[flag]))]
        elif choice == "bad":
            argv += [flag, draw(st.sampled_from(BAD[flag]))]
    if draw(st.booleans()):
        argv.append("--focus")
    if draw(st.integers(0, 9)) == 0:
        argv.append(draw(st.sampled_from(["--pdf", "--workers", "--paths", "--bogus"])))
    book = draw(st.sampled_from(["folder", "folder", "file", "missing", "empty-folder"]))
    out = draw(st.sampled_from(["new", "new", "new", "a-file", "no-parent", "the-book"]))
    return argv, book, out


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@settings(FAST, max_examples=40)
@given(case=command_lines())
def test_malformed_portfolio_command_lines_exit_2_or_run(
        tmp_path_factory: Any, cluster: Any, monkeypatch: pytest.MonkeyPatch,
        case: tuple[list[str], str, str]):
    argv, book_kind, out_kind = case
    folder = tmp_path_factory.mktemp("pf")
    book_dir = folder / "book"
    book_dir.mkdir()
    (book_dir / "steady.yaml").write_text(STEADY)
    (folder / "a-file").write_text("x")
    (folder / "empty").mkdir()
    (folder / "book.yaml").write_text(yaml.safe_dump({"clients": [
        {"name": "Steady", "scenario": "book/steady.yaml"}]}))
    book = {"folder": book_dir, "file": folder / "book.yaml", "missing": folder / "nope",
            "empty-folder": folder / "empty"}[book_kind]
    out = {"new": folder / "out", "a-file": folder / "a-file",
           "no-parent": folder / "no" / "out", "the-book": book_dir}[out_kind]
    monkeypatch.setattr(cli_portfolio, "CONNECT_TIMEOUT", 0.5)
    monkeypatch.setattr(cli_portfolio, "_connect", lambda args: REAL_CONNECT(args)
                        if args.scheduler else (distributed.Client(cluster), None))
    before = tree(folder)
    run = run_cli("portfolio", str(book), "-o", str(out), *argv)
    assert "Traceback" not in run.stderr
    assert run.code in (0, 2), (argv, run.code, run.stderr)
    if run.code == 2:
        assert tree(folder) == before, argv
        assert not (folder / "out").exists()
        assert any(word in run.stderr for word in (
            "argument", "--scheduler", str(book), str(out))), run.stderr
        return
    document = finite_json((out / "summary.json").read_text())
    assert [r["client"] for r in document["clients"]] == [
        "steady" if book_kind == "folder" else "Steady"]
    assert document["clients"][0]["status"] == "ok"
