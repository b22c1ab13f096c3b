"""One client's refresh: the task mapped over the cluster (refresh_client), the one adapter
from a plan's decision to the summary row (decision_summary), the tracking's row fields and
the memory check before the plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.errors import PlannerError
from forecast.files import write_output
from forecast.portfolio.book import ClientEntry, client_seed
from forecast.types import Audience

if TYPE_CHECKING:
    from forecast.plan import Plan
    from forecast.tracking import Tracking

#: The offer of a decision that signs nothing.
PAY_AS_YOU_GO = "pay as you go"
#: Under OUTDIR: one folder per client.
CLIENTS_FOLDER = "clients"
#: Early-warning kinds of :mod:`forecast.tracking` that put a contract off track (the others
#: are notes on the data: usage matched to no workload, a lever the files cannot show).
OFF_TRACK_WARNINGS = frozenset({"shortfall", "closed_short", "overage", "below_plan",
                                "behind_plan", "reverted"})
#: The summary's columns, in order (summary.csv's header; summary.json's row keys).
COLUMNS = ("client", "status", "offer", "commitment_per_year", "sign_after_months",
           "expected_cost", "saving_vs_payg", "shortfall_probability", "extra_cost_p90",
           "colour", "reasons", "tracking_status", "tracking_as_of",
           "tracking_shortfall_probability", "change", "error", "seed", "paths", "files",
           "scenario")


@dataclass(frozen=True)
class RefreshOptions:
    """What every client's refresh does (the command line's flags).

    Attributes
    ----------
    out_dir : str
        OUTDIR, a folder every worker sees at this path.
    paths : int or None
        Monte Carlo paths per client (default: each scenario's ``simulation.paths``).
    seed : int or None
        With it, each client's seed is :func:`client_seed` of it and the client's name;
        without it, the scenario's ``simulation.seed``.
    pdf : tuple of Audience
        The PDF copies to write.
    focus : bool
        Write the FOCUS 1.3 files.
    """

    out_dir: str
    paths: int | None = None
    seed: int | None = None
    pdf: tuple[Audience, ...] = ()
    focus: bool = False


def decision_summary(plan: Plan) -> dict[str, Any]:
    """The one place a client's decision is read from its plan, for the summary row.

    The plan's own ``decision`` when it has one; otherwise today's recommendation: the
    recommended commitment under the scenario's contract (``pay as you go`` when it commits
    nothing), signed now, with the extra cost over pay as you go at P90 computed path by path
    on the plan's paths.

    Returns
    -------
    dict
        ``offer``, ``commitment_per_year`` (list, one amount per contract year),
        ``sign_after_months``, ``expected_cost``, ``saving_vs_payg``,
        ``shortfall_probability``, ``extra_cost_p90`` (None when unknown), ``colour``,
        ``reasons`` (list of ``{risk, level, value}``).
    """
    decision = getattr(plan, "decision", None)
    if decision is not None:
        return _from_decision(decision)
    from forecast.contract import evaluate
    from forecast.negotiation import SCENARIO_OFFER

    r = plan.recommendation.recommended
    usage = plan.usage
    # Extra cost on each path: the commitment's cost minus pay as you go on the same path
    # (docs/model.md, "Risk in dollars"); shape (n_paths,).
    outcome = evaluate(plan.scenario.contract, usage.optimized, r.per_year, usage.price_level)
    extra = outcome.cost.sum(axis=-1) - usage.optimized.sum(axis=-1)
    return {
        "offer": SCENARIO_OFFER if r.total_commit > 0 else PAY_AS_YOU_GO,
        "commitment_per_year": [float(c) for c in r.per_year],
        "sign_after_months": 0,
        "expected_cost": r.expected_cost,
        "saving_vs_payg": r.saving_vs_payg,
        "shortfall_probability": r.shortfall_probability,
        "extra_cost_p90": float(np.quantile(extra, 0.9)),
        "colour": str(r.colour),
        "reasons": [x.to_dict() for x in r.reasons],
    }


def _from_decision(decision: Any) -> dict[str, Any]:
    """The summary fields from a plan's ``decision`` (``forecast.decision.Decision``): its
    offer (``pay as you go`` when it signs nothing), commitment per year, when to sign, its
    money and risk; the colour and risk reasons of the commitment it signs now (none when it
    waits or pays as you go), then its reason in words."""
    result = getattr(decision, "result", None)
    offer = getattr(decision, "offer", None)
    if offer is None and str(getattr(decision, "kind", "")) == "pay_as_you_go":
        offer = PAY_AS_YOU_GO
    reasons: list[Any] = [] if result is None else [r.to_dict() for r in result.reasons]
    if getattr(decision, "reason", None):
        reasons.append(str(decision.reason))
    colour = getattr(result, "colour", None) if result is not None \
        else getattr(decision, "colour", None)
    return {
        "offer": None if offer is None else str(getattr(offer, "name", offer)),
        "commitment_per_year": [float(c) for c in np.atleast_1d(decision.per_year)],
        "sign_after_months": int(decision.sign_after_months),
        "expected_cost": _float(decision.expected_cost),
        "saving_vs_payg": _float(decision.saving_vs_payg),
        "shortfall_probability": _float(decision.shortfall_probability),
        "extra_cost_p90": _float(getattr(decision, "extra_cost_p90", None)),
        "colour": None if colour is None else str(colour),
        "reasons": reasons,
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def tracking_summary(tracking: Tracking) -> dict[str, Any]:
    """A client's tracking for the summary row: ``on track`` or ``off track`` (an early
    warning about money or levers: :data:`OFF_TRACK_WARNINGS`), the as-of month, and the
    shortfall probability of the year under way."""
    off = sorted({str(w.kind) for w in tracking.warnings} & OFF_TRACK_WARNINGS)
    year = next(y for y in tracking.years if y.year == tracking.current_year)
    return {"tracking_status": "off track" if off else "on track",
            "tracking_as_of": tracking.as_of,
            "tracking_shortfall_probability": year.shortfall_probability,
            "tracking_warnings": off}


def document_json(document: Any) -> str:
    """A JSON document as the command line prints it (``plan --json``, ``track --json``)."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _worker_memory_limit() -> int | None:
    """The memory limit of the Dask worker running this task, in bytes (None outside one,
    or unlimited)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None)
    return int(limit) if limit else None


def check_client_memory(scenario: Any, n_paths: int) -> None:
    """The memory check before a client's plan: the planner's budget
    (:func:`forecast.simulation.check_memory`), and the worker's own memory limit."""
    from forecast.simulation import check_memory, estimate_memory

    check_memory(scenario, n_paths)
    limit = _worker_memory_limit()
    need = estimate_memory(scenario, n_paths)
    if limit is not None and need > limit:
        raise PlannerError(
            f"this plan needs about {need / 2**20:,.0f} MiB ({n_paths:,} paths x "
            f"{scenario.horizon_months} months x {len(scenario.workloads):,} workloads), more "
            f"than the worker's memory limit of {limit / 2**20:,.0f} MiB: use --paths, or "
            "workers with more memory")


