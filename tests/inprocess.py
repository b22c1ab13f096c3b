"""Helpers for tests that run the command line in-process and check its outputs."""

from __future__ import annotations

import io
import json
import math
from contextlib import chdir, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast.cli import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*argv: str) -> Run:
    """``commitplan argv`` in this process, with its exit status and captured streams
    (argparse's own errors end in SystemExit, caught here as the status they carry)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return Run(code, out.getvalue(), err.getvalue())


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"{name} in a JSON document: not JSON")


def finite_json(text: str) -> Any:
    """Parse JSON, failing on NaN or Infinity, and check every number in it is finite."""
    document = json.loads(text, parse_constant=_refuse_constant)
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            assert math.isfinite(item), item
    return document


@dataclass(frozen=True)
class Completed:
    """What ``subprocess.run`` returns, for tests written against it."""

    returncode: int
    stdout: str
    stderr: str


def commitplan(*argv: str, cwd: str | Path | None = None) -> Completed:
    """``python -m forecast argv`` run in this process from ``cwd`` (default: the project's
    folder): the same exit status and streams as a subprocess, without a second start-up
    (about a second of imports per call). Two smoke tests in tests/test_cli.py keep running
    the real command in its own process."""
    with chdir(cwd or ROOT):
        result = run_cli(*argv)
    return Completed(result.code, result.stdout, result.stderr)
