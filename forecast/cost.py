"""Cost of one workload-month at list price (docs/model.md, "Cost of one workload-month").

For a workload with per-request tokens P (cacheable prefix), U (rest of input), O (output),
model shares s_m, tokenizer factor k_m, batch share b, cache hit rate h, write multiplier w
and read multiplier r_m::

    prefix/request at m = k_m * P * p_in[m] * (h * r_m + (1 - h) * w)    caching on
                        = k_m * P * p_in[m]                               caching off
    request cost at m   = prefix + k_m * (U * p_in[m] + O * p_out[m])
    month cost          = R * sum_m s_m * request_cost[m] * (1 - 0.5 * b) / 1e6

with batched traffic allowed its own hit rate. A workload's ``long_prompt_share`` of the
traffic pays the model's long-prompt band on every token, and its ``us_inference_share`` the
model's US multiplier::

    request cost at m   = (1 - l) * cost at base prices + l * cost at band prices
                          times (1 + u * (r_us[m] - 1))

Prices come from :meth:`forecast.pricebook.PriceBook.token_prices`. The three levers each
enter the cost linearly (shares, prefix multiplier, batch share), so the cost of a lever set
part-way between ``current`` and ``optimized`` is a *multilinear* function of the three ramp
fractions. :func:`corner_costs` evaluates the formula at the 8 corners (each lever at
current or optimized) and :func:`interpolate` evaluates any point in between, for arrays of
any leading shape: that is how the projection and the simulation share one cost model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from forecast.pricebook import InferenceGeo, PriceBook, TokenPrices
from forecast.scenario import LeverSet, Scenario, Tokens, Workload
from forecast.types import CacheTTL, FloatArray

MTOK = 1e6


def prefix_multiplier(book: PriceBook, model_id: str, ttl: CacheTTL, hit_rate: float) -> float:
    """Price of one prefix token in units of the model's input price.

    ``h * r + (1 - h) * w`` with caching on, 1 with caching off.
    """
    if ttl == CacheTTL.NONE:
        return 1.0
    p = book.token_prices(model_id)
    return (hit_rate * p.cache_read + (1.0 - hit_rate) * p.cache_write(ttl)) / p.uncached_input


def _tokenizer_scale(book: PriceBook, tokens: Tokens, model_id: str) -> float:
    """Token-count factor of ``model_id`` relative to the tokenizer that counted ``tokens``."""
    ref = 1.0 if tokens.counted_on is None else book.models[tokens.counted_on].tokenizer_factor
    return book.models[model_id].tokenizer_factor / ref


def _band_cost(p: TokenPrices, tokens: Tokens, caching: LeverSet, batch_share: float,
               batch_discount: float) -> float:
    """USD cost (times 1e6) of one request at one band's token prices, batch mix included."""
    rest = tokens.input * p.uncached_input + tokens.output * p.output
    if caching.cache_ttl == CacheTTL.NONE:
        prefix_rt = prefix_batch = tokens.cacheable_prefix * p.uncached_input
    else:
        write = p.cache_write(caching.cache_ttl)
        h, hb = caching.cache_hit_rate, caching.effective_batch_hit_rate
        prefix_rt = tokens.cacheable_prefix * (h * p.cache_read + (1.0 - h) * write)
        prefix_batch = tokens.cacheable_prefix * (hb * p.cache_read + (1.0 - hb) * write)
    real_time = (1.0 - batch_share) * (prefix_rt + rest)
    batched = batch_share * (1.0 - batch_discount) * (prefix_batch + rest)
    return real_time + batched


