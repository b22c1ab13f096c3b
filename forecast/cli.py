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

from forecast import limits
from forecast.errors import PlannerError
from forecast.usage_import import register_cli as register_import_command

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
#: Same cap as the scenario schema's simulation.paths (memory grows with paths x months x
#: workloads: 100,000 x 60 x 50 float32 cells is 1.2 GB a buffer).
MAX_PATHS = 100_000


def _load(path: str) -> tuple[Any, Any]:
    from forecast.pricebook import load_price_book
    from forecast.scenario import load_scenario

    scenario = load_scenario(path)
    book = load_price_book(scenario.price_book, Path(path).parent)
    return scenario, book


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files a command reads, which its ``-o`` must not overwrite: the scenario, and its
    price book when that is a file beside it."""
    from forecast.pricebook import bundled_price_book_ids

    inputs = [args.file]
    scenario = getattr(args, "scenario", None)
    if scenario is not None and scenario.price_book not in bundled_price_book_ids():
        book = Path(scenario.price_book)
        inputs.append(str(book if book.is_absolute() else Path(args.file).parent / book))
    return inputs


def _check_output(args: argparse.Namespace) -> None:
    """Refuse a bad ``-o`` before any work is done (it is checked again when written)."""
    if getattr(args, "output", None) is not None:
        from forecast.files import check_output

        check_output(args.output, _inputs(args))


def _emit(text: str, args: argparse.Namespace) -> None:
    """Print, or write to ``args.output`` (never over an input; see forecast.files)."""
    if args.output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from forecast.files import write_output

    write_output(args.output, text if text.endswith("\n") else text + "\n", _inputs(args))
    print(f"wrote {args.output}", file=sys.stderr)


def _json(document: Any) -> str:
    """JSON text; NaN and Infinity are not JSON, so a non-finite number is a bug here."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


# --------------------------------------------------------------------------- validate
def cmd_validate(args: argparse.Namespace) -> int:
    from forecast.projection import project

    scenario, book = _load(args.file)
    warnings = project(scenario, book).warnings
    n = len(scenario.workloads)
    print(f"{args.file}: valid scenario {scenario.name!r}: {n} workload{'s' * (n != 1)}, "
          f"{scenario.horizon_months} months from {scenario.start}, price book {book.id}")
    for w in warnings:
        print(f"warning: {w}")
    return EXIT_OK


# --------------------------------------------------------------------------- project
def cmd_project(args: argparse.Namespace) -> int:
    from forecast.projection import project, projection_to_dict

    _check_output(args)
    scenario, book = _load(args.file)
    args.scenario = scenario
    projection = project(scenario, book)
    if args.json:
        _emit(_json(projection_to_dict(projection, book)), args)
    elif args.csv:
        _emit(projection.monthly_frame().to_csv(index=False, float_format="%.2f"), args)
    else:
        _emit(_project_text(projection, book), args)
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


# --------------------------------------------------------------------------- plan
def _progress(enabled: bool) -> Any:
    """Progress lines on standard error when it is a terminal (long runs)."""
    if not enabled or not sys.stderr.isatty():
        return None
    return lambda message: print(f"... {message}", file=sys.stderr, flush=True)


