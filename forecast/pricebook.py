"""Price books: list prices per model as data, never constants in code.

A book is a YAML or JSON file with an id, an effective date and its source. One ships with
the package (``anthropic-2026-11``); a user can point a scenario at their own file, e.g. with
negotiated rates. Cache prices are multipliers of the input price; batch is a discount on
every token class that stacks with caching.

Beyond input, output and cache prices, a model's entry may carry (docs/model.md, "Price
book"):

- ``long_prompt``: a prompt-length band. A request whose prompt (input plus cache reads and
  writes) is above ``threshold`` tokens pays the band's prices on every token, output
  included; cache multipliers apply to the band's input price as usual.
- ``inference_geo``: price multipliers by inference region (``us: 1.1``); a region the
  model does not list costs the global price.
- ``before``: dated earlier entries. The fields at the top of a model are its latest prices;
  ``before: [{until: 2026-10-07, cache_read: 0.1}]`` says that before 2026-10-07 the read
  multiplier was 0.1 (fields not named are as in the entry after it). History is priced
  with the entry in force on the day of the usage, the forecast with the latest.

A model's entry (:class:`ModelPrice` and its parts) lives in :mod:`forecast.price_entries`
and is re-exported here. :meth:`PriceBook.token_prices` gives the list price of each token
class for a model, band, region, speed and date: the one place that the usage import and
the cost model read prices from. Every price is finite and below a documented bound
(:data:`MAX_PRICE`, ...), so that a typo such as ``input: 3e9`` or ``.inf`` is refused with
a message naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from forecast.errors import PriceBookError
from forecast.price_entries import (  # noqa: F401 (re-exported: callers import them from here)
    _CONTEXT_SUFFIX,
    _DATE_SUFFIX,
    MAX_BOOK_BYTES,
    MAX_MULTIPLIER,
    MAX_PRICE,
    MAX_THRESHOLD,
    SOURCED_FIELDS,
    TOKEN_CLASSES,
    CacheMultipliers,
    EarlierPrices,
    FastMode,
    InferenceGeo,
    LongPromptBand,
    ModelPrice,
    Multiplier,
    Price,
    ReadMultiplier,
    Source,
    Speed,
    TokenPrices,
    _Frozen,
)
from forecast.types import CacheTTL, FloatArray


class PriceBook(_Frozen):
    """A dated set of list prices.

    Attributes
    ----------
    id : str
        The name a scenario uses to refer to this book.
    effective_date : datetime.date
        The date of the book's latest prices.
    source : str
        Where the figures came from.
    not_expressed : list of str
        What the published price list says that this book cannot (priced as standard).
    batch_discount : float
        Discount of the Batch API on every token class (0.5 = half price).
    """

    id: str = Field(min_length=1)
    effective_date: dt.date
    source: str = Field(min_length=1)
    not_expressed: tuple[str, ...] = ()
    currency: str = "USD"
    batch_discount: float = Field(0.5, ge=0, lt=1, allow_inf_nan=False)
    cache_multipliers: CacheMultipliers = CacheMultipliers()
    models: dict[str, ModelPrice]

    sources: tuple[Source, ...] = ()

    @model_validator(mode="after")
    def _has_models(self) -> PriceBook:
        if not self.models:
            raise ValueError("models: a price book must price at least one model")
        for model_id, price in self.models.items():
            if price.successor is not None and price.successor not in self.models:
                raise ValueError(f"models.{model_id}.successor: {price.successor!r} is not a "
                                 "model of this book; name the model that takes over")
            if price.successor == model_id:
                raise ValueError(f"models.{model_id}.successor: a model cannot succeed itself")
        for model_id in self.models:  # a chain of successors must end
            seen, m = {model_id}, self.models[model_id].successor
            while m is not None:
                if m in seen:
                    raise ValueError(f"models.{model_id}.successor: the successors form a "
                                     f"circle through {m!r}")
                seen.add(m)
                m = self.models[m].successor
        return self

    # -- look-ups -----------------------------------------------------------------------
    @property
    def model_ids(self) -> list[str]:
        """Model ids in the book's order."""
        return list(self.models)

    def check_models(self, names: list[str]) -> list[str]:
        """Return the names the book does not price (empty when all are known)."""
        return [n for n in names if n not in self.models]

    def resolve_model(self, name: str) -> str | None:
        """Map an API id (with or without a date suffix or ``[1m]``), an alias or a display
        name to a model id of this book, or None when nothing matches."""
        raw = _CONTEXT_SUFFIX.sub("", name.strip())
        if raw in self.models:
            return raw
        key = raw.lower()
        for model_id, price in self.models.items():
            if key in (a.lower() for a in price.aliases):
                return model_id
            if price.display_name and key == price.display_name.lower():
                return model_id
        undated = _DATE_SUFFIX.sub("", key)
        if undated in self.models:
            return undated
        if undated + "-0" in self.models:  # claude-opus-4 -> claude-opus-4-0
            return undated + "-0"
        words = sorted(key.split())  # older exports say "Claude 3.5 Haiku" for "Claude Haiku 3.5"
        for model_id, price in self.models.items():
            if price.display_name and sorted(price.display_name.lower().split()) == words:
                return model_id
        return None

    def entry(self, model_id: str, on: dt.date | None = None) -> ModelPrice:
        """A model's entry in force on a date (``None``: the latest, used for forecasts)."""
        return self.models[model_id].on(on)

    def token_prices(self, model_id: str, on: dt.date | None = None,
                     long_prompt: bool = False,
                     geo: InferenceGeo = InferenceGeo.GLOBAL,
                     speed: Speed = Speed.STANDARD) -> TokenPrices:
        """List price of each token class: the single source of prices for every cost.

        Parameters
        ----------
        model_id : str
            A model of this book.
        on : datetime.date, optional
            The day priced (``None``: the latest entry).
        long_prompt : bool
            Price a request above the model's prompt-length threshold (the band's prices);
            ignored for a model without a band.
        geo : InferenceGeo
            Region the request ran in; its multiplier applies to every token class.
        speed : Speed
            ``fast`` pays the model's fast-mode multiplier on every token class, on the days
            fast mode is offered; elsewhere the standard price (the caller warns).
        """
        price = self.entry(model_id, on)
        band = price.long_prompt if long_prompt else None
        p_in = price.input if band is None else band.input
        p_out = price.output if band is None else band.output
        w5 = _first(band and band.cache_write_5m, price.cache_write_5m,
                    self.cache_multipliers.write_5m)
        w1 = _first(band and band.cache_write_1h, price.cache_write_1h,
                    self.cache_multipliers.write_1h)
        r = _first(band and band.cache_read, price.cache_read, self.cache_multipliers.read)
        m = price.inference_geo.get(geo, 1.0)
        if speed == Speed.FAST:
            m *= self.models[model_id].fast_multiplier(on) or 1.0
        return TokenPrices(uncached_input=m * p_in, cache_write_5m=m * p_in * w5,
                           cache_write_1h=m * p_in * w1, cache_read=m * p_in * r,
                           output=m * p_out)

    def has_long_prompt_band(self, model_id: str, on: dt.date | None = None) -> bool:
        return self.entry(model_id, on).long_prompt is not None

    def region_multiplier(self, model_id: str, geo: InferenceGeo,
                          on: dt.date | None = None) -> float | None:
        """The model's multiplier for a region; ``None`` when it does not offer the region
        (the global price applies)."""
        if geo == InferenceGeo.GLOBAL:
            return 1.0
        return self.entry(model_id, on).inference_geo.get(geo)

    def read_multiplier(self, model_id: str) -> float:
        """Cache-read price as a multiplier of the model's (latest) input price."""
        price = self.models[model_id]
        return self.cache_multipliers.read if price.cache_read is None else price.cache_read

    def write_multiplier(self, model_id: str, ttl: CacheTTL) -> float:
        """Cache-write price multiplier for a TTL (1.0 for ``none``: plain input)."""
        price = self.models[model_id]
        if ttl == CacheTTL.FIVE_MINUTES:
            default, own = self.cache_multipliers.write_5m, price.cache_write_5m
        elif ttl == CacheTTL.ONE_HOUR:
            default, own = self.cache_multipliers.write_1h, price.cache_write_1h
        else:
            return 1.0
        return default if own is None else own

    def break_even_hit_rate(self, model_id: str, ttl: CacheTTL) -> float:
        """Cache hit rate below which caching costs more than it saves.

        Caching a prefix costs ``h * r + (1 - h) * w`` input-price units against 1 without
        caching, so it pays when ``h > (w - 1) / (w - r)``: 0.25 / 1.15 = 0.217 for
        5-minute writes (w = 1.25) at r = 0.1.
        """
        if ttl == CacheTTL.NONE:
            return 0.0
        w = self.write_multiplier(model_id, ttl)
        r = self.read_multiplier(model_id)
        return max(0.0, (w - 1.0) / (w - r))

    def arrays(self, model_ids: list[str]) -> dict[str, FloatArray]:
        """Per-model price vectors (latest entries) in the order of ``model_ids``.

        Returns
        -------
        dict of str to ndarray of shape (n_models,)
            ``input``, ``output`` (USD/MTok), ``read`` (multiplier of input),
            ``write_5m``, ``write_1h`` (multipliers) and ``tokenizer`` (factor).
        """
        unknown = self.check_models(model_ids)
        if unknown:
            raise PriceBookError(unknown_models_message(unknown, self))
        return {
            "input": np.array([self.models[m].input for m in model_ids], dtype=float),
            "output": np.array([self.models[m].output for m in model_ids], dtype=float),
            "read": np.array([self.read_multiplier(m) for m in model_ids], dtype=float),
            "write_5m": np.array(
                [self.write_multiplier(m, CacheTTL.FIVE_MINUTES) for m in model_ids], dtype=float
            ),
            "write_1h": np.array(
                [self.write_multiplier(m, CacheTTL.ONE_HOUR) for m in model_ids], dtype=float
            ),
            "tokenizer": np.array(
                [self.models[m].tokenizer_factor for m in model_ids], dtype=float
            ),
        }

    def as_of(self, day: dt.date | None = None) -> list[dict[str, Any]]:
        """Every model's prices in force on a day (latest for ``None``), one row each.

        Rows hold ``model``, ``display_name``, the five token-class prices (USD/MTok), the
        long-prompt band (``threshold``, ``long_input``, ``long_output``; ``None`` without),
        ``us_multiplier`` (``None`` where US-only inference is not offered),
        ``fast_multiplier`` (``None`` where fast mode is not offered that day) and
        ``fast_until`` (its removal day), ``batch_discount``, ``currency``,
        ``tokenizer_factor``, ``changes`` (the model's change dates), ``retires`` and
        ``successor``, ``sources`` (page and whether verified, per field) and ``verified``
        (every figure of the row from the vendor's own pages). Money is rounded to 10
        decimals so that 0.1 x 3 prints as 0.3.
        """
        rows = []
        for model_id, price in self.models.items():
            p = self.token_prices(model_id, day)
            band = price.on(day).long_prompt
            sources = self.sources_of(model_id)
            rows.append({
                "model": model_id, "display_name": price.display_name,
                **{c: _money(getattr(p, c)) for c in TOKEN_CLASSES},
                "threshold": band.threshold if band else None,
                "long_input": _money(band.input) if band else None,
                "long_output": _money(band.output) if band else None,
                "us_multiplier": self.region_multiplier(model_id, InferenceGeo.US, day),
                "fast_multiplier": price.fast_multiplier(day),
                "fast_until": str(price.fast.until) if price.fast and price.fast.until
                else None,
                "batch_discount": self.batch_discount,
                "currency": self.currency,
                "tokenizer_factor": price.tokenizer_factor,
                "changes": [str(d) for d in price.change_dates],
                "retires": str(price.retires) if price.retires else None,
                "successor": price.successor,
                "sources": [s.model_dump(mode="json", exclude_none=True) for s in sources],
                "verified": all(s.verified for s in sources),
            })
        return rows

    def sources_of(self, model_id: str) -> list[Source]:
        """The sources of a model's figures: its own, then the book's (batch, cache)."""
        return [*self.models[model_id].sources, *self.sources]

    def unverified(self) -> list[dict[str, str]]:
        """Figures found only in secondary sources: one row per model (or ``*`` for the
        book) and source, with the fields it vouches for and its page."""
        out = [{"model": "*", "fields": ", ".join(s.fields), "url": s.url,
                "note": s.note or ""} for s in self.sources if not s.verified]
        for model_id, price in self.models.items():
            out += [{"model": model_id, "fields": ", ".join(s.fields), "url": s.url,
                     "note": s.note or ""} for s in price.sources if not s.verified]
        return out

    # -- retirements ---------------------------------------------------------------------
    def without_retirements(self) -> PriceBook:
        """The same prices with no model retiring (a backtest compares usage as it ran)."""
        models = {m: p.model_copy(update={"retires": None, "successor": None})
                  for m, p in self.models.items()}
        return self.model_copy(update={"models": models})

    def retirement(self, model_id: str) -> tuple[dt.date, str] | None:
        """A retiring model's retirement day and the model that takes over (following a
        chain of successors to one that does not retire before it); ``None`` otherwise."""
        price = self.models[model_id]
        if price.retires is None or price.successor is None:
            return None
        return price.retires, price.successor

    def successor_on(self, model_id: str, day: dt.date) -> str:
        """The model a workload on ``model_id`` runs on at ``day``: itself until its
        retirement, then its successor (and the successor's successor, if that retires
        too by then)."""
        m = model_id
        while True:
            price = self.models[m]
            if price.retires is None or price.successor is None or day < price.retires:
                return m
            m = price.successor


