"""Scenario files: YAML/JSON text read into a validated :class:`~forecast.scenario.Scenario`
(every independent problem at once, each line naming its field; a YAML loader refusing
duplicate keys and deep nesting) and written back, atomically.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from forecast import limits
from forecast.errors import ScenarioError, UserFileError
from forecast.files import MAX_SCENARIO_BYTES, read_bounded, write_output
from forecast.pricebook import PriceBook, load_price_book
from forecast.scenario import Scenario, scenario_to_dict
from forecast.scenario_checks import _price_book_problems, _spend_problems
from forecast.scenario_messages import _show, validation_problems
from forecast.scenario_values import NotADate, OverlongInteger


# --------------------------------------------------------------------------- load / save
def parse_scenario(data: Any, source: str | None = None, base_dir: Path | None = None,
                   allow_book_paths: bool = True) -> Scenario:
    """Validate a scenario mapping, including its price book and model names.

    Every independent problem is reported in one go: the schema's, and those with the price
    book and the model names even when the schema has others.

    Parameters
    ----------
    data : object
        The parsed file (a mapping).
    source : str, optional
        The file it came from, for the message.
    base_dir : Path, optional
        Folder a relative ``price_book`` path is resolved against.
    allow_book_paths : bool
        False for a scenario from outside (an upload): a ``price_book`` that is not a
        bundled id is refused without touching the filesystem.

    Raises
    ------
    ScenarioError
        With one problem per line, each naming the field.
    """
    if not isinstance(data, dict):
        raise ScenarioError(["the file must hold a mapping (name:, workloads:, ...), "
                             f"not {type(data).__name__}"], source)
    book, book_problems = _price_book_problems(data, base_dir, allow_book_paths)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc) + book_problems, source) from None
    if book_problems:
        raise ScenarioError(book_problems, source)
    if book is not None:
        spend = _spend_problems(scenario, book)
        if spend:
            raise ScenarioError(spend, source)
    return scenario


class _FileProblem(Exception):
    """A scenario file that YAML can read but the planner will not (duplicate keys, nesting
    too deep, too many values)."""


class _ScenarioLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing duplicate keys and nesting deeper than
    :data:`limits.MAX_NESTING` (which would otherwise end in a RecursionError)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > limits.MAX_NESTING:
                line = self.peek_event().start_mark.line + 1
                raise _FileProblem(f"line {line}: nested more than {limits.MAX_NESTING} levels "
                                   "deep; a scenario is at most 5 levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *defaults` may be overridden on purpose
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    earlier = first_line.get(key)
                except TypeError:
                    continue  # unhashable: the base class says so
                if earlier is not None:
                    raise _FileProblem(
                        f"line {line}: duplicate key {_show(key)} (first on line {earlier}); "
                        "each key may appear once in a mapping")
                first_line[key] = line
        return super().construct_mapping(node, deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """An integer; one past the float range (or too long for Python to read at all) as an
    :class:`~forecast.scenario.OverlongInteger`, which every number field refuses by its
    bound."""
    try:
        value = yaml.SafeLoader.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        value = None
    if value is None or abs(value) > sys.float_info.max:
        digits = sum(ch.isdigit() for ch in node.value)
        return OverlongInteger(digits, node.value.lstrip().startswith("-"))
    return value


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:  # 2026-02-30, 2027-13-01
        return NotADate(node.value, str(exc))


_ScenarioLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_ScenarioLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _too_many_values(data: Any, cap: int) -> bool:
    """True when ``data`` holds more than ``cap`` values, counting each use of a YAML alias
    (a few nested aliases can stand for billions of values); stops counting at the cap."""
    stack, count = [data], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > cap:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _parse_text(text: str) -> Any:
    """YAML or JSON text to plain data, or ScenarioError-ready problem lines."""
    loader = _ScenarioLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_scenario_text(text: str, source: str = "<scenario>", base_dir: Path | None = None,
                       allow_book_paths: bool = True) -> Scenario:
    """Parse YAML or JSON text (JSON is YAML) into a validated scenario.

    Parameters
    ----------
    text : str
        The file's text; at most :data:`forecast.files.MAX_SCENARIO_BYTES` characters.
    source : str
        The file's name, for the messages.
    base_dir : Path, optional
        Folder a relative ``price_book`` path is resolved against.
    allow_book_paths : bool
        False for an uploaded scenario: its ``price_book`` must be a bundled id
        (``anthropic-2026-11``); a path is refused without looking at the filesystem, so an
        upload cannot probe or quote the server's files.

    Raises
    ------
    ScenarioError
        Naming the line (for a file YAML cannot read) or the field.
    """
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError([f"is larger than {MAX_SCENARIO_BYTES // (1024 * 1024)} MiB, the "
                             "most a scenario file may be; is it the right file?"], source)
    if not text.strip():
        raise ScenarioError(["the file is empty; a scenario needs at least name and workloads"],
                            source)
    try:
        data = _parse_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{where}not valid YAML/JSON ({problem})"], source) from None
    except _FileProblem as exc:
        raise ScenarioError([str(exc)], source) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # A value YAML's own constructors reject (a date 2027-13-45, an integer of 5,000
        # digits) or an alias cycle.
        raise ScenarioError([f"not valid YAML/JSON ({type(exc).__name__}: "
                             f"{_show(str(exc), 120)})"], source) from None
    if _too_many_values(data, limits.MAX_VALUES):
        raise ScenarioError([f"holds more than {limits.MAX_VALUES:,} values once its YAML "
                             "aliases (*name) are expanded; a scenario is far smaller"], source)
    return parse_scenario(data, source, base_dir, allow_book_paths)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (``.yaml``, ``.yml`` or ``.json``).

    At most :data:`forecast.files.MAX_SCENARIO_BYTES` are read. A relative ``price_book``
    path is resolved against the scenario's folder.
    """
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_SCENARIO_BYTES, "scenario")
    except UserFileError as exc:
        raise ScenarioError([exc.problem], str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"is not UTF-8 text (byte {exc.start + 1} is {raw[exc.start]:#04x}); "
                             "save it as UTF-8"], str(path)) from None
    return read_scenario_text(text, str(path), path.parent)


def dump_scenario(scenario: Scenario, fmt: str = "yaml") -> str:
    """Serialise to YAML (default) or JSON text; loading it gives back an equal scenario."""
    data = scenario_to_dict(scenario)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def atomic_write(path: str | Path, payload: str | bytes) -> None:
    """Write a file all at once (see :func:`forecast.files.write_output`)."""
    write_output(path, payload)


def save_scenario(scenario: Scenario, path: str | Path) -> None:
    """Save as YAML, or JSON when the path ends in ``.json``; written atomically."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    write_output(path, dump_scenario(scenario, fmt), what="the scenario")


def scenario_price_book(scenario: Scenario, base_dir: Path | None = None) -> PriceBook:
    """The price book a validated scenario names."""
    return load_price_book(scenario.price_book, base_dir)
