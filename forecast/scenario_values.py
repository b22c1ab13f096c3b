"""The scenario's value types: numbers that refuse true/false, typos past a bound and
percentages typed for fractions (``Share``, ``Requests``, ``TokenCount``, ``Commitment``,
``Volatility``, ...), and names and text without control characters (``Name``, ``Text``).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from forecast import limits


# --------------------------------------------------------------------------- value types
def _no_bool(value: Any) -> Any:
    # pydantic reads true as 1 in a number field: `requests_per_month: true` is a typo.
    if isinstance(value, bool):
        raise ValueError(f"is {str(value).lower()}; a number belongs here, not true/false")
    return value


def _at_most(high: float, meaning: str) -> AfterValidator:
    """Refuse a value above ``high`` as a typo, saying what the bound means."""

    def check(value: float) -> float:
        if value > high:
            raise ValueError(f"is {value:g}; above {high:g} ({meaning}) it is surely a typo")
        return value

    return AfterValidator(check)


def _rate(low: float, high: float, what: str) -> AfterValidator:
    """Keep a rate within what a real business could have; a value that reads as a
    percentage (3 for 3%) is refused with the fraction that was probably meant."""

    def check(value: float) -> float:
        if low <= value <= high:
            return value
        hint = limits.percent_hint(value, low, high)
        if hint:
            raise ValueError(f"is {value:g}; {what} of {value:.0%} is surely a percentage: "
                             f"{hint}")
        raise ValueError(f"is {value:g}; {what} of {value:.0%} is past what a real business "
                         f"sees: give a fraction from {low:g} to {high:g} "
                         f"({low:.0%} to {high:.0%})")

    return AfterValidator(check)


_NO_BOOL = BeforeValidator(_no_bool)
Share = Annotated[float, _NO_BOOL, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, _NO_BOOL, Field(ge=0.0)]
Whole = Annotated[int, _NO_BOOL]
Requests = Annotated[float, _NO_BOOL, Field(ge=0.0), _at_most(
    limits.MAX_REQUESTS_PER_MONTH, "100 billion requests a month")]
TokenCount = Annotated[float, _NO_BOOL, Field(ge=0.0), _at_most(
    limits.MAX_MONTHLY_TOKENS, "a quadrillion tokens a month")]
Commitment = Annotated[float, _NO_BOOL, Field(ge=0.0), _at_most(
    limits.MAX_ANNUAL_COMMIT, "$100 billion a year")]
Volatility = Annotated[float, _NO_BOOL, _rate(0.0, limits.MAX_VOLATILITY,
                                              "a monthly volatility")]
GrowthSd = Annotated[float, _NO_BOOL, _rate(0.0, limits.MAX_GROWTH_SD,
                                            "a growth standard error")]


def _fit_months(value: int) -> int:
    low, high = limits.FIT_MONTHS_RANGE
    if value != 0 and not low <= value <= high:
        raise ValueError(f"is {value}; give the months the growth was fitted on, {low} to "
                         f"{high} (or 0 when the growth is not fitted)")
    return value


FitMonths = Annotated[int, _NO_BOOL, AfterValidator(_fit_months)]

_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "backspace", 9: "tab", 10: "line break",
                  13: "carriage return", 27: "ESC", 127: "DEL"}


def _control_character(text: str, allowed: str = "") -> str | None:
    """The first control character (C0, DEL, C1) or unpaired surrogate in ``text`` that is
    not in ``allowed``, described with its position; None when there is none."""
    for i, ch in enumerate(text):
        if ch in allowed or unicodedata.category(ch) not in ("Cc", "Cs"):
            continue
        code = ord(ch)
        name = _CONTROL_NAMES.get(code, "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF
                                  else "a control character")
        return f"{name} (U+{code:04X}) at position {i + 1}"
    return None


def _plain_name(value: str) -> str:
    # Names reach terminals, CSV files and the PDF: an escape sequence or a carriage return
    # in one would rewrite what the reader sees.
    if not value.strip():
        raise ValueError("is blank; give a name with at least one visible character")
    bad = _control_character(value)
    if bad:
        raise ValueError(f"contains {bad}; a name must be plain text on one line")
    return value


def _plain_text(value: str) -> str:
    bad = _control_character(value, allowed="\n\t")
    if bad:
        raise ValueError(f"contains {bad}; only line breaks and tabs may be used in it")
    return value


Name = Annotated[str, AfterValidator(_plain_name)]
Text = Annotated[str, AfterValidator(_plain_text)]
