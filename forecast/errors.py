"""Errors a user can act on: each names the field, file or row and what would be right."""

from __future__ import annotations


class PlannerError(Exception):
    """Base class for every error caused by user input (exit status 2 in the CLI)."""


class ScenarioError(PlannerError):
    """A scenario file that cannot be read or does not validate.

    Parameters
    ----------
    problems : list of str
        One line per problem, each starting with the field path
        (``workloads[1].optimized.models: shares sum to 1.2; they must sum to 1``).
    source : str, optional
        The file the scenario came from, for the message header.
    """

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            message = f"{head}{self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class PriceBookError(PlannerError):
    """A price book that cannot be found or read, or a model it does not price."""


class ContractError(PlannerError):
    """Contract terms that cannot be evaluated (e.g. a commitment ramp longer than the term)."""


class ImportUsageError(PlannerError):
    """A usage-history file that cannot be imported; names the file, row or bucket."""


class UserFileError(PlannerError):
    """A user's file that cannot be read or written (missing, too large, a folder, read-only,
    or an output that would overwrite an input).

    Parameters
    ----------
    path : str or path-like
        The file concerned.
    problem : str
        What is wrong and what would be right.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