def refresh_client(entry: ClientEntry, options: RefreshOptions) -> dict[str, Any]:
    """Refresh one client: plan, decision, tracking, files. Never raises for the client's
    own problems: they become the row's ``error``.

    Returns
    -------
    dict
        The client's summary row (:data:`COLUMNS`, less ``change``), plain JSON values.
    """
    row: dict[str, Any] = {"client": entry.name, "status": "ok", "scenario": entry.scenario}
    failed = {"client": entry.name, "status": "failed", "scenario": entry.scenario}
    try:
        row |= _refresh(entry, options)
    except PlannerError as exc:
        row = failed | {"error": str(exc)}
    except MemoryError:
        row = failed | {"error": "out of memory: lower --paths or give the workers more memory"}
    except Exception as exc:  # a bug or the system, on this client only: the others go on
        row = failed | {"error": f"internal error: {type(exc).__name__}: {exc}"}
    return _complete(row)


def _complete(row: dict[str, Any]) -> dict[str, Any]:
    """Every column present (None where it does not apply), in :data:`COLUMNS` order."""
    out = {c: row.get(c) for c in COLUMNS}
    out["reasons"] = out["reasons"] or []
    out["files"] = out["files"] or []
    out["commitment_per_year"] = out["commitment_per_year"] or []
    if "tracking_warnings" in row:
        out["tracking_warnings"] = row["tracking_warnings"]
    return out


def _refresh(entry: ClientEntry, options: RefreshOptions) -> dict[str, Any]:
    from forecast.plan import build_plan
    from forecast.pricebook import bundled_price_book_ids, load_price_book
    from forecast.scenario_io import load_scenario

    scenario_path = Path(entry.scenario)
    scenario = load_scenario(scenario_path)
    book = load_price_book(scenario.price_book, scenario_path.parent)
    inputs = [entry.scenario, *entry.usage]
    if scenario.price_book not in bundled_price_book_ids():
        ref = Path(scenario.price_book)
        inputs.append(str(ref if ref.is_absolute() else scenario_path.parent / ref))
    seed = scenario.simulation.seed if options.seed is None \
        else client_seed(options.seed, entry.name)
    n_paths = scenario.simulation.paths if options.paths is None else options.paths
    check_client_memory(scenario, n_paths)
    out = Path(options.out_dir)
    if not out.is_dir():  # made by refresh_book before any task: this worker cannot see it
        import socket

        raise PlannerError(f"OUTDIR {out}: no such folder on the worker's machine "
                           f"({socket.gethostname()}); put OUTDIR on a folder every worker "
                           "sees at the same path (docs/portfolio.md)")

    tracking = None
    if entry.usage:  # before the plan: bad usage fails fast
        from forecast.tracking import read_usage_to_date, require_signed_contract, track
        from forecast.usage import read_usage_file

        require_signed_contract(scenario)
        sources = [(p, read_usage_file(p)) for p in entry.usage]
        history = read_usage_to_date(sources, scenario, scenario_path.parent)
        tracking = track(scenario, book, history, entry.as_of, n_paths, seed)
    plan = build_plan(scenario, book, paths=n_paths, seed=seed, sensitivity=False)

    folder = out / CLIENTS_FOLDER / entry.folder
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_output(folder / "plan.json", document_json(plan.to_dict()), inputs)]
    if tracking is not None:
        written.append(write_output(folder / "tracking.json",
                                    document_json(tracking.to_dict()), inputs))
    for audience in options.pdf:
        from forecast.report import render_pdf

        pdf = render_pdf(plan, audience=audience,
                         tracking=tracking if audience == Audience.INTERNAL else None)
        written.append(write_output(folder / f"{audience}.pdf", pdf, inputs, "the report"))
    if options.focus:
        from forecast.focus import focus_export, write_focus

        # A signed contract with contract.id is exported as signed; anything else (a plan,
        # a recommendation) as a plan, its identifiers marked planned (docs/focus.md).
        export = focus_export(scenario, book, n_paths, seed, planned=True)
        written += write_focus(export, folder / "focus", inputs)
    row = decision_summary(plan)
    if tracking is not None:
        row |= tracking_summary(tracking)
    row["seed"] = int(seed)
    row["paths"] = int(n_paths)
    row["files"] = sorted(Path(p).relative_to(out).as_posix() for p in written)
    return row
