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

from forecast import PlannerError, limits

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
#: Same cap as the scenario schema's simulation.paths (memory grows with paths x months x
#: workloads: 100,000 x 60 x 50 float32 cells is 1.2 GB a buffer).
MAX_PATHS = 100_000


def _load(path: str) -> tuple[Any, Any]:
    from forecast import load_price_book, load_scenario

    scenario = load_scenario(path)
    book = load_price_book(scenario.price_book, Path(path).parent)
    return scenario, book


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files a command reads, which its ``-o`` must not overwrite: the scenario, and its
    price book when that is a file beside it."""
    from forecast.pricebook import bundled_price_book_ids

    inputs = [args.file, *(getattr(args, "usage", None) or [])]
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
    from forecast import project

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
    from forecast import project
    from forecast.projection import projection_to_dict

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
    from forecast.formatting import pct, rounded_shares, table, usd
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
    shares = rounded_shares([attribution.shapley[lv] / total if total else 0.0
                             for lv in LEVERS], 1)
    rows = [[str(lv), usd(attribution.shapley[lv]), pct(share, 1), usd(steps[lv])]
            for lv, share in zip(LEVERS, shares, strict=True)]
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


def _run_plan(args: argparse.Namespace, loaded: Callable[[], None] | None = None
              ) -> tuple[Any, Any, Any]:
    """The plan of ``args.file``; ``loaded`` is called once the scenario is read and the
    output checked, before the simulation."""
    from forecast import build_plan

    _check_output(args)
    scenario, book = _load(args.file)
    args.scenario = scenario
    _check_output(args)  # again, now that the price book is known
    if loaded is not None:
        loaded()
    plan = build_plan(scenario, book, paths=args.paths, seed=args.seed,
                      commits=args.commit or (), sensitivity=not args.no_sensitivity,
                      progress=_progress(True), asks_for=args.asks_for or ())
    return scenario, book, plan


def cmd_plan(args: argparse.Namespace) -> int:
    _scenario, _book, plan = _run_plan(args)
    if args.json:
        _emit(_json(plan.to_dict()), args)
    else:
        _emit(_plan_text(plan), args)
    return EXIT_OK


def _plan_text(plan: Any) -> str:
    """The plan in words and tables: the answer, its bridge, then the detail."""
    from forecast import narrative
    from forecast.formatting import pct, table, usd
    from forecast.plan import SAVING_LABEL
    from forecast.types import CommitmentKind

    rec = plan.recommendation
    sc = plan.scenario
    contract = sc.contract
    r = rec.recommended
    out = [
        f"{sc.name}: {contract.years}-year contract from {sc.start}, {plan.n_paths:,} paths, "
        f"seed {plan.seed}, price book {plan.book.id}",
        "",
    ]
    if plan.position is not None:
        out += [*_position_text(plan), ""]
    out += [
        f"RECOMMENDED  {narrative.with_tier(r, contract)}  "
        f"[{narrative.colour_text(r, rec.appetite).upper()}]",
        f"  {narrative.why_recommended(plan)}",
    ]
    for note in (narrative.tier_edge_note(plan), narrative.ramp_note(plan)):
        if note:
            out.append(f"  {note}")
    out += ["", f"Savings bridge, expected over the {contract.years}-year term"]
    for sign, words, amount in narrative.bridge_rows(r):
        shown = usd(-amount if sign == "-" else amount)
        out.append(f"  {sign or ' '} {words:<58} {shown:>14}")
    out.append(f"  {SAVING_LABEL}: {usd(r.saving_vs_today)} (vs pay as you go: "
               f"{usd(r.saving_vs_payg)})")
    out.append(f"  {narrative.precision_line(plan)}")
    out += [f"  {line}" for line in narrative.noise_lines(plan)]
    out += ["", "Optimize, then commit"]
    out += [f"  {i}. {line.plain}" for i, line in enumerate(narrative.conclusion(plan), 1)]
    out += ["", "Other commitments (money over the term)"]
    others = [rec.risk_neutral, rec.risk_bounded, rec.ramp, rec.safe_commit, rec.unoptimized,
              *([rec.run_rate] if rec.run_rate is not None else []), *plan.named]
    rows = [[o.label, narrative.with_tier(o, contract), usd(o.expected_cost),
             usd(o.saving_vs_today), pct(o.shortfall_probability), pct(o.stranded_share),
             narrative.colour_text(o, rec.appetite)] for o in others]
    out.append(table(rows, ["", "commitment", "expected cost", "saving vs today",
                            "shortfall", "stranded", "colour"], right={2, 3, 4, 5}))
    out += ["", "Commitment options (money over the whole term)"]
    rows = []
    for c in plan.candidates:
        label = "" if c.kind == CommitmentKind.GRID else c.label
        rows.append([label, narrative.amount_text(c), "/".join(pct(d) for d in c.discount)
                     if c.is_ramp else pct(c.discount[0]),
                     usd(c.expected_cost), usd(c.cost_p10), usd(c.cost_p90),
                     pct(c.shortfall_probability), usd(c.expected_unused),
                     usd(c.stranded_savings), c.colour.value])
    out.append(table(rows, ["", "annual commit", "disc.", "expected cost", "P10", "P90",
                            "shortfall", "unused", "stranded", "colour"],
                     right={1, 2, 3, 4, 5, 6, 7, 8}))
    if plan.not_options:
        out.append(plan.not_options)
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


def _position_text(plan: Any) -> list[str]:
    """The buyer's position, first: the alternative, the target, the walk-away, the asks."""
    from forecast import narrative
    from forecast.formatting import pct, table, usd

    position = plan.position
    out = ["POSITION (internal: the appetite, the walk-away and the alternative are yours alone)"]
    out += [f"  {line}" for line in narrative.position_lines(plan)]
    out += ["", "Offers, compared on the same paths (money over each offer's term)"]
    rows = []
    for o in position.offers:
        rows.append([str(o.rank), o.name, narrative.with_tier(o.result, o.terms),
                     usd(o.result.expected_cost), usd(o.saving_vs_payg),
                     pct(o.result.shortfall_probability), usd(o.result.stranded_savings),
                     str(narrative.offer_colour(o)), o.dominated_by or ""])
    out.append(table(rows, ["#", "offer", "commitment", "expected cost", "vs pay as you go",
                            "shortfall", "stranded", "colour", "dominated by"],
                     right={0, 3, 4, 5, 6}))
    worth = narrative.material_asks(plan)
    if worth:
        out += ["", "Asks, valued on the same paths against the offer as it stands"]
        rows = [[a.offer, a.description, usd(a.expected_value),
                 pct(a.shortfall_probability_after)] for a in worth]
        out.append(table(rows, ["offer", "ask", "expected value", "shortfall after"],
                         right={2, 3}))
    nothing = [a for a in position.asks if a not in worth]
    if nothing:
        out.append("Worth little or nothing on these paths: " + "; ".join(
            f"{a.description} ({a.offer})" for a in nothing) + ".")
    curve = sorted((*position.named_break_even, *position.break_even),
                   key=lambda b: b.annual_commit)
    if curve:
        out += ["", "Break-even discount: the least flat discount worth accepting per annual "
                "commitment (none: no discount makes it pay)"]
        out.append("  " + " · ".join(
            f"{usd(b.annual_commit)}: {'none' if b.discount is None else pct(b.discount, 1)}"
            for b in curve))
    return out


