"""The parser of every command and ``main``: bad input exits 2 with a message naming the
field, a bug exits 1 without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from forecast import PlannerError
from forecast.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_OK,
    MAX_PATHS,
    _Parser,
    _plan_options,
    _report_usage_options,
    _whole_number,
)
from forecast.cli.plan_commands import cmd_plan, cmd_project, cmd_report, cmd_validate
from forecast.cli.portfolio_command import register_portfolio
from forecast.cli.prices_command import register_prices
from forecast.cli.tracking_commands import register_export, register_track
from forecast.cli.usage_commands import register_backtest, register_import


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="commitplan",
        description="Size a Claude API spend commitment on the optimized baseline: "
                    "optimize, then commit.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("validate", help="check a scenario file and print its warnings")
    p.add_argument("file", help="scenario file (.yaml or .json)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("project", help="monthly spend on the current and optimized paths")
    p.add_argument("file", help="scenario file (.yaml or .json)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON for machines")
    fmt.add_argument("--csv", action="store_true", help="print the monthly series as CSV")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_project)

    p = sub.add_parser("plan", help="simulate, evaluate commitments, recommend one, flag "
                       "stranded savings")
    p.add_argument("file", help="scenario file (.yaml or .json)")
    _plan_options(p)
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("report", help="export the negotiation PDF: recommendation, flags, "
                       "charts and every assumption")
    p.add_argument("file", help="scenario file (.yaml or .json)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.pdf",
                   help="the PDF to write (written whole or not at all)")
    p.add_argument("--audience", choices=["internal", "vendor"], default="internal",
                   help="internal (default): everything, marked internal on every page; "
                        "vendor: the ask, the usage evidence and the optimization plan, "
                        "nothing of your appetite, walk-away or alternative")
    _plan_options(p)
    p.add_argument("--propose", metavar="OFFER",
                   help="the vendor's copy proposes this offer (by name) instead of the "
                        "decision; --commit AMOUNT proposes that amount")
    _report_usage_options(p)
    p.set_defaults(func=cmd_report)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


#: Other modules' sub-commands: each a function that adds its parser to the sub-parsers.
_EXTRA_COMMANDS: list[Callable[[Any], None]] = [
    register_import, register_backtest, register_prices, register_track, register_export,
    # `portfolio` (a book of clients on Dask) is handed the shared argument type and cap.
    lambda sub: register_portfolio(sub, _whole_number, MAX_PATHS)]


def _escape_unencodable() -> None:
    """Text the terminal's encoding cannot hold (a CJK scenario name under
    ``PYTHONIOENCODING=ascii``) is printed as backslash escapes rather than failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """After the reader of standard output went away, point it at /dev/null so that the
    interpreter's last flush does not complain."""
    with contextlib.suppress(ValueError, OSError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    A closed pipe (``commitplan prices | head -1``) ends the command quietly with status
    141, as a shell reports ``cat`` ended by SIGPIPE.
    """
    _escape_unencodable()
    try:
        code = _run(argv)
        sys.stdout.flush()  # inside the try: the last write may be the one that finds no reader
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or EXIT_OK)
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except Exception as exc:  # a bug, not bad input: say so without a wall of traceback
        if os.environ.get("COMMITPLAN_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} "
              "(set COMMITPLAN_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_ERROR
