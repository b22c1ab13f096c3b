"""The scenario's value types: numbers that refuse true/false, typos past a bound and
percentages typed for fractions (``Share``, ``Requests``, ``TokenCount``, ``Commitment``,
``Volatility``, ...), and names and text without control characters (``Name``, ``Text``).
An integer past the float range (``OverlongInteger``) and a date no calendar has
(``NotADate``), as the YAML reader keeps them, are refused by the field's own bound.
"""

from __future__ import annotations

import sys
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from forecast import limits
from forecast.scenario_messages import _show


# --------------------------------------------------------------------------- value types
class OverlongInteger(float):
    """An integer with more digits than Python converts from text (4,300): the YAML reader
    keeps it as the largest float of its sign, quoted by its length, so that the schema
    refuses it by the field's own bound (``is a 5,000-digit integer; above 1e+11 ...``)
    rather than the file failing to parse."""

    digits: int

    def __new__(cls, digits: int, negative: bool = False) -> OverlongInteger:
        obj = super().__new__(cls, -sys.float_info.max if negative else sys.float_info.max)
        obj.digits = digits
        return obj

    def __repr__(self) -> str:
        return f"a {self.digits:,}-digit {'negative ' if self < 0 else ''}integer"

    def __reduce__(self) -> Any:
        return (OverlongInteger, (self.digits, self < 0))


class NotADate(str):
    """A scalar written as a date that is no date (``2026-02-30``): the YAML reader keeps it
    as its text with the reason, so that the field it was given for says what is wrong."""

    reason: str

    def __new__(cls, text: str, reason: str) -> NotADate:
        obj = super().__new__(cls, text)
        obj.reason = reason
        return obj


class _OverlongWhole(int):
    """:class:`OverlongInteger` in a whole-number field: past every bound of its sign."""

    digits: int

    def __new__(cls, source: OverlongInteger) -> _OverlongWhole:
        big = 10 ** 4000
        obj = super().__new__(cls, -big if source < 0 else big)
        obj.digits = source.digits
        return obj

    def __repr__(self) -> str:
        return f"a {self.digits:,}-digit {'negative ' if self < 0 else ''}integer"


def _quoted(value: Any) -> str:
    """A number as a message quotes it: ``2e+11``, or ``a 5,000-digit integer``."""
    if isinstance(value, OverlongInteger | _OverlongWhole):
        return repr(value)
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError, OverflowError):
        return _show(value)


def _no_bool(value: Any) -> Any:
    # pydantic reads true as 1 in a number field: `requests_per_month: true` is a typo.
    if isinstance(value, bool):
        raise ValueError(f"is {str(value).lower()}; a number belongs here, not true/false")
    return value


def _whole(value: Any) -> Any:
    value = _no_bool(value)
    return _OverlongWhole(value) if isinstance(value, OverlongInteger) else value


def _at_most(high: float, meaning: str) -> WrapValidator:
    """Refuse a value above ``high`` as a typo, saying what the bound means (the value is
    quoted as typed: an overlong integer by its number of digits)."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> float:
        result = handler(value)
        if result > high:
            raise ValueError(f"is {_quoted(value)}; above {high:g} ({meaning}) it is surely "
                             "a typo")
        return result

    return WrapValidator(check)


def _rate(low: float, high: float, what: str) -> WrapValidator:
    """Keep a rate within what a real business could have; a value that reads as a
    percentage (3 for 3%) is refused with the fraction that was probably meant."""

    def check(raw: Any, handler: ValidatorFunctionWrapHandler) -> float:
        value = handler(raw)
        if low <= value <= high:
            return value
        hint = limits.percent_hint(value, low, high)
        if hint:
            raise ValueError(f"is {value:g}; {what} of {value:.0%} is surely a percentage: "
                             f"{hint}")
        share = "" if isinstance(raw, OverlongInteger) else f" of {value:.0%}"
        raise ValueError(f"is {_quoted(raw)}; {what}{share} is past what a real business "
                         f"sees: give a fraction from {low:g} to {high:g} "
                         f"({low:.0%} to {high:.0%})")

    return WrapValidator(check)


_NO_BOOL = BeforeValidator(_no_bool)
_WHOLE = BeforeValidator(_whole)
Share = Annotated[float, _NO_BOOL, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, _NO_BOOL, Field(ge=0.0)]
Whole = Annotated[int, _WHOLE]
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


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a scenario or workload (blank, control characters), or
    None when it can: the schema's own rule, for a face that takes a name on its own."""
    try:
        _plain_name(name)
    except ValueError as exc:
        return str(exc)
    return None


class _Strict(BaseModel):
    """A schema section: unknown keys refused, no inf or nan."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, allow_inf_nan=False)