def _run_plan(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from forecast.plan import build_plan

    _check_output(args)
    scenario, book = _load(args.file)
    args.scenario = scenario
    _check_output(args)  # again, now that the price book is known
    plan = build_plan(scenario, book, paths=args.paths, seed=args.seed,
                      commits=args.commit or (), sensitivity=not args.no_sensitivity,
                      progress=_progress(True))
    return scenario, book, plan


def cmd_plan(args: argparse.Namespace) -> int:
    _scenario, _book, plan = _run_plan(args)
    if args.json:
        _emit(_json(plan.to_dict()), args)
    else:
        _emit(_plan_text(plan), args)
    return EXIT_OK


def _plan_text(plan: Any) -> str:
    from forecast.formatting import pct, table, usd

    rec = plan.recommendation
    sc = plan.scenario
    years = sc.contract.years

    def amount(r: Any) -> str:
        return " / ".join(usd(c) for c in r.per_year) if r.is_ramp else usd(r.annual_commit)

    out = [
        f"{sc.name}: {years}-year contract from {sc.start}, {plan.n_paths:,} paths, seed "
        f"{plan.seed}, price book {plan.book.id}",
        "",
        f"  RECOMMENDED  {amount(rec.recommended)} a year  (discount "
        f"{pct(rec.recommended.discount[0])}, shortfall probability "
        f"{pct(rec.recommended.shortfall_probability)})",
        f"    risk-neutral  {amount(rec.risk_neutral)} a year: lowest expected cost "
        f"{usd(rec.risk_neutral.expected_cost)}, shortfall "
        f"{pct(rec.risk_neutral.shortfall_probability)}",
        f"    risk-bounded  {amount(rec.risk_bounded)} a year: the most you can commit with a "
        f"shortfall probability within {pct(rec.appetite)}",
        f"    ramp          {amount(rec.ramp)}"
        + ("  (advised: usage grows over the term)" if rec.ramp_advised else ""),
        f"  expected cost {usd(rec.recommended.expected_cost)} over the term; saves "
        f"{usd(rec.recommended.saving_vs_current)} against today's path at list",
        "",
        "Commitment options (money over the whole term)",
    ]
    rows = []
    for c in plan.candidates:
        rows.append([c.label if c.label != "grid" else "", amount(c), pct(c.discount[0]),
                     usd(c.expected_cost), usd(c.cost_p10), usd(c.cost_p90),
                     pct(c.shortfall_probability), usd(c.expected_unused),
                     usd(c.stranded_savings), c.flag.value])
    out.append(table(rows, ["", "annual commit", "disc.", "expected cost", "P10", "P90",
                            "shortfall", "unused", "stranded", "flag"],
                     right={1, 2, 3, 4, 5, 6, 7, 8}))
    out += ["", "Flags"]
    for f in plan.flags:
        out.append(f"  [{f.level.value.upper():5s}] {f.kind}: {f.message}")
    if plan.sensitivity:
        out += ["", "Sensitivity: risk-bounded annual commitment (base "
                f"{usd(plan.sensitivity[0].base)}) at each assumption's low / high"]
        rows = [[r.assumption, f"{r.low_label}: {usd(r.low)}", f"{r.high_label}: {usd(r.high)}",
                 usd(r.swing)] for r in plan.sensitivity]
        out.append(table(rows, ["assumption", "low", "high", "swing"], right={3}))
    return "\n".join(out)


# --------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    """The negotiation PDF; the output path is checked before the simulation runs."""
    from forecast.report import write_pdf

    _scenario, _book, plan = _run_plan(args)
    write_pdf(plan, args.output, inputs=_inputs(args))
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


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
    _plan_options(p)
    p.set_defaults(func=cmd_report)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


def _whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """argparse type: a whole number within bounds, with a message saying which."""

    def parse(text: str) -> int:
        shown = text if len(text) <= 24 else text[:23] + "…"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum:,}" if maximum is not None \
                else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"{shown} must be {bound}")
        return value

    return parse


def _amount(text: str) -> float | tuple[float, ...]:
    """argparse type for ``--commit``: one annual amount (``1200000``, ``1,200,000``,
    ``1.2M``, ``900k``) or a ramp, one amount per contract year (``900k/1.1M/1.3M``)."""
    from forecast.formatting import parse_amounts

    try:
        amounts = parse_amounts(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not amounts:
        raise argparse.ArgumentTypeError("give an amount, e.g. 1200000, 1.2M or 900k/1.1M/1.3M")
    return amounts[0] if len(amounts) == 1 else tuple(amounts)


def _plan_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``plan`` and ``report``."""
    p.add_argument("--paths", type=_whole_number(1, MAX_PATHS),
                   help="Monte Carlo paths (default: the scenario's simulation.paths)")
    p.add_argument("--seed", type=_whole_number(0, limits.MAX_SEED),
                   help="random seed (default: the scenario's)")
    # extend: `--commit A B` and `--commit A --commit B` both keep every amount.
    p.add_argument("--commit", type=_amount, nargs="+", action="extend", metavar="AMOUNT",
                   help="annual commitment(s) to evaluate beside the recommendation: "
                        "1200000, 1.2M, 900k, or a ramp with one amount per contract year, "
                        "900k/1.1M/1.3M")
    p.add_argument("--no-sensitivity", action="store_true",
                   help="skip the sensitivity tornado (13 re-simulations)")


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