# --------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    """The negotiation PDF; the output path is checked before the simulation runs."""
    from forecast import write_pdf
    from forecast.types import Audience

    tracking = None
    if args.usage:  # before the plan's simulation: bad usage fails fast
        _check_output(args)
        tracking = _report_tracking(args)
    # The PDF's fixed cost (its imports, the chart engine's start) overlaps the simulation,
    # from when the scenario is read and the plan's modules are imported (the two threads
    # import apart) and only then: a bad scenario starts nothing.
    warm: list[Any] = []
    _scenario, _book, plan = _run_plan(args, loaded=lambda: warm.append(_background(_warm_up)))
    for thread in warm:
        thread.join()
    write_pdf(plan, args.output, inputs=_inputs(args), audience=Audience(args.audience),
              tracking=tracking)
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def _warm_up() -> None:
    """:func:`forecast.report.build.warm_up`; a failure here is left for the export itself
    to meet and report."""
    try:
        from forecast.report.build import warm_up

        warm_up()
    except Exception:  # the export meets the same failure and reports it
        pass


def _background(target: Callable[[], None]) -> Any:
    import threading

    thread = threading.Thread(target=target, name="commitplan-warm-up", daemon=True)
    thread.start()
    return thread


def _report_tracking(args: argparse.Namespace) -> Any:
    """``report --usage``: the signed contract against usage to date, for its page."""
    from forecast import read_usage_to_date, track
    from forecast.tracking import require_signed_contract

    if args.audience == "vendor":
        print("note: the tracking page goes in the internal copy only", file=sys.stderr)
        return None
    scenario, book = _load(args.file)
    require_signed_contract(scenario)
    history = read_usage_to_date(_usage_sources(args.usage), scenario, Path(args.file).parent)
    return track(scenario, book, history, args.as_of, args.paths, args.seed)


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
    p.add_argument("--audience", choices=["internal", "vendor"], default="internal",
                   help="internal (default): everything, marked internal on every page; "
                        "vendor: the ask, the usage evidence and the optimization plan, "
                        "nothing of your appetite, walk-away or alternative")
    _plan_options(p)
    _report_usage_options(p)
    p.set_defaults(func=cmd_report)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


