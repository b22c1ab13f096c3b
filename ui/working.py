"""Working copies: what is typed into a scenario during a call, kept in the workspace as it
is typed, so that a reload, a server restart or a second tab finds it again.

One file per scenario name, ``working/<name as a file name>-<hash of the name>.json`` under
the workspace folder: the scenario as edited (the workloads and offers tables, the contract
terms, uncertainty and simulation settings, JSON-mode data, valid, before the portfolio
levers), the portfolio levers, the view open, the Tracking tab's as-of month, when it was
written and a revision (a random id that tells one write from another). Written whole and
atomically (``forecast.files.write_output``); never through a link put under its name.

Two tabs on one workspace: the later write wins; the other tab, on its next run, sees a
revision it did not write (:meth:`WorkingCopies.stamp` changes first, a stat, so an
unchanged copy costs no read) and takes the copy up (``ui.state.ScenarioStore.check_working``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.scenario_io import atomic_write

#: The workspace's subfolder of working copies.
WORKING = "working"
#: Largest working copy read (a scenario is at most 4 MB; its copy is about as big).
_MAX_BYTES = 8 * 2**20


@dataclass(frozen=True)
class WorkingCopy:
    """One scenario's working copy.

    Attributes
    ----------
    scenario : str
        The scenario's name (the copy is found by it).
    data : dict
        The scenario as edited: valid JSON-mode scenario data, portfolio levers not applied.
    levers : dict
        ``ui.portfolio.PortfolioLevers`` as a mapping of its fields.
    view : str, optional
        The tab open when it was written.
    as_of : str, optional
        The Tracking tab's as-of month (``YYYY-MM``), None for the last full month.
    revision, saved_at : str
        A random id of this write, and when it was written (ISO 8601, UTC).
    """

    scenario: str
    data: dict[str, Any]
    levers: dict[str, Any] = field(default_factory=dict)
    view: str | None = None
    as_of: str | None = None
    revision: str = ""
    saved_at: str = ""

    def content(self) -> str:
        """What the copy says about the scenario (not the view, nor when): two copies of the
        same content are the same edit."""
        return json.dumps([self.data, self.levers, self.as_of], sort_keys=True)

    def saved_hhmm(self) -> str:
        """When it was written, ``HH:MM`` on this machine's clock."""
        try:
            return datetime.fromisoformat(self.saved_at).astimezone().strftime("%H:%M")
        except ValueError:
            return "?"


def _stem(name: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return stem or "scenario"


class WorkingCopies:
    """The working copies kept in a workspace folder (the subfolder is made on the first
    write)."""

    def __init__(self, workspace_folder: Path) -> None:
        self.folder = Path(workspace_folder) / WORKING

    def path(self, scenario: str) -> Path:
        """The copy's file: the name made a file name, and a short hash of the exact name
        (two names that read alike as file names stay apart)."""
        tag = hashlib.sha256(scenario.encode("utf-8")).hexdigest()[:10]
        return self.folder / f"{_stem(scenario)}-{tag}.json"

    def stamp(self, scenario: str) -> tuple[int, int, int] | None:
        """The copy file's (inode, mtime in ns, size), None when there is none: what changes
        when any tab writes it."""
        try:
            info = self.path(scenario).lstat()
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_size)

    def read(self, scenario: str) -> WorkingCopy | None:
        """The copy of ``scenario``, None when there is none.

        Raises
        ------
        OSError, ValueError, KeyError, TypeError
            A copy that is a link or not a regular file, too big, or damaged.
        """
        path = self.path(scenario)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise OSError(f"{path.name} is not a regular file")
            raw = fh.read(_MAX_BYTES + 1)
        if len(raw) > _MAX_BYTES:
            raise ValueError(f"{path.name} is larger than any working copy")
        meta = json.loads(raw.decode("utf-8"))
        if meta.get("scenario") != scenario or not isinstance(meta.get("data"), dict):
            raise ValueError(f"{path.name} is not the working copy of this scenario")
        levers = meta.get("levers") or {}
        if not isinstance(levers, dict):
            raise TypeError("levers is not a mapping")
        return WorkingCopy(scenario, meta["data"], levers, meta.get("view"),
                           meta.get("as_of"), str(meta.get("revision", "")),
                           str(meta.get("saved_at", "")))

    def write(self, scenario: str, data: dict[str, Any], levers: dict[str, Any],
              view: str | None, as_of: str | None) -> WorkingCopy:
        """Write the copy of ``scenario`` (a new revision) and return it.

        Raises
        ------
        OSError or forecast.errors.PlannerError
            When the folder cannot be written (or is a link); the copy on disk is then as it
            was.
        """
        if self.folder.is_symlink():
            raise OSError(f"{self.folder} is a link; working copies are kept in a folder of "
                          "the workspace's own")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(scenario)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            path.unlink()
        copy = WorkingCopy(scenario, data, levers, view, as_of, uuid.uuid4().hex,
                           datetime.now(UTC).isoformat(timespec="microseconds"))
        meta = {"scenario": scenario, "revision": copy.revision, "saved_at": copy.saved_at,
                "view": view, "as_of": as_of, "levers": levers, "data": data}
        atomic_write(path, json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n")
        return copy

    def drop(self, scenario: str) -> None:
        """Forget the copy of ``scenario`` (no error when there is none)."""
        self.path(scenario).unlink(missing_ok=True)