def request_cost(
    book: PriceBook,
    tokens: Tokens,
    routing: LeverSet,
    caching: LeverSet | None = None,
    batch: LeverSet | None = None,
    long_prompt_share: float = 0.0,
    us_inference_share: float = 0.0,
    runs_on: dict[str, str] | None = None,
) -> float:
    """List cost in USD of one request (or one month, for monthly token totals).

    The model shares come from ``routing``, the cache settings from ``caching`` and the
    batch share from ``batch`` (each defaults to ``routing``), so that one lever can be
    moved while the others stay put.

    ``long_prompt_share`` of the traffic pays each model's long-prompt band (on every token;
    models without a band ignore it) and ``us_inference_share`` runs US-only at the model's
    region multiplier (1 where the model does not offer it). Prices are the book's latest
    entries (:meth:`PriceBook.token_prices`). The cost is linear in each share, so the
    multilinear lever interpolation of :func:`interpolate` stays exact.

    ``runs_on`` maps a retired model to the model that serves its traffic (its successor):
    the traffic is priced and its tokens counted (tokenizer factor) on that model.
    """
    caching = routing if caching is None else caching
    batch = routing if batch is None else batch
    b = batch.batch_share
    total = 0.0
    for named, share in routing.models.items():
        if share == 0:
            continue
        model_id = named if runs_on is None else runs_on.get(named, named)
        k = _tokenizer_scale(book, tokens, model_id)
        cost = _band_cost(book.token_prices(model_id), tokens, caching, b, book.batch_discount)
        if long_prompt_share and book.has_long_prompt_band(model_id):
            band = _band_cost(book.token_prices(model_id, long_prompt=True), tokens, caching,
                              b, book.batch_discount)
            cost += long_prompt_share * (band - cost)
        us = book.region_multiplier(model_id, InferenceGeo.US)
        if us_inference_share and us is not None:
            cost *= 1.0 + us_inference_share * (us - 1.0)
        total += share * k * cost
    return total / MTOK


@dataclass(frozen=True)
class CornerCosts:
    """Cost per volume unit at the 8 corners of the lever cube.

    Attributes
    ----------
    values : ndarray of shape (n_workloads, 2, 2, 2) or (n_months, n_workloads, 2, 2, 2)
        ``values[..., w, i, j, k]``: USD per request (or per month-unit) of workload ``w``
        with routing at ``i``, caching at ``j`` and batch at ``k`` (0 = current, 1 =
        optimized); with a leading month axis when a model in use retires inside the
        horizon (:func:`corner_costs_by_month`).
    """

    values: FloatArray

    @property
    def current(self) -> FloatArray:
        """ndarray of shape (n_workloads,) or (n_months, n_workloads): cost per unit on the
        current path."""
        return self.values[..., 0, 0, 0]

    @property
    def optimized(self) -> FloatArray:
        """ndarray of shape (n_workloads,) or (n_months, n_workloads): cost per unit with
        every lever optimized."""
        return self.values[..., 1, 1, 1]

    @property
    def by_month(self) -> bool:
        """Whether the corners have a month axis (a model retires inside the horizon)."""
        return self.values.ndim == 5

    def at_start(self) -> CornerCosts:
        """The corners of the first month (the same corners when they have no month axis)."""
        return CornerCosts(self.values[0]) if self.by_month else self


def _corner_cost(book: PriceBook, w: Workload, i: int, j: int, k: int,
                 runs_on: dict[str, str] | None = None) -> float:
    """Cost at one corner, with the cache multiplier taken per model from the caching set.

    Routing decides which models run; for each of them the caching corner's settings give
    its prefix multiplier.
    """
    cur, tgt = w.current, w.target
    return request_cost(book, w.token_counts, (cur, tgt)[i], (cur, tgt)[j], (cur, tgt)[k],
                        w.long_prompt_share, w.us_inference_share, runs_on)


def corner_costs(scenario: Scenario, book: PriceBook,
                 runs_on: dict[str, str] | None = None) -> CornerCosts:
    """Evaluate the cost formula at the 8 lever corners of every workload (``runs_on``: the
    model that serves each retired model's traffic, see :func:`request_cost`)."""
    values = np.empty((len(scenario.workloads), 2, 2, 2))
    for n, w in enumerate(scenario.workloads):
        for i in (0, 1):
            for j in (0, 1):
                for k in (0, 1):
                    values[n, i, j, k] = _corner_cost(book, w, i, j, k, runs_on)
    return CornerCosts(values)


