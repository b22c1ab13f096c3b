"""Every output block of README.md and docs/*.md is what its command prints today.

How a block is marked, and what the comparison ignores (trailing blanks and blank lines at
either end, nothing else): tests/docs_blocks.py. When a change moves a figure on purpose,
``make docs`` (scripts/update_docs.py) re-runs every block and rewrites it in place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs_blocks import (
    PYTHON_ABOVE,
    Block,
    UnmarkedBlock,
    documents,
    filtered,
    normalise,
    parse,
    rewrite,
    run,
)
from tests.inprocess import ROOT


def _collect() -> tuple[list[Block], list[str]]:
    blocks, unmarked = [], []
    for path in documents():
        try:
            blocks += parse(path)
        except UnmarkedBlock as exc:
            unmarked.append(str(exc))
    return blocks, unmarked


BLOCKS, UNMARKED = _collect()
FIX = "the page is stale: run `make docs` (scripts/update_docs.py) and review the diff"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_output_block_is_what_its_command_prints(block: Block):
    assert normalise(run(block)) == normalise(block.expected), f"{block.name}: {FIX}"


def test_every_text_block_is_marked():
    assert UNMARKED == []


def test_the_readme_links_every_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("cli", "scenario", "importing", "backtest", "tracking", "focus", "prices",
                 "negotiation", "app", "performance", "model", "forecasting", "portfolio"):
        assert (ROOT / "docs" / f"{page}.md").is_file(), page
        assert f"docs/{page}.md" in readme, f"README links to docs/{page}.md"


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, len(lines)
    text = "\n".join(lines)
    assert "make run" in text and "make test" in text
    assert text.count("## Speed") == 1, "one Speed section"


def test_the_readme_runs_its_python_example():
    readme = [b for b in BLOCKS if b.path.name == "README.md"]
    assert any(b.python is not None for b in readme), f"README: {PYTHON_ABOVE!r} block"


@pytest.mark.parametrize(("page", "command"), [
    ("docs/tracking.md", ("track",)),
    ("docs/backtest.md", ("backtest",)),
    ("docs/prices.md", ("prices",)),
    ("docs/cli.md", ("validate",)),
    ("docs/importing.md", ("import",)),
    ("docs/negotiation.md", ("plan",)),
])
def test_each_page_shows_its_command_run(page: str, command: tuple[str, ...]):
    assert any(b.path == ROOT / page and b.command[:len(command)] == command for b in BLOCKS)


def test_a_stale_block_is_caught_and_named():
    """Change one figure of a block: the comparison fails, and the block names its file."""
    block = next(b for b in BLOCKS if b.command[:1] == ("prices",))
    stale = block.expected.replace("$2.00", "$2.50", 1)
    assert stale != block.expected
    assert normalise(run(block)) != normalise(stale)
    assert block.name.startswith("docs/prices.md:")


def test_a_bare_text_block_is_refused_with_its_line(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n```text\nsome figure: 12\n```\n", encoding="utf-8")
    with pytest.raises(UnmarkedBlock, match=r"page\.md:3: a ```text block must start"):
        parse(page)


def test_the_filters_keep_what_they_name():
    output = "head\nTable 1\n  row a\n  row b\n\nTable 2\n  row c\n"
    assert filtered(output, "section", "Table 1", "x") == "Table 1\n  row a\n  row b"
    assert filtered(output, "grep", "row", "x") == "  row a\n  row b\n  row c"
    with pytest.raises(AssertionError, match="starts with 'Table 3'"):
        filtered(output, "section", "Table 3", "x")


def test_rewrite_puts_the_fresh_output_in_place(tmp_path: Path):
    """A block with a wrong figure and an empty marked block, rewritten: both now hold what
    the command prints, the text around them untouched, and the test's comparison passes."""
    command = 'commitplan prices --model "Claude Sonnet 5.5" --on 2026-10-06'
    page = tmp_path / "page.md"
    page.write_text(f"Before.\n\n```text\n$ {command}\nstale $9.99\n```\n\n"
                    f"<!-- output of: {command} | grep \"claude-sonnet-5-5\" -->\n```text\n```\n"
                    "\nAfter.\n", encoding="utf-8")
    assert rewrite(page) == 2
    text = page.read_text(encoding="utf-8")
    assert text.startswith("Before.\n") and text.endswith("\nAfter.\n")
    blocks = parse(page)
    assert len(blocks) == 2
    for block in blocks:
        assert normalise(run(block)) == normalise(block.expected)
    assert "stale" not in text and blocks[1].expected.startswith("claude-sonnet-5-5")


def _schema_fields(model: type, seen: set[type]) -> set[str]:
    """Every field name of a pydantic model and of the models inside its fields."""
    import typing

    from pydantic import BaseModel

    names: set[str] = set()
    if model in seen:
        return names
    seen.add(model)
    for name, field in model.model_fields.items():
        names.add(name)
        stack = [field.annotation]
        while stack:
            hint = stack.pop()
            if isinstance(hint, type) and issubclass(hint, BaseModel):
                names |= _schema_fields(hint, seen)
            stack.extend(typing.get_args(hint))
    return names


def test_the_scenario_page_names_every_field_of_the_schema():
    """A field added to the schema and not to docs/scenario.md fails here, by name."""
    from forecast import Scenario

    page = (ROOT / "docs" / "scenario.md").read_text(encoding="utf-8")
    fields = _schema_fields(Scenario, set())
    assert {"workloads", "usage_match", "shortfall_credit", "counted_on", "sd"} <= fields
    import re

    prose = re.sub(r"^```.*$", "", page, flags=re.M)
    code = " ".join(re.findall(r"`([^`\n]+)`", prose))
    missing = sorted(name for name in fields if not re.search(rf"\b{name}\b", code))
    assert missing == [], f"docs/scenario.md does not name {missing}"
