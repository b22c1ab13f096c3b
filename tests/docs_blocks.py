"""The output blocks of README.md and docs/*.md: found, re-run and rewritten.

Every fenced ``text`` block in those files is output that a command printed, marked in one of
three ways, so that a test (tests/test_docs.py) can re-run it and ``make docs``
(scripts/update_docs.py) can rewrite it after a change moves a figure:

1. A block whose first line is ``$ commitplan ARGS``: the rest of the block is the whole
   output of that command (stdout, then stderr). The command exits 0 unless an HTML comment
   ``<!-- exits N -->`` stands on the line before the fence.
2. An HTML comment ``<!-- output of: commitplan ARGS -->`` on the line before the fence: the
   block is the command's output without the ``$`` line; ``... | section "HEADER"`` keeps
   only the lines from the first one that starts with HEADER up to the next blank line, and
   ``... | grep "TEXT"`` only the lines that contain TEXT.
3. ``<!-- output of: the python block above -->``: the block is what the nearest
   ``python`` block above it prints, run from the project's folder.

Commands run in this process (tests/inprocess.py) from the project's folder; arguments with a
``*`` are expanded as the shell would, sorted. The comparison strips trailing blanks on each
line and blank lines at either end, nothing else: no block holds a timing (measured speed is
in docs/performance.md, as tables stating the date, load and command, and is not re-run).
"""

from __future__ import annotations

import contextlib
import glob
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from forecast.files import write_output
from tests.inprocess import ROOT, Completed, commitplan

FENCE = re.compile(r"^```(\w*)[ \t]*$")
OUTPUT_OF = re.compile(r"^<!--\s*output of:\s*(.*?)\s*-->\s*$")
EXITS = re.compile(r"^<!--\s*exits\s+(\d+)\s*-->\s*$")
FILTER = re.compile(r'^(.*?)\s*\|\s*(section|grep)\s+"(.*)"\s*$')
PYTHON_ABOVE = "the python block above"


def documents() -> list[Path]:
    """README.md and every docs/*.md, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Block:
    """One fenced ``text`` block of output and how to make it again.

    ``start`` and ``end`` are the 0-based line numbers of its body (``lines[start:end]``,
    the ``$`` line excluded); ``command`` is the argv after ``commitplan`` (empty for a
    python block), ``python`` the code of the block above, ``filter`` a ``(kind, text)``
    pair (``section`` or ``grep``) or None.
    """

    path: Path
    line: int
    start: int
    end: int
    expected: str
    command: tuple[str, ...] = ()
    python: str | None = None
    filter: tuple[str, str] | None = None
    exit_code: int = 0
    dollar_line: bool = False

    @property
    def name(self) -> str:
        where = f"{_shown(self.path)}:{self.line}"
        what = "python" if self.python is not None else " ".join(self.command)
        return f"{where} {what}"[:120]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


class UnmarkedBlock(ValueError):
    """A ``text`` block that says neither which command printed it nor why it is not re-run."""


def _commitplan_argv(text: str, where: str) -> tuple[str, ...]:
    words = shlex.split(text)
    if not words or words[0] != "commitplan":
        raise UnmarkedBlock(f"{where}: an output block must name a `commitplan ...` command, "
                            f"got {text!r}")
    return tuple(words[1:])


def parse(path: Path) -> list[Block]:
    """Every output block of one Markdown file; raises UnmarkedBlock for a bare text block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    last_python: str | None = None
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        lang = fence.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        body = lines[i + 1:j]
        where = f"{_shown(path)}:{i + 1}"
        if lang == "python":
            last_python = "\n".join(body) + "\n"
        elif lang == "text":
            before = lines[i - 1] if i else ""
            exits = EXITS.match(before)
            marker = OUTPUT_OF.match(before)
            if body and body[0].startswith("$ "):
                blocks.append(Block(path, i + 1, i + 2, j, "\n".join(body[1:]),
                                    command=_commitplan_argv(body[0][2:], where),
                                    exit_code=int(exits.group(1)) if exits else 0,
                                    dollar_line=True))
            elif marker and marker.group(1) == PYTHON_ABOVE:
                if last_python is None:
                    raise UnmarkedBlock(f"{where}: no python block above this output")
                blocks.append(Block(path, i + 1, i + 1, j, "\n".join(body), python=last_python))
            elif marker:
                spec = marker.group(1)
                piped = FILTER.match(spec)
                command = piped.group(1) if piped else spec
                blocks.append(Block(path, i + 1, i + 1, j, "\n".join(body),
                                    command=_commitplan_argv(command, where),
                                    filter=(piped.group(2), piped.group(3)) if piped else None))
            else:
                raise UnmarkedBlock(
                    f"{where}: a ```text block must start with `$ commitplan ...` or follow "
                    "`<!-- output of: commitplan ... -->` (see tests/docs_blocks.py); "
                    "use another fence (sh, yaml, csv) for text that is not output")
        i = j + 1
    return blocks


def _expand(argv: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for arg in argv:
        if "*" in arg:
            matches = sorted(glob.glob(str(ROOT / arg)))
            assert matches, f"{arg}: no file matches"
            out += [str(Path(m).relative_to(ROOT)) for m in matches]
        else:
            out.append(arg)
    return out


def filtered(text: str, kind: str, pattern: str, name: str) -> str:
    lines = text.splitlines()
    if kind == "grep":
        kept = [line for line in lines if pattern in line]
        if not kept:
            raise AssertionError(f"{name}: no line of the output contains {pattern!r}")
        return "\n".join(kept)
    starts = [k for k, line in enumerate(lines) if line.startswith(pattern)]
    if not starts:
        raise AssertionError(f"{name}: no line of the output starts with {pattern!r}")
    end = starts[0]
    while end < len(lines) and lines[end].strip():
        end += 1
    return "\n".join(lines[starts[0]:end])


_RESULTS: dict[tuple[str, ...], Completed] = {}


def run(block: Block) -> str:
    """What the block's command prints today (the section of it, when one is named)."""
    if block.python is not None:
        out = io.StringIO()
        with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
            exec(compile(block.python, str(block.path), "exec"), {"__name__": "__docs__"})
        return out.getvalue()
    key = tuple(_expand(block.command))
    if key not in _RESULTS:
        _RESULTS[key] = commitplan(*key)
    result = _RESULTS[key]
    if result.returncode != block.exit_code:
        raise AssertionError(f"{block.name}: exit status {result.returncode}, the page says "
                             f"{block.exit_code}\n{result.stderr}")
    text = result.stdout + result.stderr
    return filtered(text, *block.filter, block.name) if block.filter else text


def normalise(text: str) -> str:
    """Trailing blanks off every line, blank lines off both ends."""
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def rewrite(path: Path) -> int:
    """Re-run every block of one file and write the outputs in place; the number changed."""
    blocks = parse(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    changed = 0
    for block in reversed(blocks):
        fresh = normalise(run(block))
        if fresh != normalise(block.expected):
            changed += 1
        lines[block.start:block.end] = fresh.splitlines()
    write_output(path, "\n".join(lines) + "\n", what="the page")
    return changed
