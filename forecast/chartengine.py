"""The chart engine (vl-convert) under an address-space limit.

vl-convert runs Vega in a V8 engine, which reserves a large range of virtual addresses when
it starts (its "cage": address space, not memory; the pages are never touched). Under an
address-space limit (``ulimit -v``, ``RLIMIT_AS``) smaller than that reservation V8 aborts
the whole process natively, with no Python exception to catch. Measured here (vl-convert
1.9, a bare ``python -c "import vl_convert; ..."``): it works from 64.5 GiB of address
space and aborts at 64.25 GiB and below; :data:`ADDRESS_SPACE_NEEDED` adds a margin.

So, when charts are drawn:

- no address-space limit (the usual case): vl-convert runs in this process;
- a limit of at least :data:`ADDRESS_SPACE_NEEDED`: vl-convert runs in a child process of
  its own (one per process, started on the first chart, fed one chart spec per line), so
  the reservation does not add to this process's own addresses (a plan's arrays); if the
  child dies anyway, :class:`ChartEngineError` says why;
- a smaller limit: :func:`check_address_space` raises :class:`ChartEngineError` naming the
  limit and what is needed, before any work (``commitplan report`` checks first, so the
  simulation is not run for nothing).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from forecast.errors import PlannerError

#: Address space the chart engine needs: 65 GiB (measured 64.25 to 64.5 GiB, see above).
ADDRESS_SPACE_NEEDED = 65 * 2**30

_FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"

#: The child: read one JSON request a line ({"spec": ...}), answer one JSON line
#: ({"svg": ...} or {"error": ...}). It imports nothing of the planner, so its own address
#: space is the interpreter's and vl-convert's.
_CHILD = r"""
import json, sys
import vl_convert as vlc
vlc.register_font_directory(sys.argv[1])
for line in sys.stdin:
    try:
        answer = {"svg": vlc.vegalite_to_svg(json.loads(line)["spec"])}
    except Exception as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
"""


class ChartEngineError(PlannerError):
    """The charts cannot be drawn under this process's address-space limit (exit status 2
    in the CLI): the message names the limit and what is needed."""


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def address_space_limit() -> int | None:
    """This process's address-space limit in bytes (the soft ``RLIMIT_AS``, which
    ``ulimit -v`` sets), or None when there is none."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def _too_small(limit: int) -> str:
    need_kib = ADDRESS_SPACE_NEEDED // 1024
    return (f"the charts need {_gib(ADDRESS_SPACE_NEEDED)} of address space (the chart "
            "engine, vl-convert's V8, reserves about 64 GiB of virtual addresses when it "
            "starts; it uses far less memory), but this process's address-space limit "
            f"(ulimit -v, RLIMIT_AS) is {_gib(limit)} ({limit // 1024:,} KiB): raise it to "
            f"at least {need_kib:,} KiB (`ulimit -v {need_kib}`) or lift it "
            "(`ulimit -v unlimited`); a memory cgroup limit does not count the reservation")


def check_address_space() -> None:
    """Refuse, before any work, to draw charts under an address-space limit the chart
    engine cannot start in.

    Raises
    ------
    ChartEngineError
        When ``RLIMIT_AS`` is below :data:`ADDRESS_SPACE_NEEDED`, naming both.
    """
    limit = address_space_limit()
    if limit is not None and limit < ADDRESS_SPACE_NEEDED:
        raise ChartEngineError(_too_small(limit))


class _Child:
    """The chart engine in a child process, one request at a time."""

    def __init__(self) -> None:
        env = dict(os.environ, TZ="UTC")
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", _CHILD, str(_FONT_DIR)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
            encoding="utf-8")
        self.lock = threading.Lock()

    def render(self, spec: str) -> str:
        with self.lock:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
            try:
                stdin.write(json.dumps({"spec": spec}) + "\n")
                stdin.flush()
                line = stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
            if not line:
                raise ChartEngineError(self._death())
            answer = json.loads(line)
            if "error" in answer:
                raise RuntimeError(f"chart engine: {answer['error']}")
            return str(answer["svg"])

    def _death(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        code = self.process.returncode
        limit = address_space_limit()
        how = f"was killed by signal {-code}" if code is not None and code < 0 \
            else f"ended with status {code}"
        where = f" under an address-space limit of {_gib(limit)}" if limit is not None else ""
        return (f"the chart engine (vl-convert) {how}{where} while drawing a chart; "
                f"it needs about {_gib(ADDRESS_SPACE_NEEDED)} of address space and memory "
                "for the chart: raise the limit (ulimit -v) or free memory, then try again")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self.process.poll() is None:
            self.process.kill()


_child: _Child | None = None
_child_lock = threading.Lock()


def _the_child() -> _Child:
    global _child
    with _child_lock:
        if _child is None or _child.process.poll() is not None:
            _child = _Child()
            atexit.register(_child.close)
        return _child


def render_svg(spec: str | dict[str, Any]) -> str:
    """A Vega-Lite spec as SVG text, drawn offline by vl-convert, in this process or (under
    an address-space limit) in a child process.

    Parameters
    ----------
    spec : str or dict
        The chart's Vega-Lite JSON (``chart.to_json()``).

    Returns
    -------
    str
        The SVG document.

    Raises
    ------
    ChartEngineError
        Under an address-space limit below :data:`ADDRESS_SPACE_NEEDED`, or when the child
        process dies.
    """
    text = spec if isinstance(spec, str) else json.dumps(spec)
    if address_space_limit() is None:
        import vl_convert as vlc

        _register_fonts()
        return vlc.vegalite_to_svg(text)
    check_address_space()
    return _the_child().render(text)


_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    if not _fonts_registered:
        import vl_convert as vlc

        vlc.register_font_directory(str(_FONT_DIR))
        _fonts_registered = True
