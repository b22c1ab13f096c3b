"""``track()``: read usage to date, check the as-of month, and put the rooms together: matching,
levers against the plan, the conditioned forecast, the year figures and burn-down, warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forecast.cost import CornerCosts, corner_costs_by_month, interpolate, request_cost
from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.pricebook import PriceBook
from forecast.scenario import Scenario
from forecast.simulation import simulate_variants
from forecast.timeline import expected_volume
from forecast.tracking.conditioned import conditioned_scenario
from forecast.tracking.early_warnings import (
    _Context,
    _money_warnings,
    _usage_warnings,
    _workload_warnings,
)
from forecast.tracking.levers import (
    Observed,
    _checks,
    _observed_levers,
    _planned_levers,
    _workload_status,
)
from forecast.tracking.matching import _match_fields, _seen_values, match_usage
from forecast.tracking.months import _index, _label, parse_month, require_signed_contract
from forecast.tracking.results import (
    LeverValues,
    Status,
    Tracking,
    TrackWarning,
    WarningKind,
    WorkloadTrack,
)
from forecast.tracking.years import burn_down, year_figures
from forecast.types import FloatArray, Lever
from forecast.usage.months import (
    AVERAGE_MONTH_DAYS,
    days_in_month,
    provisional_months,
)

if TYPE_CHECKING:
    from forecast.usage import PricedHistory


# --------------------------------------------------------------------------- track
def read_usage_to_date(sources: Sequence[tuple[str, bytes | str]], scenario: Scenario,
                       base_dir: Any = None) -> PricedHistory:
    """Read, merge and price usage files at the scenario's price book (every line at the
    entry in force on its day)."""
    from pathlib import Path

    from forecast.pricebook import bundled_price_book_ids
    from forecast.usage import price_history
    from forecast.usage.importer import name_the_files

    ref = scenario.price_book
    if ref not in bundled_price_book_ids() and base_dir is not None \
            and not Path(ref).is_absolute():
        ref = str(Path(base_dir) / ref)
    try:
        return price_history(sources, ref)
    except PlannerError as exc:
        from forecast.errors import ImportUsageError

        if isinstance(exc, ImportUsageError):
            raise name_the_files(exc, [n for n, _ in sources]) from None
        raise


def _coverage(history: PricedHistory, start: str, end: str, as_of: str | None
              ) -> tuple[str, list[str]]:
    """The as-of month (checked, or the last full month) and notes on partial months."""
    from forecast.usage.months import month_coverage

    labels, share = month_coverage(history.spans)
    cover = dict(zip(labels, share.tolist(), strict=True))
    full = [m for m in labels if cover[m] >= 1 - 1e-9]
    span = f"{labels[0]} to {labels[-1]}"
    if labels[-1] < start:
        raise PlannerError(f"the usage covers {span}, all before the contract start {start} "
                           "(the scenario's start); give usage from the contract's first "
                           "month on")
    if as_of is None:
        inside = [m for m in full if start <= m <= end]
        if not inside:
            raise PlannerError(f"the usage covers {span}: no full month of the contract "
                               f"({start} to {end}) yet; track from the end of the first "
                               "full month")
        as_of = inside[-1]
    else:
        as_of = parse_month(as_of)
        if as_of < start:
            raise PlannerError(f"--as-of: {as_of} is before the contract start {start} "
                               "(the scenario's start); give a month of the contract")
        if as_of > end:
            raise PlannerError(f"--as-of: {as_of} is past the contract's end ({end}); give "
                               f"a month of the contract, {start} to {end}")
        if cover.get(as_of, 0.0) < 1 - 1e-9:
            last = max(full) if full else None
            hint = f"; the last full month is {last}" if last else ""
            raise PlannerError(f"--as-of: the usage does not cover {as_of} in full (it "
                               f"covers {span}{hint}); give a month the files cover end to "
                               "end")
    months = [_label(start, k) for k in range(_index(start, as_of))]
    missing = [m for m in months if cover.get(m, 0.0) <= 0]
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise PlannerError(f"the usage covers {span} but not {shown}: usage to date must "
                           f"cover every month from the contract start {start} to the as-of "
                           f"month {as_of}; add the missing export or page")
    notes = [f"{m} is {pct(cover[m])} covered by the files: its consumption counts what they "
             "hold" for m in months if cover[m] < 1 - 1e-9]
    return as_of, notes


def track(scenario: Scenario, book: PriceBook, history: PricedHistory,
          as_of: str | None = None, paths: int | None = None, seed: int | None = None
          ) -> Tracking:
    """Track the scenario's signed contract against usage to date.

    Parameters
    ----------
    scenario : Scenario
        With ``contract.commitments`` (the signed contract, from ``start``) and each
        workload's ``usage_match``.
    history : PricedHistory
        Usage to date (:func:`read_usage_to_date`).
    as_of : str, optional
        The last month of actuals (``YYYY-MM``); default: the last month the files cover in
        full within the contract.
    paths, seed : int, optional
        Paths and seed of the re-simulation (default: the scenario's).

    Raises
    ------
    PlannerError
        No signed contract (``contract.commitments``), an as-of month outside the contract
        or not covered, usage that misses a month or lies wholly before the start, no
        ``usage_match``, or no line matching any workload.
    """
    per_year = require_signed_contract(scenario)
    contract = scenario.contract
    n_years = contract.years
    term = 12 * n_years
    start, end = scenario.start, _label(scenario.start, term - 1)
    as_of, notes = _coverage(history, start, end, as_of)
    t_a = _index(start, as_of)
    warnings: list[TrackWarning] = []

    scope = _scope(history, start, as_of, notes)
    matches = match_usage(scenario, book, scope)
    names = [w.name for w in scenario.workloads]
    if not (matches.count > 0).any():
        raise PlannerError(f"no usage line matches any workload's usage_match "
                           f"({_seen_values(scope, _match_fields(scenario))}); give each "
                           "workload the workspace, API key, model or product its usage "
                           "carries")
    month_index = scope["month"].map({m: _index(start, m) for m in scope["month"].unique()}
                                     ).to_numpy(dtype=np.int64)
    observed_list = np.bincount(month_index - 1, weights=scope["list_cost"].to_numpy(),
                                minlength=t_a)[:t_a]

    owned = matches.owner >= 0
    levers = _observed_levers(scope[owned], month_index[owned], matches.owner[owned], book)
    by_month: dict[int, dict[int, Observed]] = {}
    for (m, i), obs in levers.items():
        by_month.setdefault(m, {})[i] = obs
    now = by_month.get(t_a, {})

    tracks, reverted, plan_spend = _workload_tracks(scenario, book, t_a, by_month)

    # --- the forecast conditioned on the actuals
    n_paths = scenario.simulation.paths if paths is None else paths
    seed = scenario.simulation.seed if seed is None else seed
    if n_paths < 1:
        raise PlannerError(f"--paths: is {n_paths}; simulate at least 1 path")
    unattributed_now = float(scope.loc[~owned & (month_index == t_a),
                                       "list_cost_latest"].sum())
    monthly, monthly_frozen = _conditioned_monthly(scenario, book, t_a, now, reverted,
                                                   unattributed_now, observed_list, n_paths,
                                                   seed)
    figures = year_figures(contract, per_year, monthly, monthly_frozen, observed_list, t_a,
                           start)
    burn = burn_down(figures.discount, monthly, per_year, t_a, start)

    # --- warnings
    observed_total = float(scope.loc[month_index == t_a, "list_cost_latest"].sum())
    plan_total = float(plan_spend.sum())
    above = observed_total / plan_total - 1.0 if plan_total > 0 else None
    unattributed = float(scope.loc[~owned, "list_cost"].sum())
    context = _Context(scenario, book, as_of, t_a, figures.years, tuple(tracks),
                       figures.outcome, figures.list_years, figures.consumed,
                       figures.consumed_frozen, per_year, above, observed_total, plan_total)
    warnings += _money_warnings(context)
    warnings += _workload_warnings(context)
    warnings += _usage_warnings(scenario, scope, matches, names, unattributed,
                                float(scope["list_cost"].sum()), tracks, t_a)
    warnings += [TrackWarning(WarningKind.DATA, note) for note in notes]
    return Tracking(
        scenario_name=scenario.name, start=start, as_of=as_of, years=tuple(figures.years),
        workloads=tuple(tracks), warnings=tuple(warnings), burn_down=burn, n_paths=n_paths,
        seed=int(seed), price_book=book.id, overage=contract.overage,
        unattributed_list=unattributed, usage_above_plan=above, notes=tuple(notes))


def _scope(history: PricedHistory, start: str, as_of: str, notes: list[str]
           ) -> pd.DataFrame:
    """The usage lines from the contract start to the end of the as-of month; what is left
    out, and months that may still change, added to ``notes``."""
    lines = history.lines
    before = lines["month"] < start
    after = lines["month"] > as_of
    if before.any():
        notes.append(f"{int(before.sum())} usage lines before the contract start {start} "
                     f"({usd(float(lines.loc[before, 'list_cost'].sum()), 2)} at list) are not "
                     "part of the contract: left out")
    if after.any():
        notes.append(f"{int(after.sum())} usage lines after the as-of month {as_of} are left "
                     "out")
    scope = lines[~before & ~after].reset_index(drop=True)
    provisional = sorted(provisional_months(sorted(scope["month"].unique()), history.watermark))
    if provisional:
        notes.append(f"{', '.join(provisional)} may still change: the analytics report's data "
                     "is final about 30 days after the usage date")
    return scope


def _workload_tracks(scenario: Scenario, book: PriceBook, t_a: int,
                     by_month: dict[int, dict[int, Observed]]
                     ) -> tuple[list[WorkloadTrack], dict[int, set[Lever]], FloatArray]:
    """Each workload against the plan of the as-of month, as written: its expected volume
    at the levers the plan has in place that month (no realization, slip or cut).

    Returns the tracks, the levers observed walked back per workload index, and the plan's
    list spend per workload in the as-of month, shape (W,).
    """
    start = scenario.start
    term = 12 * scenario.contract.years
    as_of = _label(start, t_a - 1)
    days_a = days_in_month(as_of)
    now = by_month.get(t_a, {})
    corners = corner_costs_by_month(scenario, book)[0]
    if corners.by_month:  # a model retires inside the horizon: the as-of month's models
        corners = CornerCosts(corners.values[t_a - 1])
    in_place = np.array([_planned_levers(w, t_a)[3] for w in scenario.workloads])
    unit_plans = interpolate(corners, in_place, in_place, in_place)  # (W,) per volume unit
    plan_spend = expected_volume(scenario)[t_a - 1] * unit_plans * days_a / AVERAGE_MONTH_DAYS
    tracks: list[WorkloadTrack] = []
    reverted: dict[int, set[Lever]] = {}
    for i, w in enumerate(scenario.workloads):
        b_plan, h_plan, mix_plan, _ = _planned_levers(w, t_a)
        planned = LeverValues(b_plan, h_plan, {m: s for m, s in mix_plan.items() if s > 0},
                              float(plan_spend[i]))
        done = min(term, w.lands_month + max(w.ramp_months, 1) - 1)
        obs = now.get(i)
        if obs is None:
            tracks.append(WorkloadTrack(w.name, as_of, planned, None, Status.NOT_OBSERVED, (),
                                        0.0, _label(start, done - 1)))
            continue
        earlier = [(m, by_month[m][i]) for m in range(1, t_a) if i in by_month.get(m, {})]
        checks = _checks(book, w, t_a, obs, earlier)
        reverted[i] = {c.lever for c in checks if c.status == Status.REVERTED}
        unit_obs = request_cost(book, w.token_counts, obs.lever_set(b_plan),
                                long_prompt_share=w.long_prompt_share,
                                us_inference_share=w.us_inference_share)
        extra = obs.list_latest * (1.0 - unit_plans[i] / unit_obs) if unit_obs > 0 else 0.0
        tracks.append(WorkloadTrack(
            w.name, as_of, planned,
            LeverValues(obs.batch_share, obs.cache_hit_rate, dict(obs.models), obs.list_latest),
            _workload_status(checks), checks, float(extra), _label(start, done - 1)))
    return tracks, reverted, plan_spend


def _conditioned_monthly(scenario: Scenario, book: PriceBook, t_a: int,
                         now: dict[int, Observed], reverted: dict[int, set[Lever]],
                         unattributed_now: float, observed_list: FloatArray, n_paths: int,
                         seed: int) -> tuple[FloatArray, FloatArray]:
    """List spend per contract month on every path, shape (n_paths, term): the observed
    months, then the forecast conditioned on them (with the plan's remaining moves, and
    with every lever frozen as observed). Usage attributed to no workload, and workloads
    the forecast could not anchor, are carried flat at the as-of month's daily level."""
    as_of = _label(scenario.start, t_a - 1)
    days_a = days_in_month(as_of)
    cond = conditioned_scenario(scenario, book, t_a, now, reverted)
    not_anchored = sum(o.list_latest for i, o in now.items() if i not in cond.anchored)
    flat_per_day = (unattributed_now + not_anchored) / days_a
    n_fc = cond.months - 1
    fc_labels = [_label(as_of, k) for k in range(1, cond.months)]
    fc_days = np.array([days_in_month(m) for m in fc_labels], dtype=float)
    if cond.scenario is not None and n_fc > 0:
        assert cond.frozen is not None
        plan_sim, frozen_sim = simulate_variants([cond.scenario, cond.frozen], book, n_paths,
                                                 seed)
        scale = fc_days / AVERAGE_MONTH_DAYS
        forecast = plan_sim.optimized[:, 1:cond.months] * scale + flat_per_day * fc_days
        frozen = frozen_sim.optimized[:, 1:cond.months] * scale + flat_per_day * fc_days
    else:
        forecast = np.broadcast_to(flat_per_day * fc_days, (n_paths, n_fc))
        frozen = forecast
    monthly = np.concatenate([np.broadcast_to(observed_list, (n_paths, t_a)), forecast], axis=1)
    monthly_frozen = np.concatenate([np.broadcast_to(observed_list, (n_paths, t_a)), frozen],
                                    axis=1)
    return monthly, monthly_frozen


def track_usage(scenario: Scenario, book: PriceBook,
                sources: Sequence[tuple[str, bytes | str]], as_of: str | None = None,
                paths: int | None = None, seed: int | None = None, base_dir: Any = None
                ) -> Tracking:
    """:func:`track` from usage files as (name, content) pairs (an app's uploads)."""
    require_signed_contract(scenario)
    return track(scenario, book, read_usage_to_date(sources, scenario, base_dir), as_of,
                 paths, seed)
