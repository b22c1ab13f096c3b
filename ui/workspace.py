"""The workspace: a local folder that keeps what a session makes, so a reload loses nothing.

Every uploaded scenario, imported usage history (its scenario and import report) and saved
variant is written here as it is made: ``<id>.yaml`` (the scenario, loadable by
``commitplan``) and ``<id>.json`` (its name, kind, source file and import report). Both are
written atomically (a temporary file, then a rename), the scenario first: an entry is listed
once its JSON exists, so a crash between the two leaves nothing half-listed. A reload or a
server restart lists them again; an entry can be deleted, and the whole folder downloaded as
one zip archive.

Where: ``--workspace DIR`` after ``--`` on the ``streamlit run`` line, else the
``COMMITPLAN_WORKSPACE`` environment variable, else ``~/.commitplan/workspace`` (beside the
user's data, never inside the package).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from forecast.errors import ScenarioError
from forecast.scenario import (
    Scenario,
    atomic_write,
    dump_scenario,
    read_scenario_text,
    scenario_to_dict,
)

ENV_VAR = "COMMITPLAN_WORKSPACE"
FLAG = "--workspace"
DEFAULT_FOLDER = Path("~/.commitplan/workspace")


class EntryKind(StrEnum):
    """How a kept scenario was made."""

    UPLOAD = "upload"
    IMPORT = "import"
    VARIANT = "variant"


def workspace_folder(argv: Sequence[str], environ: Mapping[str, str]) -> Path:
    """The folder to keep the workspace in: ``--workspace DIR`` (or ``--workspace=DIR``) in
    the script's arguments, else ``$COMMITPLAN_WORKSPACE``, else the default."""
    for i, arg in enumerate(argv):
        if arg == FLAG and i + 1 < len(argv):
            return Path(argv[i + 1]).expanduser()
        if arg.startswith(FLAG + "="):
            return Path(arg.split("=", 1)[1]).expanduser()
    if environ.get(ENV_VAR, "").strip():
        return Path(environ[ENV_VAR].strip()).expanduser()
    return DEFAULT_FOLDER.expanduser()


@dataclass(frozen=True)
class Kept:
    """One scenario kept in the workspace.

    Attributes
    ----------
    id : str
        File stem of ``<id>.yaml`` and ``<id>.json``.
    data : dict
        The scenario (JSON-mode mapping, validated).
    source : str, optional
        The uploaded file name(s) it came from.
    report : dict, optional
        An import's report (``ui.importing.ImportRecord.to_dict``).
    """

    id: str
    name: str
    kind: EntryKind
    data: dict[str, Any]
    saved_at: str
    source: str | None = None
    report: dict[str, Any] | None = None


@dataclass(frozen=True)
class Unreadable:
    """A workspace file that could not be listed, and why."""

    file: str
    problem: str


def _stem(name: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
    return stem or "scenario"


class Workspace:
    """The workspace folder (created on the first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def entries(self) -> tuple[list[Kept], list[Unreadable]]:
        """Every kept scenario, oldest first, and the files that could not be read."""
        kept: list[Kept] = []
        unreadable: list[Unreadable] = []
        if not self.folder.is_dir():
            return kept, unreadable
        for meta_path in sorted(self.folder.glob("*.json")):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                scenario_path = self.folder / f"{meta_path.stem}.yaml"
                scenario = read_scenario_text(scenario_path.read_text(encoding="utf-8"),
                                              scenario_path.name, self.folder)
                kept.append(Kept(meta_path.stem, str(meta["name"]), EntryKind(meta["kind"]),
                                 _data(scenario), str(meta.get("saved_at", "")),
                                 meta.get("source"), meta.get("report")))
            except ScenarioError as exc:
                unreadable.append(Unreadable(meta_path.stem + ".yaml",
                                             "; ".join(exc.problems)))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                unreadable.append(Unreadable(meta_path.name, f"{type(exc).__name__}: {exc}"))
        kept.sort(key=lambda k: (k.saved_at, k.id))
        return kept, unreadable

    def _free_id(self, name: str) -> str:
        stem = _stem(name)
        candidate, n = stem, 2
        while (self.folder / f"{candidate}.json").exists() or (
                self.folder / f"{candidate}.yaml").exists():
            candidate, n = f"{stem}-{n}", n + 1
        return candidate

    def keep(self, name: str, kind: EntryKind, scenario: Scenario, source: str | None = None,
             report: dict[str, Any] | None = None, entry_id: str | None = None) -> Kept:
        """Write one scenario (over ``entry_id`` when given, else under a new id).

        Raises
        ------
        OSError
            When the folder cannot be written; nothing is listed then.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        entry_id = entry_id or self._free_id(name)
        saved_at = datetime.now(UTC).isoformat(timespec="microseconds")
        meta = {"name": name, "kind": str(kind), "saved_at": saved_at, "source": source,
                "scenario": f"{entry_id}.yaml", "report": report}
        atomic_write(self.folder / f"{entry_id}.yaml", dump_scenario(scenario))
        atomic_write(self.folder / f"{entry_id}.json",
                     json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        return Kept(entry_id, name, kind, _data(scenario), saved_at, source, report)

    def delete(self, entry_id: str) -> None:
        """Remove an entry: its JSON first, so that it is never listed half-deleted."""
        for suffix in (".json", ".yaml"):
            (self.folder / f"{entry_id}{suffix}").unlink(missing_ok=True)

    def archive(self) -> bytes:
        """The whole workspace as one zip archive (the scenarios and their JSON)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            if self.folder.is_dir():
                for path in sorted(self.folder.iterdir()):
                    if path.is_file() and path.suffix in (".yaml", ".json") and \
                            not path.name.startswith("."):
                        archive.write(path, f"commitplan-workspace/{path.name}")
        return buffer.getvalue()


def _data(scenario: Scenario) -> dict[str, Any]:
    return scenario_to_dict(scenario)