# --------------------------------------------------------------------------- retirements
@dataclass(frozen=True)
class Retirement:
    """A model in use that retires: its traffic moves to its successor from ``month``.

    Attributes
    ----------
    workload : int
        Index of the workload in the scenario.
    model, successor : str
        The retiring model and the one that serves its traffic from ``month`` on.
    retires : datetime.date
        The retirement day.
    month : str
        ``YYYY-MM``: the first calendar month that begins on or after the retirement day
        (the scenario's first month when that is earlier).
    before, after : float
        Cost per volume unit on the current path in the month before the move and from it
        (the first month's cost on both when the model retired before the horizon).
    """

    workload: int
    workload_name: str
    model: str
    successor: str
    retires: dt.date
    month: str
    before: float
    after: float

    @property
    def change(self) -> float:
        """Relative change of the current path's unit cost, ``after / before - 1``."""
        return self.after / self.before - 1.0 if self.before else 0.0

    def message(self) -> str:
        """The warning every face shows."""
        return (f"workloads[{self.workload}] {self.workload_name!r} uses {self.model}, "
                f"which retires on {self.retires}: priced on its successor {self.successor} "
                f"from {self.month} (tokens counted by its tokenizer); its cost per unit on "
                f"today's levers goes from {self.before:.6g} to {self.after:.6g} "
                f"({self.change:+.1%})")


def _month_start(label: str) -> dt.date:
    year, month = (int(p) for p in label.split("-"))
    return dt.date(year, month, 1)


def _runs_on(scenario: Scenario, book: PriceBook, label: str) -> dict[str, str]:
    """Each model in use mapped to the model that serves it in month ``label`` (only the
    models that have moved)."""
    day = _month_start(label)
    used = {m for w in scenario.workloads for lv in (w.current, w.target) for m in lv.models}
    moved = {m: book.successor_on(m, day) for m in sorted(used)}
    return {m: s for m, s in moved.items() if s != m}


def corner_costs_by_month(scenario: Scenario, book: PriceBook
                          ) -> tuple[CornerCosts, list[Retirement]]:
    """Corner costs with the book's retirements applied, and the moves made.

    A workload on a model that retires is priced on its successor from the first calendar
    month that begins on or after the retirement day (docs/model.md, "Retirements"). When no
    model in use moves inside the horizon the corners have no month axis; when every move
    happened before the first month they are the first month's.

    Returns
    -------
    (CornerCosts, list of Retirement)
        Corners of shape (n_workloads, 2, 2, 2), or (n_months, n_workloads, 2, 2, 2) when a
        move falls inside the horizon; one :class:`Retirement` per workload and model moved.
    """
    from forecast.timeline import month_labels

    labels = month_labels(scenario)
    maps = [_runs_on(scenario, book, label) for label in labels]
    if not any(maps):
        return corner_costs(scenario, book), []
    regimes: dict[tuple, CornerCosts] = {}
    for m in maps:
        key = tuple(sorted(m.items()))
        if key not in regimes:
            regimes[key] = corner_costs(scenario, book, m)
    keys = [tuple(sorted(m.items())) for m in maps]
    if len(regimes) == 1:
        corners = regimes[keys[0]]
    else:
        corners = CornerCosts(np.stack([regimes[k].values for k in keys]))
    moves = []
    original = corner_costs(scenario, book)
    for i, w in enumerate(scenario.workloads):
        used = {m for lv in (w.current, w.target) for m, s in lv.models.items() if s > 0}
        for model in sorted(used):
            first = next((t for t, m in enumerate(maps) if model in m), None)
            if first is None:
                continue
            before = (original if first == 0 else regimes[keys[first - 1]]).current[i]
            after = regimes[keys[first]].current[i]
            retires, _ = book.retirement(model) or (None, None)
            moves.append(Retirement(i, w.name, model, maps[first][model], retires,
                                    labels[first], float(before), float(after)))
    return corners, moves


