"""The README's import, backtest and price-book examples print what the README says.

A block that starts with ``$ commitplan ...`` must equal the command's output; the
``--report`` excerpts must appear in the report of the files named before them. After a
change that moves these figures, regenerate the blocks by running the commands.
"""

from __future__ import annotations

import glob
import re
import shlex

import pytest

from tests.conftest import ROOT
from tests.inprocess import commitplan

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```text\n\$ commitplan (.*?)\n(.*?)```", README, re.S)
COMMANDS = [(c, out) for c, out in BLOCKS if c.split()[0] in ("import", "backtest", "prices")]


def run(args: list[str]) -> str:
    expanded = []
    for a in args:
        expanded += sorted(glob.glob(str(ROOT / a))) if "*" in a else [a]
    result = commitplan(*expanded)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(("command", "expected"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_command_blocks_match_the_commands(command: str, expected: str):
    assert run(shlex.split(command)).strip() == expected.strip()


def excerpt(after: str) -> str:
    start = README.index("```text\n", README.index(after)) + len("```text\n")
    return README[start:README.index("```", start)].strip()


@pytest.mark.parametrize(("files", "after"), [
    (["tests/fixtures/usage/analytics/*.json"], "`--report` on the pages in"),
    (["tests/fixtures/usage/analytics/*.json"], "amounts include web search and code"),
    (["tests/fixtures/usage/admin-*.json"], "`--report` on the four pages"),
    (["tests/fixtures/usage/console-usage.csv"], "`--report` on `tests/fixtures/usage/console"),
])
def test_readme_report_excerpts_are_in_the_reports(files: list[str], after: str):
    lines = excerpt(after).splitlines()
    report = run(["import", *files, "--report"])
    for line in lines:
        assert line in report, line


def test_the_readme_shows_a_backtest_and_the_prices_command():
    commands = [c for c, _ in COMMANDS]
    assert any(c.startswith("backtest tests/fixtures/usage/history/") for c in commands)
    assert any(c.startswith("prices") for c in commands)
