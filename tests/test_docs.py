"""Every output block of README.md and docs/*.md is what its command prints today.

How a block is marked, and what the comparison ignores (trailing blanks and blank lines at
either end, nothing else): tests/docs_blocks.py. When a change moves a figure on purpose,
``make docs`` (scripts/update_docs.py) re-runs every block and rewrites it in place.
"""

from __future__ import annotations

import pytest

from tests.docs_blocks import PYTHON_ABOVE, Block, documents, normalise, parse, run
from tests.inprocess import ROOT

BLOCKS: list[Block] = [block for path in documents() for block in parse(path)]
FIX = "the page is stale: run `make docs` (scripts/update_docs.py) and review the diff"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_output_block_is_what_its_command_prints(block: Block):
    assert normalise(run(block)) == normalise(block.expected), f"{block.name}: {FIX}"


def test_every_text_block_is_marked():
    """parse() raises on a bare ```text block; every page is parsed at import, so this
    also checks that the pages the front door links to are there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("cli", "scenario", "importing", "backtest", "tracking", "focus", "prices",
                 "negotiation", "app", "performance", "model"):
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
