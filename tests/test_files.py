"""User files: bounded reads and output targets that lose nothing (forecast/files.py).

Every case is made in a temporary folder: a symlink, a FIFO, a character device node, a
read-only file, an output equal to an input, a SIGTERM in the middle of a write.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from forecast.errors import UserFileError
from forecast.files import (
    MAX_SCENARIO_BYTES,
    TargetKind,
    check_output,
    read_bounded,
    write_output,
)
from tests.conftest import ROOT

SMALL = ROOT / "scenarios" / "team-three-workloads.yaml"


def cli(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forecast", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, **kwargs)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- reading
def test_read_bounded_reads_a_file_up_to_the_cap(tmp_path: Path):
    path = tmp_path / "ten.txt"
    path.write_bytes(b"0123456789")
    assert read_bounded(path, 10, "scenario") == b"0123456789"  # exactly the cap: fine
    with pytest.raises(UserFileError, match=r"ten\.txt: is larger than 9 bytes, the most a "
                                            r"scenario file may be"):
        read_bounded(path, 9, "scenario")


def test_read_bounded_ends_an_endless_source_at_the_cap():
    # /dev/zero never ends: the read stops after cap + 1 bytes with the cap in the message.
    with pytest.raises(UserFileError, match=r"/dev/zero: is larger than 4 MiB"):
        read_bounded("/dev/zero", MAX_SCENARIO_BYTES, "scenario")


def test_read_bounded_names_a_missing_file_and_a_folder(tmp_path: Path):
    with pytest.raises(UserFileError, match=r"nope\.yaml: no such file"):
        read_bounded(tmp_path / "nope.yaml", 100)
    with pytest.raises(UserFileError, match=r"is a folder"):
        read_bounded(tmp_path, 100)


def test_validate_dev_zero_exits_2_quickly():
    result = cli("validate", "/dev/zero")
    assert result.returncode == 2
    assert "/dev/zero: is larger than 4 MiB, the most a scenario file may be" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


# --------------------------------------------------------------------------- regular files
def test_new_file_honours_the_umask(tmp_path: Path):
    old = os.umask(0o027)
    try:
        write_output(tmp_path / "out.txt", "hello\n")
    finally:
        os.umask(old)
    # 0666 less the umask 0027 is 0640 (rw-r-----), as the shell's `>` creates it.
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o640
    assert (tmp_path / "out.txt").read_text() == "hello\n"


def test_overwrite_keeps_the_files_mode(tmp_path: Path):
    out = tmp_path / "out.txt"
    out.write_text("old")
    out.chmod(0o604)
    write_output(out, b"new")
    assert out.read_bytes() == b"new"
    assert stat.S_IMODE(out.stat().st_mode) == 0o604
    assert names(tmp_path) == ["out.txt"]  # no temporary file left


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch):
    out = tmp_path / "out.txt"
    out.write_text("old")

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("forecast.files.os.fsync", full_disk)
    with pytest.raises(UserFileError, match=r"out\.txt: cannot write the output \(No space"):
        write_output(out, "new")
    assert out.read_text() == "old"
    assert names(tmp_path) == ["out.txt"]


def test_ctrl_c_during_a_write_removes_the_temporary(tmp_path: Path, monkeypatch):
    out = tmp_path / "out.txt"

    def interrupted(_fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("forecast.files.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_output(out, "new")
    assert names(tmp_path) == []


def test_the_sigterm_handler_is_restored_after_a_write(tmp_path: Path):
    before = signal.getsignal(signal.SIGTERM)
    write_output(tmp_path / "out.txt", "x")
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_during_a_write_removes_the_temporary(tmp_path: Path):
    # The child stalls inside the write (after the temporary file is written, before its
    # rename) and says so; the parent then sends SIGTERM. The child must end by SIGTERM,
    # leaving the old file as it was and no temporary file.
    out = tmp_path / "plan.txt"
    out.write_text("the previous plan")
    child = textwrap.dedent(f"""
        import sys, time
        import forecast.files as files

        def stall(fd):
            print("ready", flush=True)
            time.sleep(60)

        files.os.fsync = stall
        files.write_output({str(out)!r}, "x" * 1_000_000)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        assert len(names(tmp_path)) == 2  # the temporary file exists while it stalls
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()
    assert names(tmp_path) == ["plan.txt"]
    assert out.read_text() == "the previous plan"


