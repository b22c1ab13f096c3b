"""The page's expensive calls, cached per scenario, keyed on its JSON.

The plan and its simulation are kept with ``st.cache_resource``, not ``st.cache_data``: a plan
of the enterprise example at 10,000 paths pickles to 16 MB, and copying it in and out of the
cache cost 0.05 s of every lever change (measured). They are frozen and the page never
changes them, so every session can share one copy.

- :func:`plan_for_json`: the plan without the tornado or the negotiation position: what the
  headline needs, drawn first.
- :func:`position_for`: the same plan with the buyer's negotiation position
  (``forecast.negotiation``), worked out on its simulation and recommendation once the
  headline is on screen: each offer under terms without a closed form (rollover, a credit)
  is re-optimized, which can take longer than the headline itself.
- :func:`simulation_for`: the simulation under it, keyed on the scenario *as the simulation
  reads it* (:func:`simulation_key`), so that a change to the contract's terms alone (tiers,
  commitment, appetite, overage) reuses it and only re-prices the contract.
- :func:`fan_spec`: the fan chart's Vega-Lite spec (building and validating it through
  Altair costs a tenth of a second; a rerun that did not change the plan reuses it).
- :func:`tornado_for`: the sensitivity tornado (13 re-simulations), on request only.
- :func:`plan_ahead`: the plan (and position) of the setting an advisor is likely to ask for
  next, worked out in the background while the answer is read (one at a time).
- :func:`tracking_for`: the signed contract tracked against usage to date (the Tracking
  tab), keyed on the scenario and a hash of the files (:func:`files_key`): the files
  themselves are read only when it is not cached. A ``Tracking`` pickles to a few KB, so
  ``st.cache_data`` keeps it.
- :func:`focus_files`: the FOCUS export's two CSVs and their zip, built on a download's
  click (on the download's own thread: a plain ``functools`` cache, no Streamlit call).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import logging
import threading
import zipfile
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import streamlit as st

from forecast import (
    Plan,
    Scenario,
    SensitivityRow,
    Simulation,
    build_plan,
    charts,
    decide,
    negotiate,
    scenario_price_book,
    simulate,
    tornado,
)
from forecast.plan import TIMING_PATHS, repackage
from forecast.sensitivity import SENSITIVITY_PATHS
from forecast.types import CommitmentKind

if TYPE_CHECKING:
    from forecast import Tracking
    from ui.workspace import UsageFile

#: Contract terms the simulation does not read: when only these change, it is reused. Any
#: other contract field (``years``, or one added later) is part of the simulation's key.
TERMS_OUTSIDE_SIMULATION = ("commitments", "discount_tiers", "overage", "rollover",
                            "risk_appetite", "stranded_thresholds")


def simulation_key(scenario: Scenario) -> str:
    """The scenario as the simulation reads it: without its name, description, offers and
    the contract terms it does not read."""
    data = scenario.model_dump(mode="json", exclude={"name", "description", "offers"})
    for term in TERMS_OUTSIDE_SIMULATION:
        data["contract"].pop(term, None)
    return json.dumps(data, sort_keys=True)


@st.cache_resource(max_entries=6, show_spinner=False)
def simulation_for(key: str, paths: int, seed: int, _scenario: Scenario) -> Simulation:
    """The simulation of a scenario, cached on :func:`simulation_key` (``_scenario``, the
    scenario the key was made from, is not part of the key)."""
    return simulate(_scenario, scenario_price_book(_scenario), n_paths=paths, seed=seed)


@st.cache_resource(max_entries=3, show_spinner=False)
def longer_simulation_for(key: str, months: int, paths: int, seed: int, _scenario: Scenario
                          ) -> Simulation:
    """The scenario simulated over ``months`` (when to sign needs a window longer than the
    horizon), cached on :func:`simulation_key` like the plan's own simulation."""
    longer = _scenario.model_copy(update={"horizon_months": months})
    return simulate(longer, scenario_price_book(_scenario), n_paths=min(paths, TIMING_PATHS),
                    seed=seed)


def _extend(scenario: Scenario, paths: int, seed: int) -> Callable[[int], Simulation]:
    key = simulation_key(scenario)
    return lambda months: longer_simulation_for(key, months, paths, seed, scenario)


@st.cache_resource(max_entries=12, show_spinner=False)
def plan_for_json(scenario_json: str, paths: int, seed: int) -> Plan:
    """The plan of one scenario without the tornado, nor the negotiation position (the
    headline does not wait for it unless offers are on the table: :func:`position_for`)."""
    scenario = Scenario.model_validate_json(scenario_json)
    simulation = simulation_for(simulation_key(scenario), paths, seed, scenario)
    return build_plan(scenario, scenario_price_book(scenario), paths=paths, seed=seed,
                      sensitivity=False, simulation=simulation, negotiation=False,
                      extend=_extend(scenario, paths, seed))


