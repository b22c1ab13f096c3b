"""``import`` and ``backtest``: usage history turned into a scenario, or checked against what
followed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from forecast import PlannerError
from forecast.cli.common import (
    EXIT_OK,
    MAX_PATHS,
    SEED,
    _book_ref,
    _check_output,
    _inputs,
    _share_arg,
    _usage_sources,
    _whole_number,
    _write_output,
)

# --------------------------------------------------------------------------- import


def cmd_import(args: argparse.Namespace) -> int:
    """``commitplan import``: nothing is written when anything fails."""
    from forecast import import_usage

    if args.output and Path(args.output).suffix.lower() == ".json":
        raise PlannerError(f"{args.output}: write the scenario as .yaml; it carries a "
                           "comment header, which JSON cannot hold")
    _check_output(args)
    result = import_usage(_usage_sources(args.usage), args.group_by, args.months,
                          _book_ref(args.price_book), args.name, args.batch_share,
                          args.include_provisional)
    if args.report:
        print(result.report.text())
    if args.output:
        _write_output(args.output, result.scenario_yaml(), _inputs(args))
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
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.set_defaults(func=cmd_backtest)
