"""The scenario schema's contract side (docs/model.md, "Contract evaluation" and
"Negotiation"): discount tiers, the risk appetite, stranding thresholds, the contract, the
offers on the table, the usage history a vendor copy shows, the negotiation settings.
Re-exported by :mod:`forecast.scenario`, which holds the rest of the schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from forecast.scenario_messages import _at, _each, _show
from forecast.scenario_values import (
    _NO_BOOL,
    Commitment,
    Name,
    Share,
    Whole,
    _no_bool,
    _Strict,
)
from forecast.types import Overage


class DiscountTier(_Strict):
    """Commit at least ``min_annual_commit`` a year, earn ``discount`` on all usage."""

    min_annual_commit: Commitment
    discount: Annotated[float, _NO_BOOL, Field(ge=0.0, lt=1.0)]


class RiskAppetite(_Strict):
    """The buyer's tolerance for risk, as a probability and in dollars.

    A commitment whose shortfall probability is above ``max_shortfall_probability`` is
    amber; above ``red_shortfall_probability`` (default: twice the appetite) it is red.
    ``max_extra_cost_p90`` bounds the P90 over the paths of the commitment's cost minus pay
    as you go on the same path, and ``max_expected_unused`` the expected unused commitment,
    both in dollars over the term (docs/model.md, "Risk in dollars"); unset, no bound.
    """

    max_shortfall_probability: Annotated[float, _NO_BOOL, Field(gt=0.0, lt=1.0)] = 0.10
    red_shortfall_probability: Annotated[float, _NO_BOOL, Field(gt=0.0, le=1.0)] | None = None
    max_extra_cost_p90: Commitment | None = None
    max_expected_unused: Commitment | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        red = self.red_shortfall_probability
        if red is not None and red < self.max_shortfall_probability:
            raise _at("red_shortfall_probability",
                      f"is {red:g}, below max_shortfall_probability "
                      f"{self.max_shortfall_probability:g}; red must be the higher line")
        return self

    @property
    def red_line(self) -> float:
        """Shortfall probability above which a commitment is red."""
        red = self.red_shortfall_probability
        return min(1.0, 2.0 * self.max_shortfall_probability) if red is None else red


class StrandedThresholds(_Strict):
    """Stranded share of gross savings above which the flag turns amber / red."""

    amber: Share = 0.10
    red: Share = 0.25

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.amber > self.red:
            raise _at("amber", f"is {self.amber:g}, above red {self.red:g}; amber must be lower")
        return self


class Contract(_Strict):
    """Contract terms. ``commitments`` is one amount a year (flat) or one per year (ramp);
    leave it out to get a recommendation only. With ``commitments`` given, the contract is
    the signed one that ``commitplan track`` follows from the scenario's ``start``.

    ``shortfall_credit`` is the share of each year's unused commitment the vendor credits
    back; ``price_protection`` makes the commitment fall with list prices (it matters only
    when ``uncertainty.price_cuts`` can happen); ``id`` names the contract in exports;
    ``sign_by`` (YYYY-MM) is the last month the terms can be signed: waiting past it is
    priced as pay as you go (docs/model.md, "When to sign").
    """

    years: Whole = Field(1, ge=1, le=5)
    commitments: list[Commitment] | None = None
    discount_tiers: list[DiscountTier] = Field(default_factory=list)
    overage: Overage = Overage.DISCOUNTED
    rollover: Share = 0.0
    shortfall_credit: Share = 0.0
    price_protection: bool = False
    id: Name | None = None
    sign_by: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    risk_appetite: RiskAppetite = RiskAppetite()
    stranded_thresholds: StrandedThresholds = StrandedThresholds()

    @field_validator("sign_by", mode="before")
    @classmethod
    def _sign_by_text(cls, value: Any) -> Any:
        # YAML reads 2027-06-30 as a date; the offer lapses after that month.
        if hasattr(value, "year") and hasattr(value, "month"):
            return f"{value.year:04d}-{value.month:02d}"
        return value

    @field_validator("commitments", mode="before")
    @classmethod
    def _flat_to_list(cls, value: Any) -> Any:
        # YAML reads 1.2e6 as the string "1.2e6": one amount either way.
        if isinstance(value, int | float | str) and not isinstance(_no_bool(value), bool):
            return [value]
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems: list[tuple[str, str]] = []
        if self.commitments is not None:
            n = len(self.commitments)
            if n == 0:
                problems.append(("commitments",
                                 "is empty; give one amount, or one per contract year"))
            elif n > self.years:
                problems.append((
                    "commitments",
                    f"ramp has {n} years, longer than the {self.years}-year term; give one "
                    f"amount, or {self.years}",
                ))
            elif 1 < n < self.years:
                problems.append((
                    "commitments",
                    f"ramp has {n} years for a {self.years}-year term; give one amount, "
                    f"or {self.years}",
                ))
        for i in range(1, len(self.discount_tiers)):
            prev, tier = self.discount_tiers[i - 1], self.discount_tiers[i]
            if tier.min_annual_commit <= prev.min_annual_commit:
                problems.append((
                    f"discount_tiers[{i}].min_annual_commit",
                    f"is {tier.min_annual_commit:,.0f}, not above the tier before it "
                    f"({prev.min_annual_commit:,.0f}); list tiers in increasing order",
                ))
            if tier.discount < prev.discount:
                problems.append((
                    f"discount_tiers[{i}].discount",
                    f"is {tier.discount:g}, below the smaller tier's {prev.discount:g}; a "
                    "bigger commitment must not earn a smaller discount",
                ))
        if problems:
            raise _each(problems)
        return self

    def commitment_per_year(self) -> list[float] | None:
        """The named commitment as one amount per contract year, or None."""
        if self.commitments is None:
            return None
        if len(self.commitments) == 1:
            return self.commitments * self.years
        return list(self.commitments)


class HistoryMonth(_Strict):
    """One month of usage as it happened: its list spend as billed (``commitplan import``
    writes these; a partly covered month scaled to the whole month)."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    list_spend: Commitment


