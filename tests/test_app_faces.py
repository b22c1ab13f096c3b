"""The app, the CLI text and the PDF quote one saving for the same seed (issue 10).

Each face is read as a buyer reads it: the app's headline metric through AppTest (its figure
and, in its help, the whole dollars), the ``commitplan plan`` text through
``forecast.cli.main`` in this process, the PDF's first page through pypdf. Same scenario,
paths and seed; the saving is compared in whole dollars, and the app's short figure is those
dollars written the page's way (``usd_short``: $19,136,623 reads $19.14M).
"""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from forecast.cli import main
from forecast.formatting import usd_short
from forecast.plan import SAVING_LABEL, build_plan
from forecast.report import render_pdf
from forecast.scenario_io import load_scenario, scenario_price_book
from tests.conftest import ROOT
from tests.test_app import _fresh, metric, open_app  # noqa: F401  (_fresh: autouse fixture)
from ui.text import md

SCENARIO = ROOT / "scenarios" / "enterprise-portfolio.yaml"
PATHS = 400
DOLLARS = r"\$([\d,]+)"


def whole_dollars(text: str) -> int:
    return int(text.replace(",", ""))


def app_saving() -> tuple[str, int]:
    """The headline's figure as shown, and the whole dollars its help gives."""
    at = open_app(PATHS)
    label = SAVING_LABEL[:1].upper() + SAVING_LABEL[1:]
    shown = metric(at, label)
    help_text = next(m.proto.help for m in at.metric if m.label == label)
    found = re.match(re.escape(md("$")) + r"([\d\\,]+)" + re.escape(md(":")), help_text)
    assert found, help_text
    return shown, whole_dollars(found.group(1).replace("\\", ""))


def cli_saving(capsys) -> int:
    """``commitplan plan`` as text: the bridge's saving line."""
    assert main(["plan", str(SCENARIO), "--paths", str(PATHS), "--no-sensitivity"]) == 0
    text = capsys.readouterr().out
    found = re.search(rf"^\s+{re.escape(SAVING_LABEL)}: {DOLLARS} \(vs pay as you go",
                      text, re.MULTILINE)
    assert found, text[:2000]
    return whole_dollars(found.group(1))


def pdf_saving() -> int:
    """Page 1 of the PDF: the figure under the saving's label (its tile)."""
    scenario = load_scenario(SCENARIO)
    plan = build_plan(scenario, scenario_price_book(scenario), paths=PATHS,
                      seed=scenario.simulation.seed, sensitivity=False)
    page = PdfReader(io.BytesIO(render_pdf(plan))).pages[0].extract_text()
    flat = " ".join(page.split())
    found = re.search(re.escape(SAVING_LABEL.upper()) + " " + DOLLARS, flat)
    assert found, flat[:2000]
    return whole_dollars(found.group(1))


def test_the_app_the_cli_and_the_pdf_show_the_same_saving(capsys):
    shown, app = app_saving()
    cli = cli_saving(capsys)
    pdf = pdf_saving()
    assert app == cli == pdf
    assert shown == usd_short(app)
    # The saving is the one the bridge ends on: well under today's path at list, above 0.
    assert 0 < app
