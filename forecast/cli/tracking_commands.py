"""``track`` and ``export``: after signing, the commitment against usage to date; the contract
and the monthly projection as FOCUS 1.3 files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from forecast.cli.common import (
    EXIT_OK,
    MAX_PATHS,
    SEED,
    _inputs,
    _json,
    _load,
    _month_arg,
    _usage_sources,
    _whole_number,
)
from forecast.cli.display import tracking_text
from forecast.types import CommitmentKind

# --------------------------------------------------------------------------- track


def _track(args: argparse.Namespace) -> Any:
    """Load the scenario, read the usage to date and track the contract (the output path
    is checked before any work)."""
    from forecast import read_usage_to_date, track

    if args.output is not None:
        from forecast.files import check_output

        check_output(args.output, _inputs(args))
        if Path(args.output).suffix.lower() == ".pdf":
            from forecast.chartengine import check_address_space

            check_address_space()  # the charts' engine cannot start under a small ulimit -v
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
    p.add_argument("--seed", type=SEED,
                   help="random seed (default: the scenario's)")
    p.set_defaults(func=cmd_track)


# --------------------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    """``commitplan export --focus``: both files written together or not at all."""
    from forecast import focus_export, write_focus

    scenario, book = _load(args.file)
    args.scenario = scenario
    export = focus_export(scenario, book, args.paths, args.seed, args.focus_version,
                          args.planned)
    written = write_focus(export, args.output, _inputs(args))
    source = "the scenario's contract.commitments" if export.source is CommitmentKind.SCENARIO \
        else "the plan's decision (the scenario names no commitment, or offers are on the table)"
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
    p.add_argument("--seed", type=SEED,
                   help="random seed (default: the scenario's)")
    p.set_defaults(func=cmd_export)