#: Who proposed an offer.
Side = Literal["vendor", "buyer"]


class Offer(_Strict):
    """A contract proposed by either side, compared with the others on the same paths.

    ``from`` says whose proposal it is: ``vendor`` (default) or ``buyer`` (a counter). The
    asks package aims at the latest vendor offer (docs/negotiation.md).

    A term left out is the scenario's ``contract`` term, except ``commitments``: an offer
    without them leaves the amount to the buyer. ``discount`` is one discount for
    any commitment at or above the offer's smallest yearly commitment (give ``commitments``
    with it) and stands in for ``discount_tiers``; without ``commitments`` the buyer chooses
    the commitment and the planner picks the best within the appetite.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False,
                              populate_by_name=True, serialize_by_alias=True)

    name: Name
    side: Side = Field("vendor", alias="from")
    discount: Annotated[float, _NO_BOOL, Field(ge=0.0, lt=1.0)] | None = None
    discount_tiers: list[DiscountTier] | None = None
    commitments: list[Commitment] | None = None
    overage: Overage | None = None
    rollover: Share | None = None
    years: Whole | None = Field(None, ge=1, le=5)
    shortfall_credit: Share | None = None
    price_protection: bool | None = None
    sign_by: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")

    @field_validator("sign_by", mode="before")
    @classmethod
    def _sign_by_text(cls, value: Any) -> Any:
        return Contract._sign_by_text(value)

    @field_validator("commitments", mode="before")
    @classmethod
    def _flat_to_list(cls, value: Any) -> Any:
        return Contract._flat_to_list(value)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.discount is not None and self.discount_tiers is not None:
            raise _at("discount", "give one discount or discount_tiers, not both")
        if self.discount is not None and self.commitments is None:
            raise _at("commitments", "one discount needs the commitment it is offered for; "
                      "give commitments, or discount_tiers with their minimums")
        return self

    def to_contract(self, base: Contract) -> Contract:
        """The offer's full terms: its own, and ``base``'s where it says nothing."""
        update: dict[str, Any] = {"commitments": self.commitments}
        for field in ("overage", "rollover", "years", "shortfall_credit",
                      "price_protection", "sign_by"):
            value = getattr(self, field)
            if value is not None:
                update[field] = value
        if self.discount_tiers is not None:
            update["discount_tiers"] = self.discount_tiers
        elif self.discount is not None:
            assert self.commitments is not None
            update["discount_tiers"] = [DiscountTier(min_annual_commit=min(self.commitments),
                                                     discount=self.discount)]
        data = base.model_dump() | {k: v for k, v in update.items()}
        data["discount_tiers"] = [t.model_dump() if isinstance(t, DiscountTier) else t
                                  for t in data["discount_tiers"]]
        return Contract.model_validate(data)


class Negotiation(_Strict):
    """How the buyer negotiates (docs/negotiation.md).

    ``min_ask_value``: the least marginal value (USD over the term) an ask needs to enter
    the asks package; absent = the larger of $1,000 and 0.25% of the offer's expected cost.
    ``disclose``: the one forecast figure per year the vendor copy shows, a quantile of
    optimized yearly usage (``P25``, the default; ``P1`` to ``P99``), or ``none``.
    """

    min_ask_value: Commitment | None = None
    disclose: str = "P25"

    @field_validator("disclose", mode="before")
    @classmethod
    def _disclose_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"is {value!r}; give a quantile such as P25 (P1 to P99) or none")
        word = value.strip()
        if word.lower() == "none":
            return "none"
        if len(word) in (2, 3) and word[0] in "Pp" and word[1:].isdigit() \
                and 1 <= int(word[1:]) <= 99:
            return f"P{int(word[1:])}"
        raise ValueError(f"is {_show(value)}; give a quantile such as P25 (P1 to P99) or "
                         "none")

    @property
    def disclose_quantile(self) -> float | None:
        """The disclosure case as a probability (0.25 for P25), or None for ``none``."""
        return None if self.disclose == "none" else int(self.disclose[1:]) / 100.0