def with_position(plan: Plan, asks_for: Sequence[str] = ()) -> Plan:
    """``plan`` with the buyer's position, as ``build_plan(..., negotiation=True)`` makes it,
    on the plan's own simulation, yearly usage and recommendation (nothing re-simulated or
    re-swept), and the decision taken again with the offers (the longer simulation of when
    to sign reused); ``asks_for`` names offers whose asks to value besides the best one's."""
    named = [c.per_year for c in plan.named if c.kind == CommitmentKind.NAMED]
    position = negotiate(plan.scenario, plan.usage, plan.recommendation, plan.simulation,
                         named, list(asks_for))
    prior = plan.decision.timing.simulation if plan.decision is not None \
        and plan.decision.timing is not None else None
    decision = decide(plan.scenario, plan.usage, plan.recommendation, position,
                      plan.simulation, prior=prior)
    position = repackage(position, decision, plan.scenario, plan.usage, plan.simulation,
                         plan.recommendation.appetite, list(asks_for))
    return dataclasses.replace(plan, position=position, decision=decision)


@st.cache_resource(max_entries=12, show_spinner=False)
def position_for(scenario_json: str, paths: int, seed: int, asks_for: tuple[str, ...] = ()
                 ) -> Plan:
    """The plan of :func:`plan_for_json` with the negotiation position
    (:func:`with_position`)."""
    return with_position(plan_for_json(scenario_json, paths, seed), asks_for)


def pdf_plan(plan: Plan, sensitivity: list[SensitivityRow]) -> Plan:
    """The plan as the PDF reports it: with the negotiation position (the one given, else
    worked out on the same simulation) and the tornado (no Streamlit call: it runs on the
    download's thread)."""
    full = plan if plan.position is not None else with_position(plan)
    return dataclasses.replace(full, sensitivity=sensitivity)


@st.cache_data(max_entries=12, show_spinner=False)
def fan_spec(scenario_json: str, paths: int, seed: int, per_year: tuple[float, ...]
             ) -> dict[str, Any]:
    """The fan chart with the commitment ``per_year`` drawn, at its container's size."""
    plan = plan_for_json(scenario_json, paths, seed)
    chart = charts.fan_chart(plan, commitment=list(per_year), width="container",
                             height="container")
    return chart.to_dict()


@st.cache_data(max_entries=8, show_spinner=False)
def tornado_for(scenario_json: str, paths: int, seed: int, anchor: float
                ) -> list[SensitivityRow]:
    """The sensitivity tornado, centred on the headline risk-bounded commitment
    (``anchor``)."""
    scenario = Scenario.model_validate_json(scenario_json)
    return tornado(scenario, scenario_price_book(scenario),
                   paths=min(SENSITIVITY_PATHS, paths), seed=seed, anchor=anchor)


_ahead = threading.Lock()
log = logging.getLogger(__name__)


def plan_ahead(scenario_json: str, paths: int, seed: int) -> bool:
    """Work out a plan in a background thread, into the cache, so that asking for it next is
    instant; nothing is started while an earlier one still runs (a server's spare core, not
    a queue). Only on a running server (not in a test's AppTest).

    Returns whether it was started. A failure is logged, never shown: the page computes the
    plan itself when it is asked for.
    """
    if not st.runtime.exists() or not _ahead.acquire(blocking=False):
        return False

    def work() -> None:
        try:
            position_for(scenario_json, paths, seed)
        except Exception:  # the page's own call reports it, if it is ever made
            log.exception("plan worked out ahead")
        finally:
            _ahead.release()

    threading.Thread(target=work, name="commitplan-ahead", daemon=True).start()
    return True


def files_key(files: Sequence[UsageFile]) -> str:
    """A hash of a set of usage files: each one's name and content digest, in order."""
    text = "\n".join(f"{f.name}\t{f.digest}" for f in files)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@st.cache_data(max_entries=16, show_spinner=False)
def tracking_for(scenario_json: str, usage_key: str, as_of: str | None, paths: int, seed: int,
                 _sources: Callable[[], list[tuple[str, bytes]]]) -> Tracking:
    """``forecast.tracking.track_usage`` of the scenario against the usage files hashed in
    ``usage_key`` (``_sources`` reads them, and is not part of the key), at ``paths`` and
    ``seed``. ``as_of`` None: the last full month the files cover.

    Raises
    ------
    forecast.errors.PlannerError
        The tracker's message (not cached: asked again, it is raised again).
    """
    from forecast import track_usage

    scenario = Scenario.model_validate_json(scenario_json)
    return track_usage(scenario, scenario_price_book(scenario), _sources(), as_of=as_of,
                       paths=paths, seed=seed)


@functools.lru_cache(maxsize=4)
def focus_files(scenario_json: str, paths: int, seed: int) -> dict[str, bytes]:
    """``forecast.focus.focus_export(...).files()`` and ``focus.zip`` holding both (file name
    to bytes)."""
    from forecast import focus_export

    scenario = Scenario.model_validate_json(scenario_json)
    # The page offers the export for a signed contract; without contract.id it is marked
    # as a plan (identifiers planned-...) rather than refused.
    files = focus_export(scenario, scenario_price_book(scenario), paths=paths, seed=seed,
                         planned=not scenario.contract.id).files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return {**files, "focus.zip": buffer.getvalue()}
