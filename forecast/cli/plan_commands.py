"""``validate``, ``project``, ``plan`` and ``report``: a scenario planned, printed or exported
as the negotiation PDF.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast.cli.common import (
    EXIT_OK,
    _check_output,
    _emit,
    _inputs,
    _json,
    _load,
    _usage_sources,
)
from forecast.cli.display import _plan_text, _project_text


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
    _check_propose(args, scenario)
    if loaded is not None:
        loaded()
    plan = build_plan(scenario, book, paths=args.paths, seed=args.seed,
                      commits=args.commit or (), sensitivity=not args.no_sensitivity,
                      progress=_progress(True), asks_for=args.asks_for or ())
    return scenario, book, plan


def _check_propose(args: argparse.Namespace, scenario: Any) -> None:
    """``report --propose OFFER``: the offer exists (before the simulation runs)."""
    from forecast.errors import PlannerError
    from forecast.negotiation import offer_terms

    name = getattr(args, "propose", None)
    if name is None:
        return
    names = [n for n, _terms in offer_terms(scenario)]
    if name not in names:
        raise PlannerError(f"--propose: no offer named {name!r}; offers: "
                           + ", ".join(names))


def cmd_plan(args: argparse.Namespace) -> int:
    _scenario, _book, plan = _run_plan(args)
    if args.json:
        _emit(_json(plan.to_dict()), args)
    else:
        _emit(_plan_text(plan), args)
    return EXIT_OK


# --------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    """The negotiation PDF; the output path is checked before the simulation runs."""
    from forecast import write_pdf
    from forecast.chartengine import check_address_space
    from forecast.types import Audience

    _check_output(args)
    check_address_space()  # the charts' engine cannot start under a small `ulimit -v`
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
              tracking=tracking, propose=getattr(args, "propose", None))
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