def _money(v: float) -> float:
    """A price without binary noise (0.30000000000000004 -> 0.3): 10 decimals."""
    return round(float(v), 10)


def _first(*values: Any) -> float:
    """The first value that is a number (``band and x`` gives ``None`` without a band)."""
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    raise AssertionError("no default multiplier")  # the book's defaults always exist


def unknown_models_message(unknown: list[str], book: PriceBook) -> str:
    """Message naming the unknown models and listing the ones the book prices."""
    names = ", ".join(repr(u) for u in unknown)
    return (
        f"unknown model {names} in price book {book.id!r}; "
        f"known models: {', '.join(book.model_ids)}"
    )


def bundled_price_book_ids() -> list[str]:
    """Ids of the price books that ship with the package."""
    folder = resources.files("forecast") / "data" / "pricebooks"
    return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml"))


DEFAULT_PRICE_BOOK = "anthropic-2026-11"
#: The newest bundled book: what new imports and ``commitplan prices`` use. Scenarios keep
#: the book they name (their figures stay reproducible).
LATEST_PRICE_BOOK = "anthropic-2026-12"

#: What a bound means, for messages about a number past it.
_BOUND_HINTS = {
    "input": f"USD per million tokens, at most {MAX_PRICE:,.0f}",
    "output": f"USD per million tokens, at most {MAX_PRICE:,.0f}",
    "threshold": f"prompt tokens, at most {MAX_THRESHOLD:,}",
}