def interpolate(
    corners: CornerCosts,
    routing: FloatArray | float,
    caching: FloatArray | float,
    batch: FloatArray | float,
) -> FloatArray:
    """Cost per volume unit with each lever a fraction of the way to its target.

    Exact, not an approximation: each lever enters the cost formula linearly. For caching
    it is the prefix price multiplier that ramps: with one TTL on both paths that is the same
    as ramping the hit rate; when caching is being switched on, it reads as a growing share of
    the prefix traffic moved onto the target settings, so no month is billed for writes at a
    zero hit rate.

    Parameters
    ----------
    corners : CornerCosts
        From :func:`corner_costs`, for W workloads.
    routing, caching, batch : float or ndarray of shape (..., W)
        Fraction of each lever's planned change in place (0 = current, 1 = optimized).

    Returns
    -------
    ndarray of shape (..., W)
    """
    c = corners.values
    z = np.asarray(batch, dtype=float)
    y = np.asarray(caching, dtype=float)
    x = np.asarray(routing, dtype=float)
    c00 = c[..., 0, 0, 0] + z * (c[..., 0, 0, 1] - c[..., 0, 0, 0])
    c01 = c[..., 0, 1, 0] + z * (c[..., 0, 1, 1] - c[..., 0, 1, 0])
    c10 = c[..., 1, 0, 0] + z * (c[..., 1, 0, 1] - c[..., 1, 0, 0])
    c11 = c[..., 1, 1, 0] + z * (c[..., 1, 1, 1] - c[..., 1, 1, 0])
    c0 = c00 + y * (c01 - c00)
    c1 = c10 + y * (c11 - c10)
    return c0 + x * (c1 - c0)


def caching_warnings(scenario: Scenario, book: PriceBook) -> list[str]:
    """A line for every lever set whose hit rate is below caching's break-even.

    Below ``(w - 1) / (w - r)`` the cache writes cost more than the reads save; the planner
    prices it as written (a cost, not a saving) and says so rather than recommend it.
    """
    out = []
    for i, w in enumerate(scenario.workloads):
        for part, lever in (("current", w.current), ("optimized", w.target)):
            if lever.cache_ttl == CacheTTL.NONE:
                continue
            if part == "optimized" and lever == w.current:
                continue
            for label, h in (("cache_hit_rate", lever.cache_hit_rate),
                             ("batch_cache_hit_rate", lever.effective_batch_hit_rate)):
                if label == "batch_cache_hit_rate" and (
                    lever.batch_share == 0 or lever.batch_cache_hit_rate is None
                ):
                    continue
                for model_id, share in lever.models.items():
                    if share == 0:
                        continue
                    be = book.break_even_hit_rate(model_id, lever.cache_ttl)
                    if h < be:
                        out.append(
                            f"workloads[{i}] {w.name!r}: {part} {label} {h:.0%} is below the "
                            f"break-even {be:.1%} for {lever.cache_ttl} cache writes on "
                            f"{model_id}; caching costs more than it saves here, so it is "
                            "priced as a cost, not a saving"
                        )
                        break
    return out


def ramp_polynomial(corners: CornerCosts) -> FloatArray:
    """Coefficients of the unit cost along a ramp where routing and caching move together.

    With routing and caching both at fraction ``x`` and batch at ``z`` (``z = x``, or 0 once
    a gray workload's batch move is walked back), the multilinear cost is::

        T(x, z) = a0 + a1 x + a2 x^2 + z (b0 + b1 x + b2 x^2)

    Returns
    -------
    ndarray of shape (6, n_workloads), or (6, n_months, n_workloads) for corners by month
        Rows ``a0, a1, a2, b0, b1, b2``.
    """
    c = corners.values
    out = np.empty((6, *c.shape[:-3]))
    for k in (0, 1):
        c00, c01, c10, c11 = (c[..., 0, 0, k], c[..., 0, 1, k], c[..., 1, 0, k],
                              c[..., 1, 1, k])
        out[3 * k + 0] = c00
        out[3 * k + 1] = c01 + c10 - 2.0 * c00
        out[3 * k + 2] = c00 - c01 - c10 + c11
    out[3:] -= out[:3]  # b = T(., 1) - T(., 0)
    return out
