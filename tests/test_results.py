"""The one serializer of the result objects (forecast/results.py): every field, in the order
declared, enums as their values, arrays as lists, nested results through their own
``to_dict``."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np

from forecast.commitment import Bridge, RiskReason
from forecast.negotiation import Alternative, Ask, BreakEven, Clause, WalkAway
from forecast.results import Serializable, as_dict
from forecast.tracking import LeverValues, WorkloadTrack, YearTrack
from forecast.types import FlagLevel, Risk


class Colour(StrEnum):
    RED = "red"


class Row(IntEnum):
    SECOND = 2


@dataclass(frozen=True)
class Inner(Serializable):
    x: float

    def to_dict(self) -> dict[str, float]:  # its own: the outer result must use it
        return {"x_doubled": 2 * self.x}


@dataclass(frozen=True)
class Plain:
    n: int


@dataclass(frozen=True)
class Outer(Serializable):
    colour: Colour
    row: Row
    values: np.ndarray
    inner: Inner
    plain: Plain
    items: tuple[Inner, ...]
    mix: dict[str, Colour]
    missing: float | None = None


def test_every_field_in_order_with_plain_values():
    outer = Outer(Colour.RED, Row.SECOND, np.array([1.5, 2.0]), Inner(0.25), Plain(3),
                  (Inner(1.0),), {"a": Colour.RED})
    assert outer.to_dict() == {
        "colour": "red", "row": 2, "values": [1.5, 2.0], "inner": {"x_doubled": 0.5},
        "plain": {"n": 3}, "items": [{"x_doubled": 2.0}], "mix": {"a": "red"},
        "missing": None}
    assert list(outer.to_dict()) == [f.name for f in dataclasses.fields(Outer)]
    # plain data: JSON takes it as it is
    json.dumps(outer.to_dict())


def test_results_that_use_it_write_every_field():
    bridge = Bridge(100.0, 20.0, 80.0, 8.0, 3.0, 75.0)
    assert bridge.to_dict() == {"today_list": 100.0, "levers": 20.0, "payg": 80.0,
                                "discount": 8.0, "unused": 3.0, "expected_cost": 75.0}
    risk, level = next(iter(Risk)), next(iter(FlagLevel))
    # the dollars behind the risk (the expected unused of a shortfall) are a field too
    assert RiskReason(risk, level, 0.1, 250.0).to_dict() == {
        "risk": risk.value, "level": level.value, "value": 0.1, "dollars": 250.0}
    # Every field, the standard errors included, but the searches' internal plain mean.
    assert Alternative(2, 10.0, 8.0, 12.0, 0.5, 0.25, 0.75, 10.1).to_dict() == {
        "years": 2, "expected_cost": 10.0, "cost_p10": 8.0, "cost_p90": 12.0,
        "expected_cost_se": 0.5, "cost_p10_se": 0.25, "cost_p90_se": 0.75}
    # The bridge's six lines; their standard errors are written apart, keyed alike.
    with_se = Bridge(100.0, 20.0, 80.0, 8.0, 3.0, 75.0, {"expected_cost": 1.5})
    assert with_se.to_dict() == bridge.to_dict()
    assert with_se.se_to_dict() == {"today_list": 0.0, "levers": 0.0, "payg": 0.0,
                                    "discount": 0.0, "unused": 0.0, "expected_cost": 1.5}
    assert BreakEven(1e6, 0.1).to_dict() == {"annual_commit": 1e6, "discount": 0.1}
    ask = Ask(next(iter(Clause)), "Offer A", "words", 5.0, 0.02, np.array([1.0, 2.0]))
    assert ask.to_dict()["per_year_after"] == [1.0, 2.0]
    assert ask.to_dict()["clause"] == next(iter(Clause)).value
    for cls in (WalkAway, LeverValues, WorkloadTrack, YearTrack):
        assert issubclass(cls, Serializable)
    year = YearTrack(1, "2027-01", "2027-12", 1e6, 0.08, 3e5, 9e5, 8e5, 1e6, 0.3, 5e4, 0.0, 4)
    assert as_dict(year) == {
        "year": 1, "first_month": "2027-01", "last_month": "2027-12", "committed": 1e6,
        "discount": 0.08, "consumed_to_date": 3e5, "expected_at_year_end": 9e5, "p10": 8e5,
        "p90": 1e6, "shortfall_probability": 0.3, "expected_unused": 5e4,
        "expected_overage": 0.0, "months_observed": 4}
