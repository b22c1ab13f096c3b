"""Contract months of a signed contract: labels and numbers from its start, the ``--as-of``
month, the commitment per year.
"""

from __future__ import annotations

from forecast.contract import (
    as_commitment,
)
from forecast.errors import PlannerError
from forecast.scenario import Scenario
from forecast.types import FloatArray
from forecast.usage.months import month_offset, months_between


def _label(start: str, offset: int) -> str:
    """The ``YYYY-MM`` month ``offset`` months after ``start``."""
    return month_offset(start, offset)


def _index(start: str, label: str) -> int:
    """Contract month number of ``label`` (1 = the start month)."""
    return months_between(start, label) + 1


def parse_month(text: str, what: str = "--as-of") -> str:
    """A ``YYYY-MM`` month, or a PlannerError naming ``what``."""
    import re

    shown = text if len(text) <= 24 else text[:23] + "…"
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise PlannerError(f"{what}: {shown!r} is not a month; give YYYY-MM, e.g. 2027-04")
    return text.strip()


def has_signed_contract(scenario: Scenario) -> bool:
    """True when the scenario names its commitments: the contract tracking follows."""
    return scenario.contract.commitments is not None


def require_signed_contract(scenario: Scenario) -> FloatArray:
    """The signed commitment per contract year, shape (years,).

    Raises
    ------
    PlannerError
        When the scenario has no ``contract.commitments``, naming the field.
    """
    if not has_signed_contract(scenario):
        raise PlannerError(
            "contract.commitments: not given; tracking follows a signed contract: give "
            "contract.commitments (one amount a year, or one per contract year) with the "
            "contract's first month as start")
    return as_commitment(scenario.contract, scenario.contract.commitment_per_year())
