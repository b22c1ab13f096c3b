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
import os
import re
import stat
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from forecast import (
    PlannerError,
    Scenario,
    ScenarioError,
    dump_scenario,
    read_scenario_text,
    scenario_to_dict,
)
from forecast.files import MAX_SCENARIO_BYTES
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


#: Most bytes read from one workspace file: a kept scenario is at most this big (the
#: scenario cap), its JSON far smaller. A larger file was not written here.
_MAX_FILE_BYTES = MAX_SCENARIO_BYTES
_FOREIGN = ("is a link or not a regular file; the workspace reads only the files it wrote "
            "itself, so it is left out")


class Workspace:
    """The workspace folder (created on the first write).

    Only the workspace's own files are read, listed or archived: a symbolic link (to
    ``/etc/passwd`` or anywhere else), a FIFO, a device or a folder put in it under a name
    the workspace uses is left out (and listed as unreadable when it would be an entry),
    and nothing is read or written through a linked subfolder.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def own(self, path: Path, folder: bool = False) -> bool:
        """True when ``path`` is a regular file (``folder``: a folder) inside the workspace,
        reached without following any link below the workspace folder itself."""
        try:
            relative = path.relative_to(self.folder)
        except ValueError:
            return False
        current = self.folder
        try:
            info = self.folder.stat()  # the folder itself may be a link the user set up
            for part in relative.parts:
                if part in ("", ".", ".."):
                    return False
                current = current / part
                info = current.lstat()
                if stat.S_ISLNK(info.st_mode):
                    return False
            return stat.S_ISDIR(info.st_mode) if folder else stat.S_ISREG(info.st_mode)
        except OSError:
            return False

    def _write(self, path: Path, payload: str | bytes) -> None:
        """Write a workspace file whole, never through a link: a link (or FIFO, device)
        found under the name is removed first, so the file written is the workspace's own
        (``atomic_write`` alone would follow a link and replace its target).

        Raises
        ------
        OSError
            When the folder to write in is reached through a link, or a folder has the name.
        """
        if not self.own(path.parent, folder=True):
            raise OSError(f"{path.parent.name} is a link or not a folder; the workspace "
                          "writes only into folders of its own")
        if path.is_symlink() or (path.exists() and not self.own(path)):
            if path.is_dir() and not path.is_symlink():
                raise OSError(f"{path.name} is a folder; move it out of the workspace")
            path.unlink()
        atomic_write(path, payload)

    def _read(self, path: Path) -> bytes:
        """A workspace file's bytes, never through a link (see :meth:`own`).

        Raises
        ------
        OSError
            When ``path`` is not one of the workspace's own regular files, or cannot be
            read; forecast.errors.UserFileError when it is larger than any it writes.
        """
        if not self.own(path):
            raise OSError(f"{path.name} {_FOREIGN}")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise OSError(f"{path.name} {_FOREIGN}")
            data = fh.read(_MAX_FILE_BYTES + 1)
        if len(data) > _MAX_FILE_BYTES:
            raise OSError(f"{path.name} is larger than any file the workspace writes; left "
                          "out")
        return data

    def entries(self) -> tuple[list[Kept], list[Unreadable]]:
        """Every kept scenario, oldest first, and the files that could not be read."""
        kept: list[Kept] = []
        unreadable: list[Unreadable] = []
        if not self.folder.is_dir():
            return kept, unreadable
        for meta_path in sorted(self.folder.glob("*.json")):
            if meta_path.name.startswith("."):
                continue  # a temporary file of a write in progress, or not ours
            foreign = [p.name for p in (meta_path, self.folder / f"{meta_path.stem}.yaml")
                       if (p.exists() or p.is_symlink()) and not self.own(p)]
            if foreign:
                unreadable.append(Unreadable(foreign[0], _FOREIGN))
                continue
            try:
                meta = json.loads(self._read(meta_path).decode("utf-8"))
                scenario_path = self.folder / f"{meta_path.stem}.yaml"
                scenario = read_scenario_text(self._read(scenario_path).decode("utf-8"),
                                              scenario_path.name, self.folder,
                                              allow_book_paths=False)
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
        self._write(self.folder / f"{entry_id}.yaml", dump_scenario(scenario))
        self._write(self.folder / f"{entry_id}.json",
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
                paths = [p for p in sorted(self.folder.iterdir())
                         if p.suffix in (".yaml", ".json")]
                if self.own(self.folder / TRACKING, folder=True):
                    paths += [p for p in sorted((self.folder / TRACKING).glob("*/*"))
                              if p.suffix in (".usage", ".json")]
                for path in paths:
                    if path.name.startswith(".") or not self.own(path):
                        continue  # links, FIFOs, devices, folders: not the workspace's
                    try:
                        data = self._read(path)
                    except (OSError, PlannerError):
                        continue
                    archive.writestr("commitplan-workspace/"
                                     f"{path.relative_to(self.folder).as_posix()}", data)
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
        if not self.own(manifest):  # none kept, or a link or special file: not a list of ours
            return []
        meta = json.loads(self._read(manifest).decode("utf-8"))
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
        if not any(p.is_symlink() for p in (folder.parent, folder)):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.own(folder, folder=True):
            raise OSError(f"{folder.relative_to(self.folder)} is a link or not a folder; "
                          "the workspace writes only into folders of its own")
        added = []
        for name, content in files:
            record = usage_file(name, content)
            path = folder / f"{record.digest}.usage"
            if not self.own(path):  # missing, or a link or special file put there
                self._write(path, content)
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
        return self._read(self.tracking_folder(scenario) / f"{file.digest}.usage")

    def delete_usage(self, scenario: str, names: Sequence[str] | None = None
                     ) -> list[UsageFile]:
        """Forget usage files of a scenario (all of them when ``names`` is None): the list
        first, then the bytes no file still listed uses. Returns what is still kept."""
        folder = self.tracking_folder(scenario)
        if not self.own(folder, folder=True):  # none kept, or a link: nothing of ours there
            return []
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
        self._write(self.tracking_folder(scenario) / _MANIFEST,
                    json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def _data(scenario: Scenario) -> dict[str, Any]:
    return scenario_to_dict(scenario)
