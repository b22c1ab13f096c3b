"""``commitplan``: the command line. Thin: every number comes from the library.

Bad input (a wrong scenario, a mistyped flag, a malformed file) prints a message naming the
field or row and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from forecast.errors import PlannerError
from forecast.usage_import import register_cli as register_import_command

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def _load(path: str) -> tuple[Any, Any]:
    from forecast.pricebook import load_price_book
    from forecast.scenario import load_scenario

    scenario = load_scenario(path)
    book = load_price_book(scenario.price_book, Path(path).parent)
    return scenario, book


def _emit(text: str, output: str | None) -> None:
    """Print, or write to a file atomically."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from forecast.scenario import atomic_write

    try:
        atomic_write(output, text)
    except OSError as exc:
        raise PlannerError(f"{output}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {output}", file=sys.stderr)


# --------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    from forecast.projection import project

    scenario, book = _load(args.file)
    warnings = project(scenario, book).warnings
    print(f"{args.file}: valid scenario {scenario.name!r}: {len(scenario.workloads)} workloads, "
          f"{scenario.horizon_months} months from {scenario.start}, price book {book.id}")
    for w in warnings:
        print(f"warning: {w}")
    return EXIT_OK


# --------------------------------------------------------------------------- project
def cmd_project(args: argparse.Namespace) -> int:
    from forecast.projection import project, projection_to_dict

    scenario, book = _load(args.file)
    projection = project(scenario, book)
    if args.json:
        text = json.dumps(projection_to_dict(projection, book), indent=2, ensure_ascii=False)
        _emit(text, args.output)
    elif args.csv:
        _emit(projection.monthly_frame().to_csv(index=False, float_format="%.2f"), args.output)
    else:
        _emit(_project_text(projection, book), args.output)
    return EXIT_OK


def _project_text(projection: Any, book: Any) -> str:
    from forecast.formatting import pct, table, usd
    from forecast.types import LEVERS

    attribution = projection.attribution
    cur, opt = attribution.current_total, attribution.optimized_total
    n = len(projection.months)
    out = [
        f"{projection.scenario_name}: {n} months {projection.months[0]} to "
        f"{projection.months[-1]}, price book {book.id} ({book.effective_date})",
        "",
        f"  current path    {usd(cur):>14}   ({usd(cur / n)}/month on average)",
        f"  optimized path  {usd(opt):>14}   ({usd(opt / n)}/month on average)",
        f"  saving          {usd(cur - opt):>14}   ({pct((cur - opt) / cur if cur else 0, 1)})",
        "",
        "Saving by lever (Shapley shares: levers multiply, so each is averaged over the 6 "
        "orders)",
    ]
    steps = dict(attribution.waterfall)
    total = attribution.total_saving
    rows = [[str(lv), usd(attribution.shapley[lv]),
             pct(attribution.shapley[lv] / total if total else 0, 1), usd(steps[lv])]
            for lv in LEVERS]
    out.append(table(rows, ["lever", "shapley", "share", "waterfall (route, cache, batch)"],
                     right={1, 2, 3}))
    out += ["", "Workloads, in migration order (largest monthly saving first)"]
    order = sorted(range(len(projection.workloads)),
                   key=lambda i: attribution.migration_order[i])
    rows = []
    for i in order:
        wt = projection.waiting[i]
        rows.append([
            str(attribution.migration_order[i]), projection.workloads[i], str(wt.waiting),
            pct(wt.batch_eligible_share), usd(projection.current[:, i].sum()),
            usd(projection.optimized[:, i].sum()), usd(attribution.saving_per_month[i]),
        ])
    out.append(table(rows, ["#", "workload", "waiting", "batchable", "current",
                            "optimized", "saving/month"], right={0, 3, 4, 5, 6}))
    for w in projection.warnings:
        out.append(f"warning: {w}")
    return "\n".join(out)


# --------------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """argparse with the usage error on one line and exit status 2 (argparse's default)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


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

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


#: Other modules' sub-commands: each a function that adds its parser to the sub-parsers.
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []
_EXTRA_COMMANDS.append(register_import_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
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
    except Exception as exc:  # a bug, not bad input: say so without a wall of traceback
        if os.environ.get("COMMITPLAN_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} "
              "(set COMMITPLAN_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_ERROR
