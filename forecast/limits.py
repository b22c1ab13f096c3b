"""Bounds on what a user may type: past them a value is surely a typo (or a percentage
typed where a fraction belongs), and the planner refuses it with a message saying why.

One table read by the scenario schema, the command line (``--commit``) and docs/scenario.md
(the bounds section lists the same figures). The bounds also keep every simulated cell
finite: a workload's expected list spend is capped (:data:`MAX_MONTHLY_SPEND`), and the
volatilities cannot push a path further than a factor of about ``exp(20)`` above it, far
below the float32 range of the simulation's buffers (3.4e38).
"""

from __future__ import annotations

#: Requests a month of one workload: 100 billion (about 40,000 a second, all month).
MAX_REQUESTS_PER_MONTH = 1e11
#: Tokens per request in one class: ten times the largest context window (1M tokens).
MAX_TOKENS_PER_REQUEST = 1e7
#: Tokens a month in one class (``monthly_tokens``): a quadrillion.
MAX_MONTHLY_TOKENS = 1e15
#: A yearly commitment or tier minimum: $100 billion.
MAX_ANNUAL_COMMIT = 1e11
#: A workload's expected list spend in any month, checked against the price book:
#: $100 billion.
MAX_MONTHLY_SPEND = 1e11

#: Expected month-over-month volume growth: -50% to +100% (a launch doubling every month;
#: kept up for long it meets :data:`MAX_MONTHLY_SPEND`).
GROWTH_RANGE = (-0.5, 1.0)
#: Monthly volatility of the log volume change (workload and shared): at most 1. A fit on a
#: short, bursty history can pass 0.5; the drift correction -s^2/2 keeps even s = 1 from
#: pushing a path far above its expectation.
MAX_VOLATILITY = 1.0
#: Standard error of a fitted monthly growth rate: at most 0.1. Each path draws its growth
#: from it, which raises the mean volume by exp(sd^2 n^2 / 2) after n months: 0.1 over 60
#: months is already a factor of 3.6e7 (the importer caps what it writes, and says so).
MAX_GROWTH_SD = 0.1
#: Months a growth fit may say it used (``growth.fit_months``): 3 (the fewest fitted) to 600.
FIT_MONTHS_RANGE = (3, 600)
#: A path's drawn volatility is at most this multiple of the fitted one (the scaled inverse
#: chi-square of a fit on 3 or 4 months has so heavy a tail that, uncapped, the expected
#: volume would be infinite; docs/model.md, "Forecasting from history").
MAX_FIT_FACTOR = 2.5
#: Monthly drift of tokens per request: -20% to +20% (1.2^12 = 9x a year).
TOKEN_DRIFT_RANGE = (-0.2, 0.2)
#: Monthly volatility of tokens per request: at most 0.2.
MAX_TOKEN_DRIFT_VOLATILITY = 0.2
#: Mean months a migration lands late: at most 24.
MAX_SLIP_MONTHS = 24.0
#: A Beta's sd below this is read as 0 (no spread): a spread of 0.01% is none, and a tiny
#: positive sd would give the Beta parameters of order 1/sd^2.
MIN_BETA_SD = 1e-4
#: Acceptable latency of a gray workload: at most a year of minutes.
MAX_LATENCY_MINUTES = 525_600.0
#: Month numbers: a workload may end at most 100 years out, a ramp last at most 10 years.
MAX_ENDS_MONTH = 1200
MAX_RAMP_MONTHS = 120
#: Months of a horizon (the schema's own bound), so a start or landing month past it is
#: refused before the horizon is known.
MAX_HORIZON_MONTHS = 60
#: Months of usage history a scenario may carry (ten years).
MAX_HISTORY_MONTHS = 120
#: Random seeds: a signed 64-bit integer, so every JSON reader keeps it exact.
MAX_SEED = 2**63 - 1
#: Values one ``usage_match`` field of a workload may list (workspaces, API keys, ...).
MAX_MATCH_VALUES = 1000
#: Contract start years.
START_YEARS = (2000, 2099)
#: Nesting of a scenario file (a scenario is 5 levels deep).
MAX_NESTING = 32
#: Values in a scenario once YAML aliases are expanded (a 1,000-workload scenario has
#: about 40,000).
MAX_VALUES = 1_000_000


def percent_hint(value: float, low: float, high: float) -> str | None:
    """``"write 0.03 for 3%"`` when ``value`` reads as a percentage of a fraction in
    ``[low, high]``, else None."""
    if abs(value) >= 1 and abs(value) <= 100 and low <= value / 100 <= high:
        return f"write {value / 100:g} for {value:g}%"
    return None