def _problem(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    value = err.get("input")
    shown = f" (is {value!r})" if isinstance(value, int | float | str) and not isinstance(
        value, bool) and len(repr(value)) < 40 else ""
    hint = _BOUND_HINTS.get(str(err["loc"][-1])) if err["loc"] else None
    if hint is None and err["loc"] and str(err["loc"][-1]).startswith(("cache_", "write",
                                                                       "read", "us")):
        hint = f"a multiplier of the input price, at most {MAX_MULTIPLIER:g}"
    tail = f"; {hint}" if hint and err["type"] in ("less_than_equal", "finite_number",
                                                   "greater_than", "greater_than_equal") else ""
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}{shown}{tail}"


#: libyaml's loader when PyYAML has it (a book parses in a few milliseconds), else Python's.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_book(text: str, origin: str) -> PriceBook:
    try:
        data = json.loads(text) if origin.endswith(".json") else yaml.load(text, Loader=_LOADER)
    except (yaml.YAMLError, json.JSONDecodeError, ValueError) as exc:
        raise PriceBookError(f"price book {origin}: not valid YAML/JSON ({exc})") from None
    except RecursionError:
        raise PriceBookError(f"price book {origin}: nested too deeply to read; a price book "
                             "is a mapping of models to a few prices") from None
    if not isinstance(data, dict):
        raise PriceBookError(f"price book {origin}: expected a mapping with id, models, ...")
    try:
        return PriceBook.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PriceBookError(f"price book {origin}: {problems[0]}{more}") from None
    except RecursionError:
        raise PriceBookError(f"price book {origin}: nested too deeply to read") from None