def _report_usage_options(p: argparse.ArgumentParser) -> None:
    """``report --usage``: add the tracking page (see ``commitplan track``)."""
    p.add_argument("--usage", nargs="+", metavar="USAGE",
                   help="usage to date (the files `track` reads): adds the page that tracks "
                        "the signed contract against it (internal copy only)")
    p.add_argument("--as-of", type=_month_arg, metavar="YYYY-MM",
                   help="with --usage: the last month of actuals (default: the last month the "
                        "files cover in full)")


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
    p.add_argument("--asks-for", action="append", metavar="OFFER",
                   help="value the asks under this offer too (besides the best one); "
                        "repeat for more")


#: Other modules' sub-commands: each a function that adds its parser to the sub-parsers.
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


# --------------------------------------------------------------------------- import
def _write_output(path: str, text: str, inputs: Sequence[str]) -> None:
    """Write a command's output file whole, never over one of its inputs (forecast.files)."""
    from forecast.files import write_output

    write_output(path, text, inputs, what="the scenario")


def _share_arg(text: str) -> float:
    """argparse type: a share between 0 and 1 (``0.3``, or ``30%``)."""
    raw = text.strip()
    try:
        value = float(raw.removesuffix("%")) / (100.0 if raw.endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share; give 0.3 or 30%") from None
    if not 0.0 <= value <= 1.0:
        hint = f" (did you mean {value / 100:g}?)" if 1.0 < value <= 100.0 else ""
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 1{hint}")
    return value


def _book_ref(ref: str | None) -> str | None:
    """A book file as an absolute path (the scenario may be saved in another folder)."""
    if ref and Path(ref).suffix.lower() in (".yaml", ".yml", ".json"):
        return str(Path(ref).resolve())
    return ref


def _usage_sources(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    from forecast.usage import read_usage_file

    return [(path, read_usage_file(path)) for path in paths]


def cmd_import(args: argparse.Namespace) -> int:
    """``commitplan import``: nothing is written when anything fails."""
    from forecast import import_usage

    if args.output and Path(args.output).suffix.lower() == ".json":
        raise PlannerError(f"{args.output}: write the scenario as .yaml; it carries a "
                           "comment header, which JSON cannot hold")
    result = import_usage(_usage_sources(args.usage), args.group_by, args.months,
                          _book_ref(args.price_book), args.name, args.batch_share,
                          args.include_provisional)
    if args.report:
        print(result.report.text())
    if args.output:
        _write_output(args.output, result.scenario_yaml(), args.usage)
        n = len(args.usage)
        print(f"wrote {args.output}: {len(result.scenario.workloads)} workloads from "
              f"{n} file{'s' if n > 1 else ''}", file=sys.stderr)
    elif not args.report:
        sys.stdout.write(result.scenario_yaml())
    return EXIT_OK


def _usage_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``import`` and ``backtest``."""
    p.add_argument("usage", nargs="+", metavar="USAGE",
                   help="usage files: analytics or Admin API report pages and cost report "
                        "pages (.json), Console exports (.csv)")
    p.add_argument("--group-by", choices=["workspace", "api_key", "model", "product"],
                   help="one workload per (default: workspace when the files name "
                        "workspaces, else product, else model)")
    p.add_argument("--price-book", metavar="ID|FILE",
                   help="a bundled price book id or a book file (default: the bundled one)")
    p.add_argument("--batch-share", type=_share_arg, metavar="SHARE",
                   help="share of the traffic batched, for usage without a service tier "
                        "(the analytics report has none; default 0)")
    p.add_argument("--include-provisional", action="store_true",
                   help="fit months within 30 days of the report's data_refreshed_at too")


def register_import(sub: Any) -> None:
    p = sub.add_parser(
        "import", help="turn Claude usage history into a scenario with fitted growth",
        description="Read usage and cost analytics API pages, Admin API usage report pages "
                    "(.json) and Console usage exports (.csv), roll them up to months, price "
                    "them and write a scenario: one workload per group, today's levers as "
                    "observed, growth fitted.")
    _usage_options(p)
    p.add_argument("-o", "--output", metavar="SCENARIO.yaml",
                   help="write the scenario here (YAML); without it, print it")
    p.add_argument("--months", type=_whole_number(1), metavar="N",
                   help="keep the last N months (after partial months are dropped or scaled)")
    p.add_argument("--report", action="store_true",
                   help="print what was read: months, groups, tokens, cost, fitted growth, "
                        "effective rate")
    p.add_argument("--name", help="the scenario's name")
    p.set_defaults(func=cmd_import)


_EXTRA_COMMANDS.append(register_import)


# --------------------------------------------------------------------------- backtest
def cmd_backtest(args: argparse.Namespace) -> int:
    """``commitplan backtest``: fit on the first K months, compare the forecast with the rest."""
    from forecast import price_history
    from forecast.backtest import backtest, rolling_backtest

    contract = None
    if args.contract:
        from forecast import load_scenario

        contract = load_scenario(args.contract).contract
    history = price_history(_usage_sources(args.usage), _book_ref(args.price_book),
                            args.batch_share)
    common = {"group_by": args.group_by, "contract": contract, "paths": args.paths,
              "seed": args.seed, "include_provisional": args.include_provisional}
    if args.rolling:
        result: Any = rolling_backtest(history, args.horizon, args.train_months, **common)
    else:
        result = backtest(history, args.train_months, args.horizon, **common)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(result.text())
    return EXIT_OK


def register_backtest(sub: Any) -> None:
    p = sub.add_parser(
        "backtest", help="fit on the first K months of usage, forecast the rest, compare",
        description="Fit growth on the first K full months of a usage history, simulate the "
                    "next H, and compare with what happened: each month's actual against "
                    "P10/P50/P90, how often actuals fall inside P10-P90, the median's error, "
                    "and what the commitment recommended at month K would have cost against "
                    "the best flat commitment in hindsight.")
    _usage_options(p)
    p.add_argument("--train-months", type=_whole_number(3), required=True, metavar="K",
                   help="months to fit on (the first origin with --rolling)")
    p.add_argument("--horizon", type=_whole_number(1), metavar="H",
                   help="months to forecast (default: the rest of the history)")
    p.add_argument("--rolling", action="store_true",
                   help="backtest from every origin from K months on, and pool the results")
    p.add_argument("--contract", metavar="SCENARIO.yaml",
                   help="size the commitment with this scenario's contract (its first year); "
                        "default: 10%% off any commitment, overage at list")
    p.add_argument("--paths", type=_whole_number(100, MAX_PATHS), default=2000,
                   help="Monte Carlo paths per origin (default 2,000)")
    p.add_argument("--seed", type=_whole_number(0), default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_backtest)


_EXTRA_COMMANDS.append(register_backtest)


# --------------------------------------------------------------------------- prices
def _date_arg(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; give YYYY-MM-DD") from None


def cmd_prices(args: argparse.Namespace) -> int:
    """``commitplan prices``: the book as in force on a date."""
    from forecast import load_price_book
    from forecast.formatting import table
    from forecast.pricebook import LATEST_PRICE_BOOK

    book = load_price_book(args.price_book or LATEST_PRICE_BOOK)
    if args.unverified:
        return _prices_unverified(book, args)
    rows = book.as_of(args.on)
    if args.model:
        model_id = book.resolve_model(args.model)
        if model_id is None:
            raise PlannerError(f"--model {args.model!r}: not in price book {book.id!r}; it "
                               f"prices {', '.join(book.model_ids)}")
        rows = [r for r in rows if r["model"] == model_id]
    if args.json:
        print(json.dumps({"price_book": book.id, "effective_date": str(book.effective_date),
                          "on": str(args.on) if args.on else None,
                          "currency": book.currency, "batch_discount": book.batch_discount,
                          "source": book.source, "models": rows,
                          "not_expressed": list(book.not_expressed)}, indent=2))
        return EXIT_OK

    def money(v: float | None) -> str:
        """Dollars with at least 2 and at most 4 decimals: $12.50, $0.125, $0.0125."""
        if v is None:
            return "-"
        whole, _, cents = f"{v:,.4f}".partition(".")
        return f"${whole}.{cents.rstrip('0').ljust(2, '0')}"

    when = f"in force on {args.on}" if args.on else "latest entries (the forecast's prices)"
    out = [f"Price book {book.id} (effective {book.effective_date}), {when}; USD per "
           "million tokens, before the batch discount "
           f"({book.batch_discount:.0%} off every token class)", f"Source: {book.source}", ""]
    table_rows = [[r["model"], money(r["uncached_input"]), money(r["cache_write_5m"]),
                   money(r["cache_write_1h"]), money(r["cache_read"]), money(r["output"]),
                   "-" if r["threshold"] is None else
                   f">{r['threshold'] // 1000:,}k: {money(r['long_input'])} / "
                   f"{money(r['long_output'])}",
                   "-" if r["us_multiplier"] is None else f"{r['us_multiplier']:g}x",
                   "-" if r["fast_multiplier"] is None else f"{r['fast_multiplier']:g}x"
                   + (f" to {r['fast_until']}" if r["fast_until"] else ""),
                   f"{r['tokenizer_factor']:g}", ", ".join(r["changes"]) or "-",
                   "-" if r["retires"] is None else f"{r['retires']} -> {r['successor']}",
                   "" if r["verified"] else "*"]
                  for r in rows]
    out.append(table(table_rows, ["model", "input", "5m write", "1h write", "cache read",
                                  "output", "long prompt (in / out)", "US only", "fast",
                                  "tokenizer", "changed on", "retires", ""],
                     right={1, 2, 3, 4, 5, 7, 9}))
    if any(not r["verified"] for r in rows):
        out += ["", "* some figures from secondary sources only: see --unverified"]
    if book.not_expressed and not args.model:
        out += ["", "Not expressed by this book (priced at standard rates):",
                *(f"  - {line}" for line in book.not_expressed)]
    print("\n".join(out))
    return EXIT_OK


def _prices_unverified(book: Any, args: argparse.Namespace) -> int:
    """``commitplan prices --unverified``: the figures found only in secondary sources."""
    from forecast.formatting import table

    rows = book.unverified()
    if args.model:
        model_id = book.resolve_model(args.model)
        rows = [r for r in rows if r["model"] in (model_id, "*")]
    if args.json:
        print(json.dumps({"price_book": book.id, "unverified": rows}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"Price book {book.id}: every figure is from the vendor's own pages.")
        return EXIT_OK
    print(f"Price book {book.id}: figures found only in secondary sources (not on the "
          "vendor's pages as read)\n")
    print(table([[r["model"], r["fields"], r["url"]] for r in rows],
                ["model", "fields", "source"]))
    return EXIT_OK


def register_prices(sub: Any) -> None:
    p = sub.add_parser("prices", help="print the price book as in force on a date",
                       description="Print every model's list prices (input, cache writes and "
                                   "reads, output, the long-prompt band, the US-only "
                                   "multiplier) as in force on a date.")
    p.add_argument("--model", metavar="M", help="one model (an id, alias or display name)")
    p.add_argument("--on", type=_date_arg, metavar="DATE",
                   help="the day (YYYY-MM-DD); default: the latest entries")
    p.add_argument("--price-book", metavar="ID|FILE",
                   help="a bundled id or a book file; default: the newest bundled book")
    p.add_argument("--unverified", action="store_true",
                   help="list the figures found only in secondary sources, with their pages")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_prices)


_EXTRA_COMMANDS.append(register_prices)


# --------------------------------------------------------------------------- track
def _month_arg(text: str) -> str:
    """argparse type: a month ``YYYY-MM``."""
    from forecast.tracking import parse_month

    try:
        return parse_month(text, "month")
    except PlannerError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("month: ")) from None


def _track(args: argparse.Namespace) -> Any:
    """Load the scenario, read the usage to date and track the contract (the output path
    is checked before any work)."""
    from forecast import read_usage_to_date, track

    if args.output is not None:
        from forecast.files import check_output

        check_output(args.output, _inputs(args))
    scenario, book = _load(args.file)
    args.scenario = scenario
    from forecast.tracking import require_signed_contract

    require_signed_contract(scenario)
    history = read_usage_to_date(_usage_sources(args.usage), scenario, Path(args.file).parent)
    return track(scenario, book, history, args.as_of, args.paths, args.seed)


def cmd_track(args: argparse.Namespace) -> int:
    """``commitplan track``: the signed commitment against usage to date."""
    tracking = _track(args)
    inputs = _inputs(args)
    if args.output is not None and Path(args.output).suffix.lower() == ".pdf":
        from forecast import render_tracking_pdf
        from forecast.files import write_output

        write_output(args.output, render_tracking_pdf(tracking), inputs, what="the report")
        print(f"wrote {args.output}", file=sys.stderr)
        return EXIT_OK
    text = _json(tracking.to_dict()) if args.json else tracking_text(tracking)
    if args.output is None:
        sys.stdout.write(text + "\n")
    else:
        from forecast.files import write_output

        write_output(args.output, text + "\n", inputs)
        print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


def tracking_text(tracking: Any) -> str:
    """``commitplan track`` in words and tables."""
    from forecast.formatting import pct, table, usd
    from forecast.tracking import mix_text

    t = tracking
    seen = sum(y.months_observed for y in t.years)
    out = [f"{t.scenario_name}: {len(t.years)}-year contract from {t.start}, as of {t.as_of} "
           f"({seen} month{'s' * (seen != 1)} of usage), {t.n_paths:,} paths, seed {t.seed}, "
           f"price book {t.price_book}", "",
           "Contract years: consumption at the discounted rate against the commitment"]
    rows = [[str(y.year), f"{y.first_month} to {y.last_month}", usd(y.committed),
             pct(y.discount), usd(y.consumed_to_date), usd(y.expected_at_year_end),
             usd(y.p10), usd(y.p90), pct(y.shortfall_probability), usd(y.expected_unused)]
            for y in t.years]
    out.append(table(rows, ["year", "months", "committed", "disc.", "consumed to date",
                            "expected at year end", "P10", "P90", "shortfall",
                            "expected unused"], right={2, 3, 4, 5, 6, 7, 8, 9}))
    out += ["", f"Workloads in {t.as_of} against the plan for that month (planned / observed)"]

    def both(planned: Any, observed: Any, show: Any) -> str:
        return f"{'-' if planned is None else show(planned)} / " \
               f"{'-' if observed is None else show(observed)}"

    rows = []
    for w in t.workloads:
        obs = w.observed
        rows.append([w.name, str(w.status),
                     both(w.planned.batch_share, obs and obs.batch_share, pct),
                     both(w.planned.cache_hit_rate, obs and obs.cache_hit_rate, pct),
                     both(w.planned.list_spend, obs and obs.list_spend, usd)])
    out.append(table(rows, ["workload", "status", "batch share", "cache hits",
                            "list spend"], right={2, 3, 4}))
    mixes = [(w.name, mix_text(w.planned.models), mix_text(w.observed.models))
             for w in t.workloads if w.observed is not None
             and mix_text(w.planned.models) != mix_text(w.observed.models)]
    for name, planned, observed in mixes:
        out.append(f"  {name}: models planned {planned}; observed {observed}")
    if t.warnings:
        out += ["", "Warnings"]
        out += [f"  {i}. {w.message}" for i, w in enumerate(t.warnings, 1)]
    return "\n".join(out)


def register_track(sub: Any) -> None:
    p = sub.add_parser(
        "track", help="after signing: the commitment against usage to date, year-end "
                      "forecast, workloads behind plan, early warnings",
        description="Read usage to date (the formats `import` reads) and follow the "
                    "scenario's signed contract (contract.commitments from its start): per "
                    "contract year, consumption to date at the discounted rate, the forecast "
                    "at year end re-simulated from the observed level, its P10/P90, the "
                    "shortfall probability and the expected unused commitment; per workload, "
                    "the levers observed in the last full month against the plan; warnings "
                    "that say what to do.")
    p.add_argument("file", metavar="SCENARIO", help="scenario file with contract.commitments "
                   "and each workload's usage_match")
    p.add_argument("usage", nargs="+", metavar="USAGE",
                   help="usage files to date: analytics or Admin API report pages (.json), "
                        "Console exports (.csv)")
    p.add_argument("--as-of", type=_month_arg, metavar="YYYY-MM",
                   help="the last month of actuals (default: the last month the files cover "
                        "in full)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("-o", "--output", metavar="OUT.pdf",
                   help="write the tracking PDF (a .pdf name), or what would be printed")
    p.add_argument("--paths", type=_whole_number(1, MAX_PATHS),
                   help="Monte Carlo paths (default: the scenario's simulation.paths)")
    p.add_argument("--seed", type=_whole_number(0, limits.MAX_SEED),
                   help="random seed (default: the scenario's)")
    p.set_defaults(func=cmd_track)


_EXTRA_COMMANDS.append(register_track)


# --------------------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    """``commitplan export --focus``: both files written together or not at all."""
    from forecast import focus_export, write_focus

    scenario, book = _load(args.file)
    args.scenario = scenario
    export = focus_export(scenario, book, args.paths, args.seed, args.focus_version,
                          args.planned)
    written = write_focus(export, args.output, _inputs(args))
    source = "the scenario's contract.commitments" if str(export.source) == "scenario" \
        else "the recommended commitment (the scenario names none)"
    kind = "a plan (identifiers planned-..., not the provider's)" if export.planned \
        else f"signed contract {scenario.contract.id}"
    print(f"wrote {', '.join(str(p) for p in written)} (FOCUS {export.version}): "
          f"{len(export.contract_commitment)} contract years, {source}; {kind}",
          file=sys.stderr)
    return EXIT_OK


def register_export(sub: Any) -> None:
    p = sub.add_parser(
        "export", help="export the contract and the monthly projection (FOCUS 1.4 or 1.3)",
        description="Write the contract as a FinOps FOCUS Contract Commitment dataset "
                    "(contract_commitment.csv, one row per contract year: the scenario's "
                    "signed commitments with contract.id, or with --planned a plan or the "
                    "recommended commitment, marked as planned) and the monthly projection "
                    "beside it (projection.csv, one row per calendar month, projected "
                    "figures as x_ columns), into a folder: both files or neither.")
    p.add_argument("file", metavar="SCENARIO", help="scenario file (.yaml or .json)")
    fmt = p.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--focus", action="store_true",
                     help="FOCUS: contract_commitment.csv and projection.csv")
    p.add_argument("--focus-version", choices=("1.3", "1.4"), default="1.4",
                   help="FOCUS version of contract_commitment.csv (default 1.4, the latest "
                        "ratified; 1.4 is not readable as 1.3)")
    p.add_argument("--planned", action="store_true",
                   help="export a plan (no contract.id, or no contract.commitments: the "
                        "recommended commitment), its identifiers marked planned-...")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="folder to write into (created when missing)")
    p.add_argument("--paths", type=_whole_number(1, MAX_PATHS),
                   help="Monte Carlo paths (default: the scenario's simulation.paths)")
    p.add_argument("--seed", type=_whole_number(0, limits.MAX_SEED),
                   help="random seed (default: the scenario's)")
    p.set_defaults(func=cmd_export)


_EXTRA_COMMANDS.append(register_export)


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
