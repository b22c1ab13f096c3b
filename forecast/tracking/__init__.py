"""After signing: the commitment tracked against usage to date (docs/model.md, "Tracking
the commitment").

A signed contract is the scenario's ``contract.commitments`` from its ``start``. Given usage
to date (any format :func:`forecast.usage.price_history` reads), :func:`track` reports:

- per contract year: committed; consumed to date at the discounted rate (the list cost of
  every usage line dated in the year, up to the end of the as-of month, times 1 - d); the
  consumption expected at year end conditioned on the actuals, its P10 and P90, the
  probability of a shortfall and the expected unused commitment;
- per workload: the levers observed in the as-of month (the last full month) against the
  plan's values for that month, and a :class:`Status`;
- early warnings that name what to do (:class:`TrackWarning`).

**Which usage is whose.** A usage line belongs to the workload whose ``usage_match`` it
matches (:func:`match_usage`). A line that matches no workload, or more than one, is counted
in the consumption (the commitment draws on every line) but attributed to none: it is
carried flat into the forecast at its as-of month's daily level, and reported.

**The forecast conditioned on the actuals.** The scenario is re-simulated from the as-of
month (:func:`conditioned_scenario`): each workload that runs starts at its observed list
spend and its observed levers, with the scenario's growth and uncertainty; what the plan
still has to land (the rest of each lever's move towards the target) lands on the plan's
dates, or from the next month when that date has passed, with the scenario's slip,
realization and walk-back. A move observed as walked back stays walked back. Months are
calendar months: the simulation's month is an average month, scaled by each month's days.
With no spread left (no volatility, realization sd, slip, walk-back, growth error, cuts)
every path is the same and the year-end figure is exact.

**Status of a workload** (in the as-of month, lever by lever, against the plan as written:
``current + f(t) (target - current)``, f the ramp fraction of that month, no realization or
slip): a lever is *on plan* within :data:`LEVER_TOLERANCE` (5 points of batch share or hit
rate; for the model mix, a total-variation distance of 5 points); outside it, *behind* when
it costs more than the plan's value (a lower batch share or hit rate; a model mix whose list
price is higher) and *ahead* when it costs less. A lever behind now that was not behind in
an earlier month after its move began is *reverted* (walked back). The workload is reverted
when any lever is, else behind when any lever is, else ahead when any lever is, else on
plan; *not observed* when no usage matched it in the as-of month. A lever the files cannot
show (the batch share of usage without a service tier, as the analytics report gives) is
taken at the plan's value and not judged.
"""

from forecast.tracking.conditioned import Conditioned, conditioned_scenario
from forecast.tracking.early_warnings import OVERAGE_SHARE, PLAN_TOLERANCE
from forecast.tracking.levers import LEVER_TOLERANCE, Observed
from forecast.tracking.matching import MATCH_FIELDS, UsageMatches, match_usage
from forecast.tracking.months import has_signed_contract, parse_month, require_signed_contract
from forecast.tracking.results import (
    LeverCheck,
    LeverValues,
    Status,
    Tracking,
    TrackWarning,
    WarningKind,
    WorkloadTrack,
    YearTrack,
    mix_text,
)
from forecast.tracking.track import read_usage_to_date, track, track_usage
from forecast.tracking.years import YearFigures, burn_down, year_figures

__all__ = [
    "LEVER_TOLERANCE", "MATCH_FIELDS", "OVERAGE_SHARE", "PLAN_TOLERANCE", "Conditioned",
    "LeverCheck", "LeverValues", "Observed", "Status", "TrackWarning", "Tracking",
    "UsageMatches", "WarningKind", "WorkloadTrack", "YearFigures", "YearTrack", "burn_down",
    "conditioned_scenario", "has_signed_contract", "match_usage", "mix_text", "parse_month",
    "read_usage_to_date", "require_signed_contract", "track", "track_usage", "year_figures",
]
