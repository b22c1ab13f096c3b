"""Print the mutation score per module from mutmut's results (``make mutation``).

Reads ``mutmut results --all true`` (run from the repository root after ``mutmut run``) and
the equivalent mutants listed in docs/mutation.md (each named in backquotes with its reason).
For each module: killed / (total - equivalent), the survivors, the mutants no test reached
and the ones not run yet. Exits 1 when a module is under the target (95%) or a listed
equivalent mutant no longer exists (the code moved: the list needs updating).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.95
EQUIVALENT = re.compile(r"`(forecast\.[\w.ǁ]+__mutmut_\d+)`")
LINE = re.compile(r"^\s*(forecast\.[\w.ǁ]+__mutmut_\d+): (.+)$")
KILLED = {"killed", "timeout"}


def module_of(name: str) -> str:
    """``forecast.contract.x_evaluate__mutmut_3`` -> ``forecast/contract.py``."""
    head = name.split(".x", 1)[0]
    return head.replace(".", "/") + ".py"


def main() -> int:
    mutmut = Path(sys.executable).parent / "mutmut"
    out = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    status = {m.group(1): m.group(2).strip() for m in map(LINE.match, out.splitlines()) if m}
    listed = EQUIVALENT.findall((ROOT / "docs" / "mutation.md").read_text(encoding="utf-8"))
    stale = sorted(set(listed) - set(status))
    by_module: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, state in status.items():
        kind = "equivalent" if name in listed else "killed" if state in KILLED else state
        by_module[module_of(name)][kind].append(name)
    ok = not stale
    print(f"{'module':<28} {'killed':>7} {'scored':>7} {'score':>7} {'equiv.':>7} "
          f"{'survived':>9} {'no tests':>9} {'not run':>8}")
    for module in sorted(by_module):
        k = by_module[module]
        scored = sum(len(v) for kind, v in k.items() if kind != "equivalent")
        killed = len(k["killed"])
        score = killed / scored if scored else 1.0
        ok &= score >= TARGET
        print(f"{module:<28} {killed:>7} {scored:>7} {score:>7.1%} {len(k['equivalent']):>7} "
              f"{len(k['survived']):>9} {len(k['no tests']):>9} {len(k['not checked']):>8}")
    for module in sorted(by_module):
        for kind in ("survived", "no tests", "suspicious", "segfault"):
            for name in sorted(by_module[module].get(kind, [])):
                print(f"  {kind}: {name}  (mutmut show {name})")
    for name in stale:
        print(f"  listed as equivalent in docs/mutation.md but no longer generated: {name}")
    print(f"target: {TARGET:.0%} of the non-equivalent mutants killed in every module: "
          + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
