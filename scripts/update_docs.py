"""Re-run every output block of README.md and docs/*.md and write its output in place.

Run it (``make docs``) after a change that moves a figure on purpose (forecast calibration,
prices, wording), then review ``git diff``: tests/test_docs.py checks the same blocks. How a
block is marked: tests/docs_blocks.py. Measured speed (docs/performance.md) is not re-run.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.docs_blocks import ROOT, documents, rewrite


def main() -> int:
    total = 0
    for path in documents():
        changed = rewrite(path)
        total += changed
        if changed:
            print(f"{path.relative_to(ROOT)}: {changed} block(s) rewritten")
    print(f"{total} block(s) changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
