"""One decision, one amount: the app's headline, `plan`'s text, page 1 of both PDF copies,
the vendor copy's proposal and the FOCUS export's contract_commitment.csv all quote the
decision's commitment, for a scenario with offers and one without (issue 20)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pypdf import PdfReader

from forecast import narrative
from forecast.cli.common import _load
from forecast.cli.display import _plan_text
from forecast.focus import CONTRACT_COMMITMENT_FILE, focus_export
from forecast.formatting import usd, usd_short
from forecast.plan import build_plan
from forecast.report import render_pdf
from forecast.types import Audience
from tests.conftest import ROOT
from ui.headline import decision_figure

PATHS, SEED = 400, 3


def page_one(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


@pytest.mark.parametrize("name", ["nightly-enrichment", "team-three-workloads"])
def test_every_face_quotes_the_decisions_amount(name: str):
    scenario, book = _load(str(ROOT / "scenarios" / f"{name}.yaml"))
    assert bool(scenario.offers) == (name == "nightly-enrichment")
    plan = build_plan(scenario, book, paths=PATHS, seed=SEED, sensitivity=False)
    d = plan.decision
    assert d is not None and d.signs
    first_year = float(d.per_year[0])
    full, short = usd(first_year), usd_short(first_year, d.edges)
    # plan's text: its first line is the decision, with the amount.
    first_line = _plan_text(plan).splitlines()[0]
    assert first_line.startswith("DECISION:") and full in first_line
    # The app's headline metric.
    value, _delta = decision_figure(plan)
    assert short in value
    # Page 1 of the internal copy: the decision box, compact and in full.
    internal = page_one(render_pdf(plan))
    assert "THE DECISION" in internal and short in internal and full in internal
    # The vendor copy's proposal: one "commit" amount, the decision's.
    vendor = page_one(render_pdf(plan, audience=Audience.VENDOR))
    proposed = re.findall(r"commit (?:about )?(\$[\d,]+)", vendor, flags=re.IGNORECASE)
    assert proposed == [full]
    # FOCUS: every contract year's committed cost is the decision's, to the cent.
    export = focus_export(scenario, book, paths=PATHS, seed=SEED, planned=True)
    rows = list(csv.DictReader(io.StringIO(
        export.files()[CONTRACT_COMMITMENT_FILE].decode())))
    assert [float(r["ContractCommitmentCost"]) for r in rows] == pytest.approx(
        [round(float(c), 2) for c in d.per_year], abs=0.006)
    # The target of the position is the decision, not a second amount.
    if plan.position is not None:
        target = dict(narrative.position_items(plan))["Target"][0]
        assert full in target
