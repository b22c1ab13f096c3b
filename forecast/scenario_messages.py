"""Scenario messages: one readable line per problem, led by the path of the field it
concerns (``workloads[1].optimized.models: shares sum to 1.2; they must sum to 1``), never a
traceback; several independent problems a model validator reports together.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from forecast import limits

_SUBFIELD = "\x00"  # separates a sub-field path from the message in model validators
_NEXT = "\x01"  # separates the problems one model validator reports together


def _at(field: str, message: str) -> ValueError:
    """A validation error about ``field`` below the model being validated."""
    return _each([(field, message)])


def _each(problems: list[tuple[str, str]]) -> ValueError:
    """One validation error carrying several independent problems, each with its field."""
    return ValueError(_NEXT.join(f"{field}{_SUBFIELD}{message}" for field, message in problems))


def _show(value: Any, limit: int = 60) -> str:
    """A value as the message quotes it: repr, shortened when long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- messages
def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # A key is user text: one with control characters is quoted, never printed raw.
            text = str(part)
            out += ("." if out else "") + (text if text.isprintable() else _show(text))
    return out


#: Error kinds whose message is led by the value given (``is 1.5; ...``).
_QUOTE_INPUT = frozenset({
    "greater_than_equal", "less_than_equal", "greater_than", "less_than", "enum",
    "finite_number", "float_parsing", "float_type", "int_parsing", "int_type",
    "int_from_float", "bool_parsing", "bool_type", "string_type",
})


def _format_error(err: dict[str, Any]) -> list[str]:
    """The lines of one pydantic error: one, or several when a model validator reported
    several independent problems together."""
    loc = tuple(err["loc"])
    msg: str = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if _SUBFIELD in msg:
        lines = []
        for part in msg.split(_NEXT):
            sub, _, text = part.partition(_SUBFIELD)
            path = _path(loc + tuple(_split_path(sub)))
            lines.append(f"{path}: {text}" if path else text)
        return lines
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return [f"{_path(loc)}: unknown field {_show(loc[-1])}; check its spelling "
                "(see the README)"]
    if kind == "missing":
        return [f"{_path(loc)}: missing; this field is required"]
    if kind == "finite_number":
        msg = f"is {_show(value)}; give a finite number (not .inf, .nan or an overflow)"
    elif kind == "string_pattern_mismatch" and loc and loc[-1] == "start":
        msg = f"is {_show(value)}; give the contract's first month as YYYY-MM, e.g. 2027-01"
    elif kind in _QUOTE_INPUT and isinstance(value, int | float | str | bool | None):
        msg = f"is {_show(value)}; {msg[0].lower()}{msg[1:]}"
        limit = (err.get("ctx") or {}).get("le", (err.get("ctx") or {}).get("lt"))
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and isinstance(limit, int | float) and limit <= 1:
            hint = limits.percent_hint(float(value), 0.0, float(limit))
            if hint:
                msg += f"; a share or rate is a fraction: {hint}"
    path = _path(loc)
    return [f"{path}: {msg}" if path else msg]


def _split_path(text: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in text.split("."):
        name, *indices = chunk.replace("]", "").split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in indices)
    return parts


def _first_message(exc: ValidationError) -> str:
    return _format_error(exc.errors()[0])[0]


def validation_problems(exc: ValidationError) -> list[str]:
    """One readable line per problem, each led by its field path."""
    return [line for e in exc.errors() for line in _format_error(e)]