@cache
def _load_bundled(book_id: str) -> PriceBook:
    path = resources.files("forecast") / "data" / "pricebooks" / f"{book_id}.yaml"
    return _parse_book(path.read_text(encoding="utf-8"), f"{book_id}.yaml")


def _read_book_file(path: Path) -> str:
    """A book file's text, refusing one larger than :data:`MAX_BOOK_BYTES`."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BOOK_BYTES + 1)
    except OSError as exc:
        raise PriceBookError(f"price book {path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BOOK_BYTES:
        raise PriceBookError(f"price book {path}: larger than {MAX_BOOK_BYTES:,} bytes; a "
                             "price book holds a few prices per model")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PriceBookError(f"price book {path}: not UTF-8 text (byte {exc.start})") from None


def load_price_book(ref: str = DEFAULT_PRICE_BOOK, base_dir: Path | None = None) -> PriceBook:
    """Load a bundled book by id, or a book file by path.

    Parameters
    ----------
    ref : str
        A bundled id (``anthropic-2026-11``) or a path to a ``.yaml``/``.json`` book.
    base_dir : Path, optional
        Folder that a relative path is resolved against (the scenario file's folder).

    Raises
    ------
    PriceBookError
        When the id is unknown and no such file exists, or the file does not validate.
    """
    if ref in bundled_price_book_ids():
        return _load_bundled(ref)
    path = Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.suffix.lower() in (".yaml", ".yml", ".json") and path.is_file():
        return _parse_book(_read_book_file(path), str(path))
    raise PriceBookError(
        f"unknown price book {ref!r}: not a bundled id ({', '.join(bundled_price_book_ids())}) "
        "and no such .yaml/.json file"
    )
