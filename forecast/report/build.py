"""The PDFs put together: the document (US Letter, margins, metadata; the same story and date
give the same bytes), ``render_pdf`` for either copy, ``render_tracking_pdf``, and
``write_pdf`` that writes it whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from forecast.report.appendix import _appendix
from forecast.report.internal import (
    _forecast,
    _offers,
    _options,
    _options_on_the_table,
    _savings,
    _sensitivity,
    _summary,
    _when_to_sign,
)
from forecast.report.tracked import tracking_page
from forecast.report.vendor import _vendor_summary, _vendor_timeline
from forecast.types import Audience
from forecast.typeset import (
    BODY,
    MARGIN,
    NAME_LIMIT,
    canvas_maker,
    no_orphan_headings,
    para,
    register_fonts,
    text,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable, SimpleDocTemplate

    from forecast import Plan, Tracking


def utc_today() -> dt.date:
    """Today in UTC: the "prepared" date of a report made without one, the same on every
    machine at the same moment (the same plan and date give the same bytes in any TZ)."""
    return dt.datetime.now(dt.UTC).date()


def render_tracking_pdf(tracking: Tracking, generated: dt.date | None = None) -> bytes:
    """The tracking page on its own (``commitplan track -o OUT.pdf``), as bytes."""

    generated = generated or utc_today()
    register_fonts()
    buffer = io.BytesIO()
    doc = _document(buffer, f"Commitment tracking: {tracking.scenario_name}",
                    "A signed commitment against usage to date")
    story = [para(text(tracking.scenario_name, NAME_LIMIT), "title"),
             *tracking_page(tracking, doc.width)]
    doc.build(no_orphan_headings(story),
              canvasmaker=canvas_maker(tracking.scenario_name, generated,
                                       "commitment tracking · internal"))
    return buffer.getvalue()


# --------------------------------------------------------------------------- entry points
def _document(buffer: io.BytesIO, title: str, subject: str) -> SimpleDocTemplate:
    """A US Letter document with the report's margins and metadata (invariant: the same
    story and date give the same bytes)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import SimpleDocTemplate

    return SimpleDocTemplate(
        buffer, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=0.85 * 72, title=title, author="Commitment Planner", subject=subject,
        creator="Commitment Planner (forecast.report)", invariant=1, lang="en",
        initialFontName=BODY)


def render_pdf(plan: Plan, generated: dt.date | None = None,
               audience: Audience = Audience.INTERNAL, tracking: Tracking | None = None,
               propose: str | None = None) -> bytes:
    """The negotiation PDF of a plan, as bytes.

    Parameters
    ----------
    plan : Plan
        The plan to report (``build_plan``); its sensitivity rows, when present, fill the
        sensitivity page.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today). The same plan and date give the
        same bytes.
    audience : Audience
        ``internal`` (default): everything, "internal" on every page. ``vendor``: the copy
        for the other side of the table: the ask, the usage evidence and the optimization
        plan with its timeline; nothing of the appetite, the walk-away, the alternative,
        the cost curve or the risk tables.
    tracking : Tracking, optional
        The signed contract against usage to date (:func:`forecast.tracking.track`): adds
        the tracking page after the summary, in the internal copy only.
    propose : str, optional
        The vendor's copy proposes this offer (its name) instead of the decision.

    Returns
    -------
    bytes
        The PDF document.
    """
    from reportlab.platypus import PageBreak

    generated = generated or utc_today()
    register_fonts()
    buffer = io.BytesIO()
    doc = _document(buffer, f"Commitment plan: {plan.scenario.name}",
                    "Spend commitment sizing for the negotiation")
    width = doc.width
    if audience == Audience.VENDOR:
        first = _vendor_summary(plan, generated, width, propose) + _vendor_timeline(
            plan, width)
        sections = [_appendix(plan, width, generated, internal=False)]
        document = "commitment proposal"
    elif tracking is not None:
        # A signed contract: a tracking report. It follows the contract as signed and does
        # not advise signing or walking away.
        first = [para(text(plan.scenario.name, NAME_LIMIT), "title"),
                 para(f"Tracking report · prepared {generated.isoformat()} · the signed "
                      "contract against usage to date", "subtitle"),
                 *tracking_page(tracking, width)]
        sections = [_appendix(plan, width, generated)]
        document = "tracking report · internal"
    else:
        first = _summary(plan, generated, width)
        sections = [_offers(plan, width), _when_to_sign(plan, width),
                    _options_on_the_table(plan, width),
                    _forecast(plan, width), _options(plan, width), _savings(plan, width),
                    _sensitivity(plan, width), _appendix(plan, width, generated)]
        document = "commitment plan · internal"
    story: list[Flowable] = list(first)
    for section in sections:
        if section:
            story.append(PageBreak())
            story += section
    story = no_orphan_headings(story)
    doc.build(story, canvasmaker=canvas_maker(plan.scenario.name, generated, document))
    return buffer.getvalue()


def check_output_path(path: str | Path, inputs: Sequence[str | Path] = ()) -> Path:
    """The path a report can be written to, checked before any work is done.

    Raises
    ------
    PlannerError
        When the path is a folder, one of ``inputs``, read-only, or its folder does not
        exist (see :func:`forecast.files.check_output`).
    """
    from forecast.files import check_output

    return check_output(path, inputs).path


def write_pdf(plan: Plan, path: str | Path, generated: dt.date | None = None,
              audience: Audience = Audience.INTERNAL, inputs: Sequence[str | Path] = (),
              tracking: Tracking | None = None, propose: str | None = None) -> None:
    """Render the PDF and write it whole or not at all.

    The document is rendered in memory first, then written by
    :func:`forecast.files.write_output`: a regular file atomically (a failed export leaves
    no file behind, or the previous one as it was), a device or FIFO in place, never over
    one of ``inputs``.

    Parameters
    ----------
    plan : Plan
        The plan to report.
    path : str or Path
        The PDF to write.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today).
    inputs : sequence of str or Path
        The files the plan was read from (the scenario): the PDF must be none of them.
    tracking : Tracking, optional
        Usage to date tracked against the signed contract: adds the tracking page.
    propose : str, optional
        The vendor's copy proposes this offer (its name) instead of the decision.

    Raises
    ------
    PlannerError
        When the file cannot be written (a folder, a missing folder, no permission, an
        input), naming the path.
    """
    from forecast.files import write_output

    check_output_path(path, inputs)
    write_output(path, render_pdf(plan, generated, audience, tracking, propose), inputs,
                 what="the report")


#: The smallest chart there is: rendering it starts vl-convert's engine.
_FIRST_CHART = ('{"$schema": "https://vega.github.io/schema/vega-lite/v5.json", '
                '"data": {"values": [{"x": 0}]}, "mark": "point", '
                '"encoding": {"x": {"field": "x", "type": "quantitative"}}}')


def warm_up() -> None:
    """Import what the PDF needs (altair, reportlab, svglib), register the fonts and start
    the chart engine with one tiny chart (through :mod:`forecast.chartengine`, so in a
    child process under an address-space limit): the fixed cost of every export, paid once
    per process. ``commitplan report`` runs it in a thread while the plan simulates (numpy
    and the engine release the interpreter), and joins it before the first page is set.
    """
    import reportlab.platypus  # noqa: F401
    import svglib.svglib  # noqa: F401

    import forecast.charts  # noqa: F401  (altair)
    from forecast.chartengine import render_svg
    from forecast.typeset import register_fonts

    register_fonts()
    render_svg(_FIRST_CHART)
