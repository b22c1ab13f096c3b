"""The workspace: a local folder that keeps what a session makes, so a reload loses nothing.

Every uploaded scenario, imported usage history (its scenario and import report) and saved
variant is written here as it is made: ``<id>.yaml`` (the scenario, loadable by
``commitplan``) and ``<id>.json`` (its name, kind, source file and import report). Both are
written atomically (a temporary file, then a rename), the scenario first: an entry is listed
once its JSON exists, so a crash between the two leaves nothing half-listed. A reload or a
server restart lists them again; an entry can be deleted, and the whole folder downloaded as
one zip archive.

Usage to date uploaded to track a signed contract (the Tracking tab) is kept per scenario,
bundled ones included, under ``tracking/<scenario key>/``: each file's bytes as
``<sha256>.usage`` (named by content, never by the uploaded name, so no name can reach
outside the folder), then ``files.json`` listing them (the scenario's name, each file's name,
digest, size, when it was kept), written last and atomically like an entry's JSON.

Where: ``--workspace DIR`` after ``--`` on the ``streamlit run`` line, else the
``COMMITPLAN_WORKSPACE`` environment variable, else ``~/.commitplan/workspace`` (beside the
user's data, never inside the package).
"""

from __future__ import annotations

import hashlib
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

from forecast import Scenario, ScenarioError, dump_scenario, read_scenario_text, scenario_to_dict
from forecast.scenario_io import atomic_write

ENV_VAR = "COMMITPLAN_WORKSPACE"
#: The subfolder that keeps usage to date per tracked scenario.
TRACKING = "tracking"
_MANIFEST = "files.json"
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


@dataclass(frozen=True)
class UsageFile:
    """A usage file kept to track a scenario: its uploaded name, and its bytes' SHA-256
    (``digest``, hex), which names its copy in the workspace."""

    name: str
    digest: str
    size: int
    saved_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.digest, "size": self.size,
                "saved_at": self.saved_at}


def usage_file(name: str, content: bytes) -> UsageFile:
    """The record of one uploaded usage file, kept now."""
    return UsageFile(name, hashlib.sha256(content).hexdigest(), len(content),
                     datetime.now(UTC).isoformat(timespec="microseconds"))


def merge_usage(kept: Sequence[UsageFile], added: Sequence[UsageFile]) -> list[UsageFile]:
    """``kept`` with ``added``: a file of a name already kept (or added before it) replaces
    it (a newer export of the same period), any other is added after them."""
    out = list(kept)
    for f in added:
        out = [*(g for g in out if g.name != f.name), f]
    return out


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
        """The whole workspace as one zip archive (the scenarios and their JSON, and the
        usage kept for tracking)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            if self.folder.is_dir():
                for path in sorted(self.folder.iterdir()):
                    if path.is_file() and path.suffix in (".yaml", ".json") and \
                            not path.name.startswith("."):
                        archive.write(path, f"commitplan-workspace/{path.name}")
                for path in sorted((self.folder / TRACKING).glob("*/*")):
                    if path.is_file() and path.suffix in (".usage", ".json") and \
                            not path.name.startswith("."):
                        archive.write(path, "commitplan-workspace/"
                                      f"{path.relative_to(self.folder).as_posix()}")
        return buffer.getvalue()

    # -- usage to date, per tracked scenario ------------------------------------------------
    def tracking_folder(self, scenario: str) -> Path:
        """Where a scenario's usage is kept: its name made a file name, and a short hash of
        the exact name (two names that read alike as file names stay apart)."""
        tag = hashlib.sha256(scenario.encode("utf-8")).hexdigest()[:10]
        return self.folder / TRACKING / f"{_stem(scenario)[:40]}-{tag}"

    def usage_files(self, scenario: str) -> list[UsageFile]:
        """The usage kept for a scenario, in the order it was kept.

        Raises
        ------
        OSError, ValueError, KeyError, TypeError
            When the list cannot be read (a damaged ``files.json``).
        """
        manifest = self.tracking_folder(scenario) / _MANIFEST
        if not manifest.is_file():
            return []
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        return [UsageFile(str(f["name"]), str(f["sha256"]), int(f["size"]),
                          str(f.get("saved_at", ""))) for f in meta["files"]]

    def keep_usage(self, scenario: str, files: Sequence[tuple[str, bytes]]) -> list[UsageFile]:
        """Keep usage files for a scenario (a file of a name already kept replaces it);
        returns every file kept for it. The bytes are written first, the list last.

        Raises
        ------
        OSError or forecast.errors.PlannerError
            When the folder cannot be written; the list is then as it was.
        """
        folder = self.tracking_folder(scenario)
        folder.mkdir(parents=True, exist_ok=True)
        added = []
        for name, content in files:
            record = usage_file(name, content)
            path = folder / f"{record.digest}.usage"
            if not path.exists():
                atomic_write(path, content)
            added.append(record)
        before = self.usage_files(scenario)
        kept = merge_usage(before, added)
        self._write_manifest(scenario, kept)
        self._drop_unlisted(folder, [*before, *added], kept)
        return kept

    def usage_content(self, scenario: str, file: UsageFile) -> bytes:
        """The bytes of a kept usage file.

        Raises
        ------
        OSError
            When its copy is gone.
        """
        return (self.tracking_folder(scenario) / f"{file.digest}.usage").read_bytes()

    def delete_usage(self, scenario: str, names: Sequence[str] | None = None
                     ) -> list[UsageFile]:
        """Forget usage files of a scenario (all of them when ``names`` is None): the list
        first, then the bytes no file still listed uses. Returns what is still kept."""
        folder = self.tracking_folder(scenario)
        kept = self.usage_files(scenario)
        left = [] if names is None else [f for f in kept if f.name not in names]
        if left:
            self._write_manifest(scenario, left)
        else:
            (folder / _MANIFEST).unlink(missing_ok=True)
        self._drop_unlisted(folder, kept, left)
        if not left and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        return left

    @staticmethod
    def _drop_unlisted(folder: Path, before: Sequence[UsageFile], now: Sequence[UsageFile]
                       ) -> None:
        """Remove the bytes of files listed ``before`` that no file listed ``now`` uses."""
        used = {f.digest for f in now}
        for f in before:
            if f.digest not in used:
                (folder / f"{f.digest}.usage").unlink(missing_ok=True)

    def _write_manifest(self, scenario: str, files: Sequence[UsageFile]) -> None:
        meta = {"scenario": scenario, "files": [f.to_dict() for f in files]}
        atomic_write(self.tracking_folder(scenario) / _MANIFEST,
                     json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def _data(scenario: Scenario) -> dict[str, Any]:
    return scenario_to_dict(scenario)