# --------------------------------------------------------------------------- targets
def test_symlink_is_followed_and_stays_a_link(tmp_path: Path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    write_output(link, "new")
    assert link.is_symlink() and os.readlink(link) == "real.txt"
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert names(tmp_path) == ["link.txt", "real.txt"]


def test_dangling_symlink_creates_its_target(tmp_path: Path):
    link = tmp_path / "link.txt"
    link.symlink_to("made.txt")
    write_output(link, "new")
    assert link.is_symlink() and (tmp_path / "made.txt").read_text() == "new"


def test_fifo_is_written_in_place_and_stays_a_fifo(tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert check_output(fifo).kind is TargetKind.IN_PLACE
    write_output(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_character_device_is_written_in_place_and_stays_a_device(tmp_path: Path):
    # A node of the null device (major 1, minor 3) made here, so the real /dev/null is never
    # at stake; creating one needs root (CAP_MKNOD).
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    write_output(node, b"discarded")
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert names(tmp_path) == ["null"]


def test_block_device_is_refused_before_anything_is_written(tmp_path: Path):
    node = tmp_path / "disk"
    try:
        os.mknod(node, stat.S_IFBLK | 0o600, os.makedev(7, 250))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    with pytest.raises(UserFileError, match=r"disk: is a block device"):
        check_output(node)


def test_dev_stdout_appends_to_the_file_behind_the_descriptor(tmp_path: Path):
    # `commitplan project s.yaml -o /dev/stdout >> log.txt`: the output is added to the log,
    # which stays the same regular file (atomically replacing it would drop its lines).
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    inode = log.stat().st_ino
    with open(log, "ab") as fh:
        result = subprocess.run([sys.executable, "-m", "forecast", "project", str(SMALL),
                                 "--csv", "-o", "/dev/stdout"], stdout=fh,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    text = log.read_text()
    assert text.startswith("earlier line\nmonth,workload,current,optimized,saving\n")
    assert log.stat().st_ino == inode and names(tmp_path) == ["log.txt"]


def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    result = cli("project", str(SMALL), "--json", "-o", "/dev/null")
    assert result.returncode == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_read_only_file_is_refused_as_the_shell_refuses_it(tmp_path: Path):
    # Held to the file's mode even as root, whom the kernel would let write.
    out = tmp_path / "keep.txt"
    out.write_text("keep me")
    out.chmod(0o444)
    with pytest.raises(UserFileError, match=r"keep\.txt: cannot write: permission denied"):
        write_output(out, "new")
    assert out.read_text() == "keep me" and names(tmp_path) == ["keep.txt"]


def test_folder_and_missing_folder_are_refused(tmp_path: Path):
    with pytest.raises(UserFileError, match=r"is a folder"):
        write_output(tmp_path, "x")
    with pytest.raises(UserFileError, match=r"no/such is not an existing folder"):
        write_output(tmp_path / "no" / "such" / "x.txt", "x")
    assert names(tmp_path) == []


@pytest.mark.parametrize("alias", ["same", "dotted", "symlink", "hardlink"])
def test_output_equal_to_an_input_is_refused(tmp_path: Path, alias: str):
    source = tmp_path / "s.yaml"
    source.write_text("name: x\n")
    out = {"same": source, "dotted": tmp_path / "." / "s.yaml",
           "symlink": tmp_path / "link.yaml", "hardlink": tmp_path / "hard.yaml"}[alias]
    if alias == "symlink":
        out.symlink_to(source)
    elif alias == "hardlink":
        os.link(source, out)
    with pytest.raises(UserFileError) as info:
        write_output(out, "overwritten", inputs=[source])
    assert str(out) in str(info.value) and f"is the input {source} itself" in str(info.value)
    assert source.read_text() == "name: x\n"


@pytest.mark.parametrize("command", [("report",), ("plan", "--json"), ("project", "--csv")])
def test_cli_refuses_output_equal_to_the_scenario(tmp_path: Path, command: tuple[str, ...]):
    scenario = tmp_path / "s.yaml"
    original = SMALL.read_bytes()
    scenario.write_bytes(original)
    result = cli(command[0], "s.yaml", *command[1:], "-o", "./s.yaml", "--paths", "100",
                 cwd=tmp_path) if command[0] != "project" else \
        cli(command[0], "s.yaml", *command[1:], "-o", "./s.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "./s.yaml: is the input s.yaml itself" in result.stderr
    assert "Traceback" not in result.stderr
    assert scenario.read_bytes() == original and names(tmp_path) == ["s.yaml"]


def test_cli_refuses_output_equal_to_the_price_book(tmp_path: Path):
    book = tmp_path / "book.yaml"
    book.write_bytes((ROOT / "forecast" / "data" / "pricebooks" /
                      "anthropic-2026-11.yaml").read_bytes())
    text = SMALL.read_text().replace("price_book: anthropic-2026-11", "price_book: book.yaml")
    (tmp_path / "s.yaml").write_text(text)
    result = cli("plan", "s.yaml", "--paths", "100", "--no-sensitivity", "-o", "book.yaml",
                 cwd=tmp_path)
    assert result.returncode == 2 and "is the input" in result.stderr, result.stderr
    assert book.read_bytes().startswith(b"# Claude API list prices")
