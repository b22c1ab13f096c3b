"""Price books: list prices per model as data, never constants in code.

A book is a YAML or JSON file with an id, an effective date and its source. One ships with
the package (``anthropic-2026-11``); a user can point a scenario at their own file, e.g. with
negotiated rates. Cache prices are multipliers of the input price; batch is a discount on
every token class that stacks with caching.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from forecast.errors import PriceBookError
from forecast.types import CacheTTL, FloatArray

_DATE_SUFFIX = re.compile(r"-\d{8}$")


class CacheMultipliers(BaseModel):
    """Cache prices as multipliers of the input price."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    write_5m: float = Field(1.25, gt=0)
    write_1h: float = Field(2.0, gt=0)
    read: float = Field(0.1, ge=0)


class ModelPrice(BaseModel):
    """One model's list prices in USD per million tokens.

    ``cache_write_5m``, ``cache_write_1h`` and ``cache_read`` are multipliers of ``input``
    that override the book's defaults for this model.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    display_name: str | None = None
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write_5m: float | None = Field(None, gt=0)
    cache_write_1h: float | None = Field(None, gt=0)
    cache_read: float | None = Field(None, ge=0)
    tokenizer_factor: float = Field(1.0, gt=0)
    aliases: tuple[str, ...] = ()


class PriceBook(BaseModel):
    """A dated set of list prices.

    Attributes
    ----------
    id : str
        The name a scenario uses to refer to this book.
    effective_date : datetime.date
        The date the prices took effect.
    source : str
        Where the figures came from.
    batch_discount : float
        Discount of the Batch API on every token class (0.5 = half price).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    effective_date: dt.date
    source: str = Field(min_length=1)
    currency: str = "USD"
    batch_discount: float = Field(0.5, ge=0, lt=1)
    cache_multipliers: CacheMultipliers = CacheMultipliers()
    models: dict[str, ModelPrice]

    @model_validator(mode="after")
    def _has_models(self) -> PriceBook:
        if not self.models:
            raise ValueError("models: a price book must price at least one model")
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
        """Map an API id (with or without a date suffix), an alias or a display name to a
        model id of this book, or None when nothing matches."""
        raw = name.strip()
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

    def read_multiplier(self, model_id: str) -> float:
        """Cache-read price as a multiplier of the model's input price."""
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
        """Per-model price vectors in the order of ``model_ids``.

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


def _parse_book(text: str, origin: str) -> PriceBook:
    try:
        data = json.loads(text) if origin.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise PriceBookError(f"price book {origin}: not valid YAML/JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PriceBookError(f"price book {origin}: expected a mapping with id, models, ...")
    try:
        return PriceBook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise PriceBookError(f"price book {origin}: {loc}: {first['msg']}") from None


@cache
def _load_bundled(book_id: str) -> PriceBook:
    path = resources.files("forecast") / "data" / "pricebooks" / f"{book_id}.yaml"
    return _parse_book(path.read_text(encoding="utf-8"), f"{book_id}.yaml")


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
        return _parse_book(path.read_text(encoding="utf-8"), str(path))
    raise PriceBookError(
        f"unknown price book {ref!r}: not a bundled id ({', '.join(bundled_price_book_ids())}) "
        "and no such .yaml/.json file"
    )
